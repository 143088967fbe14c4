import { HardhatUserConfig, subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";
import "@openzeppelin/hardhat-upgrades";
import "./tasks/holders";
import "./tasks/withdrawals";

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
/** The withdrawal queue: ERC-721 plus the queue's accounting, tuned so that it fits in 24 KiB. */
const QUEUE_RUNS = Number(process.env.QUEUE_RUNS ?? 3_000);

const config: HardhatUserConfig = {
  solidity: {
    compilers: [compilerSettings(1_000_000)],
    overrides: {
      "contracts/pool/StakingPool.sol": compilerSettings(POOL_RUNS),
      "contracts/test/StakingPool__V2Mock.sol": compilerSettings(POOL_RUNS),
      "contracts/oracle/AccountingOracle.sol": compilerSettings(ORACLE_RUNS),
      "contracts/withdrawals/WithdrawalQueue.sol": compilerSettings(QUEUE_RUNS),
    },
  },
  networks: {
    hardhat: { hardfork: "osaka", accounts: { count: 40 } },
  },
  paths: { ignition: "deploy" },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  mocha: { timeout: 300_000 },
  gasReporter: { enabled: process.env.REPORT_GAS === "true" },
};

export default config;
