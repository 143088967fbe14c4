/**
 * An oracle committee member: builds the current frame's report once the reference slot is final and
 * submits it (unless this member already voted for the same report). Exited validators reach the
 * registry through the report itself, by the committee's quorum. `reportOnce` does one pass;
 * `OracleDaemon` does passes that an operator can watch (one log line each, a warning as the deadline
 * nears without quorum, Prometheus metrics and a health check), and `runDaemon` repeats them until
 * stopped. docs/oracle.md describes the log lines and the metrics.
 */
import { isError, type Signer, type TransactionReceipt } from "ethers";
import { toSdkError } from "../../sdk/src/errors";
import { reportHash } from "../../sdk/src/report";
import { createLogger, ethValue, gweiEth, utcSeconds, type LogFields, type Logger } from "../log";
import { MetricsRegistry, startMetricsServer, type Health, type MetricsServer } from "../metrics";
import type { BeaconReader } from "./beacon";
import { sendTransaction, type SendOptions } from "../tx";
import { KeyIndex } from "./key-index";
import { blockAtOrBefore, buildFrameReport, type BuiltReport, type ReportContext } from "./report";

export type PassOutcome =
  | { status: "frame-processed"; refSlot: bigint }
  | { status: "waiting-for-finality"; refSlot: bigint; finalizedEpoch: bigint }
  | { status: "already-voted"; report: BuiltReport }
  | { status: "submitted"; report: BuiltReport; receipt: TransactionReceipt; applied: boolean };

/** What a pass finds before submitting: nothing to do, or a report this member has not voted for. */
export type Prepared = Exclude<PassOutcome, { status: "submitted" }> | { status: "ready"; report: BuiltReport };

/** Builds the current frame's report for `member` once its reference slot is final, unless nothing is to be done. */
export async function prepareReport(ctx: ReportContext, member: Signer): Promise<Prepared> {
  const { oracle } = ctx.contracts;
  const [refSlot] = await oracle.getCurrentFrame();
  if ((await oracle.getLastProcessedRefSlot()) >= refSlot) return { status: "frame-processed", refSlot };
  const spec = await ctx.beacon.spec();
  const finalizedEpoch = await ctx.beacon.finalizedEpoch();
  if (finalizedEpoch * spec.slotsPerEpoch <= refSlot) {
    return { status: "waiting-for-finality", refSlot, finalizedEpoch };
  }

  const report = await buildFrameReport(ctx);
  if (!report) return { status: "frame-processed", refSlot };
  await ctx.index?.save(); // what the report learnt, for the next run
  const hash = reportHash(report.data);
  const address = await member.getAddress();
  const mine = await oracle.queryFilter(oracle.filters.ReportSubmitted(refSlot, address), report.executionBlock);
  if (mine.length > 0 && mine[mine.length - 1].args.reportHash === hash) return { status: "already-voted", report };
  return { status: "ready", report };
}

/** Submits `report` as `member`; whether that vote reached the quorum (the report was applied). */
export async function submitReport(
  ctx: ReportContext,
  member: Signer,
  report: BuiltReport,
  send: SendOptions = {},
): Promise<{ receipt: TransactionReceipt; applied: boolean }> {
  const { oracle } = ctx.contracts;
  // As a service on a real network sends (offchain/tx.ts): estimated first, confirmed, sent again
  // with the same nonce and higher fees if the broadcast is not mined in time.
  const data = oracle.interface.encodeFunctionData("submitReport", [report.data]);
  const receipt = await sendTransaction(member, { to: await oracle.getAddress(), data }, send);
  return { receipt, applied: (await oracle.getLastProcessedRefSlot()) === report.refSlot };
}

/** The report's key figures, in ETH (the beacon chain's gwei converted): for logs. */
export function reportFigures(report: BuiltReport): LogFields {
  const d = report.data;
  return {
    validators: BigInt(d.numValidators),
    cl_balance_eth: gweiEth(BigInt(d.clBalanceGwei)),
    withdrawal_vault_eth: ethValue(BigInt(d.withdrawalVaultBalance)),
    el_rewards_vault_eth: ethValue(BigInt(d.elRewardsVaultBalance)),
    finalize_to: BigInt(d.lastRequestIdToFinalize),
    bunker: d.isBunkerMode,
    losses: d.operatorIdsWithLosses.length,
    exits_requested: d.exitOperatorIds.length,
    exited_updates: d.exitedKeys.length,
  };
}

function fieldsText(fields: LogFields): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
}

/** One pass for `member`: build the current frame's report and submit it if needed. */
export async function reportOnce(
  ctx: ReportContext,
  member: Signer,
  log: (line: string) => void = () => {},
  send: SendOptions = {},
): Promise<PassOutcome> {
  const prepared = await prepareReport(ctx, member);
  if (prepared.status !== "ready") return prepared;
  const { report } = prepared;
  log(`Report for slot ${report.refSlot}: ${fieldsText(reportFigures(report))}`);
  const { receipt, applied } = await submitReport(ctx, member, report, send);
  return { status: "submitted", report, receipt, applied };
}

// ─────────────────────────────── The daemon ───────────────────────────────

/** Where a failed pass's error came from: the beacon node, or the execution node (and the contracts on it). */
export type ErrorSource = "beacon" | "execution";

/** An error from the Beacon API (the reader's calls are tagged by {@link tagBeacon}). */
export class BeaconError extends Error {}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

/** `beacon` whose failures are {@link BeaconError}s, so that a pass can tell which node failed. */
export function tagBeacon(beacon: BeaconReader): BeaconReader {
  const tag =
    <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await f(...args);
      } catch (error) {
        throw error instanceof BeaconError ? error : new BeaconError(firstLine(error), { cause: error });
      }
    };
  const headSlot = beacon.headSlot;
  return {
    genesisTime: tag(() => beacon.genesisTime()),
    spec: tag(() => beacon.spec()),
    finalizedEpoch: tag(() => beacon.finalizedEpoch()),
    headSlot: headSlot ? tag(() => headSlot.call(beacon)) : undefined,
    blockSlotAtOrBefore: tag((slot: bigint) => beacon.blockSlotAtOrBefore(slot)),
    validators: tag((slot: bigint, ids: readonly (number | string)[]) => beacon.validators(slot, ids)),
  };
}

/** Which node an error came from. The report builder's "the beacon node has no state …" is the beacon's too. */
export function errorSource(error: unknown): ErrorSource {
  if (error instanceof BeaconError) return "beacon";
  return /^the beacon node /.test(firstLine(error)) ? "beacon" : "execution";
}

/** The oracle daemon's metrics (docs/oracle.md lists them with what to alert on). */
export class OracleMetrics {
  readonly registry = new MetricsRegistry();
  readonly lastReportRefSlot = this.registry.gauge(
    "tidepool_oracle_last_report_ref_slot",
    "Reference slot of the last report applied on chain (the oracle's last processed frame).",
  );
  readonly lastSubmission = this.registry.gauge(
    "tidepool_oracle_last_submission_timestamp_seconds",
    "Unix time of this member's last report submission that succeeded (0: none since start).",
  );
  readonly lastSuccess = this.registry.gauge(
    "tidepool_oracle_last_success_timestamp_seconds",
    "Unix time of the last pass that completed without an error (0: none since start).",
  );
  readonly framesMissed = this.registry.counter(
    "tidepool_oracle_frames_missed_total",
    "Frames whose report deadline passed with neither this member's vote nor the report applied, as this daemon saw them.",
  );
  readonly frameSlotsLeft = this.registry.gauge(
    "tidepool_oracle_frame_deadline_slots_left",
    "Slots from the execution head to the current frame's report deadline (negative once it has passed).",
  );
  readonly frameApplied = this.registry.gauge(
    "tidepool_oracle_frame_applied",
    "1 when the current frame's report has been applied (the quorum was reached), else 0.",
  );
  readonly headLag = this.registry.gauge(
    "tidepool_oracle_head_lag_slots",
    "Slots the node's head is behind the wall clock's slot (0 when it is not behind).",
  );
  readonly errors = this.registry.counter(
    "tidepool_oracle_errors_total",
    "Failed passes by the node that failed: the beacon node or the execution node.",
  );
  readonly submissions = this.registry.counter(
    "tidepool_oracle_submissions_total",
    "Report submissions by result: ok (mined) or reverted.",
  );

  constructor() {
    this.lastSubmission.set(0);
    this.lastSuccess.set(0);
    this.framesMissed.init();
    this.errors.init({ source: "beacon" }).init({ source: "execution" });
    this.submissions.init({ result: "ok" }).init({ result: "reverted" });
  }
}

export interface DaemonOptions {
  /** Milliseconds between passes (also the unit of the health check: ok within 3 intervals). */
  intervalMs: number;
  signal?: AbortSignal;
  /** Where lines go (default: text lines on stdout). */
  logger?: Logger;
  /** Warn from this many slots before the deadline of a frame not yet applied (default: a quarter of the report window). */
  warningSlots?: bigint;
  /** The metrics to update (default: new ones). */
  metrics?: OracleMetrics;
  /** The clock, in milliseconds (default: Date.now): the head lag and the health check read it. */
  now?: () => number;
  /** How submissions are sent: confirmations, rebroadcasts (offchain/tx.ts; default: its defaults). */
  send?: SendOptions;
}

/** The current frame as the execution chain sees it, and what this member has done in it. */
interface FrameView {
  refSlot: bigint;
  deadlineSlot: bigint;
  slotsPerFrame: bigint;
  deadlineSlots: bigint;
  genesisTime: bigint;
  /** The deployment's seconds per slot (the oracle's SECONDS_PER_SLOT: 12, or a devnet's). */
  secondsPerSlot: bigint;
  /** The slot of the execution head's timestamp: the slot the contract checks the deadline against. */
  currentSlot: bigint;
  lastProcessedRefSlot: bigint;
  applied: boolean;
  /** Votes for the leading report variant of this frame, and the quorum. */
  support: bigint;
  quorum: bigint;
  voted: boolean;
}

/** A frame this daemon has seen: done once this member voted or the report was applied. */
interface Tracked {
  refSlot: bigint;
  deadlineSlot: bigint;
  done: boolean;
  missed: boolean;
}

const yesNo = (b: boolean) => (b ? "yes" : "no");

/** Passes of one oracle member, each logged as one line, with metrics and a health check. */
export class OracleDaemon {
  readonly metrics: OracleMetrics;
  private readonly ctx: ReportContext;
  private readonly log: Logger;
  private readonly now: () => number;
  private tracked?: Tracked;
  /** The execution block of a frame's reference slot, where to look for this member's votes. */
  private refBlock?: { refSlot: bigint; block: number };
  private lastSuccessMs?: number;
  private lastFailure?: string;

  constructor(
    ctx: ReportContext,
    private readonly member: Signer,
    private readonly options: DaemonOptions,
  ) {
    this.ctx = { ...ctx, beacon: tagBeacon(ctx.beacon), index: ctx.index ?? new KeyIndex() };
    this.log = options.logger ?? createLogger();
    this.metrics = options.metrics ?? new OracleMetrics();
    this.now = options.now ?? Date.now;
  }

  /** ok while the last pass succeeded and did so within 3 intervals; degraded otherwise, with the reasons. */
  health(): Health {
    const reasons: string[] = [];
    const window = 3 * this.options.intervalMs;
    if (this.lastSuccessMs === undefined) reasons.push("no pass has succeeded yet");
    else if (this.now() - this.lastSuccessMs > window) {
      reasons.push(
        `the last successful pass was ${Math.floor((this.now() - this.lastSuccessMs) / 1000)} s ago, more than 3 intervals (${window / 1000} s)`,
      );
    }
    if (this.lastFailure !== undefined) reasons.push(`the last pass failed: ${this.lastFailure}`);
    return { status: reasons.length === 0 ? "ok" : "degraded", reasons };
  }

  /** One pass; never throws: a failure is one ERROR line, counted by the node that failed. */
  async pass(): Promise<void> {
    let frame: FrameView | undefined;
    let submitting = false;
    try {
      frame = await this.readFrame();
      this.trackMissed(frame);
      await this.readHeadLag(frame);
      const fields: LogFields = { ...this.frameFields(frame) };
      let msg: string;
      let appliedAfter = frame.applied;
      if (frame.applied) msg = "frame applied: nothing to do";
      else if (frame.currentSlot > frame.deadlineSlot) msg = "deadline passed: the frame can no longer be reported";
      else {
        const prepared = await prepareReport(this.ctx, this.member);
        if (prepared.status === "frame-processed") {
          msg = "frame applied: nothing to do";
          appliedAfter = true;
          this.markDone();
        } else if (prepared.status === "waiting-for-finality") {
          msg = "waiting for the reference slot to be final";
          fields.finalized_epoch = prepared.finalizedEpoch;
        } else if (prepared.status === "already-voted") {
          msg = "already voted: waiting for the quorum";
          Object.assign(fields, reportFigures(prepared.report));
          this.markDone();
        } else {
          submitting = true;
          const { receipt, applied } = await submitReport(this.ctx, this.member, prepared.report, this.options.send);
          submitting = false;
          this.metrics.submissions.inc({ result: "ok" });
          this.metrics.lastSubmission.set(Math.floor(this.now() / 1000));
          this.markDone();
          appliedAfter = applied;
          msg = applied ? "report submitted: quorum reached, applied" : "report submitted: waiting for the quorum";
          Object.assign(fields, reportFigures(prepared.report), { tx: receipt.hash, gas: receipt.gasUsed });
          if (applied) this.metrics.lastReportRefSlot.set(frame.refSlot);
        }
      }
      this.metrics.frameApplied.set(appliedAfter ? 1 : 0);
      this.log.info(msg, { ...fields, ...this.nextFields(frame) });
      this.warnIfLate(frame, appliedAfter);
      this.lastSuccessMs = this.now();
      this.lastFailure = undefined;
      this.metrics.lastSuccess.set(Math.floor(this.lastSuccessMs / 1000));
    } catch (error) {
      const fields: LogFields = frame ? { ref_slot: frame.refSlot } : {};
      const described = toSdkError(error);
      // A revert: ethers' CALL_EXCEPTION, or a node's error that carries a custom error of ours.
      if (submitting && (isError(error, "CALL_EXCEPTION") || described.errorName !== undefined)) {
        this.metrics.submissions.inc({ result: "reverted" });
        const reason = described.message;
        this.lastFailure = `the submission reverted: ${reason}`;
        this.log.error("submission reverted", { ...fields, error: reason });
        return;
      }
      const source = errorSource(error);
      const reason = source === "execution" ? described.message.split("\n")[0] : firstLine(error);
      this.metrics.errors.inc({ source });
      this.lastFailure = `${source} node: ${reason}`;
      this.log.error("pass failed", { ...fields, source, error: reason });
    }
  }

  private async readFrame(): Promise<FrameView> {
    const { oracle } = this.ctx.contracts;
    const [[refSlot, deadlineSlot], [genesisTime, epochsPerFrame, deadlineSlots], lastProcessedRefSlot] =
      await Promise.all([oracle.getCurrentFrame(), oracle.getFrameConfig(), oracle.getLastProcessedRefSlot()]);
    const [head, [variantsRefSlot, , support], quorum] = await Promise.all([
      this.ctx.provider.getBlock("latest"),
      oracle.getReportVariants(),
      oracle.quorum(),
    ]);
    if (!head) throw new Error("the execution node returned no latest block");
    const headTime = BigInt(head.timestamp);
    const secondsPerSlot = await oracle.SECONDS_PER_SLOT();
    const currentSlot = headTime < genesisTime ? 0n : (headTime - genesisTime) / secondsPerSlot;
    const leading = variantsRefSlot === refSlot ? support.reduce((max, s) => (s > max ? s : max), 0n) : 0n;
    const applied = lastProcessedRefSlot >= refSlot;
    this.metrics.lastReportRefSlot.set(lastProcessedRefSlot);
    this.metrics.frameSlotsLeft.set(deadlineSlot - currentSlot);
    this.metrics.frameApplied.set(applied ? 1 : 0);
    const view: FrameView = {
      refSlot,
      deadlineSlot,
      slotsPerFrame: epochsPerFrame * 32n,
      deadlineSlots,
      genesisTime,
      secondsPerSlot,
      currentSlot,
      lastProcessedRefSlot,
      applied,
      support: leading,
      quorum,
      voted: false,
    };
    view.voted = await this.votedIn(view);
    return view;
  }

  /** Whether this member has a vote in the frame (a `ReportSubmitted` since the reference slot's block). */
  private async votedIn(frame: FrameView): Promise<boolean> {
    const { oracle } = this.ctx.contracts;
    if (this.refBlock?.refSlot !== frame.refSlot) {
      let block: number;
      try {
        block = await blockAtOrBefore(this.ctx.provider, frame.genesisTime + frame.refSlot * frame.secondsPerSlot);
      } catch {
        block = this.ctx.fromBlock ?? 0; // the chain started after the reference slot
      }
      this.refBlock = { refSlot: frame.refSlot, block };
    }
    const address = await this.member.getAddress();
    const votes = await oracle.queryFilter(oracle.filters.ReportSubmitted(frame.refSlot, address), this.refBlock.block);
    return votes.length > 0;
  }

  /**
   * Counts the frames whose deadline passed with neither this member's vote nor the report applied:
   * the current one once its deadline is behind the head, and on a change of frame the one before and
   * any frame in between that this daemon did not see (unless it is the last one applied). A frame
   * whose deadline had passed before the daemon's first pass is not counted.
   */
  private trackMissed(frame: FrameView): void {
    const before = this.tracked;
    if (before && before.refSlot !== frame.refSlot) {
      const appliedBefore = frame.lastProcessedRefSlot === before.refSlot;
      if (!before.done && !before.missed && !appliedBefore) this.missed(before.refSlot, before.deadlineSlot);
      for (let r = before.refSlot + frame.slotsPerFrame; r < frame.refSlot; r += frame.slotsPerFrame) {
        if (r !== frame.lastProcessedRefSlot) this.missed(r, r + frame.deadlineSlots);
      }
    }
    if (!before || before.refSlot !== frame.refSlot) {
      // A frame already past its deadline at the daemon's first pass went by before it started: not counted.
      const history = !before && frame.currentSlot > frame.deadlineSlot;
      this.tracked = { refSlot: frame.refSlot, deadlineSlot: frame.deadlineSlot, done: false, missed: history };
    }
    const now = this.tracked!;
    if (frame.voted || frame.applied) now.done = true;
    if (!now.done && !now.missed && frame.currentSlot > now.deadlineSlot) {
      now.missed = true;
      this.missed(now.refSlot, now.deadlineSlot);
    }
  }

  private missed(refSlot: bigint, deadlineSlot: bigint): void {
    this.metrics.framesMissed.inc();
    this.log.warn("frame missed: its deadline passed without this member's vote", {
      ref_slot: refSlot,
      deadline_slot: deadlineSlot,
    });
  }

  private markDone(): void {
    if (this.tracked) this.tracked.done = true;
  }

  /** Lag of the execution head and the beacon head behind the wall clock's slot, in slots. */
  private async readHeadLag(frame: FrameView): Promise<void> {
    const nowSeconds = BigInt(Math.floor(this.now() / 1000));
    const wallSlot = nowSeconds < frame.genesisTime ? 0n : (nowSeconds - frame.genesisTime) / frame.secondsPerSlot;
    const lag = (head: bigint) => (wallSlot > head ? wallSlot - head : 0n);
    this.metrics.headLag.set(lag(frame.currentSlot), { source: "execution" });
    if (this.ctx.beacon.headSlot) {
      this.metrics.headLag.set(lag(await this.ctx.beacon.headSlot()), { source: "beacon" });
    }
  }

  private slotUtc(frame: FrameView, slot: bigint): string {
    return utcSeconds(new Date(Number(frame.genesisTime + slot * frame.secondsPerSlot) * 1000));
  }

  /** The frame, its deadline and what this member saw: voted, the leading variant's votes, applied. */
  private frameFields(frame: FrameView): LogFields {
    return {
      ref_slot: frame.refSlot,
      deadline: this.slotUtc(frame, frame.deadlineSlot),
      slots_left: frame.deadlineSlot - frame.currentSlot,
      voted: yesNo(frame.voted),
      votes: `${frame.support}/${frame.quorum}`,
      applied: yesNo(frame.applied),
    };
  }

  private nextFields(frame: FrameView): LogFields {
    const next = frame.refSlot + frame.slotsPerFrame;
    return { next_ref_slot: next, next_deadline: this.slotUtc(frame, next + frame.deadlineSlots) };
  }

  /** A WARN line when the frame is not applied and its deadline is within the margin. */
  private warnIfLate(frame: FrameView, applied: boolean): void {
    const margin = this.options.warningSlots ?? frame.deadlineSlots / 4n;
    const left = frame.deadlineSlot - frame.currentSlot;
    if (applied || left < 0n || left > margin) return;
    this.log.warn("deadline near without quorum", {
      ref_slot: frame.refSlot,
      deadline: this.slotUtc(frame, frame.deadlineSlot),
      slots_left: left,
      warning_slots: margin,
    });
  }
}

/**
 * Runs a pass every `intervalMs` until `signal` aborts; a failed pass is logged and the next one
 * runs on time. With `metricsPort`, serves `/metrics` and `/health` on 127.0.0.1 meanwhile.
 */
export async function runDaemon(
  ctx: ReportContext,
  member: Signer,
  options: DaemonOptions & { metricsPort?: number; onServer?: (server: MetricsServer) => void },
): Promise<void> {
  const daemon = new OracleDaemon(ctx, member, options);
  const log = options.logger ?? createLogger();
  let server: MetricsServer | undefined;
  if (options.metricsPort !== undefined) {
    server = await startMetricsServer({
      port: options.metricsPort,
      registry: daemon.metrics.registry,
      health: () => daemon.health(),
    });
    log.info("serving metrics and health", { metrics: `${server.url}/metrics`, health: `${server.url}/health` });
    options.onServer?.(server);
  }
  try {
    while (!options.signal?.aborted) {
      await daemon.pass();
      await new Promise<void>((resolve) => {
        if (options.signal?.aborted) return resolve();
        const onAbort = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          options.signal?.removeEventListener("abort", onAbort);
          resolve();
        }, options.intervalMs);
        options.signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
  } finally {
    await server?.close();
  }
}
