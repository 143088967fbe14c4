// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IPoolVault} from "../interfaces/IPoolVault.sol";
import {IVaultEtherReceiver} from "../interfaces/IVaultEtherReceiver.sol";

/// @title PoolVault — ETH that only the staking pool can take
/// @notice The shared rule of Tidepool's vaults: anyone may send ETH in; only the pool takes it out,
/// into its `receiveVaultEther`, which it calls while applying an oracle report.
abstract contract PoolVault is IPoolVault {
    /// @inheritdoc IPoolVault
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable POOL;

    /// @param pool The staking pool proxy.
    constructor(address pool) {
        POOL = pool;
    }

    /// @inheritdoc IPoolVault
    function transferToPool(uint256 amount) external {
        if (msg.sender != POOL) revert CallerNotPool(msg.sender);
        if (amount > address(this).balance) revert InsufficientVaultBalance(amount, address(this).balance);
        emit EtherTransferredToPool(amount);
        IVaultEtherReceiver(POOL).receiveVaultEther{value: amount}();
    }
}
