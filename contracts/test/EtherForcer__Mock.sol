// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords, gas-custom-errors, no-complex-fallback, gas-calldata-parameters

/// @notice Test double: forces ETH into a contract without calling it (SELFDESTRUCT still moves the
/// balance after EIP-6780).
contract EtherForcer__Mock {
    constructor() payable {}

    function force(address payable target) external {
        selfdestruct(target);
    }
}
