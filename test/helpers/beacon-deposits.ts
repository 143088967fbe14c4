import { getBytes, hexlify, sha256, toUtf8Bytes, type BytesLike } from "ethers";
import type { SecretKey } from "@chainsafe/blst";
import { signDeposit, type SignedDeposit } from "../../offchain/keys/bls";

/** 1 gwei in wei. */
export const GWEI = 1_000_000_000n;

/** A deposit of any amount signed by `secretKey` under `forkVersion`. */
export function signDepositOfAmount(
  secretKey: SecretKey,
  withdrawalCredentials: BytesLike,
  amountGwei: bigint,
  forkVersion: BytesLike,
): SignedDeposit {
  return signDeposit(secretKey, withdrawalCredentials, forkVersion, amountGwei);
}

/**
 * Deterministic pseudo-random bytes for a label: sha256 in counter mode. Tests draw "random" keys,
 * credentials and amounts from it so that a failure is reproducible from its label.
 */
export class BeaconRandom {
  private counter = 0;

  constructor(private readonly label: string) {}

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 32) {
      const block = getBytes(sha256(toUtf8Bytes(`${this.label}|${this.counter++}`)));
      out.set(block.slice(0, Math.min(32, length - i)), i);
    }
    return out;
  }

  /** A uniformly distributed integer in [0, 2^bits). */
  bigint(bits: number): bigint {
    const bytes = this.bytes(Math.ceil(bits / 8));
    return BigInt(hexlify(bytes)) & ((1n << BigInt(bits)) - 1n);
  }

  /** An integer in [0, n), n < 2^32. */
  index(n: number): number {
    return Number(this.bigint(48) % BigInt(n));
  }
}
