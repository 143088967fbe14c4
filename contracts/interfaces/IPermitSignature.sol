// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Permits signed by any wallet: EIP-2612 with the signature as bytes
/// @notice The (v, r, s) of EIP-2612 fits only a 65-byte ECDSA signature, which smart-contract wallets
/// (Safe multisigs, passkey wallets) do not make. This overload takes the signature as bytes, checked
/// with ERC-1271 when the owner is a contract and with ECDSA otherwise, as USDC v2.2 does. It shares
/// the EIP-712 domain, the `Permit` type and the nonces with the (v, r, s) form: one permit, two ways
/// to submit it. tpETH and wtpETH both implement it.
interface IPermitSignature {
    /// @notice Sets `spender`'s allowance over `owner`'s tokens to `value`, given `owner`'s signature of
    /// the EIP-2612 `Permit(owner, spender, value, nonce, deadline)` with the owner's current nonce.
    /// Anyone may submit it; the nonce is used.
    /// @dev `signature` is checked with the owner's ERC-1271 `isValidSignature` when the owner has code
    /// (any length: a Safe's concatenated signatures, a passkey's WebAuthn data), otherwise as a 65-byte
    /// ECDSA signature r ‖ s ‖ v (low s). Reverts `ERC2612ExpiredSignature(deadline)` after the
    /// deadline, `PermitInvalidSignature(owner)` for a signature that does not verify, and
    /// `ERC20InvalidSpender(address(0))` for a zero spender. Emits `Approval`.
    /// @param owner The token owner, who signed (or whose wallet accepts the signature).
    /// @param spender The account allowed to spend.
    /// @param value The allowance, in the token's units.
    /// @param deadline Unix time after which the signature is void.
    /// @param signature The signature, as bytes.
    function permit(address owner, address spender, uint256 value, uint256 deadline, bytes calldata signature) external;
}
