// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBeaconProofVerifier} from "./IBeaconProofVerifier.sol";

/// @title Beacon facts proven by anyone, and what the protocol does about them
/// @notice Each function takes a proof of one validator record against an EIP-4788 beacon root (see
/// {IBeaconProofVerifier}) and the registry key `(operatorId, keyIndex)` it is about; the record's
/// pubkey must be that key's. All are permissionless but `forceExit`:
///   - `proveSlashed`: a protocol validator is slashed → bunker mode at once (instant redemption off,
///     finalization held until a report whose reference slot is at or after the proof's slot), and
///     its effective balance becomes credit the committee's reports may draw on to drop the CL
///     balance beyond the one-off limit.
///   - `proveExited`: a protocol validator has exited → the operator's exited count is at once at least
///     its number of validators proven exited (bond freed, fee shares stop); the committee's counts
///     can never take it below that. (The registry keeps one count: a proof of an exit the committee
///     already counted adds nothing until the proofs catch up with the committee.)
///   - `proveLateExit`: a validator named in an exit request has not started to exit by the deadline
///     → the withdrawal vault sends an EIP-7002 full-exit request (fee paid by the caller, refunded
///     from the operator's bond), the bond pays the penalty, and the operator gets no new deposits
///     until none of its exits is late.
///   - `proveForeignCredentials`: a registry key belongs to a validator whose withdrawal credentials
///     are not the pool's → the operator's undeposited keys are frozen, and if the key was deposited
///     the pool writes the lost 32 ETH off through the tranches (bond, then insurance, then holders).
/// Each fact is acted on once per key (replay reverts).
interface IBeaconFacts {
    /// @notice What a proof is about: a registry key and the validator record proven for it.
    /// @param operatorId The key's operator.
    /// @param keyIndex The key's index among the operator's keys.
    /// @param blockTimestamp The execution-layer timestamp whose EIP-4788 root anchors the proof.
    /// @param header The beacon block header with that root.
    /// @param validatorIndex The validator's index in `state.validators`.
    /// @param validator The validator record.
    /// @param proof `count ‖ list siblings ‖ state siblings` ({IBeaconProofVerifier}).
    struct ValidatorFact {
        uint256 operatorId;
        uint256 keyIndex;
        uint256 blockTimestamp;
        IBeaconProofVerifier.BeaconBlockHeader header;
        uint64 validatorIndex;
        IBeaconProofVerifier.Validator validator;
        bytes proof;
    }

    /// @notice Where a key sits in the exit requests of one report.
    /// @param requestsRoot The Merkle root of the report's exit requests (`AccountingOracle`).
    /// @param siblings The Merkle proof of the leaf `keccak256(abi.encode(operatorId, keyIndex))`.
    struct ExitRequestProof {
        bytes32 requestsRoot;
        bytes32[] siblings;
    }

    /// @notice The governance settings for late exits and direct forced exits.
    /// @param lateExitDeadlineSeconds Seconds after an exit request is applied within which the
    /// validator must have started to exit.
    /// @param lateExitPenaltyWei What a late exit costs the operator's bond, in wei (to the insurance fund).
    /// @param maxForcedExitsPerDay Direct forced exits governance may make per UTC day.
    struct ExitSettings {
        uint64 lateExitDeadlineSeconds;
        uint96 lateExitPenaltyWei;
        uint16 maxForcedExitsPerDay;
    }

    /// @notice The record's public key is not the registry key's.
    /// @param operatorId The key's operator.
    /// @param keyIndex The key's index.
    error PubkeyMismatch(uint256 operatorId, uint256 keyIndex);
    /// @notice The key has not been deposited by the pool.
    /// @param operatorId The key's operator.
    /// @param keyIndex The key's index.
    error KeyNotDeposited(uint256 operatorId, uint256 keyIndex);
    /// @notice The validator's withdrawal credentials are not the pool's (or, for a foreign-credentials
    /// proof, they are).
    /// @param withdrawalCredentials The record's credentials.
    error WrongWithdrawalCredentials(bytes32 withdrawalCredentials);
    /// @notice This fact was already proven for this key.
    /// @param operatorId The key's operator.
    /// @param keyIndex The key's index.
    /// @param fact The fact's bit (1 slashed, 2 exited, 4 late, 8 foreign credentials, 16 forced exit).
    error FactAlreadyProven(uint256 operatorId, uint256 keyIndex, uint256 fact);
    /// @notice The record is not slashed, or its slashing is past its penalty window (withdrawable).
    /// @param slashed The record's `slashed`.
    /// @param withdrawableEpoch The record's withdrawable epoch.
    /// @param epoch The header's epoch.
    error NotSlashed(bool slashed, uint64 withdrawableEpoch, uint64 epoch);
    /// @notice The validator had not exited at the header's epoch.
    /// @param exitEpoch The record's exit epoch.
    /// @param epoch The header's epoch.
    error NotExited(uint64 exitEpoch, uint64 epoch);
    /// @notice The validator started to exit, or the header is not past the deadline.
    /// @param exitEpoch The record's exit epoch.
    /// @param headerTimestamp The header slot's time, in seconds.
    /// @param deadline The exit deadline, in seconds.
    error ExitNotLate(uint64 exitEpoch, uint256 headerTimestamp, uint256 deadline);
    /// @notice No report recorded exit requests with this root.
    /// @param requestsRoot The root given.
    error UnknownExitRequests(bytes32 requestsRoot);
    /// @notice The key is not among the report's exit requests.
    /// @param operatorId The key's operator.
    /// @param keyIndex The key's index.
    error KeyNotRequestedToExit(uint256 operatorId, uint256 keyIndex);
    /// @notice `msg.value` does not cover the EIP-7002 fee.
    /// @param value The ETH sent, in wei.
    /// @param fee The fee the predeploy asks, in wei.
    error ExitFeeNotCovered(uint256 value, uint256 fee);
    /// @notice The EIP-7002 predeploy could not tell its fee (absent, or its queue is not readable).
    error ExitFeeUnavailable();
    /// @notice Returning the ETH sent above the fee failed.
    /// @param recipient The caller.
    /// @param amount The excess, in wei.
    error RefundFailed(address recipient, uint256 amount);
    /// @notice Governance's forced exits for today are used up.
    /// @param maxPerDay The daily limit.
    error ForcedExitLimitReached(uint256 maxPerDay);
    /// @notice Only the accounting oracle may draw slashing credit.
    /// @param caller The caller.
    error CallerNotOracle(address caller);
    /// @notice An exit setting is out of bounds.
    /// @param name The setting.
    /// @param value The value given.
    /// @param max The largest value allowed.
    error ExitSettingOutOfRange(string name, uint256 value, uint256 max);

    /// @notice A protocol validator was proven slashed; bunker mode started.
    /// @param operatorId The key's operator.
    /// @param keyIndex The key's index.
    /// @param validatorIndex The validator's index.
    /// @param slot The header's slot.
    /// @param creditGwei The slashing credit after this proof, in gwei.
    event SlashingProven(
        uint256 indexed operatorId,
        uint256 keyIndex,
        uint64 validatorIndex,
        uint64 slot,
        uint256 creditGwei
    );
    /// @notice A protocol validator was proven exited.
    /// @param operatorId The key's operator.
    /// @param keyIndex The key's index.
    /// @param validatorIndex The validator's index.
    /// @param provenExitedKeys The operator's proven exited validators after this proof.
    event ExitProven(uint256 indexed operatorId, uint256 keyIndex, uint64 validatorIndex, uint256 provenExitedKeys);
    /// @notice A late exit was proven and an EIP-7002 exit requested.
    /// @param operatorId The key's operator.
    /// @param keyIndex The key's index.
    /// @param validatorIndex The validator's index.
    /// @param caller Who proved it (refunded the fee).
    /// @param feeWei The EIP-7002 fee paid, in wei.
    /// @param refundShares The bond shares sent to the caller.
    /// @param penaltyShares The bond shares sent to the insurance fund.
    event LateExitProven(
        uint256 indexed operatorId,
        uint256 keyIndex,
        uint64 validatorIndex,
        address indexed caller,
        uint256 feeWei,
        uint256 refundShares,
        uint256 penaltyShares
    );
    /// @notice Governance forced a validator out.
    /// @param operatorId The key's operator.
    /// @param keyIndex The key's index.
    /// @param feeWei The EIP-7002 fee paid, in wei.
    event ForcedExit(uint256 indexed operatorId, uint256 keyIndex, uint256 feeWei);
    /// @notice A registry key was proven to belong to a validator with foreign withdrawal credentials.
    /// @param operatorId The key's operator.
    /// @param keyIndex The key's index.
    /// @param withdrawalCredentials The validator's credentials.
    /// @param writtenOffWei The deposit written off: 32 ETH if the pool deposited the key and no report
    /// had charged it as a key loss (as oracles did before these proofs), else 0.
    /// @param bondSharesBurned The operator's bond shares burned to cover it.
    /// @param insuranceSharesBurned The insurance fund's shares burned to cover the rest.
    event ForeignCredentialsProven(
        uint256 indexed operatorId,
        uint256 keyIndex,
        bytes32 withdrawalCredentials,
        uint256 writtenOffWei,
        uint256 bondSharesBurned,
        uint256 insuranceSharesBurned
    );
    /// @notice A report drew on the slashing credit.
    /// @param refSlot The report's reference slot.
    /// @param usedGwei The credit used, in gwei.
    /// @param leftGwei The credit left, in gwei.
    event SlashingCreditUsed(uint256 refSlot, uint256 usedGwei, uint256 leftGwei);
    /// @notice The exit settings changed.
    /// @param settings The new settings.
    event ExitSettingsSet(ExitSettings settings);

    /// @notice Proves a protocol validator slashed (its slashing still in its penalty window): bunker
    /// mode starts and its effective balance is added to the slashing credit.
    /// @param fact The key and the proof of its validator record.
    function proveSlashed(ValidatorFact calldata fact) external;

    /// @notice Proves a protocol validator exited (exit epoch at or before the header's epoch).
    /// @param fact The key and the proof of its validator record.
    function proveExited(ValidatorFact calldata fact) external;

    /// @notice Proves that a validator asked to exit by a report had not started to exit by the
    /// deadline, and forces it out through EIP-7002. `msg.value` must cover the predeploy's fee; the
    /// excess is returned, and the fee is refunded in tpETH from the operator's bond.
    /// @param fact The key and the proof of its validator record (at a slot past the deadline).
    /// @param request Where the key sits in the report's exit requests.
    function proveLateExit(ValidatorFact calldata fact, ExitRequestProof calldata request) external payable;

    /// @notice Proves that a registry key belongs to a validator whose withdrawal credentials are not
    /// the pool's.
    /// @param fact The key and the proof of its validator record.
    function proveForeignCredentials(ValidatorFact calldata fact) external;

    /// @notice Governance forces a deposited validator out through EIP-7002 (emergencies; at most
    /// `maxForcedExitsPerDay` per UTC day). `msg.value` must cover the fee; the excess is returned.
    /// FORCE_EXIT_ROLE only.
    /// @param operatorId The key's operator.
    /// @param keyIndex The key's index.
    function forceExit(uint256 operatorId, uint256 keyIndex) external payable;

    /// @notice Draws `amountGwei` of slashing credit for a report with reference slot `refSlot`, if
    /// that much is available to it; the accounting oracle only.
    /// @param refSlot The report's reference slot.
    /// @param amountGwei The CL balance drop beyond the one-off limit, in gwei.
    /// @return used Whether the credit covered it (and was drawn).
    /// @return availableGwei The credit available to the report before drawing, in gwei.
    function useSlashingCredit(uint256 refSlot, uint256 amountGwei) external returns (bool used, uint256 availableGwei);

    /// @notice Sets the exit settings. EXIT_SETTINGS_ROLE only.
    /// @param settings The new settings.
    function setExitSettings(ExitSettings calldata settings) external;

    /// @notice The slashing credit a report with reference slot `refSlot` may draw on, in gwei.
    /// @param refSlot A reference slot.
    /// @return The credit, in gwei (0 once expired).
    function slashingCreditGwei(uint256 refSlot) external view returns (uint256);

    /// @notice The time of the latest proven slashing's header slot: a report whose reference slot
    /// is earlier cannot end bunker mode nor finalize.
    /// @return The time, in seconds (0 if none was proven).
    function slashingHoldFromTimestamp() external view returns (uint256);

    /// @notice The facts proven for a key (bits: 1 slashed, 2 exited, 4 late, 8 foreign credentials,
    /// 16 forced exit).
    /// @param operatorId The key's operator.
    /// @param keyIndex The key's index.
    /// @return The bits.
    function keyFacts(uint256 operatorId, uint256 keyIndex) external view returns (uint256);

    /// @notice An operator's proven exits and its exits proven late and not yet proven exited.
    /// @param operatorId The operator.
    /// @return provenExitedKeys Validators proven exited.
    /// @return lateExits Late exits still open (no new deposits while non-zero).
    function operatorFacts(uint256 operatorId) external view returns (uint256 provenExitedKeys, uint256 lateExits);

    /// @notice The exit settings.
    /// @return The settings.
    function exitSettings() external view returns (ExitSettings memory);

    /// @notice The fee the EIP-7002 predeploy asks for one request now, in wei.
    /// @return The fee.
    function exitRequestFee() external view returns (uint256);
}
