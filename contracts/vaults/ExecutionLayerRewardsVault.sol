// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {PoolVault} from "./PoolVault.sol";

/// @title ExecutionLayerRewardsVault — fee recipient of Tidepool's validators
/// @notice Collects priority fees and MEV payments; only the pool can take them, during a report.
/// Not upgradeable: it holds no state but its balance.
contract ExecutionLayerRewardsVault is PoolVault {
    /// @param pool The staking pool proxy.
    constructor(address pool) PoolVault(pool) {}

    /// @notice Accepts ETH from anyone (block builders, MEV relays, tips).
    receive() external payable {}
}
