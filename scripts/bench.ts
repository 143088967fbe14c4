/**
 * Gas benchmark: deploys Tidepool on the in-process network with the default parameters (stake
 * limit on, as on mainnet), performs each operation once in a realistic storage state (the
 * benchmarks in bench/), and writes `bench/gas.json` (operation → gasUsed of the whole transaction)
 * and `bench/gas.md`. Exits non-zero if an operation exceeds its target or a relative limit in
 * bench/targets.ts.
 */
import hre from "hardhat";
import { mkdirSync, writeFileSync } from "node:fs";
import { GAS_TARGETS, relativeLimitFailures } from "../bench/targets";
import type { Gas } from "../bench/measure";
import { markdownTable } from "../sdk/src/format";
import { depositBenchmarks } from "../bench/deposits";
import { dailyReportBaseline, dailyReportHolders10000, dailyReportOps1000 } from "../bench/reports";
import { withdrawalBenchmarks } from "../bench/withdrawals";
import { proofBenchmarks } from "../bench/proofs";
import { factBenchmarks } from "../bench/facts";
import { bridgeBenchmarks } from "../bench/bridge";
import {
  exitRequestBenchmarks,
  holderOperationBenchmarks,
  operatorOperationBenchmarks,
  reportVariantBenchmarks,
  reportVoteChurnBenchmarks,
  userOperationBenchmarks,
} from "../bench/operations";

async function main(): Promise<void> {
  const gas: Gas = {};
  const registry1000 = await depositBenchmarks(gas);
  await dailyReportBaseline(gas);
  await dailyReportOps1000(registry1000, gas);
  await exitRequestBenchmarks(registry1000, registry1000.users[5], gas); // the whale of dailyReportOps1000
  await dailyReportHolders10000(gas);
  await withdrawalBenchmarks(gas);
  await holderOperationBenchmarks(gas);
  await operatorOperationBenchmarks(gas);
  await reportVariantBenchmarks(gas);
  await reportVoteChurnBenchmarks(gas);
  await userOperationBenchmarks(gas);
  await bridgeBenchmarks(gas);
  const notes = [...(await proofBenchmarks(gas)), ...(await factBenchmarks(gas))];

  const keys = Object.keys(gas).sort();
  const sorted = Object.fromEntries(keys.map((k) => [k, gas[k]]));
  const relative = relativeLimitFailures(gas);
  for (const message of relative) console.error(message);
  let failed = relative.length;
  const rows = keys.map((key) => {
    const t = GAS_TARGETS[key];
    const ok = !t || gas[key] <= t.target;
    if (!ok && !t?.pending) failed++;
    return [
      `\`${key}\``,
      gas[key].toLocaleString("en-US"),
      t ? `≤ ${t.target.toLocaleString("en-US")}` : "",
      t?.lido ?? "",
      t?.others ?? "",
      t ? (ok ? "✓" : t.pending ? `✗ over target (${t.pending}, open)` : "✗ over target") : "",
    ];
  });
  const table = markdownTable(["operation", "gas", "target", "Lido", "others", ""], rows);

  mkdirSync("bench", { recursive: true });
  writeFileSync("bench/gas.json", JSON.stringify(sorted, null, 2) + "\n");
  writeFileSync(
    "bench/gas.md",
    `# Gas per operation\n\nWhole-transaction \`gasUsed\` on Hardhat's in-process network (hardfork ${hre.config.networks.hardhat.hardfork}), ` +
      `default deployment parameters (stake limit on). Written by \`npm run bench\`; peers' figures from the issues.\n\n${table}\n` +
      notes.map((note) => `\n${note}\n`).join(""),
  );
  console.log(table);
  if (failed > 0) {
    console.error(`\n${failed} operation(s) over target`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
