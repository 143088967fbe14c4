/**
 * What the page says about amounts, and whether an action can be done, as pure functions of values
 * read from the chain: the previews use them as the user types (against the last values read), the
 * actions again on click (against fresh ones), so both say the same sentence. A figure for what can
 * be done at most (a balance, a limit) is rounded down, so that typing the figure shown always works;
 * other amounts are rounded half up (sdk/src/format.ts).
 */
import { eth, parseEthText } from "../../sdk/src/format";

/** Groups thousands: "1234.5 ETH" → "1,234.5 ETH". */
function grouped(text: string): string {
  const [num, ...rest] = text.split(" ");
  const [whole, frac] = num.split(".");
  const g = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return [frac === undefined ? g : `${g}.${frac}`, ...rest].join(" ");
}

/** An amount for reading: rounded half up to `decimals` places, thousands grouped ("1,234.5 ETH"). */
export function amountText(wei: bigint, unit = "ETH", decimals = 6): string {
  return grouped(eth(wei, decimals, unit));
}

/**
 * The most that can be done, for reading: rounded down to `decimals` places (1.2999996 ETH reads
 * "1.299999 ETH", an amount that can be done; "1.3 ETH" could not), thousands grouped.
 */
export function limitText(wei: bigint, unit = "ETH", decimals = 6): string {
  const step = 10n ** BigInt(18 - Math.max(0, Math.min(18, Math.trunc(decimals))));
  return amountText(wei - (wei % step), unit, decimals);
}

/**
 * The text of an amount input: nothing yet, zero (on the way to "0.5" while typing; refused when
 * sent), a problem in words, or a positive amount in wei.
 */
export type AmountInput =
  { kind: "empty" } | { kind: "zero" } | { kind: "problem"; text: string } | { kind: "amount"; wei: bigint };

/** The sentence for a zero amount, when it is sent. */
export const ZERO_AMOUNT = "The amount must be more than zero.";

/** Reads what the user typed as an amount of `unit`. */
export function parseAmountInput(text: string, unit: string): AmountInput {
  if (text.trim() === "") return { kind: "empty" };
  const wei = parseEthText(text);
  if (wei === undefined) return { kind: "problem", text: `"${text.trim()}" is not an amount of ${unit} (e.g. 1.5).` };
  return wei === 0n ? { kind: "zero" } : { kind: "amount", wei };
}

/** "X is more than your ETH balance (Y)." when `amount` > `limit`. */
export function aboveLimit(amount: bigint, limit: bigint, unit: string, what: string): string | undefined {
  return amount > limit ? `${amountText(amount, unit)} is more than ${what} (${limitText(limit, unit)}).` : undefined;
}

/** What staking depends on. `balance` is undefined without an account. */
export interface StakeContext {
  balance?: bigint;
  stakeLimit: bigint;
  stakingPaused: boolean;
}

/** Why `amount` ETH cannot be staked now, or undefined when it can. */
export function stakeProblem(amount: bigint, c: StakeContext): string | undefined {
  if (c.stakingPaused) return "Staking is paused right now. Please try again later.";
  return (
    (c.balance === undefined ? undefined : aboveLimit(amount, c.balance, "ETH", "your ETH balance")) ??
    aboveLimit(amount, c.stakeLimit, "ETH", "what can be staked right now (the stake limit)")
  );
}

/** What a withdrawal request depends on. `balance` (of `token`) is undefined without an account. */
export interface WithdrawContext {
  token: "tpETH" | "wtpETH";
  balance?: bigint;
  /** The request's value in ETH (wtpETH at the share rate). */
  value: bigint;
  min: bigint;
  max: bigint;
  paused: boolean;
}

/** Why a request of `amount` cannot be made now, or undefined when it can. */
export function withdrawProblem(amount: bigint, c: WithdrawContext): string | undefined {
  if (c.paused) return "Withdrawals are paused right now. Please try again later.";
  const balance =
    c.balance === undefined ? undefined : aboveLimit(amount, c.balance, c.token, `your ${c.token} balance`);
  if (balance) return balance;
  if (c.value < c.min) {
    return `A withdrawal request must be worth at least ${amountText(c.min, "ETH", 18)}; this one is worth ${amountText(c.value, "ETH", 18)}.`;
  }
  if (c.value > c.max) {
    return `A withdrawal request can be worth at most ${limitText(c.max)}; this one is worth ${amountText(c.value)}. Split it into several requests.`;
  }
  return undefined;
}

/** The hint under the withdrawal form. */
export function withdrawBoundsText(max: bigint): string {
  return `A request can be worth up to ${limitText(max)}.`;
}

/** The most tpETH that can be redeemed instantly, and what bounds it. */
export interface InstantLimit {
  amount: bigint;
  bound: "paused" | "bunker" | "liquidity" | "cap" | "balance";
}

/** What instant redemption depends on: the protocol's status (sdk/src/status.ts). */
export interface InstantStatus {
  redeemableNow: bigint;
  instantLiquidity: bigint;
  instantRedeemPaused: boolean;
  bunkerMode: boolean;
}

/**
 * What can be redeemed instantly now: the protocol's one "redeemable now" figure (the instant
 * liquidity and today's remaining cap, whichever is smaller; 0 while paused or in bunker mode),
 * bounded further by the holder's tpETH `balance` when there is an account.
 */
export function instantLimit(s: InstantStatus, balance?: bigint): InstantLimit {
  if (s.instantRedeemPaused) return { amount: 0n, bound: "paused" };
  if (s.bunkerMode) return { amount: 0n, bound: "bunker" };
  if (balance !== undefined && balance < s.redeemableNow) return { amount: balance, bound: "balance" };
  return { amount: s.redeemableNow, bound: s.redeemableNow === s.instantLiquidity ? "liquidity" : "cap" };
}

/** Why `amount` tpETH cannot be redeemed instantly now, or undefined when it can. */
export function instantProblem(amount: bigint, limit: InstantLimit): string | undefined {
  if (limit.bound === "paused") return "Instant redemption is paused right now. You can still request a withdrawal.";
  if (limit.bound === "bunker") {
    return "Instant redemption is off while the protocol realises a loss (bunker mode). You can still request a withdrawal.";
  }
  if (amount <= limit.amount) return undefined;
  if (limit.amount === 0n) {
    return {
      balance: "You have no tpETH to redeem.",
      liquidity: "No ETH is available for instant redemption right now. You can request a withdrawal.",
      cap: "Today's instant-redemption limit is used up (it renews at 00:00 UTC). You can request a withdrawal.",
    }[limit.bound];
  }
  const why = {
    balance: "that is your tpETH balance",
    liquidity: "that is the ETH the pool holds for instant redemptions",
    cap: "that is what is left of today's limit, which renews at 00:00 UTC",
  }[limit.bound];
  return `At most ${limitText(limit.amount, "tpETH")} can be redeemed instantly right now: ${why}.`;
}
