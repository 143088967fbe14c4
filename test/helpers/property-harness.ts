import { expect } from "chai";
import fc from "fast-check";
import type { BaseContract, ContractTransactionReceipt } from "ethers";

/**
 * What the model-based suites share: the exact-custom-error outcome assertion, the per-command
 * outcome counters (coverage), and the runner that applies env overrides and prints a replay command.
 * Used by the token-layer properties (test/property) and the whole-protocol fuzzer (test/fuzz).
 */

// ──────────────────────────────── Outcomes ────────────────────────────────

/** A sent transaction (an ethers `ContractTransactionResponse` or `TransactionResponse`). */
export interface Sent {
  wait(): Promise<ContractTransactionReceipt | null | unknown>;
}

/** How often each command ended in success or in each custom error (printed on request). */
export const outcomes = new Map<string, number>();
let currentCommand = "setup";

/** Names the command whose outcomes `record` counts from now on. */
export function setCurrentCommand(name: string): void {
  currentCommand = name;
}

/** Counts one outcome of the current command. */
export function record(outcome: string): void {
  const key = `${currentCommand} → ${outcome}`;
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
}

/** The outcome counters, sorted, one per line (for FC_COVERAGE / FUZZ_COVERAGE). */
export function formatOutcomes(): string {
  return [...outcomes.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `      ${k}: ${n}`)
    .join("\n");
}

/** A precondition that does not hold, and the exact custom error (with arguments) it must revert with. */
export interface Failure {
  contract: BaseContract;
  error: string;
  args: unknown[];
}

export const failure = (contract: BaseContract, error: string, ...args: unknown[]): Failure => ({
  contract,
  error,
  args,
});

/** Waits for a transaction that must succeed (an unexpected revert throws); returns its receipt. */
export async function mined(tx: Promise<Sent>): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (receipt === null || receipt === undefined) throw new Error("no receipt");
  return receipt as ContractTransactionReceipt;
}

/**
 * Asserts the outcome the model predicts: success when no precondition fails; otherwise a revert with
 * the exact custom error and arguments of a failing precondition. When several fail at once, any of
 * theirs is accepted (which check runs first is the contract's business); with one, it is exact.
 * @returns The receipt when the transaction succeeded, null when it reverted as expected.
 */
export async function expectReceipt(
  tx: Promise<Sent>,
  failures: Failure[],
): Promise<ContractTransactionReceipt | null> {
  if (failures.length === 0) {
    const receipt = await mined(tx);
    record("ok");
    return receipt;
  }
  const mismatches: string[] = [];
  for (const { contract, error, args } of failures) {
    try {
      await expect(tx)
        .to.be.revertedWithCustomError(contract, error)
        .withArgs(...args);
      record(error);
      return null;
    } catch (e) {
      mismatches.push(e instanceof Error ? e.message : String(e));
    }
  }
  throw new Error(`expected one of [${failures.map((f) => f.error).join(", ")}]:\n  ${mismatches.join("\n  ")}`);
}

/** {expectReceipt}, reduced to whether the transaction succeeded. */
export async function expectOutcome(tx: Promise<Sent>, failures: Failure[]): Promise<boolean> {
  return (await expectReceipt(tx, failures)) !== null;
}

// ──────────────────────────────── Running a property ────────────────────────────────

/** An integer from the environment, or undefined when unset or empty (throws on anything else). */
export function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return value;
}

/** How a suite names its environment overrides and how its failures are replayed. */
export interface RunnerConfig {
  /** The test file, for the replay command. */
  file: string;
  /** Env var names: runs, seed, path (fast-check's counterexample path), replay path (fc.commands'). */
  env: { runs: string; seed: string; path: string; replayPath: string };
  /** Further env assignments the replay command needs (e.g. the profile and the command count). */
  replayEnv?: string[];
  /** Time a property may take (runs plus shrinking) before fast-check stops and reports what it has. */
  timeBudgetMs: (runs: number) => number;
  /** The seed used when the env gives none (undefined: fast-check's random seed). */
  defaultSeed?: number;
}

/**
 * Runs a property with the env overrides of `config`. On failure, throws fast-check's report (seed,
 * path, shrunk counterexample), the underlying error, and a command line that replays exactly that
 * failure (also printed to stderr at once).
 */
export async function checkProperty<Ts>(
  test: Mocha.Context,
  grep: string,
  property: fc.IAsyncProperty<Ts>,
  defaultRuns: number,
  config: RunnerConfig,
): Promise<fc.RunDetails<Ts>> {
  const numRuns = envInt(config.env.runs) ?? defaultRuns;
  // fast-check stops (and reports the smallest failure found so far) well before mocha's timeout.
  const interruptAfterTimeLimit = config.timeBudgetMs(numRuns);
  test.timeout(interruptAfterTimeLimit + 2 * 60_000);
  const params: fc.Parameters<Ts> = { numRuns, interruptAfterTimeLimit };
  const seed = envInt(config.env.seed) ?? config.defaultSeed;
  if (seed !== undefined) params.seed = seed;
  const path = process.env[config.env.path];
  if (path !== undefined && path !== "") params.path = path;
  const details = await fc.check(property, params);
  if (!details.failed) {
    if (details.interrupted) console.warn(`    (interrupted by the time limit after ${details.numRuns} runs)`);
    return details;
  }

  const report = (await fc.asyncDefaultReportMessage(details)) ?? "property failed";
  const cause: unknown = details.errorInstance;
  const error = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
  const replayPath = /replayPath="([^"]+)"/.exec(report)?.[1];
  const env = [
    ...(config.replayEnv ?? []),
    `${config.env.seed}=${details.seed}`,
    details.counterexamplePath === null ? "" : `${config.env.path}=${details.counterexamplePath}`,
    replayPath === undefined ? "" : `${config.env.replayPath}='${replayPath}'`,
  ].filter((part) => part !== "");
  const replay = `Replay: ${env.join(" ")} npx hardhat test --no-compile ${config.file} --grep "${grep}"`;
  console.error(`\n${replay}\n`);
  throw new Error(`${report}\n\nError: ${error}\n\n${replay}`, { cause });
}
