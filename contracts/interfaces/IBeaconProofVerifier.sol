// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Beacon-state proofs against the EIP-4788 beacon roots
/// @notice Verifies, against the parent beacon block root that the EIP-4788 contract keeps for an
/// execution-layer timestamp, a beacon block header, then from its `state_root` a whole validator
/// record (`state.validators[i]`) or the 32-byte chunk of `state.balances` that holds validator i's
/// balance. Where the validator list and the balance list sit in the state (their generalized
/// indices) is data: a fork schedule that governance extends ahead of a fork.
/// @dev Trust assumptions:
///   1. The EIP-4788 contract returns only roots the consensus layer wrote (a system call per block).
///   2. The fork schedule describes mainnet: an entry's generalized indices are right from its
///      `fromSlot` until the next entry's. Entries are append-only and take effect in the future.
///   3. SHA-256 is collision resistant (the precompile at address 2).
/// A proof is a packed `bytes` string: `count ‖ list siblings ‖ state siblings`, where `count` is
/// the list's length as 8 big-endian bytes, the list siblings are the `d` 32-byte siblings from
/// the leaf up through the list's data tree (`d` ≤ the list's limit depth; the levels above `d`
/// must be empty subtrees, whose roots the verifier knows), and the state siblings are the
/// siblings from the list's root up to `state_root` (the depth of the list's generalized index).
/// The verifier is a view: it checks what was true at a slot and keeps no record. A consumer that
/// acts on a proof must itself refuse to act twice on the same fact (replay).
interface IBeaconProofVerifier {
    /// @notice A beacon block header (phase0 `BeaconBlockHeader`), the first step of every proof.
    /// @param slot The block's slot; it picks the fork schedule's entry.
    /// @param proposerIndex The proposer's validator index.
    /// @param parentRoot The parent block's root.
    /// @param stateRoot The root of the post-state, the anchor of the state proofs.
    /// @param bodyRoot The block body's root.
    struct BeaconBlockHeader {
        uint64 slot;
        uint64 proposerIndex;
        bytes32 parentRoot;
        bytes32 stateRoot;
        bytes32 bodyRoot;
    }

    /// @notice A validator record (phase0 `Validator`, unchanged through Fulu), field by field.
    /// @param pubkey The 48-byte BLS public key.
    /// @param withdrawalCredentials The 32-byte withdrawal credentials.
    /// @param effectiveBalanceGwei The effective balance, in gwei.
    /// @param slashed Whether the validator was slashed.
    /// @param activationEligibilityEpoch The epoch it became eligible for activation.
    /// @param activationEpoch The epoch it was activated.
    /// @param exitEpoch The epoch it exits (2^64 − 1 if none).
    /// @param withdrawableEpoch The epoch it becomes withdrawable (2^64 − 1 if none).
    struct Validator {
        bytes pubkey;
        bytes32 withdrawalCredentials;
        uint64 effectiveBalanceGwei;
        bool slashed;
        uint64 activationEligibilityEpoch;
        uint64 activationEpoch;
        uint64 exitEpoch;
        uint64 withdrawableEpoch;
    }

    /// @notice Where the proofs' leaves sit in the beacon state from a slot on.
    /// @param fromSlot The first slot the entry applies to.
    /// @param validatorsGIndex The generalized index of `state.validators` in the BeaconState
    /// container (75 in Electra and Fulu: 37 or 38 fields, depth 6, field 11).
    /// @param balancesGIndex The generalized index of `state.balances` (76 in Electra and Fulu).
    /// @param validatorsLimitDepth log2 of VALIDATOR_REGISTRY_LIMIT (40): the depth of the
    /// validator list's data tree; the balance list's is 2 less (four uint64 balances per chunk).
    struct ForkLayout {
        uint64 fromSlot;
        uint64 validatorsGIndex;
        uint64 balancesGIndex;
        uint8 validatorsLimitDepth;
    }

    /// @notice The EIP-4788 contract has no root for `blockTimestamp`: never written, outside its
    /// ring buffer of 8,191 timestamps (overwritten), zero, or no contract at the address.
    /// @param blockTimestamp The execution-layer timestamp asked for, in seconds.
    error BeaconRootNotFound(uint256 blockTimestamp);
    /// @notice The header does not hash to the beacon root stored for the timestamp.
    /// @param headerRoot The header's hash tree root.
    /// @param beaconRoot The root the EIP-4788 contract returned.
    error BeaconHeaderMismatch(bytes32 headerRoot, bytes32 beaconRoot);
    /// @notice The proof does not lead from the leaf to the header's `state_root`.
    /// @param computedStateRoot The root the leaf and the proof hash to.
    /// @param stateRoot The header's state root.
    error BeaconProofInvalid(bytes32 computedStateRoot, bytes32 stateRoot);
    /// @notice The proof's length does not fit the fork's layout: it must be 8 + 32 × k bytes with
    /// `minLength` ≤ length ≤ `maxLength`.
    /// @param proofLength The proof's length, in bytes.
    /// @param minLength The shortest proof the layout accepts, in bytes.
    /// @param maxLength The longest proof the layout accepts, in bytes.
    error BeaconProofLengthInvalid(uint256 proofLength, uint256 minLength, uint256 maxLength);
    /// @notice The leaf's index in the list's data tree does not fit the proof's depth.
    /// @param leafIndex The leaf's index (validator index, or balance chunk index).
    /// @param proofDepth The number of list siblings in the proof.
    error BeaconIndexOutOfRangeForDepth(uint256 leafIndex, uint256 proofDepth);
    /// @notice The validator index is not below the list length the proof carries.
    /// @param validatorIndex The validator index.
    /// @param validatorCount The list's length in the proof.
    error BeaconValidatorIndexBeyondCount(uint256 validatorIndex, uint256 validatorCount);
    /// @notice The public key is not 48 bytes long.
    /// @param pubkeyLength The length given, in bytes.
    error BeaconPubkeyLengthInvalid(uint256 pubkeyLength);
    /// @notice No fork schedule entry applies to `slot` (it is before the first entry).
    /// @param slot The header's slot.
    error BeaconNoForkLayoutForSlot(uint64 slot);
    /// @notice A new schedule entry must start after the last one.
    /// @param fromSlot The new entry's first slot.
    /// @param lastFromSlot The last entry's first slot.
    error ForkScheduleNotAscending(uint64 fromSlot, uint64 lastFromSlot);
    /// @notice A new schedule entry must start after the current slot.
    /// @param fromSlot The new entry's first slot.
    /// @param currentSlot The current beacon slot.
    error ForkScheduleNotInFuture(uint64 fromSlot, uint64 currentSlot);
    /// @notice A schedule entry's indices are out of bounds: each generalized index in
    /// [2, 2^32), the limit depth in [2, 48].
    /// @param validatorsGIndex The validator list's generalized index given.
    /// @param balancesGIndex The balance list's generalized index given.
    /// @param validatorsLimitDepth The validator list's limit depth given.
    error ForkLayoutInvalid(uint64 validatorsGIndex, uint64 balancesGIndex, uint8 validatorsLimitDepth);
    /// @notice The SHA-256 precompile failed (out of gas).
    error Sha256Failed();
    /// @notice The constructor was given zero seconds per slot.
    error ZeroSecondsPerSlot();

    /// @notice A fork schedule entry was appended.
    /// @param index The entry's position in the schedule.
    /// @param fromSlot The first slot it applies to.
    /// @param validatorsGIndex The validator list's generalized index in the state.
    /// @param balancesGIndex The balance list's generalized index in the state.
    /// @param validatorsLimitDepth The validator list's limit depth.
    event ForkLayoutAdded(
        uint256 indexed index,
        uint64 fromSlot,
        uint64 validatorsGIndex,
        uint64 balancesGIndex,
        uint8 validatorsLimitDepth
    );

    /// @notice Checks that `validator` is `state.validators[validatorIndex]` in the state of the
    /// beacon block whose root EIP-4788 holds for `blockTimestamp`; reverts with a named error if not.
    /// @param blockTimestamp An execution-layer block timestamp, in seconds: its parent beacon block
    /// root is the anchor.
    /// @param header The beacon block header with that root.
    /// @param validatorIndex The validator's index in `state.validators`.
    /// @param validator The validator record, every field.
    /// @param proof `count ‖ list siblings ‖ state siblings` (see the interface's notes).
    function verifyValidator(
        uint256 blockTimestamp,
        BeaconBlockHeader calldata header,
        uint64 validatorIndex,
        Validator calldata validator,
        bytes calldata proof
    ) external view;

    /// @notice Checks that `balancesChunk` is the chunk of `state.balances` that holds validator
    /// `validatorIndex`'s balance (chunk `validatorIndex / 4`) and returns that balance; reverts
    /// with a named error if the proof fails.
    /// @param blockTimestamp An execution-layer block timestamp, in seconds.
    /// @param header The beacon block header with the parent beacon block root of that block.
    /// @param validatorIndex The validator's index.
    /// @param balancesChunk The 32-byte chunk: four little-endian uint64 balances.
    /// @param proof `count ‖ list siblings ‖ state siblings` for the chunk; `count` is the number of
    /// balances (validators).
    /// @return balanceGwei The validator's balance, in gwei.
    function verifyBalance(
        uint256 blockTimestamp,
        BeaconBlockHeader calldata header,
        uint64 validatorIndex,
        bytes32 balancesChunk,
        bytes calldata proof
    ) external view returns (uint64 balanceGwei);

    /// @notice Appends a fork schedule entry; it must start after the last entry and after the
    /// current slot. FORK_SCHEDULE_ROLE only.
    /// @param layout The entry.
    function addForkLayout(ForkLayout calldata layout) external;

    /// @notice The schedule entry that applies to `slot`.
    /// @param slot A beacon slot.
    /// @return The entry with the greatest `fromSlot` ≤ `slot`; reverts if there is none.
    function forkLayoutForSlot(uint64 slot) external view returns (ForkLayout memory);

    /// @notice The fork schedule, oldest entry first.
    /// @return The entries.
    function forkSchedule() external view returns (ForkLayout[] memory);

    /// @notice The current beacon slot, from the genesis time and 12-second slots.
    /// @return The slot.
    function currentSlot() external view returns (uint64);
}
