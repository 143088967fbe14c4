import { formatEther } from "ethers";

/** "1.234567 ETH"-style text for a wei amount, trimmed to `decimals` places. */
export function eth(wei: bigint, decimals = 6, unit = "ETH"): string {
  const [whole, frac = ""] = formatEther(wei).split(".");
  const trimmed = frac.slice(0, decimals).replace(/0+$/, "");
  return `${whole}${trimmed ? "." + trimmed : ""} ${unit}`.trim();
}

/** A ratio of two bigints as a decimal string with `places` digits (rounded down). */
export function ratio(numerator: bigint, denominator: bigint, places = 9): string {
  const scaled = (numerator * 10n ** BigInt(places)) / denominator;
  const s = scaled.toString().padStart(places + 1, "0");
  return `${s.slice(0, -places)}.${s.slice(-places)}`;
}

/** Renders rows as a Markdown table. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
