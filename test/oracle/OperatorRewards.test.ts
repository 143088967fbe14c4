import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, id, parseEther, type ContractTransactionReceipt, type ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { registerOperator } from "../../offchain/operators/register";
import { deployTidepoolUnlimited, type TidepoolFixture } from "../helpers/fixtures";
import {
  advanceFrames,
  buildReport,
  depositValidators,
  deployWithValidators,
  toGwei,
  type OracleFixture,
  type ReportData,
  type ReportFields,
} from "../helpers/oracle-fixtures";

// ──────────────────────────────── Reference math ────────────────────────────────

const BP = 10_000n;
/** The registry's reward index scale (NodeOperatorRegistry.REWARD_INDEX_SCALE). */
const INDEX_SCALE = 1_000_000n;
const ACCOUNTING_ROLE = id("ACCOUNTING_ROLE");

/** One distribution's index step: shares × scale / active validators, rounded down. */
function indexStep(shares: bigint, activeValidators: bigint): bigint {
  return (shares * INDEX_SCALE) / activeValidators;
}

/** Shares accrued by `activeValidators` over an index growth of `indexDelta`, rounded down. */
function accrued(indexDelta: bigint, activeValidators: bigint): bigint {
  return (indexDelta * activeValidators) / INDEX_SCALE;
}

/**
 * The operators' fee shares of a report with positive rewards and no losses: fee F_x = rewards × BP_x,
 * minted as F_x × S / (P + rewards − F) (AccountingOracle NatSpec), rounded down.
 */
async function expectedOperatorsFeeShares(f: TidepoolFixture, rewardsWei: bigint): Promise<bigint> {
  const fees = await f.oracle.getFeeConfig();
  const ether = await f.pool.totalPooledEther();
  const shares = await f.pool.totalShares();
  const feeWei =
    (rewardsWei * fees.treasuryFeeBP) / BP +
    (rewardsWei * fees.operatorsFeeBP) / BP +
    (rewardsWei * fees.insuranceFeeBP) / BP;
  return (((rewardsWei * fees.operatorsFeeBP) / BP) * shares) / (ether + rewardsWei - feeWei);
}

// ──────────────────────────────── Local helpers ────────────────────────────────

/** Results (ethers `Result`s are arrays) as plain nested arrays, for deep comparison. */
function plain(value: unknown): unknown {
  return Array.isArray(value) ? Array.from(value, plain) : value;
}

/** Everything a claim or a distribution could change, for "nothing changed on revert". */
async function snapshot(f: TidepoolFixture, accounts: string[]): Promise<unknown> {
  const { pool, registry } = f;
  const operators: unknown[] = [];
  const count = await registry.getNodeOperatorsCount();
  for (let i = 0n; i < count; ++i) {
    operators.push(await registry.getNodeOperator(i), await registry.pendingOperatorRewards(i));
  }
  const balances: bigint[] = [];
  for (const account of [await registry.getAddress(), ...accounts]) balances.push(await pool.sharesOf(account));
  return plain([
    await pool.totalPooledEther(),
    await pool.totalShares(),
    await registry.totalActiveValidators(),
    operators,
    balances,
  ]);
}

/** The CL balance of the last report, in gwei. */
async function lastClGwei(f: TidepoolFixture): Promise<bigint> {
  const [, , clBalance] = await f.pool.getBeaconStat();
  return toGwei(clBalance);
}

/** Reports `fields` through the quorum `frames` frames ahead; returns the transaction that applied it. */
async function reportTx(
  f: TidepoolFixture,
  fields: Partial<ReportFields>,
  frames = 1n,
): Promise<{ data: ReportData; tx: ContractTransactionResponse; receipt: ContractTransactionReceipt }> {
  const refSlot = await advanceFrames(hre.network.provider, f.oracle, frames);
  const data = buildReport(refSlot, fields);
  await (await f.oracle.connect(f.oracleMembers[0]).submitReport(data)).wait();
  const tx = await f.oracle.connect(f.oracleMembers[1]).submitReport(data);
  const receipt = await tx.wait();
  if (!receipt) throw new Error("no receipt");
  expect(await f.oracle.getLastProcessedRefSlot()).to.equal(refSlot);
  return { data, tx, receipt };
}

/** Shares the report minted to the registry (the operators' fee), from the pool's TransferShares events. */
async function sharesMintedToRegistry(f: TidepoolFixture, receipt: ContractTransactionReceipt): Promise<bigint> {
  const poolAddress = (await f.pool.getAddress()).toLowerCase();
  const registryAddress = await f.registry.getAddress();
  let minted = 0n;
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== poolAddress) continue;
    const parsed = f.pool.interface.parseLog(log);
    if (parsed?.name === "TransferShares" && parsed.args[0] === ZeroAddress && parsed.args[1] === registryAddress) {
      minted += parsed.args[2] as bigint;
    }
  }
  return minted;
}

/**
 * A rewards report of `clGainWei` on the CL balance (with `newValidators` newly visible): checks that
 * the operators' fee shares are minted to the registry and distributed over `activeValidators`, and
 * returns them.
 */
async function rewardsReport(
  f: TidepoolFixture,
  numValidators: bigint,
  newValidators: bigint,
  clGainWei: bigint,
  activeValidators: bigint,
  heldBack = 0n,
): Promise<bigint> {
  const operatorsShares = await expectedOperatorsFeeShares(f, clGainWei);
  expect(operatorsShares).to.be.greaterThan(0n);
  const { tx, receipt } = await reportTx(f, {
    numValidators,
    clBalanceGwei: (await lastClGwei(f)) + newValidators * 32_000_000_000n + toGwei(clGainWei),
  });
  expect(await sharesMintedToRegistry(f, receipt)).to.equal(operatorsShares);
  await expect(tx)
    .to.emit(f.registry, "OperatorRewardsDistributed")
    .withArgs(operatorsShares + heldBack, activeValidators);
  return operatorsShares;
}

interface TwoOperators extends OracleFixture {
  operator1: HardhatEthersSigner; // reward address of operator 1
}

/**
 * deployWithValidators (operator 0: 3 validators), 40 ETH more staked, and a second operator with
 * 4 vetted keys and a 4 ETH bond but no deposit yet. No operator fee has been distributed.
 */
async function deployTwoOperators(): Promise<TwoOperators> {
  const f = await loadFixture(deployWithValidators);
  const operator1 = f.users[2];
  await (await f.pool.connect(f.staker).stake(ZeroAddress, { value: parseEther("40") })).wait();
  const id1 = await registerOperator(f.registry, f.pool, f.admin, {
    name: "op-1",
    rewardAddress: operator1,
    keys: 4,
    bondWei: parseEther("4"),
  });
  expect(id1).to.equal(1n);
  return { ...f, operator1 };
}

/** deployTwoOperators, one validator deposited to operator 1 (3:1), and a rewards report over all four. */
async function deployAfterSplitReport(): Promise<TwoOperators & { operatorsShares: bigint }> {
  const f = await loadFixture(deployTwoOperators);
  await depositValidators(f, 1n, 1);
  const operatorsShares = await rewardsReport(f, 4n, 1n, parseEther("0.0312345"), 4n);
  return { ...f, operatorsShares };
}

describe("NodeOperatorRegistry: pull-based operator rewards", function () {
  it("a report's operator fee shares are split 3:1 between operators with 3 and 1 active validators", async function () {
    const f = await loadFixture(deployTwoOperators);
    const { registry, pool } = f;
    expect(await registry.pendingOperatorRewards(0n)).to.equal(0n);
    expect(await registry.pendingOperatorRewards(1n)).to.equal(0n);
    // Operator 1 has the fewest active validators, so it takes the next deposit.
    expect(await registry.lowestActiveValidators()).to.deep.equal([true, 0n]);
    await depositValidators(f, 1n, 1);
    expect(await registry.totalActiveValidators()).to.equal(4n);
    const registrySharesBefore = await pool.sharesOf(await registry.getAddress());

    const operatorsShares = await rewardsReport(f, 4n, 1n, parseEther("0.0312345"), 4n);

    const step = indexStep(operatorsShares, 4n);
    const pending0 = await registry.pendingOperatorRewards(0n);
    const pending1 = await registry.pendingOperatorRewards(1n);
    expect(pending0).to.equal(accrued(step, 3n));
    expect(pending1).to.equal(accrued(step, 1n));
    expect(pending0 + pending1).to.be.lte(operatorsShares);
    expect(operatorsShares - (pending0 + pending1)).to.be.lte(4n); // rounding dust stays in the registry
    expect(pending0 - 3n * pending1).to.be.within(0n, 2n);
    expect(await pool.sharesOf(await registry.getAddress())).to.equal(registrySharesBefore + operatorsShares);
  });

  it("the reward address claims exactly its pending shares once; a second claim and other callers revert", async function () {
    const f = await loadFixture(deployAfterSplitReport);
    const { registry, pool, operator, operator1, staker } = f;
    const registryAddress = await registry.getAddress();
    const pending0 = await registry.pendingOperatorRewards(0n);
    const pending1 = await registry.pendingOperatorRewards(1n);
    expect(pending0).to.be.greaterThan(0n);
    const accounts = [operator.address, operator1.address, staker.address];

    // Someone else (even another operator's reward address) cannot claim.
    let before = await snapshot(f, accounts);
    for (const caller of [operator1, staker]) {
      await expect(registry.connect(caller).claimOperatorRewards(0n))
        .to.be.revertedWithCustomError(registry, "CallerNotOperator")
        .withArgs(caller.address, 0n);
    }
    expect(await snapshot(f, accounts)).to.deep.equal(before);

    const operatorShares = await pool.sharesOf(operator.address);
    const registryShares = await pool.sharesOf(registryAddress);
    const amount = await pool.getPooledEthByShares(pending0);
    const tx = registry.connect(operator).claimOperatorRewards(0n);
    await expect(tx).to.emit(pool, "TransferShares").withArgs(registryAddress, operator.address, pending0);
    await expect(tx).to.emit(pool, "Transfer").withArgs(registryAddress, operator.address, amount);
    await expect(tx).to.emit(registry, "OperatorRewardsClaimed").withArgs(0n, operator.address, pending0, amount);
    expect(await pool.sharesOf(operator.address)).to.equal(operatorShares + pending0);
    expect(await pool.sharesOf(registryAddress)).to.equal(registryShares - pending0);
    expect(await registry.pendingOperatorRewards(0n)).to.equal(0n);
    expect(await registry.pendingOperatorRewards(1n)).to.equal(pending1);

    before = await snapshot(f, accounts);
    await expect(registry.connect(operator).claimOperatorRewards(0n))
      .to.be.revertedWithCustomError(registry, "NoOperatorRewards")
      .withArgs(0n);
    await expect(registry.connect(operator).claimOperatorRewards(7n))
      .to.be.revertedWithCustomError(registry, "OperatorNotFound")
      .withArgs(7n);
    expect(await snapshot(f, accounts)).to.deep.equal(before);

    // The other operator's claim is unaffected.
    await expect(registry.connect(operator1).claimOperatorRewards(1n))
      .to.emit(registry, "OperatorRewardsClaimed")
      .withArgs(1n, operator1.address, pending1, await pool.getPooledEthByShares(pending1));
  });

  it("validators deposited after a distribution earn only later ones, and exited validators stop earning but keep what they earned", async function () {
    const f = await loadFixture(deployTwoOperators);
    const { registry, admin } = f;
    expect(await registry.totalActiveValidators()).to.equal(3n);

    // Report 1: operator 0's three validators are the only active ones.
    const shares1 = await rewardsReport(f, 3n, 0n, parseEther("0.0201234"), 3n);
    const step1 = indexStep(shares1, 3n);
    expect(await registry.pendingOperatorRewards(0n)).to.equal(accrued(step1, 3n));
    expect(await registry.pendingOperatorRewards(1n)).to.equal(0n);

    // Operator 1's first validator: nothing of report 1 for it.
    await depositValidators(f, 1n, 1);
    expect(await registry.totalActiveValidators()).to.equal(4n);
    expect(await registry.pendingOperatorRewards(1n)).to.equal(0n);
    expect(await registry.pendingOperatorRewards(0n)).to.equal(accrued(step1, 3n));

    // Report 2: four active validators.
    const shares2 = await rewardsReport(f, 4n, 1n, parseEther("0.0256789"), 4n);
    const step2 = indexStep(shares2, 4n);
    const earned0 = accrued(step1 + step2, 3n);
    expect(await registry.pendingOperatorRewards(0n)).to.equal(earned0);
    expect(await registry.pendingOperatorRewards(1n)).to.equal(accrued(step2, 1n));

    // One of operator 0's validators exits (recorded as the accounting oracle records it): what it earned stays.
    await (await registry.connect(admin).grantRole(ACCOUNTING_ROLE, admin.address)).wait();
    await expect(registry.connect(admin).reportExitedKeys(0n, 1n))
      .to.emit(registry, "ExitedKeysReported")
      .withArgs(0n, 1n);
    expect(await registry.totalActiveValidators()).to.equal(3n);
    expect(await registry.pendingOperatorRewards(0n)).to.equal(earned0);

    // Report 3: three active validators (two of operator 0, one of operator 1).
    const shares3 = await rewardsReport(f, 4n, 0n, parseEther("0.0223456"), 3n);
    const step3 = indexStep(shares3, 3n);
    expect(await registry.pendingOperatorRewards(0n)).to.equal(earned0 + accrued(step3, 2n));
    expect(await registry.pendingOperatorRewards(1n)).to.equal(accrued(step2 + step3, 1n));
    // Never more booked than distributed.
    const booked = (await registry.pendingOperatorRewards(0n)) + (await registry.pendingOperatorRewards(1n));
    expect(booked).to.be.lte(shares1 + shares2 + shares3);
    expect(shares1 + shares2 + shares3 - booked).to.be.lte(10n);
  });

  it("with no active validators a distribution is held back and added to the next one", async function () {
    const f = await loadFixture(deployTidepoolUnlimited);
    const { registry, pool, admin } = f;
    const [staker, operator] = f.users;
    expect(await registry.totalActiveValidators()).to.equal(0n);
    await (await registry.connect(admin).grantRole(ACCOUNTING_ROLE, admin.address)).wait();

    await expect(registry.connect(admin).distributeOperatorRewards(1000n))
      .to.emit(registry, "OperatorRewardsDistributed")
      .withArgs(1000n, 0n);

    await (await pool.connect(staker).stake(ZeroAddress, { value: parseEther("100") })).wait();
    const opId = await registerOperator(registry, pool, admin, {
      name: "op-0",
      rewardAddress: operator,
      keys: 3,
      bondWei: parseEther("6"),
    });
    await depositValidators(f, opId, 3);
    expect(await registry.totalActiveValidators()).to.equal(3n);
    // The held-back shares are booked only by the next distribution, so the new validators have none yet.
    expect(await registry.pendingOperatorRewards(opId)).to.equal(0n);

    await expect(registry.connect(admin).distributeOperatorRewards(1n))
      .to.emit(registry, "OperatorRewardsDistributed")
      .withArgs(1001n, 3n);
    expect(await registry.pendingOperatorRewards(opId)).to.equal(accrued(indexStep(1001n, 3n), 3n)); // 1000: rounded down

    // Nothing is held back any more.
    await expect(registry.connect(admin).distributeOperatorRewards(0n))
      .to.emit(registry, "OperatorRewardsDistributed")
      .withArgs(0n, 3n);
    expect(await registry.pendingOperatorRewards(opId)).to.equal(1000n);
  });

  it("operator fees of a report with no active validators are held back and claimable after the next report", async function () {
    const f = await loadFixture(deployTidepoolUnlimited);
    const { registry, pool, admin, elRewardsVault } = f;
    const [staker, operator, tipper] = f.users;
    const registryAddress = await registry.getAddress();
    await (await pool.connect(staker).stake(ZeroAddress, { value: parseEther("100") })).wait();

    // Report 1: only EL rewards, no validator at all.
    const elRewards = parseEther("0.05");
    await (await tipper.sendTransaction({ to: await elRewardsVault.getAddress(), value: elRewards })).wait();
    const held = await expectedOperatorsFeeShares(f, elRewards);
    const first = await reportTx(f, { elRewardsVaultBalance: elRewards });
    expect(await sharesMintedToRegistry(f, first.receipt)).to.equal(held);
    await expect(first.tx).to.emit(registry, "OperatorRewardsDistributed").withArgs(held, 0n);
    expect(await pool.sharesOf(registryAddress)).to.equal(held);

    // Operator 0 joins with three validators; report 2 books both reports' fee shares over them.
    // (6 ETH staked at the new rate would be worth a few wei less than 3 × 2 ETH: post a little more.)
    const opId = await registerOperator(registry, pool, admin, {
      name: "op-0",
      rewardAddress: operator,
      keys: 3,
      bondWei: parseEther("6.01"),
    });
    await depositValidators(f, opId, 3);
    const bondShares = (await registry.getNodeOperator(opId)).bondShares;
    const shares2 = await rewardsReport(f, 3n, 3n, parseEther("0.0212345"), 3n, held);
    const pending = accrued(indexStep(held + shares2, 3n), 3n);
    expect(await registry.pendingOperatorRewards(opId)).to.equal(pending);

    await expect(registry.connect(operator).claimOperatorRewards(opId))
      .to.emit(registry, "OperatorRewardsClaimed")
      .withArgs(opId, operator.address, pending, await pool.getPooledEthByShares(pending));
    // What stays in the registry: the bond and the rounding dust.
    expect(await pool.sharesOf(registryAddress)).to.equal(bondShares + held + shares2 - pending);
    expect(held + shares2 - pending).to.be.lte(3n);
  });
});
