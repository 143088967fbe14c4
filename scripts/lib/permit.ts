import { Signature, TypedDataDomain } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

/** Any token with EIP-2612 + ERC-5267 (`eip712Domain`). */
export interface PermitToken {
  getAddress(): Promise<string>;
  nonces(owner: string): Promise<bigint>;
  eip712Domain(): Promise<[string, string, string, bigint, string, string, bigint[]]>;
}

export const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export async function permitDomain(token: PermitToken): Promise<TypedDataDomain> {
  const [, name, version, chainId, verifyingContract] = await token.eip712Domain();
  return { name, version, chainId, verifyingContract };
}

/**
 * Signs an EIP-2612 permit with `signer`'s key. `owner` defaults to the signer; pass a contract
 * wallet's address to make an ERC-1271 permit signed by the wallet's owner key.
 */
export async function signPermit(
  token: PermitToken,
  signer: HardhatEthersSigner,
  spender: string,
  value: bigint,
  deadline: bigint,
  opts: { owner?: string; nonce?: bigint; domain?: TypedDataDomain } = {},
): Promise<{ owner: string; v: number; r: string; s: string }> {
  const owner = opts.owner ?? signer.address;
  const nonce = opts.nonce ?? (await token.nonces(owner));
  const domain = opts.domain ?? (await permitDomain(token));
  const sig = Signature.from(
    await signer.signTypedData(domain, PERMIT_TYPES, { owner, spender, value, nonce, deadline }),
  );
  return { owner, v: sig.v, r: sig.r, s: sig.s };
}
