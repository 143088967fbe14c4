import { ethers, network } from "hardhat";
import { impersonateAccount, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import {
  Signature,
  TypedDataEncoder,
  hexlify,
  parseEther,
  toBeHex,
  type ContractTransactionResponse,
  type Signer,
} from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { TidepoolFixture } from "./fixtures";
import {
  ATTESTATION_TYPES,
  currentAttestation,
  signAttestation,
  type Attestation,
  type GuardianSignature,
} from "../../offchain/guardians/attestations";
import type { NodeOperatorRegistry } from "../../typechain-types";

// ──────────────────────────────── Constants ────────────────────────────────

/** ETH per validator deposit. */
export const DEPOSIT_SIZE = parseEther("32");
/** The deployment's default bond per validator. */
export const DEFAULT_BOND_PER_VALIDATOR = parseEther("2");
/** The deployment's default guardian attestation age limit, in blocks. */
export const DEFAULT_MAX_ATTESTATION_AGE = 25n;
/** The pool's capability bit for deposits. */
export const CAPABILITY_DEPOSITS = 4;
/** The pool's default instant-liquidity reserve target, in basis points of TVL. */
export const DEFAULT_LIQUIDITY_TARGET_BP = 100n;
/** Validators per pool deposit call, at most. */
export const MAX_DEPOSITS_PER_CALL = 64n;
/** Keys per registry key call, at most. */
export const MAX_KEYS_PER_CALL = 100n;
/** The registry's ERC-7201 storage base (see NodeOperatorRegistry.sol). */
export const REGISTRY_STORAGE_LOCATION = "0x1b60eda29d29ebd966b088309b4a329f3e7ac14d855d58c55c1361bf8f434400";
/** keccak256("eip1967.proxy.implementation") − 1. */
export const ERC1967_IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

/** The EIP-712 type guardians sign (DepositSecurityModule.ATTESTATION_TYPEHASH), and signing in any domain. */
export { ATTESTATION_TYPES, signAttestationIn } from "../../offchain/guardians/attestations";

// ──────────────────────────────── Reference math ────────────────────────────────

/** ceil(x × y / d) */
export function mulDivUp(x: bigint, y: bigint, d: bigint): bigint {
  const product = x * y;
  return product / d + (product % d === 0n ? 0n : 1n);
}

/** The reserve deposits leave in the buffer: ceil(TVL × targetBP / 10,000). */
export function liquidityReserve(totalPooledEther: bigint, targetBP: bigint = DEFAULT_LIQUIDITY_TARGET_BP): bigint {
  return mulDivUp(totalPooledEther, targetBP, 10_000n);
}

// ──────────────────────────────── Registry state ────────────────────────────────

/** An operator's state as plain values (comparable with deep.equal). */
export interface OperatorState {
  active: boolean;
  totalKeys: bigint;
  vettedKeys: bigint;
  depositedKeys: bigint;
  exitedKeys: bigint;
  bondCoveredValidators: bigint;
  bondShares: bigint;
  rewardAddress: string;
  name: string;
}

export async function operatorState(registry: NodeOperatorRegistry, operatorId: bigint): Promise<OperatorState> {
  const v = await registry.getNodeOperator(operatorId);
  return {
    active: v.active,
    totalKeys: v.totalKeys,
    vettedKeys: v.vettedKeys,
    depositedKeys: v.depositedKeys,
    exitedKeys: v.exitedKeys,
    bondCoveredValidators: v.bondCoveredValidators,
    bondShares: v.bondShares,
    rewardAddress: v.rewardAddress,
    name: v.name,
  };
}

/** Active validators of an operator: deposited − exited. */
export async function activeValidators(registry: NodeOperatorRegistry, operatorId: bigint): Promise<bigint> {
  const v = await registry.getNodeOperator(operatorId);
  return v.depositedKeys - v.exitedKeys;
}

/** Overwrites the registry's operator count (packed after the 64-bit keys nonce in its first word). */
export async function setRegistryOperatorsCount(registry: NodeOperatorRegistry, count: bigint): Promise<void> {
  const address = await registry.getAddress();
  const word = BigInt(
    (await network.provider.send("eth_getStorageAt", [address, REGISTRY_STORAGE_LOCATION, "latest"])) as string,
  );
  const mask = ((1n << 32n) - 1n) << 64n;
  const updated = (word & ~mask) | (count << 64n);
  await network.provider.send("hardhat_setStorageAt", [address, REGISTRY_STORAGE_LOCATION, toBeHex(updated, 32)]);
}

// ──────────────────────────────── Acting as the pool ────────────────────────────────

/** ETH the impersonated pool is topped up to when it runs low. */
const POOL_SIGNER_FUNDING = parseEther("100000");

/**
 * The pool proxy as an impersonated signer (for pool-only registry calls), topped up with ETH only
 * when it runs low, so that balance checks around a call see the call alone.
 */
export async function poolSigner(f: TidepoolFixture): Promise<HardhatEthersSigner> {
  await impersonateAccount(f.poolAddress);
  if ((await ethers.provider.getBalance(f.poolAddress)) < POOL_SIGNER_FUNDING / 2n) {
    await setBalance(f.poolAddress, POOL_SIGNER_FUNDING);
  }
  return ethers.getSigner(f.poolAddress);
}

/** `registry.depositKeys` called by the (impersonated) pool with the pool's credentials and exact value. */
export async function depositAsPool(
  f: TidepoolFixture,
  operatorId: bigint,
  count: bigint,
  value: bigint = count * DEPOSIT_SIZE,
): Promise<ContractTransactionResponse> {
  const pool = await poolSigner(f);
  return f.registry.connect(pool).depositKeys(operatorId, count, await f.pool.withdrawalCredentials(), { value });
}

// ──────────────────────────────── Guardians ────────────────────────────────

export interface SignedAttestation {
  attestation: Attestation;
  signatures: GuardianSignature[];
}

/** What the guardians see now, signed by `guardians` (default: the deployment's one guardian). */
export async function attest(f: TidepoolFixture, guardians: Signer[] = [f.guardian]): Promise<SignedAttestation> {
  const attestation = await currentAttestation(f.depositContract, f.registry, ethers.provider);
  return { attestation, signatures: await signAttestation(f.dsm, attestation, guardians) };
}

/** A deposit through the DSM with a fresh attestation signed by `guardians`. */
export async function guardedDeposit(
  f: TidepoolFixture,
  operatorId: bigint,
  count: bigint,
  guardians: Signer[] = [f.guardian],
): Promise<ContractTransactionResponse> {
  const { attestation, signatures } = await attest(f, guardians);
  return f.dsm.depositBufferedEther(operatorId, count, attestation, signatures);
}

/** An EIP-712 domain as ethers takes it. */
export interface Eip712Domain {
  name: string;
  version: string;
  chainId: bigint;
  verifyingContract: string;
}

/** The DSM's own EIP-712 domain, read from `eip712Domain()`. */
export async function dsmDomain(f: TidepoolFixture): Promise<Eip712Domain> {
  const [, name, version, chainId, verifyingContract] = await f.dsm.eip712Domain();
  return { name, version, chainId, verifyingContract };
}

/** The address ECDSA recovers from a compact signature over `digest`. */
export function recoverCompact(digest: string, signature: GuardianSignature): string {
  const sig = Signature.from({ r: hexlify(signature.r), yParityAndS: hexlify(signature.vs) });
  return ethers.recoverAddress(digest, sig);
}

/** The EIP-712 digest of `attestation` under `domain`, computed off chain. */
export function attestationHash(domain: Eip712Domain, attestation: Attestation): string {
  return TypedDataEncoder.hash(domain, ATTESTATION_TYPES, attestation);
}

// ──────────────────────────────── Whole-protocol snapshot ────────────────────────────────

/** Everything a deposit could change, as plain values (comparable with deep.equal). */
export interface ProtocolSnapshot {
  totalPooledEther: bigint;
  totalShares: bigint;
  bufferedEther: bigint;
  depositableEther: bigint;
  beaconStat: bigint[];
  poolBalance: bigint;
  depositCount: string;
  depositRoot: string;
  depositContractBalance: bigint;
  registryBalance: bigint;
  keysNonce: bigint;
  lowest: [boolean, bigint];
  operators: OperatorState[];
  depositable: bigint[];
}

export async function protocolSnapshot(f: TidepoolFixture): Promise<ProtocolSnapshot> {
  const count = await f.registry.getNodeOperatorsCount();
  const operators: OperatorState[] = [];
  const depositable: bigint[] = [];
  for (let id = 0n; id < count; ++id) {
    operators.push(await operatorState(f.registry, id));
    depositable.push(await f.registry.depositableKeys(id));
  }
  const [depositedValidators, clValidators, clBalance] = await f.pool.getBeaconStat();
  const [found, lowest] = await f.registry.lowestActiveValidators();
  return {
    totalPooledEther: await f.pool.totalPooledEther(),
    totalShares: await f.pool.totalShares(),
    bufferedEther: await f.pool.bufferedEther(),
    depositableEther: await f.pool.depositableEther(),
    beaconStat: [depositedValidators, clValidators, clBalance],
    poolBalance: await ethers.provider.getBalance(f.poolAddress),
    depositCount: await f.depositContract.get_deposit_count(),
    depositRoot: await f.depositContract.get_deposit_root(),
    depositContractBalance: await ethers.provider.getBalance(await f.depositContract.getAddress()),
    registryBalance: await ethers.provider.getBalance(await f.registry.getAddress()),
    keysNonce: await f.registry.keysNonce(),
    lowest: [found, lowest],
    operators,
    depositable,
  };
}
