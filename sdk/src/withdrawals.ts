/**
 * Withdrawal-queue helpers shared by the Hardhat tasks, the demo and the browser app (app/):
 * checkpoint hints for claims, a request's state, and how long a new request should wait.
 *
 */
import type { WithdrawalQueue } from "./contracts";
import { duration } from "./format";
import { slotTime, type FrameTiming } from "./report";

/** The queue's views that finding hints needs. */
export type HintSource = Pick<WithdrawalQueue, "getLastCheckpointIndex" | "findCheckpointHints">;

/** Checkpoint hints for claiming `ids` (searched over every checkpoint); [] when there are none. */
export async function checkpointHints(queue: HintSource, ids: bigint[]): Promise<bigint[]> {
  if (ids.length === 0) return [];
  const last = await queue.getLastCheckpointIndex();
  if (last === 0n) return ids.map(() => 0n);
  return [...(await queue.findCheckpointHints(ids, 1n, last))];
}

/** Where a request is in its life. */
export type RequestState = "pending" | "claimable" | "claimed";

/** A request's state from its `getWithdrawalStatus` entry. */
export function requestState(status: { isFinalized: boolean; isClaimed: boolean }): RequestState {
  if (status.isClaimed) return "claimed";
  return status.isFinalized ? "claimable" : "pending";
}

/** What a new request's expected wait depends on. */
export interface WaitInputs {
  /** ETH the queue still owes to requests not yet finalized, before the new one. */
  unfinalizedEther: bigint;
  /** ETH in the pool's buffer (what the next report can finalize with). */
  bufferedEther: bigint;
  /** The new request's ETH value. */
  amount: bigint;
  /** Whether bunker mode holds finalization back. */
  bunkerMode: boolean;
  /** The oracle's frames (see `frameTiming`). */
  timing: FrameTiming;
  /** The current frame's reference slot. */
  currentRefSlot: bigint;
  /** The reference slot of the last applied report. */
  lastProcessedRefSlot: bigint;
  /** Unix time now (the latest block's). */
  now: bigint;
}

/** How long a new request is expected to wait, in words, with the seconds when they are known. */
export interface ExpectedWait {
  /** Seconds until the report that should finalize it is due (only for "next-report"). */
  seconds?: bigint;
  /** What it waits for: the next oracle report, validators to exit, or the end of bunker mode. */
  reason: "next-report" | "validator-exits" | "bunker-mode";
}

/**
 * The expected wait of a new request: the next oracle report when the buffer covers the queue ahead
 * of it and itself, else validators must exit first (days); held back while bunker mode lasts.
 */
export function expectedWait(w: WaitInputs): ExpectedWait {
  if (w.bunkerMode) return { reason: "bunker-mode" };
  if (w.unfinalizedEther + w.amount > w.bufferedEther) return { reason: "validator-exits" };
  // The current frame's report is due at once if not made yet; otherwise the next frame's.
  const nextRefSlot =
    w.lastProcessedRefSlot < w.currentRefSlot ? w.currentRefSlot : w.currentRefSlot + w.timing.slotsPerFrame;
  const due = slotTime(w.timing, nextRefSlot) + w.timing.secondsPerSlot;
  return { seconds: due > w.now ? due - w.now : 0n, reason: "next-report" };
}

/**
 * An expected wait in words, for a preview: "the next oracle report, in ~7h 59m" (to the minute),
 * "the next oracle report (due now)", "a few days: validators must exit first", or "held back while
 * bunker mode lasts".
 */
export function expectedWaitText(wait: ExpectedWait): string {
  if (wait.reason === "bunker-mode") return "held back while bunker mode lasts";
  if (wait.reason === "validator-exits") return "a few days: validators must exit first";
  const seconds = wait.seconds ?? 0n;
  if (seconds === 0n) return "the next oracle report (due now)";
  // Minutes are precise enough for a wait of hours.
  return `the next oracle report, in ~${duration(seconds >= 60n ? seconds - (seconds % 60n) : seconds)}`;
}
