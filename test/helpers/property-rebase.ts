import { network } from "hardhat";
import { toQuantity } from "ethers";
import {
  POOL_TOTALS_SLOT,
  packTotals,
  readPoolTotals,
  unpackTotals,
  writePoolTotals,
  type PoolTotals,
} from "./pool-totals";

/**
 * Test-only "rebase" for property tests: until oracle reports exist, the only way to reach a share
 * rate other than 1 is to rewrite the pool's packed totals slot.
 *
 * ERC-7201 base slot of `tidepool.storage.StakingPool` (see `StakingPool.STORAGE_LOCATION`): slot 0 of
 * the namespace is `Totals { uint128 totalShares; uint128 totalPooledEther; }`, packed as
 * totalShares in the low 128 bits and totalPooledEther in the high 128 bits.
 */
export { POOL_TOTALS_SLOT, packTotals, readPoolTotals, unpackTotals, type PoolTotals };

async function ethBalance(address: string): Promise<bigint> {
  return BigInt((await network.provider.send("eth_getBalance", [address, "latest"])) as string);
}

/** How a model step moves totalPooledEther: a relative change in parts per million plus a wei jitter. */
export interface RebaseSpec {
  /** true: rewards (totalPooledEther rises); false: a loss (it falls). */
  up: boolean;
  /** Relative change in parts per million (the property tests use 0..1,000 up and 0..50,000 down). */
  ppm: number;
  /** Extra wei in the same direction, so that the rate is not a round fraction. */
  jitterWei: bigint;
}

/** The totalPooledEther a rebase leads to (pure, so the off-chain model computes the same number). */
export function rebasedPooledEther(totalPooledEther: bigint, spec: RebaseSpec): bigint {
  const delta = (totalPooledEther * BigInt(spec.ppm)) / 1_000_000n + spec.jitterWei;
  if (spec.up) return totalPooledEther + delta;
  const next = totalPooledEther - delta;
  if (next <= 0n) throw new RangeError(`a rebase may not empty the pool (${totalPooledEther} - ${delta})`);
  return next;
}

/**
 * Rewrites totalPooledEther (totalShares untouched) and funds the pool so that its ETH balance is at
 * least the new total: on a rise the pool receives the difference (the rewards "arrive"), on a fall its
 * balance is left as it is (the surplus is then ignored, like forced ETH). `bufferedEther` is derived
 * from the totals, so it follows without further writes.
 * @returns The ETH balance the pool holds afterwards.
 */
export async function setTotalPooledEther(poolAddress: string, newTotalPooledEther: bigint): Promise<bigint> {
  const before = await readPoolTotals(poolAddress);
  await writePoolTotals(poolAddress, { totalShares: before.totalShares, totalPooledEther: newTotalPooledEther });

  const balance = await ethBalance(poolAddress);
  let funded = balance;
  if (newTotalPooledEther > before.totalPooledEther) funded += newTotalPooledEther - before.totalPooledEther;
  if (funded < newTotalPooledEther) funded = newTotalPooledEther;
  if (funded !== balance) await network.provider.send("hardhat_setBalance", [poolAddress, toQuantity(funded)]);
  return funded;
}

/** Applies `spec` to the pool's current totals; returns the new totals and the pool's ETH balance. */
export async function rebase(poolAddress: string, spec: RebaseSpec): Promise<PoolTotals & { poolEthBalance: bigint }> {
  const before = await readPoolTotals(poolAddress);
  const totalPooledEther = rebasedPooledEther(before.totalPooledEther, spec);
  const poolEthBalance = await setTotalPooledEther(poolAddress, totalPooledEther);
  return { totalShares: before.totalShares, totalPooledEther, poolEthBalance };
}
