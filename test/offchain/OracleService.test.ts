/**
 * The oracle service end to end against the local beacon chain: for every frame of a scripted
 * fortnight (deposits, rewards and skims, EL tips, a slashing, bunker mode, withdrawals that need
 * exits, the exits themselves) the report the service builds through the Beacon API equals what an
 * independent calculation from the beacon chain's own state and the execution chain gives, and the
 * committee applies it.
 */
import { expect } from "chai";
import hre from "hardhat";
import { parseEther } from "ethers";
import type { Tidepool } from "../../deploy/protocol";
import { deployWithBeacon } from "../helpers/beacon-fixtures";
import { buildReport, exitedKeysEntry, keyLossEntry, type ReportData } from "../../sdk/src/report";
import { SLOTS_PER_EPOCH, validatorStatus, type Validator } from "../../offchain/beacon/chain";
import { advanceToNextFrame, type LocalBeacon } from "../../offchain/beacon/local";
import { connectBeacon, type BeaconReader } from "../../offchain/oracle/beacon";
import { reportOnce } from "../../offchain/oracle/service";
import type { ReportContext } from "../../offchain/oracle/report";
import { KeyIndex } from "../../offchain/oracle/key-index";

const GWEI = 10n ** 9n;
const ETH32_GWEI = 32n * GWEI;
/** EPOCHS_PER_SLASHINGS_VECTOR: the correlation penalty lands 300 epochs after a slashing, in the second frame after it. */
const VECTOR = 600n;

interface Frame {
  refSlot: bigint;
  refBlock: number;
  prevRefSlot?: bigint;
}

describe("Oracle service against the local beacon chain", function () {
  let t: Tidepool;
  let local: LocalBeacon;
  let beacon: BeaconReader;
  let ctx: ReportContext;
  let prevRefSlot: bigint | undefined;
  let keyOwner: Map<string, [bigint, bigint]>; // pubkey → [operator id, key index]
  let holder: Tidepool["users"][number];
  /** What each key has been charged so far (pubkey → gwei), kept by this test from the reports applied. */
  const charged = new Map<string, bigint>();

  before(async function () {
    ({ t, local } = await deployWithBeacon({
      rewardAprBP: 400n,
      activationDelayEpochs: 5n,
      exitDelayEpochs: 5n,
      withdrawabilityDelayEpochs: 16n,
      epochsPerSlashingsVector: VECTOR,
      sweepIntervalEpochs: 25n,
    }));
    holder = t.users[0];
    beacon = await connectBeacon(local.api.url);
    ctx = { beacon, provider: hre.ethers.provider, contracts: t, index: new KeyIndex() };
    expect((await t.pool.getBeaconStat())[0]).to.equal(8n);
    keyOwner = new Map();
    for (const id of [0n, 1n]) {
      for (let i = 0n; i < 4n; i++) keyOwner.set((await t.registry.getSigningKey(id, i)).pubkey.toLowerCase(), [id, i]);
    }
  });

  after(async function () {
    await local?.close();
  });

  /** The report computed from the simulator's state and the execution chain, without the service. */
  async function independentReport(
    frame: Frame,
    expected: { lastRequestId: bigint; exits: [bigint, bigint][] },
  ): Promise<ReportData> {
    const credentials = (await t.pool.withdrawalCredentials()).toLowerCase();
    const state = local.chain.stateAtSlot(frame.refSlot)!;
    const ours = state.validators.filter((v) => v.withdrawalCredentials === credentials);
    // Each slashed key owes its loss to date (32 ETH − balance) less what it was charged before.
    const losses = new Map<bigint, bigint>();
    const keyLosses: bigint[] = [];
    const sorted = [...ours].sort((a, b) => {
      const [x, y] = [keyOwner.get(a.pubkey)!, keyOwner.get(b.pubkey)!];
      return x[0] !== y[0] ? (x[0] < y[0] ? -1 : 1) : x[1] < y[1] ? -1 : 1;
    });
    for (const v of sorted) {
      if (!v.slashed || validatorStatus(v, state.epoch) === "withdrawal_done" || v.balanceGwei >= ETH32_GWEI) continue;
      const [op, key] = keyOwner.get(v.pubkey)!;
      const toDate = ETH32_GWEI - v.balanceGwei;
      const owed = toDate - (charged.get(v.pubkey) ?? 0n);
      if (owed <= 0n) continue;
      losses.set(op, (losses.get(op) ?? 0n) + owed);
      keyLosses.push(keyLossEntry(op, key, toDate));
    }
    // Exited validators per operator, where the registry's count is behind.
    const exited = new Map<bigint, bigint>();
    for (const v of ours) {
      if (
        ["exited_unslashed", "exited_slashed", "withdrawal_possible", "withdrawal_done"].includes(
          validatorStatus(v, state.epoch),
        )
      ) {
        const [op] = keyOwner.get(v.pubkey)!;
        exited.set(op, (exited.get(op) ?? 0n) + 1n);
      }
    }
    const exitedKeys: bigint[] = [];
    for (const op of [...exited.keys()].sort((a, b) => (a < b ? -1 : 1))) {
      const known = (await t.registry.getNodeOperator(op, { blockTag: frame.refBlock })).exitedKeys;
      if (exited.get(op)! > known) exitedKeys.push(exitedKeysEntry(op, exited.get(op)!));
    }
    const refEpoch = frame.refSlot / SLOTS_PER_EPOCH;
    const penaltyAhead = ours.some((v) => v.slashed && refEpoch < v.withdrawableEpoch - VECTOR / 2n);
    const ids = [...losses.keys()].sort((a, b) => (a < b ? -1 : 1));
    // The withdrawal vault, up to what the annual-APR check allows on top of the CL change.
    const clGwei = ours.reduce((s, v) => s + v.balanceGwei, 0n);
    const [, clValidators, clBalanceWei] = await t.pool.getBeaconStat();
    const preCl = clBalanceWei + (BigInt(ours.length) - clValidators) * ETH32_GWEI * GWEI;
    const elapsed = (frame.refSlot - (await t.oracle.getLastReport()).refSlot) * 12n;
    const limitBP = (await t.oracle.getSanityLimits()).annualAprLimitBP;
    const room = preCl + (limitBP * preCl * elapsed) / (365n * 86_400n * 10_000n) - clGwei * GWEI;
    const vault = await hre.ethers.provider.getBalance(await t.withdrawalVault.getAddress(), frame.refBlock);
    return buildReport(frame.refSlot, {
      numValidators: BigInt(ours.length),
      clBalanceGwei: clGwei,
      withdrawalVaultBalance: room < 0n ? 0n : vault < room ? vault : room,
      elRewardsVaultBalance: await hre.ethers.provider.getBalance(await t.elRewardsVault.getAddress(), frame.refBlock),
      lastRequestIdToFinalize: expected.lastRequestId,
      isBunkerMode: penaltyAhead,
      operatorIdsWithLosses: ids,
      operatorLossesGwei: ids.map((id) => losses.get(id)!),
      exitOperatorIds: expected.exits.map(([op]) => op),
      exitKeyIndices: expected.exits.map(([, key]) => key),
      exitedKeys,
      keyLosses,
    });
  }

  /** Next frame; the service's report equals the independent one; two members apply it. */
  async function reportFrame(expected: { lastRequestId: bigint; exits: [bigint, bigint][] }): Promise<ReportData> {
    return reportPrepared(await advanceToNextFrame(local), expected);
  }

  /** For a frame the chains were moved to: the service's report equals the independent one; two members apply it. */
  async function reportPrepared(
    { refSlot, refBlock }: { refSlot: bigint; refBlock: number },
    expected: { lastRequestId: bigint; exits: [bigint, bigint][] } = { lastRequestId: 0n, exits: [] },
  ): Promise<ReportData> {
    const frame: Frame = { refSlot, refBlock, prevRefSlot };
    const want = await independentReport(frame, expected);
    const [m1, m2, m3] = t.oracleMembers;
    const first = await reportOnce(ctx, m1);
    expect(first.status).to.equal("submitted");
    if (first.status !== "submitted") throw new Error("not submitted");
    expect(first.report.executionBlock).to.equal(refBlock);
    expect(first.report.data).to.deep.equal(want);
    expect(first.applied).to.equal(false);
    expect((await reportOnce(ctx, m1)).status).to.equal("already-voted");
    const second = await reportOnce(ctx, m2);
    expect(second.status === "submitted" && second.applied).to.equal(true);
    expect((await reportOnce(ctx, m3)).status).to.equal("frame-processed");
    const [, clValidators, clBalance] = await t.pool.getBeaconStat();
    expect([clValidators, clBalance]).to.deep.equal([want.numValidators, BigInt(want.clBalanceGwei) * GWEI]);
    for (const entry of want.keyLosses.map(BigInt)) {
      const [op, key, toDate] = [entry >> 192n, (entry >> 64n) & (2n ** 128n - 1n), entry & (2n ** 64n - 1n)];
      const pubkey = (await t.registry.getSigningKey(op, key)).pubkey.toLowerCase();
      charged.set(pubkey, toDate);
      expect(await t.oracle.keyLossChargedGwei(op, key)).to.equal(toDate);
    }
    prevRefSlot = refSlot;
    return want;
  }

  it("waits for the reference slot to be final, then reports the new validators", async function () {
    const [genesisTime, epochsPerFrame] = await t.oracle.getFrameConfig();
    const frameStart = ((await local.bridge.latestTimestamp()) - genesisTime) / 12n / (epochsPerFrame * 32n) + 1n;
    await local.bridge.advanceTo(genesisTime + (frameStart * epochsPerFrame * 32n + 1n) * 12n);
    expect((await reportOnce(ctx, t.oracleMembers[0])).status).to.equal("waiting-for-finality");
    const data = await reportFrame({ lastRequestId: 0n, exits: [] });
    expect(data.numValidators).to.equal(8n);
    // Active for most of the frame already: 32 ETH each and the first rewards.
    expect(BigInt(data.clBalanceGwei)).to.be.greaterThan(8n * ETH32_GWEI);
  });

  it("a day of rewards: balances grow at the APR, the sweep pays the excess into the vault, EL tips count", async function () {
    await (
      await t.admin.sendTransaction({ to: await t.elRewardsVault.getAddress(), value: parseEther("0.05") })
    ).wait();
    const rateBefore = await t.pool.getPooledEthByShares(parseEther("1"));
    const data = await reportFrame({ lastRequestId: 0n, exits: [] });
    expect(BigInt(data.withdrawalVaultBalance)).to.be.greaterThan(0n);
    expect(data.elRewardsVaultBalance).to.equal(parseEther("0.05"));
    expect(await t.pool.getPooledEthByShares(parseEther("1"))).to.be.greaterThan(rateBefore);
  });

  it("ETH sent to the withdrawal vault beyond the APR limit waits for later reports instead of stalling them", async function () {
    const vault = await t.withdrawalVault.getAddress();
    await (await t.admin.sendTransaction({ to: vault, value: parseEther("0.2") })).wait();
    const frame = await advanceToNextFrame(local);
    const data = await reportPrepared(frame);
    expect(BigInt(data.withdrawalVaultBalance)).to.be.lessThan(
      await hre.ethers.provider.getBalance(vault, frame.refBlock),
    );
    expect(await hre.ethers.provider.getBalance(vault)).to.be.greaterThan(0n);
  });

  it("a slashing: the loss is attributed to its operator and the report declares bunker mode, holding requests back", async function () {
    const queue = t.withdrawalQueue;
    await (await t.pool.connect(holder).approve(await queue.getAddress(), parseEther("3"))).wait();
    await (
      await queue
        .connect(holder)
        .requestWithdrawals([parseEther("1"), parseEther("1"), parseEther("1")], holder.address)
    ).wait();
    const slashed = (await t.registry.getSigningKey(0n, 0n)).pubkey;
    local.chain.slash(slashed, { initialPenaltyGwei: GWEI, correlationPenaltyGwei: GWEI / 2n });
    const data = await reportFrame({ lastRequestId: 0n, exits: [] });
    expect(data.isBunkerMode).to.equal(true);
    expect(data.operatorIdsWithLosses).to.deep.equal([0n]);
    expect(BigInt(data.operatorLossesGwei[0])).to.be.greaterThan(GWEI);
    expect(await t.oracle.isBunkerModeActive()).to.equal(true);
    // The slashed validator has exited by now: the service reported it to the registry.
    expect((await t.registry.getNodeOperator(0n)).exitedKeys).to.equal(1n);
  });

  it("the correlation penalty lands: attributed again, covered by the bond, bunker mode ends and requests finalize", async function () {
    const bondBefore = (await t.registry.getNodeOperator(0n)).bondShares;
    const data = await reportFrame({ lastRequestId: 3n, exits: [] });
    expect(data.isBunkerMode).to.equal(false);
    expect(BigInt(data.operatorLossesGwei[0])).to.be.greaterThan(GWEI / 2n);
    expect((await t.registry.getNodeOperator(0n)).bondShares).to.be.lessThan(bondBefore);
    expect(await t.withdrawalQueue.getLastFinalizedRequestId()).to.equal(3n);
  });

  it("a member whose node keeps no history builds the same report, and the slashed key has been charged exactly its loss to date", async function () {
    const frame = await advanceToNextFrame(local);
    // A pruned node: it serves the state of the reference slot's block and nothing older.
    const stateSlot = await beacon.blockSlotAtOrBefore(frame.refSlot);
    const pruned: BeaconReader = {
      ...beacon,
      validators: (slot, pubkeys) =>
        slot === stateSlot ? beacon.validators(slot, pubkeys) : Promise.resolve(undefined),
    };
    const fromPruned = await reportOnce({ ...ctx, beacon: pruned }, t.oracleMembers[0]);
    const fromFull = await reportOnce(ctx, t.oracleMembers[1]);
    expect(fromPruned.status).to.equal("submitted");
    expect(fromFull.status === "submitted" && fromFull.applied).to.equal(true);
    if (fromPruned.status !== "submitted" || fromFull.status !== "submitted") throw new Error("not submitted");
    expect(fromPruned.report.data).to.deep.equal(fromFull.report.data);
    expect(fromFull.report.data.operatorIdsWithLosses).to.deep.equal([]); // nothing new since the last report
    // Every report together charged operator 0 exactly what its slashed key had lost by the last
    // report that saw it before its withdrawal (this one, or the one before if it has been withdrawn).
    const pubkey = (await t.registry.getSigningKey(0n, 0n)).pubkey.toLowerCase();
    const at = (slot: bigint) => local.chain.stateAtSlot(slot)!.validators.find((v) => v.pubkey === pubkey)!;
    const now = at(frame.refSlot);
    const withdrawn = validatorStatus(now, frame.refSlot / SLOTS_PER_EPOCH) === "withdrawal_done";
    const lastSeen = withdrawn ? at(prevRefSlot!) : now;
    const events = await t.oracle.queryFilter(t.oracle.filters.OperatorLossCovered(0n));
    const total = events.reduce((sum, e) => sum + e.args.lossWei, 0n);
    expect(total).to.equal((ETH32_GWEI - lastSeen.balanceGwei) * GWEI);
    expect(await t.oracle.keyLossChargedGwei(0n, 0n)).to.equal(ETH32_GWEI - lastSeen.balanceGwei);
    prevRefSlot = frame.refSlot;
  });

  it("a request beyond the buffer asks for exits: oldest first, spread across operators, net of ETH on its way", async function () {
    const queue = t.withdrawalQueue;
    await (await t.pool.connect(holder).approve(await queue.getAddress(), parseEther("100"))).wait();
    await (await queue.connect(holder).requestWithdrawals([parseEther("100")], holder.address)).wait();
    // The slashed validator's ~30.5 ETH reaches the vault in this frame and the buffer holds ~7 ETH, so
    // two exits cover the rest: B's oldest, then A's oldest still running (its key 0 was slashed).
    const data = await reportFrame({
      lastRequestId: 0n,
      exits: [
        [1n, 0n],
        [0n, 1n],
      ],
    });
    const buffer = await t.pool.bufferedEther();
    const shortfall = (await queue.unfinalizedEther()) - buffer;
    expect(BigInt(data.exitOperatorIds.length)).to.equal((shortfall + parseEther("32") - 1n) / parseEther("32"));
  });

  it("the operators exit, the balances arrive in the vault and the next report finalizes the request", async function () {
    const data = await reportFrame({ lastRequestId: 4n, exits: [] });
    expect(data.numValidators).to.equal(8n);
    for (const [op, key] of [
      [1n, 0n],
      [0n, 1n],
    ] as const) {
      const v = local.chain.validator((await t.registry.getSigningKey(op, key)).pubkey)!;
      expect(validatorStatus(v, local.chain.epoch)).to.equal("withdrawal_done");
    }
    expect(await t.withdrawalQueue.getLastFinalizedRequestId()).to.equal(4n);
    expect((await t.registry.getNodeOperator(0n)).exitedKeys).to.equal(2n);
    expect((await t.registry.getNodeOperator(1n)).exitedKeys).to.equal(1n);
  });
});
