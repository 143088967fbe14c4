/**
 * Signed voluntary exits (offchain/keys/exit.ts), the local beacon chain's voluntary-exit pool
 * (`POST /eth/v1/beacon/pool/voluntary_exits`, offchain/beacon/server.ts), the operator's exit from
 * its keystores and the exits bot (offchain/operators/exits.ts) end to end on the local chains,
 * where nobody but the operators exits a validator the oracle asks to exit.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { concat, getBytes, hexlify, parseEther, sha256, toBeHex, ZeroHash } from "ethers";
import { SecretKey } from "@chainsafe/blst";
import type { Tidepool } from "../../deploy/protocol";
import { BeaconChain, FAR_FUTURE_EPOCH, SLOTS_PER_EPOCH, validatorStatus } from "../../offchain/beacon/chain";
import { advanceSlots, advanceToNextFrame, type LocalBeacon } from "../../offchain/beacon/local";
import { startBeaconApi, type BeaconApi } from "../../offchain/beacon/server";
import { testSecretKey } from "../../offchain/keys/bls";
import {
  CAPELLA_FORK_VERSIONS,
  parseSignedVoluntaryExit,
  signVoluntaryExit,
  verifyVoluntaryExit,
  voluntaryExitDomain,
  voluntaryExitSigningRoot,
  type ExitFork,
  type SignedVoluntaryExitJson,
} from "../../offchain/keys/exit";
import { keystoreFor, type KdfSettings } from "../../offchain/keys/keystore";
import { ExitsBot, exitValidator, loadKeystores, type BotAction } from "../../offchain/operators/exits";
import { connectBeacon } from "../../offchain/oracle/beacon";
import type { ReportContext } from "../../offchain/oracle/report";
import { reportOnce } from "../../offchain/oracle/service";
import { deployWithBeacon } from "../helpers/beacon-fixtures";
import { depositEvent } from "../helpers/beacon-sim";
import { runTask, taskError } from "../helpers/tasks";
import { KeyIndex } from "../../offchain/oracle/key-index";

const FAST_KDF: KdfSettings = {
  function: "pbkdf2",
  params: { dklen: 32, c: 16, prf: "hmac-sha256", salt: "22".repeat(32) },
};
const PASSWORD = "exit keystore password";
/** Mainnet's genesis validators root. */
const MAINNET_GVR = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95";
const MAINNET: ExitFork = { capellaForkVersion: "0x03000000", genesisValidatorsRoot: MAINNET_GVR };
/** The local chain's fork: mainnet's Capella fork version, a zero genesis validators root. */
const LOCAL: ExitFork = { capellaForkVersion: "0x03000000", genesisValidatorsRoot: ZeroHash };

/** `value` as an SSZ uint64 chunk (8 little-endian bytes, zero-padded to 32). */
const uint64Chunk = (value: bigint): Uint8Array =>
  concat([getBytes(toBeHex(value, 8)).reverse(), new Uint8Array(24)]) as unknown as Uint8Array;

/** The signature's last byte flipped: still 96 bytes, no longer the signature. */
function tampered(signed: SignedVoluntaryExitJson): SignedVoluntaryExitJson {
  const bytes = getBytes(signed.signature);
  bytes[95] ^= 1;
  return { ...signed, signature: hexlify(bytes) };
}

/** Keystores of `keys` in a new folder (and a deposit-data file, which the loader skips). */
async function keystoreFolder(keys: SecretKey[]): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-exit-keys-"));
  for (const [i, sk] of keys.entries()) {
    const keystore = await keystoreFor(
      sk.toBytes(),
      sk.toPublicKey().toBytes(),
      `m/12381/3600/${i}/0/0`,
      PASSWORD,
      FAST_KDF,
    );
    fs.writeFileSync(path.join(dir, `keystore-m_12381_3600_${i}_0_0.json`), JSON.stringify(keystore));
  }
  fs.writeFileSync(path.join(dir, "deposit_data-1.json"), "[]");
  return dir;
}

describe("Voluntary exits (signing, the local chain's pool, the operators' exits)", function () {
  this.timeout(120_000);

  describe("signing (EIP-7044: DOMAIN_VOLUNTARY_EXIT with the Capella fork version)", function () {
    it("computes mainnet's voluntary-exit domain, as compute_domain does it by hand", async function () {
      const domain = hexlify(await voluntaryExitDomain(MAINNET));
      expect(domain).to.equal("0x04000000bba4da96354c9f25476cf1bc69bf583a7f9e0af049305b62de676640");
      const forkDataRoot = sha256(concat([MAINNET.capellaForkVersion, new Uint8Array(28), MAINNET_GVR]));
      expect(domain).to.equal(hexlify(concat(["0x04000000", getBytes(forkDataRoot).slice(0, 28)])));
      expect(CAPELLA_FORK_VERSIONS.mainnet).to.equal(MAINNET.capellaForkVersion);
    });

    it("signs the SigningData root of VoluntaryExit{epoch, validator_index}", async function () {
      const exit = { epoch: 194_048n, validatorIndex: 123_456 };
      const objectRoot = sha256(concat([uint64Chunk(exit.epoch), uint64Chunk(BigInt(exit.validatorIndex))]));
      const expected = sha256(concat([objectRoot, await voluntaryExitDomain(MAINNET)]));
      expect(hexlify(await voluntaryExitSigningRoot(exit, MAINNET))).to.equal(expected);
      const sk = testSecretKey("exit", 0);
      const signed = await signVoluntaryExit(sk, exit, MAINNET);
      expect(signed.message).to.deep.equal({ epoch: "194048", validator_index: "123456" });
      expect(signed.signature).to.equal(hexlify(sk.sign(getBytes(expected)).toBytes()));
    });

    it("a library-made signature verifies; a tampered one, another fork's or another message's does not", async function () {
      const sk = testSecretKey("exit", 1);
      const pk = sk.toPublicKey().toBytes();
      const exit = { epoch: 10n, validatorIndex: 3 };
      const signed = await signVoluntaryExit(sk, exit, LOCAL);
      const parsed = await parseSignedVoluntaryExit(signed);
      expect(parsed).to.deep.equal({ exit, signature: signed.signature });
      expect(await verifyVoluntaryExit(pk, exit, signed.signature, LOCAL)).to.equal(true);
      expect(await verifyVoluntaryExit(pk, exit, tampered(signed).signature, LOCAL)).to.equal(false);
      expect(await verifyVoluntaryExit(pk, { ...exit, epoch: 11n }, signed.signature, LOCAL)).to.equal(false);
      // Signed for the genesis fork version (pre-Capella domain) or another chain: refused.
      expect(
        await verifyVoluntaryExit(pk, exit, signed.signature, { ...LOCAL, capellaForkVersion: "0x00000000" }),
      ).to.equal(false);
      expect(await verifyVoluntaryExit(pk, exit, signed.signature, MAINNET)).to.equal(false);
      expect(
        await verifyVoluntaryExit(testSecretKey("exit", 2).toPublicKey().toBytes(), exit, signed.signature, LOCAL),
      ).to.equal(false);
    });
  });

  describe("the local chain's POST /eth/v1/beacon/pool/voluntary_exits", function () {
    const GENESIS = 1_700_000_000n;
    let chain: BeaconChain;
    let api: BeaconApi;

    /** Four validators active from epoch 2, a fifth deposited at epoch 9 (pending until 11), head at epoch 10. */
    beforeEach(async function () {
      chain = new BeaconChain({
        genesisTime: GENESIS,
        activationDelayEpochs: 2n,
        shardCommitteePeriodEpochs: 8n,
        exitDelayEpochs: 2n,
      });
      chain.applyDeposits([0, 1, 2, 3].map((i) => depositEvent("pool", i)));
      chain.advanceToEpoch(9n);
      chain.applyDeposits([depositEvent("pool", 4)]);
      chain.advanceToEpoch(10n);
      api = await startBeaconApi(chain);
    });

    afterEach(async function () {
      await api.close();
    });

    async function post(body: unknown): Promise<{ status: number; body: unknown }> {
      const res = await fetch(`${api.url}/eth/v1/beacon/pool/voluntary_exits`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    }

    const sign = (i: number, epoch = 10n, fork = LOCAL) =>
      signVoluntaryExit(testSecretKey("pool", i), { epoch, validatorIndex: i }, fork);

    async function expectRefused(body: unknown, message: string): Promise<void> {
      const before = chain.head().validators.map((v) => v.exitEpoch);
      expect(await post(body)).to.deep.equal({ status: 400, body: { code: 400, message } });
      expect(chain.head().validators.map((v) => v.exitEpoch)).to.deep.equal(before); // nothing changed
    }

    it("serves the fork an exit is signed for", async function () {
      const spec = (await (await fetch(`${api.url}/eth/v1/config/spec`)).json()) as { data: Record<string, string> };
      expect(spec.data.CAPELLA_FORK_VERSION).to.equal("0x03000000");
      expect(spec.data.SHARD_COMMITTEE_PERIOD).to.equal("8");
    });

    it("accepts a valid signed exit and starts the exit as exit(pubkey) does", async function () {
      expect(await post(await sign(0, 9n))).to.deep.equal({ status: 200, body: {} });
      const v = chain.validatorAt(0)!;
      expect(v.exitEpoch).to.equal(12n); // epoch 10 + exitDelay 2
      expect(v.withdrawableEpoch).to.equal(12n + chain.config.withdrawabilityDelayEpochs);
      expect(validatorStatus(v, chain.epoch)).to.equal("active_exiting");
      chain.exit(chain.validatorAt(1)!.pubkey); // the same exit, started directly
      const w = chain.validatorAt(1)!;
      expect([w.exitEpoch, w.withdrawableEpoch]).to.deep.equal([v.exitEpoch, v.withdrawableEpoch]);
    });

    it("refuses a tampered signature, another fork's, and another validator's", async function () {
      await expectRefused(
        tampered(await sign(0)),
        "Invalid voluntary exit: the signature is not validator 0's over this exit (domain: Capella fork version 0x03000000, genesis validators root 0x0000000000000000000000000000000000000000000000000000000000000000)",
      );
      await expectRefused(
        await sign(0, 10n, { ...LOCAL, capellaForkVersion: "0x00000000" }),
        "Invalid voluntary exit: the signature is not validator 0's over this exit (domain: Capella fork version 0x03000000, genesis validators root 0x0000000000000000000000000000000000000000000000000000000000000000)",
      );
      await expectRefused(
        await sign(0, 10n, MAINNET),
        "Invalid voluntary exit: the signature is not validator 0's over this exit (domain: Capella fork version 0x03000000, genesis validators root 0x0000000000000000000000000000000000000000000000000000000000000000)",
      );
      const byOther = await signVoluntaryExit(testSecretKey("pool", 1), { epoch: 10n, validatorIndex: 0 }, LOCAL);
      await expectRefused(
        byOther,
        "Invalid voluntary exit: the signature is not validator 0's over this exit (domain: Capella fork version 0x03000000, genesis validators root 0x0000000000000000000000000000000000000000000000000000000000000000)",
      );
    });

    it("refuses an unknown index, a pending validator, one already exiting, a future epoch, a young validator", async function () {
      await expectRefused(
        await signVoluntaryExit(testSecretKey("pool", 0), { epoch: 10n, validatorIndex: 99 }, LOCAL),
        "Invalid voluntary exit: validator 99 is unknown",
      );
      await expectRefused(await sign(4), "Invalid voluntary exit: validator 4 is pending_queued, not active");
      expect((await post(await sign(2))).status).to.equal(200);
      await expectRefused(await sign(2), "Invalid voluntary exit: validator 2 is already exiting (active_exiting)");
      await expectRefused(
        await sign(3, 11n),
        "Invalid voluntary exit: the exit's epoch 11 is after the current epoch 10",
      );
      // Active since epoch 2: SHARD_COMMITTEE_PERIOD (8) ends at epoch 10. Past it here; not on this chain.
      const young = new BeaconChain({
        genesisTime: GENESIS,
        activationDelayEpochs: 1n,
        shardCommitteePeriodEpochs: 256n,
      });
      young.applyDeposits([depositEvent("pool", 0)]);
      young.advanceToEpoch(10n);
      const youngApi = await startBeaconApi(young);
      try {
        const res = await fetch(`${youngApi.url}/eth/v1/beacon/pool/voluntary_exits`, {
          method: "POST",
          body: JSON.stringify(await sign(0)),
        });
        expect({ status: res.status, body: await res.json() }).to.deep.equal({
          status: 400,
          body: {
            code: 400,
            message:
              "Invalid voluntary exit: validator 0 has been active for less than SHARD_COMMITTEE_PERIOD (256 epochs): it may exit from epoch 257",
          },
        });
        expect(young.validatorAt(0)!.exitEpoch).to.equal(FAR_FUTURE_EPOCH);
      } finally {
        await youngApi.close();
      }
    });

    it("refuses a body that is not a SignedVoluntaryExit", async function () {
      await expectRefused("{", "request body is not JSON");
      const valid = await sign(0);
      const refused = await post({ message: valid.message });
      expect(refused.status).to.equal(400);
      expect((refused.body as { message: string }).message).to.match(/^Invalid voluntary exit: /);
      expect((await post({ ...valid, signature: "0x1234" })).status).to.equal(400);
      expect(chain.validatorAt(0)!.exitEpoch).to.equal(FAR_FUTURE_EPOCH);
    });

    it("exitValidator: from keystores, by index or pubkey, for the node's head epoch; refuses what it cannot exit", async function () {
      const dir = await keystoreFolder([0, 1, 2].map((i) => testSecretKey("pool", i)));
      try {
        const keys = await loadKeystores(dir, PASSWORD);
        expect([...keys.keys()]).to.have.members([0, 1, 2].map((i) => chain.validatorAt(i)!.pubkey));
        const byIndex = await exitValidator(api.url, keys, "1");
        expect(byIndex).to.deep.include({ validatorIndex: 1, pubkey: chain.validatorAt(1)!.pubkey, epoch: 10n });
        expect(byIndex.signed.message).to.deep.equal({ epoch: "10", validator_index: "1" });
        expect(chain.validatorAt(1)!.exitEpoch).to.equal(12n);
        await exitValidator(api.url, keys, chain.validatorAt(2)!.pubkey);
        expect(chain.validatorAt(2)!.exitEpoch).to.equal(12n);
        const refusal = (id: string) =>
          exitValidator(api.url, keys, id).then(
            () => "exited",
            (e: Error) => e.message,
          );
        expect(await refusal("1")).to.equal(
          "validator 1 is active_exiting: only an active validator that is not exiting can exit",
        );
        expect(await refusal("3")).to.equal(`no keystore for validator 3 (${chain.validatorAt(3)!.pubkey})`);
        expect(await refusal("42")).to.equal("the Beacon API knows no validator 42");
        expect(await loadKeystores(dir, "wrong password").catch((e: Error) => e.message)).to.equal(
          "cannot decrypt keystore-m_12381_3600_0_0_0.json: wrong password or not an EIP-2335 keystore",
        );
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-exit-empty-"));
        expect(await loadKeystores(empty, PASSWORD).catch((e: Error) => e.message)).to.equal(
          `no EIP-2335 keystore in ${empty}`,
        );
        fs.rmSync(empty, { recursive: true });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("the exits bot on the local chains (nobody else exits the validators)", function () {
    const CONFIG = {
      activationDelayEpochs: 1n,
      shardCommitteePeriodEpochs: 0n,
      exitDelayEpochs: 2n,
      withdrawabilityDelayEpochs: 4n,
      sweepIntervalEpochs: 1n,
    };
    const NOW = new Date("2026-12-07T12:00:00.000Z");
    let snapshot: string;
    let t: Tidepool;
    let local: LocalBeacon;
    let reportCtx: ReportContext;
    const dirs: string[] = [];

    before(async function () {
      snapshot = (await hre.network.provider.send("evm_snapshot", [])) as string;
      ({ t, local } = await deployWithBeacon(CONFIG, undefined, { exitRequests: "operators" }));
      reportCtx = {
        beacon: await connectBeacon(local.api.url),
        provider: hre.ethers.provider,
        contracts: t,
        index: new KeyIndex(),
      };
      await report(); // the eight validators, active
    });

    after(async function () {
      await local?.close();
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
      await hre.network.provider.send("evm_revert", [snapshot]);
    });

    async function report() {
      await advanceToNextFrame(local);
      const [m1, m2] = t.oracleMembers;
      await reportOnce(reportCtx, m1);
      const second = await reportOnce(reportCtx, m2);
      if (second.status !== "submitted" || !second.applied) throw new Error(`report not applied: ${second.status}`);
      return second.report.data;
    }

    const pubkeyOf = async (operatorId: bigint, keyIndex: bigint) =>
      (await t.registry.getSigningKey(operatorId, keyIndex)).pubkey.toLowerCase();
    const short = (pubkey: string) => `${pubkey.slice(0, 10)}…${pubkey.slice(-4)}`;
    const outcomes = (actions: BotAction[]) => actions.map((a) => [a.keyIndex, a.outcome]);

    it("signs and submits the exits the report asks of its operator, once per key; keys it lacks are left", async function () {
      const [holder] = t.users;
      const queue = t.withdrawalQueue;
      await (await t.pool.connect(holder).approve(await queue.getAddress(), parseEther("100"))).wait();
      await (await queue.connect(holder).requestWithdrawals([parseEther("100")], holder.address)).wait();
      const data = await report();
      // Three exits, spread: A #0, B #0, A #1.
      const asked = data.exitOperatorIds.map((id, i) => [BigInt(id), BigInt(data.exitKeyIndices[i])]);
      expect(asked).to.deep.equal([
        [0n, 0n],
        [1n, 0n],
        [0n, 1n],
      ]);
      const [a0, a1, b0] = [await pubkeyOf(0n, 0n), await pubkeyOf(0n, 1n), await pubkeyOf(1n, 0n)];
      // The chains move on: nobody exits the validators by itself.
      await advanceSlots(local, SLOTS_PER_EPOCH);
      for (const pk of [a0, a1, b0]) expect(local.chain.validator(pk)!.exitEpoch).to.equal(FAR_FUTURE_EPOCH);

      // Operator A holds the keystores of its keys 0, 2 and 3 (not 1); B of all four.
      const aDir = await keystoreFolder([0, 2, 3].map((i) => testSecretKey("A", i)));
      const bDir = await keystoreFolder([0, 1, 2, 3].map((i) => testSecretKey("B", i)));
      dirs.push(aDir, bDir);
      const lines: string[] = [];
      const bot = (operatorId: bigint, dir: string) =>
        loadKeystores(dir, PASSWORD).then(
          (keys) =>
            new ExitsBot({
              oracle: t.oracle,
              beaconUrl: local.api.url,
              operatorId,
              keys,
              log: (line) => lines.push(line),
              now: () => NOW,
            }),
        );
      const [botA, botB] = [await bot(0n, aDir), await bot(1n, bDir)];
      const epoch = local.chain.epoch;
      expect(outcomes(await botA.tick())).to.deep.equal([
        [0n, "submitted"],
        [1n, "no_keystore"],
      ]);
      expect(outcomes(await botB.tick())).to.deep.equal([[0n, "submitted"]]);
      const index = (pk: string) => local.chain.validator(pk)!.index;
      expect(lines).to.deep.equal([
        `2026-12-07T12:00:00.000Z operator 0: exit requested for key 0 (${short(a0)}): signed exit of validator ${index(a0)} at epoch ${epoch} submitted`,
        `2026-12-07T12:00:00.000Z operator 0: exit requested for key 1 (${short(a1)}): no keystore here, not exited`,
        `2026-12-07T12:00:00.000Z operator 1: exit requested for key 0 (${short(b0)}): signed exit of validator ${index(b0)} at epoch ${epoch} submitted`,
      ]);
      for (const pk of [a0, b0]) {
        const v = local.chain.validator(pk)!;
        expect(v.exitEpoch).to.equal(epoch + CONFIG.exitDelayEpochs);
        expect(validatorStatus(v, local.chain.epoch)).to.equal("active_exiting");
      }
      expect(local.chain.validator(a1)!.exitEpoch).to.equal(FAR_FUTURE_EPOCH);
      // Once per key: the next passes do nothing.
      lines.length = 0;
      expect(await botA.tick()).to.deep.equal([]);
      expect(await botB.tick()).to.deep.equal([]);
      expect(lines).to.deep.equal([]);
      // A new bot (a restart) finds the keys exiting already: logged, not submitted again.
      const restarted = await bot(0n, aDir);
      expect(outcomes(await restarted.tick())).to.deep.equal([
        [0n, "not_active"],
        [1n, "no_keystore"],
      ]);
      expect(lines[0]).to.equal(
        `2026-12-07T12:00:00.000Z operator 0: exit requested for key 0 (${short(a0)}): validator ${index(a0)} is active_exiting, nothing to do`,
      );
    });

    it("a failed submission is logged and retried on the next pass", async function () {
      const dir = await keystoreFolder([testSecretKey("B", 0)]);
      dirs.push(dir);
      const b0 = await pubkeyOf(1n, 0n);
      const lines: string[] = [];
      const bot = new ExitsBot({
        oracle: t.oracle,
        beaconUrl: "http://127.0.0.1:1", // no node there
        operatorId: 1n,
        keys: await loadKeystores(dir, PASSWORD),
        log: (line) => lines.push(line),
        now: () => NOW,
      });
      const failed = `2026-12-07T12:00:00.000Z operator 1: exit requested for key 0 (${short(b0)}): cannot reach the Beacon API at http://127.0.0.1:1; retrying next pass`;
      expect(outcomes(await bot.tick())).to.deep.equal([[0n, "failed"]]);
      expect(outcomes(await bot.tick())).to.deep.equal([[0n, "failed"]]);
      expect(lines).to.deep.equal([failed, failed]);
    });

    it("the tasks: operator-exit prints what it submitted; operator-exits-bot --once acts on the requests", async function () {
      const dir = await keystoreFolder([0, 1, 2, 3].map((i) => testSecretKey("A", i)));
      dirs.push(dir);
      const passwordFile = path.join(dir, "password.txt");
      fs.writeFileSync(passwordFile, `${PASSWORD}\n`);
      const a3 = await pubkeyOf(0n, 3n);
      const index = local.chain.validator(a3)!.index;
      const epoch = local.chain.epoch;
      const out = await runTask("operator-exit", {
        keystores: dir,
        validator: String(index),
        beacon: local.api.url,
        passwordFile,
      });
      const [first, json] = out.split("\n");
      expect(first).to.equal(
        `Submitted the voluntary exit of validator ${index} (${a3}) at epoch ${epoch}, signed for Capella fork version 0x03000000 and genesis validators root ${ZeroHash}:`,
      );
      const signed = JSON.parse(json) as SignedVoluntaryExitJson;
      expect(signed.message).to.deep.equal({ epoch: String(epoch), validator_index: String(index) });
      expect(await verifyVoluntaryExit(a3, { epoch, validatorIndex: index }, signed.signature, LOCAL)).to.equal(true);
      expect(local.chain.validator(a3)!.exitEpoch).to.equal(epoch + CONFIG.exitDelayEpochs);
      expect(
        await taskError("operator-exit", {
          keystores: dir,
          validator: String(index),
          beacon: local.api.url,
          passwordFile,
        }),
      ).to.equal(`validator ${index} is active_exiting: only an active validator that is not exiting can exit`);

      // The bot with all of A's keys: A #1 (asked before, no keystore then) is exited now; A #0 is exiting.
      const pool = t.poolAddress;
      const botOut = await runTask("operator-exits-bot", {
        operator: "0",
        keystores: dir,
        beacon: local.api.url,
        passwordFile,
        once: true,
        pool,
      });
      const a1 = await pubkeyOf(0n, 1n);
      const botLines = botOut.split("\n");
      expect(botLines).to.have.length(2);
      expect(botLines[0]).to.match(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z operator 0: exit requested for key 0 \(.*\): validator \d+ is active_exiting, nothing to do$/,
      );
      expect(botLines[1]).to.match(
        new RegExp(
          `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z operator 0: exit requested for key 1 \\(${short(a1)}\\): signed exit of validator ${local.chain.validator(a1)!.index} at epoch ${local.chain.epoch} submitted$`,
        ),
      );
      expect(validatorStatus(local.chain.validator(a1)!, local.chain.epoch)).to.equal("active_exiting");
      expect(
        await runTask("operator-exits-bot", {
          operator: "1",
          keystores: dir,
          beacon: local.api.url,
          passwordFile,
          once: true,
          pool,
        }),
      ).to.match(/operator 1: exit requested for key 0 \(.*\): no keystore here, not exited$/);
      expect(
        await taskError("operator-exits-bot", { operator: "5", keystores: dir, passwordFile, once: true, pool }),
      ).to.equal("there is no operator 5 (the registry has 2)");
      // From the command line without --password-file: the password is asked for on stderr and read
      // from stdin (a pipe here), never echoed; stdin that ends first is one sentence, exit code 1.
      const b2 = await pubkeyOf(1n, 2n);
      const bDir = await keystoreFolder([testSecretKey("B", 2)]);
      dirs.push(bDir);
      const cli = (input: string) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [
              require.resolve("hardhat/internal/cli/bootstrap.js"),
              "operator-exit",
              "--keystores",
              bDir,
              "--validator",
              b2,
              "--beacon",
              local.api.url,
            ],
            { cwd: hre.config.paths.root, env: { ...process.env, NO_COLOR: "1" } },
          );
          let [stdout, stderr] = ["", ""];
          child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
          child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
          child.on("error", reject);
          child.on("close", (code) => resolve({ code, stdout, stderr }));
          child.stdin.end(input);
        });
      const closed = await cli("");
      expect(closed.code).to.equal(1);
      expect(closed.stderr).to.equal(
        "Keystore password: \nError: no keystore password: type it when asked, or give --password-file <file>\n",
      );
      expect(local.chain.validator(b2)!.exitEpoch).to.equal(FAR_FUTURE_EPOCH);
      const typed = await cli(`${PASSWORD}\n`);
      expect(typed.code, typed.stderr).to.equal(0);
      expect(typed.stderr).to.equal("Keystore password: \n");
      expect(typed.stdout).to.not.include(PASSWORD);
      expect(typed.stdout.split("\n")[0]).to.match(
        new RegExp(
          `^Submitted the voluntary exit of validator ${local.chain.validator(b2)!.index} \\(${b2}\\) at epoch \\d+, signed for`,
        ),
      );
      expect(validatorStatus(local.chain.validator(b2)!, local.chain.epoch)).to.equal("active_exiting");
      expect(await taskError("operator-exit", { keystores: dir, validator: "abc", passwordFile })).to.equal(
        '--validator must be a validator index or a 48-byte 0x-hex pubkey, got "abc"',
      );
    });
  });
});
