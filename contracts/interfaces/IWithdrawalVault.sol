// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPoolVault} from "./IPoolVault.sol";

/// @title The withdrawal vault: the validators' withdrawal address
/// @notice Besides holding withdrawn ETH for the pool, it is the only account EIP-7002 lets ask the
/// consensus layer to exit Tidepool's validators, since their withdrawal credentials name it.
interface IWithdrawalVault is IPoolVault {
    /// @notice The EIP-7002 predeploy refused the request (fee too low, or no predeploy).
    /// @param pubkey The validator's public key.
    /// @param feeWei The fee sent, in wei.
    error ExitRequestFailed(bytes pubkey, uint256 feeWei);
    /// @notice A public key must be 48 bytes.
    /// @param length The length given.
    error InvalidPubkeyLength(uint256 length);

    /// @notice A full-exit request was sent to the EIP-7002 predeploy.
    /// @param pubkey The validator's public key.
    /// @param feeWei The fee paid, in wei.
    event FullExitRequested(bytes pubkey, uint256 feeWei);

    /// @notice Sends an EIP-7002 full-exit request (amount 0) for `pubkey`, paying `msg.value` as the
    /// fee. EXIT_REQUESTER_ROLE only (the beacon facts contract).
    /// @param pubkey The validator's 48-byte public key.
    function requestFullExit(bytes calldata pubkey) external payable;
}
