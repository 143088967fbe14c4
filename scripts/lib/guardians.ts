import { Signature, type Signer } from "ethers";
import type { DepositContract, DepositSecurityModule, NodeOperatorRegistry } from "../../typechain-types";
import type { IDepositSecurityModule } from "../../typechain-types/contracts/validators/DepositSecurityModule";

export type Attestation = IDepositSecurityModule.AttestationStruct;
export type GuardianSignature = IDepositSecurityModule.SignatureStruct;

const ATTESTATION_TYPES = {
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
