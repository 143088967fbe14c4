/**
 * The protocol's headline numbers (docs/protocol.md §2–§4), read in one place for the `status` task,
 * the browser app (app/) and the SDK client.
 */
import type { AccountingOracle, StakingPool, WithdrawalQueue } from "./contracts";
import { ratio } from "./format";

/** `pausedCapabilities()` bits of the pool (docs/protocol.md §8): staking. */
export const CAPABILITY_STAKING = 1n;
/** The pool's pause bit for instant redemption. */
export const CAPABILITY_INSTANT_REDEEM = 2n;
/** The pool's pause bit for deposits to validators. */
export const CAPABILITY_DEPOSITS = 4n;

/** The contracts the status is read from. */
export interface StatusSources {
  /** The StakingPool's views. */
  pool: Pick<
    StakingPool,
    | "totalPooledEther"
    | "totalShares"
    | "bufferedEther"
    | "instantLiquidity"
    | "isBunkerModeActive"
    | "getInstantRedeemParams"
    | "pausedCapabilities"
  >;
  /** The oracle's views. */
  oracle: Pick<AccountingOracle, "lastReportAprBP" | "getLastProcessedRefSlot">;
  /** The withdrawal queue's views. */
  withdrawalQueue: Pick<
    WithdrawalQueue,
    "unfinalizedEther" | "lockedEther" | "getLastRequestId" | "getLastFinalizedRequestId"
  >;
}

/** Rates, TVL, liquidity and the queue: wei, shares, basis points and request ids. */
export interface ProtocolStatus {
  /** TVL: the ETH the pool accounts for (total tpETH supply), in wei. */
  totalEther: bigint;
  /** The pool shares in existence. */
  totalShares: bigint;
  /** ETH in the pool's buffer (not deposited to validators), in wei. */
  bufferedEther: bigint;
  /** ETH the buffer holds beyond what the queue's unfinalized requests asked for. */
  instantLiquidity: bigint;
  /** tpETH the instant-redemption cap still allows today (UTC day). */
  instantRemainingToday: bigint;
  /**
   * The most tpETH anyone can redeem instantly right now: the instant liquidity and today's remaining
   * cap, whichever is smaller; 0 while instant redemption is paused or bunker mode lasts.
   */
  redeemableNow: bigint;
  /** Instant-redemption fee bounds, in basis points. */
  instantFeeBP: { min: bigint; max: bigint };
  /** The instant-redemption cap per day (UTC), in basis points of TVL. */
  instantDailyCapBP: bigint;
  /** Whether at least one oracle report has been applied (before it, `aprBP` means nothing). */
  hasReport: boolean;
  /** The last report's rebase, annualised, in basis points (0 before the first report). */
  aprBP: bigint;
  /** The reference slot of the last applied report (0 before the first). */
  lastReportRefSlot: bigint;
  /** Whether the last report declared a loss being realised (bunker mode). */
  bunkerMode: boolean;
  /** Whether staking is paused. */
  stakingPaused: boolean;
  /** Whether instant redemption is paused. */
  instantRedeemPaused: boolean;
  /** ETH requested by withdrawal requests not finalized yet, in wei. */
  unfinalizedEther: bigint;
  /** ETH the queue holds for finalized, unclaimed requests, in wei. */
  lockedEther: bigint;
  /** The newest request's id (0: none yet). */
  lastRequestId: bigint;
  /** The last finalized request's id (0: none yet). */
  lastFinalizedRequestId: bigint;
}

/** Reads {ProtocolStatus} with parallel calls. */
export async function readProtocolStatus(t: StatusSources): Promise<ProtocolStatus> {
  const { pool, oracle, withdrawalQueue: queue } = t;
  const [totalEther, totalShares, bufferedEther, instantLiquidity, bunkerMode, aprBP, lastReportRefSlot] =
    await Promise.all([
      pool.totalPooledEther(),
      pool.totalShares(),
      pool.bufferedEther(),
      pool.instantLiquidity(),
      pool.isBunkerModeActive(),
      oracle.lastReportAprBP(),
      oracle.getLastProcessedRefSlot(),
    ]);
  const [unfinalizedEther, lockedEther, lastRequestId, lastFinalizedRequestId, redeemParams, paused] =
    await Promise.all([
      queue.unfinalizedEther(),
      queue.lockedEther(),
      queue.getLastRequestId(),
      queue.getLastFinalizedRequestId(),
      pool.getInstantRedeemParams(),
      pool.pausedCapabilities(),
    ]);
  const [minFeeBP, maxFeeBP, instantDailyCapBP, instantRemainingToday] = redeemParams;
  const stakingPaused = (paused & CAPABILITY_STAKING) !== 0n;
  const instantRedeemPaused = (paused & CAPABILITY_INSTANT_REDEEM) !== 0n;
  return {
    totalEther,
    totalShares,
    bufferedEther,
    instantLiquidity,
    instantRemainingToday,
    redeemableNow: redeemableNow({ instantLiquidity, instantRemainingToday, instantRedeemPaused, bunkerMode }),
    instantFeeBP: { min: minFeeBP, max: maxFeeBP },
    instantDailyCapBP,
    hasReport: lastReportRefSlot > 0n,
    aprBP,
    lastReportRefSlot,
    bunkerMode,
    stakingPaused,
    instantRedeemPaused,
    unfinalizedEther,
    lockedEther,
    lastRequestId,
    lastFinalizedRequestId,
  };
}

/**
 * The most tpETH that can be redeemed instantly now: the smaller of the instant liquidity and today's
 * remaining cap; 0 while instant redemption is paused or bunker mode lasts. The pool refuses more
 * (`InsufficientInstantLiquidity`, `InstantRedeemFrameCapExceeded`, `InstantRedeemPaused`,
 * `InstantRedeemBunkerMode`); a holder is further bounded by their balance.
 */
export function redeemableNow(s: {
  instantLiquidity: bigint;
  instantRemainingToday: bigint;
  instantRedeemPaused: boolean;
  bunkerMode: boolean;
}): bigint {
  if (s.instantRedeemPaused || s.bunkerMode) return 0n;
  return s.instantLiquidity < s.instantRemainingToday ? s.instantLiquidity : s.instantRemainingToday;
}

/** ETH per share as a decimal with `places` digits ("n/a" before any share exists). */
export function shareRateText(totalEther: bigint, totalShares: bigint, places = 18): string {
  return totalShares === 0n ? "n/a" : ratio(totalEther, totalShares, places);
}
