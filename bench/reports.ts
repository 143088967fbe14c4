import hre from "hardhat";
import { ZeroAddress, parseEther } from "ethers";
import { deployTidepool, type Tidepool } from "../deploy/protocol";
import { registerOperator } from "../offchain/operators/register";
import { currentAttestation, signAttestation } from "../offchain/guardians/attestations";
import { buildReport } from "../sdk/src/report";
import { advanceFrames, submitUntilApplied } from "../offchain/oracle/devchain";

const GWEI = 10n ** 9n;

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
  gas: Record<string, number>,
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
    clGwei += (clGwei * 3n) / 100n / 365n;
    await (
      await t.admin.sendTransaction({ to: await t.elRewardsVault.getAddress(), value: parseEther("0.02") })
    ).wait();
    await (
      await t.admin.sendTransaction({ to: await t.withdrawalVault.getAddress(), value: parseEther("0.005") })
    ).wait();
    refSlot = await advanceFrames(provider, t.oracle);
    const data = buildReport(refSlot, {
      numValidators: deposited,
      clBalanceGwei: clGwei,
      withdrawalVaultBalance: parseEther("0.005"),
      elRewardsVaultBalance: parseEther("0.02"),
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

/** 1 operator, 10 validators deposited, 9 holders with 40 ETH each (40 ETH left in the buffer). */
export async function reportingDeployment(): Promise<Tidepool> {
  const t = await deployTidepool(hre);
  const [operator, ...holders] = t.users;
  for (const holder of holders.slice(0, 9)) {
    await (await t.pool.connect(holder).stake(ZeroAddress, { value: parseEther("40") })).wait();
  }
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
