/**
 * `npm run devnet [-- --frames N] [--no-app]`: the whole stack as separate processes on Anvil, in
 * real time (docs/devnet.md).
 *
 * Starts Anvil from node_modules (the npm package `@foundry-rs/anvil` ships the binary) mining a block
 * every second, deploys with the Ignition module over JSON-RPC (network `devnet`: short slots and
 * frames, genesis set so that a frame's reference slot comes soon after setup), registers the
 * operators as the demo does, and starts, each as its own process signing with its own account: the
 * local beacon chain following the node by the wall clock, three oracle members' daemons, the
 * guardian's deposit daemon, the prover watcher, the operators' exits bots and the web app. Nothing
 * moves time or mines on demand: every process waits for the clock like on a testnet.
 *
 * Holders act through the SDK after each applied report (stake, wrap, transfer, request withdrawals,
 * redeem instantly, claim what was finalized); one line per report as it lands. After N reports: the
 * demo's invariants and summary (offchain/invariants.ts), `devnet-output/summary.json`, and exit code
 * 0 if the invariants held. Each child's output goes to `devnet-output/<name>.log`. Ctrl-C (or
 * SIGTERM) stops every process it started (each runs in its own process group, killed as a group).
 *
 * A plain ts-node script, not `hardhat run`, so that it takes its own arguments: it selects the
 * `devnet` network (HARDHAT_NETWORK) before loading Hardhat. A failure is one sentence on stderr
 * and exit code 1.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { formatEther, parseEther } from "ethers";
import type { Tidepool } from "../deploy/protocol";
import { TidepoolClient } from "../sdk/src/client";
import { eth, markdownTable } from "../sdk/src/format";
import { connectBeacon } from "../offchain/oracle/beacon";
import {
  INVARIANTS_CHECKED,
  checkInvariants,
  emptyHolderStats,
  summaryRows,
  type HolderStats,
  type RatePoint,
} from "../offchain/invariants";
import {
  KEYSTORE_PASSWORD,
  claimAll,
  dice,
  holdersDay,
  registerOperators,
  type Dice,
  type Holder,
} from "../offchain/simulation";

const ROOT = path.resolve(__dirname, "..");
/** Logs, parameters and summary.json: devnet-output/, or $DEVNET_OUTPUT_DIR (the test's own folder). */
const OUTPUT_DIR = path.resolve(process.env.DEVNET_OUTPUT_DIR ?? path.join(ROOT, "devnet-output"));
const NETWORK = "devnet";
/**
 * The devnet's Ignition deployment directory, inside the output folder: a fresh chain each run, and a
 * local node's record (deploy/deployments/chain-31337, the same chain id) left alone.
 */
const IGNITION_DIR = path.join(OUTPUT_DIR, "ignition");
/** Beacon time on the devnet: short slots, and frames as short as finality allows. */
const SECONDS_PER_SLOT = 1n;
const SLOTS_PER_EPOCH = 32n;
/**
 * A frame's report can be built once its reference slot is final, two epochs after the frame starts:
 * three epochs per frame leave one epoch for the committee to reach its quorum.
 */
const EPOCHS_PER_FRAME = 3n;
const SLOTS_PER_FRAME = EPOCHS_PER_FRAME * SLOTS_PER_EPOCH;
/** Seconds from the deployment to the first reference slot: setup (operators, first stakes) fits before it. */
const SETUP_SECONDS = 45n;
/** Accounts (Anvil's default mnemonic, as the `devnet` network's): roles of the local deployment, then these. */
const OPERATOR_ACCOUNTS = [7, 8, 9];
const PROVER_ACCOUNT = 10;
const HOLDER_ACCOUNTS = Array.from({ length: 12 }, (_, i) => 11 + i);
const KEYS_PER_OPERATOR = 8;
/** The operators' keystore password, in a file beside their keystores, for their exits bots. */
const PASSWORD_FILE = "password.txt";
/** Passes of the daemons: a few per frame. */
const DAEMON_INTERVAL_SECONDS = "2";
/** How long a child may take to stop after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5_000;

interface Options {
  frames: number;
  app: boolean;
}

/** A one-sentence failure (printed without a stack trace). */
class DevnetFailure extends Error {}
const fail = (sentence: string): never => {
  throw new DevnetFailure(sentence);
};

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { frames: 5, app: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--no-app") options.app = false;
    else if (arg === "--frames") {
      const value = argv[++i] ?? "";
      if (!/^[1-9][0-9]{0,3}$/.test(value)) fail(`--frames must be a number of frames from 1 to 9999, got "${value}"`);
      options.frames = Number(value);
    } else fail(`unknown argument "${arg}": npm run devnet -- [--frames N] [--no-app]`);
  }
  return options;
}

/** The processes the devnet started, stopped together (each is the leader of its process group). */
class Children {
  private readonly running = new Map<string, ChildProcess>();
  /** Every process group started, running or not (the summary lists them, to check none survived). */
  readonly started: number[] = [];
  private stopping = false;

  /** Starts `command` in its own process group, its output in devnet-output/<name>.log. */
  start(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    if (this.stopping) fail(`not starting ${name}: the devnet is stopping`);
    const log = fs.openSync(path.join(OUTPUT_DIR, `${name}.log`), "w");
    const child = spawn(command, args, {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", log, log],
      env: { ...process.env, ...env },
    });
    fs.closeSync(log);
    this.running.set(name, child);
    if (child.pid !== undefined) this.started.push(child.pid);
    child.once("exit", (code, signal) => {
      this.running.delete(name);
      if (!this.stopping)
        console.error(
          `devnet: ${name} exited (${signal ?? `code ${code}`}); see ${path.join(OUTPUT_DIR, `${name}.log`)}`,
        );
    });
    return child;
  }

  names(): string[] {
    return [...this.running.keys()];
  }

  /** The process groups of the children still running (pids). */
  groups(): number[] {
    return [...this.running.values()].map((c) => c.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** SIGTERM to every group, SIGKILL to those left after the grace period. Returns the groups that survived. */
  async stopAll(): Promise<number[]> {
    this.stopping = true;
    const groups = this.groups();
    for (const pid of groups) signalGroup(pid, "SIGTERM");
    const deadline = Date.now() + STOP_GRACE_MS;
    while (groups.some(groupAlive) && Date.now() < deadline) await sleep(100);
    for (const pid of groups.filter(groupAlive)) signalGroup(pid, "SIGKILL");
    await sleep(200);
    return groups.filter(groupAlive);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Whether any process of the group `pid` leads is alive. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Set by Ctrl-C or SIGTERM: the run stops, and what fails meanwhile (the node is gone) is not reported. */
let interrupted = false;

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const bin = (name: string) => path.join(ROOT, "node_modules", ".bin", name);

/** A task of this repository as a child process on the devnet. */
const hardhat = (children: Children, name: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
  children.start(name, bin("hardhat"), [...args, "--network", NETWORK], env);

/** Waits until the node answers (it may take a moment to bind its port). */
async function waitForNode(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  fail(`Anvil did not answer on ${url} within 20 s (see ${path.join(OUTPUT_DIR, "anvil.log")})`);
}

/** Waits until `url` answers HTTP at all (a daemon's server is up). */
async function waitForHttp(url: string, what: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try {
      await fetch(url);
      return;
    } catch {
      await sleep(500);
    }
  }
  fail(`${what} did not answer on ${url} within ${seconds} s`);
}

/** One applied report, as printed and kept in the summary. */
interface FrameRecord {
  frame: number;
  refSlot: bigint;
  block: number;
  validators: bigint;
  shareRate: number;
  aprBP: bigint;
  finalizedTo: bigint;
  claimed: number;
  time: string;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const rpcUrl = process.env.DEVNET_RPC_URL ?? "http://127.0.0.1:8545";
  const port = Number(new URL(rpcUrl).port || 80);
  process.env.DEVNET_RPC_URL = rpcUrl;
  process.env.HARDHAT_NETWORK = NETWORK;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hre = require("hardhat") as HardhatRuntimeEnvironment;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require("../tasks/lib") as typeof import("../tasks/lib");
  if (!(await lib.portIsFree(port))) {
    fail(`port ${port} on 127.0.0.1 is in use: stop what listens there, or set DEVNET_RPC_URL to another local port`);
  }
  const anvil = bin("anvil");
  if (!fs.existsSync(anvil)) fail("node_modules/.bin/anvil is missing: run npm ci (it installs @foundry-rs/anvil)");
  fs.rmSync(OUTPUT_DIR, { recursive: true, force: true });
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });

  const children = new Children();
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    console.log("\nStopping every process the devnet started…");
    void children.stopAll().then((left) => {
      writeSummary({ interrupted: true, processGroups: children.started, orphans: left });
      if (left.length > 0) console.error(`devnet: process groups ${left.join(", ")} did not stop`);
      process.exit(130);
    });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  children.start("anvil", anvil, [
    "--port",
    String(port),
    "--block-time",
    String(SECONDS_PER_SLOT),
    "--hardfork",
    "prague",
    "--accounts",
    "40",
    "--balance",
    "100000",
  ]);
  await waitForNode(rpcUrl);
  hre.config.paths.ignition = IGNITION_DIR;
  try {
    const summary = await play(hre, children, options, rpcUrl);
    const left = await children.stopAll();
    writeSummary({ ...summary, processGroups: children.started, orphans: left });
    if (left.length > 0) fail(`process groups ${left.join(", ")} did not stop`);
    if (summary.problems.length > 0) fail(`invariant broken: ${summary.problems.join("; ")}`);
  } finally {
    if (!interrupted) await children.stopAll();
  }
}

/** What devnet-output/summary.json says of the processes, however the run ended. */
interface ProcessesSummary {
  /** Stopped by Ctrl-C or SIGTERM (then nothing else is in the summary). */
  interrupted: boolean;
  /** The process group of every process the devnet started. */
  processGroups: number[];
  /** Those still alive after the devnet stopped them (none, unless something went wrong). */
  orphans: number[];
}

/** What devnet-output/summary.json holds after a run to its end. */
interface DevnetSummary extends ProcessesSummary {
  frames: FrameRecord[];
  reportsApplied: number;
  requests: number;
  finalizedTo: bigint;
  claims: number;
  claimedWei: bigint;
  invariantsHeld: boolean;
  problems: string[];
  processes: string[];
  seconds: number;
}

function writeSummary(s: ProcessesSummary): void {
  fs.writeFileSync(
    path.join(OUTPUT_DIR, "summary.json"),
    JSON.stringify(s, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n",
  );
}

/** The deployment and the accounts the devnet itself acts with. */
interface Devnet {
  hre: HardhatRuntimeEnvironment;
  t: Tidepool;
  reader: TidepoolClient;
  operators: HardhatEthersSigner[];
  holders: Holder[];
  /** Every account of the run that may hold shares (for the Σ shares invariant). */
  accounts: string[];
  d: Dice;
  stats: HolderStats;
}

/** A run from deployment to summary; the processes it starts are `children`'s. */
async function play(
  hre: HardhatRuntimeEnvironment,
  children: Children,
  options: Options,
  rpcUrl: string,
): Promise<DevnetSummary> {
  const started = Date.now();
  console.log(`# Tidepool devnet\n\nAnvil on ${rpcUrl} (a block a second). Deploying with Ignition…`);
  const devnet = await deploy(hre);
  const keystoreDir = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-devnet-keystores-"));
  try {
    await setUp(devnet, keystoreDir);
    const beaconUrl = await startProcesses(children, devnet, keystoreDir, options, rpcUrl);
    const first = await ratePoint(devnet);
    const frames = await playFrames(devnet, options.frames);
    return { ...(await finish(devnet, beaconUrl, first, frames, started)), processes: children.names() };
  } finally {
    fs.rmSync(keystoreDir, { recursive: true, force: true });
  }
}

/**
 * Deploys with the `deploy` task (Ignition) over JSON-RPC: one-second slots, frames of three epochs,
 * genesis placed so that the first reference slot comes once setup is done.
 */
async function deploy(hre: HardhatRuntimeEnvironment): Promise<Devnet> {
  const provider = hre.ethers.provider;
  const now = BigInt((await provider.getBlock("latest"))!.timestamp);
  const parameters = path.join(OUTPUT_DIR, "parameters.json");
  const tidepool = {
    genesisTime: Number(now - (SLOTS_PER_FRAME * SECONDS_PER_SLOT - SETUP_SECONDS)),
    secondsPerSlot: Number(SECONDS_PER_SLOT),
    epochsPerFrame: Number(EPOCHS_PER_FRAME),
    reportDeadlineSlots: Number(SLOTS_PER_FRAME),
  };
  fs.writeFileSync(parameters, JSON.stringify({ Tidepool: tidepool }, null, 2));
  // One node, no reorgs: a transaction mined is final (Ignition waits for 5 blocks by default).
  hre.config.ignition.requiredConfirmations = 1;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require("../tasks/lib") as typeof import("../tasks/lib");
  try {
    await hre.run("deploy", { parameters, module: "tidepool" });
  } catch (error) {
    fail(`the deployment failed: ${lib.firstLine(error)}`);
  }
  const t: Tidepool = await lib.loadTidepool(hre, undefined);
  const signers = await hre.ethers.getSigners();
  const needed = Math.max(...HOLDER_ACCOUNTS) + 1;
  if (signers.length < needed) {
    fail(
      `the devnet network has ${signers.length} accounts and the devnet needs ${needed}: raise its count in hardhat.config.ts`,
    );
  }
  const reader = await TidepoolClient.connect({ runner: provider, pool: t.poolAddress });
  const operators = OPERATOR_ACCOUNTS.map((i) => signers[i]);
  const holderSigners = HOLDER_ACCOUNTS.map((i) => signers[i]);
  return {
    hre,
    t,
    reader,
    operators,
    holders: holderSigners.map((s) => ({ signer: s, client: reader.connect(s) })),
    accounts: [...operators, signers[PROVER_ACCOUNT], ...holderSigners].map((a) => a.address),
    d: dice(20261207),
    stats: emptyHolderStats(),
  };
}

/**
 * Operators with keys from the key tool (uploaded by the operator-keys task; keystores and their
 * password file in `keystoreDir` for the exits bots), the holders' first stakes and requests.
 */
async function setUp(devnet: Devnet, keystoreDir: string): Promise<void> {
  const { hre, t, holders, d, stats } = devnet;
  fs.writeFileSync(path.join(keystoreDir, PASSWORD_FILE), KEYSTORE_PASSWORD);
  // Each operator's deposit data, validated and uploaded by the operator-keys task.
  const uploadKeys = (operator: number, file: string) =>
    hre.run("operator-keys", { operator: String(operator), file, pool: t.poolAddress });
  await registerOperators(uploadKeys, t, devnet.operators, KEYS_PER_OPERATOR, keystoreDir);
  // Each holder signs its own transactions: they go in parallel, one nonce sequence per account.
  const stakes = holders.map(() => d.amount(20, 60));
  await Promise.all(holders.map((h, i) => h.client.stake(stakes[i])));
  stats.staked += stakes.reduce((a, b) => a + b, 0n);
  for (const h of holders.slice(0, 3)) {
    await h.client.requestWithdrawals([d.amount(0.5, 3)]);
    stats.requests++;
  }
  console.log(
    `Operators: ${devnet.operators.length} with ${KEYS_PER_OPERATOR} keys each. ${holders.length} holders staked ` +
      `${eth(stats.staked, 3)}, ${stats.requests} withdrawal requests queued.`,
  );
}

/** The services, each a process signing with its own account. Returns the Beacon API's URL. */
async function startProcesses(
  children: Children,
  devnet: Devnet,
  keystoreDir: string,
  options: Options,
  rpcUrl: string,
): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require("../tasks/lib") as typeof import("../tasks/lib");
  // The beacon chain's control endpoint takes the port after the Beacon API's.
  const [beaconPort, controlPort] = await freePorts(lib, 2);
  const beaconUrl = `http://127.0.0.1:${beaconPort}`;
  const pool = ["--pool", devnet.t.poolAddress];
  const every = ["--interval", DAEMON_INTERVAL_SECONDS];
  hardhat(children, "beacon-chain", ["run", "--no-compile", "scripts/beacon-chain.ts"], {
    BEACON_PORT: String(beaconPort),
    BEACON_FOLLOW: "1",
    BEACON_CONFIG: "devnet", // short activation, exit and sweep delays
    TIDEPOOL_POOL: devnet.t.poolAddress,
  });
  await waitForHttp(`${beaconUrl}/eth/v1/beacon/genesis`, "the local beacon chain", 60);
  for (const member of [1, 2, 3]) {
    hardhat(children, `oracle-${member}`, [
      ...["oracle-report", "--daemon", "--member", String(member), "--beacon-url", beaconUrl],
      ...every,
      ...pool,
    ]);
  }
  const [guardianPort] = await freePorts(lib, 1, [beaconPort, controlPort]);
  hardhat(children, "guardian", [
    ...["guardian-daemon", "--port", String(guardianPort), "--guardian", "4", "--beacon-url", beaconUrl],
    ...every,
    ...pool,
  ]);
  hardhat(children, "prover", [
    "prover-watch",
    "--from",
    String(PROVER_ACCOUNT),
    "--beacon",
    beaconUrl,
    ...every,
    ...pool,
  ]);
  for (const [op] of devnet.operators.entries()) {
    hardhat(children, `exits-bot-${op}`, [
      ...["operator-exits-bot", "--operator", String(op), "--keystores", path.join(keystoreDir, String(op))],
      ...["--password-file", path.join(keystoreDir, PASSWORD_FILE), "--beacon", beaconUrl],
      ...every,
      ...pool,
    ]);
  }
  if (options.app) {
    const [appPort] = await freePorts(lib, 1, [beaconPort, controlPort, guardianPort]);
    hardhat(children, "app", ["run", "--no-compile", "scripts/devnet-app.ts"], {
      DEVNET_APP_PORT: String(appPort),
      DEVNET_IGNITION_DIR: IGNITION_DIR,
    });
    console.log(`Web app: http://127.0.0.1:${appPort}/ (chain ${rpcUrl})`);
  }
  console.log(
    `Processes: ${children.names().join(", ")} (logs in ${path.relative(ROOT, OUTPUT_DIR) || "."}/). ` +
      `Beacon API ${beaconUrl}; slots of ${SECONDS_PER_SLOT} s, frames of ${SLOTS_PER_FRAME} slots.\n`,
  );
  return beaconUrl;
}

/** The share rate, the last report's APR and the reported validators now. */
async function ratePoint(devnet: Devnet): Promise<RatePoint> {
  const status = await devnet.reader.status();
  return {
    rate: Number(formatEther((status.totalEther * parseEther("1")) / status.totalShares)),
    aprBP: status.aprBP,
    validators: (await devnet.t.pool.getBeaconStat())[1],
  };
}

const FRAME_HEADER = ["frame", "ref slot", "validators", "share rate", "APR", "finalized to", "claimed", "time (UTC)"];

/** A frame's line of the table. */
const frameRow = (f: FrameRecord): string =>
  markdownTable(FRAME_HEADER, [
    [
      String(f.frame),
      String(f.refSlot),
      String(f.validators),
      f.shareRate.toFixed(8),
      `${Number(f.aprBP) / 100}%`,
      `#${f.finalizedTo}`,
      String(f.claimed),
      f.time,
    ],
  ]).split("\n")[2];

/**
 * Waits for `count` reports, printing one line as each lands; after each, the holders claim what it
 * finalized and (but after the last) play a day.
 */
async function playFrames(devnet: Devnet, count: number): Promise<FrameRecord[]> {
  const { t, holders, stats } = devnet;
  const provider = devnet.hre.ethers.provider;
  const frames: FrameRecord[] = [];
  console.log(markdownTable(FRAME_HEADER, []).trimEnd());
  let fromBlock = (await provider.getBlockNumber()) + 1;
  while (frames.length < count) {
    const to = await provider.getBlockNumber();
    const applied = to >= fromBlock ? await t.oracle.queryFilter(t.oracle.filters.ReportApplied(), fromBlock, to) : [];
    fromBlock = Math.max(fromBlock, to + 1);
    for (const event of applied) {
      const claimsBefore = stats.claims;
      await claimAll(holders, stats);
      const point = await ratePoint(devnet);
      const frame: FrameRecord = {
        frame: frames.length + 1,
        refSlot: event.args.refSlot,
        block: event.blockNumber,
        validators: point.validators,
        shareRate: point.rate,
        aprBP: point.aprBP,
        finalizedTo: await t.withdrawalQueue.getLastFinalizedRequestId(),
        claimed: stats.claims - claimsBefore,
        time: new Date().toISOString().slice(11, 19),
      };
      frames.push(frame);
      console.log(frameRow(frame));
      if (frames.length < count) {
        await holdersDay(t, devnet.reader, holders, devnet.d, { stake: true, request: true, instant: true }, stats);
      }
    }
    await sleep(1_000);
  }
  return frames;
}

/**
 * The demo's invariants (the beacon figures against the Beacon API's state at the last reference
 * slot) and summary, printed; what summary.json records of the run.
 */
async function finish(
  devnet: Devnet,
  beaconUrl: string,
  first: RatePoint,
  frames: FrameRecord[],
  started: number,
): Promise<Omit<DevnetSummary, "processes">> {
  const { t, reader, stats } = devnet;
  const pubkeys: string[] = [];
  for (const [op] of devnet.operators.entries()) {
    const { depositedKeys } = await t.registry.getNodeOperator(op);
    for (let k = 0n; k < depositedKeys; k++) pubkeys.push((await t.registry.getSigningKey(op, k)).pubkey);
  }
  const beacon = await connectBeacon(beaconUrl);
  const ours = (await beacon.validators(frames[frames.length - 1].refSlot, pubkeys)) ?? [];
  const problems = await checkInvariants(t, devnet.hre.ethers.provider, devnet.accounts, ours);
  const status = await reader.status();
  const seconds = (Date.now() - started) / 1000;
  const rows = await summaryRows(t, {
    first,
    last: await ratePoint(devnet),
    period: plural(frames.length, "frame"),
    // Beacon time the reports covered: a frame each.
    periodDays: Number(BigInt(frames.length) * SLOTS_PER_FRAME * SECONDS_PER_SLOT) / 86_400,
    holders: devnet.holders.length,
    stats,
    status,
    operators: devnet.operators.length,
  });
  console.log(`\n## Summary\n\n${markdownTable(["", ""], rows)}`);
  console.log(
    problems.length === 0
      ? `\nInvariants held after ${plural(frames.length, "report")} (${INVARIANTS_CHECKED}). ${seconds.toFixed(0)} s`
      : `\nInvariants broken: ${problems.join("; ")}`,
  );
  return {
    frames,
    reportsApplied: frames.length,
    requests: stats.requests,
    finalizedTo: status.lastFinalizedRequestId,
    claims: stats.claims,
    claimedWei: stats.claimed,
    invariantsHeld: problems.length === 0,
    problems,
    interrupted: false,
    // Stopped, and these fields set, by main.
    processGroups: [],
    orphans: [],
    seconds,
  };
}

/** `count` free local ports, none of `taken`. */
async function freePorts(lib: typeof import("../tasks/lib"), count: number, taken: number[] = []): Promise<number[]> {
  const ports: number[] = [];
  for (let p = 20_000 + Math.floor(Math.random() * 20_000); ports.length < count; p += 2) {
    if (!taken.includes(p) && (await lib.portIsFree(p)) && (await lib.portIsFree(p + 1))) ports.push(p, p + 1);
  }
  return ports.slice(0, count);
}

main().catch((error: unknown) => {
  if (interrupted) return; // the signal handler exits once every process has stopped
  const sentence =
    error instanceof DevnetFailure ? error.message : error instanceof Error ? error.message : String(error);
  console.error(`Error: ${sentence.split("\n")[0]}`);
  process.exit(1);
});
