// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords

import {IStakingPool} from "../interfaces/IStakingPool.sol";

/// @notice Benchmark helper: stakes once, then gives shares to many fresh addresses through the
/// pool's real `transferShares`, so a benchmark can reach thousands of holders in a few transactions.
contract HolderSpreader__Mock {
    IStakingPool public immutable POOL;

    constructor(IStakingPool pool) {
        POOL = pool;
    }

    function stake() external payable {
        POOL.stake{value: msg.value}(address(0));
    }

    /// @dev Holders are keccak256(salt, i) for i in [from, from + count).
    function spread(uint256 salt, uint256 from, uint256 count, uint256 sharesEach) external {
        for (uint256 i = from; i < from + count; ++i) {
            POOL.transferShares(address(uint160(uint256(keccak256(abi.encode(salt, i))))), sharesEach);
        }
    }
}
