/**
 * The oracle at mainnet scale (issue 19): `npm run bench:oracle [-- options]` builds frame reports
 * over a Beacon API holding N validator records and a stand-in execution layer with a latency per
 * request (bench/oracle-harness.ts), and writes time and peak memory per case, cold and warm, to
 * bench/oracle.json and bench/oracle.md.
 *
 *   --cases 10000,100000          record counts (default 10000,100000,1100000,2100000)
 *   --latency 20,1                execution-layer latency per HTTP request, in ms (default 20,1)
 *   --read-all-up-to 100000       also measure reading every record (Lido's way) up to this N
 *                                 (default 100000, at most 1200000; slow and memory-hungry)
 *   --out bench                   where to write oracle.json and oracle.md
 *
 * Exit code 1 if a target of the issue fails at 2.1M records (when that case ran), or on a failure
 * (one sentence on stderr).
 */
import { parseArgs } from "node:util";
import {
  DEFAULT_CASES,
  DEFAULT_LATENCIES_MS,
  DEFAULT_READ_ALL_UP_TO,
  MAX_READ_ALL,
  checkTargets,
  runBench,
  writeBench,
} from "../bench/oracle-harness";

function numbers(value: string | undefined, name: string, fallback: readonly number[]): number[] {
  if (value === undefined) return [...fallback];
  const list = value.split(",").map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new Error(`--${name} must be whole numbers separated by commas, got "${value}"`);
  }
  return list;
}

async function main(argv: string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        cases: { type: "string" },
        latency: { type: "string" },
        "read-all-up-to": { type: "string" },
        out: { type: "string", default: "bench" },
      },
    });
    const cases = numbers(values.cases, "cases", DEFAULT_CASES);
    if (cases.some((n) => n < 100)) throw new Error("--cases must be at least 100 records each");
    const latenciesMs = numbers(values.latency, "latency", DEFAULT_LATENCIES_MS);
    const [readAllUpTo] = numbers(values["read-all-up-to"], "read-all-up-to", [DEFAULT_READ_ALL_UP_TO]);
    if (readAllUpTo > MAX_READ_ALL) {
      throw new Error(
        `--read-all-up-to can be at most ${MAX_READ_ALL}: every record in one Beacon API answer must fit in one JavaScript string`,
      );
    }
    const result = await runBench({ cases, latenciesMs, readAllUpTo, log: (line) => console.log(line) });
    await writeBench(result, values.out);
    console.log(`Wrote ${values.out}/oracle.json and ${values.out}/oracle.md`);
    const failed = checkTargets(result.rows).filter((c) => !c.ok);
    for (const c of failed) {
      console.error(
        `Target missed at ${c.row.records.toLocaleString("en")} records, ${c.row.latencyMs} ms, ${c.row.mode}: ` +
          `${c.row.seconds.toFixed(2)} s, ${c.row.peakMB.toFixed(0)} MB (target ${c.what})`,
      );
    }
    return failed.length === 0 ? 0 : 1;
  } catch (err) {
    console.error(`Error: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exit(code);
  });
}
