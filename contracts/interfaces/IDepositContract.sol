// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title The beacon-chain deposit contract's interface
/// @notice The ABI of the canonical consensus-layer deposit contract
/// (`0x00000000219ab540356cBB839Cbe05303d7705Fa` on mainnet and Hoodi). Tidepool talks to the
/// canonical contract through this interface on public networks and to {DepositContract} locally.
interface IDepositContract {
    /// @notice A deposit was made; `amount` and `index` are little-endian uint64 bytes (gwei, count).
    /// @param pubkey The 48-byte BLS public key.
    /// @param withdrawal_credentials The 32-byte withdrawal credentials.
    /// @param amount The amount in gwei, 8 bytes little-endian.
    /// @param signature The 96-byte BLS signature over the DepositMessage.
    /// @param index The deposit's index in the tree, 8 bytes little-endian.
    event DepositEvent(bytes pubkey, bytes withdrawal_credentials, bytes amount, bytes signature, bytes index);

    /// @notice Deposits `msg.value` for the validator `pubkey`.
    /// @param pubkey The 48-byte BLS public key.
    /// @param withdrawal_credentials The 32-byte withdrawal credentials.
    /// @param signature The 96-byte BLS signature over the DepositMessage.
    /// @param deposit_data_root The SSZ hash tree root of the DepositData, checked against a recomputation.
    // solhint-disable-next-line var-name-mixedcase
    function deposit(
        bytes calldata pubkey,
        bytes calldata withdrawal_credentials,
        bytes calldata signature,
        bytes32 deposit_data_root
    ) external payable;

    /// @notice The root of the deposit tree, mixed in with the deposit count.
    /// @return The root.
    // solhint-disable-next-line func-name-mixedcase
    function get_deposit_root() external view returns (bytes32);

    /// @notice The number of deposits made, as 8 little-endian bytes.
    /// @return The count.
    // solhint-disable-next-line func-name-mixedcase
    function get_deposit_count() external view returns (bytes memory);
}
