/**
 * Validator key tool (docs/protocol.md §8).
 *
 *   npx ts-node scripts/keys.ts generate --mnemonic "<words>" --count 2 [--start 0] --network hoodi \
 *     --withdrawal-address 0x… --out <dir> --password <pw>
 *   npx ts-node scripts/keys.ts validate --file <deposit_data.json> --network hoodi [--withdrawal-address 0x…]
 *
 * The mnemonic and password may come from KEYTOOL_MNEMONIC / KEYTOOL_PASSWORD instead of the
 * command line. A failure ends as every command's does (issue 16 §3): one sentence on stderr,
 * `Error: <sentence>`, and exit code 1; invalid deposit data lists its problems on stdout first.
 * Exit code 0: done.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { isAddress } from "ethers";
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

/** What to run, for a missing or unknown command. */
const USAGE = "give a command: generate or validate (see the header of scripts/keys.ts)";

/** The value of `--<name>`; a failure saying it is required when it is missing or empty. */
function required(value: string | undefined, name: string): string {
  if (value === undefined || value === "") throw new Error(`--${name} is required`);
  return value;
}

/** `--network` checked against the networks the tool knows. */
function network(value: string | undefined): KeyToolNetwork {
  const name = required(value, "network");
  if (!isKeyToolNetwork(name))
    throw new Error(`--network must be one of ${Object.keys(GENESIS_FORK_VERSIONS).join(", ")}, got "${name}"`);
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

/** Runs the tool; returns the exit code (0 done, 1 failed). `kdf` overrides the keystore KDF (tests). */
export async function main(argv: string[], kdf?: KdfSettings): Promise<number> {
  try {
    const [command, ...rest] = argv;
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
    if (command === "generate") {
      const mnemonic = required(values.mnemonic ?? process.env.KEYTOOL_MNEMONIC, "mnemonic");
      const password = required(values.password ?? process.env.KEYTOOL_PASSWORD, "password");
      if (password.length < 8) throw new Error("--password must be at least 8 characters long");
      const net = network(values.network);
      const wc = credentials(required(values["withdrawal-address"], "withdrawal-address")) as string;
      const out = required(values.out, "out");
      const count = nonNegativeInt(values.count, "count", 1);
      const keys = deriveValidatorKeys(mnemonic, nonNegativeInt(values.start, "start", 0), count);
      const timestamp = Math.floor(Date.now() / 1000);
      mkdirSync(out, { recursive: true });
      for (const k of keys) {
        const keystore = await keystoreFor(k.secretKey, k.pubkey, k.path, password, kdf);
        const name = `keystore-${k.path.replace(/\//g, "_")}-${timestamp}.json`;
        writeFileSync(join(out, name), JSON.stringify(keystore), { mode: 0o600 });
      }
      const depositFile = join(out, `deposit_data-${timestamp}.json`);
      writeFileSync(depositFile, JSON.stringify(keys.map((k) => depositDataEntry(k.secretKey, wc, net))));
      console.log(`wrote ${keys.length} keystore(s) and ${depositFile} for ${net}`);
      return 0;
    }
    throw new Error(command === undefined ? USAGE : `unknown command "${command}": ${USAGE}`);
  } catch (err) {
    console.error(`Error: ${sentenceOf(err)}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
