/**
 * The oracle daemon as an operator sees it (issue 18): one log line per pass with the frame, its
 * deadline, what it saw and did and the next frame; a warning as the deadline nears without quorum;
 * errors counted by the node that failed; Prometheus metrics and /health over HTTP. One member's
 * daemon runs its passes on the local chains, in process; the clock it reads is set to the chain's time
 * (plus a lag where a test says so), so every line is known exactly.
 */
import { getEventListeners } from "node:events";
import { expect } from "chai";
import hre from "hardhat";
import type { Tidepool } from "../../deploy/protocol";
import { FINALITY_DELAY_SLOTS, advanceToNextFrame, type LocalBeacon } from "../../offchain/beacon/local";
import { createLogger, ethValue, gweiEth, utcSeconds } from "../../offchain/log";
import { startMetricsServer, type MetricsServer } from "../../offchain/metrics";
import { connectBeacon, type BeaconReader } from "../../offchain/oracle/beacon";
import { buildFrameReport, type BuiltReport } from "../../offchain/oracle/report";
import { OracleDaemon, reportOnce, runDaemon } from "../../offchain/oracle/service";
import { deployWithBeacon } from "../helpers/beacon-fixtures";

const SLOT_SECONDS = 12n;

describe("Oracle daemon: log lines, metrics and health on the local chains", function () {
  let t: Tidepool;
  let local: LocalBeacon;
  let real: BeaconReader;
  let down: BeaconReader;
  let beaconUp = true;
  let nowMs = 0;
  let daemon: OracleDaemon;
  let server: MetricsServer;
  let genesis: bigint;
  let slotsPerFrame: bigint;
  let deadlineSlots: bigint;
  const lines: string[] = [];

  before(async function () {
    ({ t, local } = await deployWithBeacon());
    real = await connectBeacon(local.api.url);
    down = await connectBeacon("http://127.0.0.1:1");
    const pick = () => (beaconUp ? real : down);
    // The member's beacon node, which a test can take down.
    const beacon: BeaconReader = {
      genesisTime: () => pick().genesisTime(),
      spec: () => pick().spec(),
      finalizedEpoch: () => pick().finalizedEpoch(),
      headSlot: () => pick().headSlot!(),
      blockSlotAtOrBefore: (slot) => pick().blockSlotAtOrBefore(slot),
      validators: (slot, pubkeys) => pick().validators(slot, pubkeys),
    };
    const logger = createLogger({ write: (l) => lines.push(l), now: () => new Date(nowMs) });
    daemon = new OracleDaemon({ beacon, provider: hre.ethers.provider, contracts: t }, t.oracleMembers[0], {
      intervalMs: 60_000,
      logger,
      now: () => nowMs,
    });
    server = await startMetricsServer({ port: 0, registry: daemon.metrics.registry, health: () => daemon.health() });
    const [g, epochsPerFrame, d] = await t.oracle.getFrameConfig();
    [genesis, slotsPerFrame, deadlineSlots] = [g, epochsPerFrame * 32n, d];
  });

  afterEach(async function () {
    beaconUp = true;
    if (await t.oracle.reportsPaused()) await (await t.oracle.connect(t.admin).resumeReports()).wait();
  });

  after(async function () {
    await server?.close();
    await local?.close();
  });

  const chainTime = async () => local.bridge.latestTimestamp();
  const slotUtc = (slot: bigint) => utcSeconds(new Date(Number(genesis + slot * SLOT_SECONDS) * 1000));
  const ts = () => utcSeconds(new Date(nowMs));

  /** One pass with the clock at the chain's time plus `lagSlots`; the lines it wrote. */
  async function pass(lagSlots = 0n): Promise<string[]> {
    lines.length = 0;
    nowMs = Number((await chainTime()) + lagSlots * SLOT_SECONDS) * 1000;
    await daemon.pass();
    return [...lines];
  }

  /** The frame fields of a pass line: the current frame, its deadline, slots left, what the member saw. */
  async function frameText(seen: { voted: boolean; votes: bigint; applied: boolean }): Promise<string> {
    const [refSlot, deadline] = await t.oracle.getCurrentFrame();
    const slot = ((await chainTime()) - genesis) / SLOT_SECONDS;
    return (
      `ref_slot=${refSlot} deadline=${slotUtc(deadline)} slots_left=${deadline - slot} ` +
      `voted=${seen.voted ? "yes" : "no"} votes=${seen.votes}/${await t.oracle.quorum()} applied=${seen.applied ? "yes" : "no"}`
    );
  }

  async function nextText(): Promise<string> {
    const [refSlot] = await t.oracle.getCurrentFrame();
    const next = refSlot + slotsPerFrame;
    return `next_ref_slot=${next} next_deadline=${slotUtc(next + deadlineSlots)}`;
  }

  function figures(built: BuiltReport): string {
    const d = built.data;
    return (
      `validators=${d.numValidators} cl_balance_eth=${gweiEth(BigInt(d.clBalanceGwei))} ` +
      `withdrawal_vault_eth=${ethValue(BigInt(d.withdrawalVaultBalance))} ` +
      `el_rewards_vault_eth=${ethValue(BigInt(d.elRewardsVaultBalance))} finalize_to=${d.lastRequestIdToFinalize} ` +
      `bunker=${d.isBunkerMode} losses=${d.operatorIdsWithLosses.length} exits_requested=${d.exitOperatorIds.length} ` +
      `exited_updates=${d.exitedKeys.length}`
    );
  }

  async function built(): Promise<BuiltReport> {
    return (await buildFrameReport({ beacon: real, provider: hre.ethers.provider, contracts: t }))!;
  }

  /** The samples of /metrics, by name with labels. */
  async function metrics(): Promise<Map<string, string>> {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const samples = new Map<string, string>();
    for (const line of text.split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      const at = line.lastIndexOf(" ");
      samples.set(line.slice(0, at), line.slice(at + 1));
    }
    return samples;
  }

  async function health(): Promise<[number, unknown]> {
    const res = await fetch(`${server.url}/health`);
    return [res.status, await res.json()];
  }

  it("before any pass /health is 503: no pass has succeeded yet", async function () {
    expect(await health()).to.deep.equal([503, { status: "degraded", reasons: ["no pass has succeeded yet"] }]);
  });

  it("waits for the reference slot to be final and says so, with the frame, its deadline and the next; the head lag in slots", async function () {
    const slot = ((await chainTime()) - genesis) / SLOT_SECONDS;
    const frameStart = (slot / slotsPerFrame + 1n) * slotsPerFrame;
    await local.bridge.advanceTo(genesis + (frameStart + 1n) * SLOT_SECONDS);
    const finalized = await real.finalizedEpoch();
    const frame = await frameText({ voted: false, votes: 0n, applied: false });
    // The clock 5 slots ahead of the execution head.
    expect(await pass(5n)).to.deep.equal([
      `${ts()} INFO  waiting for the reference slot to be final ${frame} finalized_epoch=${finalized} ${await nextText()}`,
    ]);
    const wallSlot = BigInt(nowMs / 1000) / SLOT_SECONDS - genesis / SLOT_SECONDS;
    const m = await metrics();
    expect(m.get('tidepool_oracle_head_lag_slots{source="execution"}')).to.equal("5");
    expect(m.get('tidepool_oracle_head_lag_slots{source="beacon"}')).to.equal(String(wallSlot - local.chain.headSlot));
    expect(m.get("tidepool_oracle_frame_applied")).to.equal("0");
    // The reference slot is the slot before the frame's start; the head is one slot after it.
    expect(m.get("tidepool_oracle_frame_deadline_slots_left")).to.equal(String(deadlineSlots - 2n));
    expect(m.get("tidepool_oracle_last_success_timestamp_seconds")).to.equal(String(nowMs / 1000));
    expect(await health()).to.deep.equal([200, { status: "ok", reasons: [] }]);
  });

  it("submits once final: a line with the report's figures in ETH and the transaction; then already voted; then applied by the quorum", async function () {
    // The same frame, once its reference slot is final.
    const [refSlot] = await t.oracle.getCurrentFrame();
    await local.bridge.advanceTo(genesis + (refSlot + 1n + FINALITY_DELAY_SLOTS) * SLOT_SECONDS);
    const report = await built();
    const before = await frameText({ voted: false, votes: 0n, applied: false });
    const out = await pass();
    const [vote] = await t.oracle.queryFilter(t.oracle.filters.ReportSubmitted(refSlot, t.oracleMembers[0].address));
    const receipt = (await vote.getTransactionReceipt())!;
    expect(out).to.deep.equal([
      `${ts()} INFO  report submitted: waiting for the quorum ${before} ${figures(report)} ` +
        `tx=${receipt.hash} gas=${receipt.gasUsed} ${await nextText()}`,
    ]);
    expect(report.data.numValidators).to.equal(8n);
    let m = await metrics();
    expect(m.get('tidepool_oracle_submissions_total{result="ok"}')).to.equal("1");
    expect(m.get('tidepool_oracle_submissions_total{result="reverted"}')).to.equal("0");
    expect(m.get("tidepool_oracle_last_submission_timestamp_seconds")).to.equal(String(nowMs / 1000));
    expect(m.get("tidepool_oracle_last_report_ref_slot")).to.equal("0");

    const voted = await frameText({ voted: true, votes: 1n, applied: false });
    expect(await pass()).to.deep.equal([
      `${ts()} INFO  already voted: waiting for the quorum ${voted} ${figures(report)} ${await nextText()}`,
    ]);
    const second = await reportOnce({ beacon: real, provider: hre.ethers.provider, contracts: t }, t.oracleMembers[1]);
    expect(second.status === "submitted" && second.applied).to.equal(true);
    const applied = await frameText({ voted: true, votes: 2n, applied: true });
    expect(await pass()).to.deep.equal([`${ts()} INFO  frame applied: nothing to do ${applied} ${await nextText()}`]);
    m = await metrics();
    expect(m.get('tidepool_oracle_submissions_total{result="ok"}')).to.equal("1");
    expect(m.get("tidepool_oracle_last_report_ref_slot")).to.equal(String(refSlot));
    expect(m.get("tidepool_oracle_frame_applied")).to.equal("1");
    expect(m.get("tidepool_oracle_frames_missed_total")).to.equal("0");
  });

  it("warns when the deadline is within a quarter of the report window and the quorum is not reached (or within --warning-slots)", async function () {
    await advanceToNextFrame(local);
    const [refSlot, deadline] = await t.oracle.getCurrentFrame();
    expect((await pass())[0]).to.match(/ INFO {2}report submitted: waiting for the quorum /);
    // Far from the deadline: no warning.
    await local.bridge.advanceTo(genesis + (deadline - deadlineSlots / 4n - 1n) * SLOT_SECONDS);
    expect(await pass()).to.have.length(1);
    await local.bridge.advanceTo(genesis + (deadline - 100n) * SLOT_SECONDS);
    const report = await built();
    const voted = await frameText({ voted: true, votes: 1n, applied: false });
    expect(await pass()).to.deep.equal([
      `${ts()} INFO  already voted: waiting for the quorum ${voted} ${figures(report)} ${await nextText()}`,
      `${ts()} WARN  deadline near without quorum ref_slot=${refSlot} deadline=${slotUtc(deadline)} slots_left=100 warning_slots=${deadlineSlots / 4n}`,
    ]);
    expect((await metrics()).get("tidepool_oracle_frame_deadline_slots_left")).to.equal("100");
    // With a margin of 50 slots, 100 slots left is no warning yet.
    const quiet: string[] = [];
    const narrow = new OracleDaemon({ beacon: real, provider: hre.ethers.provider, contracts: t }, t.oracleMembers[0], {
      intervalMs: 60_000,
      warningSlots: 50n,
      logger: createLogger({ write: (l) => quiet.push(l) }),
    });
    await narrow.pass();
    expect(quiet).to.have.length(1);
    expect(quiet[0]).to.match(/ INFO {2}already voted: waiting for the quorum /);
    // The second member applies it: no warning any more.
    await reportOnce({ beacon: real, provider: hre.ethers.provider, contracts: t }, t.oracleMembers[1]);
    const after = await pass();
    expect(after).to.have.length(1);
    expect(after[0]).to.match(/ INFO {2}frame applied: nothing to do /);
  });

  it("a beacon node that is down: one ERROR line per pass, errors_total{source=beacon} counts, /health is 503; a frame that passes without a vote is missed", async function () {
    const { refSlot } = await advanceToNextFrame(local);
    const lastOk = Number((await metrics()).get("tidepool_oracle_last_success_timestamp_seconds"));
    beaconUp = false;
    const failed = await pass();
    expect(failed).to.have.length(1);
    expect(failed[0]).to.match(new RegExp(`^${ts()} ERROR pass failed ref_slot=${refSlot} source=beacon error=\\S`));
    const error = failed[0].slice(failed[0].indexOf("error=") + "error=".length);
    let m = await metrics();
    expect(m.get('tidepool_oracle_errors_total{source="beacon"}')).to.equal("1");
    expect(m.get('tidepool_oracle_errors_total{source="execution"}')).to.equal("0");
    expect(m.get("tidepool_oracle_frames_missed_total")).to.equal("0");
    const [status, body] = await health();
    expect(status).to.equal(503);
    expect(body).to.deep.equal({
      status: "degraded",
      reasons: [
        // The clock follows the chain, which moved a frame ahead since the last pass.
        `the last successful pass was ${nowMs / 1000 - lastOk} s ago, more than 3 intervals (180 s)`,
        `the last pass failed: beacon node: ${error.startsWith('"') ? JSON.parse(error) : error}`,
      ],
    });

    // The next frame comes with the node still down: the frame passed without this member's vote.
    const next = await advanceToNextFrame(local);
    const missed = await pass();
    expect(missed).to.have.length(2);
    expect(missed[0]).to.equal(
      `${ts()} WARN  frame missed: its deadline passed without this member's vote ref_slot=${refSlot} deadline_slot=${refSlot + deadlineSlots}`,
    );
    expect(missed[1]).to.match(new RegExp(`^${ts()} ERROR pass failed ref_slot=${next.refSlot} source=beacon `));
    m = await metrics();
    expect(m.get("tidepool_oracle_frames_missed_total")).to.equal("1");
    expect(m.get('tidepool_oracle_errors_total{source="beacon"}')).to.equal("2");

    // The node is back: the member votes, /health is ok again.
    beaconUp = true;
    expect((await pass())[0]).to.match(/ INFO {2}report submitted: waiting for the quorum /);
    expect(await health()).to.deep.equal([200, { status: "ok", reasons: [] }]);
    m = await metrics();
    expect(m.get('tidepool_oracle_submissions_total{result="ok"}')).to.equal("3");
    expect(m.get('tidepool_oracle_errors_total{source="beacon"}')).to.equal("2");
    // Three intervals without a successful pass: 503.
    nowMs += 181_000;
    expect(await health()).to.deep.equal([
      503,
      { status: "degraded", reasons: ["the last successful pass was 181 s ago, more than 3 intervals (180 s)"] },
    ]);
    await reportOnce({ beacon: real, provider: hre.ethers.provider, contracts: t }, t.oracleMembers[1]);
  });

  it("a deadline that passes unapplied after this member's vote is not its miss; a frame past its deadline is not reported, nor counted by a daemon started after it", async function () {
    await advanceToNextFrame(local);
    const [refSlot, deadline] = await t.oracle.getCurrentFrame();
    expect((await pass())[0]).to.match(/ INFO {2}report submitted: waiting for the quorum /);
    expect(deadline).to.be.lessThan(refSlot + slotsPerFrame); // a window between the deadline and the next frame
    await local.bridge.advanceTo(genesis + (deadline + 1n) * SLOT_SECONDS);
    const seen = await frameText({ voted: true, votes: 1n, applied: false });
    expect(await pass()).to.deep.equal([
      `${ts()} INFO  deadline passed: the frame can no longer be reported ${seen} ${await nextText()}`,
    ]);
    // A daemon started now finds the deadline passed before it ran: not its miss either.
    const fresh: string[] = [];
    const started = new OracleDaemon(
      { beacon: real, provider: hre.ethers.provider, contracts: t },
      t.oracleMembers[2],
      {
        intervalMs: 60_000,
        logger: createLogger({ write: (l) => fresh.push(l), now: () => new Date(nowMs) }),
      },
    );
    await started.pass();
    expect(fresh).to.deep.equal([
      `${ts()} INFO  deadline passed: the frame can no longer be reported ${await frameText({ voted: false, votes: 1n, applied: false })} ${await nextText()}`,
    ]);
    expect(started.metrics.framesMissed.get()).to.equal(0);
    await advanceToNextFrame(local);
    const out = await pass();
    expect(out).to.have.length(1);
    expect(out[0]).to.match(/ INFO {2}report submitted: waiting for the quorum /);
    expect((await metrics()).get("tidepool_oracle_frames_missed_total")).to.equal("1");
    await reportOnce({ beacon: real, provider: hre.ethers.provider, contracts: t }, t.oracleMembers[1]);
  });

  it("a submission that reverts: an ERROR line in the contract's words and submissions_total{result=reverted}", async function () {
    await advanceToNextFrame(local);
    const [refSlot] = await t.oracle.getCurrentFrame();
    const lastOk = Number((await metrics()).get("tidepool_oracle_last_success_timestamp_seconds"));
    await (await t.oracle.connect(t.pauser).pauseReports()).wait();
    expect(await pass()).to.deep.equal([
      `${ts()} ERROR submission reverted ref_slot=${refSlot} error="Oracle reports are paused right now. (ReportsPaused)"`,
    ]);
    const m = await metrics();
    expect(m.get('tidepool_oracle_submissions_total{result="reverted"}')).to.equal("1");
    expect(m.get('tidepool_oracle_errors_total{source="execution"}')).to.equal("0");
    expect(await health()).to.deep.equal([
      503,
      {
        status: "degraded",
        reasons: [
          `the last successful pass was ${nowMs / 1000 - lastOk} s ago, more than 3 intervals (180 s)`,
          "the last pass failed: the submission reverted: Oracle reports are paused right now. (ReportsPaused)",
        ],
      },
    ]);
  });

  it("runDaemon with a metrics port: says where it serves, passes on its interval, and /metrics and /health answer meanwhile", async function () {
    const out: string[] = [];
    const stop = new AbortController();
    let url = "";
    // Passes 250 ms apart: the health check's window (3 intervals) is wider than a pass takes.
    const done = runDaemon({ beacon: real, provider: hre.ethers.provider, contracts: t }, t.oracleMembers[0], {
      intervalMs: 250,
      signal: stop.signal,
      metricsPort: 0,
      onServer: (s) => (url = s.url),
      logger: createLogger({ format: "json", write: (l) => out.push(l) }),
    });
    while (out.filter((l) => l.includes("already voted")).length < 3) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // One listener on the signal at most, however many intervals have gone by.
    expect(getEventListeners(stop.signal, "abort").length).to.be.at.most(1);
    const first = JSON.parse(out[0]) as Record<string, unknown>;
    expect(first).to.include({ level: "info", msg: "serving metrics and health", metrics: `${url}/metrics` });
    const submitted = JSON.parse(out.find((l) => l.includes("report submitted"))!) as Record<string, unknown>;
    const [refSlot] = await t.oracle.getCurrentFrame();
    expect(submitted).to.include({ level: "info", ref_slot: Number(refSlot), voted: "no", applied: "no" });
    expect(submitted.tx).to.match(/^0x[0-9a-f]{64}$/);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).to.include('tidepool_oracle_submissions_total{result="ok"} 1\n');
    const res = await fetch(`${url}/health`);
    expect([res.status, await res.json()]).to.deep.equal([200, { status: "ok", reasons: [] }]);
    stop.abort();
    await done;
    await fetch(`${url}/health`).then(
      () => expect.fail("the server should be closed"),
      (error: Error) => expect(error.message).to.equal("fetch failed"),
    );
  });
});
