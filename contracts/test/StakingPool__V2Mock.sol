// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords, gas-custom-errors, no-complex-fallback, gas-calldata-parameters

import {StakingPool} from "../pool/StakingPool.sol";

/// @notice Test double: a next version of the pool that adds state in its own ERC-7201 namespace,
/// used to show that an upgrade keeps every balance, total, role and parameter.
contract StakingPool__V2Mock is StakingPool {
    /// @custom:storage-location erc7201:tidepool.storage.StakingPoolV2Mock
    struct V2Storage {
        uint256 answer;
    }

    // keccak256(abi.encode(uint256(keccak256("tidepool.storage.StakingPoolV2Mock")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant V2_STORAGE_LOCATION = 0x2805cb0ba8333eec8290406e45a6d5de9197b5b58f739b6963648755447abb00;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(Peers memory peers) StakingPool(peers) {}

    /// @notice Runs once, in the upgrade call.
    function initializeV2(uint256 initialAnswer) external reinitializer(2) {
        _v2().answer = initialAnswer;
    }

    function setAnswer(uint256 newAnswer) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _v2().answer = newAnswer;
    }

    function answer() external view returns (uint256) {
        return _v2().answer;
    }

    function _v2() private pure returns (V2Storage storage $) {
        assembly {
            $.slot := V2_STORAGE_LOCATION
        }
    }
}
