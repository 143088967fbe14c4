// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords

import {DepositDataRoot} from "../lib/DepositDataRoot.sol";

/// @notice Test double: exposes the on-chain deposit_data_root computation for byte strings.
contract DepositDataRoot__Harness {
    function compute(
        bytes calldata pubkey,
        bytes32 withdrawalCredentials,
        uint64 amountGwei,
        bytes calldata signature
    ) external pure returns (bytes32) {
        return
            DepositDataRoot.compute(
                bytes32(pubkey[0:32]),
                bytes16(pubkey[32:48]),
                withdrawalCredentials,
                amountGwei,
                bytes32(signature[0:32]),
                bytes32(signature[32:64]),
                bytes32(signature[64:96])
            );
    }

    function toLittleEndian64(uint64 value) external pure returns (bytes8) {
        return DepositDataRoot.toLittleEndian64(value);
    }
}
