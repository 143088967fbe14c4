import { POOL_TOTALS_SLOT, readPoolTotals, writePoolTotals } from "./pool-totals";

export { POOL_TOTALS_SLOT };
export const POOL_STORAGE_LOCATION = BigInt(POOL_TOTALS_SLOT);

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
  const address = typeof pool === "string" ? pool : await pool.getAddress();
  await writePoolTotals(address, { totalShares, totalPooledEther });
}

/** Reads the pool's packed totals straight from storage. */
export async function getPoolTotals(pool: Addressable): Promise<{ totalShares: bigint; totalPooledEther: bigint }> {
  return readPoolTotals(typeof pool === "string" ? pool : await pool.getAddress());
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
