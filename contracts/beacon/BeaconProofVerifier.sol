// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IBeaconProofVerifier} from "../interfaces/IBeaconProofVerifier.sol";
import {BeaconProofs} from "./BeaconProofs.sol";

/// @title BeaconProofVerifier — validator records and balances proven against EIP-4788 roots
/// @notice Path of every proof: EIP-4788 root for a timestamp = hash of the beacon block header
/// given field by field; the header's `state_root` → `state.validators[i]` (a whole record) or the
/// `state.balances` chunk of validator i. The header's slot picks the fork schedule's entry, which
/// says where the two lists sit in the state.
/// @dev Not upgradeable: the schedule is its only state, append-only. A fork that changes more than
/// the lists' generalized indices (e.g. progressive lists) needs a new verifier.
contract BeaconProofVerifier is IBeaconProofVerifier, AccessControl {
    // ---------------------------------------------------------------- constants

    /// @notice The role that appends fork schedule entries (governance).
    bytes32 public constant FORK_SCHEDULE_ROLE = keccak256("FORK_SCHEDULE_ROLE");
    /// @notice The EIP-4788 beacon roots contract.
    address public constant BEACON_ROOTS = 0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02;
    /// @notice `state.validators`' generalized index in Electra and Fulu (depth 6, field 11).
    uint64 public constant ELECTRA_VALIDATORS_GINDEX = 75;
    /// @notice `state.balances`' generalized index in Electra and Fulu (depth 6, field 12).
    uint64 public constant ELECTRA_BALANCES_GINDEX = 76;
    /// @notice log2(VALIDATOR_REGISTRY_LIMIT) = 40 since phase0.
    uint8 public constant VALIDATOR_REGISTRY_LIMIT_DEPTH = 40;
    /// @notice The largest generalized index of a list in the state an entry may give (exclusive).
    uint64 public constant MAX_STATE_GINDEX = 2 ** 32;

    // ---------------------------------------------------------------- storage

    /// @notice Unix time of slot 0, in seconds.
    uint64 public immutable genesisTimestamp;
    /// @notice Seconds per beacon slot (12 on mainnet and testnets; shorter on devnets).
    uint256 public immutable SECONDS_PER_SLOT;
    /// @dev Every entry, ascending by `fromSlot`.
    ForkLayout[] private _schedule;
    /// @dev A copy of the last entry: current proofs need one storage read.
    ForkLayout private _latest;

    // ---------------------------------------------------------------- construction

    /// @param admin Receives DEFAULT_ADMIN_ROLE and FORK_SCHEDULE_ROLE (governance).
    /// @param genesisTimestamp_ Unix time of the beacon chain's slot 0, in seconds.
    /// @param secondsPerSlot Seconds per beacon slot (12 on mainnet); zero reverts with
    /// `ZeroSecondsPerSlot`.
    /// @param electraFromSlot The first slot of the Electra layout (the schedule's first entry; may
    /// be in the past).
    constructor(address admin, uint64 genesisTimestamp_, uint256 secondsPerSlot, uint64 electraFromSlot) {
        if (secondsPerSlot == 0) revert ZeroSecondsPerSlot();
        genesisTimestamp = genesisTimestamp_;
        SECONDS_PER_SLOT = secondsPerSlot;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(FORK_SCHEDULE_ROLE, admin);
        _append(
            ForkLayout({
                fromSlot: electraFromSlot,
                validatorsGIndex: ELECTRA_VALIDATORS_GINDEX,
                balancesGIndex: ELECTRA_BALANCES_GINDEX,
                validatorsLimitDepth: VALIDATOR_REGISTRY_LIMIT_DEPTH
            })
        );
    }

    // ---------------------------------------------------------------- proofs

    /// @inheritdoc IBeaconProofVerifier
    function verifyValidator(
        uint256 blockTimestamp,
        BeaconBlockHeader calldata header,
        uint64 validatorIndex,
        Validator calldata validator,
        bytes calldata proof
    ) external view {
        _verifyValidator(blockTimestamp, header, validatorIndex, validator, proof);
    }

    /// @inheritdoc IBeaconProofVerifier
    function verifyBalance(
        uint256 blockTimestamp,
        BeaconBlockHeader calldata header,
        uint64 validatorIndex,
        bytes32 balancesChunk,
        bytes calldata proof
    ) external view returns (uint64 balanceGwei) {
        return _verifyBalance(blockTimestamp, header, validatorIndex, balancesChunk, proof);
    }

    // ---------------------------------------------------------------- schedule

    /// @inheritdoc IBeaconProofVerifier
    function addForkLayout(ForkLayout calldata layout) external onlyRole(FORK_SCHEDULE_ROLE) {
        uint64 lastFromSlot = _latest.fromSlot;
        if (layout.fromSlot <= lastFromSlot) revert ForkScheduleNotAscending(layout.fromSlot, lastFromSlot);
        uint64 slot = currentSlot();
        if (layout.fromSlot <= slot) revert ForkScheduleNotInFuture(layout.fromSlot, slot);
        _append(layout);
    }

    /// @inheritdoc IBeaconProofVerifier
    function forkLayoutForSlot(uint64 slot) external view returns (ForkLayout memory) {
        return _layoutForSlot(slot);
    }

    /// @inheritdoc IBeaconProofVerifier
    function forkSchedule() external view returns (ForkLayout[] memory) {
        return _schedule;
    }

    /// @inheritdoc IBeaconProofVerifier
    function currentSlot() public view returns (uint64) {
        if (block.timestamp <= genesisTimestamp) return 0;
        return uint64((block.timestamp - genesisTimestamp) / SECONDS_PER_SLOT);
    }

    // ---------------------------------------------------------------- internal

    /// @dev The checks of `verifyValidator`, callable without an external call (gas harness).
    function _verifyValidator(
        uint256 blockTimestamp,
        BeaconBlockHeader calldata header,
        uint64 validatorIndex,
        Validator calldata validator,
        bytes calldata proof
    ) internal view {
        ForkLayout storage layout = _layoutForSlot(header.slot);
        _checkHeader(blockTimestamp, header);
        (bytes32 stateRoot, uint64 count) = _listRoot(
            _validatorRoot(validator),
            validatorIndex,
            layout.validatorsGIndex,
            layout.validatorsLimitDepth,
            proof
        );
        if (validatorIndex >= count) revert BeaconValidatorIndexBeyondCount(validatorIndex, count);
        if (stateRoot != header.stateRoot) revert BeaconProofInvalid(stateRoot, header.stateRoot);
    }

    /// @dev The checks of `verifyBalance`, callable without an external call (gas harness).
    function _verifyBalance(
        uint256 blockTimestamp,
        BeaconBlockHeader calldata header,
        uint64 validatorIndex,
        bytes32 balancesChunk,
        bytes calldata proof
    ) internal view returns (uint64 balanceGwei) {
        ForkLayout storage layout = _layoutForSlot(header.slot);
        _checkHeader(blockTimestamp, header);
        // Four balances per chunk: the balance list's data tree is 2 levels shallower.
        (bytes32 stateRoot, uint64 count) = _listRoot(
            balancesChunk,
            validatorIndex >> 2,
            layout.balancesGIndex,
            layout.validatorsLimitDepth - 2,
            proof
        );
        if (validatorIndex >= count) revert BeaconValidatorIndexBeyondCount(validatorIndex, count);
        if (stateRoot != header.stateRoot) revert BeaconProofInvalid(stateRoot, header.stateRoot);
        return BeaconProofs.uint64At(balancesChunk, validatorIndex & 3);
    }

    /// @dev Reverts unless `header` hashes to the EIP-4788 root for `blockTimestamp`.
    function _checkHeader(uint256 blockTimestamp, BeaconBlockHeader calldata header) internal view {
        bytes32 beaconRoot = _beaconRoot(blockTimestamp);
        bytes32 headerRoot = _headerRoot(header);
        if (headerRoot != beaconRoot) revert BeaconHeaderMismatch(headerRoot, beaconRoot);
    }

    /// @dev The EIP-4788 root for `blockTimestamp`. The contract reverts for a timestamp it does
    /// not hold; no code at the address returns nothing; a zero root is never a block's.
    function _beaconRoot(uint256 blockTimestamp) internal view returns (bytes32 root) {
        bool found;
        assembly ("memory-safe") {
            mstore(0x00, blockTimestamp)
            found := staticcall(gas(), BEACON_ROOTS, 0x00, 0x20, 0x00, 0x20)
            found := and(found, eq(returndatasize(), 0x20)) // separately: Yul evaluates arguments right to left
            root := mload(0x00)
        }
        if (!found || root == bytes32(0)) revert BeaconRootNotFound(blockTimestamp);
    }

    /// @dev hash_tree_root(BeaconBlockHeader): five leaves padded to eight. The padding's left
    /// pair is zero_hashes[1], a constant: six hashes instead of seven. The two uint64 fields are
    /// read as ABI words and rejected, as Solidity's decoder would, if they have high bits set.
    function _headerRoot(BeaconBlockHeader calldata header) internal view returns (bytes32 root) {
        uint256 slot;
        uint256 proposerIndex;
        assembly ("memory-safe") {
            slot := calldataload(header)
            proposerIndex := calldataload(add(header, 0x20))
            if shr(64, or(slot, proposerIndex)) {
                revert(0, 0)
            }
        }
        // Lanes 2 and 3: slot, proposerIndex.
        uint256 chunks = BeaconProofs.swapLanes((slot << 64) | proposerIndex);
        bytes32 zeroHash1 = BeaconProofs.ZERO_HASH_1;
        bool ok;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, and(shl(128, chunks), shl(192, 0xffffffffffffffff)))
            mstore(add(ptr, 0x20), shl(192, chunks))
            calldatacopy(add(ptr, 0x40), add(header, 0x40), 0x60) // parentRoot, stateRoot, bodyRoot
            mstore(add(ptr, 0xa0), 0)
            ok := staticcall(gas(), 0x02, ptr, 0x40, ptr, 0x20)
            ok := and(ok, staticcall(gas(), 0x02, add(ptr, 0x40), 0x40, add(ptr, 0x20), 0x20))
            ok := and(ok, staticcall(gas(), 0x02, add(ptr, 0x80), 0x40, add(ptr, 0x40), 0x20))
            mstore(add(ptr, 0x60), zeroHash1) // hash of the two zero leaves
            ok := and(ok, staticcall(gas(), 0x02, ptr, 0x40, ptr, 0x20))
            ok := and(ok, staticcall(gas(), 0x02, add(ptr, 0x40), 0x40, add(ptr, 0x20), 0x20))
            ok := and(ok, staticcall(gas(), 0x02, ptr, 0x40, ptr, 0x20))
            root := mload(ptr)
        }
        if (!ok) revert Sha256Failed();
    }

    /// @dev hash_tree_root(Validator): eight leaves, the pubkey's being sha256(pubkey ‖ 16 zero
    /// bytes). The scalar fields are read as ABI words and rejected, as Solidity's decoder would, if
    /// a uint64 has high bits set or the bool is neither 0 nor 1.
    function _validatorRoot(Validator calldata validator) internal view returns (bytes32) {
        bytes calldata pubkey = validator.pubkey;
        if (pubkey.length != 48) revert BeaconPubkeyLengthInvalid(pubkey.length);
        uint256 effectiveBalance;
        uint256 slashed;
        uint256 eligibility;
        uint256 activation;
        uint256 exit;
        uint256 withdrawable;
        assembly ("memory-safe") {
            effectiveBalance := calldataload(add(validator, 0x40))
            slashed := calldataload(add(validator, 0x60))
            eligibility := calldataload(add(validator, 0x80))
            activation := calldataload(add(validator, 0xa0))
            exit := calldataload(add(validator, 0xc0))
            withdrawable := calldataload(add(validator, 0xe0))
            let epochs := or(or(eligibility, activation), or(exit, withdrawable))
            if or(gt(slashed, 1), shr(64, or(effectiveBalance, epochs))) {
                revert(0, 0)
            }
        }
        // Lanes 0–3: effective balance, eligibility, activation, exit; then withdrawable alone.
        uint256 chunks = BeaconProofs.swapLanes(
            (effectiveBalance << 192) | (eligibility << 128) | (activation << 64) | exit
        );
        bytes32 withdrawableChunk = BeaconProofs.toChunk(uint64(withdrawable));
        uint256 ptr;
        bool ok;
        assembly ("memory-safe") {
            ptr := mload(0x40)
            mstore(0x40, add(ptr, 0x100)) // allocated: Solidity code runs before merkleize8 hashes the words
            mstore(add(ptr, 0x20), 0)
            calldatacopy(ptr, pubkey.offset, 48)
            ok := staticcall(gas(), 0x02, ptr, 0x40, ptr, 0x20)
            mstore(add(ptr, 0x20), calldataload(add(validator, 0x20))) // withdrawal credentials
            let top := shl(192, 0xffffffffffffffff)
            mstore(add(ptr, 0x40), and(chunks, top))
            mstore(add(ptr, 0x60), shl(248, slashed))
            mstore(add(ptr, 0x80), and(shl(64, chunks), top))
            mstore(add(ptr, 0xa0), and(shl(128, chunks), top))
            mstore(add(ptr, 0xc0), shl(192, chunks))
            mstore(add(ptr, 0xe0), withdrawableChunk)
        }
        if (!ok) revert Sha256Failed();
        return BeaconProofs.merkleize8(ptr);
    }

    /// @dev The state root that `leaf` at `leafIndex` of a list at `listGIndex` hashes to with
    /// `proof` (`count ‖ d list siblings ‖ state siblings`), and the count the proof carries.
    function _listRoot(
        bytes32 leaf,
        uint256 leafIndex,
        uint256 listGIndex,
        uint256 limitDepth,
        bytes calldata proof
    ) internal view returns (bytes32 stateRoot, uint64 count) {
        uint256 stateDepth = _log2(listGIndex);
        uint256 minLength;
        uint256 maxLength;
        uint256 depth;
        // stateDepth < 32 and limitDepth ≤ 48 (schedule bounds): nothing overflows.
        unchecked {
            minLength = 8 + 32 * stateDepth;
            maxLength = minLength + 32 * limitDepth;
            if (proof.length < minLength || proof.length > maxLength || (proof.length - 8) % 32 != 0) {
                revert BeaconProofLengthInvalid(proof.length, minLength, maxLength);
            }
            depth = (proof.length - minLength) >> 5;
        }
        if (leafIndex >> depth != 0) revert BeaconIndexOutOfRangeForDepth(leafIndex, depth);
        uint256 siblings;
        assembly ("memory-safe") {
            count := shr(192, calldataload(proof.offset))
            siblings := add(proof.offset, 8)
        }
        bytes32 node = BeaconProofs.walk(leaf, leafIndex, siblings, depth);
        node = BeaconProofs.listRoot(node, depth, limitDepth, BeaconProofs.toChunk(count));
        unchecked {
            stateRoot = BeaconProofs.walk(node, listGIndex, siblings + 32 * depth, stateDepth);
        }
    }

    /// @dev ⌊log2(x)⌋ for 0 < x < 2^32 (a generalized index within the schedule's bounds).
    function _log2(uint256 x) internal pure returns (uint256 r) {
        assembly ("memory-safe") {
            r := shl(4, gt(x, 0xffff))
            r := or(r, shl(3, gt(shr(r, x), 0xff)))
            r := or(r, shl(2, gt(shr(r, x), 0xf)))
            r := or(r, shl(1, gt(shr(r, x), 0x3)))
            r := or(r, gt(shr(r, x), 0x1))
        }
    }

    /// @dev The entry with the greatest `fromSlot` ≤ `slot`.
    function _layoutForSlot(uint64 slot) internal view returns (ForkLayout storage layout) {
        layout = _latest;
        if (layout.fromSlot <= slot) return layout;
        for (uint256 i = _schedule.length - 1; i > 0;) {
            --i;
            layout = _schedule[i];
            if (layout.fromSlot <= slot) return layout;
        }
        revert BeaconNoForkLayoutForSlot(slot);
    }

    /// @dev Appends `layout` after checking its bounds.
    function _append(ForkLayout memory layout) private {
        if (
            layout.validatorsGIndex < 2 ||
            layout.validatorsGIndex >= MAX_STATE_GINDEX ||
            layout.balancesGIndex < 2 ||
            layout.balancesGIndex >= MAX_STATE_GINDEX ||
            layout.validatorsLimitDepth < 2 ||
            layout.validatorsLimitDepth > BeaconProofs.MAX_LIMIT_DEPTH
        ) revert ForkLayoutInvalid(layout.validatorsGIndex, layout.balancesGIndex, layout.validatorsLimitDepth);
        _schedule.push(layout);
        _latest = layout;
        emit ForkLayoutAdded(
            _schedule.length - 1,
            layout.fromSlot,
            layout.validatorsGIndex,
            layout.balancesGIndex,
            layout.validatorsLimitDepth
        );
    }
}
