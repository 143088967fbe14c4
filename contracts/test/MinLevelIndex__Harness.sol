// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords

import {MinLevelIndex} from "../lib/MinLevelIndex.sol";

/// @notice Test double: exposes {MinLevelIndex} on its own storage.
contract MinLevelIndex__Harness {
    using MinLevelIndex for MinLevelIndex.Index;

    MinLevelIndex.Index private _index;

    function add(uint256 level) external {
        _index.add(level);
    }

    function remove(uint256 level) external {
        _index.remove(level);
    }

    function lowest() external view returns (bool found, uint256 level) {
        return _index.lowest();
    }

    function countAt(uint256 level) external view returns (uint256) {
        return _index.countAt(level);
    }
}
