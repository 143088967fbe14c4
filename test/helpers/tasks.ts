import { spawn } from "node:child_process";
import net from "node:net";
import { expect } from "chai";
import hre from "hardhat";
import { HardhatPluginError } from "hardhat/plugins";

/** `n` local ports free now: bound together (so distinct), then released. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => net.createServer());
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve))));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

/** A local port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  return (await freePorts(1))[0];
}

/** Runs a task with console.log captured; returns what it printed. */
export async function runTask(name: string, args: Record<string, unknown>): Promise<string> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...parts: unknown[]) => {
    lines.push(parts.map(String).join(" "));
  };
  try {
    await hre.run(name, args);
  } finally {
    console.log = original;
  }
  return lines.join("\n");
}

/** Runs a task that must fail; returns its one-line error message. */
export async function taskError(name: string, args: Record<string, unknown>): Promise<string> {
  let error: unknown;
  try {
    await runTask(name, args);
  } catch (e) {
    error = e;
  }
  expect(error, `${name} should have failed`).to.be.instanceOf(Error);
  expect(HardhatPluginError.isHardhatPluginError(error), String(error)).to.equal(true);
  const message = (error as Error).message;
  expect(message).to.not.include("\n");
  return message;
}

/** What a command printed and how it exited. */
export interface CommandRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The non-blank lines of stdout and stderr together, stderr's first. */
  lines: string[];
}

/** A stack frame as Node prints it ("    at fn (file:1:2)"). */
export const STACK_FRAME = /^\s+at /m;

/**
 * The environment of a new user's headless server: no `CI`, no display (`DISPLAY`, `WAYLAND_DISPLAY`),
 * which Hardhat takes for a CI server, no stack traces asked for, and no Hardhat configuration
 * variables of the person running the tests: `XDG_CONFIG_HOME` points at `configHome`, an empty
 * directory, so that `vars.json` there is empty, and no `HARDHAT_VAR_*` is inherited. `vars` sets
 * configuration variables for the run (as `HARDHAT_VAR_<name>`).
 */
export function headlessEnv(configHome: string, vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("HARDHAT_VAR_") || key === "HARDHAT_NETWORK") continue;
    if (["CI", "DISPLAY", "WAYLAND_DISPLAY", "HARDHAT_SHOW_STACK_TRACES", "FORCE_COLOR"].includes(key)) continue;
    env[key] = value;
  }
  env.XDG_CONFIG_HOME = configHome;
  env.HARDHAT_DISABLE_TELEMETRY_PROMPT = "true";
  env.NO_COLOR = "1";
  for (const [name, value] of Object.entries(vars)) env[`HARDHAT_VAR_${name}`] = value;
  return env;
}

/**
 * Runs `npx hardhat <args>` in a child process with `env`, as a user would (Hardhat's own command-line
 * entry point, without npx's start-up), from the repository root.
 */
export function runHardhat(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CommandRun> {
  const bin = require.resolve("hardhat/internal/cli/bootstrap.js");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: hre.config.paths.root, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const lines = (stderr + "\n" + stdout).split("\n").filter((l) => l.trim() !== "");
      resolve({ code, stdout, stderr, lines });
    });
  });
}

/** Runs `jobs` at most `limit` at a time; resolves with their results in order. */
export async function limited<T>(limit: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}
