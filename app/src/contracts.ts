/**
 * Typed handles on a deployment: typechain types (typechain-types/) over the ABIs of the compiled
 * artifacts. Only `pool` comes from the Ignition record; its peers are read from the pool itself,
 * as the Hardhat tasks do (scripts/lib/protocol.ts).
 */
import { Contract, Interface, type ContractRunner, type InterfaceAbi } from "ethers";
import type { AccountingOracle, StakingPool, WithdrawalQueue, WrappedTpEth } from "../../typechain-types";
import { abi as poolAbi } from "../../artifacts/contracts/pool/StakingPool.sol/StakingPool.json";
import { abi as wrapperAbi } from "../../artifacts/contracts/token/WrappedTpEth.sol/WrappedTpEth.json";
import { abi as queueAbi } from "../../artifacts/contracts/withdrawals/WithdrawalQueue.sol/WithdrawalQueue.json";
import { abi as oracleAbi } from "../../artifacts/contracts/oracle/AccountingOracle.sol/AccountingOracle.json";

/** The contracts the app talks to. */
export interface Protocol {
  pool: StakingPool;
  wrapper: WrappedTpEth;
  queue: WithdrawalQueue;
  oracle: AccountingOracle;
  addresses: { pool: string; wrapper: string; queue: string; oracle: string };
}

/** Every ABI whose custom errors a revert may carry (for decoding). */
export const INTERFACES: Interface[] = [poolAbi, wrapperAbi, queueAbi, oracleAbi].map(
  (abi) => new Interface(abi as InterfaceAbi),
);

function attach<T>(address: string, abi: unknown, runner: ContractRunner): T {
  // typechain's types describe exactly these ABIs; ethers' Contract builds the methods at runtime.
  return new Contract(address, abi as InterfaceAbi, runner) as unknown as T;
}

/** The deployment of chain `chainId` recorded at build time, or undefined. */
export function deploymentOf(chainId: bigint): { pool: string } | undefined {
  return __TIDEPOOL_DEPLOYMENTS__[chainId.toString()];
}

/** Handles on the protocol around `poolAddress`, read through `runner`. */
export async function connectProtocol(poolAddress: string, runner: ContractRunner): Promise<Protocol> {
  const pool = attach<StakingPool>(poolAddress, poolAbi, runner);
  const [wrapper, queue, oracle] = await Promise.all([pool.WRAPPER(), pool.WITHDRAWAL_QUEUE(), pool.ORACLE()]);
  return {
    pool,
    wrapper: attach<WrappedTpEth>(wrapper, wrapperAbi, runner),
    queue: attach<WithdrawalQueue>(queue, queueAbi, runner),
    oracle: attach<AccountingOracle>(oracle, oracleAbi, runner),
    addresses: { pool: poolAddress, wrapper, queue, oracle },
  };
}
