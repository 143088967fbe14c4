/**
 * Helpers shared by the Hardhat tasks. This file is loaded with hardhat.config.ts, before anything is
 * compiled: it must not import typechain-types, deploy/protocol.ts or `hardhat` at top level
 * (type-only imports are erased; the rest is loaded with `require` inside task actions, since a
 * dynamic `import()` stays native under module node16 and bypasses ts-node).
 *
 * Every task is defined with `tidepoolTask`, whose actions fail one way (issue 16 §3): one plain
 * sentence (a revert in the SDK's words, amounts in ETH), printed as `Error: <sentence>` on stderr
 * with exit code 1 when the task runs from the command line, thrown as a {TaskFailure} when code runs
 * it (`hre.run`). Never a stack trace (see tasks/cli.ts for why Hardhat would print one).
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { isAddress, getAddress } from "ethers";
import { task } from "hardhat/config";
import { HardhatError } from "hardhat/internal/core/errors";
import { HardhatPluginError } from "hardhat/plugins";
import type { ActionType, ConfigurableTaskDefinition, HardhatRuntimeEnvironment, TaskArguments } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Tidepool } from "../deploy/protocol";
import { TidepoolClient } from "../sdk/src/client";
import {
  LAUNCH_DEPLOYMENT_KEY,
  POOL_DEPLOYMENT_KEY,
  ignitionRecordIncomplete,
  poolFromIgnitionRecord,
} from "../sdk/src/deployments";
import { describeError } from "../sdk/src/errors";
import { parseEthText } from "../sdk/src/format";
import { INTERFACES } from "../sdk/src/protocol";
import { isTidepoolSdkError } from "../sdk/src/sdk-error";
import { RPC_URL_VARS, isCommandLineTask, shortPath } from "./cli";

export { duration, ethAtMost, percentBP } from "../sdk/src/format";
export { POOL_DEPLOYMENT_KEY } from "../sdk/src/deployments";
export { decodeRevert } from "../sdk/src/revert";

/** The name a {TaskFailure} carries as a Hardhat plugin error. */
export const PLUGIN_NAME = "tidepool";

/** Help texts shared by the tasks' parameters. */
export const POOL_HELP = "StakingPool (tpETH) address; default: the Ignition deployment of this chain";
export const FROM_HELP =
  "Who signs: an account index (0 is the first) or the address of one of this network's accounts; default: the first";
export const RAW_HELP = "Also print raw share counts";

/** A task's failure: one sentence, no newline, meant for the person who ran the task. */
export class TaskFailure extends HardhatPluginError {
  constructor(message: string, parent?: Error) {
    super(PLUGIN_NAME, message.split("\n")[0], parent);
  }
}

/** Ends the task with a one-sentence failure. */
export function fail(message: string): never {
  throw new TaskFailure(message);
}

/**
 * `task(name, description)` whose action fails one way: from the command line, the failure is one
 * sentence on stderr (`Error: …`) and exit code 1, Hardhat never sees an error (so prints no stack
 * trace); run by code, it throws a {TaskFailure} with that sentence. Before the action, a network
 * without an RPC URL is refused with what to set.
 */
export function tidepoolTask(name: string, description: string): ConfigurableTaskDefinition {
  const definition = task(name, description);
  const setAction = definition.setAction.bind(definition);
  definition.setAction = ((action: ActionType<TaskArguments>) =>
    setAction(reportingFailures(name, action))) as ConfigurableTaskDefinition["setAction"];
  return definition;
}

/** `action` with its failures turned into one sentence (see {tidepoolTask}). */
function reportingFailures(name: string, action: ActionType<TaskArguments>): ActionType<TaskArguments> {
  return async (args, hre, runSuper) => {
    try {
      requireRpcUrl(hre);
      return await action(args, hre, runSuper);
    } catch (error) {
      const failure = toFailure(error, hre);
      if (!isCommandLineTask(name)) throw failure;
      console.error(`Error: ${failure.message}`);
      process.exitCode = 1;
      return undefined;
    }
  };
}

/**
 * Any error as a {TaskFailure}: the SDK's own failure ({@link TidepoolSdkError}) by its sentence as
 * it is, reverts in the SDK's words, the rest by what to do about them.
 */
export function toFailure(error: unknown, hre: HardhatRuntimeEnvironment): TaskFailure {
  if (error instanceof TaskFailure) return error;
  if (isTidepoolSdkError(error)) {
    // A network the SDK could not reach is said as for any command: how to reach it.
    const unreachable = hardhatErrorIn(error.raw, 108) ?? hardhatErrorIn(error.raw, 117);
    return new TaskFailure(unreachable === undefined ? error.sentence : describeFailure(error.raw, hre), error);
  }
  return new TaskFailure(describeFailure(error, hre), error instanceof Error ? error : undefined);
}

/** The network's RPC URL, if it is an HTTP network. */
function rpcUrl(hre: HardhatRuntimeEnvironment): string | undefined {
  const config = hre.network.config as { url?: unknown };
  return typeof config.url === "string" ? config.url : undefined;
}

/** Refuses a network whose RPC URL is not set (a public network before `npx hardhat vars set …`). */
export function requireRpcUrl(hre: HardhatRuntimeEnvironment): void {
  const url = rpcUrl(hre);
  if (url === undefined || url.trim() !== "") return;
  const variable = RPC_URL_VARS[hre.network.name];
  if (variable !== undefined) fail(`Set the RPC URL for ${hre.network.name} first: npx hardhat vars set ${variable}`);
  fail(`Network "${hre.network.name}" has no RPC URL: set its url in hardhat.config.ts`);
}

/** The Hardhat error numbered `number` in `error` or the errors it wraps, if any. */
function hardhatErrorIn(error: unknown, number: number, depth = 0): HardhatError | undefined {
  if (error === null || typeof error !== "object" || depth > 5) return undefined;
  if (HardhatError.isHardhatError(error) && error.number === number) return error;
  const e = error as Record<string, unknown>;
  for (const key of ["parent", "cause", "error", "info"]) {
    const found = hardhatErrorIn(e[key], number, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * A failure in one sentence: a network that cannot be reached says how to reach it, a revert is the
 * SDK's sentence for its custom error (amounts in ETH, the error's name in parentheses), anything
 * else its first line.
 */
export function describeFailure(error: unknown, hre: HardhatRuntimeEnvironment): string {
  const network = hre.network.name;
  if (hardhatErrorIn(error, 108) !== undefined) {
    if (network === "localhost") {
      let host = "";
      try {
        host = ` (${new URL(rpcUrl(hre) ?? "").host})`;
      } catch {
        host = "";
      }
      return `Cannot connect to network "localhost"${host}: start a node with "npx hardhat node" and deploy to it, or choose another --network.`;
    }
    // No URL in the sentence: a provider's URL may carry an API key.
    const variable = RPC_URL_VARS[network];
    const hint = variable === undefined ? "its url in hardhat.config.ts" : `npx hardhat vars set ${variable}`;
    return `Cannot connect to network "${network}": check your connection and its RPC URL (${hint}).`;
  }
  if (hardhatErrorIn(error, 117) !== undefined) {
    const variable = RPC_URL_VARS[network];
    if (variable !== undefined) return `Set the RPC URL for ${network} first: npx hardhat vars set ${variable}`;
  }
  if (HardhatError.isHardhatError(error)) return error.message.replace(/^HH\d+: /, "").split("\n")[0];
  return describeError(error, INTERFACES);
}

/** Parses a human-readable ETH amount ("1.5") to wei; rejects malformed, zero and negative amounts. */
export function parseAmount(value: unknown, name = "amount", allowZero = false): bigint {
  const text = typeof value === "string" ? value.trim() : String(value ?? "");
  const wei = parseEthText(text);
  if (wei === undefined) {
    return fail(`--${name} must be a positive decimal amount of ETH (at most 18 decimals), got "${text}"`);
  }
  if (wei < 0n || (wei === 0n && !allowZero)) fail(`--${name} must be greater than zero, got "${text}"`);
  return wei;
}

/** The zero address however written: "0x0", "0", "0x000…0". */
const ZERO_ADDRESS_TEXT = /^(0x)?0+$/i;

/**
 * Checks an address argument and returns it checksummed. The zero address (in any form, "0x0"
 * included) is refused unless `zero` is "allow": it never names anyone, and a contract that reads it
 * as "the sender" would silently replace it. `hint` ends the refusal (what to do instead).
 */
export function parseAddress(
  value: unknown,
  name: string,
  options: { zero?: "allow" | "refuse"; hint?: string } = {},
): string {
  const text = typeof value === "string" ? value.trim() : "";
  if (ZERO_ADDRESS_TEXT.test(text)) {
    if (options.zero === "allow") return getAddress("0x" + "0".repeat(40));
    fail(`--${name} cannot be the zero address${options.hint ? `: ${options.hint}` : ""}`);
  }
  if (!isAddress(text)) fail(`--${name} is not a valid address: "${String(value)}"`);
  return getAddress(text);
}

/** Checks an http(s) URL argument (a Beacon API, say) and returns it without trailing slashes. */
export function parseHttpUrl(value: unknown, name: string): string {
  const text = typeof value === "string" ? value.trim() : "";
  let protocol: string | undefined;
  try {
    protocol = new URL(text).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== "http:" && protocol !== "https:") fail(`--${name} must be an http(s) URL, got "${String(value)}"`);
  return text.replace(/\/+$/, "");
}

/** Where Ignition records the addresses it deployed on `chainId`. */
export function deploymentFile(hre: HardhatRuntimeEnvironment, chainId: bigint): string {
  return path.join(hre.config.paths.ignition, "deployments", `chain-${chainId}`, "deployed_addresses.json");
}

/**
 * What to say on the in-process network, which starts empty every run: most likely `--network` was
 * forgotten.
 */
export const IN_PROCESS_NO_DEPLOYMENT =
  'No Tidepool deployment on the in-process "hardhat" network: pass --network localhost (a node started with "npx hardhat node" and deployed) or --network hoodi, or --pool <address>.';

/** The pool address: `--pool`, else the Ignition deployment of the connected chain. */
export async function resolvePoolAddress(hre: HardhatRuntimeEnvironment, pool: unknown): Promise<string> {
  if (pool !== undefined && pool !== "") return parseAddress(pool, "pool");
  const chainId = BigInt((await hre.network.provider.send("eth_chainId", [])) as string);
  const file = deploymentFile(hre, chainId);
  const network = hre.network.name;
  let addresses: Record<string, unknown>;
  try {
    addresses = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    if (network === "hardhat") return fail(IN_PROCESS_NO_DEPLOYMENT);
    return fail(
      `No Tidepool deployment recorded for network "${network}" (chain ${chainId}, ${shortPath(file)}): deploy with` +
        ` "npx hardhat deploy --network ${network}" or pass --pool <address>.`,
    );
  }
  if (ignitionRecordIncomplete(addresses)) {
    return fail(
      `The Tidepool deployment recorded in ${shortPath(file)} is incomplete (its last step, ${LAUNCH_DEPLOYMENT_KEY}, has not run): finish it with "npx hardhat deploy --network ${network}" (docs/deployment.md, "Resuming a deployment").`,
    );
  }
  const address = poolFromIgnitionRecord(addresses);
  if (address === undefined) return fail(`${shortPath(file)} has no "${POOL_DEPLOYMENT_KEY}": pass --pool <address>.`);
  return address;
}

/** Typed handles on the deployment at `--pool` (or the recorded one). */
export async function loadTidepool(hre: HardhatRuntimeEnvironment, pool: unknown): Promise<Tidepool> {
  const poolAddress = await resolvePoolAddress(hre, pool);
  if ((await hre.ethers.provider.getCode(poolAddress)) === "0x") {
    // A record of another chain 31337 (a localhost node's) read on the in-process network, say.
    if (hre.network.name === "hardhat") fail(IN_PROCESS_NO_DEPLOYMENT);
    fail(`no contract at pool address ${poolAddress} on network "${hre.network.name}"`);
  }
  // `require`, not `import()`: with module node16 a dynamic import is native and skips ts-node.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { attachTidepool } = require("../deploy/protocol") as typeof import("../deploy/protocol");
  try {
    return await attachTidepool(hre, poolAddress);
  } catch (error) {
    return fail(`${poolAddress} does not look like a Tidepool staking pool: ${firstLine(error)}`);
  }
}

/**
 * A {@link TidepoolClient} on the deployment at `--pool` (or the recorded one), acting for `signer`,
 * or reading only without one. The in-process network, which starts empty every run, says to pass
 * `--network` rather than that there is no contract.
 */
export async function connectClient(
  hre: HardhatRuntimeEnvironment,
  pool: unknown,
  signer?: HardhatEthersSigner,
): Promise<TidepoolClient> {
  const poolAddress = await resolvePoolAddress(hre, pool);
  if (hre.network.name === "hardhat" && (await hre.ethers.provider.getCode(poolAddress)) === "0x") {
    fail(IN_PROCESS_NO_DEPLOYMENT);
  }
  return TidepoolClient.connect({ runner: signer ?? hre.ethers.provider, pool: poolAddress });
}

/** The sentence for a network without accounts (a public one before its key is set). */
function noAccounts(hre: HardhatRuntimeEnvironment): string {
  const network = hre.network.name;
  return RPC_URL_VARS[network] !== undefined && network !== "localhost"
    ? `Network "${network}" has no account to sign with: npx hardhat vars set DEPLOYER_PRIVATE_KEY`
    : `Network "${network}" has no account to sign with`;
}

/**
 * The account that signs: `--from` (an index among the network's accounts, or the address of one of
 * them; Hardhat can sign only with those), else the network's first account.
 */
export async function signerFrom(
  hre: HardhatRuntimeEnvironment,
  from: unknown,
  name = "from",
): Promise<HardhatEthersSigner> {
  const accounts = await hre.ethers.getSigners();
  const network = hre.network.name;
  if (accounts.length === 0) fail(noAccounts(hre));
  if (from === undefined) return accounts[0];
  const text = typeof from === "string" ? from.trim() : String(from);
  if (/^[0-9]+$/.test(text)) {
    const account = accounts[Number(text)];
    if (account === undefined) {
      fail(
        `--${name} ${text}: network "${network}" has ${accounts.length} accounts (indices 0 to ${accounts.length - 1})`,
      );
    }
    return account;
  }
  if (!ZERO_ADDRESS_TEXT.test(text) && !isAddress(text)) {
    fail(`--${name} must be an account index (0 to ${accounts.length - 1}) or an address, got "${text}"`);
  }
  const address = parseAddress(text, name);
  const account = accounts.find((a) => a.address === address);
  if (account === undefined) {
    fail(
      `--${name} ${address} is not one of network "${network}"'s ${accounts.length} accounts, the only ones it can sign with`,
    );
  }
  return account;
}

/**
 * Whose balances or requests a read-only task shows: `--account` (any address), `--from` (one of the
 * network's accounts), else the network's first account; undefined on a network without accounts.
 */
export async function viewedAccount(
  hre: HardhatRuntimeEnvironment,
  args: { from?: string; account?: string },
): Promise<string | undefined> {
  if (args.from !== undefined && args.account !== undefined) {
    fail("give --from (one of this network's accounts) or --account (any address), not both");
  }
  if (args.account !== undefined) return parseAddress(args.account, "account");
  if (args.from === undefined && (await hre.ethers.getSigners()).length === 0) return undefined;
  return (await signerFrom(hre, args.from)).address;
}

/** An error's first line (its short message where it has one). */
export function firstLine(error: unknown): string {
  const e = error as { shortMessage?: unknown; message?: unknown };
  const text =
    typeof e?.shortMessage === "string" ? e.shortMessage : typeof e?.message === "string" ? e.message : String(error);
  return text.split("\n")[0];
}

/**
 * Runs a contract call or transaction; turns a revert into the SDK's sentence for its custom error
 * (decoded with every Tidepool contract's interface, amounts in ETH), and any other failure into a
 * sentence as {tidepoolTask} would.
 */
export async function attempt<T>(hre: HardhatRuntimeEnvironment, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toFailure(error, hre);
  }
}

/** Parses a non-negative integer argument (an account index, a count, seconds). */
export function parseCount(value: unknown, name: string, min = 0): number {
  const text = typeof value === "string" ? value.trim() : String(value ?? "");
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) {
    fail(`--${name} must be an integer of at least ${min}, got "${text}"`);
  }
  return Number(text);
}

/**
 * The account that signs in a role: account `--<param> <index>` (which must hold it), else the first
 * of the network's accounts that does. `holds` tells whether an address holds the role; `role` names
 * it in errors ("an oracle member").
 */
export async function roleSigner(
  hre: HardhatRuntimeEnvironment,
  param: string,
  index: unknown,
  role: string,
  holds: (address: string) => Promise<boolean>,
): Promise<HardhatEthersSigner> {
  const accounts = await hre.ethers.getSigners();
  if (index !== undefined) {
    const i = parseCount(index, param);
    const account = accounts[i];
    if (account === undefined) {
      fail(
        `--${param} ${i}: network "${hre.network.name}" has ${accounts.length} accounts (indices 0 to ${accounts.length - 1})`,
      );
    }
    if (!(await holds(account.address))) fail(`account ${i} (${account.address}) is not ${role}`);
    return account;
  }
  if (accounts.length === 0) fail(noAccounts(hre));
  for (const account of accounts) if (await holds(account.address)) return account;
  return fail(`none of network "${hre.network.name}"'s ${accounts.length} accounts is ${role}`);
}

/**
 * Runs a script's `main` (`npx hardhat run scripts/….ts`) with the tasks' failure path: one sentence
 * on stderr (`Error: …`), no stack trace, and exit code 1 at once, since servers the script started
 * before failing would keep the process alive.
 */
export function runScript(hre: HardhatRuntimeEnvironment, main: () => Promise<void>): Promise<void> {
  return main().catch((error: unknown) => {
    console.error(`Error: ${toFailure(error, hre).message}`);
    process.exit(1);
  });
}

/**
 * Whether `host:port` can be listened on now. Servers that start later cannot report a port in use
 * themselves (Hardhat's JSON-RPC server and the Beacon API server emit an unhandled "error" instead),
 * so scripts ask first.
 */
export function portIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}
