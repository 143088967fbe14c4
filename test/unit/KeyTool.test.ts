import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hexlify } from "ethers";
import { SecretKey } from "@chainsafe/blst";
import { deriveKeyFromEntropy, deriveKeyFromMnemonic } from "@chainsafe/bls-keygen";
import { validateKeystore } from "@chainsafe/bls-keystore";
import { GENESIS_FORK_VERSIONS } from "../../offchain/keys/bls";
import { computeDepositDataRoot, withdrawalCredentialsFor } from "../../offchain/keys/deposit";
import {
  decryptKeystore,
  depositDataEntry,
  deriveValidatorKeys,
  keystoreFor,
  parseDepositDataFile,
  validateDepositData,
  type DepositDataJson,
  type KdfSettings,
} from "../../offchain/keys/keystore";
import type { Prompter } from "../../offchain/keys/prompt";
import { DEFAULT_OUT, HELP, main } from "../../scripts/keys";
import { MAINNET_DEPOSIT_VECTOR as V } from "../helpers/beacon-vectors";

const MNEMONIC = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const WITHDRAWAL_ADDRESS = "0x00000000000000000000000000000000000000aa";
const WC = withdrawalCredentialsFor(WITHDRAWAL_ADDRESS);
const FAST_KDF: KdfSettings = {
  function: "pbkdf2",
  params: { dklen: 32, c: 16, prf: "hmac-sha256", salt: "11".repeat(32) },
};

const no0x = (h: string): string => h.slice(2);
const bigEndian = (b: Uint8Array): bigint => BigInt(hexlify(b));

/** The mainnet vector as a deposit_data-*.json entry. */
const VECTOR_ENTRY: DepositDataJson = {
  pubkey: no0x(V.pubkey),
  withdrawal_credentials: no0x(V.withdrawalCredentials),
  amount: 32000000000,
  signature: no0x(V.signature),
  deposit_message_root: no0x(V.depositMessageRoot),
  deposit_data_root: no0x(V.depositDataRoot),
  fork_version: "00000000",
  network_name: "mainnet",
  deposit_cli_version: "2.7.0",
};

/** `hex` (no 0x) with the lowest bit of its last byte flipped. */
function flipLast(hex: string): string {
  const last = parseInt(hex.slice(-2), 16) ^ 1;
  return hex.slice(0, -2) + last.toString(16).padStart(2, "0");
}

function runCli(args: string[]): { status: number | null; stdout: string; stderr: string[] } {
  const r = spawnSync("npx", ["ts-node", "scripts/keys.ts", ...args], { encoding: "utf8", timeout: 90_000 });
  const stderr = r.stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("npm warn"));
  return { status: r.status, stdout: r.stdout, stderr };
}

/** A prompter answering from `answer(question, printed so far)`, recording the questions. */
function fakePrompter(answer: (question: string, printed: string[]) => string): Prompter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    hidden: async (question: string) => {
      asked.push(question);
      return answer(question, printedLines);
    },
    close: () => undefined,
  };
}

/** What the in-process main printed so far (for a prompter that answers with the shown mnemonic). */
let printedLines: string[] = [];

/** Runs the CLI's main in process, capturing console.log / console.error lines. */
async function mainCaptured(
  argv: string[],
  kdf?: KdfSettings,
  prompter: Prompter = fakePrompter(() => {
    throw new Error("no prompt expected");
  }),
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  printedLines = out;
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  console.error = (...a: unknown[]) => void err.push(a.join(" "));
  try {
    return { code: await main(argv, kdf, prompter), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe("Key tool (EIP-2333/2335, staking-deposit-cli deposit data)", function () {
  this.timeout(60_000);

  describe("key derivation", function () {
    it("matches EIP-2333 test case 0 (master secret key from the seed)", function () {
      const seed = Uint8Array.from(
        Buffer.from(
          "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
          "hex",
        ),
      );
      const master = deriveKeyFromEntropy(seed);
      expect(master.length).to.equal(32);
      expect(bigEndian(master)).to.equal(6083874454709270928345386274498605044986640685124978867557563392430687146096n);
    });

    it("derives distinct signing keys on m/12381/3600/i/0/0 with blst pubkeys", function () {
      const keys = deriveValidatorKeys(MNEMONIC, 0, 2);
      expect(keys.map((k) => k.index)).to.deep.equal([0, 1]);
      expect(keys.map((k) => k.path)).to.deep.equal(["m/12381/3600/0/0/0", "m/12381/3600/1/0/0"]);
      expect(hexlify(keys[0].secretKey)).to.not.equal(hexlify(keys[1].secretKey));
      expect(keys[0].pubkey).to.not.equal(keys[1].pubkey);
      for (const k of keys) {
        expect(k.pubkey).to.equal(hexlify(SecretKey.fromBytes(k.secretKey).toPublicKey().toBytes()));
        expect(hexlify(k.secretKey)).to.equal(hexlify(deriveKeyFromMnemonic(MNEMONIC, k.path)));
      }
      const [second] = deriveValidatorKeys(MNEMONIC, 1, 1);
      expect(second.index).to.equal(1);
      expect(hexlify(second.secretKey)).to.equal(hexlify(keys[1].secretKey));
      expect(() => deriveValidatorKeys(MNEMONIC, 0, 0)).to.throw("count must be a positive integer");
      expect(() => deriveValidatorKeys("abandon abandon", 0, 1)).to.throw("invalid mnemonic");
    });
  });

  describe("validateDepositData on the real mainnet vector", function () {
    it("accepts the vector for mainnet with its credentials", function () {
      expect(validateDepositData([VECTOR_ENTRY], "mainnet", V.withdrawalCredentials)).to.deep.equal([]);
      expect(validateDepositData([VECTOR_ENTRY], "mainnet")).to.deep.equal([]);
    });

    it("rejects it for hoodi: fork version mismatch and signature failure", function () {
      expect(validateDepositData([VECTOR_ENTRY], "hoodi")).to.deep.equal([
        "entry 0: fork_version 00000000 is not hoodi's genesis fork version 10000910",
        "entry 0: network_name mainnet is not hoodi",
        "entry 0: signature does not verify for hoodi (fork version 10000910)",
      ]);
      expect(validateDepositData([{ ...VECTOR_ENTRY, network_name: "hoodi" }], "hoodi")).to.deep.equal([
        "entry 0: fork_version 00000000 is not hoodi's genesis fork version 10000910",
        "entry 0: signature does not verify for hoodi (fork version 10000910)",
      ]);
      expect(validateDepositData([VECTOR_ENTRY], "goerli")).to.deep.equal([
        "unknown network goerli (known: mainnet, hoodi, holesky, sepolia)",
      ]);
    });

    it("reports a tampered signature", function () {
      const e = { ...VECTOR_ENTRY, signature: flipLast(VECTOR_ENTRY.signature) };
      const problems = validateDepositData([e], "mainnet");
      expect(problems).to.have.length(2);
      expect(problems[0]).to.match(/^entry 0: deposit_data_root does not match \(recomputed [0-9a-f]{64}\)$/);
      // A flipped bit in the compressed G2 point is either an invalid point or a wrong signature.
      expect(problems[1]).to.equal("entry 0: signature does not verify for mainnet (fork version 00000000)");
    });

    it("reports a tampered amount", function () {
      const problems = validateDepositData([{ ...VECTOR_ENTRY, amount: 1000000000 }], "mainnet");
      expect(problems[0]).to.equal("entry 0: amount 1000000000 gwei is not 32 ETH (32000000000)");
      expect(problems.slice(1).map((p) => p.split(" (")[0])).to.deep.equal([
        "entry 0: deposit_message_root does not match",
        "entry 0: deposit_data_root does not match",
        "entry 0: signature does not verify for mainnet",
      ]);
    });

    it("reports unexpected or tampered withdrawal credentials", function () {
      expect(validateDepositData([VECTOR_ENTRY], "mainnet", WC)).to.deep.equal([
        `entry 0: withdrawal_credentials ${VECTOR_ENTRY.withdrawal_credentials} are not the expected ${no0x(WC)}`,
      ]);
      const e = { ...VECTOR_ENTRY, withdrawal_credentials: no0x(WC) };
      expect(validateDepositData([e], "mainnet", WC).map((p) => p.split(" (")[0])).to.deep.equal([
        "entry 0: deposit_message_root does not match",
        "entry 0: deposit_data_root does not match",
        "entry 0: signature does not verify for mainnet",
      ]);
    });

    it("reports tampered roots and duplicate pubkeys", function () {
      const badRoot = { ...VECTOR_ENTRY, deposit_data_root: flipLast(VECTOR_ENTRY.deposit_data_root) };
      expect(validateDepositData([badRoot], "mainnet")).to.deep.equal([
        `entry 0: deposit_data_root does not match (recomputed ${no0x(V.depositDataRoot)})`,
      ]);
      const badMsg = { ...VECTOR_ENTRY, deposit_message_root: flipLast(VECTOR_ENTRY.deposit_message_root) };
      expect(validateDepositData([badMsg], "mainnet")).to.deep.equal([
        `entry 0: deposit_message_root does not match (recomputed ${no0x(V.depositMessageRoot)})`,
      ]);
      expect(validateDepositData([VECTOR_ENTRY, VECTOR_ENTRY], "mainnet")).to.deep.equal([
        `entry 1: duplicate pubkey ${VECTOR_ENTRY.pubkey} (also entry 0)`,
      ]);
      expect(validateDepositData([{ ...VECTOR_ENTRY, pubkey: "abcd" }], "mainnet")).to.deep.equal([
        "entry 0: malformed: pubkey must be 48 bytes, got 2",
      ]);
    });
  });

  describe("generated deposit data", function () {
    const keys = deriveValidatorKeys(MNEMONIC, 0, 2);
    const entries = keys.map((k) => depositDataEntry(k.secretKey, WC, "hoodi"));

    it("is in staking-deposit-cli format and validates for hoodi only", function () {
      expect(Object.keys(entries[0])).to.deep.equal([
        "pubkey",
        "withdrawal_credentials",
        "amount",
        "signature",
        "deposit_message_root",
        "deposit_data_root",
        "fork_version",
        "network_name",
        "deposit_cli_version",
      ]);
      entries.forEach((e, i) => {
        expect(e.pubkey).to.equal(no0x(keys[i].pubkey));
        expect(e.withdrawal_credentials).to.equal(no0x(WC));
        expect(e.amount).to.equal(32000000000);
        expect(e.signature).to.match(/^[0-9a-f]{192}$/);
        expect(e.fork_version).to.equal("10000910");
        expect(e.network_name).to.equal("hoodi");
        expect(e.deposit_cli_version).to.equal("2.7.0");
        expect(e.deposit_data_root).to.equal(
          no0x(
            computeDepositDataRoot({
              pubkey: keys[i].pubkey,
              withdrawalCredentials: WC,
              amountGwei: 32_000_000_000n,
              signature: `0x${e.signature}`,
            }),
          ),
        );
      });
      expect(validateDepositData(entries, "hoodi", WC)).to.deep.equal([]);
      expect(validateDepositData(entries, "mainnet", WC)).to.deep.equal(
        [0, 1].flatMap((i) => [
          `entry ${i}: fork_version 10000910 is not mainnet's genesis fork version 00000000`,
          `entry ${i}: network_name hoodi is not mainnet`,
          `entry ${i}: signature does not verify for mainnet (fork version 00000000)`,
        ]),
      );
      expect(GENESIS_FORK_VERSIONS.hoodi).to.equal("0x10000910");
    });

    it("round-trips an EIP-2335 keystore", async function () {
      const k = keys[0];
      const keystore = await keystoreFor(k.secretKey, k.pubkey, k.path, "correct horse", FAST_KDF);
      expect(() => validateKeystore(JSON.parse(JSON.stringify(keystore)))).to.not.throw();
      expect(keystore.version).to.equal(4);
      expect(keystore.path).to.equal("m/12381/3600/0/0/0");
      expect(keystore.pubkey).to.equal(no0x(k.pubkey));
      expect(keystore.crypto.kdf.function).to.equal("pbkdf2");
      expect(hexlify(await decryptKeystore(keystore, "correct horse"))).to.equal(hexlify(k.secretKey));
      let failed = false;
      await decryptKeystore(keystore, "wrong password").catch(() => (failed = true));
      expect(failed).to.equal(true);
    });
  });

  describe("CLI", function () {
    let dir: string;
    before(function () {
      dir = mkdtempSync(join(tmpdir(), "keytool-"));
    });
    after(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    it("generate writes keystores and deposit data that validate", async function () {
      const out = join(dir, "gen");
      const { code, out: printed } = await mainCaptured(
        [
          "generate",
          "--mnemonic",
          MNEMONIC,
          "--count",
          "2",
          "--start",
          "3",
          "--network",
          "hoodi",
          "--withdrawal-address",
          WITHDRAWAL_ADDRESS,
          "--out",
          out,
          "--password",
          "correct horse",
        ],
        FAST_KDF,
      );
      expect(code).to.equal(0);
      const files = readdirSync(out)
        .filter((f) => f !== ".gitignore")
        .sort();
      expect(printed).to.deep.equal([`wrote 2 keystore(s) and ${join(out, files[0])} for hoodi`]);
      expect(files).to.have.length(3);
      expect(files[0]).to.match(/^deposit_data-\d+\.json$/);
      expect(files[1]).to.match(/^keystore-m_12381_3600_3_0_0-\d+\.json$/);
      expect(files[2]).to.match(/^keystore-m_12381_3600_4_0_0-\d+\.json$/);
      const entries = parseDepositDataFile(readFileSync(join(out, files[0]), "utf8"));
      const expected = deriveValidatorKeys(MNEMONIC, 3, 2);
      expect(entries.map((e) => e.pubkey)).to.deep.equal(expected.map((k) => no0x(k.pubkey)));
      expect(validateDepositData(entries, "hoodi", WC)).to.deep.equal([]);
      const keystore: unknown = JSON.parse(readFileSync(join(out, files[2]), "utf8"));
      expect(hexlify(await decryptKeystore(keystore, "correct horse"))).to.equal(hexlify(expected[1].secretKey));
    });

    it("--help prints the commands and options, exit 0", async function () {
      for (const argv of [["--help"], ["-h"], ["help"], ["generate", "--help"]]) {
        expect(await mainCaptured(argv)).to.deep.equal({ code: 0, out: [HELP], err: [] });
      }
      expect(HELP).to.include("new-mnemonic");
      expect(HELP).to.include("--network mainnet");
      expect(HELP).to.include(`default ${DEFAULT_OUT}`);
    });

    it("--network accepts only the networks the tool signs for, and names mainnet for a local chain", async function () {
      const args = ["--withdrawal-address", WITHDRAWAL_ADDRESS, "--out", join(dir, "never")];
      for (const name of ["local", "localhost", "hardhat"]) {
        expect(await mainCaptured(["generate", "--network", name, ...args])).to.deep.equal({
          code: 1,
          out: [],
          err: [
            `Error: --network ${name} is not a network the key tool signs for: the local beacon chain and a Hardhat node use mainnet's fork versions, so pass --network mainnet`,
          ],
        });
      }
      expect(await mainCaptured(["new-mnemonic", "--network", "goerli", ...args])).to.deep.equal({
        code: 1,
        out: [],
        err: [
          'Error: --network must be one of mainnet, hoodi, holesky, sepolia (for a local chain: mainnet), got "goerli"',
        ],
      });
      expect(existsSync(join(dir, "never"))).to.equal(false);
    });

    it("new-mnemonic shows 24 words once, writes keys only once they are typed again", async function () {
      const out = join(dir, "new");
      const args = ["--count", "2", "--network", "mainnet", "--withdrawal-address", WITHDRAWAL_ADDRESS, "--out", out];
      const shown = (printed: string[]) => printed.join("\n").split("\n")[3];
      const prompter = fakePrompter((q, printed) =>
        q.startsWith("Type the mnemonic") ? `  ${shown(printed)} ` : "correct horse",
      );
      const r = await mainCaptured(["new-mnemonic", ...args], FAST_KDF, prompter);
      expect(r.code, r.err.join()).to.equal(0);
      const mnemonic = shown(r.out);
      expect(mnemonic.split(" ")).to.have.length(24);
      expect(r.out.join("\n").split(mnemonic)).to.have.length(2); // shown once
      expect(prompter.asked).to.deep.equal([
        "Type the mnemonic again to confirm you wrote it down: ",
        "Keystore password (at least 8 characters): ",
        "Repeat the keystore password: ",
      ]);
      const files = readdirSync(out).sort();
      expect(files[0]).to.equal(".gitignore");
      const entries = parseDepositDataFile(readFileSync(join(out, files[1]), "utf8"));
      expect(entries.map((e) => `0x${e.pubkey}`)).to.deep.equal(
        deriveValidatorKeys(mnemonic, 0, 2).map((k) => k.pubkey),
      );
      expect(validateDepositData(entries, "mainnet", WC)).to.deep.equal([]);

      // Another new mnemonic each time; a wrong confirmation writes nothing.
      const other = join(dir, "new-refused");
      const wrong = fakePrompter(() => MNEMONIC);
      const refused = await mainCaptured(["new-mnemonic", ...args.slice(0, -1), other], FAST_KDF, wrong);
      expect(shown(refused.out)).to.not.equal(mnemonic);
      expect(refused.code).to.equal(1);
      expect(refused.err).to.deep.equal([
        "Error: the mnemonic typed is not the one shown: nothing was written, run new-mnemonic again",
      ]);
      expect(wrong.asked).to.deep.equal(["Type the mnemonic again to confirm you wrote it down: "]);
      expect(existsSync(other)).to.equal(false);
      expect(await mainCaptured(["new-mnemonic", "--mnemonic", MNEMONIC, ...args])).to.deep.equal({
        code: 1,
        out: [],
        err: ["Error: new-mnemonic makes its own mnemonic: use generate for --mnemonic"],
      });
    });

    it("generate asks for the mnemonic and the password (twice) when neither flag nor variable gives them", async function () {
      const saved = [process.env.KEYTOOL_MNEMONIC, process.env.KEYTOOL_PASSWORD];
      delete process.env.KEYTOOL_MNEMONIC;
      delete process.env.KEYTOOL_PASSWORD;
      try {
        const out = join(dir, "asked");
        const args = ["generate", "--network", "hoodi", "--withdrawal-address", WITHDRAWAL_ADDRESS, "--out", out];
        const answers: Record<string, string> = {
          "Mnemonic: ": MNEMONIC,
          "Keystore password (at least 8 characters): ": "correct horse",
          "Repeat the keystore password: ": "correct horse",
        };
        const prompter = fakePrompter((q) => answers[q]);
        const r = await mainCaptured(args, FAST_KDF, prompter);
        expect(r.code, r.err.join()).to.equal(0);
        expect(prompter.asked).to.deep.equal(Object.keys(answers));
        const keystore = readdirSync(out).find((f) => f.startsWith("keystore-"))!;
        const secret = await decryptKeystore(JSON.parse(readFileSync(join(out, keystore), "utf8")), "correct horse");
        expect(hexlify(secret)).to.equal(hexlify(deriveValidatorKeys(MNEMONIC, 0, 1)[0].secretKey));

        const refusals: [Record<string, string>, string][] = [
          [
            { ...answers, "Repeat the keystore password: ": "correct horsf" },
            "the passwords typed differ: nothing was written",
          ],
          [
            { ...answers, "Keystore password (at least 8 characters): ": "short" },
            "the keystore password must be at least 8 characters long",
          ],
          [
            { ...answers, "Mnemonic: ": "abandon abandon abandon" },
            "the mnemonic is not a valid BIP-39 mnemonic (English words, with a valid checksum)",
          ],
        ];
        for (const [given, sentence] of refusals) {
          const other = join(dir, "asked-refused");
          const refused = await mainCaptured(
            [...args.slice(0, -1), other],
            FAST_KDF,
            fakePrompter((q) => given[q]),
          );
          expect(refused).to.deep.equal({ code: 1, out: [], err: [`Error: ${sentence}`] });
          expect(existsSync(other)).to.equal(false);
        }
      } finally {
        [process.env.KEYTOOL_MNEMONIC, process.env.KEYTOOL_PASSWORD] = saved;
        if (saved[0] === undefined) delete process.env.KEYTOOL_MNEMONIC;
        if (saved[1] === undefined) delete process.env.KEYTOOL_PASSWORD;
      }
    });

    it("keeps keys out of git: the default folder is ignored, and any folder it makes holds a .gitignore of *", async function () {
      expect(DEFAULT_OUT).to.equal("validator_keys");
      const ignored = spawnSync("git", ["check-ignore", "-q", `${DEFAULT_OUT}/keystore-m_12381_3600_0_0_0-1.json`]);
      expect(ignored.status).to.equal(0);
      // A folder of its own choosing inside another repository: git sees nothing to add.
      const repo = mkdtempSync(join(tmpdir(), "keytool-repo-"));
      try {
        expect(spawnSync("git", ["init", "-q", repo]).status).to.equal(0);
        const r = await mainCaptured(
          [
            "generate",
            "--network",
            "mainnet",
            "--withdrawal-address",
            WITHDRAWAL_ADDRESS,
            "--out",
            join(repo, "my-keys"),
            "--mnemonic",
            MNEMONIC,
            "--password",
            "correct horse",
          ],
          FAST_KDF,
        );
        expect(r.code, r.err.join()).to.equal(0);
        expect(readdirSync(join(repo, "my-keys"))).to.have.length(3);
        expect(readFileSync(join(repo, "my-keys", ".gitignore"), "utf8")).to.equal(
          "# Validator keystores: never commit them.\n*\n",
        );
        const status = spawnSync("git", ["status", "--porcelain", "--untracked-files=all"], {
          cwd: repo,
          encoding: "utf8",
        });
        expect(status.stdout).to.equal("");
      } finally {
        rmSync(repo, { recursive: true, force: true });
      }
    });

    it("hidden prompts on stdin (a pipe here): the secrets are read, never printed", async function () {
      this.timeout(240_000); // two runs of ts-node, each with a scrypt keystore
      const out = join(dir, "piped");
      const env = { ...process.env };
      delete env.KEYTOOL_MNEMONIC;
      delete env.KEYTOOL_PASSWORD;
      const generated = spawnSync(
        "npx",
        [
          "ts-node",
          "scripts/keys.ts",
          "generate",
          "--network",
          "hoodi",
          "--withdrawal-address",
          WITHDRAWAL_ADDRESS,
          "--out",
          out,
        ],
        { input: `${MNEMONIC}\ncorrect horse\ncorrect horse\n`, env, encoding: "utf8", timeout: 120_000 },
      );
      expect(generated.status, generated.stderr).to.equal(0);
      const stderr = generated.stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("npm warn"));
      expect(stderr).to.deep.equal([
        "Mnemonic: ",
        "Keystore password (at least 8 characters): ",
        "Repeat the keystore password: ",
      ]);
      expect(generated.stdout).to.match(/^wrote 1 keystore\(s\) and .*deposit_data-\d+\.json for hoodi\n$/);
      for (const secret of ["abandon", "correct horse"]) {
        expect(generated.stdout + generated.stderr).to.not.include(secret);
      }

      // new-mnemonic, driven as a person would: read the words, type them back, then the password twice.
      const fresh = join(dir, "piped-new");
      const child = spawn(
        "npx",
        [
          "ts-node",
          "scripts/keys.ts",
          "new-mnemonic",
          "--network",
          "mainnet",
          "--withdrawal-address",
          WITHDRAWAL_ADDRESS,
          "--out",
          fresh,
        ],
        { env },
      );
      let stdout = "";
      let stderrText = "";
      let typed = false;
      child.stderr.on("data", (d: Buffer) => (stderrText += d.toString()));
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        const words = stdout.split("\n").find((l) => l.split(" ").length === 24);
        if (words !== undefined && !typed) {
          typed = true;
          child.stdin.write(`${words}\ncorrect horse\ncorrect horse\n`);
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(code, stderrText).to.equal(0);
      const mnemonic = stdout.split("\n").find((l) => l.split(" ").length === 24)!;
      const deposit = readdirSync(fresh).find((f) => f.startsWith("deposit_data-"))!;
      const [entry] = parseDepositDataFile(readFileSync(join(fresh, deposit), "utf8"));
      expect(`0x${entry.pubkey}`).to.equal(deriveValidatorKeys(mnemonic, 0, 1)[0].pubkey);
      expect(stderrText).to.include("Type the mnemonic again to confirm you wrote it down: ");
      expect(stderrText).to.not.include(mnemonic.split(" ")[0] + " " + mnemonic.split(" ")[1]);
    });

    it("validate: OK exit 0; problems, then one sentence, exit 1; an argument error is one sentence, exit 1", async function () {
      this.timeout(240_000); // two runs of ts-node
      const file = join(dir, "deposit_data-1.json");
      writeFileSync(file, JSON.stringify([VECTOR_ENTRY]));
      const address = `0x${V.withdrawalCredentials.slice(-40)}`;

      // In process (spawning ts-node costs seconds per run) for the OK case and a second error.
      const ok = await mainCaptured([
        "validate",
        "--file",
        file,
        "--network",
        "mainnet",
        "--withdrawal-address",
        address,
      ]);
      expect(ok).to.deep.equal({ code: 0, out: [`OK: ${file} is valid deposit data for mainnet`], err: [] });
      const badNet = await mainCaptured(["validate", "--file", file, "--network", "goerli"]);
      expect(badNet).to.deep.equal({
        code: 1,
        out: [],
        err: [
          'Error: --network must be one of mainnet, hoodi, holesky, sepolia (for a local chain: mainnet), got "goerli"',
        ],
      });
      expect(await mainCaptured([])).to.deep.equal({
        code: 1,
        out: [],
        err: ["Error: give a command: new-mnemonic, generate or validate (npm run keys -- --help)"],
      });
      expect(await mainCaptured(["check", "--file", file])).to.deep.equal({
        code: 1,
        out: [],
        err: [
          'Error: unknown command "check": give a command: new-mnemonic, generate or validate (npm run keys -- --help)',
        ],
      });
      expect(await mainCaptured(["validate", "--fiel", file])).to.deep.equal({
        code: 1,
        out: [],
        err: ["Error: Unknown option '--fiel'"],
      });
      expect(
        await mainCaptured(["validate", "--file", file, "--network", "hoodi", "--withdrawal-address", "0x12"]),
      ).to.deep.equal({ code: 1, out: [], err: ['Error: --withdrawal-address is not a valid address: "0x12"'] });

      const wrong = runCli(["validate", "--file", file, "--network", "hoodi"]);
      expect(wrong.status).to.equal(1);
      expect(wrong.stderr).to.deep.equal([
        `Error: ${file} is not valid deposit data for hoodi: 3 problems, listed above`,
      ]);
      expect(wrong.stdout).to.equal(
        [
          "entry 0: fork_version 00000000 is not hoodi's genesis fork version 10000910",
          "entry 0: network_name mainnet is not hoodi",
          "entry 0: signature does not verify for hoodi (fork version 10000910)",
          "",
        ].join("\n"),
      );

      const missing = runCli(["validate", "--network", "hoodi"]);
      expect(missing.status).to.equal(1);
      expect(missing.stdout).to.equal("");
      expect(missing.stderr).to.deep.equal(["Error: --file is required"]);
    });
  });
});
