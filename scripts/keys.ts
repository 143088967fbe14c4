/**
 * Validator key tool (docs/protocol.md §8, docs/operators.md "The key tool"): `npm run keys -- --help`.
 *
 *   npm run keys -- new-mnemonic --count 2 [--start 0] --network hoodi --withdrawal-address 0x… [--out <dir>]
 *   npm run keys -- generate --count 2 [--start 0] --network hoodi --withdrawal-address 0x… [--out <dir>]
 *   npm run keys -- validate --file <deposit_data.json> --network hoodi [--withdrawal-address 0x…]
 *
 * `new-mnemonic` makes a 24-word mnemonic, shows it once and asks for it again before it writes
 * anything; `generate` takes an existing mnemonic. Secrets are asked for without echo (the mnemonic,
 * the keystore password twice) unless given by KEYTOOL_MNEMONIC / KEYTOOL_PASSWORD or --mnemonic /
 * --password (visible to other users of the machine: for scripts only). Keys go to `validator_keys/`
 * unless --out says otherwise, and the tool puts a `.gitignore` of `*` in the folder it writes, so
 * keystores are never committed by accident. A failure ends as every command's does (issue 16 §3):
 * one sentence on stderr, `Error: <sentence>`, and exit code 1; invalid deposit data lists its
 * problems on stdout first. Exit code 0: done.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Mnemonic, isAddress, randomBytes } from "ethers";
import { GENESIS_FORK_VERSIONS } from "../offchain/keys/bls";
import { withdrawalCredentialsFor } from "../offchain/keys/deposit";
import {
  deriveValidatorKeys,
  depositDataEntry,
  isKeyToolNetwork,
  keystoreFor,
  parseDepositDataFile,
  validateDepositData,
  type KdfSettings,
  type KeyToolNetwork,
} from "../offchain/keys/keystore";
import { stdinPrompter, type Prompter } from "../offchain/keys/prompt";

/** Where keys go without --out (staking-deposit-cli's folder name; ignored by git). */
export const DEFAULT_OUT = "validator_keys";

/** What to run, for a missing or unknown command. */
const USAGE = "give a command: new-mnemonic, generate or validate (npm run keys -- --help)";

/** `npm run keys -- --help`. */
export const HELP = `Tidepool validator key tool: EIP-2333/2334 keys, EIP-2335 keystores, staking-deposit-cli deposit data.

Usage: npm run keys -- <command> [options]

Commands:
  new-mnemonic  Make a new 24-word mnemonic (shown once, then typed again to confirm) and its keys
  generate      Make keys from an existing mnemonic
  validate      Check a deposit_data-*.json file before uploading it (operator-keys)

Options of new-mnemonic and generate:
  --network <name>             mainnet, hoodi, holesky or sepolia (the local beacon chain and a
                               Hardhat node use mainnet's fork versions: --network mainnet)
  --withdrawal-address <0x…>   The pool's withdrawal vault (Tidepool#WithdrawalVaultProxy)
  --count <n>                  Keys to make (default 1)
  --start <i>                  First key index, m/12381/3600/<i>/0/0 (default 0)
  --out <dir>                  Output folder (default ${DEFAULT_OUT}; a .gitignore of * is put in it)
  --mnemonic <words>           generate only; default KEYTOOL_MNEMONIC, else asked for without echo
  --password <password>        Keystore password, at least 8 characters; default KEYTOOL_PASSWORD,
                               else asked for twice without echo

Options of validate:
  --file <deposit_data.json>   The file to check
  --network <name>             The network it must be signed for
  --withdrawal-address <0x…>   The credentials it must carry (optional)

  -h, --help                   This text`;

/** The value of `--<name>`; a failure saying it is required when it is missing or empty. */
function required(value: string | undefined, name: string): string {
  if (value === undefined || value === "") throw new Error(`--${name} is required`);
  return value;
}

/** Names people give a local chain: it uses mainnet's fork versions. */
const LOCAL_NAMES = new Set(["local", "localhost", "hardhat", "devnet", "dev"]);

/** `--network` checked against the networks the tool knows; a local chain is told to use mainnet. */
function network(value: string | undefined): KeyToolNetwork {
  const name = required(value, "network");
  if (LOCAL_NAMES.has(name.toLowerCase())) {
    throw new Error(
      `--network ${name} is not a network the key tool signs for: the local beacon chain and a Hardhat node use mainnet's fork versions, so pass --network mainnet`,
    );
  }
  if (!isKeyToolNetwork(name)) {
    throw new Error(
      `--network must be one of ${Object.keys(GENESIS_FORK_VERSIONS).join(", ")} (for a local chain: mainnet), got "${name}"`,
    );
  }
  return name;
}

/** The withdrawal credentials of `--withdrawal-address`, if given. */
function credentials(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  if (!isAddress(address)) throw new Error(`--withdrawal-address is not a valid address: "${address}"`);
  return withdrawalCredentialsFor(address);
}

/** `--<name>` as a non-negative integer, `fallback` when absent. */
function nonNegativeInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

/**
 * A failure as one sentence: its message's first sentence on one line (Node's argument parser
 * appends advice that would make a second).
 */
function sentenceOf(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, " ").trim();
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) return text.split(/(?<=\.) /)[0];
  return text;
}

/** A mnemonic as typed: words separated by single spaces, lower case. */
function normalized(mnemonic: string): string {
  return mnemonic.trim().split(/\s+/).join(" ").toLowerCase();
}

/** A 24-word BIP-39 mnemonic from 256 bits of the system's randomness. */
export function newMnemonic(): string {
  return Mnemonic.fromEntropy(randomBytes(32)).phrase;
}

/** The keystore password: --password, KEYTOOL_PASSWORD, else typed twice without echo. */
async function password(given: string | undefined, prompter: Prompter): Promise<string> {
  let pw = given ?? process.env.KEYTOOL_PASSWORD;
  if (pw === undefined || pw === "") {
    pw = await prompter.hidden("Keystore password (at least 8 characters): ");
    if (pw.length >= 8 && (await prompter.hidden("Repeat the keystore password: ")) !== pw) {
      throw new Error("the passwords typed differ: nothing was written");
    }
  }
  if (pw.length < 8) throw new Error("the keystore password must be at least 8 characters long");
  return pw;
}

/** Writes `count` keystores and their deposit data to `out`, with a .gitignore of `*` in a folder it makes. */
async function writeKeys(
  mnemonic: string,
  pw: string,
  net: KeyToolNetwork,
  wc: string,
  out: string,
  start: number,
  count: number,
  kdf?: KdfSettings,
): Promise<void> {
  const keys = deriveValidatorKeys(mnemonic, start, count);
  const timestamp = Math.floor(Date.now() / 1000);
  if (!existsSync(out)) {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, ".gitignore"), "# Validator keystores: never commit them.\n*\n");
  }
  for (const k of keys) {
    const keystore = await keystoreFor(k.secretKey, k.pubkey, k.path, pw, kdf);
    const name = `keystore-${k.path.replace(/\//g, "_")}-${timestamp}.json`;
    writeFileSync(join(out, name), JSON.stringify(keystore), { mode: 0o600 });
  }
  const depositFile = join(out, `deposit_data-${timestamp}.json`);
  writeFileSync(depositFile, JSON.stringify(keys.map((k) => depositDataEntry(k.secretKey, wc, net))));
  console.log(`wrote ${keys.length} keystore(s) and ${depositFile} for ${net}`);
}

/**
 * Runs the tool; returns the exit code (0 done, 1 failed). `kdf` overrides the keystore KDF and
 * `prompter` the hidden prompts on stdin (tests).
 */
export async function main(argv: string[], kdf?: KdfSettings, prompter: Prompter = stdinPrompter()): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (
      command === "--help" ||
      command === "-h" ||
      command === "help" ||
      rest.includes("--help") ||
      rest.includes("-h")
    ) {
      console.log(HELP);
      return 0;
    }
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        mnemonic: { type: "string" },
        count: { type: "string" },
        start: { type: "string" },
        network: { type: "string" },
        "withdrawal-address": { type: "string" },
        out: { type: "string" },
        password: { type: "string" },
        file: { type: "string" },
      },
    });
    if (command === "validate") {
      const file = required(values.file, "file");
      const net = network(values.network);
      const expected = credentials(values["withdrawal-address"]);
      const problems = validateDepositData(parseDepositDataFile(readFileSync(file, "utf8")), net, expected);
      if (problems.length === 0) {
        console.log(`OK: ${file} is valid deposit data for ${net}`);
        return 0;
      }
      for (const p of problems) console.log(p);
      const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
      throw new Error(`${file} is not valid deposit data for ${net}: ${count}, listed above`);
    }
    if (command === "generate" || command === "new-mnemonic") {
      // Every argument is checked before a secret is asked for or shown.
      const net = network(values.network);
      const wc = credentials(required(values["withdrawal-address"], "withdrawal-address")) as string;
      const out = values.out ?? DEFAULT_OUT;
      if (out === "") throw new Error("--out cannot be empty");
      const count = nonNegativeInt(values.count, "count", 1);
      const start = nonNegativeInt(values.start, "start", 0);
      let mnemonic: string;
      if (command === "new-mnemonic") {
        if (values.mnemonic !== undefined)
          throw new Error("new-mnemonic makes its own mnemonic: use generate for --mnemonic");
        mnemonic = newMnemonic();
        console.log(
          [
            "Your new mnemonic (24 words). Write it down and keep it offline: it is shown only this once, and",
            "it recovers every key made from it. Anyone who has it controls these validators.",
            "",
            mnemonic,
            "",
          ].join("\n"),
        );
        const typed = await prompter.hidden("Type the mnemonic again to confirm you wrote it down: ");
        if (normalized(typed) !== mnemonic) {
          throw new Error("the mnemonic typed is not the one shown: nothing was written, run new-mnemonic again");
        }
      } else {
        const given = values.mnemonic ?? process.env.KEYTOOL_MNEMONIC;
        mnemonic = given !== undefined && given !== "" ? given : await prompter.hidden("Mnemonic: ");
        if (normalized(mnemonic) === "") throw new Error("--mnemonic is required");
        if (!Mnemonic.isValidMnemonic(normalized(mnemonic))) {
          throw new Error("the mnemonic is not a valid BIP-39 mnemonic (English words, with a valid checksum)");
        }
      }
      const pw = await password(values.password, prompter);
      await writeKeys(normalized(mnemonic), pw, net, wc, out, start, count, kdf);
      return 0;
    }
    throw new Error(command === undefined ? USAGE : `unknown command "${command}": ${USAGE}`);
  } catch (err) {
    console.error(`Error: ${sentenceOf(err)}`);
    return 1;
  } finally {
    prompter.close();
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
