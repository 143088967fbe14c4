/**
 * How a command run from the terminal fails: one line, never a stack trace.
 *
 * Hardhat 2 prints a stack trace after every error when it believes it runs on a CI server, and it
 * believes so on any Linux machine without a display (`isRunningOnCiServer` in
 * hardhat/internal/util/ci-detection.js: no `DISPLAY` and no `WAYLAND_DISPLAY` counts as CI), so a
 * new user on a headless server got a stack trace for `npx hardhat claim-withdrawals` with nothing
 * to claim. Two layers keep a failure to one line:
 *
 * - Tidepool's tasks never let an error reach Hardhat when run from the command line: the action
 *   wrapper of tasks/lib.ts prints the one sentence and sets the exit code (`isCommandLineTask`).
 * - What Hardhat reports itself, before a task runs (a misspelled flag, a missing `--amount`, an
 *   unknown `--network`), keeps its one line: `reportHardhatErrorsInOneLine` drops the stack trace
 *   and the "For more info" hint after it, unless `--show-stack-traces` asks for them.
 *
 * Loaded by hardhat.config.ts before compilation: imports nothing from typechain-types or
 * deploy/ (see tasks/lib.ts).
 */
import path from "node:path";
import { HardhatError } from "hardhat/internal/core/errors";
import { HardhatPluginError } from "hardhat/plugins";

/** Configuration variables holding each network's RPC URL (`npx hardhat vars set <name>`). */
export const RPC_URL_VARS: Readonly<Record<string, string>> = {
  hoodi: "HOODI_RPC_URL",
  mainnet: "MAINNET_RPC_URL",
  localhost: "LOCALHOST_RPC_URL",
};

/** Where `npx hardhat node` listens: the localhost network's URL unless LOCALHOST_RPC_URL is set. */
export const DEFAULT_LOCALHOST_URL = "http://127.0.0.1:8545";

/** Whether this process is Hardhat's command line (`npx hardhat …`), not a test or a script importing it. */
export function isHardhatCli(): boolean {
  const main = require.main?.filename ?? "";
  return /[\\/]hardhat[\\/]internal[\\/]cli[\\/](bootstrap|cli)\.js$/.test(main);
}

/** Whether the command line asks for stack traces (`--show-stack-traces` or HARDHAT_SHOW_STACK_TRACES). */
export function stackTracesRequested(): boolean {
  const env = process.env.HARDHAT_SHOW_STACK_TRACES;
  return process.argv.includes("--show-stack-traces") || env === "true" || env === "1";
}

let commandLineTaskName: string | undefined | null = null;

/**
 * The task Hardhat's command line runs (`stake` in `npx hardhat --network x stake --amount 1`), as
 * Hardhat itself parses its arguments; undefined outside the command line.
 */
export function commandLineTask(): string | undefined {
  if (commandLineTaskName !== null) return commandLineTaskName;
  commandLineTaskName = undefined;
  if (isHardhatCli()) {
    try {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { ArgumentsParser } =
        require("hardhat/internal/cli/ArgumentsParser") as typeof import("hardhat/internal/cli/ArgumentsParser");
      const { HARDHAT_PARAM_DEFINITIONS } =
        require("hardhat/internal/core/params/hardhat-params") as typeof import("hardhat/internal/core/params/hardhat-params");
      const { getEnvHardhatArguments } =
        require("hardhat/internal/core/params/env-variables") as typeof import("hardhat/internal/core/params/env-variables");
      /* eslint-enable @typescript-eslint/no-require-imports */
      const env = getEnvHardhatArguments(HARDHAT_PARAM_DEFINITIONS, process.env);
      const parsed = new ArgumentsParser().parseHardhatArguments(HARDHAT_PARAM_DEFINITIONS, env, process.argv.slice(2));
      commandLineTaskName = parsed.scopeOrTaskName;
    } catch {
      // Hardhat reports arguments it cannot parse itself.
    }
  }
  return commandLineTaskName;
}

/**
 * Whether the task `name` is the one this process's command line runs: it then reports its own
 * failure (a sentence on stderr, exit code 1). Run by code instead (`hre.run` in a test or a script),
 * it throws, so that the caller sees the failure.
 */
export function isCommandLineTask(name: string): boolean {
  return commandLineTask() === name;
}

/** Hardhat's text after a stack trace it did not print: "For more info … --show-stack-traces". */
const MORE_INFO_HINT = /^For more info .*--show-stack-traces$/;

let installed = false;

/**
 * On Hardhat's command line, unless stack traces are asked for: an error Hardhat reports itself
 * prints its one line ("Error HH305: Unrecognized param --form") without the stack trace it adds on
 * machines it takes for CI servers, and without the hint that would replace it elsewhere. Errors
 * Hardhat calls unexpected (a bug) keep their stack trace.
 */
export function reportHardhatErrorsInOneLine(): void {
  if (installed || !isHardhatCli() || stackTracesRequested()) return;
  installed = true;
  const original = console.error.bind(console);
  console.error = (...args: unknown[]): void => {
    if (args.length === 1) {
      const [only] = args;
      if (HardhatError.isHardhatError(only) || HardhatPluginError.isHardhatPluginError(only)) return;
      if (typeof only === "string" && MORE_INFO_HINT.test(only)) return;
    }
    original(...args);
  };
}

/** `file` relative to the working directory when inside it (shorter in messages), else as is. */
export function shortPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}
