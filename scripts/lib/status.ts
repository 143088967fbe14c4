/**
 * The protocol's headline numbers (docs/protocol.md §2–§4), read in one place for the `status` task and
 * the browser app (app/). Type-only imports of typechain-types: loaded before compilation too.
 */
import type { AccountingOracle, StakingPool, WithdrawalQueue } from "../../typechain-types";
import { ratio } from "./format";

/** The contracts the status is read from. */
export interface StatusSources {
  pool: Pick<
    StakingPool,
    "totalPooledEther" | "totalShares" | "bufferedEther" | "instantLiquidity" | "isBunkerModeActive"
  >;
  oracle: Pick<AccountingOracle, "lastReportAprBP">;
  withdrawalQueue: Pick<
    WithdrawalQueue,
    "unfinalizedEther" | "lockedEther" | "getLastRequestId" | "getLastFinalizedRequestId"
  >;
}

/** Rates, TVL, liquidity and the queue: wei, shares, basis points and request ids. */
export interface ProtocolStatus {
  totalEther: bigint;
  totalShares: bigint;
  bufferedEther: bigint;
  instantLiquidity: bigint;
  /** The last report's rebase, annualised, in basis points (0 before the first report). */
  aprBP: bigint;
  bunkerMode: boolean;
  unfinalizedEther: bigint;
  lockedEther: bigint;
  lastRequestId: bigint;
  lastFinalizedRequestId: bigint;
}

/** Reads {ProtocolStatus} with parallel calls. */
export async function readProtocolStatus(t: StatusSources): Promise<ProtocolStatus> {
  const { pool, oracle, withdrawalQueue: queue } = t;
  const [totalEther, totalShares, bufferedEther, instantLiquidity, bunkerMode, aprBP] = await Promise.all([
    pool.totalPooledEther(),
    pool.totalShares(),
    pool.bufferedEther(),
    pool.instantLiquidity(),
    pool.isBunkerModeActive(),
    oracle.lastReportAprBP(),
  ]);
  const [unfinalizedEther, lockedEther, lastRequestId, lastFinalizedRequestId] = await Promise.all([
    queue.unfinalizedEther(),
    queue.lockedEther(),
    queue.getLastRequestId(),
    queue.getLastFinalizedRequestId(),
  ]);
  return {
    totalEther,
    totalShares,
    bufferedEther,
    instantLiquidity,
    aprBP,
    bunkerMode,
    unfinalizedEther,
    lockedEther,
    lastRequestId,
    lastFinalizedRequestId,
  };
}

/** ETH per share as a decimal with `places` digits ("n/a" before any share exists). */
export function shareRateText(totalEther: bigint, totalShares: bigint, places = 18): string {
  return totalShares === 0n ? "n/a" : ratio(totalEther, totalShares, places);
}
