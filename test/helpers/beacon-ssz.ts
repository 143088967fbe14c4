import { getBytes, hexlify } from "ethers";
import type { DepositData } from "../../offchain/keys/deposit";

/**
 * Independent SSZ reference for the beacon-chain pieces: @chainsafe/ssz (Lodestar's implementation),
 * with the phase0 containers written from the consensus specs. It shares no code with
 * `offchain/keys/deposit.ts`, `offchain/keys/bls.ts` or the contracts, so agreement is evidence.
 *
 * The package is ESM-only; this project compiles to CommonJS (module node16), which keeps the
 * dynamic `import()`.
 */
async function buildTypes() {
  const { ByteVectorType, ContainerType, ListCompositeType, UintBigintType } = await import("@chainsafe/ssz");
  const Bytes4 = new ByteVectorType(4);
  const Bytes32 = new ByteVectorType(32);
  const Bytes48 = new ByteVectorType(48);
  const Bytes96 = new ByteVectorType(96);
  const Uint64 = new UintBigintType(8);

  /** phase0 DepositMessage. */
  const DepositMessage = new ContainerType({ pubkey: Bytes48, withdrawalCredentials: Bytes32, amount: Uint64 });
  /** phase0 DepositData. */
  const DepositData = new ContainerType({
    pubkey: Bytes48,
    withdrawalCredentials: Bytes32,
    amount: Uint64,
    signature: Bytes96,
  });
  /** The deposit contract's tree: List[DepositData, 2**DEPOSIT_CONTRACT_TREE_DEPTH], length mixed in. */
  const DepositDataList = new ListCompositeType(DepositData, 2 ** 32);
  /** phase0 ForkData and SigningData (compute_domain, compute_signing_root). */
  const ForkData = new ContainerType({ currentVersion: Bytes4, genesisValidatorsRoot: Bytes32 });
  const SigningData = new ContainerType({ objectRoot: Bytes32, domain: Bytes32 });

  return { Uint64, DepositMessage, DepositData, DepositDataList, ForkData, SigningData };
}

export type BeaconSszTypes = Awaited<ReturnType<typeof buildTypes>>;

let cached: Promise<BeaconSszTypes> | undefined;

/** The SSZ types, built once per test run. */
export function beaconSsz(): Promise<BeaconSszTypes> {
  cached ??= buildTypes();
  return cached;
}

/** A deposit (hex fields, amount in gwei) as an SSZ DepositData value. */
export function toSszDepositData(d: DepositData): {
  pubkey: Uint8Array;
  withdrawalCredentials: Uint8Array;
  amount: bigint;
  signature: Uint8Array;
} {
  return {
    pubkey: getBytes(d.pubkey),
    withdrawalCredentials: getBytes(d.withdrawalCredentials),
    amount: d.amountGwei,
    signature: getBytes(d.signature),
  };
}

/** hash_tree_root(DepositData) by @chainsafe/ssz, as 0x-hex. */
export async function sszDepositDataRoot(d: DepositData): Promise<string> {
  const { DepositData } = await beaconSsz();
  return hexlify(DepositData.hashTreeRoot(toSszDepositData(d)));
}

/** hash_tree_root(List[DepositData, 2**32]) by @chainsafe/ssz, as 0x-hex: the deposit contract's root. */
export async function sszDepositTreeRoot(deposits: readonly DepositData[]): Promise<string> {
  const { DepositDataList } = await beaconSsz();
  return hexlify(DepositDataList.hashTreeRoot(deposits.map(toSszDepositData)));
}
