import hre from "hardhat";
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { advanceFrames, buildReport, toGwei, type ReportData, type ReportFields } from "./oracle-fixtures";
import type { WithdrawalFixture } from "./withdrawal-fixtures";

/** Governance raising the one-off CL drop limit (defined once, in oracle-fixtures), for loss scenarios. */
export { allowClDrop, clDropBP } from "./oracle-fixtures";

// ──────────────────────────────── Reference math (docs/protocol.md §3) ───────────────────────────

/** Share rates are ETH per share × 1e27. */
export const RAY = 10n ** 27n;
export const TOTAL_BP = 10_000n;

export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/** rateRay = floor(P × 1e27 / S). */
export function rateRayOf(rateEther: bigint, rateShares: bigint): bigint {
  return (rateEther * RAY) / rateShares;
}

/** floor(shares × rateRay / 1e27). */
export function valueAt(shares: bigint, rateRay: bigint): bigint {
  return (shares * rateRay) / RAY;
}

/** A request's payout: min(requested ETH, shares × rate), rounded down. */
export function payoutOf(amountOfEther: bigint, shares: bigint, rateRay: bigint): bigint {
  return min(amountOfEther, valueAt(shares, rateRay));
}

/** A batch's lock: min(Σ requested ETH, ⌊Σ shares × rate⌋). */
export function lockOf(nominalEther: bigint, shares: bigint, rateRay: bigint): bigint {
  return min(nominalEther, valueAt(shares, rateRay));
}

export interface FeeConfig {
  treasuryFeeBP: bigint;
  operatorsFeeBP: bigint;
  insuranceFeeBP: bigint;
}

/** The oracle's fee shares on `rewards`: m_x = ⌊F_x × S / (P_post − F)⌋ with F_x = ⌊rewards × bp_x / 10,000⌋. */
export function feeSharesOf(rewards: bigint, fees: FeeConfig, sharesBefore: bigint, postTotalEther: bigint): bigint {
  const parts = [fees.treasuryFeeBP, fees.operatorsFeeBP, fees.insuranceFeeBP].map((bp) => (rewards * bp) / TOTAL_BP);
  const feeWei = parts.reduce((a, b) => a + b, 0n);
  if (feeWei === 0n) return 0n;
  return parts.reduce((acc, part) => acc + (part * sharesBefore) / (postTotalEther - feeWei), 0n);
}

// ──────────────────────────────── Chain helpers ────────────────────────────────

/** ethers `Result`s as plain nested arrays, for deep comparison. */
export function plain(value: unknown): unknown {
  return Array.isArray(value) ? Array.from(value, plain) : value;
}

export interface PoolTotals {
  ether: bigint;
  shares: bigint;
}

export async function poolTotals(f: WithdrawalFixture): Promise<PoolTotals> {
  return { ether: await f.pool.totalPooledEther(), shares: await f.pool.totalShares() };
}

/** The CL balance of the last report, in wei. */
export async function lastClWei(f: WithdrawalFixture): Promise<bigint> {
  const [, , clBalance] = await f.pool.getBeaconStat();
  return clBalance;
}

/** Report fields that leave the CL side as last reported (same validators, same balance). */
async function unchangedCl(f: WithdrawalFixture): Promise<Pick<ReportFields, "numValidators" | "clBalanceGwei">> {
  const [, clValidators, clBalance] = await f.pool.getBeaconStat();
  return { numValidators: clValidators, clBalanceGwei: toGwei(clBalance) };
}

export async function blockTimestamp(blockNumber: number): Promise<bigint> {
  const block = await hre.ethers.provider.getBlock(blockNumber);
  if (!block) throw new Error(`no block ${blockNumber}`);
  return BigInt(block.timestamp);
}

export interface OpenReport {
  data: ReportData;
  /** The vote that reaches the quorum and applies the report. */
  submit: () => Promise<ContractTransactionResponse>;
}

/**
 * Moves `frames` frames ahead (0: stays in the current frame, e.g. to vote again after a reverted
 * report) and has all members but the last one of the quorum vote for `fields` (CL unchanged unless
 * given). `submit()` then applies it.
 */
export async function openReport(
  f: WithdrawalFixture,
  fields: Partial<ReportFields>,
  frames = 1n,
): Promise<OpenReport> {
  const refSlot =
    frames === 0n ? (await f.oracle.getCurrentFrame())[0] : await advanceFrames(hre.network.provider, f.oracle, frames);
  const data = buildReport(refSlot, { ...(await unchangedCl(f)), ...fields });
  const quorum = Number(await f.oracle.quorum());
  const voters: HardhatEthersSigner[] = f.oracleMembers.slice(0, quorum);
  for (const member of voters.slice(0, -1)) await (await f.oracle.connect(member).submitReport(data)).wait();
  const last = voters[voters.length - 1];
  return { data, submit: () => f.oracle.connect(last).submitReport(data) };
}

/** {openReport} and apply it; checks that it was applied. */
export async function reportTx(
  f: WithdrawalFixture,
  fields: Partial<ReportFields>,
  frames = 1n,
): Promise<{ data: ReportData; tx: ContractTransactionResponse; receipt: ContractTransactionReceipt }> {
  const { data, submit } = await openReport(f, fields, frames);
  const tx = await submit();
  const receipt = await tx.wait();
  if (!receipt) throw new Error("no receipt");
  if ((await f.oracle.getLastProcessedRefSlot()) !== BigInt(data.refSlot)) throw new Error("report not applied");
  return { data, tx, receipt };
}

/** A report's `WithdrawalsFinalized`, and the share rate it finalized at (the pool's totals before the burn). */
export interface Finalization {
  fromId: bigint;
  toId: bigint;
  etherLocked: bigint;
  sharesBurned: bigint;
  timestamp: bigint;
  rateEther: bigint;
  rateShares: bigint;
  rateRay: bigint;
}

/**
 * Reads the report's `WithdrawalsFinalized` from `receipt`. The rate it finalized at is the pool's
 * totals after the report plus what the finalization took out (the lock and the burned shares);
 * call this right after the report, before anything else moves the totals.
 */
export async function finalizationIn(
  f: WithdrawalFixture,
  receipt: ContractTransactionReceipt,
): Promise<Finalization | undefined> {
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== f.queueAddress.toLowerCase()) continue;
    const parsed = f.queue.interface.parseLog(log);
    if (!parsed || parsed.name !== "WithdrawalsFinalized") continue;
    const [fromId, toId, etherLocked, sharesBurned, timestamp] = parsed.args as unknown as bigint[];
    const t = await poolTotals(f);
    const rateEther = t.ether + etherLocked;
    const rateShares = t.shares + sharesBurned;
    return {
      fromId,
      toId,
      etherLocked,
      sharesBurned,
      timestamp,
      rateEther,
      rateShares,
      rateRay: rateRayOf(rateEther, rateShares),
    };
  }
  return undefined;
}

/** Everything a report or a claim could change on the queue's, the pool's and the oracle's side. */
export async function protocolState(f: WithdrawalFixture): Promise<unknown> {
  const { queue, pool, oracle, queueAddress } = f;
  const last = await queue.getLastRequestId();
  const ids = Array.from({ length: Number(last) }, (_, i) => BigInt(i + 1));
  return plain([
    last,
    await queue.getLastFinalizedRequestId(),
    await queue.getLastCheckpointIndex(),
    await queue.lockedEther(),
    await queue.unfinalizedEther(),
    await queue.queuedShares(),
    await hre.ethers.provider.getBalance(queueAddress),
    ids.length === 0 ? [] : await queue.getWithdrawalStatus(ids),
    await pool.totalPooledEther(),
    await pool.totalShares(),
    await pool.bufferedEther(),
    await pool.getBeaconStat(),
    await pool.sharesOf(queueAddress),
    await pool.isBunkerModeActive(),
    await hre.ethers.provider.getBalance(f.poolAddress),
    await oracle.getLastProcessedRefSlot(),
    await oracle.getLastReport(),
    await oracle.isBunkerModeActive(),
  ]);
}

/** Sends a transaction and returns it with the ETH its sender paid for gas. */
export async function sent(
  promise: Promise<ContractTransactionResponse>,
): Promise<{ tx: ContractTransactionResponse; gas: bigint }> {
  const tx = await promise;
  const receipt = await tx.wait();
  if (!receipt) throw new Error("no receipt");
  return { tx, gas: receipt.gasUsed * receipt.gasPrice };
}
