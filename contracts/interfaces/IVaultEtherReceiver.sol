// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title The pool's entry point for ETH coming back from its vaults
interface IVaultEtherReceiver {
    /// @notice Receives ETH from the withdrawal or EL-rewards vault during a report; the report
    /// accounts for it. Callable by the vaults only.
    function receiveVaultEther() external payable;
}
