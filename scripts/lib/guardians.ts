import { Signature, type Signer } from "ethers";
import type { DepositContract, DepositSecurityModule, NodeOperatorRegistry, StakingPool } from "../../typechain-types";
import type { IDepositSecurityModule } from "../../typechain-types/contracts/validators/DepositSecurityModule";

export type Attestation = IDepositSecurityModule.AttestationStruct;
export type GuardianSignature = IDepositSecurityModule.SignatureStruct;

/** The EIP-712 type guardians sign (DepositSecurityModule). */
export const ATTESTATION_TYPES = {
  DepositAttestation: [
    { name: "depositRoot", type: "bytes32" },
    { name: "keysNonce", type: "uint256" },
    { name: "blockNumber", type: "uint256" },
    { name: "blockHash", type: "bytes32" },
  ],
};

/** What a guardian observes now: the deposit root, the key nonce and the latest block. */
export async function currentAttestation(
  depositContract: DepositContract,
  registry: NodeOperatorRegistry,
  provider: { getBlock(tag: "latest"): Promise<{ number: number; hash: string | null } | null> },
): Promise<Attestation> {
  const block = await provider.getBlock("latest");
  if (!block?.hash) throw new Error("no latest block");
  return {
    depositRoot: await depositContract.get_deposit_root(),
    keysNonce: await registry.keysNonce(),
    blockNumber: BigInt(block.number),
    blockHash: block.hash,
  };
}

/** EIP-712 signatures of `guardians` over `attestation`, compact (EIP-2098), sorted by signer as the module requires. */
export async function signAttestation(
  dsm: DepositSecurityModule,
  attestation: Attestation,
  guardians: Signer[],
): Promise<GuardianSignature[]> {
  const [, name, version, chainId, verifyingContract] = await dsm.eip712Domain();
  const domain = { name, version, chainId, verifyingContract };
  const signed = await Promise.all(
    guardians.map(async (g) => {
      const sig = Signature.from(await g.signTypedData(domain, ATTESTATION_TYPES, attestation));
      return { signer: (await g.getAddress()).toLowerCase(), sig: { r: sig.r, vs: sig.yParityAndS } };
    }),
  );
  return signed.sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1)).map((s) => s.sig);
}

/**
 * Deposits as many validators as the buffer and the operators allow (at most `max`), each batch to the
 * operator next in line, with a fresh attestation signed by `guardians` (a quorum) every time.
 * Returns the validators deposited.
 */
export async function depositAvailable(
  t: {
    pool: StakingPool;
    registry: NodeOperatorRegistry;
    dsm: DepositSecurityModule;
    depositContract: DepositContract;
  },
  guardians: Signer[],
  provider: BlockSource,
  max = 2n ** 32n,
): Promise<bigint> {
  const perCall = await t.pool.MAX_DEPOSITS_PER_CALL();
  const operators = await t.registry.getNodeOperatorsCount();
  let deposited = 0n;
  while (deposited < max) {
    const byBuffer = (await t.pool.depositableEther()) / (32n * 10n ** 18n);
    let next: { id: bigint; keys: bigint } | undefined;
    for (let id = 0n; id < operators && !next; id++) {
      const keys = await t.registry.depositableKeys(id);
      if (keys > 0n) next = { id, keys };
    }
    if (byBuffer === 0n || !next) break;
    const count = [next.keys, byBuffer, perCall, max - deposited].reduce((a, b) => (b < a ? b : a));
    const attestation = await parentBlockAttestation(t.depositContract, t.registry, provider);
    const signatures = await signAttestation(t.dsm, attestation, guardians);
    await (await t.dsm.connect(guardians[0]).depositBufferedEther(next.id, count, attestation, signatures)).wait();
    deposited += count;
  }
  return deposited;
}

/** A provider that can name the latest block and fetch a block by number. */
export interface BlockSource {
  getBlockNumber(): Promise<number>;
  getBlock(tag: number): Promise<{ number: number; hash: string | null } | null>;
}

/**
 * An attestation of the latest block's parent. A simulated call (gas estimation, `staticCall`) runs in
 * the context of the block it reads, where that block's own hash reads as zero, so an attestation of
 * the latest block fails there as stale; its parent's hash is always readable.
 */
export async function parentBlockAttestation(
  depositContract: DepositContract,
  registry: NodeOperatorRegistry,
  provider: BlockSource,
): Promise<Attestation> {
  const parent = { getBlock: async () => provider.getBlock(Math.max((await provider.getBlockNumber()) - 1, 0)) };
  return currentAttestation(depositContract, registry, parent);
}
