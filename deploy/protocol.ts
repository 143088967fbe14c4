import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deploy, type DeploymentParameters, type IgnitionModule } from "@nomicfoundation/ignition-core";
import { HardhatArtifactResolver } from "@nomicfoundation/hardhat-ignition/helpers";
import TidepoolModule from "./modules/Tidepool";
import type {
  AccountingOracle,
  BeaconFacts,
  DepositContract,
  DepositSecurityModule,
  ExecutionLayerRewardsVault,
  InsuranceFund,
  NodeOperatorRegistry,
  StakingPool,
  WithdrawalQueue,
  WithdrawalVault,
  WrappedTpEth,
} from "../typechain-types";
import type { StakingPool as StakingPoolNS } from "../typechain-types/contracts/pool/StakingPool";
import { AccountingOracle__factory } from "../typechain-types";

/** Roles of the default local deployment (docs/protocol.md §8). */
export interface Actors {
  admin: HardhatEthersSigner; // account 0: DEFAULT_ADMIN_ROLE and every governance role
  oracleMembers: HardhatEthersSigner[]; // accounts 1–3
  guardian: HardhatEthersSigner; // account 4
  pauser: HardhatEthersSigner; // account 5
  treasury: HardhatEthersSigner; // account 6
  users: HardhatEthersSigner[]; // accounts 7+: holders with no role
}

export interface Tidepool extends Actors {
  pool: StakingPool;
  wrapper: WrappedTpEth;
  poolAddress: string;
  wrapperAddress: string;
  depositContract: DepositContract;
  registry: NodeOperatorRegistry;
  dsm: DepositSecurityModule;
  withdrawalVault: WithdrawalVault;
  elRewardsVault: ExecutionLayerRewardsVault;
  oracle: AccountingOracle;
  insuranceFund: InsuranceFund;
  withdrawalQueue: WithdrawalQueue;
  facts: BeaconFacts;
}

/** The addresses a pool implementation is constructed with (its immutables). */
export type PoolPeers = StakingPoolNS.PeersStruct;

export async function getActors(hre: HardhatRuntimeEnvironment): Promise<Actors> {
  const s = await hre.ethers.getSigners();
  return { admin: s[0], oracleMembers: s.slice(1, 4), guardian: s[4], pauser: s[5], treasury: s[6], users: s.slice(7) };
}

/** Typed handles on an existing deployment, found from the pool's immutables. */
export async function attachTidepool(hre: HardhatRuntimeEnvironment, poolAddress: string): Promise<Tidepool> {
  const actors = await getActors(hre);
  const at = hre.ethers.getContractAt;
  const pool = await at("StakingPool", poolAddress);
  const peers = await poolPeers(pool);
  return {
    ...actors,
    pool,
    poolAddress,
    wrapper: await at("WrappedTpEth", peers.wrapper),
    wrapperAddress: peers.wrapper,
    depositContract: await at("DepositContract", peers.depositContract),
    registry: await at("NodeOperatorRegistry", peers.registry),
    dsm: await at("DepositSecurityModule", peers.depositSecurityModule),
    withdrawalVault: await at("WithdrawalVault", peers.withdrawalVault),
    elRewardsVault: await at("ExecutionLayerRewardsVault", peers.elRewardsVault),
    oracle: await at("AccountingOracle", peers.oracle),
    insuranceFund: await at("InsuranceFund", peers.insuranceFund),
    withdrawalQueue: await at("WithdrawalQueue", peers.withdrawalQueue),
    facts: await at("BeaconFacts", peers.beaconFacts),
  };
}

/** The peers the pool's current implementation names; a compatible implementation needs the same. */
export async function poolPeers(pool: StakingPool): Promise<{ [K in keyof PoolPeers]: string }> {
  return {
    wrapper: await pool.WRAPPER(),
    depositContract: await pool.DEPOSIT_CONTRACT(),
    registry: await pool.REGISTRY(),
    depositSecurityModule: await pool.DEPOSIT_SECURITY_MODULE(),
    withdrawalVault: await pool.WITHDRAWAL_VAULT(),
    elRewardsVault: await pool.EL_REWARDS_VAULT(),
    oracle: await pool.ORACLE(),
    insuranceFund: await pool.INSURANCE_FUND(),
    withdrawalQueue: await pool.WITHDRAWAL_QUEUE(),
    // Internal on the pool; the oracle names the same contract publicly.
    beaconFacts: await AccountingOracle__factory.connect(await pool.ORACLE(), pool.runner).BEACON_FACTS(),
  };
}

/**
 * The libraries a new pool implementation (or a successor's) links, for `getContractFactory(name,
 * { libraries })`: a freshly deployed PermitVerifier, which holds no state.
 */
export async function deployPoolLibraries(hre: HardhatRuntimeEnvironment): Promise<{ PermitVerifier: string }> {
  const verifier = await hre.ethers.deployContract("PermitVerifier");
  return { PermitVerifier: await verifier.getAddress() };
}

/** Parameters of the Tidepool module a local deployment may override (deploy/parameters/README.md). */
export interface LocalDeployParameters {
  /** Seconds per beacon slot (12 unless a devnet runs short slots on the wall clock). */
  secondsPerSlot?: number;
  /** Unix time of the beacon chain's slot 0 (0 unless the local chain starts at its own genesis). */
  genesisTime?: number;
  /** Epochs per oracle frame (225). */
  epochsPerFrame?: number;
  /** Slots after a frame's reference slot in which its report is accepted (3600). */
  reportDeadlineSlots?: number;
}

/**
 * Deploys with the same Ignition module as a real deployment: its default parameters, or the few
 * beacon-time ones a local test or devnet overrides.
 */
export async function deployTidepool(
  hre: HardhatRuntimeEnvironment,
  parameters: LocalDeployParameters = {},
): Promise<Tidepool> {
  const deployed = await hre.ignition.deploy(TidepoolModule, { parameters: { Tidepool: { ...parameters } } });
  return attachTidepool(hre, await deployed.stakingPool.getAddress());
}

/** A JSON-RPC endpoint (ethers' `JsonRpcProvider`, Hardhat's provider). */
export interface RpcEndpoint {
  send(method: string, params: unknown[]): Promise<unknown>;
}

/**
 * Deploys the Tidepool module over plain JSON-RPC to a node whose accounts are unlocked (Anvil): the
 * node need not be Hardhat's network, and it may mine on its own interval (one confirmation is
 * awaited per transaction, polled every 200 ms). Nothing is recorded on disk. Returns the address of
 * each future by its Ignition id, e.g. `Tidepool#AccountingOracleProxy`.
 */
export async function deployTidepoolOverRpc(
  hre: HardhatRuntimeEnvironment,
  rpc: RpcEndpoint,
  parameters: LocalDeployParameters = {},
): Promise<Record<string, string>> {
  return deployModuleOverRpc(hre, rpc, TidepoolModule, { Tidepool: { ...parameters } });
}

/**
 * Deploys Ignition module `module` with `parameters` over plain JSON-RPC (accounts unlocked, one
 * confirmation, polled every 200 ms), from the node's first account; recorded in `deploymentDir`
 * when given (as `hardhat ignition deploy` records), else kept in memory. Returns the address of each
 * future by its Ignition id.
 */
export async function deployModuleOverRpc(
  hre: HardhatRuntimeEnvironment,
  rpc: RpcEndpoint,
  module: IgnitionModule,
  parameters: DeploymentParameters,
  deploymentDir?: string,
): Promise<Record<string, string>> {
  const accounts = (await rpc.send("eth_accounts", [])) as string[];
  const result = await deploy({
    provider: { request: ({ method, params }) => rpc.send(method, (params as unknown[] | undefined) ?? []) },
    artifactResolver: new HardhatArtifactResolver(hre),
    ignitionModule: module,
    deploymentParameters: parameters,
    deploymentDir,
    accounts,
    defaultSender: accounts[0],
    config: { requiredConfirmations: 1, blockPollingInterval: 200 },
  });
  if (result.type !== "SUCCESSFUL_DEPLOYMENT") {
    throw new Error(`the ${module.id} deployment over JSON-RPC did not complete (${result.type})`);
  }
  return Object.fromEntries(Object.entries(result.contracts).map(([id, c]) => [id, c.address]));
}
