// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IStakingPool} from "../interfaces/IStakingPool.sol";

/// @title PermitVerifier — checks tpETH's EIP-2612 permit signatures, outside the pool's 24 KiB
/// @notice Deployed once and linked into the pool, which calls it with DELEGATECALL. It reads and
/// writes nothing: the pool passes its EIP-712 domain separator and the nonce it has just used, and
/// sets the allowance itself once this returns.
/// @dev Signature checking is cold (one permit per approval) and carries ECDSA and the ERC-1271 call,
/// so it lives here rather than in the pool, whose hot paths need the room.
library PermitVerifier {
    /// @dev EIP-2612 permit type hash.
    bytes32 private constant PERMIT_TYPEHASH = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
    );

    /// @notice Reverts unless `signature` is `owner`'s EIP-2612 permit for these terms: an ECDSA
    /// signature (65 bytes, r ‖ s ‖ v) when `owner` has no code, else one its ERC-1271
    /// `isValidSignature` accepts, whatever its length.
    /// @dev Reverts with `ERC2612ExpiredSignature(deadline)` after the deadline, then with
    /// `PermitInvalidSignature(owner)` (both declared in {IStakingPool}).
    /// @param domainSeparator The token's EIP-712 domain separator.
    /// @param owner The token owner named in the permit.
    /// @param spender The spender named in the permit.
    /// @param value The allowance named in the permit.
    /// @param nonce The owner's nonce the permit must be signed for (the token has just used it).
    /// @param deadline The permit's deadline, a unix timestamp.
    /// @param signature The signature.
    function verify(
        bytes32 domainSeparator,
        address owner,
        address spender,
        uint256 value,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external view {
        if (block.timestamp > deadline) revert IStakingPool.ERC2612ExpiredSignature(deadline);
        bytes32 digest = MessageHashUtils.toTypedDataHash(
            domainSeparator,
            keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, nonce, deadline))
        );
        if (!SignatureChecker.isValidSignatureNow(owner, digest, signature)) {
            revert IStakingPool.PermitInvalidSignature(owner);
        }
    }
}
