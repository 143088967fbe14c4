import { concat, getBytes, hexlify, sha256, toBeHex, zeroPadValue, type BytesLike } from "ethers";

/** One beacon-chain deposit, as staking-deposit-cli writes it (hex strings, amount in gwei). */
export interface DepositData {
  pubkey: BytesLike; // 48 bytes
  withdrawalCredentials: BytesLike; // 32 bytes
  amountGwei: bigint;
  signature: BytesLike; // 96 bytes
}

/** 32 ETH in gwei: every Tidepool deposit. */
export const DEPOSIT_AMOUNT_GWEI = 32_000_000_000n;

/** `value` as 8 little-endian bytes (SSZ uint64). */
export function littleEndian64(value: bigint): Uint8Array {
  return getBytes(toBeHex(value, 8)).reverse();
}

/**
 * SSZ hash_tree_root(DepositData), with sha256 over 32-byte chunks exactly as the deposit contract
 * does it. The tests check it against @chainsafe/ssz and the real mainnet vector.
 */
export function computeDepositDataRoot(d: DepositData): string {
  const pubkey = getBytes(d.pubkey);
  const signature = getBytes(d.signature);
  if (pubkey.length !== 48) throw new Error(`pubkey must be 48 bytes, got ${pubkey.length}`);
  if (signature.length !== 96) throw new Error(`signature must be 96 bytes, got ${signature.length}`);
  const pubkeyRoot = sha256(concat([pubkey, new Uint8Array(16)]));
  const signatureRoot = sha256(
    concat([sha256(signature.slice(0, 64)), sha256(concat([signature.slice(64), new Uint8Array(32)]))]),
  );
  return sha256(
    concat([
      sha256(concat([pubkeyRoot, d.withdrawalCredentials])),
      sha256(concat([littleEndian64(d.amountGwei), new Uint8Array(24), signatureRoot])),
    ]),
  );
}

/** 0x01 ‖ 11 zero bytes ‖ address: credentials that pay withdrawals to `address`. */
export function withdrawalCredentialsFor(address: string): string {
  return hexlify(concat(["0x01", new Uint8Array(11), zeroPadValue(address, 20)]));
}
