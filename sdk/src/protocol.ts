/**
 * Typed handles on a deployment, over the ABIs the SDK ships (sdk/abi, bindings in ./contracts).
 * Only the pool's address is needed: its peers are immutables of the pool.
 */
import type { ContractRunner, Interface } from "ethers";
import {
  AccountingOracle__factory,
  BeaconFacts__factory,
  DepositSecurityModule__factory,
  ExecutionLayerRewardsVault__factory,
  InsuranceFund__factory,
  NodeOperatorRegistry__factory,
  PermitVerifier__factory,
  RateOracle__factory,
  RatePusher__factory,
  StakingPool__factory,
  WithdrawalQueue__factory,
  WithdrawalVault__factory,
  WrappedTpEth__factory,
  WtpEthOFTAdapter__factory,
  WtpEthOFT__factory,
  type AccountingOracle,
  type StakingPool,
  type WithdrawalQueue,
  type WrappedTpEth,
} from "./contracts";

/** The contracts a holder talks to, and their addresses. */
export interface Protocol {
  /** The StakingPool: tpETH, staking, instant redemption. */
  pool: StakingPool;
  /** wtpETH, the value-accruing ERC-4626 wrapper. */
  wrapper: WrappedTpEth;
  /** The withdrawal queue (requests are ERC-721 tokens). */
  queue: WithdrawalQueue;
  /** The accounting oracle (reports, frames, APR). */
  oracle: AccountingOracle;
  /** The four contracts' addresses. */
  addresses: { pool: string; wrapper: string; queue: string; oracle: string };
}

/** Every contract interface whose custom errors a revert may carry (for decoding). */
export const INTERFACES: readonly Interface[] = [
  StakingPool__factory,
  PermitVerifier__factory,
  WrappedTpEth__factory,
  WithdrawalQueue__factory,
  AccountingOracle__factory,
  NodeOperatorRegistry__factory,
  DepositSecurityModule__factory,
  WithdrawalVault__factory,
  ExecutionLayerRewardsVault__factory,
  InsuranceFund__factory,
  BeaconFacts__factory,
  WtpEthOFTAdapter__factory,
  WtpEthOFT__factory,
  RatePusher__factory,
  RateOracle__factory,
].map((factory) => factory.createInterface());

/** Handles on the protocol around `poolAddress`, read and signed through `runner`. */
export async function connectProtocol(poolAddress: string, runner: ContractRunner): Promise<Protocol> {
  const pool = StakingPool__factory.connect(poolAddress, runner);
  const [wrapper, queue, oracle] = await Promise.all([pool.WRAPPER(), pool.WITHDRAWAL_QUEUE(), pool.ORACLE()]);
  return {
    pool,
    wrapper: WrappedTpEth__factory.connect(wrapper, runner),
    queue: WithdrawalQueue__factory.connect(queue, runner),
    oracle: AccountingOracle__factory.connect(oracle, runner),
    addresses: { pool: poolAddress, wrapper, queue, oracle },
  };
}
