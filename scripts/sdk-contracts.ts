/** The contracts whose ABIs the SDK ships (paths under contracts/, without `.sol`). */
export const SDK_CONTRACTS = [
  "pool/StakingPool",
  "pool/PermitVerifier",
  "token/WrappedTpEth",
  "withdrawals/WithdrawalQueue",
  "oracle/AccountingOracle",
  "validators/NodeOperatorRegistry",
  "validators/DepositSecurityModule",
  "vaults/WithdrawalVault",
  "vaults/ExecutionLayerRewardsVault",
  "vaults/InsuranceFund",
  "beacon/BeaconFacts",
  "bridge/WtpEthOFTAdapter",
  "bridge/WtpEthOFT",
  "bridge/RatePusher",
  "bridge/RateOracle",
] as const;

/** An ABI as the SDK stores it (stable text, so a stale copy shows as a diff). */
export function sdkAbiJson(abi: unknown): string {
  return JSON.stringify(abi, null, 2) + "\n";
}
