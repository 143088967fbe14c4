/**
 * Node operators' own reads (docs/operators.md): the bond and what of it is free to withdraw, by the
 * registry's own rule, and times as an operator reads them (UTC dates, "in 3d 4h").
 */
import type { NodeOperatorRegistry, StakingPool } from "./contracts";

/** An operator's bond as `withdrawBond` sees it: shares and their ETH value, at one block. */
export interface OperatorBond {
  /** Pool shares the registry holds as the operator's bond. */
  bondShares: bigint;
  /** Their ETH value, in wei. */
  totalWei: bigint;
  /** Validators the operator runs (deposited and not exited). */
  activeValidators: bigint;
  /** The registry's bond per validator, in wei. */
  bondPerValidatorWei: bigint;
  /** ETH that backs the active validators (bond per validator × active), in wei: never withdrawable. */
  lockedWei: bigint;
  /** The shares `withdrawBond` lets go: the bond beyond the shares of `lockedWei`, rounded up. */
  freeShares: bigint;
  /** Their ETH value, in wei (rounded down: never more than a withdrawal of `freeShares` pays). */
  freeWei: bigint;
}

/** The registry and pool views {@link readOperatorBond} uses. */
export interface BondSources {
  registry: Pick<NodeOperatorRegistry, "getNodeOperator" | "bondPerValidator">;
  pool: Pick<StakingPool, "getPooledEthByShares" | "getSharesByPooledEthRoundUp">;
}

/**
 * Operator `operatorId`'s bond at block `blockTag` (default: latest), split as `withdrawBond` splits
 * it: the shares of bond per validator × active validators (rounded up) stay, the rest is free.
 */
export async function readOperatorBond(
  { registry, pool }: BondSources,
  operatorId: bigint,
  blockTag?: number,
): Promise<OperatorBond> {
  const at = blockTag === undefined ? {} : { blockTag };
  const [op, bondPerValidatorWei] = await Promise.all([
    registry.getNodeOperator(operatorId, at),
    registry.bondPerValidator(at),
  ]);
  const activeValidators = op.depositedKeys - op.exitedKeys;
  const lockedWei = bondPerValidatorWei * activeValidators;
  const [required, totalWei] = await Promise.all([
    pool.getSharesByPooledEthRoundUp(lockedWei, at),
    pool.getPooledEthByShares(op.bondShares, at),
  ]);
  const freeShares = op.bondShares > required ? op.bondShares - required : 0n;
  const freeWei = await pool.getPooledEthByShares(freeShares, at);
  return {
    bondShares: op.bondShares,
    totalWei,
    activeValidators,
    bondPerValidatorWei,
    lockedWei,
    freeShares,
    freeWei,
  };
}

/** Why a bond withdrawal cannot be made, or the shares to withdraw. */
export type BondWithdrawal = { ok: true; shares: bigint } | { ok: false; reason: "above-free" | "below-one-share" };

/**
 * The shares to withdraw for `amount` wei of bond ("all": every free share), rounded down, so the
 * withdrawal pays at most the amount asked and never asks for more than the free shares.
 */
export async function bondWithdrawalShares(
  pool: { getSharesByPooledEth(ethAmount: bigint): Promise<bigint> },
  bond: Pick<OperatorBond, "freeShares" | "freeWei">,
  amount: bigint | "all",
): Promise<BondWithdrawal> {
  if (amount === "all")
    return bond.freeShares === 0n ? { ok: false, reason: "above-free" } : { ok: true, shares: bond.freeShares };
  if (amount > bond.freeWei) return { ok: false, reason: "above-free" };
  const shares = await pool.getSharesByPooledEth(amount);
  if (shares === 0n) return { ok: false, reason: "below-one-share" };
  // getSharesByPooledEth(getPooledEthByShares(s)) ≤ s when both round down: amount ≤ freeWei keeps it ≤ free.
  return { ok: true, shares: shares > bond.freeShares ? bond.freeShares : shares };
}

/** A unix time as "2026-12-07 18:00:00 UTC". */
export function utcTime(seconds: bigint): string {
  return new Date(Number(seconds) * 1000)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, " UTC");
}

/**
 * `target` seen from `now` (unix seconds) in its largest unit and the next one, zeros left out:
 * "in 3d 4h", "in 3d" (3 days and 9 seconds), "2h 5m ago", "in 59s", "now".
 */
export function relativeTime(target: bigint, now: bigint): string {
  if (target === now) return "now";
  const seconds = target > now ? target - now : now - target;
  const parts = [
    [seconds / 86_400n, "d"],
    [(seconds % 86_400n) / 3_600n, "h"],
    [(seconds % 3_600n) / 60n, "m"],
    [seconds % 60n, "s"],
  ] as const;
  const largest = parts.findIndex(([n]) => n > 0n);
  const text = parts
    .slice(largest, largest + 2)
    .filter(([n]) => n > 0n)
    .map(([n, unit]) => `${n}${unit}`)
    .join(" ");
  return target > now ? `in ${text}` : `${text} ago`;
}
