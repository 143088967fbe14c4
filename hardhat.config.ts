import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { HardhatUserConfig, subtask, vars } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";
import "@openzeppelin/hardhat-upgrades";
import { DEFAULT_LOCALHOST_URL, RPC_URL_VARS, reportHardhatErrorsInOneLine } from "./tasks/cli";
import "./tasks/holders";
import "./tasks/withdrawals";
import "./tasks/oracle";
import "./tasks/operators";
import "./tasks/guardians";
import "./tasks/proofs";
import "./tasks/deploy";
import "./tasks/exits";
import "./tasks/bridge";

// A failure on the command line is one line, also on a machine without a display, which Hardhat
// takes for a CI server and answers with a stack trace (tasks/cli.ts).
reportHardhatErrorsInOneLine();

/** The one Solidity version this project compiles with; `solc` in package.json is pinned to it. */
export const SOLIDITY_VERSION = "0.8.30";

// Hardhat downloads compilers from the internet; these machines have none. Use the pinned
// `solc` npm package (WASM) when it is the version asked for.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(async ({ solcVersion }, _hre, runSuper) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string };
  const longVersion = solc.version();
  if (!longVersion.startsWith(`${solcVersion}+`)) return runSuper();
  return { compilerPath: require.resolve("solc/soljson.js"), isSolcJs: true, version: solcVersion, longVersion };
});

/** Hot paths are few and called often: optimise for runtime gas. */
const compilerSettings = (runs: number) => ({
  version: SOLIDITY_VERSION,
  settings: { optimizer: { enabled: true, runs }, evmVersion: "prague", viaIR: true },
});
/** The pool carries the most code: fewer runs keep it under the 24 KiB limit (EIP-170). */
const POOL_RUNS = Number(process.env.POOL_RUNS ?? 2_000);
/** The oracle runs once a day and carries the accounting rules: size matters more than runtime. */
const ORACLE_RUNS = Number(process.env.ORACLE_RUNS ?? 200);
/** The beacon facts contract: the verifier plus the consumers of its proofs. */
const FACTS_RUNS = Number(process.env.FACTS_RUNS ?? 10_000);
/** The registry: deposits run through it, proofs record their facts in it; runs tuned to fit 24 KiB. */
const REGISTRY_RUNS = Number(process.env.REGISTRY_RUNS ?? 1_500);
/** The withdrawal queue: ERC-721 plus the queue's accounting, tuned so that it fits in 24 KiB. */
const QUEUE_RUNS = Number(process.env.QUEUE_RUNS ?? 3_000);

/**
 * Public networks read their RPC URL and the deployer's key from Hardhat configuration variables
 * (`npx hardhat vars set HOODI_RPC_URL`, stored outside the repository), never from files in it.
 * Unset, the URL is empty and the network has no account: nothing is contacted unless asked for, and
 * a task run on it says which variable to set (tasks/lib.ts `requireRpcUrl`). `localhost` is
 * `npx hardhat node`'s address unless LOCALHOST_RPC_URL names another (a node on another port).
 */
const rpcUrl = (network: string): string => vars.get(RPC_URL_VARS[network], "");
const deployerAccounts = vars.has("DEPLOYER_PRIVATE_KEY") ? [vars.get("DEPLOYER_PRIVATE_KEY")] : [];

/** Hoodi's chain id; hardhat-verify knows mainnet's explorer but not Hoodi's (customChains below). */
export const HOODI_CHAIN_ID = 560048;

/**
 * `hardhat coverage` compiles instrumented contracts. It gets its own artifacts and cache, and does
 * not regenerate the TypeChain types (same ABIs), so that `npm test` can run the coverage gate and
 * the rest of the suite side by side on the real artifacts.
 *
 * Hardhat's compile cache knows the original sources and the solc settings, not the instrumentation
 * solidity-coverage patches in. So each instrumentation mode has its own build: the gate's
 * (`COVERAGE_GATE=1`, lines and branches only, see `.solcover.js`) in `coverage-build/gate`, the full
 * run's (`npm run coverage`) in `coverage-build/full`. A shared build let the full run reuse the gate's
 * and count hits against instrumentation points that build does not have (6% instead of 99%). A
 * build made under other instrumentation settings (`.solcover.js` edited, solidity-coverage upgraded)
 * is discarded before compiling, for the same reason; so is a build of other sources: the points
 * solidity-coverage injects are numbered across all files in order, so adding or editing one contract
 * renumbers the points of the contracts after it, whose original sources (all the cache compares) are
 * unchanged — their stale instrumented artifacts counted 45% instead of 99%.
 */
const COVERAGE = process.argv.includes("coverage");
const COVERAGE_BUILD = `coverage-build/${process.env.COVERAGE_GATE === "1" ? "gate" : "full"}`;
if (COVERAGE) discardBuildOfOtherInstrumentation(path.join(__dirname, COVERAGE_BUILD));

/** Every `.sol` file under `dir`, recursively, sorted (the order solidity-coverage numbers them in). */
function solidityFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const file = path.join(dir, entry.name);
      return entry.isDirectory() ? solidityFiles(file) : entry.name.endsWith(".sol") ? [file] : [];
    })
    .sort();
}

/**
 * Empties `dir` unless its stamp records the current `.solcover.js`, solidity-coverage version and
 * contract sources (paths and contents).
 */
function discardBuildOfOtherInstrumentation(dir: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const plugin = require("solidity-coverage/package.json") as { version: string };
  const hash = createHash("sha256").update(`solidity-coverage ${plugin.version}\n`);
  hash.update(readFileSync(path.join(__dirname, ".solcover.js")));
  for (const file of solidityFiles(path.join(__dirname, "contracts"))) {
    hash.update(`\n${path.relative(__dirname, file)}\n`).update(readFileSync(file));
  }
  const key = hash.digest("hex");
  const stamp = path.join(dir, "instrumentation.sha256");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === key) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(stamp, key);
}

const config: HardhatUserConfig = {
  solidity: {
    compilers: [compilerSettings(1_000_000)],
    overrides: {
      "contracts/pool/StakingPool.sol": compilerSettings(POOL_RUNS),
      // The pool's first implementation runs once, in the proxy's constructor: size only.
      "contracts/pool/StakingPoolBootstrap.sol": compilerSettings(200),
      // The test double adds V2 functions to a pool near the limit: fewer runs keep it deployable.
      "contracts/test/StakingPool__V2Mock.sol": compilerSettings(200),
      "contracts/oracle/AccountingOracle.sol": compilerSettings(ORACLE_RUNS),
      "contracts/withdrawals/WithdrawalQueue.sol": compilerSettings(QUEUE_RUNS),
      "contracts/validators/NodeOperatorRegistry.sol": compilerSettings(REGISTRY_RUNS),
      // Proofs are rare and carry the verifier's code: size first (the verifier alone keeps 1,000,000).
      "contracts/beacon/BeaconFacts.sol": compilerSettings(FACTS_RUNS),
    },
  },
  networks: {
    hardhat: { hardfork: "osaka", accounts: { count: 40 } },
    localhost: { url: vars.get(RPC_URL_VARS.localhost, DEFAULT_LOCALHOST_URL) },
    // `npm run devnet`'s Anvil (or any node on $DEVNET_RPC_URL) with Anvil's default accounts.
    devnet: {
      url: process.env.DEVNET_RPC_URL ?? DEFAULT_LOCALHOST_URL,
      accounts: { mnemonic: "test test test test test test test test test test test junk", count: 40 },
    },
    // `npm run app`'s local L2 (Anvil, chain 31339) for the bridge tasks, with the same local accounts.
    localL2: {
      url: process.env.TIDEPOOL_L2_RPC_URL ?? "http://127.0.0.1:8546",
      chainId: 31339,
      accounts: { mnemonic: "test test test test test test test test test test test junk", count: 40 },
    },
    hoodi: { url: rpcUrl("hoodi"), chainId: HOODI_CHAIN_ID, accounts: deployerAccounts },
    mainnet: { url: rpcUrl("mainnet"), chainId: 1, accounts: deployerAccounts },
  },
  // Etherscan API v2: one key for every chain (a single string selects v2 in hardhat-verify).
  etherscan: {
    apiKey: vars.get("ETHERSCAN_API_KEY", ""),
    customChains: [
      {
        network: "hoodi",
        chainId: HOODI_CHAIN_ID,
        urls: { apiURL: "https://api.etherscan.io/v2/api", browserURL: "https://hoodi.etherscan.io" },
      },
    ],
  },
  paths: COVERAGE
    ? { ignition: "deploy", artifacts: `${COVERAGE_BUILD}/artifacts`, cache: `${COVERAGE_BUILD}/cache` }
    : { ignition: "deploy" },
  typechain: { outDir: "typechain-types", target: "ethers-v6", dontOverrideCompile: COVERAGE },
  mocha: { timeout: 300_000, ...(process.env.MOCHA_REPORTER ? { reporter: process.env.MOCHA_REPORTER } : {}) },
  gasReporter: { enabled: process.env.REPORT_GAS === "true" },
};

export default config;
