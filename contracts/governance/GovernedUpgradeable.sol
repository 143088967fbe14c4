// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";

/// @title GovernedUpgradeable — the governance rules every upgradeable Tidepool contract shares
/// @notice Upgrades are governance's alone (DEFAULT_ADMIN_ROLE: the timelock on public networks), and
/// no role is ever granted to the zero address, so a forgotten deployment parameter fails the
/// deployment instead of shipping a contract nobody can operate.
abstract contract GovernedUpgradeable is UUPSUpgradeable, AccessControlUpgradeable {
    /// @notice A role was about to be granted to the zero address.
    /// @param role The role.
    error RoleGrantToZeroAddress(bytes32 role);

    /// @dev Refuses the zero address, then grants as AccessControl does.
    function _grantRole(bytes32 role, address account) internal virtual override returns (bool) {
        if (account == address(0)) revert RoleGrantToZeroAddress(role);
        return super._grantRole(role, account);
    }

    /// @dev Upgrades are governance's.
    function _authorizeUpgrade(address) internal virtual override onlyRole(DEFAULT_ADMIN_ROLE) {}
}
