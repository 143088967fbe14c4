/** EIP-2612 permits for tpETH and wtpETH: the typed data, its domain, and signing it. */
import { Signature, type Signer, type TypedDataDomain } from "ethers";

/** Any token with EIP-2612 + ERC-5267 (`eip712Domain`). */
export interface PermitToken {
  /** The token's address. */
  getAddress(): Promise<string>;
  /** The owner's next permit nonce. */
  nonces(owner: string): Promise<bigint>;
  /** The ERC-5267 EIP-712 domain: fields, name, version, chain id, verifying contract, salt, extensions. */
  eip712Domain(): Promise<[string, string, string, bigint, string, string, bigint[]]>;
}

/**
 * The two permits tpETH and wtpETH take, as TypeChain names the overloads: EIP-2612's (v, r, s), and
 * the signature as bytes (USDC v2.2's), which carries any ERC-1271 wallet's signature.
 */
export const PERMIT_VRS = "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)" as const;
/** The bytes-signature permit overload's name (see {@link PERMIT_VRS}). */
export const PERMIT_BYTES = "permit(address,address,uint256,uint256,bytes)" as const;

/** EIP-2612's typed-data types, for `signTypedData`. */
export const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** The EIP-712 domain a permit for `token` is signed in, read from its `eip712Domain()`. */
export async function permitDomain(token: PermitToken): Promise<TypedDataDomain> {
  const [, name, version, chainId, verifyingContract] = await token.eip712Domain();
  return { name, version, chainId, verifyingContract };
}

/**
 * Signs an EIP-2612 permit with `signer`'s key. `owner` defaults to the signer; pass a contract
 * wallet's address to make an ERC-1271 permit signed by the wallet's owner key. Returns the
 * signature both split (v, r, s) and as 65 bytes r ‖ s ‖ v (`signature`, for `PERMIT_BYTES`).
 */
export async function signPermit(
  token: PermitToken,
  signer: Signer,
  spender: string,
  value: bigint,
  deadline: bigint,
  opts: { owner?: string; nonce?: bigint; domain?: TypedDataDomain } = {},
): Promise<{ owner: string; v: number; r: string; s: string; signature: string }> {
  const owner = opts.owner ?? (await signer.getAddress());
  const nonce = opts.nonce ?? (await token.nonces(owner));
  const domain = opts.domain ?? (await permitDomain(token));
  const sig = Signature.from(
    await signer.signTypedData(domain, PERMIT_TYPES, { owner, spender, value, nonce, deadline }),
  );
  return { owner, v: sig.v, r: sig.r, s: sig.s, signature: sig.serialized };
}
