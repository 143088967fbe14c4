/**
 * `npm run devnet` for two real frames: Anvil mining by the clock, the deployment over JSON-RPC, and
 * the beacon chain, three oracle daemons, the guardian, the prover watcher and the exits bots as
 * separate processes (the web app left out: it serves people, nothing here reads it). Asserts from the
 * run's devnet-output summary that both reports landed, that requests were finalized and claimed,
 * that the invariants held, and that no process the devnet started is left.
 *
 * Mostly waiting for the wall clock (frames of 96 one-second slots): scripts/run-tests.ts runs this
 * file in a lane of its own beside the others.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { freePorts } from "../helpers/tasks";

const ROOT = path.resolve(__dirname, "..", "..");
/** Setup (deploy, operators, first stakes: about a minute), then two frames of 96 s; a generous bound. */
const TIMEOUT_MS = 8 * 60_000;

interface Summary {
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

  let output: string;
  let code: number | null;
  let stdout = "";
  let stderr = "";
  let summary: Summary;

  before(async () => {
    output = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-devnet-test-"));
    const [port] = await freePorts(1);
    const child = spawn(
      path.join(ROOT, "node_modules", ".bin", "ts-node"),
      ["--transpile-only", "scripts/devnet.ts", "--frames", "2", "--no-app"],
      {
        cwd: ROOT,
        env: { ...process.env, DEVNET_RPC_URL: `http://127.0.0.1:${port}`, DEVNET_OUTPUT_DIR: output },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGINT"), TIMEOUT_MS);
    code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    clearTimeout(timer);
    const file = path.join(output, "summary.json");
    expect(fs.existsSync(file), `no summary.json; stderr: ${stderr}; stdout: ${stdout.slice(-2_000)}`).to.equal(true);
    summary = JSON.parse(fs.readFileSync(file, "utf8")) as Summary;
  });

  after(() => fs.rmSync(output, { recursive: true, force: true }));

  it("ends with exit code 0 and the invariants held", () => {
    expect(stderr).to.equal("");
    expect(code).to.equal(0);
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
