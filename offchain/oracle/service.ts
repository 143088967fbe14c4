/**
 * An oracle committee member: builds the current frame's report once the reference slot is final,
 * submits it (unless this member already voted for the same report), and keeps the registry's
 * exited-key counts up to date when it also holds the exits-reporter role. `reportOnce` does one
 * pass; `runDaemon` repeats it until stopped.
 */
import type { ContractTransactionReceipt, Signer } from "ethers";
import { reportHash } from "../../scripts/lib/oracle";
import { buildFrameReport, type BuiltReport, type ReportContext } from "./report";

export type PassOutcome =
  | { status: "frame-processed"; refSlot: bigint }
  | { status: "waiting-for-finality"; refSlot: bigint; finalizedEpoch: bigint }
  | { status: "already-voted"; report: BuiltReport }
  | { status: "submitted"; report: BuiltReport; receipt: ContractTransactionReceipt; applied: boolean };

/** Statuses a validator has once it has left the active set. */
const EXITED = new Set(["exited_unslashed", "exited_slashed", "withdrawal_possible", "withdrawal_done"]);

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
      `losses ${report.data.operatorIdsWithLosses.length}, exits ${report.data.exitOperatorIds.length}`,
  );
  const receipt = await (await oracle.connect(member).submitReport(report.data)).wait();
  if (!receipt) throw new Error("submitReport: no receipt");
  const applied = (await oracle.getLastProcessedRefSlot()) === refSlot;
  await reportExitedKeys(ctx, member, report, log);
  return { status: "submitted", report, receipt, applied };
}

/**
 * Exited validators per operator, reported to the registry (`reportExitedKeys`) when `member` holds
 * the exits-reporter role and the count grew: bonds and deposit allocation then follow the validators
 * that still run.
 */
export async function reportExitedKeys(
  ctx: ReportContext,
  member: Signer,
  report: BuiltReport,
  log: (line: string) => void = () => {},
): Promise<number> {
  const { registry } = ctx.contracts;
  if (!(await registry.hasRole(await registry.EXITS_REPORTER_ROLE(), await member.getAddress()))) return 0;
  const exited = new Map<bigint, bigint>();
  for (const v of report.validators) {
    if (EXITED.has(v.status)) exited.set(v.operatorId, (exited.get(v.operatorId) ?? 0n) + 1n);
  }
  let updates = 0;
  for (const [operatorId, count] of exited) {
    if ((await registry.getNodeOperator(operatorId)).exitedKeys >= count) continue;
    await (await registry.connect(member).reportExitedKeys(operatorId, count)).wait();
    log(`operator ${operatorId}: ${count} exited validators reported to the registry`);
    updates++;
  }
  return updates;
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
