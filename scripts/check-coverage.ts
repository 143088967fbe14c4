/**
 * Coverage gate: reads the json-summary that `hardhat coverage` writes (test doubles are skipped in
 * `.solcover.js`): the gate's, `coverage/gate/coverage-summary.json`, under COVERAGE_GATE=1 (as
 * `npm test` runs it), else the full run's, `coverage/coverage-summary.json` (after `npm run coverage`);
 * COVERAGE_SUMMARY names another. Fails unless the product contracts together reach
 * `MIN_LINES_PCT` of lines and `MIN_BRANCHES_PCT` of branches. Prints every contract with its figures,
 * marking those below either threshold, so a drop points at its file.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { markdownTable } from "../sdk/src/format";

const MIN_LINES_PCT = 95;
const MIN_BRANCHES_PCT = 90;
const SUMMARY =
  process.env.COVERAGE_SUMMARY ??
  (process.env.COVERAGE_GATE === "1" ? "coverage/gate/coverage-summary.json" : "coverage/coverage-summary.json");

/** One istanbul metric: covered of total, and the percentage (100 when there is nothing to cover). */
interface Metric {
  total: number;
  covered: number;
  pct: number | "Unknown";
}
interface FileSummary {
  lines: Metric;
  branches: Metric;
}
type Summary = Record<string, FileSummary> & { total: FileSummary };

const pct = (m: Metric): number => (m.total === 0 ? 100 : (100 * m.covered) / m.total);
const show = (m: Metric): string => `${pct(m).toFixed(2)}% (${m.covered}/${m.total})`;

function main(): void {
  let summary: Summary;
  try {
    summary = JSON.parse(readFileSync(SUMMARY, "utf8")) as Summary;
  } catch (e) {
    throw new Error(`no coverage summary at ${SUMMARY}: run \`hardhat coverage\` first (${(e as Error).message})`);
  }
  const rows: string[][] = [];
  for (const [file, s] of Object.entries(summary)) {
    if (file === "total") continue;
    const low = pct(s.lines) < MIN_LINES_PCT || pct(s.branches) < MIN_BRANCHES_PCT;
    rows.push([path.relative(process.cwd(), file), show(s.lines), show(s.branches), low ? "below" : ""]);
  }
  rows.sort((a, b) => a[0].localeCompare(b[0]));
  const { lines, branches } = summary.total;
  rows.push(["**all contracts**", show(lines), show(branches), ""]);
  console.log(markdownTable(["contract", "lines", "branches", ""], rows));
  const failures: string[] = [];
  if (pct(lines) < MIN_LINES_PCT) failures.push(`lines ${pct(lines).toFixed(2)}% < ${MIN_LINES_PCT}%`);
  if (pct(branches) < MIN_BRANCHES_PCT) failures.push(`branches ${pct(branches).toFixed(2)}% < ${MIN_BRANCHES_PCT}%`);
  if (failures.length > 0) {
    console.error(`\ncoverage gate failed: ${failures.join(", ")}`);
    process.exitCode = 1;
  } else {
    console.log(`\ncoverage gate passed (≥ ${MIN_LINES_PCT}% lines, ≥ ${MIN_BRANCHES_PCT}% branches)`);
  }
}

try {
  main();
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
}
