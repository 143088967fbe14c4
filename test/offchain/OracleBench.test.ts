/**
 * A CI-sized slice of `npm run bench:oracle` (bench/oracle-harness.ts): the harness at 10,000
 * records with a small latency builds the same report cold, warm and by reading every record; its
 * files have the expected rows; the targets are judged at 2.1M records only; and the stand-in
 * execution layer answers batches and names what it does not model. No timing is asserted.
 */
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StakingPool__factory } from "../../typechain-types/factories/contracts/pool/StakingPool__factory";
import { startStandInExecution } from "../../bench/oracle-el";
import { checkTargets, runBench, worldFor, writeBench, type BenchRow } from "../../bench/oracle-harness";
import { ADDRESSES, ORACLE_DEPLOYMENT_BLOCK, REF_BLOCK } from "../../bench/oracle-model";

describe("Oracle benchmark harness (bench:oracle, CI slice)", function () {
  it("builds the same report cold, warm and reading every record at 10,000 records, and writes its rows", async function () {
    this.timeout(300_000);
    const result = await runBench({ cases: [10_000], latenciesMs: [1], readAllUpTo: 10_000 });
    const world = { records: 10_000, ours: 300, operators: 30, latencyMs: 1 };
    expect(result.rows.map((r) => ({ ...pick(r), method: r.method, mode: r.mode }))).to.deep.equal([
      { ...world, method: "by-pubkey", mode: "cold" },
      { ...world, method: "by-pubkey", mode: "warm" },
      { ...world, method: "read-all", mode: "cold" },
    ]);
    const [cold, warm, readAll] = result.rows;
    expect(cold.validators).to.equal(300);
    // 435 ETH asked for, 115 ETH in the buffer after the report: 10 exits; our key 7 (operator 0) has exited.
    expect([cold.exitRequests, cold.exitedKeyEntries]).to.deep.equal([10, 1]);
    expect(cold.reportHash).to.match(/^0x[0-9a-f]{64}$/);
    expect([warm.reportHash, readAll.reportHash]).to.deep.equal([cold.reportHash, cold.reportHash]);
    expect([warm.validators, readAll.validators]).to.deep.equal([300, 300]);
    // Cold: one `pubkeys` call per operator (10 keys each), and the exit-request logs from the
    // oracle's deployment block in ranges of 10,000 blocks. Warm (a new process, the index on disk):
    // neither, and every validator by index in one request instead of pubkeys in one.
    const logRanges = Math.ceil((REF_BLOCK - ORACLE_DEPLOYMENT_BLOCK + 1) / 10_000);
    expect([cold.keyReads, cold.logReads]).to.deep.equal([30, logRanges]);
    expect([warm.keyReads, warm.logReads]).to.deep.equal([0, 0]);
    expect([readAll.keyReads, readAll.logReads]).to.deep.equal([30, logRanges]);
    expect(warm.beaconRequests).to.equal(cold.beaconRequests); // 300 of ours: one request either way
    expect(result.beacons.map((b) => b.records)).to.deep.equal([10_000]);

    const dir = mkdtempSync(join(tmpdir(), "oracle-bench-"));
    try {
      await writeBench(result, dir);
      const json = JSON.parse(readFileSync(join(dir, "oracle.json"), "utf8")) as {
        rows: BenchRow[];
        targets: unknown[];
      };
      expect(json.rows).to.deep.equal(result.rows);
      expect(json.targets).to.deep.equal([]); // the 2.1M case did not run
      // The table's rows, Prettier's column padding taken out.
      const rows = readFileSync(join(dir, "oracle.md"), "utf8")
        .split("\n")
        .map((l) => l.replace(/ +/g, " "))
        .filter((l) => l.startsWith("| 10,000 | 300 |"))
        .map((l) => l.split(" | ").slice(0, 5).join(" | "));
      expect(rows).to.deep.equal([
        "| 10,000 | 300 | by-pubkey | 1 ms | cold",
        "| 10,000 | 300 | by-pubkey | 1 ms | warm",
        "| 10,000 | 300 | read-all | 1 ms | cold",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("judges the issue's targets at 2.1M records read by pubkey only", function () {
    const row = (latencyMs: number, mode: "cold" | "warm", seconds: number, peakMB: number, records = 2_100_000) =>
      ({ ...worldFor(records), method: "by-pubkey", latencyMs, mode, seconds, peakMB }) as BenchRow;
    const rows = [
      row(20, "cold", 9.9, 250),
      row(20, "warm", 3.1, 260),
      row(1, "cold", 4, 301),
      row(1, "warm", 99, 200),
      row(20, "cold", 99, 999, 1_100_000),
      { ...row(20, "cold", 60, 4_500), method: "read-all" } as BenchRow,
    ];
    expect(checkTargets(rows).map((c) => [rows.indexOf(c.row), c.what, c.ok])).to.deep.equal([
      [0, "≤ 10 s", true],
      [0, "≤ 300 MB", true],
      [1, "≤ 3 s", false],
      [1, "≤ 300 MB", true],
      [2, "≤ 5 s", true],
      [2, "≤ 300 MB", false],
      [3, "≤ 300 MB", true],
    ]);
  });

  it("stand-in execution layer: answers a batch in one HTTP request and names what it does not model", async function () {
    const el = await startStandInExecution(worldFor(1_000), 0);
    try {
      const pool = StakingPool__factory.createInterface();
      const res = await fetch(el.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([
          { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] },
          { jsonrpc: "2.0", id: 2, method: "eth_call", params: [{ to: ADDRESSES.pool, data: "0xdeadbeef" }, "latest"] },
          {
            jsonrpc: "2.0",
            id: 3,
            method: "eth_call",
            params: [{ to: ADDRESSES.pool, data: pool.encodeFunctionData("isBunkerModeActive") }, "latest"],
          },
          { jsonrpc: "2.0", id: 4, method: "eth_sendTransaction", params: [] },
        ]),
      });
      const body = (await res.json()) as { id: number; result?: string; error?: { code: number; message: string } }[];
      expect(body).to.deep.equal([
        { jsonrpc: "2.0", id: 1, result: "0x7a69" },
        {
          jsonrpc: "2.0",
          id: 2,
          error: { code: -32601, message: "the stand-in's StakingPool has no function with selector 0xdeadbeef" },
        },
        {
          jsonrpc: "2.0",
          id: 3,
          error: {
            code: -32601,
            message: `the stand-in does not model StakingPool.isBunkerModeActive() (selector ${pool.getFunction("isBunkerModeActive").selector})`,
          },
        },
        { jsonrpc: "2.0", id: 4, error: { code: -32601, message: "the stand-in does not answer eth_sendTransaction" } },
      ]);
      expect(el.takeCounts()).to.deep.equal({ calls: 4, httpRequests: 1, keyReads: 0, logReads: 0 });
    } finally {
      await el.close();
    }
  });
});

function pick(r: BenchRow): { records: number; ours: number; operators: number; latencyMs: number } {
  return { records: r.records, ours: r.ours, operators: r.operators, latencyMs: r.latencyMs };
}
