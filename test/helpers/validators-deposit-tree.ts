import { concat, getBytes, hexlify, sha256, type BytesLike, type Log, type TransactionReceipt } from "ethers";
import type { DepositContract } from "../../typechain-types";
import { littleEndian64 } from "../../offchain/keys/deposit";

/** Depth of the beacon deposit contract's Merkle tree (consensus specs). */
export const DEPOSIT_TREE_DEPTH = 32;

/** Roots of empty subtrees, one per height: zero[0] = 32 zero bytes, zero[h + 1] = sha256(zero[h] ‖ zero[h]). */
const ZERO_HASHES: Uint8Array[] = (() => {
  const zeros: Uint8Array[] = [new Uint8Array(32)];
  for (let h = 0; h < DEPOSIT_TREE_DEPTH; ++h) zeros.push(getBytes(sha256(concat([zeros[h], zeros[h]]))));
  return zeros;
})();

/**
 * The deposit contract's root over `leaves` (deposit_data_roots in deposit order), computed from scratch:
 * the depth-32 Merkle root padded with empty subtrees, mixed in with the little-endian deposit count
 * (`get_deposit_root` of the canonical contract).
 */
export function depositTreeRoot(leaves: BytesLike[]): string {
  let layer = leaves.map((leaf) => getBytes(leaf));
  for (let h = 0; h < DEPOSIT_TREE_DEPTH; ++h) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < layer.length; i += 2) {
      next.push(getBytes(sha256(concat([layer[i], layer[i + 1] ?? ZERO_HASHES[h]]))));
    }
    layer = next;
  }
  const node = layer[0] ?? ZERO_HASHES[DEPOSIT_TREE_DEPTH];
  return sha256(concat([node, littleEndian64(BigInt(leaves.length)), new Uint8Array(24)]));
}

/** Reads 8 little-endian bytes as a number (SSZ uint64). */
export function fromLittleEndian64(bytes: BytesLike): bigint {
  const b = getBytes(bytes);
  if (b.length !== 8) throw new Error(`expected 8 bytes, got ${b.length}`);
  return BigInt(hexlify(Uint8Array.from(b).reverse()));
}

/** One `DepositEvent`, its raw fields and the decoded amount and index. */
export interface DepositEventData {
  pubkey: string;
  withdrawalCredentials: string;
  amount: string; // 8 bytes, little-endian gwei
  signature: string;
  index: string; // 8 bytes, little-endian
  amountGwei: bigint;
  depositIndex: bigint;
}

function decodeDepositEvent(depositContract: DepositContract, log: Log): DepositEventData | null {
  const parsed = depositContract.interface.parseLog({ topics: [...log.topics], data: log.data });
  if (parsed === null || parsed.name !== "DepositEvent") return null;
  const [pubkey, withdrawalCredentials, amount, signature, index] = parsed.args as unknown as string[];
  return {
    pubkey,
    withdrawalCredentials,
    amount,
    signature,
    index,
    amountGwei: fromLittleEndian64(amount),
    depositIndex: fromLittleEndian64(index),
  };
}

/** The `DepositEvent`s a transaction emitted from the deposit contract, in order. */
export async function depositEventsIn(
  depositContract: DepositContract,
  receipt: TransactionReceipt,
): Promise<DepositEventData[]> {
  const address = (await depositContract.getAddress()).toLowerCase();
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === address)
    .map((log) => decodeDepositEvent(depositContract, log))
    .filter((d): d is DepositEventData => d !== null);
}

/** Every `DepositEvent` the deposit contract has emitted, in order. */
export async function allDepositEvents(depositContract: DepositContract): Promise<DepositEventData[]> {
  const logs = await depositContract.queryFilter(depositContract.filters.DepositEvent(), 0, "latest");
  return logs.map((log) => {
    const d = decodeDepositEvent(depositContract, log);
    if (d === null) throw new Error("not a DepositEvent");
    return d;
  });
}
