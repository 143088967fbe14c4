// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords, gas-custom-errors, no-complex-fallback, gas-calldata-parameters

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Test double: an integrator contract that forwards exactly the amount it was told it
/// received — the pattern that breaks on rebasing tokens that lose 1–2 wei per transfer.
contract TokenForwarder__Mock {
    /// @notice Forwards `amount` of `token` held by this contract to `to`.
    function forward(IERC20 token, address to, uint256 amount) external {
        require(token.transfer(to, amount), "transfer returned false");
    }

    /// @notice Pulls `amount` from `from` (with allowance) and forwards it to `to` in one call.
    function pullAndForward(IERC20 token, address from, address to, uint256 amount) external {
        require(token.transferFrom(from, address(this), amount), "transferFrom returned false");
        require(token.transfer(to, amount), "transfer returned false");
    }
}
