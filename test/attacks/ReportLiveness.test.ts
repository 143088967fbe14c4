import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, parseEther, type ContractTransactionResponse, type TransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  GWEI,
  advanceFrames,
  buildReport,
  depositValidators,
  submitUntilApplied,
  type ReportData,
} from "../helpers/oracle-fixtures";
import { deployWithQueue, type WithdrawalFixture } from "../helpers/withdrawal-fixtures";
import {
  TOTAL_BP,
  blockTimestamp,
  ceilDiv,
  feeSharesOf,
  lockOf,
  plain,
  poolTotals,
  rateRayOf,
  valueAt,
} from "../helpers/withdrawal-report-helpers";
import { DEPOSIT_SIZE, expectTotalsConsistent } from "../helpers/attack-ledger";
import {
  exitRequestsIn,
  exitRequestsOf,
  honestReport,
  livePoolSnapshot,
  reportInputs,
  stubBeacon,
  type ExitRequested,
  type StubBeacon,
} from "../helpers/honest-report";
import { simulateReport } from "../../offchain/oracle/accounting";
import { currentAttestation, signAttestation } from "../../offchain/guardians/attestations";
import type { BuiltReport } from "../../offchain/oracle/report";

/**
 * Report liveness (review finding 1 and 4.3). The oracle service builds a report from the state at
 * the reference slot; the contracts apply it when the deciding vote lands, later. Every bound the
 * report is checked against must be part of the report's data or insensitive to what anyone can do
 * in between: stakes (plain, ETH to the pool, to wtpETH, stakeAndWrap, bond deposits), withdrawal
 * requests (tpETH and wtpETH), claims, instant redemptions, wraps and unwraps, transfers, ETH sent
 * to the vaults and guardian deposits. Each one is done between the first and the deciding vote of a
 * report that does everything at once — CL rewards, ETH from both vaults, a finalization and exit
 * requests for the queue's shortfall — and the report applies with the outcome it had without it.
 */

const SECONDS_PER_SLOT = 12n;
const SECONDS_PER_YEAR = 365n * 24n * 3600n;
const PPB = 1_000_000_000n;
/** Skimmed CL rewards waiting in the withdrawal vault, and EL tips in the EL rewards vault, at the reference slot. */
const SKIM = parseEther("0.03");
const TIPS = parseEther("0.05");
/** CL rewards of the frame (on top of the last reported balance). */
const CL_REWARDS = parseEther("0.005");
const GWEI_32 = 32n * 10n ** 9n;

const balanceOf = (address: string): Promise<bigint> => ethers.provider.getBalance(address);
const maxOf = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const minOf = (a: bigint, b: bigint): bigint => (a < b ? a : b);

async function send<T extends TransactionResponse>(promise: Promise<T>): Promise<T> {
  const tx = await promise;
  await tx.wait();
  return tx;
}

// ──────────────────────────────── The honest report, computed independently ────────────────────────────────

/**
 * What an honest report does, from the state at the reference slot (docs/protocol.md §4,
 * offchain/oracle/report.ts).
 */
interface Model {
  data: ReportData;
  buffer: bigint; // the buffer at the reference slot
  withdrawalVaultWei: bigint;
  elRewardsVaultWei: bigint;
  availableEther: bigint;
  rateEther: bigint;
  rateShares: bigint;
  finalized: { fromId: bigint; lastId: bigint; nominal: bigint; shares: bigint };
  lock: bigint;
  unfinalized: bigint; // all unfinalized requests' ETH at the reference slot
  exitKeys: { operatorId: bigint; keyIndex: bigint }[];
}

/**
 * The honest report for `refSlot` with the beacon chain showing `numValidators` validators holding
 * `clWei`, computed with the contracts' rules from the state now (the reference slot's: nothing
 * happened since). One operator, no earlier exit requests, no losses.
 */
async function independentModel(
  f: WithdrawalFixture,
  refSlot: bigint,
  numValidators: bigint,
  clWei: bigint,
): Promise<Model> {
  const { pool, queue, oracle } = f;
  const P = await pool.totalPooledEther();
  const S = await pool.totalShares();
  const buffer = await pool.bufferedEther();
  const [, clValidators, lastClWei] = await pool.getBeaconStat();
  const preCL = lastClWei + (numValidators - clValidators) * DEPOSIT_SIZE;
  const limits = await oracle.getSanityLimits();
  const elapsed = (refSlot - (await oracle.getLastReport()).refSlot) * SECONDS_PER_SLOT;

  // Withdrawal vault: as much as the annual-APR check allows on top of the CL change; EL vault: all.
  const aprRoom = preCL + (limits.annualAprLimitBP * preCL * elapsed) / (SECONDS_PER_YEAR * TOTAL_BP) - clWei;
  const withdrawalVaultWei = minOf(await balanceOf(await f.withdrawalVault.getAddress()), maxOf(aprRoom, 0n));
  const elRewardsVaultWei = await balanceOf(await f.elRewardsVault.getAddress());
  // The scenario keeps smoothing out of the way: the positive-rebase room takes both vaults in full.
  const smoothingRoom = preCL + (P * limits.maxPositiveRebasePPB) / PPB - clWei;
  expect(withdrawalVaultWei + elRewardsVaultWei <= smoothingRoom).to.equal(true);

  const rewards = clWei + withdrawalVaultWei + elRewardsVaultWei - preCL;
  const rateEther = P + rewards;
  const rateShares = S + feeSharesOf(rewards, await oracle.getFeeConfig(), S, rateEther);
  const availableEther = buffer + withdrawalVaultWei + elRewardsVaultWei;
  const rateRay = rateRayOf(rateEther, rateShares);

  // Finalization: the longest run of requests made by the reference slot whose lock the buffer after
  // the report covers.
  const [genesisTime] = await oracle.getFrameConfig();
  const refTime = genesisTime + refSlot * SECONDS_PER_SLOT;
  const fromId = (await queue.getLastFinalizedRequestId()) + 1n;
  const lastRequestId = await queue.getLastRequestId();
  const finalized = { fromId, lastId: 0n, nominal: 0n, shares: 0n };
  let [cumEther, cumShares] = [0n, 0n];
  for (let id = fromId; id <= lastRequestId; id++) {
    const [status] = await queue.getWithdrawalStatus([id]);
    cumEther += status.amountOfEther;
    cumShares += status.amountOfShares;
    if (status.timestamp > refTime || lockOf(cumEther, cumShares, rateRay) > availableEther) break;
    Object.assign(finalized, { lastId: id, nominal: cumEther, shares: cumShares });
  }
  const lock = lockOf(finalized.nominal, finalized.shares, rateRay);

  // Exits: the unfinalized ETH after the report beyond the buffer after it, in validators (rounded
  // up), oldest keys first (no earlier exit requests, nothing else on its way).
  const unfinalized = await queue.unfinalizedEther();
  const shortfall = unfinalized - finalized.nominal - (availableEther - lock);
  const count = shortfall > 0n ? ceilDiv(shortfall, DEPOSIT_SIZE) : 0n;
  const exitKeys = Array.from({ length: Number(count) }, (_, i) => ({ operatorId: f.operatorId, keyIndex: BigInt(i) }));

  const data = buildReport(refSlot, {
    numValidators,
    clBalanceGwei: clWei / GWEI,
    withdrawalVaultBalance: withdrawalVaultWei,
    elRewardsVaultBalance: elRewardsVaultWei,
    lastRequestIdToFinalize: finalized.lastId,
    exitOperatorIds: exitKeys.map((k) => k.operatorId),
    exitKeyIndices: exitKeys.map((k) => k.keyIndex),
  });
  return {
    data,
    buffer,
    withdrawalVaultWei,
    elRewardsVaultWei,
    availableEther,
    rateEther,
    rateShares,
    finalized,
    lock,
    unfinalized,
    exitKeys,
  };
}

// ──────────────────────────────── Fixture: a report that does everything ────────────────────────────────

type Variant = "covered" | "vault";

interface Liveness {
  f: WithdrawalFixture;
  variant: Variant;
  beacon: StubBeacon;
  /** The oracle service's report at the reference slot. */
  built: BuiltReport;
  /** The same, computed independently. */
  model: Model;
  refSlot: bigint;
  /** The deciding vote (the first member has voted). */
  decide: () => Promise<ContractTransactionResponse>;
  exits: ExitRequested[];
  alice: HardhatEthersSigner; // holds wtpETH and requested wtpETH (request 4)
  bob: HardhatEthersSigner; // owns request 1, finalized by the previous report and not claimed
  actor: HardhatEthersSigner; // a third party with ETH only
  late: HardhatEthersSigner; // a late staker, after the reference slot
}

/**
 * {deployWithQueue}, then: the frame cap at its 10% maximum (so that the instant liquidity, not the
 * cap, bounds redemptions); bond for 8 validators; two more validators deposited (5, buffer 16 ETH);
 * alice wraps 6 tpETH; bob requests 1 ETH (request 1), which a report with 0.02 ETH of CL rewards
 * finalizes (making the two validators visible). Then, before the next reference slot: carol
 * requests request 2, the staker 40 ETH (3), alice 3 wtpETH (4); 0.03 ETH is skimmed to the
 * withdrawal vault, 0.05 ETH of tips reach the EL vault, and the CL earns 0.005 ETH.
 *
 * Request 2 is 6 ETH ("covered": the buffer alone covers its finalization) or the buffer + the EL
 * tips + half the skim ("vault": its finalization needs the withdrawal vault's ETH). Either way the
 * honest report finalizes request 2 and asks two validators to exit for requests 3–4 (~43 ETH).
 * The first member votes; the deciding vote is left to the test.
 */
async function livenessFixture(variant: Variant): Promise<Liveness> {
  const f = await loadFixture(deployWithQueue);
  const { pool, queue, wrapper, registry, oracle } = f;
  const [alice, bob, carol] = f.holders;
  const [actor, late] = [f.users[10], f.users[11]];
  const beacon = await stubBeacon(f);
  beacon.setBalances(f.operatorId, [GWEI_32, GWEI_32, GWEI_32]);

  await send(pool.connect(f.admin).setInstantRedeemParams(25, 300, 1000));
  await send(registry.connect(f.operator).depositBond(f.operatorId, { value: parseEther("10") }));
  await depositValidators(f, f.operatorId, 2);
  await send(wrapper.connect(alice).wrap(parseEther("6")));
  await f.request(bob, [parseEther("1")]);

  // The previous report (honest too): the two new validators visible, rewards, request 1 finalized.
  beacon.setBalances(f.operatorId, [GWEI_32 + 20_000_000n, GWEI_32, GWEI_32, GWEI_32, GWEI_32]);
  await advanceFrames(network.provider, oracle);
  const previous = await honestReport(f, beacon);
  expect(previous.data.lastRequestIdToFinalize).to.equal(1n);
  await submitUntilApplied(oracle, f.oracleMembers, previous.data);

  // Up to the reference slot: requests 2–4, ETH in both vaults, CL rewards.
  const request2 = variant === "covered" ? parseEther("6") : (await pool.bufferedEther()) + TIPS + SKIM / 2n;
  await f.request(carol, [request2]);
  await f.request(f.staker, [parseEther("40")]);
  await send(wrapper.connect(alice).approve(f.queueAddress, parseEther("3")));
  await send(queue.connect(alice).requestWithdrawalsWrapped([parseEther("3")], ZeroAddress));
  const feeder = f.users[9];
  await send(feeder.sendTransaction({ to: await f.withdrawalVault.getAddress(), value: SKIM }));
  await send(feeder.sendTransaction({ to: await f.elRewardsVault.getAddress(), value: TIPS }));
  const rewardGwei = CL_REWARDS / GWEI;
  beacon.setBalances(f.operatorId, [GWEI_32 + 20_000_000n + rewardGwei, GWEI_32, GWEI_32, GWEI_32, GWEI_32]);

  const refSlot = await advanceFrames(network.provider, oracle);
  const built = await honestReport(f, beacon);
  const [, , lastClWei] = await pool.getBeaconStat();
  const model = await independentModel(f, refSlot, 5n, lastClWei + CL_REWARDS);
  const exits = await exitRequestsOf(f, model.exitKeys);
  const [first, decider] = f.oracleMembers;
  await send(oracle.connect(first).submitReport(built.data));
  return {
    f,
    variant,
    beacon,
    built,
    model,
    refSlot,
    decide: () => oracle.connect(decider).submitReport(built.data),
    exits,
    alice,
    bob,
    actor,
    late,
  };
}

async function coveredFixture(): Promise<Liveness> {
  return livenessFixture("covered");
}

async function vaultFixture(): Promise<Liveness> {
  return livenessFixture("vault");
}

// ──────────────────────────────── The deciding vote ────────────────────────────────

interface Expected {
  refSlot: bigint;
  data: ReportData;
  finalized: { fromId: bigint; lastId: bigint; nominal: bigint; shares: bigint };
  exits: ExitRequested[];
}

interface Decision {
  /** The ETH the finalization locked (checked against the report's rate from the live totals). */
  lock: bigint;
  /** The exits the old bound (unfinalized ETH after the report less the buffer after it) would have allowed. */
  oldExitBound: bigint;
}

/**
 * Casts the deciding vote and checks that the report applied with the outcome the contracts' rules
 * give from the live totals (read right before the vote, `simulateReport`): its totals, fee shares,
 * buffer and vault ETH; the finalization of `expected.finalized` at the report's rate; exactly the
 * exit requests expected; the CL figures reported.
 */
async function decideAndCheck(
  f: WithdrawalFixture,
  decide: () => Promise<ContractTransactionResponse>,
  expected: Expected,
): Promise<Decision> {
  const { pool, queue, oracle } = f;
  const { data } = expected;
  const live = await livePoolSnapshot(f);
  const sim = simulateReport(live, reportInputs(data));
  const rateRay = rateRayOf(sim.postTotalEther, sim.postTotalShares);
  const { fromId, lastId, nominal, shares } = expected.finalized;
  const lock = lockOf(nominal, shares, rateRay);
  const lockedBefore = await queue.lockedEther();
  const queueEthBefore = await balanceOf(f.queueAddress);
  const unfinalizedBefore = await queue.unfinalizedEther();
  const [deposited] = await pool.getBeaconStat();
  const withdrawalVault = await f.withdrawalVault.getAddress();
  const elRewardsVault = await f.elRewardsVault.getAddress();
  const vaultsBefore = [await balanceOf(withdrawalVault), await balanceOf(elRewardsVault)];

  const tx = await decide();
  const receipt = await tx.wait();
  if (!receipt) throw new Error("no receipt");
  await expect(tx)
    .to.emit(oracle, "ReportApplied")
    .withArgs(
      expected.refSlot,
      live.totalPooledEther,
      sim.postTotalEther - lock,
      live.totalShares,
      sim.postTotalShares - shares,
      sim.feeShares,
    );
  expect(await oracle.getLastProcessedRefSlot()).to.equal(expected.refSlot);

  // Finalization: the same requests, locked at the report's rate.
  await expect(tx)
    .to.emit(queue, "WithdrawalsFinalized")
    .withArgs(fromId, lastId, lock, shares, await blockTimestamp(receipt.blockNumber));
  expect(await queue.getLastFinalizedRequestId()).to.equal(lastId);
  expect(await queue.lockedEther()).to.equal(lockedBefore + lock);
  expect(await balanceOf(f.queueAddress)).to.equal(queueEthBefore + lock);
  expect(await queue.unfinalizedEther()).to.equal(unfinalizedBefore - nominal);

  // Exits: exactly the expected keys, in order, with their pubkeys.
  expect(await exitRequestsIn(f, receipt)).to.deep.equal(expected.exits);

  // CL figures and totals: the report's, and the contracts' rules applied to the live totals.
  expect(plain(await pool.getBeaconStat())).to.deep.equal([
    deposited,
    BigInt(data.numValidators),
    BigInt(data.clBalanceGwei) * GWEI,
  ]);
  expect(await poolTotals(f)).to.deep.equal({ ether: sim.postTotalEther - lock, shares: sim.postTotalShares - shares });
  expect(await pool.bufferedEther()).to.equal(sim.availableEther - lock);
  expect([await balanceOf(withdrawalVault), await balanceOf(elRewardsVault)]).to.deep.equal([
    vaultsBefore[0] - sim.withdrawalVaultWei,
    vaultsBefore[1] - sim.elRewardsVaultWei,
  ]);
  await expectTotalsConsistent(f);

  const unfinalizedAfter = unfinalizedBefore - nominal;
  const bufferAfter = sim.availableEther - lock;
  const oldExitBound = unfinalizedAfter > bufferAfter ? ceilDiv(unfinalizedAfter - bufferAfter, DEPOSIT_SIZE) : 0n;
  return { lock, oldExitBound };
}

/** {decideAndCheck} for the liveness fixture, also checking the lock is the one of the reference slot. */
async function decideLiveness(s: Liveness): Promise<Decision> {
  const decision = await decideAndCheck(s.f, s.decide, {
    refSlot: s.refSlot,
    data: s.built.data,
    finalized: s.model.finalized,
    exits: s.exits,
  });
  // Request 2 is paid its nominal ETH at any rate the report can have: the lock is the same as without the action.
  expect(decision.lock).to.equal(s.model.lock);
  expect(decision.lock).to.equal(s.model.finalized.nominal);
  return decision;
}

// ──────────────────────────────── Actions between the votes ────────────────────────────────

async function stakeAs(s: Liveness, who: HardhatEthersSigner, amount: bigint): Promise<void> {
  const before = await s.f.pool.totalPooledEther();
  await expect(send(s.f.pool.connect(who).stake(ZeroAddress, { value: amount }))).to.emit(s.f.pool, "Staked");
  expect(await s.f.pool.totalPooledEther()).to.equal(before + amount);
}

/** A late staker stakes enough for the instant liquidity to be at least `liquidity`. */
async function lateStake(s: Liveness, liquidity: bigint): Promise<void> {
  const { pool, queue } = s.f;
  const needed = (await queue.unfinalizedEther()) + liquidity - (await pool.bufferedEther());
  if (needed > 0n) await stakeAs(s, s.late, needed);
  expect(await pool.instantLiquidity()).to.be.greaterThanOrEqual(liquidity);
}

/**
 * The fee of the frame's first instant redemption of `amount` with instant liquidity `liquidity`
 * (StakingPool: the integral of the marginal fee over the frame's starting liquidity L₀, in whole
 * gwei, rounded up).
 */
function firstRedemptionFee(amount: bigint, liquidity: bigint, minBP: bigint, maxBP: bigint): bigint {
  const L0 = (liquidity / GWEI) * GWEI;
  const area = (u: bigint): bigint =>
    u <= L0 ? u * (minBP * L0 + (maxBP - minBP) * u) : L0 * (maxBP * L0 + (2n * maxBP - minBP) * (u - L0));
  return ceilDiv(area(amount), TOTAL_BP * L0);
}

/**
 * `who` redeems `amount` instantly, the frame's first redemption: checks the event (shares burned
 * rounded up, the fee above) and that only `amount − fee` left the buffer. Returns the fee.
 */
async function redeemInstantly(f: WithdrawalFixture, who: HardhatEthersSigner, amount: bigint): Promise<bigint> {
  const { pool } = f;
  const [P, S, buffer, liquidity] = [
    await pool.totalPooledEther(),
    await pool.totalShares(),
    await pool.bufferedEther(),
    await pool.instantLiquidity(),
  ];
  const [minBP, maxBP] = await pool.getInstantRedeemParams();
  const fee = firstRedemptionFee(amount, liquidity, minBP, maxBP);
  await expect(send(pool.connect(who).instantRedeem(amount, 0n, who.address)))
    .to.emit(pool, "InstantRedeemed")
    .withArgs(who.address, who.address, amount, ceilDiv(amount * S, P), amount - fee, fee);
  expect(await pool.bufferedEther()).to.equal(buffer - (amount - fee));
  return fee;
}

/** The staker redeems instantly as much as allowed (instant liquidity, frame cap, balance). */
async function redeemAsAllowed(s: Liveness): Promise<{ amount: bigint; liquidity: bigint; fee: bigint }> {
  const { pool, queue, staker } = s.f;
  const liquidity = await pool.instantLiquidity();
  const [, , , remaining] = await pool.getInstantRedeemParams();
  const amount = minOf(minOf(liquidity, remaining), await pool.balanceOf(staker.address));
  expect(amount).to.be.greaterThan(0n);
  const fee = await redeemInstantly(s.f, staker, amount);
  // What is left in the buffer still covers every unfinalized request's nominal ETH.
  expect(await pool.bufferedEther()).to.be.greaterThanOrEqual(await queue.unfinalizedEther());
  return { amount, liquidity, fee };
}

/** A guardian deposit of `count` validators of operator 0 (not awaited). */
async function guardianDeposit(f: WithdrawalFixture, count: bigint): Promise<ContractTransactionResponse> {
  const attestation = await currentAttestation(f.depositContract, f.registry, ethers.provider);
  const signatures = await signAttestation(f.dsm, attestation, [f.guardian]);
  return f.dsm.depositBufferedEther(f.operatorId, count, attestation, signatures);
}

/** The guardians deposit as many validators as the buffer (and the operator's keys) allow. */
async function depositAsAllowed(s: Liveness): Promise<bigint> {
  const { f } = s;
  const depositable = await f.pool.depositableEther();
  const count = minOf(depositable / DEPOSIT_SIZE, await f.registry.depositableKeys(f.operatorId));
  expect(count).to.be.greaterThan(0n);
  const [deposited] = await f.pool.getBeaconStat();
  await expect(send(guardianDeposit(f, count))).to.emit(f.pool, "ValidatorsDeposited");
  expect((await f.pool.getBeaconStat())[0]).to.equal(deposited + count);
  expect(await f.pool.bufferedEther()).to.be.greaterThanOrEqual(await f.queue.unfinalizedEther());
  return count;
}

interface Action {
  name: string;
  run: (s: Liveness) => Promise<void>;
  /** Also checked after the deciding vote. */
  after?: (s: Liveness, d: Decision) => void;
  /** Not part of "all at once" (a refused action, whose point is the state it is refused in). */
  solo?: boolean;
}

/** The old exit bound subtracted the buffer: a stake after the reference slot lowered it below the report's exits. */
const oldBoundWouldRevert = (s: Liveness, d: Decision): void => {
  expect(d.oldExitBound).to.be.lessThan(BigInt(s.exits.length));
};

const ACTIONS: Action[] = [
  {
    name: "a 30 ETH stake",
    run: (s) => stakeAs(s, s.actor, parseEther("30")),
    after: oldBoundWouldRevert,
  },
  {
    name: "7 ETH sent to the pool (its receive stakes them)",
    run: async (s) => {
      const { pool, poolAddress } = s.f;
      const amount = parseEther("7");
      const shares = (amount * (await pool.totalShares())) / (await pool.totalPooledEther());
      const tx = send(s.actor.sendTransaction({ to: poolAddress, value: amount }));
      await expect(tx).to.emit(pool, "Staked").withArgs(s.actor.address, amount, shares, ZeroAddress);
    },
  },
  {
    name: "5 ETH sent to wtpETH (its receive stakes and wraps them)",
    run: async (s) => {
      await send(s.actor.sendTransaction({ to: s.f.wrapperAddress, value: parseEther("5") }));
      expect(await s.f.wrapper.balanceOf(s.actor.address)).to.be.greaterThan(0n);
    },
  },
  {
    name: "a 4 ETH stakeAndWrap",
    run: async (s) => {
      const before = await s.f.wrapper.balanceOf(s.actor.address);
      await send(s.f.wrapper.connect(s.actor).stakeAndWrap(ZeroAddress, { value: parseEther("4") }));
      expect(await s.f.wrapper.balanceOf(s.actor.address)).to.be.greaterThan(before);
    },
  },
  {
    name: "a 2 ETH bond deposit",
    run: async (s) => {
      const { registry, operator, operatorId } = s.f;
      await expect(send(registry.connect(operator).depositBond(operatorId, { value: parseEther("2") }))).to.emit(
        registry,
        "BondDeposited",
      );
    },
  },
  {
    name: "a new 5 ETH tpETH withdrawal request",
    run: async (s) => {
      const [id] = await s.f.request(s.bob, [parseEther("5")]);
      expect(id).to.equal(5n);
    },
  },
  {
    name: "a new 1 wtpETH withdrawal request",
    run: async (s) => {
      const { wrapper, queue, queueAddress } = s.f;
      await send(wrapper.connect(s.alice).approve(queueAddress, parseEther("1")));
      await expect(send(queue.connect(s.alice).requestWithdrawalsWrapped([parseEther("1")], ZeroAddress))).to.emit(
        queue,
        "WithdrawalRequested",
      );
    },
  },
  {
    name: "a claim of the request the previous report finalized",
    run: async (s) => {
      const { queue } = s.f;
      await expect(send(queue.connect(s.bob).claimWithdrawal(1n)))
        .to.emit(queue, "WithdrawalClaimed")
        .withArgs(1n, s.bob.address, s.bob.address, parseEther("1"));
    },
  },
  {
    name: "an instant redemption with no room (the buffer is the queue's): InsufficientInstantLiquidity(1, 0)",
    solo: true,
    run: async (s) => {
      const { pool, queue, staker } = s.f;
      expect(await queue.unfinalizedEther()).to.be.greaterThan(await pool.bufferedEther());
      expect(await pool.instantLiquidity()).to.equal(0n);
      await expect(pool.connect(staker).instantRedeem(1n, 0n, staker.address))
        .to.be.revertedWithCustomError(pool, "InsufficientInstantLiquidity")
        .withArgs(1n, 0n);
    },
  },
  {
    name: "a late stake, then an instant redemption of all the instant liquidity",
    run: async (s) => {
      await lateStake(s, parseEther("20"));
      const { amount, liquidity, fee } = await redeemAsAllowed(s);
      // The liquidity, not the frame cap, bounded it: the buffer now holds the queue's reserve and the
      // fee, which stayed in the pool.
      expect(amount).to.equal(liquidity);
      expect(await s.f.pool.instantLiquidity()).to.equal(fee);
      expect(await s.f.pool.bufferedEther()).to.equal((await s.f.queue.unfinalizedEther()) + fee);
    },
    after: oldBoundWouldRevert,
  },
  {
    name: "a wrap of 2 tpETH",
    run: async (s) => {
      await expect(send(s.f.wrapper.connect(s.bob).wrap(parseEther("2")))).to.emit(s.f.wrapper, "Deposit");
    },
  },
  {
    name: "an unwrap of 1 wtpETH",
    run: async (s) => {
      await expect(send(s.f.wrapper.connect(s.alice).unwrap(parseEther("1")))).to.emit(s.f.wrapper, "Withdraw");
    },
  },
  {
    name: "a 3 tpETH transfer",
    run: async (s) => {
      const { pool } = s.f;
      const before = await pool.balanceOf(s.actor.address);
      await send(pool.connect(s.alice).transfer(s.actor.address, parseEther("3")));
      expect(await pool.balanceOf(s.actor.address)).to.be.greaterThanOrEqual(before + parseEther("3"));
    },
  },
  {
    name: "1 ETH sent to the withdrawal vault",
    run: async (s) => {
      const vault = await s.f.withdrawalVault.getAddress();
      const before = await balanceOf(vault);
      await send(s.actor.sendTransaction({ to: vault, value: parseEther("1") }));
      expect(await balanceOf(vault)).to.equal(before + parseEther("1"));
    },
  },
  {
    name: "0.5 ETH sent to the execution-layer rewards vault",
    run: async (s) => {
      const vault = await s.f.elRewardsVault.getAddress();
      const before = await balanceOf(vault);
      await send(s.actor.sendTransaction({ to: vault, value: parseEther("0.5") }));
      expect(await balanceOf(vault)).to.equal(before + parseEther("0.5"));
    },
  },
  {
    name: "a guardian deposit with no room (the buffer is the queue's): NotEnoughBufferedEther(32 ETH, 0)",
    solo: true,
    run: async (s) => {
      expect(await s.f.pool.depositableEther()).to.equal(0n);
      await expect(guardianDeposit(s.f, 1n))
        .to.be.revertedWithCustomError(s.f.pool, "NotEnoughBufferedEther")
        .withArgs(DEPOSIT_SIZE, 0n);
    },
  },
  {
    name: "a late stake, then a guardian deposit of the depositable ETH",
    run: async (s) => {
      const P = await s.f.pool.totalPooledEther();
      // 40 ETH beyond the queue's reserve and the instant-liquidity reserve (1% of TVL < P / 50 here).
      await lateStake(s, parseEther("40") + P / 50n);
      await depositAsAllowed(s);
    },
    after: oldBoundWouldRevert,
  },
];

// ──────────────────────────────── Tests ────────────────────────────────

const VARIANTS: { fixture: () => Promise<Liveness>; title: string }[] = [
  { fixture: coveredFixture, title: "a report whose finalization the buffer covers" },
  { fixture: vaultFixture, title: "a report whose finalization needs the withdrawal vault's ETH" },
];

describe("Attack: stalling an honest report between its votes", function () {
  for (const { fixture, title } of VARIANTS) {
    describe(`${title} (CL rewards, both vaults, a finalization, exits for the shortfall)`, function () {
      it("the oracle service's report at the reference slot is the one the contracts' rules give, and does all of that", async function () {
        const s = await loadFixture(fixture);
        const { model, built } = s;
        expect(plain(built.data)).to.deep.equal(plain(model.data));
        expect(built.data.finalizationBatches).to.deep.equal([]); // one batch, paid nominal
        // CL rewards, both vaults in full.
        expect(BigInt(built.data.clBalanceGwei) * GWEI).to.equal((await s.f.pool.getBeaconStat())[2] + CL_REWARDS);
        expect([model.withdrawalVaultWei, model.elRewardsVaultWei]).to.deep.equal([SKIM, TIPS]);
        // Request 2 finalized, nominal; request 3 (40 ETH) does not fit.
        expect(model.finalized).to.deep.include({ fromId: 2n, lastId: 2n });
        expect(model.lock).to.equal(model.finalized.nominal);
        if (s.variant === "covered") {
          expect(model.lock).to.be.lessThanOrEqual(model.buffer);
        } else {
          // Beyond the buffer and the EL tips: the withdrawal vault's ETH is needed.
          expect(model.lock).to.be.greaterThan(model.buffer + model.elRewardsVaultWei);
          expect(model.lock).to.be.lessThanOrEqual(model.availableEther);
        }
        // Two exits (oldest keys first), exactly the most the contract accepts: ⌈unfinalized after / 32 ETH⌉.
        expect(model.exitKeys).to.deep.equal([
          { operatorId: 0n, keyIndex: 0n },
          { operatorId: 0n, keyIndex: 1n },
        ]);
        expect(ceilDiv(model.unfinalized - model.finalized.nominal, DEPOSIT_SIZE)).to.equal(2n);
        // Nobody can take the buffer now: the queue's reserve exceeds it.
        expect(await s.f.pool.instantLiquidity()).to.equal(0n);
      });

      it("with nothing between the votes it applies: request 2 finalized at its nominal ETH, keys 0 and 1 asked to exit", async function () {
        const s = await loadFixture(fixture);
        await decideLiveness(s);
      });

      for (const action of ACTIONS) {
        it(`${action.name} between the first and the deciding vote: the report applies with the same finalization, lock and exits`, async function () {
          const s = await loadFixture(fixture);
          await action.run(s);
          const d = await decideLiveness(s);
          action.after?.(s, d);
        });
      }

      it("all of those actions at once between the votes: the report applies with the same finalization, lock and exits", async function () {
        const s = await loadFixture(fixture);
        for (const action of ACTIONS) if (!action.solo) await action.run(s);
        const d = await decideLiveness(s);
        oldBoundWouldRevert(s, d);
      });
    });
  }
});

// ──────────────────────────────── Review 4.3: an underwater request and the queue's reserve ────────────────────────────────

interface Underwater {
  f: WithdrawalFixture;
  built: BuiltReport;
  refSlot: bigint;
  decide: () => Promise<ContractTransactionResponse>;
  /** Request 1: the staker's, made before the loss. */
  requested: bigint;
  shares: bigint;
  redeemer: HardhatEthersSigner;
}

/**
 * {deployWithQueue} with the frame cap at 10% and bond for a fourth validator; the staker requests
 * 80 ETH (request 1, more than the 72 ETH buffer) at a rate of 1. Honest reports follow: a 4 ETH CL
 * loss (nothing to cover it: the rate falls, bunker mode, no finalization); the loss realised (no
 * change: bunker mode ends; the buffer still does not cover the request, now underwater). A late
 * staker then stakes `lateStakeWei` and the CL earns 0.02 ETH: at the next reference slot the honest
 * report finalizes request 1 at the rate after its rewards, above the live rate. The first member
 * has voted.
 */
async function underwaterFixture(lateStakeWei: bigint): Promise<Underwater> {
  const f = await loadFixture(deployWithQueue);
  const { pool, queue, oracle } = f;
  const beacon = await stubBeacon(f);
  beacon.setBalances(f.operatorId, [GWEI_32, GWEI_32, GWEI_32]);
  await send(pool.connect(f.admin).setInstantRedeemParams(25, 300, 1000));
  await send(f.registry.connect(f.operator).depositBond(f.operatorId, { value: parseEther("2") }));
  const requested = parseEther("80");
  await f.request(f.staker, [requested]);
  const [{ amountOfShares: shares }] = await queue.getWithdrawalStatus([1n]);

  beacon.setBalances(f.operatorId, [GWEI_32, GWEI_32 - 2n * 10n ** 9n, GWEI_32 - 2n * 10n ** 9n]);
  await advanceFrames(network.provider, oracle);
  const loss = await honestReport(f, beacon);
  expect([loss.data.isBunkerMode, loss.data.lastRequestIdToFinalize]).to.deep.equal([true, 0n]);
  await submitUntilApplied(oracle, f.oracleMembers, loss.data);

  await advanceFrames(network.provider, oracle);
  const calm = await honestReport(f, beacon);
  expect([calm.data.isBunkerMode, calm.data.lastRequestIdToFinalize]).to.deep.equal([false, 0n]);
  await submitUntilApplied(oracle, f.oracleMembers, calm.data);
  expect(await pool.isBunkerModeActive()).to.equal(false);
  // Underwater: its shares are worth less than the ETH it asked for.
  expect(valueAt(shares, rateRayOf(await pool.totalPooledEther(), await pool.totalShares()))).to.be.lessThan(requested);

  await send(pool.connect(f.users[11]).stake(ZeroAddress, { value: lateStakeWei }));
  beacon.setBalances(f.operatorId, [GWEI_32 + 20_000_000n, GWEI_32 - 2n * 10n ** 9n, GWEI_32 - 2n * 10n ** 9n]);
  const refSlot = await advanceFrames(network.provider, oracle);
  const built = await honestReport(f, beacon);
  expect(built.data.isBunkerMode).to.equal(false);
  expect(built.data.lastRequestIdToFinalize).to.equal(1n);
  expect(built.data.finalizationBatches).to.deep.equal([]);
  expect(built.data.exitOperatorIds).to.deep.equal([]);
  const [first, decider] = f.oracleMembers;
  await send(oracle.connect(first).submitReport(built.data));
  return {
    f,
    built,
    refSlot,
    decide: () => oracle.connect(decider).submitReport(built.data),
    requested,
    shares,
    redeemer: f.holders[0],
  };
}

/** A 20 ETH late stake: the instant liquidity (12 ETH) is below the 10% frame cap. */
async function underwaterRedeemable(): Promise<Underwater> {
  return underwaterFixture(parseEther("20"));
}

/** A 60 ETH late stake: one validator's worth is depositable. */
async function underwaterDepositable(): Promise<Underwater> {
  return underwaterFixture(parseEther("60"));
}

/**
 * The old rule, replayed off chain: instant liquidity = buffer − ⌈queued shares × P / S⌉, fee =
 * ⌈amount × (min·L + (max − min)·amount) / (10,000·L)⌉ on the liquidity L of the call. Redeems the
 * whole liquidity again and again (each fee stays in the buffer and raises the rate) within the
 * frame cap; returns the buffer and totals left.
 */
function drainUnderOldReserve(
  start: { buffer: bigint; P: bigint; S: bigint },
  queued: bigint,
  minBP: bigint,
  maxBP: bigint,
  cap: bigint,
): { buffer: bigint; P: bigint; S: bigint } {
  let { buffer, P, S } = start;
  let redeemed = 0n;
  for (let i = 0; i < 20; i++) {
    const liquidity = buffer - ceilDiv(queued * P, S);
    const amount = minOf(liquidity, cap - redeemed);
    if (amount <= 0n) break;
    const fee = ceilDiv(amount * (minBP * liquidity + (maxBP - minBP) * amount), TOTAL_BP * liquidity);
    const burned = ceilDiv(amount * S, P);
    [buffer, P, S] = [buffer - (amount - fee), P - (amount - fee), S - burned];
    redeemed += amount;
  }
  return { buffer, P, S };
}

/** The report's expectations for request 1, with the live totals. */
function underwaterExpected(u: Underwater): Expected {
  return {
    refSlot: u.refSlot,
    data: u.built.data,
    finalized: { fromId: 1n, lastId: 1n, nominal: u.requested, shares: u.shares },
    exits: [],
  };
}

/** The claim of request 1 pays exactly its lock (one request: no rounding dust) and returns nothing. */
async function claimAll(u: Underwater, lock: bigint): Promise<void> {
  const { queue, staker } = u.f;
  expect(await queue.getClaimableEther([1n], [await queue.getLastCheckpointIndex()])).to.deep.equal([lock]);
  const tx = send(queue.connect(staker).claimWithdrawal(1n));
  await expect(tx).to.emit(queue, "WithdrawalClaimed").withArgs(1n, staker.address, staker.address, lock);
  await expect(tx).not.to.emit(queue, "ExcessReturnedToPool");
  expect(await queue.lockedEther()).to.equal(0n);
  await expectTotalsConsistent(u.f);
}

describe("Attack: taking the buffer an underwater request needs before the report that finalizes it (review 4.3)", function () {
  it("an instant redemption of all the instant liquidity between the votes: the report still applies and locks min(requested, shares × the report's rate)", async function () {
    const u = await loadFixture(underwaterRedeemable);
    const { pool, queue } = u.f;
    const buffer0 = await pool.bufferedEther();
    const [P0, S0] = [await pool.totalPooledEther(), await pool.totalShares()];
    const queued = await queue.queuedShares();
    expect(queued).to.equal(u.shares);
    // The reserve is the nominal ETH asked for, not the shares' value at the (lower) current rate.
    const liquidity = await pool.instantLiquidity();
    expect(liquidity).to.equal(buffer0 - u.requested);
    const oldReserve0 = ceilDiv(queued * P0, S0);
    expect(oldReserve0).to.be.lessThan(u.requested);
    const oldLiquidity0 = buffer0 - oldReserve0;
    const [, , , remaining] = await pool.getInstantRedeemParams();
    // The old reserve would have let this much go, within the frame cap.
    expect(oldLiquidity0).to.be.greaterThan(liquidity);
    expect(oldLiquidity0).to.be.lessThanOrEqual(remaining);

    const redeemer = u.redeemer;
    const fee = await redeemInstantly(u.f, redeemer, liquidity);
    // Only the fee is left beyond the queue's reserve; not one wei more can leave.
    expect(await pool.instantLiquidity()).to.equal(fee);
    expect(await pool.bufferedEther()).to.equal(u.requested + fee);
    await expect(pool.connect(redeemer).instantRedeem(fee + 1n, 0n, redeemer.address))
      .to.be.revertedWithCustomError(pool, "InsufficientInstantLiquidity")
      .withArgs(fee + 1n, fee);

    // The report's rate (live totals + its rewards) is above the live rate; the request stays underwater.
    const live = await livePoolSnapshot(u.f);
    const sim = simulateReport(live, reportInputs(u.built.data));
    const reportRate = rateRayOf(sim.postTotalEther, sim.postTotalShares);
    expect(reportRate).to.be.greaterThan(rateRayOf(live.totalPooledEther, live.totalShares));
    const lock = valueAt(u.shares, reportRate);
    expect(lock).to.be.lessThan(u.requested);
    expect(lock).to.be.greaterThan(valueAt(u.shares, rateRayOf(live.totalPooledEther, live.totalShares)));
    // Under the old reserve (⌈queued shares × current rate⌉, which this lock exceeds, at the start and
    // at the deciding vote) redemptions could drain the buffer down to about that: replayed with the
    // old rules from the same start, the report's finalization would have exceeded the buffer.
    expect(lock).to.be.greaterThan(oldReserve0);
    expect(lock).to.be.greaterThan(ceilDiv(queued * live.totalPooledEther, live.totalShares));
    const [minBP, maxBP] = await pool.getInstantRedeemParams();
    const old = drainUnderOldReserve({ buffer: buffer0, P: P0, S: S0 }, queued, minBP, maxBP, remaining);
    const oldSim = simulateReport(
      { ...live, bufferedEther: old.buffer, totalPooledEther: old.P, totalShares: old.S },
      reportInputs(u.built.data),
    );
    const oldLock = lockOf(u.requested, u.shares, rateRayOf(oldSim.postTotalEther, oldSim.postTotalShares));
    expect(oldSim.availableEther).to.equal(old.buffer); // no vault ETH in this report
    expect(oldLock).to.be.greaterThan(old.buffer); // FinalizationExceedsBuffer(oldLock, old.buffer)

    const d = await decideAndCheck(u.f, u.decide, underwaterExpected(u));
    expect(d.lock).to.equal(lock);
    expect(await pool.bufferedEther()).to.equal(u.requested + fee - lock);
    await claimAll(u, lock);
  });

  it("a guardian deposit of the depositable ETH between the votes: the report still applies and locks exactly what it would have without it", async function () {
    const u = await loadFixture(underwaterDepositable);
    const { pool, queue, registry, operatorId } = u.f;
    const atRefSlot = simulateReport(await livePoolSnapshot(u.f), reportInputs(u.built.data));
    const lockAtRefSlot = valueAt(u.shares, rateRayOf(atRefSlot.postTotalEther, atRefSlot.postTotalShares));
    expect(lockAtRefSlot).to.be.lessThan(u.requested);

    const depositable = await pool.depositableEther();
    const reserve = ceilDiv((await pool.totalPooledEther()) * (await pool.instantLiquidityTargetBP()), TOTAL_BP);
    expect(depositable).to.equal((await pool.bufferedEther()) - u.requested - reserve);
    const count = minOf(depositable / DEPOSIT_SIZE, await registry.depositableKeys(operatorId));
    expect(count).to.equal(1n);
    await expect(send(guardianDeposit(u.f, count)))
      .to.emit(pool, "ValidatorsDeposited")
      .withArgs(operatorId, count, count * DEPOSIT_SIZE);
    expect(await pool.bufferedEther()).to.be.greaterThanOrEqual(u.requested + reserve);
    expect(await queue.unfinalizedEther()).to.equal(u.requested);

    const d = await decideAndCheck(u.f, u.decide, underwaterExpected(u));
    expect(d.lock).to.equal(lockAtRefSlot);
    await claimAll(u, lockAtRefSlot);
  });
});
