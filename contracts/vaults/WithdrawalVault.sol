// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {GovernedUpgradeable} from "../governance/GovernedUpgradeable.sol";
import {PoolVault} from "./PoolVault.sol";

/// @title WithdrawalVault — the address in every Tidepool validator's withdrawal credentials
/// @notice Receives skimmed rewards and exited balances from the beacon chain; only the pool can take
/// them, during a report. Upgradeable (UUPS, governance only) because its address is fixed in the
/// credentials for ever, so future withdrawal features (EIP-7002 exits, consolidations) land here.
/// @dev Holds no storage of its own yet beyond AccessControl's namespaced roles.
contract WithdrawalVault is PoolVault, GovernedUpgradeable {
    /// @param pool The staking pool proxy.
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address pool) PoolVault(pool) {
        _disableInitializers();
    }

    /// @notice Initialises the proxy.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (governance: upgrades).
    function initialize(address admin) external initializer {
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Accepts ETH (withdrawals arrive without a call, but anyone may also send).
    receive() external payable {}
}
