import { expect } from "chai";
import { createLogger, ethValue, formatLine, gweiEth, utcSeconds } from "../../offchain/log";
import { METRICS_CONTENT_TYPE, MetricsRegistry, startMetricsServer, type Health } from "../../offchain/metrics";
import { OracleMetrics } from "../../offchain/oracle/service";

const AT = new Date(Date.UTC(2026, 11, 7, 17, 52, 35, 789));

describe("Daemon logs and metrics (offchain/log.ts, offchain/metrics.ts)", function () {
  describe("the logger", function () {
    it("text: UTC time to the second, the level padded to five characters, then the message and key=value fields", function () {
      const lines: string[] = [];
      const log = createLogger({ write: (l) => lines.push(l), now: () => AT });
      log.info("report submitted", { ref_slot: 7199n, voted: "yes", cl_balance_eth: gweiEth(256_001_234_567n) });
      log.warn("deadline near without quorum", { slots_left: 12n });
      log.error("pass failed", { source: "beacon", error: 'fetch failed: "connect" ECONNREFUSED' });
      log.info("idle");
      expect(lines).to.deep.equal([
        "2026-12-07T17:52:35Z INFO  report submitted ref_slot=7199 voted=yes cl_balance_eth=256.001234567",
        "2026-12-07T17:52:35Z WARN  deadline near without quorum slots_left=12",
        '2026-12-07T17:52:35Z ERROR pass failed source=beacon error="fetch failed: \\"connect\\" ECONNREFUSED"',
        "2026-12-07T17:52:35Z INFO  idle",
      ]);
    });

    it("json: one object per line with ts, level, msg and the fields; bigints as numbers while they fit", function () {
      const lines: string[] = [];
      const log = createLogger({ format: "json", write: (l) => lines.push(l), now: () => AT });
      log.warn("frame missed", { ref_slot: 7199n, big: 2n ** 64n, applied: false, skipped: undefined, n: 3 });
      expect(lines).to.deep.equal([
        '{"ts":"2026-12-07T17:52:35Z","level":"warn","msg":"frame missed","ref_slot":7199,"big":"18446744073709551616","applied":false,"n":3}',
      ]);
      expect(JSON.parse(lines[0])).to.deep.equal({
        ts: "2026-12-07T17:52:35Z",
        level: "warn",
        msg: "frame missed",
        ref_slot: 7199,
        big: "18446744073709551616",
        applied: false,
        n: 3,
      });
    });

    it("amounts in ETH: wei and gwei as exact decimals without trailing zeros", function () {
      expect(ethValue(1_500_000_000_000_000_000n)).to.equal("1.5");
      expect(ethValue(1n)).to.equal("0.000000000000000001");
      expect(ethValue(0n)).to.equal("0");
      expect(gweiEth(32_000_000_001n)).to.equal("32.000000001");
      expect(gweiEth(256_000_000_000n)).to.equal("256");
      expect(utcSeconds(AT)).to.equal("2026-12-07T17:52:35Z");
      expect(formatLine("text", AT, "info", "x", { empty: "" })).to.equal('2026-12-07T17:52:35Z INFO  x empty=""');
    });
  });

  describe("the metrics", function () {
    it("renders counters and gauges in the text exposition format 0.0.4, label sets declared up front at 0", function () {
      const registry = new MetricsRegistry();
      const errors = registry.counter("x_errors_total", "Errors by source.");
      errors.init({ source: "beacon" }).init({ source: "execution" });
      errors.inc({ source: "execution" }, 2);
      const gauge = registry.gauge("x_lag_slots", 'Lag in slots: "head"\nbehind.');
      gauge.set(3n, { source: "beacon" });
      gauge.set(-1, { source: 'a"b' });
      registry.gauge("x_unset", "Never set.");
      expect(registry.render()).to.equal(
        [
          "# HELP x_errors_total Errors by source.",
          "# TYPE x_errors_total counter",
          'x_errors_total{source="beacon"} 0',
          'x_errors_total{source="execution"} 2',
          '# HELP x_lag_slots Lag in slots: "head"\\nbehind.',
          "# TYPE x_lag_slots gauge",
          'x_lag_slots{source="beacon"} 3',
          'x_lag_slots{source="a\\"b"} -1',
          "# HELP x_unset Never set.",
          "# TYPE x_unset gauge",
          "",
        ].join("\n"),
      );
      expect(() => errors.inc({}, -1)).to.throw("counter x_errors_total cannot decrease");
      expect(() => registry.counter("x_errors_total", "again")).to.throw("metric x_errors_total exists already");
    });

    it("the oracle's metrics before the first pass: exact text", function () {
      expect(new OracleMetrics().registry.render()).to.equal(
        [
          "# HELP tidepool_oracle_last_report_ref_slot Reference slot of the last report applied on chain (the oracle's last processed frame).",
          "# TYPE tidepool_oracle_last_report_ref_slot gauge",
          "# HELP tidepool_oracle_last_submission_timestamp_seconds Unix time of this member's last report submission that succeeded (0: none since start).",
          "# TYPE tidepool_oracle_last_submission_timestamp_seconds gauge",
          "tidepool_oracle_last_submission_timestamp_seconds 0",
          "# HELP tidepool_oracle_last_success_timestamp_seconds Unix time of the last pass that completed without an error (0: none since start).",
          "# TYPE tidepool_oracle_last_success_timestamp_seconds gauge",
          "tidepool_oracle_last_success_timestamp_seconds 0",
          "# HELP tidepool_oracle_frames_missed_total Frames whose report deadline passed with neither this member's vote nor the report applied, as this daemon saw them.",
          "# TYPE tidepool_oracle_frames_missed_total counter",
          "tidepool_oracle_frames_missed_total 0",
          "# HELP tidepool_oracle_frame_deadline_slots_left Slots from the execution head to the current frame's report deadline (negative once it has passed).",
          "# TYPE tidepool_oracle_frame_deadline_slots_left gauge",
          "# HELP tidepool_oracle_frame_applied 1 when the current frame's report has been applied (the quorum was reached), else 0.",
          "# TYPE tidepool_oracle_frame_applied gauge",
          "# HELP tidepool_oracle_head_lag_slots Slots the node's head is behind the wall clock's slot (0 when it is not behind).",
          "# TYPE tidepool_oracle_head_lag_slots gauge",
          "# HELP tidepool_oracle_errors_total Failed passes by the node that failed: the beacon node or the execution node.",
          "# TYPE tidepool_oracle_errors_total counter",
          'tidepool_oracle_errors_total{source="beacon"} 0',
          'tidepool_oracle_errors_total{source="execution"} 0',
          "# HELP tidepool_oracle_submissions_total Report submissions by result: ok (mined) or reverted.",
          "# TYPE tidepool_oracle_submissions_total counter",
          'tidepool_oracle_submissions_total{result="ok"} 0',
          'tidepool_oracle_submissions_total{result="reverted"} 0',
          "",
        ].join("\n"),
      );
    });

    it("serves /metrics and /health on 127.0.0.1: 200 when ok, 503 with the reasons when degraded, 404 and 405 otherwise", async function () {
      const registry = new MetricsRegistry();
      registry.counter("x_total", "A count.").inc();
      let health: Health = { status: "ok", reasons: [] };
      const server = await startMetricsServer({ port: 0, registry, health: () => health });
      try {
        expect(server.url).to.equal(`http://127.0.0.1:${server.port}`);
        const metrics = await fetch(`${server.url}/metrics`);
        expect(metrics.status).to.equal(200);
        expect(metrics.headers.get("content-type")).to.equal(METRICS_CONTENT_TYPE);
        expect(await metrics.text()).to.equal("# HELP x_total A count.\n# TYPE x_total counter\nx_total 1\n");
        const ok = await fetch(`${server.url}/health`);
        expect([ok.status, await ok.json()]).to.deep.equal([200, { status: "ok", reasons: [] }]);
        health = { status: "degraded", reasons: ["no pass has succeeded yet"] };
        const bad = await fetch(`${server.url}/health`);
        expect([bad.status, await bad.json()]).to.deep.equal([
          503,
          { status: "degraded", reasons: ["no pass has succeeded yet"] },
        ]);
        expect((await fetch(`${server.url}/nope`)).status).to.equal(404);
        expect((await fetch(`${server.url}/metrics`, { method: "POST" })).status).to.equal(405);
      } finally {
        await server.close();
      }
    });
  });
});
