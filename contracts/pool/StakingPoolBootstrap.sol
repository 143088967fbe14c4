// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingPool} from "./StakingPool.sol";

/// @title StakingPoolBootstrap — the pool proxy's first implementation, which opens it paused
/// @notice A deployment creates the pool's proxy on this implementation, its peers all zero (they are
/// deployed next, naming the proxy), upgrades the proxy to the {StakingPool} that names them, and
/// resumes it as its last step. {initializePaused} is {StakingPool-initialize} with staking, instant
/// redemption and deposits paused in the same call, so the pool accepts nothing before the deployment
/// ends, not even in the blocks right after its proxy exists.
/// @dev Runs once, in the proxy's constructor; compiled for size (it is never called again).
contract StakingPoolBootstrap is StakingPool {
    /// @param peers All zero (see {StakingPool}).
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(Peers memory peers) StakingPool(peers) {}

    /// @notice Initialises the proxy as {StakingPool-initialize} does, every capability paused.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (the deployer; it grants RESUME_ROLE and resumes last).
    function initializePaused(address admin) external payable {
        initialize(admin);
        assembly ("memory-safe") {
            // StakingPool's ERC-7201 location + 1: `PoolStorage.control`, after the one-word `totals`;
            // initialize leaves it zero. Bits 248–255 are the pause flags (lib/StakeControl.sol): 7 = all.
            sstore(0x2c6002d777908ffaa70cf47c22b88426746e476a7af6fd119d6728dea1d96d01, shl(248, 7))
        }
        emit CapabilitiesPaused(msg.sender, CAPABILITY_STAKING | CAPABILITY_INSTANT_REDEEM | CAPABILITY_DEPOSITS);
    }
}
