import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
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
import { main } from "../../scripts/keys";
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
  const r = spawnSync("npx", ["ts-node", "scripts/keys.ts", ...args], { encoding: "utf8", timeout: 30_000 });
  const stderr = r.stderr.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("npm warn"));
  return { status: r.status, stdout: r.stdout, stderr };
}

/** Runs the CLI's main in process, capturing console.log / console.error lines. */
async function mainCaptured(
  argv: string[],
  kdf?: KdfSettings,
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void out.push(a.join(" "));
  console.error = (...a: unknown[]) => void err.push(a.join(" "));
  try {
    return { code: await main(argv, kdf), out, err };
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
      const files = readdirSync(out).sort();
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

    it("validate: OK exit 0; problems, then one sentence, exit 1; an argument error is one sentence, exit 1", async function () {
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
        err: ['Error: --network must be one of mainnet, hoodi, holesky, sepolia, got "goerli"'],
      });
      expect(await mainCaptured([])).to.deep.equal({
        code: 1,
        out: [],
        err: ["Error: give a command: generate or validate (see the header of scripts/keys.ts)"],
      });
      expect(await mainCaptured(["check", "--file", file])).to.deep.equal({
        code: 1,
        out: [],
        err: [
          'Error: unknown command "check": give a command: generate or validate (see the header of scripts/keys.ts)',
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
