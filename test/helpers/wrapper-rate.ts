import { setStorageAt } from "@nomicfoundation/hardhat-network-helpers";
import type { StakingPool } from "../../typechain-types";

/**
 * ERC-7201 base slot of `tidepool.storage.StakingPool` in the pool proxy. Its first word packs the
 * share-rate terms: `totalShares` in the low 128 bits, `totalPooledEther` in the high 128 bits.
 */
export const POOL_TOTALS_SLOT = "0x2c6002d777908ffaa70cf47c22b88426746e476a7af6fd119d6728dea1d96d00";

const MAX_UINT128 = (1n << 128n) - 1n;

/** The two terms of the pool's share rate. */
export interface Totals {
  totalShares: bigint;
  totalPooledEther: bigint;
}

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
  const { totalShares, totalPooledEther } = totals;
  if (totalShares <= 0n || totalShares > MAX_UINT128 || totalPooledEther <= 0n || totalPooledEther > MAX_UINT128) {
    throw new Error(`totals out of range: ${totalShares} shares, ${totalPooledEther} wei`);
  }
  await setStorageAt(await pool.getAddress(), POOL_TOTALS_SLOT, (totalPooledEther << 128n) | totalShares);
  const written = await readTotals(pool);
  if (written.totalShares !== totalShares || written.totalPooledEther !== totalPooledEther) {
    throw new Error("the pool did not read back the totals written: has its storage layout changed?");
  }
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
