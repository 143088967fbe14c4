/**
 * Runs a deployment module with Ignition, as `npx hardhat ignition deploy` does (same deployment
 * directory, so either resumes the other's deployment), and says a failure in one sentence: a
 * revert decoded against every Tidepool ABI (a proxy's constructor reverts with the error of the
 * implementation it initialises, which Ignition, knowing only the proxy's ABI, leaves undecoded),
 * and what to run next.
 *
 * Loaded by tasks/deploy.ts inside its action (it imports the modules, which import `hardhat`).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DeploymentResultType, deploy, type DeploymentResult } from "@nomicfoundation/ignition-core";
import { HardhatArtifactResolver, PrettyEventHandler } from "@nomicfoundation/hardhat-ignition/helpers";
import { toQuantity } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { describeError } from "../sdk/src/errors";
import { INTERFACES } from "../sdk/src/protocol";
import { revertData } from "../sdk/src/revert";
import type { DeployModule } from "./check";
import GovernanceModule from "./modules/Governance";
import TidepoolModule from "./modules/Tidepool";

/** What a deployment run ended with. */
export type DeploymentOutcome = { ok: true; addresses: Record<string, string> } | { ok: false; sentence: string };

/** Where Ignition keeps the deployment of `chainId` (`deploy/deployments/chain-<id>`). */
export function deploymentDirectory(hre: HardhatRuntimeEnvironment, chainId: bigint): string {
  return path.join(hre.config.paths.ignition, "deployments", `chain-${chainId}`);
}

/**
 * Deploys `module` with `parameters` (parsed Ignition parameters) into `options.directory`, by
 * default this chain's Ignition deployment directory. On the in-process network the journal lives in
 * a temporary directory by default (so that a revert can be decoded), removed after.
 */
export async function runDeployment(
  hre: HardhatRuntimeEnvironment,
  module: DeployModule,
  parameters: Record<string, Record<string, unknown>>,
  options: { display?: boolean; directory?: string } = {},
): Promise<DeploymentOutcome> {
  const chainId = BigInt((await hre.network.provider.send("eth_chainId", [])) as string);
  const ephemeral = hre.network.name === "hardhat" && options.directory === undefined;
  const directory =
    options.directory ??
    (ephemeral ? fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-deploy-")) : deploymentDirectory(hre, chainId));
  try {
    const result = await deploy({
      config: hre.config.ignition,
      provider: hre.network.provider,
      executionEventListener: options.display ? new PrettyEventHandler() : undefined,
      artifactResolver: new HardhatArtifactResolver(hre),
      deploymentDir: directory,
      ignitionModule: module === "Governance" ? GovernanceModule : TidepoolModule,
      // Ignition's parameter type; the file's values were checked by deploy/check.ts.
      deploymentParameters: parameters as Parameters<typeof deploy>[0]["deploymentParameters"],
      accounts: (await hre.network.provider.send("eth_accounts", [])) as string[],
    });
    if (result.type === DeploymentResultType.SUCCESSFUL_DEPLOYMENT) {
      return {
        ok: true,
        addresses: Object.fromEntries(Object.entries(result.contracts).map(([key, c]) => [key, c.address])),
      };
    }
    return {
      ok: false,
      sentence: await describeDeploymentFailure(hre, result, directory, ephemeral ? undefined : chainId),
    };
  } finally {
    if (ephemeral) fs.rmSync(directory, { recursive: true, force: true });
  }
}

/** The transaction Ignition last sent (or simulated) for `futureId`, from its journal. */
export function journalTransaction(
  directory: string,
  futureId: string,
): { from?: string; to?: string; data: string; value: string } | undefined {
  const journal = path.join(directory, "journal.jsonl");
  if (!fs.existsSync(journal)) return undefined;
  let from: string | undefined;
  let found: { from?: string; to?: string; data: string; value: string } | undefined;
  for (const line of fs.readFileSync(journal, "utf8").split("\n")) {
    if (!line.includes(`"futureId":"${futureId}"`)) continue;
    const entry = JSON.parse(line) as {
      type?: string;
      from?: string;
      networkInteraction?: { type?: string; to?: string; data?: string; value?: { value?: string } };
    };
    if (typeof entry.from === "string") from = entry.from;
    const interaction = entry.networkInteraction;
    if (entry.type === "NETWORK_INTERACTION_REQUEST" && interaction?.type === "ONCHAIN_INTERACTION") {
      found = { to: interaction.to, data: interaction.data ?? "0x", value: interaction.value?.value ?? "0" };
    }
  }
  return found && { ...found, from };
}

/**
 * A failed future's error in the SDK's words: its transaction (from Ignition's journal) simulated
 * again, and the revert decoded against every Tidepool ABI; else the error's name by its selector;
 * else Ignition's own words.
 */
async function futureError(
  hre: HardhatRuntimeEnvironment,
  directory: string,
  futureId: string,
  ignitionError: string,
): Promise<string> {
  const tx = journalTransaction(directory, futureId);
  if (tx !== undefined) {
    try {
      await hre.network.provider.send("eth_call", [
        { from: tx.from, to: tx.to, data: tx.data, value: toQuantity(BigInt(tx.value)) },
        "latest",
      ]);
    } catch (error) {
      if (revertData(error) !== undefined) return describeError(error, INTERFACES).replace(/\.$/, "");
    }
  }
  const selector = /signature (0x[0-9a-fA-F]{8})/.exec(ignitionError)?.[1];
  if (selector !== undefined) {
    for (const iface of INTERFACES) {
      const fragment = iface.getError(selector);
      if (fragment) return `it reverted with ${fragment.format("sighash")}`;
    }
  }
  return ignitionError.split("\n")[0].replace(/\.$/, "");
}

/** One sentence for a deployment that did not succeed, with what to run next. */
export async function describeDeploymentFailure(
  hre: HardhatRuntimeEnvironment,
  result: Exclude<DeploymentResult, { type: DeploymentResultType.SUCCESSFUL_DEPLOYMENT }>,
  directory: string,
  chainId: bigint | undefined,
): Promise<string> {
  const resume = (futureId: string) =>
    `run "npx hardhat ignition wipe chain-${chainId} ${futureId}", then the same deploy command again: it resumes where it stopped`;
  const wipe = (futureId: string) => (chainId === undefined ? "" : `; fix the cause, ${resume(futureId)}`);
  switch (result.type) {
    case DeploymentResultType.EXECUTION_ERROR: {
      const [failed] = result.failed;
      if (failed !== undefined) {
        return `The deployment stopped at ${failed.futureId}: ${await futureError(hre, directory, failed.futureId, failed.error)}${wipe(failed.futureId)}`;
      }
      const [timedOut] = result.timedOut;
      if (timedOut !== undefined) {
        return `The deployment stopped: ${timedOut.futureId}'s transaction was not mined in time; run the same command again to keep waiting for it`;
      }
      const [held] = result.held;
      return `The deployment stopped: ${held?.futureId ?? "a step"} is held (${held?.reason ?? "no reason given"})`;
    }
    case DeploymentResultType.PREVIOUS_RUN_ERROR: {
      const [futureId] = Object.keys(result.errors);
      return `The previous run of this deployment failed at ${futureId}: once its cause is fixed, ${resume(futureId)}`;
    }
    case DeploymentResultType.RECONCILIATION_ERROR: {
      const [[futureId, errors]] = Object.entries(result.errors);
      const reason = errors[0]?.split("\n")[0] ?? "it changed";
      const next =
        chainId === undefined
          ? "deploy afresh"
          : `if that step failed or only encoded a call, wipe it with "npx hardhat ignition wipe chain-${chainId} ${futureId}" (first the failed step using it, which the wipe names) and run the same deploy command again; a step that ran cannot change`;
      return `The parameters no longer match ${futureId} of the recorded deployment (${reason}): ${next}`;
    }
    default: {
      const [[futureId, errors]] = Object.entries(result.errors);
      return `The deployment does not validate at ${futureId}: ${errors[0]?.split("\n")[0] ?? "no reason given"}`;
    }
  }
}
