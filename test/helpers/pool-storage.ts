import { setStorageAt } from "@nomicfoundation/hardhat-network-helpers";
import { toBeHex } from "ethers";

/**
 * ERC-7201 base slot of the pool's storage (`tidepool.storage.StakingPool`), see StakingPool.sol.
 * Slot +0 packs `totalShares` (low 128 bits) | `totalPooledEther` (high 128 bits).
 */
export const POOL_STORAGE_LOCATION = 0x2c6002d777908ffaa70cf47c22b88426746e476a7af6fd119d6728dea1d96d00n;
export const POOL_TOTALS_SLOT = POOL_STORAGE_LOCATION;

const UINT128_LIMIT = 1n << 128n;

/** Anything with an address: a contract, a signer or an address string. */
type Addressable = string | { getAddress(): Promise<string> };

/**
 * Overwrites the pool's packed totals (`totalShares`, `totalPooledEther`) in the proxy's storage.
 *
 * This simulates a rebase: today nothing moves the share rate, but later issues add oracle reports
 * that change `totalPooledEther` (rewards, penalties) without touching anyone's shares. Tests use it
 * to reach non-trivial share rates. Keep `totalShares` equal to the sum of all holders' shares (use
 * {@link rebasePool}) unless a test needs an inconsistent state on purpose. No validators exist yet,
 * so `bufferedEther` follows `totalPooledEther`; the pool's real ETH balance is not changed.
 */
export async function setPoolTotals(pool: Addressable, totalShares: bigint, totalPooledEther: bigint): Promise<void> {
  if (totalShares <= 0n || totalShares >= UINT128_LIMIT) {
    throw new RangeError(`totalShares out of range: ${totalShares}`);
  }
  if (totalPooledEther <= 0n || totalPooledEther >= UINT128_LIMIT) {
    throw new RangeError(`totalPooledEther out of range: ${totalPooledEther}`);
  }
  const address = typeof pool === "string" ? pool : await pool.getAddress();
  await setStorageAt(address, POOL_TOTALS_SLOT, toBeHex((totalPooledEther << 128n) | totalShares, 32));
}

/** Reads the pool's packed totals straight from storage. */
export async function getPoolTotals(
  pool: Addressable,
  provider: { getStorage(address: string, slot: bigint): Promise<string> },
): Promise<{ totalShares: bigint; totalPooledEther: bigint }> {
  const address = typeof pool === "string" ? pool : await pool.getAddress();
  const word = BigInt(await provider.getStorage(address, POOL_TOTALS_SLOT));
  return { totalShares: word & (UINT128_LIMIT - 1n), totalPooledEther: word >> 128n };
}

/**
 * Simulates a rebase to `totalPooledEther` keeping every holder's shares (and so `totalShares`):
 * the share rate becomes `totalPooledEther / totalShares`.
 */
export async function rebasePool(
  pool: { getAddress(): Promise<string>; totalShares(): Promise<bigint> },
  totalPooledEther: bigint,
): Promise<void> {
  await setPoolTotals(pool, await pool.totalShares(), totalPooledEther);
}
