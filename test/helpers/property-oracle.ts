import { expect } from "chai";
import fc from "fast-check";
import hre from "hardhat";
import { ZeroAddress, getAddress, type BaseContract, type ContractTransactionReceipt } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { currentAttestation, signAttestation } from "../../offchain/guardians/attestations";
import { ShareRateModel } from "./share-rate-model";
import {
  advanceFrames,
  buildReport,
  depositValidators,
  submitUntilApplied,
  type OracleFixture,
  type ReportData,
} from "./oracle-fixtures";

/**
 * Model-based property testing of the accounting oracle over the real contracts (deployWithValidators):
 * an independent BigInt model of the pool, the vaults, the registry's bond and reward index and the
 * oracle's last report, the commands that drive both, and the checks run after every step.
 *
 * The model computes every report's outcome from the formulas of the AccountingOracle NatSpec (preCL,
 * bond tranche, smoothing budget, fee shares, insurance tranche) using only its own state; the chain
 * must agree with it to the wei, share and event argument. Separately, the brief's invariants are
 * checked on the chain's own numbers (before/after snapshots and the report's events), so that a
 * model mistake cannot hide a contract mistake behind an agreement.
 */

// ──────────────────────────────── Constants ────────────────────────────────

export const ETH = 10n ** 18n;
export const GWEI = 10n ** 9n;
const DEPOSIT_SIZE = 32n * ETH;
const BP = 10_000n;
const PPB = 1_000_000_000n;
const PPM = 1_000_000n;
const SECONDS_PER_SLOT = 12n;
const SECONDS_PER_YEAR = 365n * 24n * 3600n;
/** NodeOperatorRegistry.REWARD_INDEX_SCALE (internal constant). */
const REWARD_INDEX_SCALE = 1_000_000n;
/** The operator every property works with (deployWithValidators' only operator). */
export const OPERATOR_ID = 0n;

const ceilDiv = (a: bigint, b: bigint): bigint => (a === 0n ? 0n : (a - 1n) / b + 1n);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const sum = (xs: bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);

// ──────────────────────────────── Tracked accounts ────────────────────────────────

/** users[0] (the fixture's staker), users[1] (operator 0's reward address), users[2..6] (holders). */
export const USER_COUNT = 7;
/** Indices of the protocol accounts in the tracked list, after the users. */
export const BOOTSTRAP = USER_COUNT;
export const WRAPPER = USER_COUNT + 1;
export const REGISTRY = USER_COUNT + 2;
export const TREASURY = USER_COUNT + 3;
export const INSURANCE = USER_COUNT + 4;
/** The operator's reward address (users[1]). */
export const OPERATOR_REWARDS = 1;
/** Holders with no protocol role, whose balance a non-negative report must never lower. */
export const PLAIN_HOLDERS = [0, 1, 2, 3, 4, 5, 6, BOOTSTRAP, TREASURY];
/** users[2..6]: the holders the random stakes come from. */
export const ORDINARY_HOLDERS = [2, 3, 4, 5, 6];

// ──────────────────────────────── Chain state ────────────────────────────────

export interface LastReport {
  preTotalEther: bigint;
  postTotalEther: bigint;
  refSlot: bigint;
  preTotalShares: bigint;
  postTotalShares: bigint;
  timeElapsedSeconds: bigint;
  bunkerMode: boolean;
}

/** Everything the checks read from the chain. */
export interface ChainState {
  totalShares: bigint;
  totalPooledEther: bigint;
  bufferedEther: bigint;
  depositableEther: bigint;
  poolEth: bigint;
  depositedValidators: bigint;
  clValidators: bigint;
  clBalance: bigint;
  withdrawalVaultEth: bigint;
  elRewardsVaultEth: bigint;
  /** pool.sharesOf and pool.balanceOf by tracked index. */
  shares: bigint[];
  balances: bigint[];
  bondShares: bigint;
  depositedKeys: bigint;
  bondCoveredValidators: bigint;
  pendingRewards: bigint;
  totalActiveValidators: bigint;
  poolBunker: boolean;
  oracleBunker: boolean;
  lastProcessedRefSlot: bigint;
  lastReport: LastReport;
}

/** The system under test, as the commands see it. */
export class World {
  readonly addresses: string[];
  readonly labels: string[];
  /** The chain state after the previous step. */
  last!: ChainState;

  constructor(
    readonly f: OracleFixture,
    bootstrap: string,
    registry: string,
    insuranceFund: string,
    /** Sends ETH to the vaults; holds no shares. */
    readonly donor: HardhatEthersSigner,
  ) {
    const users = f.users.slice(0, USER_COUNT);
    this.addresses = [
      ...users.map((u) => u.address),
      bootstrap,
      f.wrapperAddress,
      registry,
      f.treasury.address,
      insuranceFund,
    ];
    this.labels = [
      "users[0]",
      "users[1] (operator 0's reward address)",
      "users[2]",
      "users[3]",
      "users[4]",
      "users[5]",
      "users[6]",
      "bootstrap holder",
      "wrapper",
      "registry",
      "treasury",
      "insurance fund",
    ];
  }

  static async create(f: OracleFixture): Promise<World> {
    return new World(
      f,
      getAddress(await f.pool.BOOTSTRAP_SHARES_HOLDER()),
      await f.registry.getAddress(),
      await f.insuranceFund.getAddress(),
      f.users[10],
    );
  }

  user(i: number): HardhatEthersSigner {
    return this.f.users[i];
  }

  async read(): Promise<ChainState> {
    const { pool, registry, oracle, withdrawalVault, elRewardsVault, poolAddress } = this.f;
    const provider = hre.ethers.provider;
    const [shares, balances] = await Promise.all([
      Promise.all(this.addresses.map((a) => pool.sharesOf(a))),
      Promise.all(this.addresses.map((a) => pool.balanceOf(a))),
    ]);
    const [
      totalShares,
      totalPooledEther,
      bufferedEther,
      depositableEther,
      poolEth,
      beacon,
      withdrawalVaultEth,
      elRewardsVaultEth,
      operator,
      pendingRewards,
      totalActiveValidators,
      poolBunker,
      oracleBunker,
      lastProcessedRefSlot,
      last,
    ] = await Promise.all([
      pool.totalShares(),
      pool.totalPooledEther(),
      pool.bufferedEther(),
      pool.depositableEther(),
      provider.getBalance(poolAddress),
      pool.getBeaconStat(),
      provider.getBalance(await withdrawalVault.getAddress()),
      provider.getBalance(await elRewardsVault.getAddress()),
      registry.getNodeOperator(OPERATOR_ID),
      registry.pendingOperatorRewards(OPERATOR_ID),
      registry.totalActiveValidators(),
      pool.isBunkerModeActive(),
      oracle.isBunkerModeActive(),
      oracle.getLastProcessedRefSlot(),
      oracle.getLastReport(),
    ]);
    return {
      totalShares,
      totalPooledEther,
      bufferedEther,
      depositableEther,
      poolEth,
      depositedValidators: beacon[0],
      clValidators: beacon[1],
      clBalance: beacon[2],
      withdrawalVaultEth,
      elRewardsVaultEth,
      shares,
      balances,
      bondShares: operator.bondShares,
      depositedKeys: operator.depositedKeys,
      bondCoveredValidators: operator.bondCoveredValidators,
      pendingRewards,
      totalActiveValidators,
      poolBunker,
      oracleBunker,
      lastProcessedRefSlot,
      lastReport: {
        preTotalEther: last.preTotalEther,
        postTotalEther: last.postTotalEther,
        refSlot: last.refSlot,
        preTotalShares: last.preTotalShares,
        postTotalShares: last.postTotalShares,
        timeElapsedSeconds: last.timeElapsedSeconds,
        bunkerMode: last.bunkerMode,
      },
    };
  }
}

// ──────────────────────────────── The model ────────────────────────────────

/** Governance settings, read once (the properties never change them) and checked against the defaults. */
export interface Config {
  treasuryFeeBP: bigint;
  operatorsFeeBP: bigint;
  insuranceFeeBP: bigint;
  annualAprLimitBP: bigint;
  clBalanceDropLimitBP: bigint;
  maxPositiveRebasePPB: bigint;
  liquidityTargetBP: bigint;
  vettedKeys: bigint;
}

/** What one report does, computed by the model before it is sent. */
export interface ReportOutcome {
  refSlot: bigint;
  elapsed: bigint;
  numValidators: bigint;
  clBalance: bigint;
  preCL: bigint;
  preTotalEther: bigint;
  preTotalShares: bigint;
  lossWei: bigint;
  bondWanted: bigint;
  bondBurned: bigint;
  bondCovered: bigint;
  budget: bigint;
  withdrawalTaken: bigint;
  elTaken: bigint;
  withdrawalReported: bigint;
  elReported: bigint;
  postTotalEther: bigint;
  /** credit − preCL: rewards + bond cover (signed). */
  result: bigint;
  treasuryShares: bigint;
  operatorsShares: bigint;
  insuranceShares: bigint;
  insuranceBurned: bigint;
  insuranceCovered: bigint;
  socialized: bigint;
  postTotalShares: bigint;
  bunkerMode: boolean;
}

/** The expected state, kept in BigInt and moved only by the commands, from the documented formulas. */
export class OracleModel extends ShareRateModel {
  poolEth: bigint;
  clBalance: bigint;
  clValidators: bigint;
  depositedValidators: bigint;
  withdrawalVaultEth: bigint;
  elRewardsVaultEth: bigint;
  lastRefSlot: bigint;
  bunker: boolean;
  lastReport: LastReport;
  // Registry: operator 0's bond and keys, and the reward index.
  bondShares: bigint;
  depositedKeys: bigint;
  rewardIndex = 0n;
  heldBackShares = 0n;
  totalActiveValidators: bigint;
  operatorActive: bigint;
  operatorAccrued = 0n;
  operatorCheckpoint = 0n;
  steps = 0;

  constructor(
    readonly config: Config,
    initial: ChainState,
  ) {
    super();
    // Starting point only: the model evolves on its own from here.
    this.totalShares = initial.totalShares;
    this.totalPooledEther = initial.totalPooledEther;
    this.shares = [...initial.shares];
    this.poolEth = initial.poolEth;
    this.clBalance = initial.clBalance;
    this.clValidators = initial.clValidators;
    this.depositedValidators = initial.depositedValidators;
    this.withdrawalVaultEth = initial.withdrawalVaultEth;
    this.elRewardsVaultEth = initial.elRewardsVaultEth;
    this.lastRefSlot = initial.lastProcessedRefSlot;
    this.bunker = initial.poolBunker;
    this.lastReport = { ...initial.lastReport };
    this.bondShares = initial.bondShares;
    this.depositedKeys = initial.depositedKeys;
    this.totalActiveValidators = initial.totalActiveValidators;
    this.operatorActive = initial.depositedKeys; // no exits in these properties
  }

  bufferedEther(): bigint {
    return this.totalPooledEther - this.clBalance - (this.depositedValidators - this.clValidators) * DEPOSIT_SIZE;
  }
  depositableEther(): bigint {
    const reserve = ceilDiv(this.totalPooledEther * this.config.liquidityTargetBP, BP);
    return max(0n, this.bufferedEther() - reserve);
  }
  pendingRewards(): bigint {
    return (
      this.operatorAccrued + ((this.rewardIndex - this.operatorCheckpoint) * this.operatorActive) / REWARD_INDEX_SCALE
    );
  }
  private accrue(): void {
    this.operatorAccrued = this.pendingRewards();
    this.operatorCheckpoint = this.rewardIndex;
  }

  /** pool.stake: floor(a·S/P) shares. */
  stake(i: number, amount: bigint): bigint {
    const shares = (amount * this.totalShares) / this.totalPooledEther;
    this.shares[i] += shares;
    this.totalShares += shares;
    this.totalPooledEther += amount;
    this.poolEth += amount;
    return shares;
  }

  /** pool.transfer: ceil(amount·S/P) shares. */
  transfer(from: number, to: number, amount: bigint): bigint {
    const shares = this.toSharesUp(amount);
    this.shares[from] -= shares;
    this.shares[to] += shares;
    return shares;
  }

  /** registry.claimOperatorRewards: everything accrued moves from the registry to the reward address. */
  claim(): bigint {
    this.accrue();
    const shares = this.operatorAccrued;
    this.operatorAccrued = 0n;
    this.shares[REGISTRY] -= shares;
    this.shares[OPERATOR_REWARDS] += shares;
    return shares;
  }

  /** pool.depositBufferedEther through the module: buffer → deposit contract, rewards accrued first. */
  deposit(count: bigint): void {
    this.accrue();
    this.operatorActive += count;
    this.totalActiveValidators += count;
    this.depositedKeys += count;
    this.depositedValidators += count;
    this.poolEth -= count * DEPOSIT_SIZE;
  }

  /**
   * The one-off CL drop check: `ClBalanceDropLimitExceeded(dropBP rounded up, limitBP)` when the CL
   * result (CL balance + withdrawal vault, against preCL) drops by more than `clBalanceDropLimitBP`
   * of preCL, else null. Bunker mode plays no part: the limit holds whatever the report declares,
   * and only slashings proven on chain (none in these properties) would stretch it.
   */
  clDropError(preCL: bigint, clAfter: bigint): [string, bigint[]] | null {
    if (clAfter >= preCL) return null;
    const drop = preCL - clAfter;
    const limitBP = this.config.clBalanceDropLimitBP;
    if (drop * BP <= limitBP * preCL) return null;
    return ["ClBalanceDropLimitExceeded", [ceilDiv(drop * BP, preCL), limitBP]];
  }

  /** The report's outcome per the AccountingOracle NatSpec, from the model's state alone. */
  computeReport(
    refSlot: bigint,
    numValidators: bigint,
    clBalanceGwei: bigint,
    withdrawalReported: bigint,
    elReported: bigint,
    lossGwei: bigint,
    bunkerMode: boolean,
  ): ReportOutcome {
    const { config } = this;
    const P = this.totalPooledEther;
    const S = this.totalShares;
    const clBalance = clBalanceGwei * GWEI;
    const preCL = this.clBalance + (numValidators - this.clValidators) * DEPOSIT_SIZE;

    // Tranche 1: operator 0's bond, ceil(loss·S/P) at the pre-report rate, capped at the bond.
    const lossWei = lossGwei * GWEI;
    let bondWanted = 0n;
    let bondBurned = 0n;
    let bondCovered = 0n;
    if (lossWei > 0n) {
      bondWanted = ceilDiv(lossWei * S, P);
      bondBurned = min(bondWanted, this.bondShares);
      bondCovered = bondBurned === bondWanted ? lossWei : (bondBurned * P) / S;
    }

    // Smoothing: vault ETH only up to preCL + P·ppb − (CL + covered), withdrawal vault first.
    const budget = (P * config.maxPositiveRebasePPB) / PPB;
    let credit = clBalance + bondCovered;
    const room = max(0n, preCL + budget - credit);
    const withdrawalTaken = min(withdrawalReported, room);
    const elTaken = min(elReported, room - withdrawalTaken);
    credit += withdrawalTaken + elTaken;
    const postTotalEther = P + credit - bondCovered - preCL;
    const result = credit - preCL;

    let treasuryShares = 0n;
    let operatorsShares = 0n;
    let insuranceShares = 0n;
    let insuranceBurned = 0n;
    let insuranceCovered = 0n;
    let socialized = 0n;
    if (result >= 0n) {
      const treasuryWei = (result * config.treasuryFeeBP) / BP;
      const operatorsWei = (result * config.operatorsFeeBP) / BP;
      const insuranceWei = (result * config.insuranceFeeBP) / BP;
      const feeWei = treasuryWei + operatorsWei + insuranceWei;
      if (feeWei > 0n) {
        const sharesLeft = S - bondBurned;
        const denominator = postTotalEther - feeWei;
        treasuryShares = (treasuryWei * sharesLeft) / denominator;
        operatorsShares = (operatorsWei * sharesLeft) / denominator;
        insuranceShares = (insuranceWei * sharesLeft) / denominator;
      }
    } else {
      const loss = -result;
      const fundShares = this.shares[INSURANCE];
      const fundWei = (fundShares * P) / S;
      if (loss < fundWei) {
        insuranceBurned = ceilDiv(loss * S, P);
        insuranceCovered = loss;
      } else {
        insuranceBurned = fundShares;
        insuranceCovered = fundWei;
      }
      socialized = loss - insuranceCovered;
    }
    const postTotalShares = S - bondBurned - insuranceBurned + treasuryShares + operatorsShares + insuranceShares;
    return {
      refSlot,
      elapsed: (refSlot - this.lastRefSlot) * SECONDS_PER_SLOT,
      numValidators,
      clBalance,
      preCL,
      preTotalEther: P,
      preTotalShares: S,
      lossWei,
      bondWanted,
      bondBurned,
      bondCovered,
      budget,
      withdrawalTaken,
      elTaken,
      withdrawalReported,
      elReported,
      postTotalEther,
      result,
      treasuryShares,
      operatorsShares,
      insuranceShares,
      insuranceBurned,
      insuranceCovered,
      socialized,
      postTotalShares,
      bunkerMode,
    };
  }

  /** The events the report must emit, in order (oracle, registry and pool events the checks filter on). */
  expectedEvents(o: ReportOutcome, w: World): string[] {
    const [registry, treasury, fund] = [w.addresses[REGISTRY], w.addresses[TREASURY], w.addresses[INSURANCE]];
    const events: string[] = [];
    if (o.lossWei > 0n) {
      if (o.bondBurned > 0n) events.push(`BondBurned(${OPERATOR_ID}, ${o.bondBurned})`);
      events.push(`OperatorLossCovered(${OPERATOR_ID}, ${o.lossWei}, ${o.bondCovered}, ${o.bondBurned})`);
    }
    if (o.withdrawalTaken < o.withdrawalReported || o.elTaken < o.elReported) {
      events.push(`VaultEtherDeferred(${o.withdrawalReported - o.withdrawalTaken}, ${o.elReported - o.elTaken})`);
    }
    if (o.insuranceBurned > 0n) events.push(`InsuranceLossCovered(${o.insuranceCovered}, ${o.insuranceBurned})`);
    if (o.socialized > 0n) events.push(`LossSocialized(${o.socialized})`);
    // Burns priced at the pre-report totals, mints at the post-report totals (Transfer = floor value).
    const pre = (s: bigint): bigint => (s * o.preTotalEther) / o.preTotalShares;
    const post = (s: bigint): bigint => (s * o.postTotalEther) / o.postTotalShares;
    const move = (from: string, to: string, shares: bigint, amount: bigint): void => {
      if (shares === 0n) return;
      events.push(`Transfer(${from}, ${to}, ${amount})`, `TransferShares(${from}, ${to}, ${shares})`);
    };
    move(registry, ZeroAddress, o.bondBurned, pre(o.bondBurned));
    move(fund, ZeroAddress, o.insuranceBurned, pre(o.insuranceBurned));
    move(ZeroAddress, treasury, o.treasuryShares, post(o.treasuryShares));
    move(ZeroAddress, registry, o.operatorsShares, post(o.operatorsShares));
    move(ZeroAddress, fund, o.insuranceShares, post(o.insuranceShares));
    if (o.operatorsShares > 0n) {
      events.push(
        `OperatorRewardsDistributed(${o.operatorsShares + this.heldBackShares}, ${this.totalActiveValidators})`,
      );
    }
    events.push(
      `ReportApplied(${o.refSlot}, ${o.preTotalEther}, ${o.postTotalEther}, ${o.preTotalShares}, ` +
        `${o.postTotalShares}, ${o.treasuryShares + o.operatorsShares + o.insuranceShares})`,
    );
    return events;
  }

  /** Applies a report's outcome. */
  applyReport(o: ReportOutcome): void {
    this.shares[REGISTRY] += o.operatorsShares - o.bondBurned;
    this.shares[INSURANCE] += o.insuranceShares - o.insuranceBurned;
    this.shares[TREASURY] += o.treasuryShares;
    this.bondShares -= o.bondBurned;
    this.totalShares = o.postTotalShares;
    this.totalPooledEther = o.postTotalEther;
    this.clBalance = o.clBalance;
    this.clValidators = o.numValidators;
    this.withdrawalVaultEth -= o.withdrawalTaken;
    this.elRewardsVaultEth -= o.elTaken;
    this.poolEth += o.withdrawalTaken + o.elTaken;
    this.lastRefSlot = o.refSlot;
    this.bunker = o.bunkerMode;
    if (o.operatorsShares > 0n) {
      const total = o.operatorsShares + this.heldBackShares;
      if (this.totalActiveValidators === 0n) {
        this.heldBackShares = total;
      } else {
        this.rewardIndex += (total * REWARD_INDEX_SCALE) / this.totalActiveValidators;
        this.heldBackShares = 0n;
      }
    }
    this.lastReport = {
      preTotalEther: o.preTotalEther,
      postTotalEther: o.postTotalEther,
      refSlot: o.refSlot,
      preTotalShares: o.preTotalShares,
      postTotalShares: o.postTotalShares,
      timeElapsedSeconds: o.elapsed,
      bunkerMode: o.bunkerMode,
    };
  }
}

// ──────────────────────────────── Setup ────────────────────────────────

/** Builds the world and its model from a fixture that loadFixture just (re)loaded. */
export async function setupWorld(f: OracleFixture): Promise<{ model: OracleModel; real: World }> {
  const real = await World.create(f);
  const initial = await real.read();
  const fees = await f.oracle.getFeeConfig();
  const limits = await f.oracle.getSanityLimits();
  const operator = await f.registry.getNodeOperator(OPERATOR_ID);
  const config: Config = {
    treasuryFeeBP: fees.treasuryFeeBP,
    operatorsFeeBP: fees.operatorsFeeBP,
    insuranceFeeBP: fees.insuranceFeeBP,
    annualAprLimitBP: limits.annualAprLimitBP,
    clBalanceDropLimitBP: limits.clBalanceDropLimitBP,
    maxPositiveRebasePPB: limits.maxPositiveRebasePPB,
    liquidityTargetBP: await f.pool.instantLiquidityTargetBP(),
    vettedKeys: operator.vettedKeys,
  };
  // The deployment's documented defaults (the brief); the properties' limits are derived from these.
  expect(
    [config.treasuryFeeBP, config.operatorsFeeBP, config.insuranceFeeBP, await f.oracle.feeBP()],
    "default fees",
  ).to.deep.equal([500n, 400n, 100n, 1000n]);
  expect(
    [config.annualAprLimitBP, config.clBalanceDropLimitBP, config.maxPositiveRebasePPB],
    "default sanity limits",
  ).to.deep.equal([1000n, 500n, 750_000n]);
  expect(fees.treasury, "fee treasury is the treasury account").to.equal(f.treasury.address);
  // The fixture's starting point the model relies on: no fee distributed yet, all validators visible.
  expect(initial.pendingRewards, "fixture: no operator rewards yet").to.equal(0n);
  expect(initial.shares[INSURANCE], "fixture: empty insurance fund").to.equal(0n);
  expect(initial.totalActiveValidators, "fixture: the registry counts operator 0's validators").to.equal(
    initial.depositedKeys,
  );
  expect(initial.clValidators, "fixture: every deposited validator is visible").to.equal(initial.depositedValidators);
  const model = new OracleModel(config, initial);
  await checkStep(model, real, "setup");
  return { model, real };
}

// ──────────────────────────────── Checks ────────────────────────────────

/**
 * Reads the chain, checks it against the model and the step invariants, and records it as `last`:
 * 1. Σ sharesOf over every account that can hold shares == totalShares;
 * 2. totalPooledEther == bufferedEther + clBalance + (deposited − clValidators) × 32 ETH, and the pool
 *    holds at least bufferedEther;
 * 4. Σ pending operator rewards + bond shares ≤ sharesOf(registry).
 */
export async function checkStep(model: OracleModel, real: World, step: string): Promise<ChainState> {
  const c = await real.read();
  const at = `after ${step}`;

  // The chain agrees with the model, account by account.
  real.addresses.forEach((_, i) => {
    expect(c.shares[i], `${at}: sharesOf(${real.labels[i]}) vs model`).to.equal(model.shares[i]);
    expect(c.balances[i], `${at}: balanceOf(${real.labels[i]}) = floor(shares·P/S)`).to.equal(model.balanceOf(i));
  });
  const actual = {
    totalShares: c.totalShares,
    totalPooledEther: c.totalPooledEther,
    bufferedEther: c.bufferedEther,
    depositableEther: c.depositableEther,
    poolEth: c.poolEth,
    depositedValidators: c.depositedValidators,
    clValidators: c.clValidators,
    clBalance: c.clBalance,
    withdrawalVaultEth: c.withdrawalVaultEth,
    elRewardsVaultEth: c.elRewardsVaultEth,
    bondShares: c.bondShares,
    depositedKeys: c.depositedKeys,
    pendingRewards: c.pendingRewards,
    totalActiveValidators: c.totalActiveValidators,
    poolBunker: c.poolBunker,
    oracleBunker: c.oracleBunker,
    lastProcessedRefSlot: c.lastProcessedRefSlot,
    lastReport: c.lastReport,
  };
  const expected = {
    totalShares: model.totalShares,
    totalPooledEther: model.totalPooledEther,
    bufferedEther: model.bufferedEther(),
    depositableEther: model.depositableEther(),
    poolEth: model.poolEth,
    depositedValidators: model.depositedValidators,
    clValidators: model.clValidators,
    clBalance: model.clBalance,
    withdrawalVaultEth: model.withdrawalVaultEth,
    elRewardsVaultEth: model.elRewardsVaultEth,
    bondShares: model.bondShares,
    depositedKeys: model.depositedKeys,
    pendingRewards: model.pendingRewards(),
    totalActiveValidators: model.totalActiveValidators,
    poolBunker: model.bunker,
    oracleBunker: model.bunker,
    lastProcessedRefSlot: model.lastRefSlot,
    lastReport: model.lastReport,
  };
  expect(actual, `${at}: pool, vault, registry and oracle state vs model`).to.deep.equal(expected);

  // 1. Shares sum to the total.
  expect(sum(c.shares), `${at}: invariant 1: Σ sharesOf(every holder) == totalShares`).to.equal(c.totalShares);

  // 2. Pooled ETH is the buffer, the CL balance and the not-yet-visible deposits; the buffer is really there.
  expect(
    c.totalPooledEther,
    `${at}: invariant 2: totalPooledEther == buffered + clBalance + (deposited − clValidators) × 32 ETH`,
  ).to.equal(c.bufferedEther + c.clBalance + (c.depositedValidators - c.clValidators) * DEPOSIT_SIZE);
  expect(c.poolEth >= c.bufferedEther, `${at}: invariant 2: pool ETH ${c.poolEth} ≥ buffered ${c.bufferedEther}`).to.be
    .true;

  // 4. The registry holds every share it owes (one operator: its pending rewards and its bond).
  expect(
    c.pendingRewards + c.bondShares <= c.shares[REGISTRY],
    `${at}: invariant 4: pending ${c.pendingRewards} + bond ${c.bondShares} ≤ registry shares ${c.shares[REGISTRY]}`,
  ).to.be.true;

  model.steps += 1;
  real.last = c;
  return c;
}

/** Events of interest in a receipt, formatted "Name(arg, arg, …)" in log order. */
export function receiptEvents(real: World, receipt: ContractTransactionReceipt): string[] {
  const { oracle, pool, registry } = real.f;
  const sources: [BaseContract, Set<string>][] = [
    [
      oracle,
      new Set([
        "OperatorLossCovered",
        "VaultEtherDeferred",
        "InsuranceLossCovered",
        "LossSocialized",
        "ReportApplied",
        "ValidatorExitRequested",
      ]),
    ],
    [pool, new Set(["Transfer", "TransferShares"])],
    [registry, new Set(["BondBurned", "OperatorRewardsDistributed"])],
  ];
  const byAddress = new Map<string, [BaseContract, Set<string>]>();
  for (const [contract, names] of sources) byAddress.set(String(contract.target).toLowerCase(), [contract, names]);
  const events: string[] = [];
  for (const log of receipt.logs) {
    const source = byAddress.get(log.address.toLowerCase());
    if (source === undefined) continue;
    const parsed = source[0].interface.parseLog(log);
    if (parsed === null || !source[1].has(parsed.name)) continue;
    events.push(`${parsed.name}(${parsed.args.toArray().map(String).join(", ")})`);
  }
  return events;
}

/** Shares minted to `to` (TransferShares from the zero address) in a receipt. */
function mintedShares(events: string[], to: string): bigint {
  const prefix = `TransferShares(${ZeroAddress}, ${to}, `;
  return sum(events.filter((e) => e.startsWith(prefix)).map((e) => BigInt(e.slice(prefix.length, -1))));
}

/** Shares burned from `from` (TransferShares to the zero address) in a receipt. */
function burnedShares(events: string[], from: string): bigint {
  const prefix = `TransferShares(${from}, ${ZeroAddress}, `;
  return sum(events.filter((e) => e.startsWith(prefix)).map((e) => BigInt(e.slice(prefix.length, -1))));
}

/** The covered amount of an OperatorLossCovered event (0 without one). */
function bondCoveredFromEvents(events: string[]): bigint {
  return sum(
    events
      .filter((e) => e.startsWith("OperatorLossCovered("))
      .map((e) => BigInt(e.slice("OperatorLossCovered(".length, -1).split(", ")[2])),
  );
}

/**
 * Invariant 3, on the chain's own numbers (the snapshots around the report, its data and its events):
 * - ΔtotalPooledEther == clBalance + vault ETH moved − preCL (moved = the vaults' balance drops);
 * - vault ETH moved ≤ the smoothing budget room = max(0, preCL + P·ppb − (clBalance + covered)), taken
 *   withdrawal vault first; hence P' + covered − P ≤ max(P·ppb, clBalance + covered − preCL): the
 *   positive rebase beyond the CL part is at most 0.075% of TVL;
 * - the shares that survive the report (all but the burned ones) gain at most that much value, i.e.
 *   the rate rises by at most 0.075% of TVL plus the CL-only part (rounding: under 2 shares' worth + 1 wei);
 * - result = rewards + bond cover ≥ 0: no plain holder's tpETH balance decreases;
 * - result > 0: the fee shares are m_x = F_x·S'/(P' − F) with S' the shares after the bond burns, and
 *   are worth feeBP × result / 10000 within 3 shares' worth + 3 wei (one floor per part);
 * - result < 0: holders other than the insurance fund and the burned bond lose at most
 *   max(0, loss − fund value) in aggregate (exact: every burn rounds in their favour).
 */
export function checkReportInvariants(
  real: World,
  config: Config,
  before: ChainState,
  after: ChainState,
  data: ReportData,
  events: string[],
): void {
  const [P, S, P1, S1] = [before.totalPooledEther, before.totalShares, after.totalPooledEther, after.totalShares];
  const numValidators = BigInt(data.numValidators);
  const cl = BigInt(data.clBalanceGwei) * GWEI;
  const preCL = before.clBalance + (numValidators - before.clValidators) * DEPOSIT_SIZE;
  const movedW = before.withdrawalVaultEth - after.withdrawalVaultEth;
  const movedE = before.elRewardsVaultEth - after.elRewardsVaultEth;
  const moved = movedW + movedE;
  const registry = real.addresses[REGISTRY];
  const fund = real.addresses[INSURANCE];
  const covered = bondCoveredFromEvents(events);
  const bondBurned = before.bondShares - after.bondShares;
  const fundBurned = burnedShares(events, fund);

  expect(P1 - P, "invariant 3: ΔtotalPooledEther == clBalance + vault ETH moved − preCL").to.equal(cl + moved - preCL);
  expect(after.poolEth - before.poolEth, "invariant 3: the vault ETH moved arrived in the pool").to.equal(moved);
  expect(burnedShares(events, registry), "invariant 3: the registry burns exactly the bond shares lost").to.equal(
    bondBurned,
  );

  // Smoothing.
  const budget = (P * config.maxPositiveRebasePPB) / PPB;
  const room = max(0n, preCL + budget - (cl + covered));
  expect(moved <= room, `invariant 3: vault ETH moved ${moved} ≤ smoothing room ${room}`).to.be.true;
  expect(movedW, "invariant 3: the withdrawal vault is drained first, up to the room").to.equal(
    min(BigInt(data.withdrawalVaultBalance), room),
  );
  expect(movedE, "invariant 3: then the EL rewards vault, up to what room is left").to.equal(
    min(BigInt(data.elRewardsVaultBalance), room - movedW),
  );
  const clPart = cl + covered - preCL;
  const maxRise = max(budget, clPart);
  expect(
    P1 + covered - P <= maxRise,
    `invariant 3: pooled ETH rises (net of bond cover) by ${P1 + covered - P} ≤ max(budget ${budget}, CL part ${clPart})`,
  ).to.be.true;
  // Surviving shares U: their value gain U·P'/S' − U·P/S ≤ maxRise + 2·P/S + 1 (cross-multiplied).
  const U = S - bondBurned - fundBurned;
  const tolerance = 2n * ceilDiv(P, S) + 1n;
  expect(
    U * P1 * S - U * P * S1 <= (maxRise + tolerance) * S * S1,
    `invariant 3: the share rate rises by at most 0.075% of TVL plus the CL-only part (P ${P}→${P1}, S ${S}→${S1})`,
  ).to.be.true;

  const result = cl + moved + covered - preCL;
  if (result >= 0n) {
    for (const i of PLAIN_HOLDERS) {
      expect(
        after.balances[i] >= before.balances[i],
        `invariant 3: result ${result} ≥ 0 never lowers ${real.labels[i]}'s balance (${before.balances[i]} → ${after.balances[i]})`,
      ).to.be.true;
    }
  }
  const minted = [
    mintedShares(events, real.addresses[TREASURY]),
    mintedShares(events, registry),
    mintedShares(events, fund),
  ];
  if (result > 0n) {
    const parts = [config.treasuryFeeBP, config.operatorsFeeBP, config.insuranceFeeBP].map((bp) => (result * bp) / BP);
    const feeWei = sum(parts);
    const sharesLeft = S - bondBurned;
    const expectedShares = parts.map((part) => (part * sharesLeft) / (P1 - feeWei));
    expect(minted, "invariant 3: fee shares m_x = F_x × S' / (P' − F) to treasury, registry, fund").to.deep.equal(
      expectedShares,
    );
    expect(S1, "invariant 3: totalShares after = before − bond burned + fee shares").to.equal(
      S - bondBurned + sum(minted),
    );
    const worth = (sum(minted) * P1) / S1;
    const target = (result * (config.treasuryFeeBP + config.operatorsFeeBP + config.insuranceFeeBP)) / BP;
    const feeTolerance = 3n * ceilDiv(P1, S1) + 3n;
    expect(
      worth <= target && target - worth <= feeTolerance,
      `invariant 3: the fee shares are worth ${worth}, feeBP × result = ${target} (≤ ${feeTolerance} wei below)`,
    ).to.be.true;
  } else {
    expect(sum(minted), "invariant 3: no fee shares without positive rewards").to.equal(0n);
  }
  if (result < 0n) {
    const loss = -result;
    const fundValue = (before.shares[INSURANCE] * P) / S;
    const allowed = max(0n, loss - fundValue);
    // Holders H = every share but the fund's and the burned bond: H·P/S − H·P'/S' ≤ allowed.
    const H = S - before.shares[INSURANCE] - bondBurned;
    expect(
      H * P * S1 - H * P1 * S <= allowed * S * S1,
      `invariant 3: holders lose at most max(0, loss ${loss} − fund ${fundValue}) = ${allowed} in aggregate`,
    ).to.be.true;
  }
}

// ──────────────────────────────── Commands ────────────────────────────────

/** How often each command took each path (printed with FC_COVERAGE=1). */
export const outcomes = new Map<string, number>();
function record(outcome: string): void {
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
}

type OracleCommand = fc.AsyncCommand<OracleModel, World, false>;

/** Runs one step; failures name the step and the command. */
async function step(model: OracleModel, name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (e instanceof Error) e.message = `step ${model.steps} (${name}): ${e.message}`;
    throw e;
  }
}

export class StakeCommand implements OracleCommand {
  constructor(
    readonly user: number,
    readonly amount: bigint,
  ) {}
  check(): true {
    return true;
  }
  async run(model: OracleModel, real: World): Promise<void> {
    await step(model, this.toString(), async () => {
      const before = real.last.shares[this.user];
      const shares = model.stake(this.user, this.amount);
      await (await real.f.pool.connect(real.user(this.user)).stake(ZeroAddress, { value: this.amount })).wait();
      const after = await checkStep(model, real, this.toString());
      expect(after.shares[this.user] - before, "stake: floor(a·S/P) shares").to.equal(shares);
      record("stake");
    });
  }
  toString(): string {
    return `stake(users[${this.user}], ${this.amount})`;
  }
}

/**
 * A tpETH transfer between users of a fraction of the sender's balance. The sender is the k-th user
 * (mod the count) among those holding shares when the command runs, or users[k] when none does.
 */
export class TransferCommand implements OracleCommand {
  constructor(
    readonly k: number,
    readonly to: number,
    readonly ppm: bigint,
  ) {}
  check(): true {
    return true;
  }
  async run(model: OracleModel, real: World): Promise<void> {
    const holders = [...Array(USER_COUNT).keys()].filter((i) => model.shares[i] > 0n);
    const from = holders.length === 0 ? this.k % USER_COUNT : holders[this.k % holders.length];
    const amount = (model.balanceOf(from) * this.ppm) / PPM;
    const name = `transfer(users[${from}] → users[${this.to}], ${amount} wei)`;
    await step(model, name, async () => {
      model.transfer(from, this.to, amount);
      const tx = real.f.pool.connect(real.user(from)).transfer(real.addresses[this.to], amount);
      await (await tx).wait();
      await checkStep(model, real, name);
      record(amount === 0n ? "transfer of 0" : "transfer");
    });
  }
  toString(): string {
    return `transfer(holder #${this.k} → users[${this.to}], ${Number(this.ppm) / 1e4}% of balance)`;
  }
}

export type VaultKind = "withdrawal" | "elRewards";

export class VaultDonationCommand implements OracleCommand {
  constructor(
    readonly vault: VaultKind,
    readonly amount: bigint,
  ) {}
  check(): true {
    return true;
  }
  async run(model: OracleModel, real: World): Promise<void> {
    await step(model, this.toString(), async () => {
      const target = this.vault === "withdrawal" ? real.f.withdrawalVault : real.f.elRewardsVault;
      if (this.vault === "withdrawal") model.withdrawalVaultEth += this.amount;
      else model.elRewardsVaultEth += this.amount;
      await (await real.donor.sendTransaction({ to: await target.getAddress(), value: this.amount })).wait();
      await checkStep(model, real, this.toString());
      record(`send to ${this.vault} vault`);
    });
  }
  toString(): string {
    return `send(${this.amount} wei → ${this.vault} vault)`;
  }
}

export class ClaimCommand implements OracleCommand {
  check(): true {
    return true;
  }
  async run(model: OracleModel, real: World): Promise<void> {
    await step(model, this.toString(), async () => {
      const { registry } = real.f;
      const operator = real.user(OPERATOR_REWARDS);
      if (model.pendingRewards() === 0n) {
        await expect(registry.connect(operator).claimOperatorRewards(OPERATOR_ID))
          .to.be.revertedWithCustomError(registry, "NoOperatorRewards")
          .withArgs(OPERATOR_ID);
        await checkStep(model, real, "a claim with nothing pending (state unchanged)");
        record("claim → NoOperatorRewards");
        return;
      }
      const shares = model.claim();
      const amount = model.toEthDown(shares);
      await expect(registry.connect(operator).claimOperatorRewards(OPERATOR_ID))
        .to.emit(registry, "OperatorRewardsClaimed")
        .withArgs(OPERATOR_ID, operator.address, shares, amount);
      await checkStep(model, real, this.toString());
      record("claim");
    });
  }
  toString(): string {
    return "claimOperatorRewards(0)";
  }
}

/** The module's deposit call with a fresh guardian attestation, not awaited (for revert assertions). */
async function sendDeposit(real: World, count: bigint) {
  const { f } = real;
  const attestation = await currentAttestation(f.depositContract, f.registry, hre.ethers.provider);
  const signatures = await signAttestation(f.dsm, attestation, [f.guardian]);
  return f.dsm.depositBufferedEther(OPERATOR_ID, count, attestation, signatures);
}

/** Deposits `count` validators of operator 0 when keys remain; with too small a buffer, asserts the revert. */
export class DepositCommand implements OracleCommand {
  constructor(readonly count: bigint) {}
  check(): true {
    return true;
  }
  async run(model: OracleModel, real: World): Promise<void> {
    await step(model, this.toString(), async () => {
      const keysLeft = model.config.vettedKeys - model.depositedKeys;
      if (keysLeft === 0n) {
        record("deposit → no keys left (skipped)");
        return;
      }
      const count = min(this.count, keysLeft);
      const depositable = model.depositableEther();
      if (count * DEPOSIT_SIZE > depositable) {
        await expect(sendDeposit(real, count))
          .to.be.revertedWithCustomError(real.f.pool, "NotEnoughBufferedEther")
          .withArgs(count * DEPOSIT_SIZE, depositable);
        await checkStep(model, real, `deposit of ${count} without the buffer for it (state unchanged)`);
        record("deposit → NotEnoughBufferedEther");
        return;
      }
      // The property's fixture posts bond enough for every vetted key; a shortfall is a setup error.
      expect(real.last.bondCoveredValidators >= model.operatorActive + count, "setup: the bond covers the deposit").to
        .be.true;
      model.deposit(count);
      await depositValidators(real.f, OPERATOR_ID, Number(count));
      await checkStep(model, real, `deposit of ${count}`);
      record("deposit");
    });
  }
  toString(): string {
    return `deposit(operator 0, ${this.count})`;
  }
}

/** Where the CL balance lands inside the range the sanity limits allow. */
export type ClSpec =
  | { kind: "lowest" }
  | { kind: "highest" }
  | { kind: "flat" }
  | { kind: "nearFlat"; gwei: bigint }
  /** A drop of this fraction of the insurance fund's value (tranche 2 covering it whole, or just not). */
  | { kind: "fundSized"; ppm: bigint }
  | { kind: "fraction"; ppm: bigint };

export interface ReportSpec {
  frames: bigint;
  /** Newly visible validators, as a fraction of the deposited-but-invisible ones (1e6: all). */
  visiblePpm: bigint;
  cl: ClSpec;
  withdrawalPpm: bigint;
  elPpm: bigint;
  /** A loss attributed to operator 0, as a fraction of the CL drop (null: none). */
  lossPpm: bigint | null;
  bunker: boolean;
  /** First try numValidators = deposited + 1, which must revert NumValidatorsExceedDeposited. */
  probeAboveDeposited: boolean;
}

function describeCl(cl: ClSpec): string {
  switch (cl.kind) {
    case "nearFlat":
      return `flat ${cl.gwei >= 0n ? "+" : ""}${cl.gwei} gwei`;
    case "fundSized":
      return `a drop of ${Number(cl.ppm) / 1e4}% of the insurance fund`;
    case "fraction":
      return `${Number(cl.ppm) / 1e4}% of the range`;
    default:
      return cl.kind;
  }
}

export class ReportCommand implements OracleCommand {
  constructor(readonly spec: ReportSpec) {}
  check(): true {
    return true;
  }

  /** Resolves the spec against the model: fields that stay inside the default sanity limits. */
  private plan(model: OracleModel, refSlot: bigint) {
    const { spec } = this;
    const { config } = model;
    const invisible = model.depositedValidators - model.clValidators;
    const numValidators = model.clValidators + (invisible * spec.visiblePpm) / PPM;
    const preCL = model.clBalance + (numValidators - model.clValidators) * DEPOSIT_SIZE;
    const elapsed = (refSlot - model.lastRefSlot) * SECONDS_PER_SLOT;
    // gain × year × 10,000 ≤ aprBP × preCL × elapsed  ⇔  gain ≤ floor(aprBP × preCL × elapsed / (year × 10,000))
    const maxGain = (config.annualAprLimitBP * preCL * elapsed) / (SECONDS_PER_YEAR * BP);
    // drop × 10,000 ≤ dropBP × preCL  ⇔  drop ≤ floor(dropBP × preCL / 10,000), bunker mode or not.
    const maxDrop = (config.clBalanceDropLimitBP * preCL) / BP;
    // The withdrawal vault counts with the CL balance in the check: keep it within the whole range.
    const withdrawal = (min(model.withdrawalVaultEth, maxGain + maxDrop) * spec.withdrawalPpm) / PPM;
    const el = (model.elRewardsVaultEth * spec.elPpm) / PPM;
    const lo = ceilDiv(max(0n, preCL - maxDrop - withdrawal), GWEI);
    const hi = (preCL + maxGain - withdrawal) / GWEI;
    expect(lo <= hi, `report plan: an empty CL range [${lo}, ${hi}] gwei`).to.be.true;
    const flat = (preCL - withdrawal) / GWEI;
    const clamp = (g: bigint): bigint => max(lo, min(hi, g));
    let clGwei: bigint;
    switch (spec.cl.kind) {
      case "lowest":
        clGwei = lo;
        break;
      case "highest":
        clGwei = hi;
        break;
      case "flat":
        clGwei = clamp(flat);
        break;
      case "nearFlat":
        clGwei = clamp(flat + spec.cl.gwei);
        break;
      case "fundSized":
        clGwei = clamp((preCL - withdrawal - (model.balanceOf(INSURANCE) * spec.cl.ppm) / PPM) / GWEI);
        break;
      case "fraction":
        clGwei = lo + ((hi - lo) * spec.cl.ppm) / PPM;
        break;
    }
    const clDropGwei = max(0n, preCL / GWEI - clGwei);
    const lossGwei = spec.lossPpm === null || clDropGwei === 0n ? 0n : max(1n, (clDropGwei * spec.lossPpm) / PPM);
    return { numValidators, clGwei, withdrawal, el, lossGwei, preCL, lo };
  }

  async run(model: OracleModel, real: World): Promise<void> {
    await step(model, this.toString(), async () => {
      const { f } = real;
      const refSlot = await advanceFrames(hre.network.provider, f.oracle, this.spec.frames);
      const p = this.plan(model, refSlot);
      const fields = {
        numValidators: p.numValidators,
        clBalanceGwei: p.clGwei,
        withdrawalVaultBalance: p.withdrawal,
        elRewardsVaultBalance: p.el,
        isBunkerMode: this.spec.bunker,
        operatorIdsWithLosses: p.lossGwei > 0n ? [OPERATOR_ID] : [],
        operatorLossesGwei: p.lossGwei > 0n ? [p.lossGwei] : [],
      };
      const before = await checkStep(model, real, `moving ${this.spec.frames} frame(s) ahead (nothing changes)`);

      if (this.spec.probeAboveDeposited) {
        // One more validator than the model's deposited count: the exact boundary of the check.
        const above = buildReport(refSlot, { ...fields, numValidators: model.depositedValidators + 1n });
        await (await f.oracle.connect(f.oracleMembers[0]).submitReport(above)).wait();
        await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(above))
          .to.be.revertedWithCustomError(f.oracle, "NumValidatorsExceedDeposited")
          .withArgs(model.depositedValidators + 1n, model.depositedValidators);
        await checkStep(model, real, "a report above the deposited count (state unchanged)");
        record("report → NumValidatorsExceedDeposited probe");
      }

      // The model keeps every report it applies inside the drop limit.
      expect(model.clDropError(p.preCL, p.clGwei * GWEI + p.withdrawal), "report plan: within the drop limit").to.be
        .null;
      if (this.spec.bunker && p.lo > 0n) {
        // One gwei deeper than the limit allows: refused although the report declares bunker mode.
        const deeper = { ...fields, clBalanceGwei: p.lo - 1n };
        const refused = model.clDropError(p.preCL, deeper.clBalanceGwei * GWEI + p.withdrawal);
        expect(refused, "model: one gwei beyond the drop limit is refused in bunker mode").to.not.be.null;
        const [error, args] = refused as [string, bigint[]];
        const tooDeep = buildReport(refSlot, deeper);
        await (await f.oracle.connect(f.oracleMembers[0]).submitReport(tooDeep)).wait();
        await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(tooDeep))
          .to.be.revertedWithCustomError(f.oracle, error)
          .withArgs(...args);
        await checkStep(model, real, "a bunker-mode report one gwei beyond the drop limit (state unchanged)");
        record("report → ClBalanceDropLimitExceeded in bunker mode");
      }

      const data = buildReport(refSlot, fields);
      const o = model.computeReport(
        refSlot,
        p.numValidators,
        p.clGwei,
        p.withdrawal,
        p.el,
        p.lossGwei,
        this.spec.bunker,
      );
      const expectedEvents = model.expectedEvents(o, real);
      const receipts = await submitUntilApplied(f.oracle, f.oracleMembers, data);
      model.applyReport(o);
      const after = await checkStep(
        model,
        real,
        `report ${JSON.stringify(fields, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`,
      );
      const events = receiptEvents(real, receipts[receipts.length - 1]);
      expect(events, "report: events and their arguments vs model").to.deep.equal(expectedEvents);
      checkReportInvariants(real, model.config, before, after, data, events);

      record(`report: result ${o.result > 0n ? "> 0" : o.result === 0n ? "= 0" : "< 0"}`);
      if (o.withdrawalTaken < o.withdrawalReported || o.elTaken < o.elReported) record("report: vault ETH deferred");
      if (o.numValidators > before.clValidators) record("report: new validators visible");
      if (o.lossWei > 0n) record(o.bondBurned < o.bondWanted ? "report: bond exhausted" : "report: bond covers loss");
      if (o.insuranceBurned > 0n) {
        record(o.socialized === 0n ? "report: insurance fund covers the loss" : "report: insurance fund exhausted");
      }
      if (o.socialized > 0n) record("report: loss socialized");
      if (o.bunkerMode) record("report: bunker mode");
    });
  }

  toString(): string {
    const s = this.spec;
    const parts = [
      `+${s.frames} frame(s)`,
      `visible ${Number(s.visiblePpm) / 1e4}%`,
      `CL ${describeCl(s.cl)}`,
      `withdrawal vault ${Number(s.withdrawalPpm) / 1e4}%`,
      `EL vault ${Number(s.elPpm) / 1e4}%`,
    ];
    if (s.lossPpm !== null) parts.push(`operator loss ${Number(s.lossPpm) / 1e4}% of the CL drop`);
    if (s.bunker) parts.push("bunker");
    if (s.probeAboveDeposited) parts.push("probe deposited + 1 first");
    return `report(${parts.join(", ")})`;
  }
}

// ──────────────────────────────── Arbitraries ────────────────────────────────

/** 0, all, or anything between, in parts per million. */
export const ppmArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0n) },
  { weight: 1, arbitrary: fc.constant(PPM) },
  { weight: 4, arbitrary: fc.bigInt(0n, PPM) },
);

const clSpecArb: fc.Arbitrary<ClSpec> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<ClSpec>({ kind: "lowest" }) },
  { weight: 1, arbitrary: fc.constant<ClSpec>({ kind: "highest" }) },
  { weight: 1, arbitrary: fc.constant<ClSpec>({ kind: "flat" }) },
  {
    weight: 3,
    arbitrary: fc.bigInt(-30_000_000n, 30_000_000n).map((gwei): ClSpec => ({ kind: "nearFlat", gwei })),
  },
  {
    // Small drops and gains, of the order of the insurance fund (1% of one report's rewards).
    weight: 2,
    arbitrary: fc.bigInt(-300_000n, 100_000n).map((gwei): ClSpec => ({ kind: "nearFlat", gwei })),
  },
  { weight: 2, arbitrary: fc.bigInt(0n, PPM).map((ppm): ClSpec => ({ kind: "fraction", ppm })) },
  { weight: 4, arbitrary: fc.bigInt(0n, 2n * PPM).map((ppm): ClSpec => ({ kind: "fundSized", ppm })) },
);

export interface ReportOptions {
  /** Try numValidators = deposited + 1 first in a third of the reports. */
  probe: boolean;
  /** Attribute a loss to operator 0 in a third of the reports with a CL drop. */
  losses: boolean;
}

export function reportSpecArb(options: ReportOptions): fc.Arbitrary<ReportSpec> {
  return fc.record({
    frames: fc.bigInt(1n, 3n),
    visiblePpm: fc.oneof({ weight: 3, arbitrary: fc.constant(PPM) }, { weight: 1, arbitrary: ppmArb }),
    cl: clSpecArb,
    withdrawalPpm: ppmArb,
    elPpm: ppmArb,
    lossPpm: options.losses
      ? fc.oneof(
          { weight: 2, arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: fc.oneof(fc.bigInt(1n, 1_000n), fc.bigInt(1n, PPM), fc.constant(PPM)) },
        )
      : fc.constant(null),
    bunker: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    probeAboveDeposited: options.probe ? fc.integer({ min: 0, max: 2 }).map((n) => n === 0) : fc.constant(false),
  });
}

/** Vault donations: mostly well under the smoothing budget, sometimes far over it. */
export const vaultDonationArb: fc.Arbitrary<OracleCommand> = fc
  .tuple(
    fc.constantFrom<VaultKind>("withdrawal", "elRewards"),
    fc.oneof(fc.bigInt(GWEI, ETH / 100n), fc.bigInt(GWEI, ETH / 2n)),
  )
  .map(([vault, amount]) => new VaultDonationCommand(vault, amount));

export function stakeArb(maxEth: bigint): fc.Arbitrary<OracleCommand> {
  return fc
    .tuple(fc.constantFrom(...ORDINARY_HOLDERS), fc.bigInt(ETH / 100n, maxEth * ETH))
    .map(([user, amount]) => new StakeCommand(user, amount));
}

export const transferArb: fc.Arbitrary<OracleCommand> = fc
  .tuple(fc.integer({ min: 0, max: USER_COUNT - 1 }), fc.integer({ min: 0, max: USER_COUNT - 1 }), ppmArb)
  .map(([from, to, ppm]) => new TransferCommand(from, to, ppm));

export const claimArb: fc.Arbitrary<OracleCommand> = fc.constant(new ClaimCommand());

export const depositArb: fc.Arbitrary<OracleCommand> = fc.bigInt(1n, 3n).map((count) => new DepositCommand(count));

export function reportArb(options: ReportOptions): fc.Arbitrary<OracleCommand> {
  return reportSpecArb(options).map((spec) => new ReportCommand(spec));
}
