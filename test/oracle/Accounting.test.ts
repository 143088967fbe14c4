import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, parseEther, type ContractTransactionResponse } from "ethers";
import type { IAccountingOracle } from "../../typechain-types/contracts/oracle/AccountingOracle";
import {
  DEFAULT_FEES,
  allowClDrop,
  GWEI,
  SLOTS_PER_FRAME,
  advanceFrames,
  buildReport,
  depositValidators,
  deployWithValidators,
  requestWithdrawal,
  reportHash,
  toGwei,
  type OracleFixture,
  type ReportData,
  type ReportFields,
} from "../helpers/oracle-fixtures";

// ──────────────────────────────── Reference math ────────────────────────────────

const TOTAL_BP = 10_000n;
const PPB = 1_000_000_000n;
const SECONDS_PER_YEAR = 365n * 24n * 60n * 60n;
const SECONDS_PER_SLOT = 12n;
const DEPOSIT_SIZE = parseEther("32");

interface Fees {
  treasuryFeeBP: bigint;
  operatorsFeeBP: bigint;
  insuranceFeeBP: bigint;
}

interface FeeShares {
  treasury: bigint;
  operators: bigint;
  insurance: bigint;
  total: bigint;
}

/** F_x = rewards × bp_x / 10,000 (floor); m_x = F_x × S / (P_post − F) (floor). */
function referenceFeeShares(rewards: bigint, fees: Fees, sharesBefore: bigint, postTotalEther: bigint): FeeShares {
  const treasuryWei = (rewards * fees.treasuryFeeBP) / TOTAL_BP;
  const operatorsWei = (rewards * fees.operatorsFeeBP) / TOTAL_BP;
  const insuranceWei = (rewards * fees.insuranceFeeBP) / TOTAL_BP;
  const feeWei = treasuryWei + operatorsWei + insuranceWei;
  if (feeWei === 0n) return { treasury: 0n, operators: 0n, insurance: 0n, total: 0n };
  const denominator = postTotalEther - feeWei;
  const treasury = (treasuryWei * sharesBefore) / denominator;
  const operators = (operatorsWei * sharesBefore) / denominator;
  const insurance = (insuranceWei * sharesBefore) / denominator;
  return { treasury, operators, insurance, total: treasury + operators + insurance };
}

/** Smoothing: vault ETH taken only up to preCL + P × ppb / 1e9 − clBalance, withdrawal vault first. */
function referenceSmoothing(
  preCL: bigint,
  totalPooledEther: bigint,
  clBalance: bigint,
  maxPositiveRebasePPB: bigint,
  withdrawalVaultWei: bigint,
  elRewardsVaultWei: bigint,
): { budget: bigint; withdrawalMoved: bigint; elMoved: bigint } {
  const ceiling = preCL + (totalPooledEther * maxPositiveRebasePPB) / PPB;
  const budget = ceiling > clBalance ? ceiling - clBalance : 0n;
  const withdrawalMoved = withdrawalVaultWei < budget ? withdrawalVaultWei : budget;
  const elLeft = budget - withdrawalMoved;
  const elMoved = elRewardsVaultWei < elLeft ? elRewardsVaultWei : elLeft;
  return { budget, withdrawalMoved, elMoved };
}

/** gain × year × 10,000 / (preCL × elapsed), floor. */
function referenceAprBP(gain: bigint, preCL: bigint, elapsedSeconds: bigint): bigint {
  return (gain * SECONDS_PER_YEAR * TOTAL_BP) / (preCL * elapsedSeconds);
}

/** drop × 10,000 / preCL, rounded up. */
function referenceDropBP(drop: bigint, preCL: bigint): bigint {
  return (drop * TOTAL_BP + preCL - 1n) / preCL;
}

/** ((post / postShares) / (pre / preShares) − 1) × 10,000 × year / elapsed, truncated toward zero. */
function referenceRebaseAprBP(r: {
  preTotalEther: bigint;
  postTotalEther: bigint;
  preTotalShares: bigint;
  postTotalShares: bigint;
  timeElapsedSeconds: bigint;
}): bigint {
  const numerator = r.postTotalEther * r.preTotalShares - r.preTotalEther * r.postTotalShares;
  const denominator = r.preTotalEther * r.postTotalShares;
  return (numerator * TOTAL_BP * SECONDS_PER_YEAR) / (denominator * r.timeElapsedSeconds); // BigInt truncates toward 0
}

const frameSeconds = (frames: bigint): bigint => frames * SLOTS_PER_FRAME * SECONDS_PER_SLOT;

// ──────────────────────────────── Local helpers ────────────────────────────────

interface Totals {
  ether: bigint;
  shares: bigint;
}

async function poolTotals(f: OracleFixture): Promise<Totals> {
  return { ether: await f.pool.totalPooledEther(), shares: await f.pool.totalShares() };
}

async function ethBalance(address: string): Promise<bigint> {
  return hre.ethers.provider.getBalance(address);
}

/** Moves `frames` frames ahead, votes with member 0, and returns member 1's (quorum) vote. */
async function quorumVote(
  f: OracleFixture,
  fields: Partial<ReportFields>,
  frames = 1n,
): Promise<{ data: ReportData; tx: ContractTransactionResponse }> {
  const refSlot = await advanceFrames(hre.network.provider, f.oracle, frames);
  const data = buildReport(refSlot, fields);
  await (await f.oracle.connect(f.oracleMembers[0]).submitReport(data)).wait();
  const tx = await f.oracle.connect(f.oracleMembers[1]).submitReport(data);
  await tx.wait();
  return { data, tx };
}

/**
 * The fee mints of a report, from the pool's `TransferShares(0x0, to, shares)` events, in order:
 * [recipient, shares] (the oracle emits no per-recipient fee event; the pool's mints are exact).
 */
async function feeMints(f: OracleFixture, tx: ContractTransactionResponse): Promise<[string, bigint][]> {
  const receipt = await tx.wait();
  if (!receipt) throw new Error("no receipt");
  const poolAddress = await f.pool.getAddress();
  const mints: [string, bigint][] = [];
  for (const log of receipt.logs) {
    if (log.address !== poolAddress) continue;
    const parsed = f.pool.interface.parseLog(log);
    if (parsed?.name === "TransferShares" && parsed.args[0] === ZeroAddress) {
      mints.push([parsed.args[1] as string, parsed.args[2] as bigint]);
    }
  }
  return mints;
}

/** The mints `m` implies: treasury, registry (operators), insurance fund, in the pool's order; none of zero. */
async function expectedMints(f: OracleFixture, m: FeeShares): Promise<[string, bigint][]> {
  const all: [string, bigint][] = [
    [(await f.oracle.getFeeConfig()).treasury, m.treasury],
    [await f.registry.getAddress(), m.operators],
    [await f.insuranceFund.getAddress(), m.insurance],
  ];
  return all.filter(([, shares]) => shares !== 0n);
}

interface StateSnapshot {
  totalPooledEther: bigint;
  totalShares: bigint;
  bufferedEther: bigint;
  beaconStat: bigint[];
  poolBalance: bigint;
  withdrawalVaultBalance: bigint;
  elRewardsVaultBalance: bigint;
  treasuryShares: bigint;
  registryShares: bigint;
  insuranceShares: bigint;
  lastReport: (bigint | boolean)[];
  lastProcessedRefSlot: bigint;
  poolBunker: boolean;
  oracleBunker: boolean;
}

async function snapshot(f: OracleFixture): Promise<StateSnapshot> {
  const poolAddress = await f.pool.getAddress();
  return {
    totalPooledEther: await f.pool.totalPooledEther(),
    totalShares: await f.pool.totalShares(),
    bufferedEther: await f.pool.bufferedEther(),
    beaconStat: [...(await f.pool.getBeaconStat())],
    poolBalance: await ethBalance(poolAddress),
    withdrawalVaultBalance: await ethBalance(await f.withdrawalVault.getAddress()),
    elRewardsVaultBalance: await ethBalance(await f.elRewardsVault.getAddress()),
    treasuryShares: await f.pool.sharesOf(f.treasury.address),
    registryShares: await f.pool.sharesOf(await f.registry.getAddress()),
    insuranceShares: await f.pool.sharesOf(await f.insuranceFund.getAddress()),
    lastReport: [...(await f.oracle.getLastReport())],
    lastProcessedRefSlot: await f.oracle.getLastProcessedRefSlot(),
    poolBunker: await f.pool.isBunkerModeActive(),
    oracleBunker: await f.oracle.isBunkerModeActive(),
  };
}

/**
 * Moves `frames` frames ahead; member 0's vote succeeds (it does not reach the quorum), member 1's
 * vote (the quorum) reverts with `error(args)`, and nothing the report would change has changed.
 */
async function expectRejectedAtQuorum(
  f: OracleFixture,
  fields: Partial<ReportFields>,
  frames: bigint,
  error: string,
  args: unknown[],
): Promise<void> {
  const { oracle, oracleMembers } = f;
  const refSlot = await advanceFrames(hre.network.provider, oracle, frames);
  const data = buildReport(refSlot, fields);
  const before = await snapshot(f);
  const first = oracle.connect(oracleMembers[0]).submitReport(data);
  await expect(first).to.emit(oracle, "ReportSubmitted").withArgs(refSlot, oracleMembers[0].address, reportHash(data));
  await expect(first).not.to.emit(oracle, "ConsensusReached");
  await expect(oracle.connect(oracleMembers[1]).submitReport(data))
    .to.be.revertedWithCustomError(oracle, error)
    .withArgs(...args);
  expect(await snapshot(f)).to.deep.equal(before);
}

function limitsOf(l: IAccountingOracle.SanityLimitsStructOutput): IAccountingOracle.SanityLimitsStruct {
  return {
    annualAprLimitBP: l.annualAprLimitBP,
    clBalanceDropLimitBP: l.clBalanceDropLimitBP,
    maxPositiveRebasePPB: l.maxPositiveRebasePPB,
    maxExitRequestsPerReport: l.maxExitRequestsPerReport,
    maxOperatorsWithLossesPerReport: l.maxOperatorsWithLossesPerReport,
  };
}

const CL_96 = toGwei(parseEther("96")); // the fixture's CL balance (3 validators)

// ──────────────────────────────── Tests ────────────────────────────────

describe("AccountingOracle: accounting report", function () {
  describe("rewards and fees", function () {
    /**
     * +1 ETH of CL rewards 40 frames after the fixture's report (≈9.5% APR on 96 ETH): checks the
     * pinned events against the reference math and what each recipient's shares are worth.
     */
    async function expectOneEthRewardsSplit(f: OracleFixture, fees: Fees): Promise<void> {
      const { pool, oracle, registry, treasury, insuranceFund } = f;
      const registryAddress = await registry.getAddress();
      const fundAddress = await insuranceFund.getAddress();
      const before = await poolTotals(f);
      const registrySharesBefore = await pool.sharesOf(registryAddress);
      // No fee recipient holds anything yet: every share is a holder's (the bond is the operator's stake).
      expect(await pool.sharesOf(treasury.address)).to.equal(0n);
      expect(await pool.sharesOf(fundAddress)).to.equal(0n);
      expect(await registry.pendingOperatorRewards(f.operatorId)).to.equal(0n);

      const rewards = parseEther("1");
      const { data, tx } = await quorumVote(f, { numValidators: 3n, clBalanceGwei: toGwei(parseEther("97")) }, 40n);
      const postEther = before.ether + rewards;
      const m = referenceFeeShares(rewards, fees, before.shares, postEther);

      expect(await feeMints(f, tx)).to.deep.equal(await expectedMints(f, m)); // [] when the fee is zero
      await expect(tx)
        .to.emit(oracle, "ReportApplied")
        .withArgs(data.refSlot, before.ether, postEther, before.shares, before.shares + m.total, m.total);
      expect(await pool.totalPooledEther()).to.equal(postEther);
      expect(await pool.totalShares()).to.equal(before.shares + m.total);
      expect(await pool.sharesOf(treasury.address)).to.equal(m.treasury);
      expect(await pool.sharesOf(fundAddress)).to.equal(m.insurance);
      expect(await pool.sharesOf(registryAddress)).to.equal(registrySharesBefore + m.operators);

      const worth = (bp: bigint): bigint => (rewards * bp) / TOTAL_BP;
      const treasuryValue = await pool.balanceOf(treasury.address);
      const insuranceValue = await pool.balanceOf(fundAddress);
      const operatorShares = await registry.pendingOperatorRewards(f.operatorId);
      const operatorsValue = await pool.getPooledEthByShares(operatorShares);
      expect(treasuryValue).to.be.closeTo(worth(fees.treasuryFeeBP), 1n);
      expect(insuranceValue).to.be.closeTo(worth(fees.insuranceFeeBP), 1n);
      expect(operatorsValue).to.be.closeTo(worth(fees.operatorsFeeBP), 2n);

      const totalFeeBP = fees.treasuryFeeBP + fees.operatorsFeeBP + fees.insuranceFeeBP;
      const holdersGain = postEther - treasuryValue - insuranceValue - operatorsValue - before.ether;
      expect(holdersGain).to.be.closeTo(rewards - worth(totalFeeBP), 5n);
    }

    it("+1 ETH of CL rewards raises totalPooledEther by exactly 1 ETH, mints fee shares by the reference math and leaves holders 0.9 ETH", async function () {
      const f = await loadFixture(deployWithValidators);
      expect(await f.oracle.feeBP()).to.equal(1000n);
      await expectOneEthRewardsSplit(f, DEFAULT_FEES);
    });

    it("with fees set to 2000 BP split 1000/800/200 the fee shares follow the new split and holders keep 0.8 ETH", async function () {
      const f = await loadFixture(deployWithValidators);
      await expect(f.oracle.connect(f.admin).setFees(1000n, 800n, 200n))
        .to.emit(f.oracle, "FeesSet")
        .withArgs(1000n, 800n, 200n);
      await expectOneEthRewardsSplit(f, { treasuryFeeBP: 1000n, operatorsFeeBP: 800n, insuranceFeeBP: 200n });
    });

    it("with the whole fee going to the treasury, operators and the insurance fund get nothing", async function () {
      const f = await loadFixture(deployWithValidators);
      await (await f.oracle.connect(f.admin).setFees(1000n, 0n, 0n)).wait();
      const indexBefore = await f.registry.totalActiveValidators();
      await expectOneEthRewardsSplit(f, { treasuryFeeBP: 1000n, operatorsFeeBP: 0n, insuranceFeeBP: 0n });
      expect(await f.registry.pendingOperatorRewards(f.operatorId)).to.equal(0n);
      expect(await f.registry.totalActiveValidators()).to.equal(indexBefore);
    });

    it("with all fees at zero no fee shares are minted and holders keep every wei of the rewards", async function () {
      const f = await loadFixture(deployWithValidators);
      await (await f.oracle.connect(f.admin).setFees(0n, 0n, 0n)).wait();
      expect(await f.oracle.feeBP()).to.equal(0n);
      await expectOneEthRewardsSplit(f, { treasuryFeeBP: 0n, operatorsFeeBP: 0n, insuranceFeeBP: 0n });
    });
  });

  describe("no fee without rewards", function () {
    it("newly visible validators at exactly 32 ETH each change no total and mint no fee", async function () {
      const f = await loadFixture(deployWithValidators);
      const { pool, oracle, registry } = f;
      await (await pool.connect(f.users[2]).stake(ZeroAddress, { value: parseEther("64") })).wait();
      await (await registry.connect(f.operator).depositBond(f.operatorId, { value: parseEther("4") })).wait();
      await depositValidators(f, f.operatorId, 2);
      expect([...(await pool.getBeaconStat())]).to.deep.equal([5n, 3n, parseEther("96")]);
      const before = await snapshot(f);

      const newCl = parseEther("96") + 2n * DEPOSIT_SIZE;
      const { data, tx } = await quorumVote(f, { numValidators: 5n, clBalanceGwei: toGwei(newCl) });
      expect(await feeMints(f, tx)).to.deep.equal([]);
      await expect(tx).not.to.emit(oracle, "VaultEtherDeferred");
      await expect(tx).not.to.emit(oracle, "LossSocialized");
      await expect(tx)
        .to.emit(oracle, "ReportApplied")
        .withArgs(
          data.refSlot,
          before.totalPooledEther,
          before.totalPooledEther,
          before.totalShares,
          before.totalShares,
          0n,
        );

      expect(await pool.totalPooledEther()).to.equal(before.totalPooledEther);
      expect(await pool.totalShares()).to.equal(before.totalShares);
      expect(await pool.bufferedEther()).to.equal(before.bufferedEther);
      expect([...(await pool.getBeaconStat())]).to.deep.equal([5n, 5n, newCl]);
      expect(await pool.sharesOf(f.treasury.address)).to.equal(0n);
      expect(await pool.sharesOf(await registry.getAddress())).to.equal(before.registryShares);
      expect(await pool.sharesOf(await f.insuranceFund.getAddress())).to.equal(0n);
    });

    it("an exit moving 32 ETH from the CL to the withdrawal vault changes no total, mints no fee and moves the ETH into the buffer", async function () {
      const f = await loadFixture(deployWithValidators);
      const { pool, oracle } = f;
      const vaultAddress = await f.withdrawalVault.getAddress();
      await (await f.users[2].sendTransaction({ to: vaultAddress, value: DEPOSIT_SIZE })).wait();
      const before = await snapshot(f);
      expect(before.withdrawalVaultBalance).to.equal(DEPOSIT_SIZE);

      const { data, tx } = await quorumVote(f, {
        numValidators: 3n,
        clBalanceGwei: toGwei(parseEther("96") - DEPOSIT_SIZE),
        withdrawalVaultBalance: DEPOSIT_SIZE,
      });
      expect(await feeMints(f, tx)).to.deep.equal([]);
      await expect(tx).not.to.emit(oracle, "VaultEtherDeferred");
      await expect(tx).not.to.emit(oracle, "LossSocialized");
      await expect(tx)
        .to.emit(oracle, "ReportApplied")
        .withArgs(
          data.refSlot,
          before.totalPooledEther,
          before.totalPooledEther,
          before.totalShares,
          before.totalShares,
          0n,
        );

      expect(await pool.totalPooledEther()).to.equal(before.totalPooledEther);
      expect(await pool.totalShares()).to.equal(before.totalShares);
      expect(await pool.bufferedEther()).to.equal(before.bufferedEther + DEPOSIT_SIZE);
      expect(await ethBalance(await pool.getAddress())).to.equal(before.poolBalance + DEPOSIT_SIZE);
      expect(await ethBalance(vaultAddress)).to.equal(before.withdrawalVaultBalance - DEPOSIT_SIZE);
      expect([...(await pool.getBeaconStat())]).to.deep.equal([3n, 3n, parseEther("64")]);
      expect(await pool.sharesOf(f.treasury.address)).to.equal(0n);
    });
  });

  describe("vault ether", function () {
    it("EL rewards move from the EL vault into the buffer and are charged the fee", async function () {
      const f = await loadFixture(deployWithValidators);
      const { pool, oracle } = f;
      const vaultAddress = await f.elRewardsVault.getAddress();
      const amount = parseEther("0.05");
      await (await f.users[2].sendTransaction({ to: vaultAddress, value: amount })).wait();
      const before = await snapshot(f);
      const limits = await oracle.getSanityLimits();
      const plan = referenceSmoothing(
        parseEther("96"),
        before.totalPooledEther,
        parseEther("96"),
        limits.maxPositiveRebasePPB,
        0n,
        amount,
      );
      expect(plan.elMoved).to.equal(amount); // within the positive-rebase budget

      const { data, tx } = await quorumVote(f, {
        numValidators: 3n,
        clBalanceGwei: CL_96,
        elRewardsVaultBalance: amount,
      });
      const postEther = before.totalPooledEther + amount;
      const m = referenceFeeShares(amount, DEFAULT_FEES, before.totalShares, postEther);
      expect(await feeMints(f, tx)).to.deep.equal(await expectedMints(f, m));
      await expect(tx).not.to.emit(oracle, "VaultEtherDeferred");
      await expect(tx)
        .to.emit(oracle, "ReportApplied")
        .withArgs(
          data.refSlot,
          before.totalPooledEther,
          postEther,
          before.totalShares,
          before.totalShares + m.total,
          m.total,
        );

      expect(await ethBalance(vaultAddress)).to.equal(before.elRewardsVaultBalance - amount);
      expect(await ethBalance(await pool.getAddress())).to.equal(before.poolBalance + amount);
      expect(await pool.bufferedEther()).to.equal(before.bufferedEther + amount);
      expect(await pool.totalPooledEther()).to.equal(postEther);
      expect(await pool.sharesOf(f.treasury.address)).to.equal(m.treasury);
    });

    it("a report may move less than the EL vault holds; the rest stays in the vault without a deferral event", async function () {
      const f = await loadFixture(deployWithValidators);
      const { pool, oracle } = f;
      const vaultAddress = await f.elRewardsVault.getAddress();
      await (await f.users[2].sendTransaction({ to: vaultAddress, value: parseEther("0.07") })).wait();
      const moved = parseEther("0.03");
      const before = await snapshot(f);

      const { tx } = await quorumVote(f, { numValidators: 3n, clBalanceGwei: CL_96, elRewardsVaultBalance: moved });
      const postEther = before.totalPooledEther + moved;
      const m = referenceFeeShares(moved, DEFAULT_FEES, before.totalShares, postEther);
      expect(await feeMints(f, tx)).to.deep.equal(await expectedMints(f, m));
      await expect(tx).not.to.emit(oracle, "VaultEtherDeferred");
      expect(await ethBalance(vaultAddress)).to.equal(parseEther("0.04"));
      expect(await ethBalance(await pool.getAddress())).to.equal(before.poolBalance + moved);
      expect(await pool.totalPooledEther()).to.equal(postEther);
    });
  });

  describe("smoothing", function () {
    it("EL vault ETH beyond the positive-rebase budget stays in the vault and the next report moves the rest", async function () {
      const f = await loadFixture(deployWithValidators);
      const { pool, oracle } = f;
      const vaultAddress = await f.elRewardsVault.getAddress();
      const held = parseEther("0.1");
      await (await f.users[2].sendTransaction({ to: vaultAddress, value: held })).wait();
      const ppb = (await oracle.getSanityLimits()).maxPositiveRebasePPB;

      // First report: only the budget moves.
      const before = await snapshot(f);
      const plan = referenceSmoothing(parseEther("96"), before.totalPooledEther, parseEther("96"), ppb, 0n, held);
      expect(plan.elMoved).to.equal(plan.budget);
      expect(plan.budget).to.be.lessThan(held);
      const rest = held - plan.elMoved;
      const first = await quorumVote(f, { numValidators: 3n, clBalanceGwei: CL_96, elRewardsVaultBalance: held });
      const post1 = before.totalPooledEther + plan.elMoved;
      const m1 = referenceFeeShares(plan.elMoved, DEFAULT_FEES, before.totalShares, post1);
      await expect(first.tx).to.emit(oracle, "VaultEtherDeferred").withArgs(0n, rest);
      expect(await feeMints(f, first.tx)).to.deep.equal(await expectedMints(f, m1));
      await expect(first.tx)
        .to.emit(oracle, "ReportApplied")
        .withArgs(
          first.data.refSlot,
          before.totalPooledEther,
          post1,
          before.totalShares,
          before.totalShares + m1.total,
          m1.total,
        );
      expect(await ethBalance(vaultAddress)).to.equal(rest);
      expect(await ethBalance(await pool.getAddress())).to.equal(before.poolBalance + plan.elMoved);
      expect(await pool.totalPooledEther()).to.equal(post1);

      // Second report: the rest fits the new budget.
      const mid = await snapshot(f);
      const plan2 = referenceSmoothing(parseEther("96"), mid.totalPooledEther, parseEther("96"), ppb, 0n, rest);
      expect(plan2.elMoved).to.equal(rest);
      const second = await quorumVote(f, { numValidators: 3n, clBalanceGwei: CL_96, elRewardsVaultBalance: rest });
      const post2 = mid.totalPooledEther + rest;
      const m2 = referenceFeeShares(rest, DEFAULT_FEES, mid.totalShares, post2);
      await expect(second.tx).not.to.emit(oracle, "VaultEtherDeferred");
      expect(await feeMints(f, second.tx)).to.deep.equal(await expectedMints(f, m2));
      await expect(second.tx)
        .to.emit(oracle, "ReportApplied")
        .withArgs(
          second.data.refSlot,
          mid.totalPooledEther,
          post2,
          mid.totalShares,
          mid.totalShares + m2.total,
          m2.total,
        );
      expect(await ethBalance(vaultAddress)).to.equal(0n);
      expect(await ethBalance(await pool.getAddress())).to.equal(mid.poolBalance + rest);
      expect(await pool.totalPooledEther()).to.equal(post2);
    });

    it("the withdrawal vault is taken first and partly deferred; the whole EL vault amount is deferred", async function () {
      const f = await loadFixture(deployWithValidators);
      const { pool, oracle } = f;
      const wvAddress = await f.withdrawalVault.getAddress();
      const elAddress = await f.elRewardsVault.getAddress();
      const withdrawn = DEPOSIT_SIZE + parseEther("0.1"); // one exited validator plus 0.1 ETH of skimmed rewards
      const elAmount = parseEther("0.05");
      await (await f.users[2].sendTransaction({ to: wvAddress, value: withdrawn })).wait();
      await (await f.users[2].sendTransaction({ to: elAddress, value: elAmount })).wait();
      const ppb = (await oracle.getSanityLimits()).maxPositiveRebasePPB;
      const before = await snapshot(f);
      const preCL = parseEther("96");
      const cl = preCL - DEPOSIT_SIZE;
      const plan = referenceSmoothing(preCL, before.totalPooledEther, cl, ppb, withdrawn, elAmount);
      expect(plan.withdrawalMoved).to.be.lessThan(withdrawn);
      expect(plan.elMoved).to.equal(0n);

      // +0.1 ETH on 96 ETH over 5 frames: ≈7.6% APR, inside the 10% limit.
      const { data, tx } = await quorumVote(
        f,
        {
          numValidators: 3n,
          clBalanceGwei: toGwei(cl),
          withdrawalVaultBalance: withdrawn,
          elRewardsVaultBalance: elAmount,
        },
        5n,
      );
      const rewards = cl + plan.withdrawalMoved - preCL;
      const postEther = before.totalPooledEther + rewards;
      const m = referenceFeeShares(rewards, DEFAULT_FEES, before.totalShares, postEther);
      await expect(tx)
        .to.emit(oracle, "VaultEtherDeferred")
        .withArgs(withdrawn - plan.withdrawalMoved, elAmount);
      expect(await feeMints(f, tx)).to.deep.equal(await expectedMints(f, m));
      await expect(tx)
        .to.emit(oracle, "ReportApplied")
        .withArgs(
          data.refSlot,
          before.totalPooledEther,
          postEther,
          before.totalShares,
          before.totalShares + m.total,
          m.total,
        );
      expect(await ethBalance(wvAddress)).to.equal(withdrawn - plan.withdrawalMoved);
      expect(await ethBalance(elAddress)).to.equal(elAmount);
      expect(await ethBalance(await pool.getAddress())).to.equal(before.poolBalance + plan.withdrawalMoved);
      expect(await pool.bufferedEther()).to.equal(before.bufferedEther + plan.withdrawalMoved);
      expect(await pool.totalPooledEther()).to.equal(postEther);
    });
  });

  describe("sanity limits", function () {
    it("reverts NumValidatorsDecreased when fewer validators are reported than last time", async function () {
      const f = await loadFixture(deployWithValidators);
      await expectRejectedAtQuorum(f, { numValidators: 2n, clBalanceGwei: CL_96 }, 1n, "NumValidatorsDecreased", [
        2n,
        3n,
      ]);
    });

    it("reverts NumValidatorsExceedDeposited when more validators are reported than ever deposited", async function () {
      const f = await loadFixture(deployWithValidators);
      await expectRejectedAtQuorum(
        f,
        { numValidators: 4n, clBalanceGwei: toGwei(parseEther("128")) },
        1n,
        "NumValidatorsExceedDeposited",
        [4n, 3n],
      );
    });

    it("reverts VaultAmountExceedsBalance when the withdrawal vault amount exceeds its balance", async function () {
      const f = await loadFixture(deployWithValidators);
      const vault = await f.withdrawalVault.getAddress();
      await (await f.users[2].sendTransaction({ to: vault, value: parseEther("1") })).wait();
      await expectRejectedAtQuorum(
        f,
        { numValidators: 3n, clBalanceGwei: toGwei(parseEther("95")), withdrawalVaultBalance: parseEther("1") + 1n },
        1n,
        "VaultAmountExceedsBalance",
        [vault, parseEther("1") + 1n, parseEther("1")],
      );
    });

    it("reverts VaultAmountExceedsBalance when the EL rewards vault amount exceeds its balance", async function () {
      const f = await loadFixture(deployWithValidators);
      const vault = await f.elRewardsVault.getAddress();
      await (await f.users[2].sendTransaction({ to: vault, value: parseEther("0.01") })).wait();
      await expectRejectedAtQuorum(
        f,
        { numValidators: 3n, clBalanceGwei: CL_96, elRewardsVaultBalance: parseEther("0.01") + 1n },
        1n,
        "VaultAmountExceedsBalance",
        [vault, parseEther("0.01") + 1n, parseEther("0.01")],
      );
    });

    it("reverts AnnualAprLimitExceeded with the annualised CL reward rate when +1 ETH arrives after one frame", async function () {
      const f = await loadFixture(deployWithValidators);
      const preCL = parseEther("96");
      const gain = parseEther("1");
      const aprBP = referenceAprBP(gain, preCL, frameSeconds(1n));
      expect(aprBP).to.be.greaterThan(1000n);
      await expectRejectedAtQuorum(
        f,
        { numValidators: 3n, clBalanceGwei: toGwei(preCL + gain) },
        1n,
        "AnnualAprLimitExceeded",
        [aprBP, 1000n],
      );
    });

    it("counts withdrawal-vault ETH in the CL gain for the APR limit", async function () {
      const f = await loadFixture(deployWithValidators);
      const vault = await f.withdrawalVault.getAddress();
      const withdrawn = DEPOSIT_SIZE + parseEther("1");
      await (await f.users[2].sendTransaction({ to: vault, value: withdrawn })).wait();
      const preCL = parseEther("96");
      const aprBP = referenceAprBP(parseEther("1"), preCL, frameSeconds(1n));
      await expectRejectedAtQuorum(
        f,
        { numValidators: 3n, clBalanceGwei: toGwei(preCL - DEPOSIT_SIZE), withdrawalVaultBalance: withdrawn },
        1n,
        "AnnualAprLimitExceeded",
        [aprBP, 1000n],
      );
    });

    it("accepts the largest CL gain inside the APR limit and rejects one gwei more", async function () {
      const f = await loadFixture(deployWithValidators);
      const preCL = parseEther("96");
      const elapsed = frameSeconds(1n);
      // gain × year × 10,000 ≤ 1000 × preCL × elapsed, in whole gwei.
      const maxGainGwei = (1000n * preCL * elapsed) / (SECONDS_PER_YEAR * TOTAL_BP) / GWEI;
      const tooMuch = (maxGainGwei + 1n) * GWEI;
      await expectRejectedAtQuorum(
        f,
        { numValidators: 3n, clBalanceGwei: toGwei(preCL) + maxGainGwei + 1n },
        1n,
        "AnnualAprLimitExceeded",
        [referenceAprBP(tooMuch, preCL, elapsed), 1000n],
      );

      // Same frame: members 0 and 1 correct their vote to the largest allowed gain.
      const before = await poolTotals(f);
      const [refSlot] = await f.oracle.getCurrentFrame();
      const data = buildReport(refSlot, { numValidators: 3n, clBalanceGwei: toGwei(preCL) + maxGainGwei });
      await (await f.oracle.connect(f.oracleMembers[0]).submitReport(data)).wait();
      await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(data)).to.emit(f.oracle, "ReportApplied");
      expect(await f.pool.totalPooledEther()).to.equal(before.ether + maxGainGwei * GWEI);
    });

    it("reverts ClBalanceDropLimitExceeded with the drop in basis points rounded up", async function () {
      const f = await loadFixture(deployWithValidators);
      const preCL = parseEther("96");
      const drop = parseEther("5");
      await expectRejectedAtQuorum(
        f,
        { numValidators: 3n, clBalanceGwei: toGwei(preCL - drop) },
        1n,
        "ClBalanceDropLimitExceeded",
        [referenceDropBP(drop, preCL), 500n],
      );
      expect(referenceDropBP(drop, preCL)).to.equal(521n); // 520.83… rounded up
    });

    it("accepts a drop of exactly the limit (socialised, no bunker) and rejects one gwei more as 501 BP", async function () {
      const f = await loadFixture(deployWithValidators);
      const preCL = parseEther("96");
      const limitDrop = (preCL * 500n) / TOTAL_BP; // 4.8 ETH
      await expectRejectedAtQuorum(
        f,
        { numValidators: 3n, clBalanceGwei: toGwei(preCL - limitDrop) - 1n },
        1n,
        "ClBalanceDropLimitExceeded",
        [referenceDropBP(limitDrop + GWEI, preCL), 500n],
      );
      expect(referenceDropBP(limitDrop + GWEI, preCL)).to.equal(501n);
      const [refSlot] = await f.oracle.getCurrentFrame();
      const data = buildReport(refSlot, { numValidators: 3n, clBalanceGwei: toGwei(preCL - limitDrop) });
      const before = await poolTotals(f);
      await (await f.oracle.connect(f.oracleMembers[0]).submitReport(data)).wait();
      const tx = f.oracle.connect(f.oracleMembers[1]).submitReport(data);
      await expect(tx).to.emit(f.oracle, "LossSocialized").withArgs(limitDrop);
      expect(await f.pool.totalPooledEther()).to.equal(before.ether - limitDrop);
      expect(await f.pool.isBunkerModeActive()).to.equal(false);
    });

    it("refuses the same drop in bunker mode (the limit holds whatever the report declares); with the limit raised it applies, and bunker mode blocks instant redemption until a later report without it", async function () {
      const f = await loadFixture(deployWithValidators);
      const { pool, oracle, staker } = f;
      const preCL = parseEther("96");
      const drop = parseEther("5");
      // Declaring bunker mode no longer lifts the one-off limit: the same 521 BP drop reverts.
      await expectRejectedAtQuorum(
        f,
        { numValidators: 3n, clBalanceGwei: toGwei(preCL - drop), isBunkerMode: true },
        1n,
        "ClBalanceDropLimitExceeded",
        [referenceDropBP(drop, preCL), 500n],
      );
      // Without a proven slashing only governance can let it through, by raising the limit.
      await allowClDrop(oracle, f.admin, referenceDropBP(drop, preCL));
      const before = await snapshot(f);
      expect(before.poolBunker).to.equal(false);

      const { data, tx } = await quorumVote(f, {
        numValidators: 3n,
        clBalanceGwei: toGwei(parseEther("96") - drop),
        isBunkerMode: true,
      });
      // The insurance fund holds nothing yet, so the whole loss is socialised.
      await expect(tx).not.to.emit(oracle, "InsuranceLossCovered");
      await expect(tx).to.emit(oracle, "LossSocialized").withArgs(drop);
      await expect(tx)
        .to.emit(oracle, "ReportApplied")
        .withArgs(
          data.refSlot,
          before.totalPooledEther,
          before.totalPooledEther - drop,
          before.totalShares,
          before.totalShares,
          0n,
        );
      expect(await pool.isBunkerModeActive()).to.equal(true);
      expect(await oracle.isBunkerModeActive()).to.equal(true);
      expect((await oracle.getLastReport()).bunkerMode).to.equal(true);
      await expect(
        pool.connect(staker).instantRedeem(parseEther("0.01"), 0n, staker.address),
      ).to.be.revertedWithCustomError(pool, "InstantRedeemBunkerMode");

      // A later report without bunker mode (no further change) clears it.
      await quorumVote(f, { numValidators: 3n, clBalanceGwei: toGwei(parseEther("96") - drop) });
      expect(await pool.isBunkerModeActive()).to.equal(false);
      expect(await oracle.isBunkerModeActive()).to.equal(false);
      expect((await oracle.getLastReport()).bunkerMode).to.equal(false);
      await expect(pool.connect(staker).instantRedeem(parseEther("0.01"), 0n, staker.address)).to.emit(
        pool,
        "InstantRedeemed",
      );
    });

    it('reverts ReportArrayLengthMismatch("operatorLosses") when operator ids and losses differ in length', async function () {
      const f = await loadFixture(deployWithValidators);
      await expectRejectedAtQuorum(
        f,
        { numValidators: 3n, clBalanceGwei: CL_96, operatorIdsWithLosses: [0n], operatorLossesGwei: [] },
        1n,
        "ReportArrayLengthMismatch",
        ["operatorLosses", 1n, 0n],
      );
    });

    it('reverts ReportArrayLengthMismatch("exits") when exit operator ids and key indices differ in length', async function () {
      const f = await loadFixture(deployWithValidators);
      await expectRejectedAtQuorum(
        f,
        { numValidators: 3n, clBalanceGwei: CL_96, exitOperatorIds: [0n, 0n], exitKeyIndices: [0n] },
        1n,
        "ReportArrayLengthMismatch",
        ["exits", 2n, 1n],
      );
    });

    it("reverts TooManyExitRequests above a lowered maxExitRequestsPerReport and accepts exactly the limit", async function () {
      const f = await loadFixture(deployWithValidators);
      const { oracle, registry } = f;
      await requestWithdrawal(f, f.staker, parseEther("80")); // a shortfall that justifies exits
      const limits = limitsOf(await oracle.getSanityLimits());
      await (await oracle.connect(f.admin).setSanityLimits({ ...limits, maxExitRequestsPerReport: 1n })).wait();
      await expectRejectedAtQuorum(
        f,
        { numValidators: 3n, clBalanceGwei: CL_96, exitOperatorIds: [0n, 0n], exitKeyIndices: [0n, 1n] },
        1n,
        "TooManyExitRequests",
        [2n, 1n],
      );

      const [pubkey] = await registry.getSigningKey(f.operatorId, 1n);
      const { tx } = await quorumVote(f, {
        numValidators: 3n,
        clBalanceGwei: CL_96,
        exitOperatorIds: [f.operatorId],
        exitKeyIndices: [1n],
      });
      await expect(tx).to.emit(oracle, "ValidatorExitRequested").withArgs(f.operatorId, 1n, pubkey);
    });

    it("reverts TooManyOperatorsWithLosses above a lowered maxOperatorsWithLossesPerReport", async function () {
      const f = await loadFixture(deployWithValidators);
      const { oracle } = f;
      const limits = limitsOf(await oracle.getSanityLimits());
      await (await oracle.connect(f.admin).setSanityLimits({ ...limits, maxOperatorsWithLossesPerReport: 1n })).wait();
      await expectRejectedAtQuorum(
        f,
        {
          numValidators: 3n,
          clBalanceGwei: CL_96,
          operatorIdsWithLosses: [0n, 1n],
          operatorLossesGwei: [1n, 1n],
        },
        1n,
        "TooManyOperatorsWithLosses",
        [2n, 1n],
      );
    });

    it("reverts FinalizationInBunkerMode for a bunker-mode report that names requests to finalize", async function () {
      const f = await loadFixture(deployWithValidators);
      await requestWithdrawal(f, f.staker, parseEther("1"));
      await expectRejectedAtQuorum(
        f,
        { numValidators: 3n, clBalanceGwei: CL_96, lastRequestIdToFinalize: 1n, isBunkerMode: true },
        1n,
        "FinalizationInBunkerMode",
        [1n],
      );
    });
  });

  describe("governance setters", function () {
    it("setFees caps the total at 2000 BP, emits FeesSet and is gated by FEE_MANAGER_ROLE", async function () {
      const f = await loadFixture(deployWithValidators);
      const { oracle, admin } = f;
      const [user] = f.users.slice(3);
      await expect(oracle.connect(admin).setFees(1500n, 400n, 101n))
        .to.be.revertedWithCustomError(oracle, "FeeTooHigh")
        .withArgs(2001n, 2000n);
      await expect(oracle.connect(user).setFees(100n, 100n, 100n))
        .to.be.revertedWithCustomError(oracle, "AccessControlUnauthorizedAccount")
        .withArgs(user.address, await oracle.FEE_MANAGER_ROLE());
      expect(await oracle.feeBP()).to.equal(1000n);
      const unchanged = await oracle.getFeeConfig();
      expect([unchanged.treasuryFeeBP, unchanged.operatorsFeeBP, unchanged.insuranceFeeBP]).to.deep.equal([
        DEFAULT_FEES.treasuryFeeBP,
        DEFAULT_FEES.operatorsFeeBP,
        DEFAULT_FEES.insuranceFeeBP,
      ]);

      await expect(oracle.connect(admin).setFees(1000n, 800n, 200n))
        .to.emit(oracle, "FeesSet")
        .withArgs(1000n, 800n, 200n);
      expect(await oracle.feeBP()).to.equal(2000n);
      const config = await oracle.getFeeConfig();
      expect([config.treasury, config.treasuryFeeBP, config.operatorsFeeBP, config.insuranceFeeBP]).to.deep.equal([
        f.treasury.address,
        1000n,
        800n,
        200n,
      ]);
    });

    it("setTreasury rejects the zero address, emits TreasurySet, is gated by FEE_MANAGER_ROLE and redirects the treasury's fee shares", async function () {
      const f = await loadFixture(deployWithValidators);
      const { oracle, admin, pool } = f;
      const [user, newTreasury] = f.users.slice(3);
      await expect(oracle.connect(admin).setTreasury(ZeroAddress))
        .to.be.revertedWithCustomError(oracle, "ZeroAddress")
        .withArgs("treasury");
      await expect(oracle.connect(user).setTreasury(user.address))
        .to.be.revertedWithCustomError(oracle, "AccessControlUnauthorizedAccount")
        .withArgs(user.address, await oracle.FEE_MANAGER_ROLE());
      expect((await oracle.getFeeConfig()).treasury).to.equal(f.treasury.address);

      await expect(oracle.connect(admin).setTreasury(newTreasury.address))
        .to.emit(oracle, "TreasurySet")
        .withArgs(newTreasury.address);
      expect((await oracle.getFeeConfig()).treasury).to.equal(newTreasury.address);

      const before = await poolTotals(f);
      const rewards = parseEther("1");
      const { tx } = await quorumVote(f, { numValidators: 3n, clBalanceGwei: toGwei(parseEther("97")) }, 40n);
      const m = referenceFeeShares(rewards, DEFAULT_FEES, before.shares, before.ether + rewards);
      expect(await feeMints(f, tx)).to.deep.equal(await expectedMints(f, m));
      expect(await pool.sharesOf(newTreasury.address)).to.equal(m.treasury);
      expect(await pool.sharesOf(f.treasury.address)).to.equal(0n);
    });

    it("setSanityLimits rejects each field outside its bounds with SanityLimitOutOfRange", async function () {
      const f = await loadFixture(deployWithValidators);
      const { oracle, admin } = f;
      const defaults = limitsOf(await oracle.getSanityLimits());
      expect(defaults).to.deep.equal({
        annualAprLimitBP: 1000n,
        clBalanceDropLimitBP: 500n,
        maxPositiveRebasePPB: 750_000n,
        maxExitRequestsPerReport: 600n,
        maxOperatorsWithLossesPerReport: 50n,
      });
      const cases: { field: keyof IAccountingOracle.SanityLimitsStruct; value: bigint; min: bigint; max: bigint }[] = [
        { field: "annualAprLimitBP", value: 0n, min: 1n, max: 5000n },
        { field: "annualAprLimitBP", value: 5001n, min: 1n, max: 5000n },
        { field: "clBalanceDropLimitBP", value: 5001n, min: 0n, max: 5000n },
        { field: "maxPositiveRebasePPB", value: 0n, min: 1n, max: 900_000n },
        { field: "maxPositiveRebasePPB", value: 900_001n, min: 1n, max: 900_000n },
        { field: "maxExitRequestsPerReport", value: 601n, min: 0n, max: 600n },
        { field: "maxOperatorsWithLossesPerReport", value: 1001n, min: 0n, max: 1000n },
      ];
      for (const c of cases) {
        await expect(
          oracle.connect(admin).setSanityLimits({ ...defaults, [c.field]: c.value }),
          `${c.field}=${c.value}`,
        )
          .to.be.revertedWithCustomError(oracle, "SanityLimitOutOfRange")
          .withArgs(c.field, c.value, c.min, c.max);
      }
      expect(limitsOf(await oracle.getSanityLimits())).to.deep.equal(defaults);
    });

    it("caps maxExitRequestsPerReport at 600, the default, so that a report at the cap fits in a block", async function () {
      const f = await loadFixture(deployWithValidators);
      const { oracle, admin } = f;
      expect(await oracle.MAX_EXIT_REQUESTS_CAP()).to.equal(600n);
      const defaults = limitsOf(await oracle.getSanityLimits());
      expect(defaults.maxExitRequestsPerReport).to.equal(600n);
      // 5,000 was the cap before: about 105M gas of exit requests, three blocks' worth.
      for (const value of [601n, 1_000n, 5_000n]) {
        await expect(oracle.connect(admin).setSanityLimits({ ...defaults, maxExitRequestsPerReport: value }))
          .to.be.revertedWithCustomError(oracle, "SanityLimitOutOfRange")
          .withArgs("maxExitRequestsPerReport", value, 0n, 600n);
      }
      expect(limitsOf(await oracle.getSanityLimits())).to.deep.equal(defaults);
    });

    it("setSanityLimits accepts every field at its bounds, emits SanityLimitsSet and is gated by SANITY_LIMITS_ROLE", async function () {
      const f = await loadFixture(deployWithValidators);
      const { oracle, admin } = f;
      const [user] = f.users.slice(3);
      const highest = {
        annualAprLimitBP: 5000n,
        clBalanceDropLimitBP: 5000n,
        maxPositiveRebasePPB: 900_000n,
        maxExitRequestsPerReport: 600n,
        maxOperatorsWithLossesPerReport: 1000n,
      };
      const lowest = {
        annualAprLimitBP: 1n,
        clBalanceDropLimitBP: 0n,
        maxPositiveRebasePPB: 1n,
        maxExitRequestsPerReport: 0n,
        maxOperatorsWithLossesPerReport: 0n,
      };
      await expect(oracle.connect(user).setSanityLimits(highest))
        .to.be.revertedWithCustomError(oracle, "AccessControlUnauthorizedAccount")
        .withArgs(user.address, await oracle.SANITY_LIMITS_ROLE());
      for (const limits of [highest, lowest]) {
        await expect(oracle.connect(admin).setSanityLimits(limits))
          .to.emit(oracle, "SanityLimitsSet")
          .withArgs(Object.values(limits));
        expect(limitsOf(await oracle.getSanityLimits())).to.deep.equal(limits);
      }
    });

    it("pauseReports by the pauser blocks submitReport with ReportsPaused; only governance resumes", async function () {
      const f = await loadFixture(deployWithValidators);
      const { oracle, admin, pauser, oracleMembers } = f;
      const [user] = f.users.slice(3);
      await expect(oracle.connect(user).pauseReports())
        .to.be.revertedWithCustomError(oracle, "AccessControlUnauthorizedAccount")
        .withArgs(user.address, await oracle.PAUSE_ROLE());
      await expect(oracle.connect(admin).pauseReports())
        .to.be.revertedWithCustomError(oracle, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, await oracle.PAUSE_ROLE());
      await expect(oracle.connect(pauser).pauseReports())
        .to.emit(oracle, "ReportsPausedSet")
        .withArgs(pauser.address, true);
      expect(await oracle.reportsPaused()).to.equal(true);

      const refSlot = await advanceFrames(hre.network.provider, oracle, 1n);
      const data = buildReport(refSlot, { numValidators: 3n, clBalanceGwei: CL_96 });
      const before = await snapshot(f);
      await expect(oracle.connect(oracleMembers[0]).submitReport(data)).to.be.revertedWithCustomError(
        oracle,
        "ReportsPaused",
      );

      await expect(oracle.connect(pauser).resumeReports())
        .to.be.revertedWithCustomError(oracle, "AccessControlUnauthorizedAccount")
        .withArgs(pauser.address, await oracle.RESUME_ROLE());
      await expect(oracle.connect(user).resumeReports())
        .to.be.revertedWithCustomError(oracle, "AccessControlUnauthorizedAccount")
        .withArgs(user.address, await oracle.RESUME_ROLE());
      expect(await oracle.reportsPaused()).to.equal(true);
      expect(await snapshot(f)).to.deep.equal(before);

      await expect(oracle.connect(admin).resumeReports())
        .to.emit(oracle, "ReportsPausedSet")
        .withArgs(admin.address, false);
      expect(await oracle.reportsPaused()).to.equal(false);
      await (await oracle.connect(oracleMembers[0]).submitReport(data)).wait();
      await expect(oracle.connect(oracleMembers[1]).submitReport(data)).to.emit(oracle, "ReportApplied");
      expect(await oracle.getLastProcessedRefSlot()).to.equal(refSlot);
    });
  });

  describe("share-rate history", function () {
    it("getLastReport records the report's totals, reference slot and elapsed time, and lastReportAprBP annualises its rebase", async function () {
      const f = await loadFixture(deployWithValidators);
      const { oracle } = f;
      const before = await poolTotals(f);
      const frames = 40n;
      const { data } = await quorumVote(f, { numValidators: 3n, clBalanceGwei: toGwei(parseEther("97")) }, frames);
      const postEther = before.ether + parseEther("1");
      const m = referenceFeeShares(parseEther("1"), DEFAULT_FEES, before.shares, postEther);

      const r = await oracle.getLastReport();
      const expected = {
        preTotalEther: before.ether,
        postTotalEther: postEther,
        preTotalShares: before.shares,
        postTotalShares: before.shares + m.total,
        refSlot: BigInt(data.refSlot),
        timeElapsedSeconds: frameSeconds(frames),
        bunkerMode: false,
      };
      expect({
        preTotalEther: r.preTotalEther,
        postTotalEther: r.postTotalEther,
        preTotalShares: r.preTotalShares,
        postTotalShares: r.postTotalShares,
        refSlot: r.refSlot,
        timeElapsedSeconds: r.timeElapsedSeconds,
        bunkerMode: r.bunkerMode,
      }).to.deep.equal(expected);
      expect(r.timeElapsedSeconds).to.equal(40n * 7200n * 12n);

      const aprBP = referenceRebaseAprBP(expected);
      expect(aprBP).to.be.greaterThan(0n);
      expect(await oracle.lastReportAprBP()).to.equal(aprBP);
    });

    it("lastReportAprBP is negative after a socialised loss", async function () {
      const f = await loadFixture(deployWithValidators);
      const { oracle } = f;
      const before = await poolTotals(f);
      const loss = parseEther("1"); // ≈1.04% of the CL stake: inside the drop limit
      const frames = 2n;
      const { data, tx } = await quorumVote(
        f,
        { numValidators: 3n, clBalanceGwei: toGwei(parseEther("96") - loss) },
        frames,
      );
      expect(await feeMints(f, tx)).to.deep.equal([]);
      await expect(tx).not.to.emit(oracle, "InsuranceLossCovered");
      await expect(tx).to.emit(oracle, "LossSocialized").withArgs(loss);
      await expect(tx)
        .to.emit(oracle, "ReportApplied")
        .withArgs(data.refSlot, before.ether, before.ether - loss, before.shares, before.shares, 0n);

      const r = await oracle.getLastReport();
      expect(r.timeElapsedSeconds).to.equal(frameSeconds(frames));
      expect(r.postTotalEther).to.equal(before.ether - loss);
      expect(r.postTotalShares).to.equal(before.shares);
      const aprBP = referenceRebaseAprBP({
        preTotalEther: before.ether,
        postTotalEther: before.ether - loss,
        preTotalShares: before.shares,
        postTotalShares: before.shares,
        timeElapsedSeconds: frameSeconds(frames),
      });
      expect(aprBP).to.be.lessThan(0n);
      expect(await oracle.lastReportAprBP()).to.equal(aprBP);
    });
  });
});
