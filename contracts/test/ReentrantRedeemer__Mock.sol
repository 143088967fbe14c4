// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords, gas-custom-errors, no-complex-fallback, gas-calldata-parameters

import {IStakingPool} from "../interfaces/IStakingPool.sol";

/// @notice Test double: a holder whose `receive` tries to re-enter `instantRedeem` and records how
/// the inner call failed, then accepts the ETH.
contract ReentrantRedeemer__Mock {
    IStakingPool public immutable POOL;
    bytes public innerRevertData;
    uint256 public receivedWei;

    constructor(IStakingPool pool) {
        POOL = pool;
    }

    function stake() external payable {
        POOL.stake{value: msg.value}(address(0));
    }

    function redeem(uint256 amount) external {
        POOL.instantRedeem(amount, 0, address(this));
    }

    receive() external payable {
        receivedWei += msg.value;
        try POOL.instantRedeem(1 gwei, 0, address(this)) {
            innerRevertData = "";
        } catch (bytes memory reason) {
            innerRevertData = reason;
        }
    }
}
