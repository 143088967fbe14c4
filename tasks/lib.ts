/**
 * Helpers shared by the Hardhat tasks. This file is loaded with hardhat.config.ts, before anything is
 * compiled: it must not import typechain-types, deploy/protocol.ts or `hardhat` at top level
 * (type-only imports are erased; the rest is loaded with `require` inside task actions, since a
 * dynamic `import()` stays native under module node16 and bypasses ts-node).
 */
import fs from "node:fs";
import path from "node:path";
import { isAddress, getAddress, type Interface } from "ethers";
import { HardhatPluginError } from "hardhat/plugins";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Tidepool } from "../deploy/protocol";
import { parseEthText } from "../sdk/src/format";
import { decodeRevert } from "../sdk/src/revert";

export { duration, percentBP } from "../sdk/src/format";
export { decodeRevert } from "../sdk/src/revert";

/** The name Hardhat prints before a task's one-line error ("Error in plugin tidepool: …"). */
export const PLUGIN_NAME = "tidepool";

/** The Ignition module id and the pool proxy's future id (deploy/modules/Tidepool.ts). */
export const POOL_DEPLOYMENT_KEY = "Tidepool#StakingPoolProxy";

/** A one-line error, printed by Hardhat without a stack trace. */
export function fail(message: string): never {
  throw new HardhatPluginError(PLUGIN_NAME, message);
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

/** Checks an address argument and returns it checksummed. */
export function parseAddress(value: unknown, name: string): string {
  const text = typeof value === "string" ? value.trim() : "";
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

/** The pool address: `--pool`, else the Ignition deployment of the connected chain. */
export async function resolvePoolAddress(hre: HardhatRuntimeEnvironment, pool: unknown): Promise<string> {
  if (pool !== undefined && pool !== "") return parseAddress(pool, "pool");
  const chainId = BigInt((await hre.network.provider.send("eth_chainId", [])) as string);
  const file = deploymentFile(hre, chainId);
  let addresses: Record<string, unknown>;
  try {
    addresses = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    return fail(`no --pool given and no Ignition deployment found for chain ${chainId} (${file})`);
  }
  const address = addresses[POOL_DEPLOYMENT_KEY];
  if (typeof address !== "string" || !isAddress(address)) {
    return fail(`no --pool given and ${file} has no "${POOL_DEPLOYMENT_KEY}"`);
  }
  return getAddress(address);
}

/** Typed handles on the deployment at `--pool` (or the recorded one). */
export async function loadTidepool(hre: HardhatRuntimeEnvironment, pool: unknown): Promise<Tidepool> {
  const poolAddress = await resolvePoolAddress(hre, pool);
  if ((await hre.ethers.provider.getCode(poolAddress)) === "0x") fail(`no contract at pool address ${poolAddress}`);
  // `require`, not `import()`: with module node16 a dynamic import is native and skips ts-node.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { attachTidepool } = require("../deploy/protocol") as typeof import("../deploy/protocol");
  try {
    return await attachTidepool(hre, poolAddress);
  } catch (error) {
    return fail(`${poolAddress} does not look like a Tidepool staking pool: ${firstLine(error)}`);
  }
}

/** The account that signs: the network's first configured account. */
export async function defaultSigner(hre: HardhatRuntimeEnvironment): Promise<HardhatEthersSigner> {
  const [signer] = await hre.ethers.getSigners();
  if (signer === undefined) fail(`network "${hre.network.name}" has no accounts configured to sign with`);
  return signer;
}

/** An error's first line (its short message where it has one): what a task prints of it. */
export function firstLine(error: unknown): string {
  const e = error as { shortMessage?: unknown; message?: unknown };
  const text =
    typeof e?.shortMessage === "string" ? e.shortMessage : typeof e?.message === "string" ? e.message : String(error);
  return text.split("\n")[0];
}

/**
 * Runs a contract call or transaction; turns a revert into a one-line error naming the custom
 * error (decoded with the given contracts' interfaces), and any other failure into its first line.
 */
export async function attempt<T>(what: string, interfaces: Interface[], run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (HardhatPluginError.isHardhatPluginError(error)) throw error;
    const decoded = decodeRevert(error, interfaces);
    return fail(`${what} reverted: ${decoded ?? firstLine(error)}`);
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
  for (const account of accounts) if (await holds(account.address)) return account;
  return fail(`none of network "${hre.network.name}"'s ${accounts.length} accounts is ${role}`);
}
