// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title A vault whose ETH only the staking pool can take
/// @notice The withdrawal vault (target of the validators' withdrawal credentials) and the
/// execution-layer rewards vault (fee recipient) accept ETH from anyone and release it only to the
/// pool, which does so while applying an oracle report.
interface IPoolVault {
    /// @notice Only the staking pool may take the vault's ETH.
    /// @param caller The account that called.
    error CallerNotPool(address caller);
    /// @notice The pool asked for more ETH than the vault holds.
    /// @param requested The ETH asked for, in wei.
    /// @param balance The vault's balance, in wei.
    error InsufficientVaultBalance(uint256 requested, uint256 balance);

    /// @notice ETH left the vault for the pool.
    /// @param amount The ETH moved, in wei.
    event EtherTransferredToPool(uint256 amount);

    /// @notice Sends `amount` wei to the pool. Pool only.
    /// @param amount The ETH to move, in wei.
    function transferToPool(uint256 amount) external;

    /// @notice The staking pool this vault serves.
    /// @return The pool's address.
    function POOL() external view returns (address);
}
