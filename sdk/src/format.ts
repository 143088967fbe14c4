/**
 * Formatting and parsing of amounts, ratios and durations. Pure (imports `ethers` only), so the
 * tasks, the scripts and the browser app (app/) share it.
 */
import { formatEther, parseEther } from "ethers";
import { TidepoolSdkError } from "./sdk-error";

/**
 * "1.234567 ETH"-style text for a wei amount, rounded half up to `decimals` places (never truncated:
 * 9.9999999999 ETH with 6 decimals reads "10 ETH"), trailing zeros dropped. `unit` "" leaves it out.
 */
export function eth(wei: bigint, decimals = 6, unit = "ETH"): string {
  const places = Math.max(0, Math.min(18, Math.trunc(decimals)));
  const step = 10n ** BigInt(18 - places);
  const negative = wei < 0n;
  const abs = negative ? -wei : wei;
  const rounded = ((abs + step / 2n) / step) * step;
  const [whole, frac = ""] = formatEther(rounded).split(".");
  const trimmed = frac.slice(0, places).replace(/0+$/, "");
  const sign = negative && rounded !== 0n ? "-" : "";
  return `${sign}${whole}${trimmed ? "." + trimmed : ""} ${unit}`.trim();
}

/**
 * `wei` as ETH text rounded down to `decimals` places: a limit or a balance ("at most …", "holds …")
 * is never overstated. `unit` as in {@link eth}.
 */
export function ethAtMost(wei: bigint, decimals = 6, unit = "ETH"): string {
  const places = Math.max(0, Math.min(18, Math.trunc(decimals)));
  const step = 10n ** BigInt(18 - places);
  return eth(wei - (wei % step), places, unit);
}

/**
 * A ratio of two bigints as a decimal string with `places` digits, rounded half up (a share rate of
 * 0.99999999999 ETH reads 1.000000000, never 0.999999999).
 */
export function ratio(numerator: bigint, denominator: bigint, places = 9): string {
  const scaled = (2n * numerator * 10n ** BigInt(places) + denominator) / (2n * denominator);
  const s = scaled.toString().padStart(places + 1, "0");
  return `${s.slice(0, -places)}.${s.slice(-places)}`;
}

/** Renders rows as a Markdown table. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/**
 * Parses a human-readable, non-negative decimal ETH amount ("1.5", ".5", "2.") to wei; undefined if
 * the text is not such a number or has more than 18 decimals.
 */
export function parseEthText(text: string): bigint | undefined {
  const trimmed = text.trim();
  if (!/^[0-9]*\.?[0-9]+$|^[0-9]+\.$/.test(trimmed)) return undefined;
  try {
    return parseEther(trimmed);
  } catch {
    return undefined;
  }
}

/**
 * Parses a decimal amount as {@link parseEthText} does ("1.5" → 1.5 × 10^18 wei), throwing a
 * {@link TidepoolSdkError} in words when the text is not a non-negative amount with at most 18
 * decimals. `unit` names the token in the sentence.
 */
export function parseEth(text: string, unit = "ETH"): bigint {
  const wei = parseEthText(text);
  if (wei !== undefined) return wei;
  const shown = text.trim();
  throw new TidepoolSdkError(
    shown === "" ? `Enter an amount of ${unit}.` : `"${shown}" is not an amount of ${unit} (for example 1.5).`,
  );
}

/**
 * Parses a percentage ("0.5", "0.5%", "12") to basis points (50n, 1200n); undefined unless it is a
 * number from 0 to 100 with at most two decimals.
 */
export function parsePercentBP(text: string): bigint | undefined {
  const trimmed = text.trim().replace(/\s*%$/, "");
  const match = /^([0-9]+)(?:\.([0-9]{0,2}))?$|^\.([0-9]{1,2})$/.exec(trimmed);
  if (!match) return undefined;
  const whole = BigInt(match[1] ?? "0");
  const frac = BigInt((match[2] ?? match[3] ?? "").padEnd(2, "0"));
  const bp = whole * 100n + frac;
  return bp <= 10_000n ? bp : undefined;
}

/**
 * A rate scaled by 10^18 (ETH per share, tpETH per wtpETH) as a decimal with `places` digits,
 * rounded half up: 1.0000000009999 × 10^18 with 9 places reads "1.000000001".
 */
export function rateText(rateScaled: bigint, places = 9): string {
  return ratio(rateScaled, 10n ** 18n, places);
}

/** Basis points as a percentage: 345 → "3.45%", -20 → "-0.2%". */
export function percentBP(bp: bigint): string {
  const sign = bp < 0n ? "-" : "";
  const abs = bp < 0n ? -bp : bp;
  const frac = (abs % 100n).toString().padStart(2, "0").replace(/0+$/, "");
  return `${sign}${abs / 100n}${frac ? "." + frac : ""}%`;
}

/** Seconds as "1d 2h 3m 4s" (zero parts left out; "0s" for zero). */
export function duration(seconds: bigint): string {
  const sign = seconds < 0n ? "-" : "";
  let s = seconds < 0n ? -seconds : seconds;
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400n],
    ["h", 3_600n],
    ["m", 60n],
  ] as const) {
    if (s >= size) {
      parts.push(`${s / size}${unit}`);
      s %= size;
    }
  }
  if (s > 0n || parts.length === 0) parts.push(`${s}s`);
  return sign + parts.join(" ");
}
