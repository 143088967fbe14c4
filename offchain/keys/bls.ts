import { concat, getBytes, hexlify, sha256, toUtf8Bytes, type BytesLike } from "ethers";
import { SecretKey, PublicKey, Signature, verify } from "@chainsafe/blst";
import { DEPOSIT_AMOUNT_GWEI, computeDepositDataRoot, littleEndian64, type DepositData } from "./deposit";

/** DOMAIN_DEPOSIT (consensus specs, phase0). */
export const DOMAIN_DEPOSIT = "0x03000000";

/** GENESIS_FORK_VERSION per network (consensus-specs and eth-clients configs). */
export const GENESIS_FORK_VERSIONS: Record<string, string> = {
  mainnet: "0x00000000",
  hoodi: "0x10000910",
  holesky: "0x01017000",
  sepolia: "0x90000069",
};

/**
 * compute_domain(DOMAIN_DEPOSIT, fork_version, Root()): the domain type followed by the first 28
 * bytes of hash_tree_root(ForkData(fork_version, zero genesis_validators_root)).
 */
export function depositDomain(forkVersion: BytesLike): string {
  const version = getBytes(forkVersion);
  if (version.length !== 4) throw new Error(`fork version must be 4 bytes, got ${version.length}`);
  const forkDataRoot = sha256(concat([version, new Uint8Array(28), new Uint8Array(32)]));
  return hexlify(concat([DOMAIN_DEPOSIT, getBytes(forkDataRoot).slice(0, 28)]));
}

/** hash_tree_root(DepositMessage{pubkey, withdrawal_credentials, amount}). */
export function depositMessageRoot(d: Omit<DepositData, "signature">): string {
  const pubkeyRoot = sha256(concat([d.pubkey, new Uint8Array(16)]));
  return sha256(
    concat([
      sha256(concat([pubkeyRoot, d.withdrawalCredentials])),
      sha256(concat([littleEndian64(d.amountGwei), new Uint8Array(24), new Uint8Array(32)])),
    ]),
  );
}

/** compute_signing_root(DepositMessage, domain) = hash_tree_root(SigningData(message_root, domain)). */
export function depositSigningRoot(d: Omit<DepositData, "signature">, forkVersion: BytesLike): string {
  return sha256(concat([depositMessageRoot(d), depositDomain(forkVersion)]));
}

/** Whether `d.signature` is the pubkey's BLS signature over the deposit message for `forkVersion`. */
export function verifyDepositSignature(d: DepositData, forkVersion: BytesLike): boolean {
  try {
    const pk = PublicKey.fromBytes(getBytes(d.pubkey), true);
    const sig = Signature.fromBytes(getBytes(d.signature), true);
    return verify(getBytes(depositSigningRoot(d, forkVersion)), pk, sig);
  } catch {
    return false; // not a valid point encoding
  }
}

/** A validator key and a 32 ETH deposit it signed. */
export interface SignedDeposit extends DepositData {
  depositDataRoot: string;
}

/**
 * Signs a deposit for `secretKey` with `withdrawalCredentials` under `forkVersion`: 32 ETH (every
 * Tidepool deposit) unless another amount is given (the deposit contract takes any amount ≥ 1 ETH).
 */
export function signDeposit(
  secretKey: SecretKey,
  withdrawalCredentials: BytesLike,
  forkVersion: BytesLike,
  amountGwei: bigint = DEPOSIT_AMOUNT_GWEI,
): SignedDeposit {
  const message = {
    pubkey: hexlify(secretKey.toPublicKey().toBytes()),
    withdrawalCredentials: hexlify(getBytes(withdrawalCredentials)),
    amountGwei,
  };
  const signature = hexlify(secretKey.sign(getBytes(depositSigningRoot(message, forkVersion))).toBytes());
  const deposit = { ...message, signature };
  return { ...deposit, depositDataRoot: computeDepositDataRoot(deposit) };
}

/**
 * Deterministic validator keys FOR TESTS AND LOCAL DEMOS ONLY: key material is derived from a public
 * label, so anyone can recompute these secret keys. Never use them on a public network.
 */
export function testSecretKey(label: string, index: number): SecretKey {
  return SecretKey.fromKeygen(getBytes(sha256(toUtf8Bytes(`tidepool insecure test key|${label}|${index}`))));
}

/** `count` signed deposits for test keys, ready for `addSigningKeys` (pubkeys and signatures concatenated). */
export function testKeyBatch(
  label: string,
  fromIndex: number,
  count: number,
  withdrawalCredentials: BytesLike,
  forkVersion: BytesLike = GENESIS_FORK_VERSIONS.mainnet,
): { deposits: SignedDeposit[]; pubkeys: string; signatures: string } {
  const deposits = Array.from({ length: count }, (_, i) =>
    signDeposit(testSecretKey(label, fromIndex + i), withdrawalCredentials, forkVersion),
  );
  return {
    deposits,
    pubkeys: hexlify(concat(deposits.map((d) => d.pubkey))),
    signatures: hexlify(concat(deposits.map((d) => d.signature))),
  };
}
