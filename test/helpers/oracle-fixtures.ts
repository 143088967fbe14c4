import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import hre from "hardhat";
import { ZeroAddress, parseEther, parseUnits, type ContractTransactionReceipt } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { AccountingOracle } from "../../typechain-types";
import { deployTidepoolUnlimited, type TidepoolFixture } from "./fixtures";
import { registerOperator } from "../../offchain/operators/register";
import { currentAttestation, signAttestation } from "../../offchain/guardians/attestations";
import { buildReport, type ReportData, type ReportFields } from "../../sdk/src/report";
import { advanceFrames, submitUntilApplied } from "../../offchain/oracle/devchain";

export { buildReport, reportHash } from "../../sdk/src/report";
export { advanceFrames, submitUntilApplied } from "../../offchain/oracle/devchain";
export type { ReportData, ReportFields } from "../../sdk/src/report";

/** Wei per gwei. */
export const GWEI = parseUnits("1", "gwei");
/** Seconds per slot, slots per frame (225 epochs × 32). */
export const SLOTS_PER_FRAME = 7200n;
/** The deployment's default fee split, in basis points of rewards. */
export const DEFAULT_FEES = { treasuryFeeBP: 500n, operatorsFeeBP: 400n, insuranceFeeBP: 100n };

/** ETH → gwei, exact (throws on sub-gwei amounts). */
export function toGwei(wei: bigint): bigint {
  if (wei % GWEI !== 0n) throw new RangeError(`${wei} wei is not a whole number of gwei`);
  return wei / GWEI;
}

/** A CL drop in basis points of `preCL`, rounded up, as `ClBalanceDropLimitExceeded` reports it. */
export function clDropBP(drop: bigint, preCL: bigint): bigint {
  return (drop * 10_000n + preCL - 1n) / preCL;
}

/**
 * Governance (SANITY_LIMITS_ROLE, held by `admin`) sets the one-off CL balance drop limit to `bp`
 * (at most 5,000, the contract's cap), keeping the other limits.
 *
 * Why tests need it: the limit holds whatever a report declares — declaring bunker mode no longer
 * lifts it — and only slashings proven on chain (BeaconFacts.proveSlashed) stretch it. A test whose
 * subject is a large loss (not the limit itself) and that proves no slashing must have governance
 * raise the limit first, as it would on a live network.
 */
export async function allowClDrop(oracle: AccountingOracle, admin: HardhatEthersSigner, bp: bigint): Promise<void> {
  const l = await oracle.getSanityLimits();
  await (
    await oracle.connect(admin).setSanityLimits({
      annualAprLimitBP: l.annualAprLimitBP,
      clBalanceDropLimitBP: bp,
      maxPositiveRebasePPB: l.maxPositiveRebasePPB,
      maxExitRequestsPerReport: l.maxExitRequestsPerReport,
      maxOperatorsWithLossesPerReport: l.maxOperatorsWithLossesPerReport,
    })
  ).wait();
}

export interface OracleFixture extends TidepoolFixture {
  staker: HardhatEthersSigner; // staked `stakedWei`
  operator: HardhatEthersSigner; // reward address of operator 0
  operatorId: bigint;
  validators: bigint; // deposited and made visible by the first report
  /** Reports `fields` for the current frame (after moving `frames` frames ahead) through the quorum. */
  report: (
    fields: Partial<ReportFields>,
    frames?: bigint,
  ) => Promise<{ data: ReportData; receipt: ContractTransactionReceipt }>;
}

/** Deposits `count` validators of `operatorId` through the guardians and the deposit security module. */
export async function depositValidators(f: TidepoolFixture, operatorId: bigint, count: number): Promise<void> {
  const attestation = await currentAttestation(f.depositContract, f.registry, hre.ethers.provider);
  const signatures = await signAttestation(f.dsm, attestation, [f.guardian]);
  await (await f.dsm.depositBufferedEther(operatorId, count, attestation, signatures)).wait();
}

/**
 * Gives the withdrawal queue a shortfall (exit requests are bounded by it): `holder` requests
 * `amount` of tpETH, more than the buffer holds.
 */
export async function requestWithdrawal(
  f: TidepoolFixture,
  holder: HardhatEthersSigner,
  amount: bigint,
): Promise<void> {
  const queue = await f.withdrawalQueue.getAddress();
  await (await f.pool.connect(holder).approve(queue, amount)).wait();
  await (await f.withdrawalQueue.connect(holder).requestWithdrawals([amount], ZeroAddress)).wait();
}

/** Reports `fields` through the committee's quorum, `frames` frames ahead of now. */
export async function reportThroughQuorum(
  f: TidepoolFixture,
  fields: Partial<ReportFields>,
  frames = 1n,
): Promise<{ data: ReportData; receipt: ContractTransactionReceipt }> {
  const refSlot = await advanceFrames(hre.network.provider, f.oracle, frames);
  const data = buildReport(refSlot, fields);
  const receipts = await submitUntilApplied(f.oracle, f.oracleMembers, data);
  return { data, receipt: receipts[receipts.length - 1] };
}

/**
 * 100 ETH staked (plus the 0.001 ETH bootstrap), one operator with a 2 ETH bond per validator,
 * three validators deposited (96 ETH) and made visible by a first report at exactly 96 ETH (no
 * rewards). The buffer keeps ~4 ETH. Stake limit off.
 */
export async function deployWithValidators(): Promise<OracleFixture> {
  const f = await loadFixture(deployTidepoolUnlimited);
  const [staker, operator] = f.users;
  await (await f.pool.connect(staker).stake(ZeroAddress, { value: parseEther("100") })).wait();
  const operatorId = await registerOperator(f.registry, f.pool, f.admin, {
    name: "op-0",
    rewardAddress: operator,
    keys: 8,
    bondWei: parseEther("6"),
  });
  await depositValidators(f, operatorId, 3);
  const fixture: OracleFixture = {
    ...f,
    staker,
    operator,
    operatorId,
    validators: 3n,
    report: (fields, frames = 1n) => reportThroughQuorum(f, fields, frames),
  };
  await fixture.report({ numValidators: 3n, clBalanceGwei: toGwei(parseEther("96")) });
  return fixture;
}
