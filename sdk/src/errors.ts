/**
 * Turning a failure into words: the custom error a revert carries, decoded with the contracts' ABIs
 * (sdk/src/revert.ts, as the Hardhat tasks do), then phrased for a holder, with its name kept
 * in parentheses for support; other failures by ethers' short message.
 */
import type { ErrorDescription, Interface } from "ethers";
import { eth } from "./format";
import { parseRevert } from "./revert";

type Args = ErrorDescription["args"];

const big = (args: Args, i: number): bigint => BigInt(args[i] as bigint);
const e = (args: Args, i: number, unit = "ETH"): string => eth(big(args, i), 18, unit);
const short = (address: unknown): string => {
  const a = String(address);
  return a.length > 12 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a;
};

/** Sentences for the errors a holder can meet; the rest are phrased from their ABI (below). */
const PHRASES: Record<string, (a: Args) => string> = {
  StakeZeroAmount: () => "The amount to stake must be more than zero.",
  StakeTooSmall: (a) => `Staking ${e(a, 0)} is too little to mint a single share.`,
  StakingPaused: () => "Staking is paused right now. Please try again later.",
  StakeLimitExceeded: (a) =>
    `Staking ${e(a, 0)} is above the current stake limit of ${e(a, 1)}. Stake less, or wait for the limit to refill.`,
  InsufficientShares: (a) => `Your balance is too low: you hold ${big(a, 1)} shares, ${big(a, 2)} are needed.`,
  ERC2612ExpiredSignature: (a) =>
    `The permit signature expired (deadline ${new Date(Number(big(a, 0)) * 1000).toISOString()}). Please sign again.`,
  PermitInvalidSignature: (a) => `The permit signature is not valid for ${short(a[0])}.`,
  ERC2612InvalidSigner: (a) => `The permit was signed by ${short(a[0])}, not by the owner ${short(a[1])}.`,
  InstantRedeemZeroAmount: () => "The amount to redeem must be more than zero.",
  InstantRedeemPaused: () => "Instant redemption is paused right now. You can still request a withdrawal.",
  InstantRedeemBunkerMode: () =>
    "Instant redemption is off while the protocol realises a loss (bunker mode). You can request a withdrawal.",
  InsufficientInstantLiquidity: (a) =>
    `Only ${e(a, 1)} can be redeemed instantly right now; you asked for ${e(a, 0, "tpETH")}.`,
  InstantRedeemFrameCapExceeded: (a) =>
    `Instant redemptions are capped for today: ${e(a, 1, "tpETH")} left, you asked for ${e(a, 0, "tpETH")}.`,
  SlippageExceeded: (a) =>
    `You would receive ${e(a, 0)}, less than your minimum of ${e(a, 1)}: the fee rose since the preview. Review the new preview and try again.`,
  ZeroShares: () => "The amount is too small: it is worth less than one wei of wtpETH.",
  EmptyRequestList: () => "No amount was given for the withdrawal request.",
  RequestAmountTooSmall: (a) => `A withdrawal request must be worth at least ${e(a, 1)}; this one is ${e(a, 0)}.`,
  RequestAmountTooLarge: (a) =>
    `A withdrawal request can be worth at most ${e(a, 1)}; this one is ${e(a, 0)}. Split it into several requests.`,
  PermitFailedAndAllowanceTooLow: (a) =>
    `The permit could not be used and the allowance (${e(a, 0, "")}) is below the ${e(a, 1, "")} needed.`,
  WithdrawalsPaused: () => "Withdrawals are paused right now. Please try again later.",
  UnknownRequest: (a) => `Withdrawal request #${big(a, 0)} does not exist.`,
  NotRequestOwner: (a) => `Withdrawal request #${big(a, 0)} belongs to ${short(a[2])}, not to you.`,
  RequestNotFinalized: (a) => `Withdrawal request #${big(a, 0)} is not ready to claim yet.`,
  RequestAlreadyClaimed: (a) => `Withdrawal request #${big(a, 0)} has already been claimed.`,
  InvalidHint: (a) => `The checkpoint hint for request #${big(a, 0)} is out of date; refresh and claim again.`,
  ERC20InsufficientBalance: (a) => `Your balance (${e(a, 1, "")}) is below the ${e(a, 2, "")} needed.`,
  ERC20InsufficientAllowance: (a) => `The allowance (${e(a, 1, "")}) is below the ${e(a, 2, "")} needed.`,
  EthTransferFailed: (a) => `Sending ${e(a, 1)} to ${short(a[0])} failed.`,
  ProtocolContractRefused: (a) =>
    `${short(a[0])} is one of Tidepool's own contracts: it cannot receive this, and nothing could ever move it again. Choose another address.`,
  ERC20InvalidSender: (a) => `Tokens cannot be sent from ${short(a[0])}.`,
  ERC20InvalidReceiver: (a) => `${short(a[0])} cannot receive tpETH this way (use wrap to get wtpETH).`,
};

/** "RequestAmountTooLarge" → "request amount too large". */
function words(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase();
}

/** A custom error in words from its ABI: amounts (uint256 not named like an id or BP) in ETH. */
function fromAbi(error: ErrorDescription): string {
  const parts = error.fragment.inputs.map((input, i) => {
    const value = error.args[i] as unknown;
    const label = words(input.name || `arg${i}`);
    if (input.type === "uint256" && !/(id|index|bp|count|slot|timestamp|deadline)$/i.test(input.name)) {
      return `${label} ${eth(BigInt(value as bigint), 18)}`;
    }
    return `${label} ${String(value)}`;
  });
  const head = words(error.name);
  return `${head.charAt(0).toUpperCase()}${head.slice(1)}${parts.length ? ` (${parts.join(", ")})` : ""}.`;
}

/** The decoded custom error, or undefined when `error` carries none that `interfaces` know. */
export function decodeCustomError(error: unknown, interfaces: readonly Interface[]): ErrorDescription | undefined {
  return parseRevert(error, interfaces);
}

/** A failure in words: the custom error phrased for a holder, else ethers' short message. */
export function describeError(error: unknown, interfaces: readonly Interface[]): string {
  const decoded = decodeCustomError(error, interfaces);
  if (decoded) {
    const phrase = PHRASES[decoded.name];
    return `${phrase ? phrase(decoded.args) : fromAbi(decoded)} (${decoded.name})`;
  }
  const err = error as { shortMessage?: unknown; message?: unknown; code?: unknown } | null;
  if (err?.code === "INSUFFICIENT_FUNDS") return "Not enough ETH to pay for this transaction and its gas.";
  const text =
    typeof err?.shortMessage === "string"
      ? err.shortMessage
      : typeof err?.message === "string"
        ? err.message
        : String(error);
  return text.split("\n")[0];
}
