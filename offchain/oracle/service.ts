/**
 * An oracle committee member: builds the current frame's report once the reference slot is final and
 * submits it (unless this member already voted for the same report). Exited validators reach the
 * registry through the report itself, by the committee's quorum. `reportOnce` does one pass;
 * `runDaemon` repeats it until stopped.
 */
import type { ContractTransactionReceipt, Signer } from "ethers";
import { reportHash } from "../../sdk/src/report";
import { buildFrameReport, type BuiltReport, type ReportContext } from "./report";

export type PassOutcome =
  | { status: "frame-processed"; refSlot: bigint }
  | { status: "waiting-for-finality"; refSlot: bigint; finalizedEpoch: bigint }
  | { status: "already-voted"; report: BuiltReport }
  | { status: "submitted"; report: BuiltReport; receipt: ContractTransactionReceipt; applied: boolean };

/** One pass for `member`: build the current frame's report and submit it if needed. */
export async function reportOnce(
  ctx: ReportContext,
  member: Signer,
  log: (line: string) => void = () => {},
): Promise<PassOutcome> {
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
  const hash = reportHash(report.data);
  const address = await member.getAddress();
  const mine = await oracle.queryFilter(oracle.filters.ReportSubmitted(refSlot, address), report.executionBlock);
  if (mine.length > 0 && mine[mine.length - 1].args.reportHash === hash) return { status: "already-voted", report };

  log(
    `frame ${refSlot}: ${report.data.numValidators} validators, CL ${report.data.clBalanceGwei} gwei, ` +
      `vaults ${report.data.withdrawalVaultBalance} + ${report.data.elRewardsVaultBalance} wei, ` +
      `finalize to #${report.data.lastRequestIdToFinalize}, bunker ${report.data.isBunkerMode}, ` +
      `losses ${report.data.operatorIdsWithLosses.length}, exits ${report.data.exitOperatorIds.length}, ` +
      `exited updates ${report.data.exitedKeys.length}`,
  );
  const receipt = await (await oracle.connect(member).submitReport(report.data)).wait();
  if (!receipt) throw new Error("submitReport: no receipt");
  const applied = (await oracle.getLastProcessedRefSlot()) === refSlot;
  return { status: "submitted", report, receipt, applied };
}

/** Runs `reportOnce` every `intervalMs` until `signal` aborts; errors are logged and retried. */
export async function runDaemon(
  ctx: ReportContext,
  member: Signer,
  options: { intervalMs: number; signal?: AbortSignal; log?: (line: string) => void },
): Promise<void> {
  const log = options.log ?? console.log;
  const pubkeyCache = ctx.pubkeyCache ?? new Map<string, string>();
  while (!options.signal?.aborted) {
    try {
      const outcome = await reportOnce({ ...ctx, pubkeyCache }, member, log);
      if (outcome.status === "submitted") {
        log(
          `frame ${outcome.report.refSlot}: submitted (gas ${outcome.receipt.gasUsed}${outcome.applied ? ", applied" : ""})`,
        );
      }
    } catch (error) {
      log(`oracle pass failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.intervalMs);
      options.signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
