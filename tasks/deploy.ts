/**
 * Deployment tasks (docs/deployment.md): `deploy-check` checks a parameter file against the network
 * and sends nothing; `deploy` runs the same check, then the Ignition module (the same deployment
 * directory as `npx hardhat ignition deploy`, so it resumes a stopped deployment), and says a revert
 * in the SDK's words, decoded against every Tidepool ABI. A failure is one sentence
 * (tasks/lib.ts `tidepoolTask`).
 *
 * Loaded by hardhat.config.ts before compilation: deploy/run.ts (which imports the modules and
 * `hardhat`) is loaded with `require` inside the action (see tasks/lib.ts).
 */
import fs from "node:fs";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { checkDeploymentParameters, type DeployModule, type ParameterProblem } from "../deploy/check";
import { shortPath } from "./cli";
import { fail, tidepoolTask } from "./lib";

const LOCAL_NETWORKS = new Set(["hardhat", "localhost", "devnet"]);
const PARAMETERS_HELP =
  "Ignition parameter file; default: deploy/parameters/<network>.json (localhost.json in-process)";
const MODULE_HELP =
  "tidepool (the protocol) or governance (the protocol, then every role to a timelock); default: governance on public networks, tidepool locally";

interface DeployArgs {
  parameters?: string;
  module?: string;
}

/** The module to deploy: `--module`, else Governance on public networks and Tidepool locally. */
function moduleOf(hre: HardhatRuntimeEnvironment, given: string | undefined): DeployModule {
  if (given === undefined) return LOCAL_NETWORKS.has(hre.network.name) ? "Tidepool" : "Governance";
  const name = given.trim().toLowerCase();
  if (name === "tidepool") return "Tidepool";
  if (name === "governance") return "Governance";
  return fail(`--module must be tidepool or governance, got "${given}"`);
}

/** The parameter file: `--parameters`, else the network's own under deploy/parameters/. */
function parameterFile(hre: HardhatRuntimeEnvironment, given: string | undefined): string {
  const network = hre.network.name === "hardhat" ? "localhost" : hre.network.name;
  const file = path.resolve(given ?? path.join(hre.config.paths.ignition, "parameters", `${network}.json`));
  if (!fs.existsSync(file)) fail(`No parameter file ${shortPath(file)}: pass --parameters <file>`);
  return file;
}

/** The file's problems for deploying `module` to the connected network. */
async function problemsOf(
  hre: HardhatRuntimeEnvironment,
  file: string,
  module: DeployModule,
): Promise<ParameterProblem[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    return [
      {
        parameter: "file",
        sentence: `${shortPath(file)} is not valid JSON (${(error as Error).message.split("\n")[0]})`,
      },
    ];
  }
  const accounts = await hre.ethers.getSigners();
  return checkDeploymentParameters(parsed, module, {
    name: hre.network.name,
    chainId: BigInt((await hre.network.provider.send("eth_chainId", [])) as string),
    local: LOCAL_NETWORKS.has(hre.network.name),
    deployer: accounts[0]?.address,
    provider: hre.ethers.provider,
  });
}

/** The refusal for a file with problems: the first one, and how many more. */
function refusal(file: string, problems: ParameterProblem[]): string {
  const more =
    problems.length > 1
      ? ` (${problems.length - 1} more: ${problems
          .slice(1)
          .map((p) => p.parameter)
          .join(", ")})`
      : "";
  return `${shortPath(file)}: ${problems[0].sentence}${more}`;
}

tidepoolTask("deploy-check", "Checks a deployment parameter file against the network; sends nothing")
  .addOptionalParam("parameters", PARAMETERS_HELP)
  .addOptionalParam("module", MODULE_HELP)
  .setAction(async (args: DeployArgs, hre) => {
    const module = moduleOf(hre, args.module);
    const file = parameterFile(hre, args.parameters);
    const problems = await problemsOf(hre, file, module);
    for (const p of problems) console.log(`${p.parameter}: ${p.sentence}`);
    if (problems.length > 0) fail(refusal(file, problems));
    console.log(
      `${shortPath(file)} is ready: npx hardhat deploy --network ${hre.network.name} --module ${module.toLowerCase()} --parameters ${shortPath(file)}`,
    );
  });

tidepoolTask("deploy", "Deploys Tidepool (deploy-check first; resumes a stopped deployment of this chain)")
  .addOptionalParam("parameters", PARAMETERS_HELP)
  .addOptionalParam("module", MODULE_HELP)
  .setAction(async (args: DeployArgs, hre) => {
    const module = moduleOf(hre, args.module);
    const file = parameterFile(hre, args.parameters);
    const problems = await problemsOf(hre, file, module);
    if (problems.length > 0) fail(refusal(file, problems));
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { readDeploymentParameters } =
      require("@nomicfoundation/hardhat-ignition/helpers") as typeof import("@nomicfoundation/hardhat-ignition/helpers");
    const { runDeployment } = require("../deploy/run") as typeof import("../deploy/run");
    const { POOL_DEPLOYMENT_KEY } = require("../sdk/src/deployments") as typeof import("../sdk/src/deployments");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const parameters = (await readDeploymentParameters(file)) as Record<string, Record<string, unknown>>;
    const outcome = await runDeployment(hre, module, parameters, { display: process.stdout.isTTY === true });
    if (!outcome.ok) fail(outcome.sentence);
    console.log(
      `Tidepool is deployed and open on ${hre.network.name}: the pool is ${outcome.addresses[POOL_DEPLOYMENT_KEY]}`,
    );
  });
