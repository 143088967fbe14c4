/**
 * `npm run devnet` for two real frames: Anvil mining by the clock, the deployment over JSON-RPC, and
 * the beacon chain, three oracle daemons, the guardian, the prover watcher and the exits bots as
 * separate processes (the web app left out: it serves people, nothing here reads it). Asserts from the
 * run's devnet-output summary that both reports landed, that requests were finalized and claimed,
 * that the invariants held, and that no process the devnet started is left; then that Ctrl-C, once
 * every process runs, stops them all.
 *
 * Mostly waiting for the wall clock (frames of 96 one-second slots): scripts/run-tests.ts runs this
 * file in a lane of its own beside the others.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { freePorts } from "../helpers/tasks";

const ROOT = path.resolve(__dirname, "..", "..");
/** Setup (deploy, operators, first stakes: about a minute), then two frames of 96 s; a generous bound. */
const TIMEOUT_MS = 8 * 60_000;

interface Summary {
  interrupted: boolean;
  reportsApplied: number;
  frames: { refSlot: string; finalizedTo: string }[];
  requests: number;
  finalizedTo: string;
  claims: number;
  claimedWei: string;
  invariantsHeld: boolean;
  problems: string[];
  processGroups: number[];
  orphans: number[];
}

/** A devnet run in the background, its output collected, in a folder of its own. */
interface Run {
  child: ChildProcessWithoutNullStreams;
  output: string;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

async function startDevnet(args: string[]): Promise<Run> {
  const output = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-devnet-test-"));
  const [port] = await freePorts(1);
  const child = spawn(
    path.join(ROOT, "node_modules", ".bin", "ts-node"),
    ["--transpile-only", "scripts/devnet.ts", ...args],
    {
      cwd: ROOT,
      env: { ...process.env, DEVNET_RPC_URL: `http://127.0.0.1:${port}`, DEVNET_OUTPUT_DIR: output },
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  const run: Run = {
    child,
    output,
    stdout: "",
    stderr: "",
    exited: new Promise((resolve) => child.once("exit", resolve)),
  };
  child.stdout.on("data", (chunk: Buffer) => (run.stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (run.stderr += chunk.toString("utf8")));
  return run;
}

function readSummary(run: Run): Summary {
  const file = path.join(run.output, "summary.json");
  expect(fs.existsSync(file), `no summary.json; stderr: ${run.stderr}; stdout: ${run.stdout.slice(-2_000)}`).to.equal(
    true,
  );
  return JSON.parse(fs.readFileSync(file, "utf8")) as Summary;
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

describe("npm run devnet (separate processes on Anvil, real frames)", function () {
  this.timeout(TIMEOUT_MS + 30_000);

  let run: Run;
  let code: number | null;
  let stdout: string;
  let stderr: string;
  let summary: Summary;

  before(async () => {
    run = await startDevnet(["--frames", "2", "--no-app"]);
    const timer = setTimeout(() => run.child.kill("SIGINT"), TIMEOUT_MS);
    code = await run.exited;
    clearTimeout(timer);
    ({ stdout, stderr } = run);
    summary = readSummary(run);
  });

  after(() => fs.rmSync(run.output, { recursive: true, force: true }));

  it("ends with exit code 0 and the invariants held", () => {
    expect(stderr).to.equal("");
    expect(code).to.equal(0);
    expect(summary.interrupted).to.equal(false);
    expect(summary.problems).to.deep.equal([]);
    expect(summary.invariantsHeld).to.equal(true);
    expect(stdout).to.include("Invariants held after 2 reports");
    expect(stdout).to.include("## Summary");
  });

  it("lands two reports, one a frame, printed as they happen", () => {
    expect(summary.reportsApplied).to.equal(2);
    const [first, second] = summary.frames.map((f) => BigInt(f.refSlot));
    expect(second - first).to.equal(96n);
    const rows = stdout.split("\n").filter((line) => /^\| [12] \| \d+ \|/.test(line));
    expect(rows).to.have.length(2);
  });

  it("finalizes the queued withdrawal requests and the holders claim them", () => {
    expect(summary.requests).to.be.greaterThan(0);
    expect(BigInt(summary.finalizedTo)).to.be.greaterThan(0n);
    expect(summary.claims).to.be.greaterThan(0);
    expect(BigInt(summary.claimedWei)).to.be.greaterThan(0n);
  });

  it("leaves no process behind", () => {
    // Anvil, the beacon chain, three oracle daemons, the guardian, the prover, three exits bots.
    expect(summary.processGroups).to.have.length(10);
    expect(summary.orphans).to.deep.equal([]);
    expect(summary.processGroups.filter(groupAlive)).to.deep.equal([]);
  });
});

describe("npm run devnet, stopped with Ctrl-C", function () {
  this.timeout(5 * 60_000);

  it("stops every process it started, once all of them run", async () => {
    const run = await startDevnet(["--frames", "2", "--no-app"]);
    try {
      // The frames' table header is printed once every process has been started.
      const deadline = Date.now() + 4 * 60_000;
      while (!run.stdout.includes("| frame |") && Date.now() < deadline && run.child.exitCode === null) {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(run.stdout, run.stderr).to.include("| frame |");
      run.child.kill("SIGINT");
      expect(await run.exited).to.equal(130);
      const summary = readSummary(run);
      expect(summary.interrupted).to.equal(true);
      expect(summary.processGroups).to.have.length(10);
      expect(summary.orphans).to.deep.equal([]);
      expect(summary.processGroups.filter(groupAlive)).to.deep.equal([]);
      expect(run.stdout).to.include("Stopping every process the devnet started…");
      expect(run.stderr).to.equal("");
    } finally {
      if (run.child.exitCode === null) run.child.kill("SIGKILL");
      fs.rmSync(run.output, { recursive: true, force: true });
    }
  });
});
