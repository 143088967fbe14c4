/**
 * The test stage of `npm test`: every test file runs exactly once, in one of two lanes that run side
 * by side (CI machines have two cores):
 *
 * - the **coverage gate**: the suites that exercise each contract directly (`COVERED_DIRS`: unit,
 *   integration, oracle, withdrawals) run under `hardhat coverage` with instrumented contracts, then
 *   `scripts/check-coverage.ts` requires ≥ 95% of lines and ≥ 90% of branches over `contracts/` (test
 *   doubles excluded). The other suites only add coverage, so the figure is a lower bound of the whole
 *   suite's (`npm run coverage`);
 * - **the rest** under plain `hardhat test` on the real, optimised contracts: attacks, property suites,
 *   the stateful fuzzer, off-chain services, tasks and the browser test (the attack and property suites
 *   repeat thousands of operations, which instrumentation makes many times slower). Then the gas
 *   benchmark (`scripts/bench.ts`), which fails if an operation exceeds its target;
 * - **the devnet** (`test/devnet/Devnet.test.ts`): `npm run devnet` for two real frames, separate
 *   processes on Anvil mining by the clock. It mostly waits for the wall clock (about five minutes), so
 *   it runs beside the two others from the start instead of adding its time to theirs.
 *
 * The plain lane's output streams live; the coverage run's is written to `coverage/gate/gate.log`, the
 * devnet's to `test-results/devnet.log`, each printed when it ends. The gate has its own instrumented
 * build (`coverage-build/gate`, see hardhat.config.ts) and report (`coverage/gate/`, see
 * `.solcover.js`), apart from `npm run coverage`'s; its report folder is emptied first, so the check
 * reads this run's figures or none. Exits non-zero if anything fails.
 */
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";

/** Suites run under coverage. */
const COVERED_DIRS = ["test/unit", "test/integration", "test/oracle", "test/withdrawals", "test/bridge"];
/** The gate's report folder (`istanbulFolder` in `.solcover.js` under COVERAGE_GATE=1) and its log. */
const GATE_DIR = "coverage/gate";
const GATE_LOG = `${GATE_DIR}/gate.log`;
const GATE_ENV = { ...process.env, COVERAGE_GATE: "1" };
/** Tests that wait for the wall clock, in a lane of their own, and its log. */
const DEVNET_TESTS = ["test/devnet/Devnet.test.ts"];
const DEVNET_LOG = "test-results/devnet.log";

/** Every `*.ts` test file under `dir`, recursively (helpers are not tests). */
function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return name === "helpers" ? [] : testFiles(file);
    return file.endsWith(".test.ts") ? [file] : [];
  });
}

/** Runs `npx args…`; resolves with its exit code. Output goes to the console or, with `log`, to a file. */
function run(args: string[], env: NodeJS.ProcessEnv, log?: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("npx", args, { env, stdio: log === undefined ? "inherit" : ["ignore", "pipe", "pipe"] });
    if (log !== undefined) {
      const out = createWriteStream(log);
      child.stdout?.pipe(out);
      child.stderr?.pipe(out);
    }
    child.on("close", (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<void> {
  const all = testFiles("test").sort();
  const covered = all.filter((f) => COVERED_DIRS.some((d) => f.startsWith(d + path.sep)));
  const rest = all.filter((f) => !covered.includes(f) && !DEVNET_TESTS.includes(f));
  console.log(
    `${covered.length} test files under coverage, ${rest.length} alongside, ${DEVNET_TESTS.length} on the devnet (${all.length} in all)\n`,
  );

  rmSync(GATE_DIR, { recursive: true, force: true });
  mkdirSync(GATE_DIR, { recursive: true });
  // solidity-coverage takes one glob (no list of files).
  const glob = `{${COVERED_DIRS.join(",")}}/**/*.test.ts`;
  mkdirSync(path.dirname(DEVNET_LOG), { recursive: true });
  const devnet = run(["hardhat", "test", "--no-compile", ...DEVNET_TESTS], process.env, DEVNET_LOG);
  const gate = run(["hardhat", "coverage", "--testfiles", glob], GATE_ENV, GATE_LOG);
  const plain = await run(["hardhat", "test", "--no-compile", ...rest], process.env);
  const bench = await run(["hardhat", "run", "--no-compile", "scripts/bench.ts"], process.env);
  const tests = await gate;

  console.log(`\n──────── coverage run (${GATE_LOG}) ────────\n`);
  console.log(readFileSync(GATE_LOG, "utf8"));
  const devnetTests = await devnet;
  console.log(`\n──────── devnet (${DEVNET_LOG}) ────────\n`);
  console.log(readFileSync(DEVNET_LOG, "utf8"));
  const check = tests === 0 ? await run(["ts-node", "scripts/check-coverage.ts"], GATE_ENV) : 1;
  const failures = [
    ...(plain !== 0 ? ["the tests outside coverage failed"] : []),
    ...(bench !== 0 ? ["the gas benchmark failed"] : []),
    ...(tests !== 0 ? ["the tests under coverage failed"] : []),
    ...(devnetTests !== 0 ? ["the devnet test failed"] : []),
    ...(tests === 0 && check !== 0 ? ["coverage is below the gate"] : []),
  ];
  if (failures.length > 0) {
    console.error(failures.join("; "));
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
