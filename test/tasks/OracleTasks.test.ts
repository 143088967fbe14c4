import net from "node:net";
import { expect } from "chai";
import hre from "hardhat";
import type { Tidepool } from "../../deploy/protocol";
import { advanceToNextFrame, type LocalBeacon } from "../../offchain/beacon/local";
import { connectBeacon } from "../../offchain/oracle/beacon";
import { buildFrameReport } from "../../offchain/oracle/report";
import { runDaemon } from "../../offchain/oracle/service";
import { createLogger } from "../../offchain/log";
import { deployWithBeacon } from "../helpers/beacon-fixtures";
import { closedPort, runTask, taskError } from "../helpers/tasks";

describe("Tasks: oracle-report", function () {
  let t: Tidepool;
  let local: LocalBeacon;
  let url: string;
  let pool: string;

  before(async function () {
    delete process.env.BEACON_URL;
    ({ t, local } = await deployWithBeacon());
    url = local.api.url;
    pool = t.poolAddress;
  });

  after(async function () {
    await local?.close();
  });

  it("says so while the reference slot is not final, then --dry-run prints the report without submitting", async function () {
    const [genesisTime, epochsPerFrame] = await t.oracle.getFrameConfig();
    const slotsPerFrame = epochsPerFrame * 32n;
    const slot = ((await local.bridge.latestTimestamp()) - genesisTime) / 12n;
    const frameStart = (slot / slotsPerFrame + 1n) * slotsPerFrame;
    await local.bridge.advanceTo(genesisTime + (frameStart + 1n) * 12n);
    const waiting = await runTask("oracle-report", { beaconUrl: url, member: "1", pool });
    expect(waiting).to.equal(
      `Reference slot ${frameStart - 1n} is not final yet (finalized epoch ${frameStart / 32n - 2n}): try again later.`,
    );

    const { refSlot } = await advanceToNextFrame(local);
    const built = (await buildFrameReport({
      beacon: await connectBeacon(url),
      provider: hre.ethers.provider,
      contracts: t,
    }))!;
    const out = await runTask("oracle-report", { beaconUrl: url, dryRun: true, pool });
    expect(out).to.include(
      `Report for reference slot ${refSlot} (state of slot ${refSlot}, execution block ${built.executionBlock}):`,
    );
    expect(out).to.include(`validators 8, CL balance ${Number(built.data.clBalanceGwei) / 1e9}`);
    expect(out).to.include("finalize up to request 0, bunker mode false");
    expect(out).to.include("operator losses none");
    expect(out).to.include("exits none");
    expect((await t.oracle.getReportVariants())[1]).to.deep.equal([]);
  });

  it("submits as the chosen member, reaches quorum with the second, and has nothing to do for the third", async function () {
    const [m1, m2] = t.oracleMembers;
    const first = await runTask("oracle-report", { beaconUrl: url, member: "1", pool });
    const [refSlot] = await t.oracle.getCurrentFrame();
    expect(first).to.match(
      new RegExp(
        `Submitted the report for slot ${refSlot} as ${m1.address} \\(gas \\d+\\); waiting for the quorum\\.$`,
      ),
    );
    expect(await runTask("oracle-report", { beaconUrl: url, member: "1", pool })).to.equal(
      `Member ${m1.address} already submitted this report for slot ${refSlot}.`,
    );
    const second = await runTask("oracle-report", { beaconUrl: url, member: "2", pool });
    expect(second).to.match(new RegExp(`as ${m2.address} \\(gas \\d+\\); quorum reached, the report was applied\\.$`));
    expect(await t.oracle.getLastProcessedRefSlot()).to.equal(refSlot);
    expect((await t.pool.getBeaconStat())[1]).to.equal(8n);
    expect(await runTask("status", { pool })).to.include(
      "| validators per operator | #0 A: 4 running of 4 deposited; #1 B: 4 running of 4 deposited |",
    );
    // Without --member: the first account that is a member (account 1).
    expect(await runTask("oracle-report", { beaconUrl: url, pool })).to.equal(
      `Frame with reference slot ${refSlot} is processed already: nothing to do.`,
    );
  });

  it("the daemon submits once per frame and logs a failed pass instead of stopping", async function () {
    const { refSlot } = await advanceToNextFrame(local);
    const [m1] = t.oracleMembers;
    const run = async (beaconUrl: string, until: (lines: string[]) => boolean) => {
      const lines: string[] = [];
      const stop = new AbortController();
      const ctx = { beacon: await connectBeacon(beaconUrl), provider: hre.ethers.provider, contracts: t };
      const logger = createLogger({ write: (l) => lines.push(l), now: () => new Date(0) });
      const done = runDaemon(ctx, m1, { intervalMs: 5, signal: stop.signal, logger });
      while (!until(lines)) await new Promise((resolve) => setTimeout(resolve, 5));
      stop.abort();
      await done;
      return lines;
    };
    const failed = await run("http://127.0.0.1:1", (lines) => lines.length >= 2);
    const failure = `^1970-01-01T00:00:00Z ERROR pass failed ref_slot=${refSlot} source=beacon error=`;
    expect(failed[0]).to.match(new RegExp(failure));
    expect(failed[1]).to.match(new RegExp(failure));
    const lines = await run(url, (l) => l.some((x) => x.includes("submitted")));
    expect(lines[lines.length - 1]).to.match(
      new RegExp(
        `^1970-01-01T00:00:00Z INFO  report submitted: waiting for the quorum ref_slot=${refSlot} .* gas=\\d+ `,
      ),
    );
    const votes = await t.oracle.queryFilter(t.oracle.filters.ReportSubmitted(refSlot, m1.address));
    expect(votes.length).to.equal(1);
  });

  it("--daemon with --log-format json and --metrics-port: JSON lines, /metrics and /health on 127.0.0.1 until a signal stops it", async function () {
    const port = await closedPort();
    const [m1] = t.oracleMembers;
    const running = runTask("oracle-report", {
      beaconUrl: url,
      daemon: true,
      interval: "1",
      logFormat: "json",
      metricsPort: String(port),
      pool,
    });
    const health = async () =>
      fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status,
        () => 0,
      );
    while ((await health()) !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).to.include('tidepool_oracle_errors_total{source="beacon"} 0\n');
    process.emit("SIGINT");
    const lines = (await running).split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const line of lines) expect(line.ts).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(lines[0]).to.include({
      level: "info",
      msg: "oracle daemon started (Ctrl-C stops)",
      member: m1.address,
      beacon: url,
      interval_s: 1,
    });
    expect(lines[1]).to.include({ msg: "serving metrics and health", metrics: `http://127.0.0.1:${port}/metrics` });
    expect(lines[2]).to.include({
      level: "info",
      msg: "already voted: waiting for the quorum",
      voted: "yes",
      validators: 8,
    });
    expect(lines[lines.length - 1]).to.include({ msg: "oracle daemon stopped" });
    expect(await health()).to.equal(0); // the server is closed
  });

  it("the daemon's options: bad values and use without --daemon give one-line errors", async function () {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const { port } = busy.address() as net.AddressInfo;
    try {
      expect(await taskError("oracle-report", { beaconUrl: url, daemon: true, logFormat: "xml", pool })).to.equal(
        '--log-format must be text or json, got "xml"',
      );
      expect(await taskError("oracle-report", { beaconUrl: url, daemon: true, metricsPort: "0", pool })).to.equal(
        '--metrics-port must be an integer of at least 1, got "0"',
      );
      expect(await taskError("oracle-report", { beaconUrl: url, daemon: true, metricsPort: "65536", pool })).to.equal(
        '--metrics-port must be a port number (1 to 65535), got "65536"',
      );
      expect(await taskError("oracle-report", { beaconUrl: url, daemon: true, warningSlots: "x", pool })).to.equal(
        '--warning-slots must be an integer of at least 1, got "x"',
      );
      expect(await taskError("oracle-report", { beaconUrl: url, metricsPort: "9100", pool })).to.equal(
        "--metrics-port is for the daemon: add --daemon",
      );
      expect(await taskError("oracle-report", { beaconUrl: url, logFormat: "json", pool })).to.equal(
        "--log-format is for the daemon: add --daemon",
      );
      expect(
        await taskError("oracle-report", { beaconUrl: url, daemon: true, metricsPort: String(port), pool }),
      ).to.equal(`port ${port} on 127.0.0.1 is in use: stop what listens there, or choose another --metrics-port`);
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  it("bad arguments and an unreachable beacon node give one-line errors", async function () {
    expect(await taskError("oracle-report", { pool })).to.equal(
      "--beacon-url (or BEACON_URL) is required: the Beacon API to read, e.g. http://127.0.0.1:5052",
    );
    expect(await taskError("oracle-report", { beaconUrl: "ftp://example.org", pool })).to.equal(
      '--beacon-url must be an http(s) URL, got "ftp://example.org"',
    );
    expect(await taskError("oracle-report", { beaconUrl: url, interval: "0", pool })).to.equal(
      '--interval must be an integer of at least 1, got "0"',
    );
    expect(await taskError("oracle-report", { beaconUrl: url, member: "0", pool })).to.equal(
      `account 0 (${t.admin.address}) is not an oracle member`,
    );
    expect(await taskError("oracle-report", { beaconUrl: url, member: "x", pool })).to.equal(
      '--member must be an integer of at least 0, got "x"',
    );
    expect(await taskError("oracle-report", { beaconUrl: "http://127.0.0.1:1", pool })).to.match(
      /^cannot read the Beacon API at http:\/\/127\.0\.0\.1:1: /,
    );
  });
});
