// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title TidepoolTimelock — governance's delay on public networks
/// @notice OpenZeppelin's TimelockController, unchanged; it holds DEFAULT_ADMIN_ROLE on every
/// Tidepool contract, so upgrades, role changes and parameter changes wait `minDelay` seconds.
contract TidepoolTimelock is TimelockController {
    /// @param minDelay Seconds between scheduling and executing an operation.
    /// @param proposers Accounts that may schedule (and cancel) operations.
    /// @param executors Accounts that may execute ready operations (zero address: anyone).
    /// @param admin Optional bootstrap admin of the timelock's own roles (zero: none).
    constructor(
        uint256 minDelay,
        address[] memory proposers,
        address[] memory executors,
        address admin
    ) TimelockController(minDelay, proposers, executors, admin) {}
}
