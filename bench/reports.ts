import hre from "hardhat";
import { ZeroAddress, parseEther } from "ethers";
import { deployTidepool, type Tidepool } from "../deploy/protocol";
import { registerOperator } from "../offchain/operators/register";
import { currentAttestation, signAttestation } from "../offchain/guardians/attestations";
import { buildReport } from "../sdk/src/report";
import { advanceFrames, submitUntilApplied } from "../offchain/oracle/devchain";
import type { Gas } from "./measure";

const GWEI = 10n ** 9n;

/** What a benchmark day sends to the execution-layer rewards vault (tips, MEV). */
export const DAILY_EL_REWARDS = parseEther("0.02");
/** What a benchmark day skims from the validators into the withdrawal vault. */
export const DAILY_SKIM = parseEther("0.005");

/** A CL balance (gwei) one day later, at about 3% APR. */
export function afterADay(clGwei: bigint): bigint {
  return clGwei + (clGwei * 3n) / 100n / 365n;
}

/** Sends a day's EL rewards and CL skim to the vaults, for the day's report to count. */
export async function fundVaultsForADay(t: Tidepool): Promise<void> {
  await (await t.admin.sendTransaction({ to: await t.elRewardsVault.getAddress(), value: DAILY_EL_REWARDS })).wait();
  await (await t.admin.sendTransaction({ to: await t.withdrawalVault.getAddress(), value: DAILY_SKIM })).wait();
}

/**
 * An ordinary daily report, in a deployment whose validators are deposited: a first report makes
 * them visible, two daily reports warm every slot a steady state has (fee recipients, vaults), then
 * a third is measured: CL rewards at ~3% APR, 0.02 ETH of EL rewards and 0.005 ETH skimmed into the
 * withdrawal vault, fees minted, no losses or exits. Records the first member's vote (`report.vote`)
 * and the second, quorum-completing one that applies it (`key`). With `finalize`, the second report
 * finalizes requests up to `warmUp` (so the queue is in a steady state) and the measured one up to
 * `measured`.
 */
export async function dailyReport(
  t: Tidepool,
  gas: Gas,
  key: string,
  finalize: { warmUp?: bigint; measured?: bigint } = {},
): Promise<void> {
  const [deposited] = await t.pool.getBeaconStat();
  const provider = hre.network.provider;
  let clGwei = deposited * 32n * GWEI;
  let refSlot = await advanceFrames(provider, t.oracle);
  await submitUntilApplied(
    t.oracle,
    t.oracleMembers,
    buildReport(refSlot, { numValidators: deposited, clBalanceGwei: clGwei }),
  );
  for (let day = 0; day < 3; day++) {
    clGwei = afterADay(clGwei);
    await fundVaultsForADay(t);
    refSlot = await advanceFrames(provider, t.oracle);
    const data = buildReport(refSlot, {
      numValidators: deposited,
      clBalanceGwei: clGwei,
      withdrawalVaultBalance: DAILY_SKIM,
      elRewardsVaultBalance: DAILY_EL_REWARDS,
      lastRequestIdToFinalize: [0n, finalize.warmUp ?? 0n, finalize.measured ?? 0n][day],
    });
    const [vote, quorum] = await submitUntilApplied(t.oracle, t.oracleMembers, data);
    if (!quorum) throw new Error("the second member should complete the quorum");
    if (day === 2) {
      if (key === "report.quorum.daily") gas["report.vote"] = Number(vote.gasUsed);
      gas[key] = Number(quorum.gasUsed);
    }
  }
  if ((await t.pool.sharesOf(t.treasury.address)) === 0n) throw new Error("no fee minted");
}

/**
 * 1 operator, 10 validators deposited, 9 holders with 40 ETH each (40 ETH left in the buffer).
 * `beforeDeposits` runs once the holders have staked, before the validators are deposited.
 */
export async function reportingDeployment(beforeDeposits?: (t: Tidepool) => Promise<void>): Promise<Tidepool> {
  const t = await deployTidepool(hre);
  const [operator, ...holders] = t.users;
  for (const holder of holders.slice(0, 9)) {
    await (await t.pool.connect(holder).stake(ZeroAddress, { value: parseEther("40") })).wait();
  }
  await beforeDeposits?.(t);
  await depositTenValidators(t, operator);
  return t;
}

/** Registers the benchmark's operator (10 keys, 20 ETH of bond) and deposits its 10 validators. */
export async function depositTenValidators(t: Tidepool, operator: Tidepool["users"][number]): Promise<void> {
  const id = await registerOperator(t.registry, t.pool, t.admin, {
    name: "bench-report",
    rewardAddress: operator,
    keys: 10,
    bondWei: parseEther("20"),
  });
  const attestation = await currentAttestation(t.depositContract, t.registry, hre.ethers.provider);
  await (
    await t.dsm.depositBufferedEther(id, 10, attestation, await signAttestation(t.dsm, attestation, [t.guardian]))
  ).wait();
}

/** The baseline daily report: {reportingDeployment}, nothing to finalize. */
export async function dailyReportBaseline(gas: Gas): Promise<void> {
  await dailyReport(await reportingDeployment(), gas, "report.quorum.daily");
}

/** The 1,000-operator registry of the deposit benchmark, with one validator deposited per operator. */
export async function dailyReportOps1000(t: Tidepool, gas: Gas): Promise<void> {
  const whale = t.users[5];
  await hre.network.provider.send("hardhat_setBalance", [whale.address, "0x" + parseEther("100000").toString(16)]);
  await (await t.pool.connect(t.admin).setStakeLimit(0, 0)).wait();
  await (await t.pool.connect(whale).stake(ZeroAddress, { value: parseEther("33000") })).wait();
  const dsm = await t.dsm.getAddress();
  await hre.network.provider.send("hardhat_impersonateAccount", [dsm]);
  await hre.network.provider.send("hardhat_setBalance", [dsm, "0x" + parseEther("1").toString(16)]);
  const asDsm = await hre.ethers.getSigner(dsm);
  const count = await t.registry.getNodeOperatorsCount();
  for (let id = 0n; id < count; id++) {
    if ((await t.registry.getNodeOperator(id)).depositedKeys === 0n) {
      await (await t.pool.connect(asDsm).depositBufferedEther(id, 1)).wait();
    }
  }
  if ((await t.registry.totalActiveValidators()) < 1000n) throw new Error("expected ≥ 1,000 active validators");
  await dailyReport(t, gas, "report.quorum.daily.ops1000");
}

/** The baseline with 10,000 holders, reached through the pool's real transferShares. */
export async function dailyReportHolders10000(gas: Gas): Promise<void> {
  const t = await reportingDeployment(async (t) => {
    const spreader = await hre.ethers.deployContract("HolderSpreader__Mock", [t.poolAddress]);
    await (await spreader.stake({ value: parseEther("10") })).wait();
    for (let from = 0; from < 9990; from += 555) {
      await (await spreader.spread(1, from, 555, 10n ** 15n)).wait();
    }
  });
  await dailyReport(t, gas, "report.quorum.daily.holders10000");
}
