import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, id, parseEther, type ContractTransactionReceipt, type ContractTransactionResponse } from "ethers";
import type { IStakingPool } from "../../typechain-types/contracts/pool/StakingPool";
import { registerOperator } from "../../offchain/operators/register";
import {
  GWEI,
  advanceFrames,
  allowClDrop,
  buildReport,
  depositValidators,
  deployWithValidators,
  requestWithdrawal,
  toGwei,
  type OracleFixture,
  type ReportData,
  type ReportFields,
} from "../helpers/oracle-fixtures";

// ──────────────────────────────── Reference math ────────────────────────────────

const ONE = parseEther("1");
const BP = 10_000n;

function mulDiv(a: bigint, b: bigint, c: bigint): bigint {
  return (a * b) / c;
}

function mulDivUp(a: bigint, b: bigint, c: bigint): bigint {
  return (a * b + c - 1n) / c;
}

// ──────────────────────────────── Local helpers ────────────────────────────────

/** Results (ethers `Result`s are arrays) as plain nested arrays, for deep comparison. */
function plain(value: unknown): unknown {
  return Array.isArray(value) ? Array.from(value, plain) : value;
}

/** Every view a report could change, for "nothing changed on revert". */
async function snapshot(f: OracleFixture): Promise<unknown> {
  const { pool, registry, oracle, insuranceFund } = f;
  const registryAddress = await registry.getAddress();
  const fundAddress = await insuranceFund.getAddress();
  const operators: unknown[] = [];
  const count = await registry.getNodeOperatorsCount();
  for (let i = 0n; i < count; ++i) {
    operators.push(await registry.getNodeOperator(i), await registry.pendingOperatorRewards(i));
  }
  return plain([
    await pool.totalPooledEther(),
    await pool.totalShares(),
    await pool.getBeaconStat(),
    await pool.bufferedEther(),
    await pool.isBunkerModeActive(),
    await pool.sharesOf(registryAddress),
    await pool.sharesOf(fundAddress),
    await pool.sharesOf(f.staker.address),
    await pool.sharesOf(f.treasury.address),
    await registry.totalActiveValidators(),
    await registry.keysNonce(),
    operators,
    await oracle.getLastProcessedRefSlot(),
    await oracle.getLastReport(),
    await oracle.getReportVariants(),
    await oracle.isBunkerModeActive(),
    await hre.ethers.provider.getBalance(await f.withdrawalVault.getAddress()),
    await hre.ethers.provider.getBalance(await f.elRewardsVault.getAddress()),
  ]);
}

interface PoolTotals {
  ether: bigint; // totalPooledEther
  shares: bigint; // totalShares
}

async function totals(f: OracleFixture): Promise<PoolTotals> {
  return { ether: await f.pool.totalPooledEther(), shares: await f.pool.totalShares() };
}

/** The CL balance of the last report, in gwei. */
async function lastClGwei(f: OracleFixture): Promise<bigint> {
  const [, , clBalance] = await f.pool.getBeaconStat();
  return toGwei(clBalance);
}

/** Moves `frames` frames ahead and has the first member vote for `fields`: the next vote reaches quorum. */
async function voteOnce(f: OracleFixture, fields: Partial<ReportFields>, frames = 1n): Promise<ReportData> {
  const refSlot = await advanceFrames(hre.network.provider, f.oracle, frames);
  const data = buildReport(refSlot, fields);
  await (await f.oracle.connect(f.oracleMembers[0]).submitReport(data)).wait();
  return data;
}

/** Reports `fields` and returns the transaction that reached quorum (and applied it). */
async function reportTx(
  f: OracleFixture,
  fields: Partial<ReportFields>,
  frames = 1n,
): Promise<{ data: ReportData; tx: ContractTransactionResponse; receipt: ContractTransactionReceipt }> {
  const data = await voteOnce(f, fields, frames);
  const tx = await f.oracle.connect(f.oracleMembers[1]).submitReport(data);
  const receipt = await tx.wait();
  if (!receipt) throw new Error("no receipt");
  expect(await f.oracle.getLastProcessedRefSlot()).to.equal(data.refSlot);
  return { data, tx, receipt };
}

interface DecodedEvent {
  name: string;
  args: unknown;
}

/** The receipt's events from the oracle, the registry and the pool, in log order, with plain args. */
async function decodeEvents(f: OracleFixture, receipt: ContractTransactionReceipt): Promise<DecodedEvent[]> {
  const emitters = [
    { address: await f.oracle.getAddress(), iface: f.oracle.interface },
    { address: await f.registry.getAddress(), iface: f.registry.interface },
    { address: await f.pool.getAddress(), iface: f.pool.interface },
  ];
  const events: DecodedEvent[] = [];
  for (const log of receipt.logs) {
    const emitter = emitters.find((e) => e.address.toLowerCase() === log.address.toLowerCase());
    if (!emitter) continue;
    const parsed = emitter.iface.parseLog(log);
    if (parsed) events.push({ name: parsed.name, args: plain(parsed.args) });
  }
  return events;
}

/** Shares minted by the report (pool `TransferShares` from the zero address), as [recipient, shares]. */
async function mintedShares(f: OracleFixture, receipt: ContractTransactionReceipt): Promise<[string, bigint][]> {
  const mints: [string, bigint][] = [];
  for (const e of await decodeEvents(f, receipt)) {
    if (e.name !== "TransferShares") continue;
    const [from, to, shares] = e.args as [string, string, bigint];
    if (from === ZeroAddress) mints.push([to, shares]);
  }
  return mints;
}

/**
 * deployWithValidators, then one report with CL and EL rewards, so that the share rate is no longer
 * 1:1 (fees round) and the insurance fund, the treasury and the registry hold fee shares.
 */
async function deployWithOddRate(): Promise<OracleFixture> {
  const f = await loadFixture(deployWithValidators);
  const elRewards = 37_777_777_777_777_777n;
  await (await f.users[5].sendTransaction({ to: await f.elRewardsVault.getAddress(), value: elRewards })).wait();
  await f.report({
    numValidators: 3n,
    clBalanceGwei: toGwei(parseEther("96.012345678")),
    elRewardsVaultBalance: elRewards,
  });
  return f;
}

const ACCOUNTING_ROLE = id("ACCOUNTING_ROLE");

describe("AccountingOracle: loss tranches", function () {
  describe("tranche 1: the operator's bond", function () {
    it("a 1 ETH loss attributed to a bonded operator burns exactly 1 ETH of its bond and leaves the share rate unchanged", async function () {
      const f = await loadFixture(deployWithValidators);
      const { pool, registry, oracle, staker } = f;
      const registryAddress = await registry.getAddress();
      const pre = await totals(f);
      expect(pre.ether).to.equal(pre.shares); // no rewards yet: 1 share = 1 wei
      const rateBefore = await pool.getPooledEthByShares(ONE);
      const stakerBefore = await pool.balanceOf(staker.address);
      const bondBefore = (await registry.getNodeOperator(0n)).bondShares;
      const registrySharesBefore = await pool.sharesOf(registryAddress);
      const burned = mulDivUp(ONE, pre.shares, pre.ether);

      const { data, tx, receipt } = await reportTx(f, {
        numValidators: 3n,
        clBalanceGwei: toGwei(parseEther("95")),
        operatorIdsWithLosses: [0n],
        operatorLossesGwei: [toGwei(ONE)],
      });

      await expect(tx).to.emit(registry, "BondBurned").withArgs(0n, burned);
      await expect(tx).to.emit(oracle, "OperatorLossCovered").withArgs(0n, ONE, ONE, burned);
      await expect(tx)
        .to.emit(pool, "Transfer")
        .withArgs(registryAddress, ZeroAddress, mulDiv(burned, pre.ether, pre.shares));
      await expect(tx).to.emit(pool, "TransferShares").withArgs(registryAddress, ZeroAddress, burned);
      await expect(tx)
        .to.emit(oracle, "ReportApplied")
        .withArgs(data.refSlot, pre.ether, pre.ether - ONE, pre.shares, pre.shares - burned, 0n);
      await expect(tx).not.to.emit(oracle, "InsuranceLossCovered");
      await expect(tx).not.to.emit(oracle, "LossSocialized");
      expect(await mintedShares(f, receipt)).to.deep.equal([]); // no fee on a fully covered loss

      expect(await pool.totalPooledEther()).to.equal(pre.ether - ONE);
      expect(await pool.totalShares()).to.equal(pre.shares - burned);
      expect(await pool.getPooledEthByShares(ONE)).to.equal(rateBefore);
      expect(await pool.balanceOf(staker.address)).to.be.closeTo(stakerBefore, 1n);
      expect((await registry.getNodeOperator(0n)).bondShares).to.equal(bondBefore - burned);
      expect(await pool.sharesOf(registryAddress)).to.equal(registrySharesBefore - burned);
    });

    it("at a non-trivial share rate the bond burn is ceil(loss × S / P) and holders keep their value to the wei", async function () {
      const f = await loadFixture(deployWithOddRate);
      const { pool, registry, oracle, staker } = f;
      const pre = await totals(f);
      expect(pre.ether).to.not.equal(pre.shares);
      const stakerShares = await pool.sharesOf(staker.address);
      const stakerBefore = await pool.balanceOf(staker.address);
      const rateBefore = await pool.getPooledEthByShares(ONE);
      const bondBefore = (await registry.getNodeOperator(0n)).bondShares;
      const burned = mulDivUp(ONE, pre.shares, pre.ether);
      const postEther = pre.ether - ONE;
      const postShares = pre.shares - burned;

      const { tx, receipt } = await reportTx(f, {
        numValidators: 3n,
        clBalanceGwei: (await lastClGwei(f)) - toGwei(ONE),
        operatorIdsWithLosses: [0n],
        operatorLossesGwei: [toGwei(ONE)],
      });

      await expect(tx).to.emit(registry, "BondBurned").withArgs(0n, burned);
      await expect(tx).to.emit(oracle, "OperatorLossCovered").withArgs(0n, ONE, ONE, burned);
      await expect(tx)
        .to.emit(pool, "Transfer")
        .withArgs(await registry.getAddress(), ZeroAddress, mulDiv(burned, pre.ether, pre.shares));
      await expect(tx).not.to.emit(oracle, "InsuranceLossCovered");
      await expect(tx).not.to.emit(oracle, "LossSocialized");
      expect(await mintedShares(f, receipt)).to.deep.equal([]);

      expect(await pool.totalPooledEther()).to.equal(postEther);
      expect(await pool.totalShares()).to.equal(postShares);
      expect((await registry.getNodeOperator(0n)).bondShares).to.equal(bondBefore - burned);
      const rateAfter = await pool.getPooledEthByShares(ONE);
      expect(rateAfter).to.equal(mulDiv(ONE, postEther, postShares));
      expect(rateAfter).to.be.closeTo(rateBefore, 1n);
      expect(rateAfter).to.be.gte(rateBefore); // the bond pays the rounding dust
      const stakerAfter = await pool.balanceOf(staker.address);
      expect(stakerAfter).to.equal(mulDiv(stakerShares, postEther, postShares));
      expect(stakerAfter).to.be.closeTo(stakerBefore, 1n);
    });

    it("a bond smaller than the attributed loss is burned whole, then the insurance fund, then holders, in that order with exact amounts", async function () {
      const f = await loadFixture(deployWithOddRate);
      const { pool, registry, staker, operator, admin, insuranceFund } = f;
      const registryAddress = await registry.getAddress();
      const fundAddress = await insuranceFund.getAddress();
      // Shrink the bond: with no bond required per validator, the operator may withdraw all but 0.4 ETH of shares.
      await (await registry.connect(admin).setBondPerValidator(0n)).wait();
      const keptBond = parseEther("0.4");
      const bondShares = (await registry.getNodeOperator(0n)).bondShares;
      await (await registry.connect(operator).withdrawBond(0n, bondShares - keptBond, operator.address)).wait();
      expect((await registry.getNodeOperator(0n)).bondShares).to.equal(keptBond);
      await (await pool.connect(staker).transfer(fundAddress, parseEther("0.2"))).wait();

      const pre = await totals(f);
      const fundShares = await pool.sharesOf(fundAddress);
      const stakerShares = await pool.sharesOf(staker.address);
      const registrySharesBefore = await pool.sharesOf(registryAddress);
      const bondCovered = mulDiv(keptBond, pre.ether, pre.shares);
      const fundCovered = mulDiv(fundShares, pre.ether, pre.shares);
      const socialized = ONE - bondCovered - fundCovered;
      expect(ONE - bondCovered).to.be.greaterThan(fundCovered); // the fund cannot cover the rest
      const postEther = pre.ether - ONE;
      const postShares = pre.shares - keptBond - fundShares;

      const { data, receipt } = await reportTx(f, {
        numValidators: 3n,
        clBalanceGwei: (await lastClGwei(f)) - toGwei(ONE),
        operatorIdsWithLosses: [0n],
        operatorLossesGwei: [toGwei(ONE)],
      });

      const tranche = new Set([
        "BondBurned",
        "OperatorLossCovered",
        "InsuranceLossCovered",
        "LossSocialized",
        "Transfer",
        "TransferShares",
        "ReportApplied",
      ]);
      const events = (await decodeEvents(f, receipt)).filter((e) => tranche.has(e.name));
      expect(events).to.deep.equal([
        { name: "BondBurned", args: [0n, keptBond] },
        { name: "OperatorLossCovered", args: [0n, ONE, bondCovered, keptBond] },
        { name: "InsuranceLossCovered", args: [fundCovered, fundShares] },
        { name: "LossSocialized", args: [socialized] },
        { name: "Transfer", args: [registryAddress, ZeroAddress, bondCovered] },
        { name: "TransferShares", args: [registryAddress, ZeroAddress, keptBond] },
        { name: "Transfer", args: [fundAddress, ZeroAddress, fundCovered] },
        { name: "TransferShares", args: [fundAddress, ZeroAddress, fundShares] },
        { name: "ReportApplied", args: [data.refSlot, pre.ether, postEther, pre.shares, postShares, 0n] },
      ]);

      expect((await registry.getNodeOperator(0n)).bondShares).to.equal(0n);
      expect(await pool.sharesOf(registryAddress)).to.equal(registrySharesBefore - keptBond);
      expect(await pool.sharesOf(fundAddress)).to.equal(0n);
      expect(await pool.totalPooledEther()).to.equal(postEther);
      expect(await pool.totalShares()).to.equal(postShares);
      expect(await pool.balanceOf(staker.address)).to.equal(mulDiv(stakerShares, postEther, postShares));
      // All remaining shares are holders': worth P − bond − fund (rounded up) before, P − 1 ETH after.
      const holdersBefore = mulDivUp(pre.shares - keptBond - fundShares, pre.ether, pre.shares);
      expect(holdersBefore - postEther).to.equal(socialized);
    });

    it("an operator loss while the CL total still rose burns the bond and charges fees on rewards plus the covered loss", async function () {
      const f = await loadFixture(deployWithOddRate);
      const { pool, registry, oracle, treasury, insuranceFund } = f;
      const registryAddress = await registry.getAddress();
      const fundAddress = await insuranceFund.getAddress();
      const pre = await totals(f);
      const clGain = parseEther("0.02"); // ~7.6% APR over one day on 96 ETH
      const burned = mulDivUp(ONE, pre.shares, pre.ether);
      const rewardsWei = clGain + ONE; // what the other validators earned: the gain plus the penalty covered
      const postEther = pre.ether + clGain;
      const fees = await oracle.getFeeConfig();
      expect([fees.treasuryFeeBP, fees.operatorsFeeBP, fees.insuranceFeeBP]).to.deep.equal([500n, 400n, 100n]);
      const treasuryWei = (rewardsWei * fees.treasuryFeeBP) / BP;
      const operatorsWei = (rewardsWei * fees.operatorsFeeBP) / BP;
      const insuranceWei = (rewardsWei * fees.insuranceFeeBP) / BP;
      const denominator = postEther - (treasuryWei + operatorsWei + insuranceWei);
      const sharesLeft = pre.shares - burned;
      const treasuryShares = mulDiv(treasuryWei, sharesLeft, denominator);
      const operatorsShares = mulDiv(operatorsWei, sharesLeft, denominator);
      const insuranceShares = mulDiv(insuranceWei, sharesLeft, denominator);
      const postShares = sharesLeft + treasuryShares + operatorsShares + insuranceShares;
      const treasuryBefore = await pool.sharesOf(treasury.address);
      const fundBefore = await pool.sharesOf(fundAddress);
      const registryBefore = await pool.sharesOf(registryAddress);
      const bondBefore = (await registry.getNodeOperator(0n)).bondShares;

      const { data, tx, receipt } = await reportTx(f, {
        numValidators: 3n,
        clBalanceGwei: (await lastClGwei(f)) + toGwei(clGain),
        operatorIdsWithLosses: [0n],
        operatorLossesGwei: [toGwei(ONE)],
      });

      await expect(tx).to.emit(registry, "BondBurned").withArgs(0n, burned);
      await expect(tx).to.emit(oracle, "OperatorLossCovered").withArgs(0n, ONE, ONE, burned);
      // Fee shares as charged on rewards + covered (1.02 ETH), not on the net CL gain (0.02 ETH).
      expect(await mintedShares(f, receipt)).to.deep.equal([
        [treasury.address, treasuryShares],
        [registryAddress, operatorsShares],
        [fundAddress, insuranceShares],
      ]);
      expect(treasuryShares).to.be.greaterThan(
        mulDiv((clGain * fees.treasuryFeeBP) / BP, sharesLeft, denominator) * 50n,
      );
      await expect(tx).to.emit(registry, "OperatorRewardsDistributed").withArgs(operatorsShares, 3n);
      await expect(tx)
        .to.emit(oracle, "ReportApplied")
        .withArgs(
          data.refSlot,
          pre.ether,
          postEther,
          pre.shares,
          postShares,
          treasuryShares + operatorsShares + insuranceShares,
        );
      await expect(tx).not.to.emit(oracle, "InsuranceLossCovered");
      await expect(tx).not.to.emit(oracle, "LossSocialized");

      expect(await pool.totalPooledEther()).to.equal(postEther);
      expect(await pool.totalShares()).to.equal(postShares);
      expect((await registry.getNodeOperator(0n)).bondShares).to.equal(bondBefore - burned);
      expect(await pool.sharesOf(registryAddress)).to.equal(registryBefore - burned + operatorsShares);
      expect(await pool.sharesOf(treasury.address)).to.equal(treasuryBefore + treasuryShares);
      expect(await pool.sharesOf(fundAddress)).to.equal(fundBefore + insuranceShares);
      // Each recipient's new shares are worth its fee, to within the rounding down of the mint.
      expect(await pool.getPooledEthByShares(treasuryShares)).to.be.closeTo(treasuryWei, 1n);
      expect(await pool.getPooledEthByShares(operatorsShares)).to.be.closeTo(operatorsWei, 1n);
      expect(await pool.getPooledEthByShares(insuranceShares)).to.be.closeTo(insuranceWei, 1n);
    });
  });

  describe("tranches 2 and 3: the insurance fund, then holders", function () {
    it("an unattributed 1 ETH loss burns the whole 0.5 ETH fund and socialises exactly the remainder", async function () {
      const f = await loadFixture(deployWithOddRate);
      const { pool, oracle, staker, insuranceFund, registry } = f;
      const fundAddress = await insuranceFund.getAddress();
      await (await pool.connect(staker).transfer(fundAddress, parseEther("0.5"))).wait();
      const pre = await totals(f);
      const fundShares = await pool.sharesOf(fundAddress);
      const fundCovered = mulDiv(fundShares, pre.ether, pre.shares);
      expect(fundCovered).to.be.closeTo(parseEther("0.5") + parseEther("0.0005"), parseEther("0.0001")); // + its fee shares
      const stakerShares = await pool.sharesOf(staker.address);
      const registryShares = await pool.sharesOf(await registry.getAddress());
      const postEther = pre.ether - ONE;
      const postShares = pre.shares - fundShares;

      const { data, tx, receipt } = await reportTx(f, {
        numValidators: 3n,
        clBalanceGwei: (await lastClGwei(f)) - toGwei(ONE),
      });

      await expect(tx).to.emit(oracle, "InsuranceLossCovered").withArgs(fundCovered, fundShares);
      await expect(tx)
        .to.emit(oracle, "LossSocialized")
        .withArgs(ONE - fundCovered);
      await expect(tx).to.emit(pool, "Transfer").withArgs(fundAddress, ZeroAddress, fundCovered);
      await expect(tx)
        .to.emit(oracle, "ReportApplied")
        .withArgs(data.refSlot, pre.ether, postEther, pre.shares, postShares, 0n);
      await expect(tx).not.to.emit(oracle, "OperatorLossCovered");
      await expect(tx).not.to.emit(registry, "BondBurned");
      expect(await mintedShares(f, receipt)).to.deep.equal([]);

      expect(await pool.sharesOf(fundAddress)).to.equal(0n);
      expect(await pool.sharesOf(await registry.getAddress())).to.equal(registryShares); // bonds untouched
      expect(await pool.totalPooledEther()).to.equal(postEther);
      expect(await pool.totalShares()).to.equal(postShares);
      expect(await pool.getPooledEthByShares(ONE)).to.equal(mulDiv(ONE, postEther, postShares));
      expect(await pool.balanceOf(staker.address)).to.equal(mulDiv(stakerShares, postEther, postShares));
      // Holders (every share left) were worth P − fund (rounded up) and are now worth P − 1 ETH.
      const holdersBefore = mulDivUp(postShares, pre.ether, pre.shares);
      expect(holdersBefore - postEther).to.equal(ONE - fundCovered);
    });

    it("a loss smaller than the insurance fund is covered by it alone: holders are not charged", async function () {
      const f = await loadFixture(deployWithOddRate);
      const { pool, oracle, staker, insuranceFund } = f;
      const fundAddress = await insuranceFund.getAddress();
      await (await pool.connect(staker).transfer(fundAddress, parseEther("0.5"))).wait();
      const pre = await totals(f);
      const fundShares = await pool.sharesOf(fundAddress);
      const loss = parseEther("0.3");
      const burned = mulDivUp(loss, pre.shares, pre.ether);
      const stakerBefore = await pool.balanceOf(staker.address);
      const rateBefore = await pool.getPooledEthByShares(ONE);

      const { tx } = await reportTx(f, { numValidators: 3n, clBalanceGwei: (await lastClGwei(f)) - toGwei(loss) });

      await expect(tx).to.emit(oracle, "InsuranceLossCovered").withArgs(loss, burned);
      await expect(tx).not.to.emit(oracle, "LossSocialized");
      expect(await pool.sharesOf(fundAddress)).to.equal(fundShares - burned);
      expect(await pool.totalPooledEther()).to.equal(pre.ether - loss);
      expect(await pool.totalShares()).to.equal(pre.shares - burned);
      const rateAfter = await pool.getPooledEthByShares(ONE);
      expect(rateAfter).to.equal(mulDiv(ONE, pre.ether - loss, pre.shares - burned));
      expect(rateAfter).to.be.gte(rateBefore);
      expect(rateAfter).to.be.closeTo(rateBefore, 1n);
      const stakerAfter = await pool.balanceOf(staker.address);
      expect(stakerAfter).to.be.gte(stakerBefore);
      expect(stakerAfter).to.be.closeTo(stakerBefore, 1n);
    });

    it("a loss attributed to an operator without bond falls through to the insurance fund and then to holders", async function () {
      const f = await loadFixture(deployWithOddRate);
      const { pool, registry, oracle, staker, admin, insuranceFund, users } = f;
      const fundAddress = await insuranceFund.getAddress();
      const registryAddress = await registry.getAddress();
      // No bond required: a fresh operator with no bond can take a deposit.
      await (await registry.connect(admin).setBondPerValidator(0n)).wait();
      const opId = await registerOperator(registry, pool, admin, {
        name: "bondless",
        rewardAddress: users[2],
        keys: 2,
        bondWei: 0n,
      });
      expect(opId).to.equal(1n);
      await (await pool.connect(staker).stake(ZeroAddress, { value: parseEther("40") })).wait();
      await depositValidators(f, opId, 1);
      expect((await registry.getNodeOperator(opId)).bondShares).to.equal(0n);
      await (await pool.connect(staker).transfer(fundAddress, parseEther("0.5"))).wait();

      const pre = await totals(f);
      const fundShares = await pool.sharesOf(fundAddress);
      const fundCovered = mulDiv(fundShares, pre.ether, pre.shares);
      const registryShares = await pool.sharesOf(registryAddress);
      const stakerShares = await pool.sharesOf(staker.address);
      const postEther = pre.ether - ONE;
      const postShares = pre.shares - fundShares;

      const { tx } = await reportTx(f, {
        numValidators: 4n,
        clBalanceGwei: (await lastClGwei(f)) + toGwei(parseEther("32")) - toGwei(ONE),
        operatorIdsWithLosses: [opId],
        operatorLossesGwei: [toGwei(ONE)],
      });

      await expect(tx).not.to.emit(registry, "BondBurned"); // no bond: nothing burned
      await expect(tx).to.emit(oracle, "OperatorLossCovered").withArgs(opId, ONE, 0n, 0n);
      await expect(tx).to.emit(oracle, "InsuranceLossCovered").withArgs(fundCovered, fundShares);
      await expect(tx)
        .to.emit(oracle, "LossSocialized")
        .withArgs(ONE - fundCovered);
      expect(await pool.sharesOf(registryAddress)).to.equal(registryShares);
      expect(await pool.sharesOf(fundAddress)).to.equal(0n);
      expect(await pool.totalPooledEther()).to.equal(postEther);
      expect(await pool.totalShares()).to.equal(postShares);
      expect(await pool.balanceOf(staker.address)).to.equal(mulDiv(stakerShares, postEther, postShares));
    });
  });

  describe("report validation", function () {
    async function withSecondOperator(): Promise<OracleFixture> {
      const f = await loadFixture(deployWithValidators);
      await registerOperator(f.registry, f.pool, f.admin, {
        name: "op-1",
        rewardAddress: f.users[2],
        keys: 0,
        bondWei: 0n,
      });
      return f;
    }

    it("rejects operator losses that are unsorted, duplicated, zero or for an unknown operator, changing nothing", async function () {
      const f = await loadFixture(withSecondOperator);
      const { oracle, registry } = f;
      const base = { numValidators: 3n, clBalanceGwei: toGwei(parseEther("94")) };
      const cases: {
        fields: Partial<ReportFields>;
        check: (tx: Promise<ContractTransactionResponse>) => Promise<void>;
      }[] = [
        {
          fields: { ...base, operatorIdsWithLosses: [0n, 0n], operatorLossesGwei: [GWEI, GWEI] },
          check: (tx) => expect(tx).to.be.revertedWithCustomError(oracle, "OperatorIdsNotAscending").withArgs(1n, 0n),
        },
        {
          fields: { ...base, operatorIdsWithLosses: [1n, 0n], operatorLossesGwei: [GWEI, GWEI] },
          check: (tx) => expect(tx).to.be.revertedWithCustomError(oracle, "OperatorIdsNotAscending").withArgs(1n, 0n),
        },
        {
          fields: { ...base, operatorIdsWithLosses: [0n, 1n], operatorLossesGwei: [GWEI, 0n] },
          check: (tx) => expect(tx).to.be.revertedWithCustomError(oracle, "ZeroOperatorLoss").withArgs(1n),
        },
        {
          fields: { ...base, operatorIdsWithLosses: [0n, 5n], operatorLossesGwei: [GWEI, GWEI] },
          check: (tx) => expect(tx).to.be.revertedWithCustomError(registry, "OperatorNotFound").withArgs(5n),
        },
      ];
      let refSlot = 0n;
      for (const c of cases) {
        const data = await voteOnce(f, c.fields);
        refSlot = BigInt(data.refSlot);
        const before = await snapshot(f);
        await c.check(f.oracle.connect(f.oracleMembers[1]).submitReport(data));
        expect(await snapshot(f)).to.deep.equal(before);
      }
      // The frame is still open: once the first member corrects its vote, a valid report goes through.
      const valid = buildReport(refSlot, {
        ...base,
        operatorIdsWithLosses: [0n],
        operatorLossesGwei: [toGwei(parseEther("2"))],
      });
      await (await oracle.connect(f.oracleMembers[0]).submitReport(valid)).wait();
      await expect(oracle.connect(f.oracleMembers[1]).submitReport(valid))
        .to.emit(oracle, "OperatorLossCovered")
        .withArgs(0n, parseEther("2"), parseEther("2"), parseEther("2"));
      expect(await oracle.getLastProcessedRefSlot()).to.equal(refSlot);
    });
  });

  describe("exit requests", function () {
    it("emits ValidatorExitRequested with the registry's pubkey for each requested deposited key, in order", async function () {
      const f = await loadFixture(deployWithValidators);
      const { oracle, registry } = f;
      await requestWithdrawal(f, f.staker, parseEther("80")); // 70 ETH beyond the buffer: up to 3 exits
      const requests: [bigint, bigint][] = [
        [0n, 2n],
        [0n, 0n],
      ];
      const { receipt } = await reportTx(f, {
        numValidators: 3n,
        clBalanceGwei: toGwei(parseEther("96")),
        exitOperatorIds: requests.map(([op]) => op),
        exitKeyIndices: requests.map(([, index]) => index),
      });
      const expected: DecodedEvent[] = [];
      for (const [op, index] of requests) {
        const [pubkey, , deposited] = await registry.getSigningKey(op, index);
        expect(deposited).to.equal(true);
        expect(pubkey).to.match(/^0x[0-9a-f]{96}$/);
        expected.push({ name: "ValidatorExitRequested", args: [op, index, pubkey] });
      }
      const events = (await decodeEvents(f, receipt)).filter((e) => e.name === "ValidatorExitRequested");
      expect(events).to.deep.equal(expected);
      expect(await oracle.getLastProcessedRefSlot()).to.equal((await oracle.getLastReport()).refSlot);
    });

    it("rejects exit requests for undeposited keys, keys beyond the operator's keys and unknown operators, changing nothing", async function () {
      const f = await loadFixture(deployWithValidators);
      const { oracle, registry } = f;
      await requestWithdrawal(f, f.staker, parseEther("80"));
      const base = { numValidators: 3n, clBalanceGwei: toGwei(parseEther("96")) };
      const [, , deposited3] = await registry.getSigningKey(0n, 3n);
      expect(deposited3).to.equal(false);
      const cases: {
        fields: Partial<ReportFields>;
        check: (tx: Promise<ContractTransactionResponse>) => Promise<void>;
      }[] = [
        {
          fields: { ...base, exitOperatorIds: [0n, 0n], exitKeyIndices: [0n, 3n] },
          check: (tx) => expect(tx).to.be.revertedWithCustomError(oracle, "ExitKeyNotDeposited").withArgs(0n, 3n),
        },
        {
          fields: { ...base, exitOperatorIds: [0n], exitKeyIndices: [8n] },
          check: (tx) =>
            expect(tx).to.be.revertedWithCustomError(registry, "InvalidKeyRange").withArgs(0n, 8n, 1n, 3n, 8n),
        },
        {
          fields: { ...base, exitOperatorIds: [3n], exitKeyIndices: [0n] },
          check: (tx) => expect(tx).to.be.revertedWithCustomError(registry, "OperatorNotFound").withArgs(3n),
        },
      ];
      for (const c of cases) {
        const data = await voteOnce(f, c.fields);
        const before = await snapshot(f);
        await c.check(f.oracle.connect(f.oracleMembers[1]).submitReport(data));
        expect(await snapshot(f)).to.deep.equal(before);
      }
    });
  });

  describe("bunker mode", function () {
    it("a CL drop of exactly 5% is accepted and one gwei more reverts ClBalanceDropLimitExceeded", async function () {
      const f = await loadFixture(deployWithValidators);
      const { oracle } = f;
      const preCL = parseEther("96");
      const limitDrop = (preCL * 500n) / BP; // 4.8 ETH
      const overDrop = limitDrop + GWEI;
      const data = await voteOnce(f, { numValidators: 3n, clBalanceGwei: toGwei(preCL - overDrop) });
      const before = await snapshot(f);
      await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(data))
        .to.be.revertedWithCustomError(oracle, "ClBalanceDropLimitExceeded")
        .withArgs(mulDivUp(overDrop, BP, preCL), 500n);
      expect(await snapshot(f)).to.deep.equal(before);

      const pre = await totals(f);
      const { tx } = await reportTx(f, { numValidators: 3n, clBalanceGwei: toGwei(preCL - limitDrop) });
      // The fund is empty: the whole loss is socialised, no insurance event.
      await expect(tx).to.emit(oracle, "LossSocialized").withArgs(limitDrop);
      await expect(tx).not.to.emit(oracle, "InsuranceLossCovered");
      expect(await f.pool.totalPooledEther()).to.equal(pre.ether - limitDrop);
      expect(await f.pool.totalShares()).to.equal(pre.shares);
      expect(await oracle.isBunkerModeActive()).to.equal(false);
    });

    it("a CL drop above 5% reverts with or without bunker mode; with the limit raised by governance it goes through the tranches", async function () {
      const f = await loadFixture(deployWithOddRate);
      const { pool, registry, oracle, staker, insuranceFund } = f;
      const fundAddress = await insuranceFund.getAddress();
      const clGwei = await lastClGwei(f);
      const preCL = clGwei * GWEI;
      const drop = parseEther("6");
      const attributed = parseEther("2");
      const fields: Partial<ReportFields> = {
        numValidators: 3n,
        clBalanceGwei: clGwei - toGwei(drop),
        operatorIdsWithLosses: [0n],
        operatorLossesGwei: [toGwei(attributed)],
      };
      const data = await voteOnce(f, fields);
      const before = await snapshot(f);
      await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(data))
        .to.be.revertedWithCustomError(oracle, "ClBalanceDropLimitExceeded")
        .withArgs(mulDivUp(drop, BP, preCL), 500n);
      expect(await snapshot(f)).to.deep.equal(before);
      // Declaring bunker mode does not lift the one-off limit: the same report with it reverts alike.
      const bunkerData = await voteOnce(f, { ...fields, isBunkerMode: true });
      const beforeBunker = await snapshot(f);
      await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(bunkerData))
        .to.be.revertedWithCustomError(oracle, "ClBalanceDropLimitExceeded")
        .withArgs(mulDivUp(drop, BP, preCL), 500n);
      expect(await snapshot(f)).to.deep.equal(beforeBunker);
      // No slashing is proven on chain here, so only governance can let the drop through.
      await allowClDrop(oracle, f.admin, mulDivUp(drop, BP, preCL));

      const pre = await totals(f);
      const burned = mulDivUp(attributed, pre.shares, pre.ether);
      const fundShares = await pool.sharesOf(fundAddress);
      expect(fundShares).to.be.greaterThan(0n); // fee shares from the earlier rewards
      const fundCovered = mulDiv(fundShares, pre.ether, pre.shares);
      const postEther = pre.ether - drop;
      const postShares = pre.shares - burned - fundShares;
      const stakerShares = await pool.sharesOf(staker.address);

      const { tx } = await reportTx(f, { ...fields, isBunkerMode: true });
      await expect(tx).to.emit(registry, "BondBurned").withArgs(0n, burned);
      await expect(tx).to.emit(oracle, "OperatorLossCovered").withArgs(0n, attributed, attributed, burned);
      await expect(tx).to.emit(oracle, "InsuranceLossCovered").withArgs(fundCovered, fundShares);
      await expect(tx)
        .to.emit(oracle, "LossSocialized")
        .withArgs(drop - attributed - fundCovered);
      expect(await pool.totalPooledEther()).to.equal(postEther);
      expect(await pool.totalShares()).to.equal(postShares);
      expect(await pool.balanceOf(staker.address)).to.equal(mulDiv(stakerShares, postEther, postShares));
      expect(await oracle.isBunkerModeActive()).to.equal(true);
      expect(await pool.isBunkerModeActive()).to.equal(true);
      await expect(pool.connect(staker).instantRedeem(ONE, 0n, staker.address)).to.be.revertedWithCustomError(
        pool,
        "InstantRedeemBunkerMode",
      );
    });
  });

  describe("access control", function () {
    it("only the oracle applies reports to the pool, and only ACCOUNTING_ROLE burns bonds or books operator rewards", async function () {
      const f = await loadFixture(deployWithValidators);
      const { pool, registry, oracle, admin, operator } = f;
      expect(await registry.hasRole(ACCOUNTING_ROLE, await oracle.getAddress())).to.equal(true);
      const update: IStakingPool.ReportUpdateStruct = {
        clValidators: 3n,
        clBalanceWei: parseEther("200"),
        withdrawalVaultWei: 0n,
        elRewardsVaultWei: 0n,
        bondSharesToBurn: 0n,
        insuranceSharesToBurn: 0n,
        treasury: admin.address,
        treasuryFeeShares: parseEther("1"),
        operatorsFeeShares: 0n,
        insuranceFeeShares: 0n,
        bunkerMode: false,
        finalizationBatchEnds: [],
        refSlotTimestamp: 0n,
      };
      const before = await snapshot(f);
      for (const caller of [admin, operator, f.oracleMembers[0]]) {
        await expect(pool.connect(caller).applyReport(update))
          .to.be.revertedWithCustomError(pool, "CallerNotOracle")
          .withArgs(caller.address);
        await expect(registry.connect(caller).burnBondShares(0n, 1n))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, ACCOUNTING_ROLE);
        await expect(registry.connect(caller).distributeOperatorRewards(1n))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, ACCOUNTING_ROLE);
      }
      expect(await snapshot(f)).to.deep.equal(before);
    });
  });
});
