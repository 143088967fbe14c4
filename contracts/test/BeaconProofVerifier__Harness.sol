// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords

import {BeaconProofVerifier} from "../beacon/BeaconProofVerifier.sol";
import {BeaconProofs} from "../beacon/BeaconProofs.sol";

/// @notice Measures the execution gas of proof verification alone: the internal checks of
/// `verifyValidator` / `verifyBalance` between two `gasleft()` reads, without the transaction's
/// base cost, calldata, ABI dispatch or an external call to the verifier.
contract BeaconProofVerifier__Harness is BeaconProofVerifier {
    constructor(
        address admin,
        uint64 genesisTimestamp_,
        uint256 secondsPerSlot,
        uint64 electraFromSlot
    ) BeaconProofVerifier(admin, genesisTimestamp_, secondsPerSlot, electraFromSlot) {}

    function gasOfVerifyValidator(
        uint256 blockTimestamp,
        BeaconBlockHeader calldata header,
        uint64 validatorIndex,
        Validator calldata validator,
        bytes calldata proof
    ) external view returns (uint256 gasUsed) {
        uint256 before = gasleft();
        _verifyValidator(blockTimestamp, header, validatorIndex, validator, proof);
        gasUsed = before - gasleft();
    }

    function gasOfVerifyBalance(
        uint256 blockTimestamp,
        BeaconBlockHeader calldata header,
        uint64 validatorIndex,
        bytes32 balancesChunk,
        bytes calldata proof
    ) external view returns (uint256 gasUsed) {
        uint256 before = gasleft();
        _verifyBalance(blockTimestamp, header, validatorIndex, balancesChunk, proof);
        gasUsed = before - gasleft();
    }

    /// @notice `BeaconProofs.walk` from `node` at `index` with the 32-byte `siblings`, bottom-up.
    function walkOf(bytes32 node, uint256 index, bytes calldata siblings) external view returns (bytes32) {
        return BeaconProofs.walk(node, index, _offset(siblings), siblings.length / 32);
    }

    /// @notice `BeaconProofs.listRoot`: `node` walked up through empty subtrees, the length mixed in.
    function listRootOf(
        bytes32 node,
        uint256 fromDepth,
        uint256 limitDepth,
        bytes32 lengthChunk
    ) external view returns (bytes32) {
        return BeaconProofs.listRoot(node, fromDepth, limitDepth, lengthChunk);
    }

    /// @notice `BeaconProofs.swapLanes` and `BeaconProofs.toChunk` side by side.
    function chunksOf(uint64 value) external pure returns (bytes32 chunk, uint256 swappedLanes) {
        return (BeaconProofs.toChunk(value), BeaconProofs.swapLanes(value));
    }

    function _offset(bytes calldata data) private pure returns (uint256 offset) {
        assembly ("memory-safe") {
            offset := data.offset
        }
    }
}
