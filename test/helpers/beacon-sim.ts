/**
 * Shared setup for the local beacon chain's tests: real BLS-signed deposits in the shape the deposit
 * contract's `DepositEvent` carries them, the reward arithmetic recomputed independently of the
 * simulator, and Lodestar's Beacon API client built exactly as `connectBeacon` builds it.
 */
import { hexlify, keccak256, toUtf8Bytes } from "ethers";
import type { ApiClient } from "@lodestar/api" with { "resolution-mode": "import" };
import { signDeposit, testSecretKey, type SignedDeposit } from "../../offchain/keys/bls";
import { withdrawalCredentialsFor } from "../../offchain/keys/deposit";
import type { DepositEventData } from "../../offchain/beacon/chain";

/** 1 ETH in gwei. */
export const ETH_GWEI = 1_000_000_000n;
/** 32 ETH in gwei. */
export const ETH32 = 32n * ETH_GWEI;
/** 2^64 − 1, written out. */
export const FAR_FUTURE = 18446744073709551615n;
/** A year of 12-second slots in 32-slot epochs: 31,536,000 s / 384 s. */
export const EPOCHS_PER_YEAR = 31_536_000n / 384n;
export const MAINNET_FORK = "0x00000000";
export const HOODI_FORK = "0x10000910";
/** The address every test deposit's 0x01 credentials pay to (checksummed; withdrawals report it lower case). */
export const PAYEE = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4";
export const PAYEE_CREDENTIALS = withdrawalCredentialsFor(PAYEE);
/** BLS (0x00) credentials: not withdrawable to any execution address. */
export const BLS_CREDENTIALS = "0x00" + "5a".repeat(31);

/** Consensus reward of one epoch for an effective balance at an APR in basis points (the simulator's rule). */
export function rewardPerEpoch(effectiveGwei: bigint, aprBP: bigint): bigint {
  return (effectiveGwei * aprBP) / 10_000n / EPOCHS_PER_YEAR;
}

/** A signed deposit as the `DepositEvent` data the chain reads (hex strings). */
export function toDepositEvent(d: SignedDeposit): DepositEventData {
  return {
    pubkey: hexlify(d.pubkey),
    withdrawalCredentials: hexlify(d.withdrawalCredentials),
    amountGwei: d.amountGwei,
    signature: hexlify(d.signature),
  };
}

/** The `DepositEvent` of test key `label`/`index`: 32 ETH to PAYEE, signed for mainnet, unless told otherwise. */
export function depositEvent(
  label: string,
  index: number,
  opts: { credentials?: string; amountGwei?: bigint; forkVersion?: string } = {},
): DepositEventData {
  return toDepositEvent(
    signDeposit(
      testSecretKey(label, index),
      opts.credentials ?? PAYEE_CREDENTIALS,
      opts.forkVersion ?? MAINNET_FORK,
      opts.amountGwei ?? ETH32,
    ),
  );
}

/** The synthetic block or state root the local Beacon API gives `slot`, recomputed from its definition. */
export function expectedRoot(kind: "block" | "state", slot: bigint): string {
  return keccak256(toUtf8Bytes(`tidepool-local-beacon:${kind}:${slot}`));
}

/** Lodestar's client for `baseUrl`, configured as `connectBeacon` configures it. */
export async function lodestarClient(baseUrl: string): Promise<ApiClient> {
  const { getClient } = await import("@lodestar/api");
  const { createChainForkConfig } = await import("@lodestar/config");
  const { config: defaultConfig } = await import("@lodestar/config/default");
  return getClient({ baseUrl }, { config: createChainForkConfig(defaultConfig) });
}
