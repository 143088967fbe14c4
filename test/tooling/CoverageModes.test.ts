/**
 * The two instrumentation modes of `hardhat coverage` (the gate in `npm test`, COVERAGE_GATE=1: lines
 * and branches only; `npm run coverage`: everything) must each measure on their own instrumented build.
 * With one shared build, whichever ran second reused the first's, and the full run after the gate
 * reported 6% of lines instead of 99.9%.
 *
 * A whole `hardhat coverage` takes half an hour, so each run here is small: a scratch copy of the
 * repository's real coverage configuration (hardhat.config.ts, .solcover.js, the tasks it loads) with
 * one library, its harness and its unit test, node_modules symlinked. Each run compiles in seconds.
 * Both orders run from a clean copy, and the figure for the library must be the same in every run.
 * Not under the coverage lane (scripts/run-tests.ts covers test/unit, integration, oracle, withdrawals).
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
/** What hardhat.config.ts needs to load: its tasks import the SDK, the services and deploy/. */
const CONFIG = [
  "hardhat.config.ts",
  ".solcover.js",
  "package.json",
  "tsconfig.json",
  "tasks",
  "scripts",
  "sdk",
  "offchain",
  "deploy",
];
/** The small, fast suite, its harness (a test double: not measured) and the library it exercises. */
const TEST_FILE = "test/unit/MinLevelIndex.test.ts";
const HARNESS = "contracts/test/MinLevelIndex__Harness.sol";
const MEASURED = "contracts/lib/MinLevelIndex.sol";
/** Where each mode writes its json-summary (`istanbulFolder` in .solcover.js). */
const SUMMARY = { gate: "coverage/gate/coverage-summary.json", full: "coverage/coverage-summary.json" };

type Mode = keyof typeof SUMMARY;
interface Metric {
  total: number;
  covered: number;
}
interface Run {
  mode: Mode;
  compiled: boolean;
  lines: Metric;
  branches: Metric;
  statements: Metric;
}

/** `file` and the project sources it imports (relative imports), transitively. */
function importClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const source = readFileSync(path.join(ROOT, file), "utf8");
  for (const [, spec] of source.matchAll(/import\s[^;]*?["'](\.{1,2}\/[^"']+)["']/g)) {
    importClosure(path.posix.join(path.posix.dirname(file), spec), seen);
  }
  return seen;
}

function scratchCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "tidepool-coverage-modes-"));
  for (const f of [...CONFIG, TEST_FILE, ...importClosure(HARNESS)]) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  }
  symlinkSync(realpathSync(path.join(ROOT, "node_modules")), path.join(dir, "node_modules"));
  return dir;
}

/** `hardhat coverage` on TEST_FILE in `dir`, in `mode`; the figures its report gives for MEASURED. */
async function coverage(dir: string, mode: Mode): Promise<Run> {
  const env = { ...process.env };
  delete env.COVERAGE_GATE;
  delete env.HARDHAT_NETWORK;
  if (mode === "gate") env.COVERAGE_GATE = "1";
  const summaryFile = path.join(dir, SUMMARY[mode]);
  rmSync(summaryFile, { force: true });
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    const child = spawn("npx", ["hardhat", "coverage", "--testfiles", TEST_FILE], { cwd: dir, env });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (c) => resolve({ code: c ?? 1, output: out }));
  });
  expect(code, `hardhat coverage (${mode}) failed:\n${output}`).to.equal(0);
  expect(existsSync(summaryFile), `no ${SUMMARY[mode]} after the ${mode} run`).to.equal(true);
  const summary = JSON.parse(readFileSync(summaryFile, "utf8")) as Record<string, Record<string, Metric>>;
  const s = summary[MEASURED];
  expect(s, `${MEASURED} missing from ${SUMMARY[mode]}`).to.not.equal(undefined);
  const pick = (m: Metric): Metric => ({ total: m.total, covered: m.covered });
  return {
    mode,
    compiled: /Compiled \d+ Solidity files?/.test(output),
    lines: pick(s.lines),
    branches: pick(s.branches),
    statements: pick(s.statements),
  };
}

const pct = (m: Metric): number => (100 * m.covered) / m.total;

describe("coverage modes: the gate and the full run each measure on their own instrumented build", function () {
  const scratch: string[] = [];

  after(function () {
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Runs `order` in a clean copy. The first run's figure is the reference (its build is fresh): it
   * must be what the suite really covers, and every later run must report it, on a build of its own.
   */
  async function inOrder(order: Mode[]): Promise<{ dir: string; runs: Run[] }> {
    const dir = scratchCopy();
    scratch.push(dir);
    const runs: Run[] = [];
    for (const mode of order) runs.push(await coverage(dir, mode));
    const first = runs[0];
    expect(first.lines.total).to.be.greaterThan(10);
    expect(first.branches.total).to.be.greaterThan(5);
    expect(pct(first.lines)).to.be.at.least(90);
    expect(pct(first.branches)).to.be.at.least(90);
    for (const run of runs) {
      expectFigure(run, first);
      expect(run.compiled, `the ${run.mode} run reused a build instead of compiling its own`).to.equal(true);
    }
    // The modes really differ: only the full run instruments statements.
    for (const run of runs) {
      if (run.mode === "gate") expect(run.statements.total, "statements in the gate run").to.equal(0);
      else expect(run.statements.covered, "statements in the full run").to.be.greaterThan(0);
    }
    return { dir, runs };
  }

  function expectFigure(run: Run, reference: Run): void {
    expect(run.lines, `lines of ${MEASURED} in the ${run.mode} run`).to.deep.equal(reference.lines);
    expect(run.branches, `branches of ${MEASURED} in the ${run.mode} run`).to.deep.equal(reference.branches);
  }

  it("gate then full: both report the library's real figure", async function () {
    this.timeout(10 * 60_000);
    await inOrder(["gate", "full"]);
  });

  it("full then gate, then the gate again on its own build, then after .solcover.js changes, then after a contract is added", async function () {
    this.timeout(10 * 60_000);
    const { dir, runs } = await inOrder(["full", "gate"]);
    const [full] = runs;

    // Same mode, same settings: the gate's own build is reused, and still right.
    const again = await coverage(dir, "gate");
    expectFigure(again, full);
    expect(again.compiled, "the gate recompiled although nothing changed").to.equal(false);

    // Other instrumentation settings: the build made under the old ones is discarded.
    const solcover = path.join(dir, ".solcover.js");
    const before = readFileSync(solcover, "utf8");
    const after = before.replace("measureStatementCoverage: !gate,", "measureStatementCoverage: true,");
    expect(after, ".solcover.js no longer has measureStatementCoverage: !gate").to.not.equal(before);
    writeFileSync(solcover, after);
    const edited = await coverage(dir, "gate");
    expectFigure(edited, full);
    expect(edited.statements, "statements once the gate measures them").to.deep.equal(full.statements);
    expect(edited.compiled, "the gate reused a build instrumented under the old settings").to.equal(true);

    // A new contract that sorts before the measured one: solidity-coverage numbers its injected
    // points across files in order, so the measured library's instrumented source changes although
    // its own source (all Hardhat's cache compares) does not. Its old instrumented artifact would
    // count hits against points this run no longer has.
    const early = path.join(dir, "contracts/lib/AAEarlyContract.sol");
    writeFileSync(
      early,
      [
        "// SPDX-License-Identifier: MIT",
        "pragma solidity 0.8.30;",
        "",
        "contract AAEarlyContract {",
        "    function pick(uint256 a, uint256 b) external pure returns (uint256) {",
        "        if (a > b) return a;",
        "        return b;",
        "    }",
        "}",
        "",
      ].join("\n"),
    );
    const renumbered = await coverage(dir, "gate");
    expectFigure(renumbered, full);
    expect(renumbered.compiled, "the gate kept a build of other sources").to.equal(true);
  });
});
