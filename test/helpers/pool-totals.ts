import { network } from "hardhat";
import { toBeHex } from "ethers";

/**
 * The pool's packed share-rate terms, straight from storage. Until oracle reports exist (a later
 * issue), the only way for a test to reach a share rate other than 1 is to rewrite this word: that
 * SIMULATES A REBASE, and every helper that does so goes through {@link writePoolTotals}.
 *
 * Slot: the ERC-7201 base of `tidepool.storage.StakingPool` (see StakingPool.sol). Its first word is
 * `Totals { uint128 totalShares; uint128 totalPooledEther; }`: totalShares in the low 128 bits,
 * totalPooledEther in the high 128 bits.
 */
export const POOL_TOTALS_SLOT = "0x2c6002d777908ffaa70cf47c22b88426746e476a7af6fd119d6728dea1d96d00";

const UINT128_MAX = (1n << 128n) - 1n;

/** The two terms of the pool's share rate. */
export interface PoolTotals {
  totalShares: bigint;
  totalPooledEther: bigint;
}

/** Splits the packed totals word. */
export function unpackTotals(word: bigint): PoolTotals {
  return { totalShares: word & UINT128_MAX, totalPooledEther: word >> 128n };
}

/** Packs totals into the storage word layout of `StakingPool.Totals`. */
export function packTotals({ totalShares, totalPooledEther }: PoolTotals): bigint {
  if (totalShares <= 0n || totalShares > UINT128_MAX) throw new RangeError(`totalShares out of range: ${totalShares}`);
  if (totalPooledEther <= 0n || totalPooledEther > UINT128_MAX) {
    throw new RangeError(`totalPooledEther out of range: ${totalPooledEther}`);
  }
  return (totalPooledEther << 128n) | totalShares;
}

/** Reads the totals from storage (independent of the pool's getters). */
export async function readPoolTotals(poolAddress: string): Promise<PoolTotals> {
  const raw = (await network.provider.send("eth_getStorageAt", [poolAddress, POOL_TOTALS_SLOT, "latest"])) as string;
  return unpackTotals(BigInt(raw));
}

/** Writes the totals and checks that the pool reads them back (fails loudly if the layout moved). */
export async function writePoolTotals(poolAddress: string, totals: PoolTotals): Promise<void> {
  await network.provider.send("hardhat_setStorageAt", [poolAddress, POOL_TOTALS_SLOT, toBeHex(packTotals(totals), 32)]);
  const written = await readPoolTotals(poolAddress);
  if (written.totalShares !== totals.totalShares || written.totalPooledEther !== totals.totalPooledEther) {
    throw new Error("the pool did not read back the totals written: has its storage layout changed?");
  }
}
