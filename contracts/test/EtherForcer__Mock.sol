// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Test double: forces ETH into a contract without calling it (SELFDESTRUCT still moves the
/// balance after EIP-6780).
contract EtherForcer__Mock {
    constructor() payable {}

    function force(address payable target) external {
        selfdestruct(target);
    }
}
