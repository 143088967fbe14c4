/**
 * The operator tasks that read a Beacon API, on the local chains (beacon chain with its real state,
 * EIP-4788 roots and the EIP-7002 predeploy in every mined block): operator-exits (the oracle's exit
 * requests with the deadline BeaconFacts applies and each one's status as it moves: requested, late,
 * proven late and forced, exiting) and operator-vet --beacon (keys already on the beacon chain).
 */
import { expect } from "chai";
import hre from "hardhat";
import { parseEther } from "ethers";
import type { Tidepool } from "../../deploy/protocol";
import { advanceSlots, advanceToNextFrame, type LocalBeacon } from "../../offchain/beacon/local";
import { GENESIS_FORK_VERSIONS, signDeposit, testKeyBatch, testSecretKey } from "../../offchain/keys/bls";
import { withdrawalCredentialsFor } from "../../offchain/keys/deposit";
import { connectBeacon } from "../../offchain/oracle/beacon";
import type { ReportContext } from "../../offchain/oracle/report";
import { reportOnce } from "../../offchain/oracle/service";
import { proveKeyFact, type FactsContext } from "../../offchain/prover/facts";
import { duration, markdownTable } from "../../sdk/src/format";
import { relativeTime, utcTime } from "../../sdk/src/operators";
import { deployWithBeacon } from "../helpers/beacon-fixtures";
import { closedPort, runTask, taskError } from "../helpers/tasks";
import { KeyIndex } from "../../offchain/oracle/key-index";

/** Short delays: validators activate and exit within a few epochs. */
const CONFIG = { activationDelayEpochs: 1n, shardCommitteePeriodEpochs: 0n, exitDelayEpochs: 2n };
const EPOCH_SECONDS = 32n * 12n;

describe("Tasks: operator-exits and operator-vet --beacon on the local chains", function () {
  this.timeout(240_000);

  let t: Tidepool;
  /** The chain before this file: reverted to after, so the predeploy and time leave with it. */
  let snapshot: string;
  let local: LocalBeacon;
  let pool: string;
  let beacon: string;
  let reportCtx: ReportContext;
  /** Operator 0's exit requests as the oracle logged them: key, pubkey, block time of the report. */
  let requested: { keyIndex: bigint; pubkey: string; appliedAt: bigint }[];

  before(async function () {
    snapshot = (await hre.network.provider.send("evm_snapshot", [])) as string;
    delete process.env.BEACON_URL;
    ({ t, local } = await deployWithBeacon(CONFIG, undefined, { systemCalls: true }));
    pool = t.poolAddress;
    beacon = local.api.url;
    // Operator 0 ignores the oracle's exit requests; operator 1 exits at once.
    for (let i = 0n; i < 4n; i++) {
      local.bridge.ignoredExitRequests.add((await t.registry.getSigningKey(0n, i)).pubkey.toLowerCase());
    }
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
    await hre.network.provider.send("evm_revert", [snapshot]);
  });

  /** The next frame's report, built by the oracle service and applied by two members. */
  async function report(): Promise<void> {
    await advanceToNextFrame(local);
    const [m1, m2] = t.oracleMembers;
    const first = await reportOnce(reportCtx, m1);
    const second = await reportOnce(reportCtx, m2);
    if (first.status !== "submitted" || second.status !== "submitted") {
      throw new Error(`report not submitted: ${first.status}, ${second.status}`);
    }
    expect(second.applied).to.equal(true);
  }

  /** The latest block: its number and time, what the task reads as "now". */
  async function latest(): Promise<{ number: number; now: bigint }> {
    const block = (await hre.ethers.provider.getBlock("latest"))!;
    return { number: block.number, now: BigInt(block.timestamp) };
  }

  /** The deadline BeaconFacts applies, computed here from the beacon chain's activation epoch. */
  async function deadlineOf(pubkey: string, appliedAt: bigint): Promise<bigint> {
    const genesis = await t.facts.genesisTimestamp();
    const activation = local.chain.validator(pubkey)!.activationEpoch;
    const exitableFrom = genesis + (activation + 256n) * EPOCH_SECONDS;
    return (
      (appliedAt > exitableFrom ? appliedAt : exitableFrom) + (await t.facts.exitSettings()).lateExitDeadlineSeconds
    );
  }

  /** What operator-exits prints for operator 0, each key's status given. */
  async function expectedExits(statuses: string[]): Promise<string> {
    const { number, now } = await latest();
    const rows: string[][] = [];
    for (const [i, r] of requested.entries()) {
      const deadline = await deadlineOf(r.pubkey, r.appliedAt);
      rows.push([
        r.keyIndex.toString(),
        r.pubkey,
        `${utcTime(r.appliedAt)} (${relativeTime(r.appliedAt, now)})`,
        `${utcTime(deadline)} (${relativeTime(deadline, now)})`,
        statuses[i],
      ]);
    }
    return [
      `Operator 0 ("A"): ${requested.length} exit requests (blocks 0–${number})`,
      markdownTable(["key", "pubkey", "requested", "deadline", "status"], rows),
      "Exit each requested validator before its deadline (4d after the request, or after the validator's activation" +
        " + 256 epochs if later). After it, anyone may prove the exit late: the validator is forced out through EIP-7002" +
        " (the prover's fee repaid from the bond), 0.1 ETH of the bond goes to the insurance fund, and the operator's deposits" +
        " are held until the exit is proven.",
    ].join("\n");
  }

  it("operator-exits: none yet, said in one line", async function () {
    const { number } = await latest();
    expect(await runTask("operator-exits", { operator: "0", beacon, pool })).to.equal(
      `Operator 0 ("A") has no exit requests (blocks 0–${number} read).`,
    );
  });

  it("operator-exits: each request with its key, pubkey, time, the contract's deadline and its status", async function () {
    const settings = await t.facts.exitSettings();
    expect([duration(settings.lateExitDeadlineSeconds), settings.lateExitPenaltyWei]).to.deep.equal([
      "4d",
      parseEther("0.1"),
    ]);
    // A request beyond the buffer: the next report asks four validators to exit, two of each operator.
    const [holder] = t.users;
    const queue = t.withdrawalQueue;
    await (await t.pool.connect(holder).approve(await queue.getAddress(), parseEther("130"))).wait();
    await (await queue.connect(holder).requestWithdrawals([parseEther("130")], holder.address)).wait();
    await report();
    const logs = await t.oracle.queryFilter(t.oracle.filters.ValidatorExitRequested());
    expect(logs.map((l) => [l.args.operatorId, l.args.keyIndex])).to.deep.equal([
      [0n, 0n],
      [1n, 0n],
      [0n, 1n],
      [1n, 1n],
    ]);
    const appliedAt = BigInt((await hre.ethers.provider.getBlock(logs[0].blockNumber))!.timestamp);
    requested = logs
      .filter((l) => l.args.operatorId === 0n)
      .map((l) => ({ keyIndex: l.args.keyIndex, pubkey: l.args.pubkey.toLowerCase(), appliedAt }));
    expect(await runTask("operator-exits", { operator: "0", beacon, pool })).to.equal(
      await expectedExits(["requested", "requested"]),
    );

    // Operator 1 exits at once: its keys are exiting on the beacon chain.
    await advanceSlots(local);
    const out = (await runTask("operator-exits", { operator: "1", beacon, pool })).split("\n");
    const { now } = await latest();
    expect(out[0]).to.match(/^Operator 1 \("B"\): 2 exit requests \(blocks 0–\d+\)$/);
    for (const key of [0n, 1n]) {
      const pubkey = (await t.registry.getSigningKey(1n, key)).pubkey.toLowerCase();
      const exitEpoch = local.chain.validator(pubkey)!.exitEpoch;
      const deadline = await deadlineOf(pubkey, appliedAt);
      expect(out[3 + Number(key)]).to.equal(
        `| ${key} | ${pubkey} | ${utcTime(appliedAt)} (${relativeTime(appliedAt, now)}) | ${utcTime(deadline)} (${relativeTime(deadline, now)}) | exiting (exit epoch ${exitEpoch}) |`,
      );
    }
  });

  it("operator-exits: past the deadline, late; proven late, forced (the others still late)", async function () {
    const deadline = await deadlineOf(requested[0].pubkey, requested[0].appliedAt);
    await local.bridge.advanceTo(deadline + 12n);
    await advanceSlots(local);
    await advanceSlots(local);
    expect(await runTask("operator-exits", { operator: "0", beacon, pool })).to.equal(
      await expectedExits(["late: may be proven", "late: may be proven"]),
    );
    const ctx: FactsContext = {
      beaconUrl: beacon,
      provider: hre.ethers.provider,
      contracts: { facts: t.facts, registry: t.registry, oracle: t.oracle },
    };
    await proveKeyFact(ctx, t.users[5], "late", 0n, requested[0].keyIndex);
    expect(await t.facts.keyFacts(0n, requested[0].keyIndex)).to.equal(4n);
    expect(await runTask("operator-exits", { operator: "0", beacon, pool })).to.equal(
      await expectedExits(["proven late and forced", "late: may be proven"]),
    );
  });

  it("operator-exits: bad arguments and an unreachable Beacon API in one sentence", async function () {
    const port = await closedPort();
    const error = await taskError("operator-exits", { operator: "0", beacon: `http://127.0.0.1:${port}`, pool });
    expect(error).to.match(
      /^the Beacon API did not answer POST \/eth\/v1\/beacon\/states\/head\/validators: .+: pass --beacon <url> \(or set BEACON_URL\) to a beacon node's API$/,
    );
    expect(error).to.include(`127.0.0.1:${port}`);
    expect(await taskError("operator-exits", { operator: "0", beacon: "ftp://x", pool })).to.equal(
      '--beacon must be an http(s) URL, got "ftp://x"',
    );
    expect(await taskError("operator-exits", { operator: "0", fromBlock: "-3", beacon, pool })).to.equal(
      '--from-block must be an integer of at least 0, got "-3"',
    );
    expect(await taskError("operator-exits", { operator: "9", beacon, pool })).to.equal(
      "operator 9 does not exist (the registry has 2 operators)",
    );
  });

  it("operator-vet --beacon: a key with the pool's credentials is counted, one with other credentials refused", async function () {
    // Operator C: three unvetted keys; #1 front-run with the pool's credentials, #2 with C's own.
    const operatorC = t.users[4];
    await (await t.registry.connect(t.admin).addNodeOperator("C", operatorC.address)).wait();
    const credentials = await t.pool.withdrawalCredentials();
    const keys = testKeyBatch("C", 0, 3, credentials);
    await (await t.registry.connect(operatorC).addSigningKeys(2n, 3n, keys.pubkeys, keys.signatures)).wait();
    const own = withdrawalCredentialsFor(operatorC.address);
    for (const [i, wc] of [
      [1, credentials],
      [2, own],
    ] as const) {
      const d = signDeposit(testSecretKey("C", i), wc, GENESIS_FORK_VERSIONS.mainnet, 10n ** 9n);
      await (
        await t.depositContract
          .connect(operatorC)
          .deposit(d.pubkey, wc, d.signature, d.depositDataRoot, { value: parseEther("1") })
      ).wait();
    }
    await advanceSlots(local);
    const foreign = local.chain.validator(keys.deposits[2].pubkey as string)!;
    const head = (n: string, block: number) => [
      `Operator 2 ("C"): keys ${n} checked at block ${block}:`,
      `  deposit signatures: ${n === "#0" ? "it verifies" : "all 2 verify"} for mainnet and the pool's withdrawal credentials ${credentials}`,
      "  pubkeys: no repeats",
    ];

    const one = (await runTask("operator-vet", { operator: "2", keys: "1", beacon, pool })).split("\n");
    const block = (await latest()).number;
    expect(one.slice(0, 4)).to.deep.equal([...head("#0", block), "  beacon chain: no validator has any of these keys"]);
    const two = (await runTask("operator-vet", { operator: "2", keys: "2", beacon, pool })).split("\n");
    expect(two.slice(0, 4)).to.deep.equal([
      ...head("#0–#1", block),
      "  beacon chain: 1 key already has a validator with the pool's withdrawal credentials, none with others",
    ]);
    expect(await taskError("operator-vet", { operator: "2", keys: "all", yes: true, beacon, pool })).to.equal(
      `keys #0–#2 of operator 2 cannot be vetted: key #2: validator ${foreign.index} is already on the beacon chain with other withdrawal credentials ${own.toLowerCase()}; nothing sent`,
    );
    expect((await t.registry.getNodeOperator(2n)).vettedKeys).to.equal(0n);
  });
});
