/**
 * Hardhat task for oracle committee members (docs/protocol.md §4, §8): oracle-report builds the current
 * frame's report from a Beacon API and the execution chain (offchain/oracle) and submits it — once,
 * or as a daemon with --daemon. The same command serves the local beacon chain and a real beacon
 * node on Hoodi or mainnet.
 *
 * Loaded by hardhat.config.ts before compilation: no top-level imports of typechain-types,
 * deploy/protocol.ts or `hardhat` (see tasks/lib.ts).
 */
import { eth } from "../sdk/src/format";
import { POOL_HELP, attempt, fail, loadTidepool, parseCount, portIsFree, roleSigner, tidepoolTask } from "./lib";

/** The report counts in gwei: nine decimals of ETH show all of it. */
const GWEI_PLACES = 9;

interface OracleReportArgs {
  beaconUrl?: string;
  member?: string;
  daemon: boolean;
  interval: string;
  fromBlock?: string;
  dryRun: boolean;
  pool?: string;
  logFormat?: string;
  metricsPort?: string;
  warningSlots?: string;
  dataDir?: string;
  logRange: string;
  timeout: string;
  retries: string;
  concurrency: string;
  confirmations: string;
}

/** Where the member keeps its key index by default (offchain/oracle/key-index.ts). */
const DEFAULT_DATA_DIR = "oracle-data";

/** The reads' timeouts, retries and concurrency, from the task's options (each checked). */
function parseReadOptions(args: OracleReportArgs) {
  const timeoutMs = parseCount(args.timeout, "timeout", 1) * 1000;
  const retries = parseCount(args.retries, "retries");
  const concurrency = parseCount(args.concurrency, "concurrency", 1);
  const retryDelayMs = 500;
  return {
    readPolicy: { timeoutMs, retries, concurrency, retryDelayMs },
    beaconPolicy: { timeoutMs, retries, retryDelayMs, concurrency: Math.min(concurrency, 4) },
    logRangeBlocks: parseCount(args.logRange, "log-range", 1),
  };
}

/** The daemon's options, checked before anything is read: each needs --daemon. */
function parseDaemonOptions(args: OracleReportArgs): {
  logFormat: "text" | "json";
  metricsPort?: number;
  warningSlots?: bigint;
} {
  for (const [value, flag] of [
    [args.logFormat, "--log-format"],
    [args.metricsPort, "--metrics-port"],
    [args.warningSlots, "--warning-slots"],
  ] as const) {
    if (value !== undefined && !args.daemon) fail(`${flag} is for the daemon: add --daemon`);
  }
  const logFormat = args.logFormat ?? "text";
  if (logFormat !== "text" && logFormat !== "json") fail(`--log-format must be text or json, got "${logFormat}"`);
  let metricsPort: number | undefined;
  if (args.metricsPort !== undefined) {
    metricsPort = parseCount(args.metricsPort, "metrics-port", 1);
    if (metricsPort > 65_535) fail(`--metrics-port must be a port number (1 to 65535), got "${args.metricsPort}"`);
  }
  const warningSlots =
    args.warningSlots === undefined ? undefined : BigInt(parseCount(args.warningSlots, "warning-slots", 1));
  return { logFormat, metricsPort, warningSlots };
}

function parseUrl(value: string | undefined): string {
  const url = value ?? process.env.BEACON_URL;
  if (url === undefined || url === "")
    fail("--beacon-url (or BEACON_URL) is required: the Beacon API to read, e.g. http://127.0.0.1:5052");
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error();
  } catch {
    fail(`--beacon-url must be an http(s) URL, got "${url}"`);
  }
  return url.replace(/\/+$/, "");
}

tidepoolTask("oracle-report", "As an oracle member, builds the current frame's report from a Beacon API and submits it")
  .addOptionalParam("beaconUrl", "Beacon API base URL (default: $BEACON_URL)")
  .addOptionalParam("member", "Index of the member among this network's accounts; default: the first member")
  .addFlag("daemon", "Keep running: one pass every --interval seconds until interrupted")
  .addOptionalParam("interval", "Seconds between passes with --daemon", "60")
  .addOptionalParam("fromBlock", "Block to search for earlier exit requests from (the oracle's deployment block)")
  .addFlag("dryRun", "Print the report without submitting it")
  .addOptionalParam("pool", POOL_HELP)
  .addOptionalParam("logFormat", "With --daemon: log lines as text (timestamped) or json (default: text)")
  .addOptionalParam("metricsPort", "With --daemon: serve /metrics (Prometheus) and /health on 127.0.0.1 at this port")
  .addOptionalParam(
    "warningSlots",
    "With --daemon: warn when the frame's deadline is this many slots away without quorum (default: a quarter of the report window)",
  )
  .addOptionalParam(
    "dataDir",
    `Directory of the member's key index, kept between runs (default: $ORACLE_DATA_DIR or ${DEFAULT_DATA_DIR})`,
  )
  .addOptionalParam("logRange", "Blocks per eth_getLogs request (providers refuse wide ranges)", "10000")
  .addOptionalParam("timeout", "Seconds before a node request is abandoned and retried", "30")
  .addOptionalParam("retries", "Retries of a node request that failed or timed out", "3")
  .addOptionalParam("concurrency", "Execution-layer calls in flight at once", "8")
  .addOptionalParam(
    "confirmations",
    "Blocks a submission must be under before it counts (it is sent again with higher fees if not mined)",
    "1",
  )
  .setAction(async (args: OracleReportArgs, hre): Promise<void> => {
    const beaconUrl = parseUrl(args.beaconUrl);
    const intervalMs = parseCount(args.interval, "interval", 1) * 1000;
    const fromBlock = args.fromBlock === undefined ? undefined : parseCount(args.fromBlock, "from-block");
    const daemon = parseDaemonOptions(args);
    const reads = parseReadOptions(args);
    const dataDir = args.dataDir ?? process.env.ORACLE_DATA_DIR ?? DEFAULT_DATA_DIR;
    const send = { confirmations: parseCount(args.confirmations, "confirmations", 1) };
    if (daemon.metricsPort !== undefined && !(await portIsFree(daemon.metricsPort))) {
      fail(
        `port ${daemon.metricsPort} on 127.0.0.1 is in use: stop what listens there, or choose another --metrics-port`,
      );
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { connectBeacon } = require("../offchain/oracle/beacon") as typeof import("../offchain/oracle/beacon");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const service = require("../offchain/oracle/service") as typeof import("../offchain/oracle/service");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildFrameReport } = require("../offchain/oracle/report") as typeof import("../offchain/oracle/report");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { KeyIndex } = require("../offchain/oracle/key-index") as typeof import("../offchain/oracle/key-index");

    const t = await loadTidepool(hre, args.pool);
    const member = await roleSigner(hre, "member", args.member, "an oracle member", (a) => t.oracle.isMember(a));
    const beacon = await connectBeacon(beaconUrl, reads.beaconPolicy);
    try {
      await beacon.genesisTime();
    } catch (error) {
      fail(
        `cannot read the Beacon API at ${beaconUrl}: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`,
      );
    }
    const scope = { chainId: (await hre.ethers.provider.getNetwork()).chainId, oracle: await t.oracle.getAddress() };
    let index: InstanceType<typeof KeyIndex>;
    try {
      index = await KeyIndex.open(dataDir, scope);
    } catch (error) {
      fail(
        `cannot read the key index in ${dataDir}: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`,
      );
    }
    const ctx = {
      beacon,
      provider: hre.ethers.provider,
      contracts: t,
      fromBlock,
      index,
      readPolicy: reads.readPolicy,
      logRangeBlocks: reads.logRangeBlocks,
    };

    if (args.dryRun) {
      const built = await attempt(hre, () => buildFrameReport(ctx));
      if (!built) return void console.log("The current frame has been processed already: nothing to report.");
      const d = built.data;
      console.log(
        `Report for reference slot ${d.refSlot} (state of slot ${built.stateSlot}, execution block ${built.executionBlock}):\n` +
          `  validators ${d.numValidators}, CL balance ${eth(BigInt(d.clBalanceGwei) * 10n ** 9n, GWEI_PLACES)}\n` +
          `  withdrawal vault ${eth(BigInt(d.withdrawalVaultBalance), GWEI_PLACES)}, EL rewards vault ${eth(BigInt(d.elRewardsVaultBalance), GWEI_PLACES)}\n` +
          `  finalize up to request ${d.lastRequestIdToFinalize}, bunker mode ${d.isBunkerMode}\n` +
          `  operator losses ${d.operatorIdsWithLosses.map((id, i) => `#${id}: ${eth(BigInt(d.operatorLossesGwei[i]) * 10n ** 9n, GWEI_PLACES)}`).join(", ") || "none"}\n` +
          `  exits ${d.exitOperatorIds.map((id, i) => `#${id}/${d.exitKeyIndices[i]}`).join(", ") || "none"}`,
      );
      return;
    }
    if (args.daemon) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { createLogger } = require("../offchain/log") as typeof import("../offchain/log");
      const logger = createLogger({ format: daemon.logFormat });
      logger.info("oracle daemon started (Ctrl-C stops)", {
        member: member.address,
        beacon: beaconUrl,
        interval_s: intervalMs / 1000,
      });
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        await service.runDaemon(ctx, member, {
          intervalMs,
          signal: stop.signal,
          logger,
          metricsPort: daemon.metricsPort,
          warningSlots: daemon.warningSlots,
          send,
        });
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
      logger.info("oracle daemon stopped");
      return;
    }
    const outcome = await attempt(hre, () => service.reportOnce(ctx, member, console.log, send));
    switch (outcome.status) {
      case "frame-processed":
        console.log(`Frame with reference slot ${outcome.refSlot} is processed already: nothing to do.`);
        break;
      case "waiting-for-finality":
        console.log(
          `Reference slot ${outcome.refSlot} is not final yet (finalized epoch ${outcome.finalizedEpoch}): try again later.`,
        );
        break;
      case "already-voted":
        console.log(`Member ${member.address} already submitted this report for slot ${outcome.report.refSlot}.`);
        break;
      case "submitted":
        console.log(
          `Submitted the report for slot ${outcome.report.refSlot} as ${member.address} (gas ${outcome.receipt.gasUsed})` +
            (outcome.applied ? "; quorum reached, the report was applied." : "; waiting for the quorum."),
        );
    }
  });
