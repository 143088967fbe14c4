import type { StakingPool } from "../../typechain-types";
import { writePoolTotals, type PoolTotals } from "./pool-totals";

/** The two terms of the pool's share rate. */
export type Totals = PoolTotals;

export async function readTotals(pool: StakingPool): Promise<Totals> {
  return { totalShares: await pool.totalShares(), totalPooledEther: await pool.totalPooledEther() };
}

/**
 * SIMULATES A REBASE. The share rate only moves in oracle reports, which this code base does not
 * have yet, so tests that need a rate other than 1 overwrite the pool's packed totals slot with
 * `hardhat_setStorageAt`. Keep `totalShares` equal to the sum of every `sharesOf` (use
 * {setTotalPooledEther} / {rebaseTo}, which only touch `totalPooledEther`). Raising
 * `totalPooledEther` this way makes the pool account for more ETH than it holds; that is harmless
 * for token-level tests, which never withdraw ETH.
 */
export async function setTotals(pool: StakingPool, totals: Totals): Promise<void> {
  await writePoolTotals(await pool.getAddress(), totals);
}

/** Simulated rebase (see {setTotals}): sets `totalPooledEther`, keeping `totalShares`. */
export async function setTotalPooledEther(pool: StakingPool, totalPooledEther: bigint): Promise<Totals> {
  const totals = { totalShares: await pool.totalShares(), totalPooledEther };
  await setTotals(pool, totals);
  return totals;
}

/**
 * Simulated rebase (see {setTotals}) to a share rate of about `numerator / denominator` ETH per
 * share: `totalPooledEther = totalShares × numerator / denominator + extraWei`.
 */
export async function rebaseTo(
  pool: StakingPool,
  numerator: bigint,
  denominator: bigint,
  extraWei = 0n,
): Promise<Totals> {
  const totalShares = await pool.totalShares();
  return setTotalPooledEther(pool, (totalShares * numerator) / denominator + extraWei);
}

// ───────────── Reference conversions: plain BigInt math, independent of the contracts ─────────────

/** ETH value of `shares`, rounded down. */
export function ethDown(shares: bigint, t: Totals): bigint {
  return (shares * t.totalPooledEther) / t.totalShares;
}

/** ETH value of `shares`, rounded up. */
export function ethUp(shares: bigint, t: Totals): bigint {
  return ceilDiv(shares * t.totalPooledEther, t.totalShares);
}

/** Shares worth `amount`, rounded down. */
export function sharesDown(amount: bigint, t: Totals): bigint {
  return (amount * t.totalShares) / t.totalPooledEther;
}

/** Shares worth `amount`, rounded up. */
export function sharesUp(amount: bigint, t: Totals): bigint {
  return ceilDiv(amount * t.totalShares, t.totalPooledEther);
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a - 1n) / b + 1n;
}
