import { concat } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { signPermit, type PermitToken } from "../../sdk/src/permit";

export { PERMIT_BYTES, PERMIT_TYPES, PERMIT_VRS, permitDomain, signPermit } from "../../sdk/src/permit";
export type { PermitToken } from "../../sdk/src/permit";

/**
 * A permit for a `MultisigWallet__Mock` (2-of-2) at `wallet`: each owner's 65-byte signature of the
 * wallet's permit, first then second — the 130-byte signature its ERC-1271 `isValidSignature` accepts.
 */
export async function signMultisigPermit(
  token: PermitToken,
  owners: readonly [HardhatEthersSigner, HardhatEthersSigner],
  wallet: string,
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<string> {
  const signatures = [];
  for (const owner of owners) {
    signatures.push((await signPermit(token, owner, spender, value, deadline, { owner: wallet })).signature);
  }
  return concat(signatures);
}
