// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title DepositDataRoot — SSZ `hash_tree_root(DepositData)` for a beacon-chain deposit
/// @notice DepositData = {pubkey: Bytes48, withdrawal_credentials: Bytes32, amount: uint64 (gwei),
/// signature: Bytes96} (consensus specs, phase0). Each field is merkleized into 32-byte chunks:
///   pubkey_root    = sha256(pubkey ‖ 16 zero bytes)
///   signature_root = sha256(sha256(sig[0:64]) ‖ sha256(sig[64:96] ‖ 32 zero bytes))
///   root = sha256(sha256(pubkey_root ‖ withdrawal_credentials)
///                 ‖ sha256(LE64(amount) ‖ 24 zero bytes ‖ signature_root))
/// @dev Keys are passed as words so callers can load them from calldata or storage without copying:
/// the pubkey is `pubkeyHead` (bytes 0..31) and `pubkeyTail` (bytes 32..47); the signature is three words.
library DepositDataRoot {
    /// @notice The deposit data root of a deposit.
    /// @param pubkeyHead Bytes 0..31 of the BLS public key.
    /// @param pubkeyTail Bytes 32..47 of the BLS public key.
    /// @param withdrawalCredentials The 32-byte withdrawal credentials.
    /// @param amountGwei The deposit amount, in gwei.
    /// @param sig0 Bytes 0..31 of the BLS signature.
    /// @param sig1 Bytes 32..63 of the BLS signature.
    /// @param sig2 Bytes 64..95 of the BLS signature.
    /// @return The SSZ hash tree root of the DepositData.
    function compute(
        bytes32 pubkeyHead,
        bytes16 pubkeyTail,
        bytes32 withdrawalCredentials,
        uint64 amountGwei,
        bytes32 sig0,
        bytes32 sig1,
        bytes32 sig2
    ) internal pure returns (bytes32) {
        bytes32 pubkeyRoot = sha256(abi.encodePacked(pubkeyHead, pubkeyTail, bytes16(0)));
        bytes32 signatureRoot = sha256(
            abi.encodePacked(sha256(abi.encodePacked(sig0, sig1)), sha256(abi.encodePacked(sig2, bytes32(0))))
        );
        return
            sha256(
                abi.encodePacked(
                    sha256(abi.encodePacked(pubkeyRoot, withdrawalCredentials)),
                    sha256(abi.encodePacked(toLittleEndian64(amountGwei), bytes24(0), signatureRoot))
                )
            );
    }

    /// @notice `value` as 8 little-endian bytes (SSZ's uint64 encoding).
    /// @param value The number.
    /// @return The bytes, least significant first.
    function toLittleEndian64(uint64 value) internal pure returns (bytes8) {
        uint64 v = value;
        v = ((v & 0xFF00FF00FF00FF00) >> 8) | ((v & 0x00FF00FF00FF00FF) << 8);
        v = ((v & 0xFFFF0000FFFF0000) >> 16) | ((v & 0x0000FFFF0000FFFF) << 16);
        return bytes8((v >> 32) | (v << 32));
    }
}
