// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IBeaconFacts} from "../interfaces/IBeaconFacts.sol";
import {IStakingPool} from "../interfaces/IStakingPool.sol";
import {INodeOperatorRegistry} from "../interfaces/INodeOperatorRegistry.sol";
import {IAccountingOracle} from "../interfaces/IAccountingOracle.sol";
import {IWithdrawalVault} from "../interfaces/IWithdrawalVault.sol";
import {KeyFacts} from "../lib/KeyFacts.sol";
import {BeaconProofVerifier} from "./BeaconProofVerifier.sol";

/// @title BeaconFacts — beacon-chain facts proven by anyone, acted on at once
/// @notice See {IBeaconFacts}. The proofs are {BeaconProofVerifier}'s (inherited: no external call);
/// this contract matches the proven record with the registry's key, refuses a fact it already acted
/// on, and tells the pool, the registry, the oracle and the withdrawal vault what changed.
/// @dev Not upgradeable, like the verifier it extends: its state is the facts proven (once per key),
/// the slashing credit and the exit settings. The pool names it as an immutable peer. Nothing here
/// moves the share rate: a penalty goes to the insurance fund, a refund to the caller, both as
/// shares; only a foreign-credentials write-off burns shares, priced so that bond and insurance
/// cover it at the current rate.
contract BeaconFacts is IBeaconFacts, BeaconProofVerifier {
    // ──────────────────────────────── Constants ────────────────────────────────

    /// @notice Sets the exit settings (governance).
    bytes32 public constant EXIT_SETTINGS_ROLE = keccak256("EXIT_SETTINGS_ROLE");
    /// @notice Forces exits directly, rate-limited (governance, for emergencies).
    bytes32 public constant FORCE_EXIT_ROLE = keccak256("FORCE_EXIT_ROLE");
    /// @notice The EIP-7002 withdrawal request predeploy.
    address public constant WITHDRAWAL_REQUEST_PREDEPLOY = 0x00000961Ef480Eb55e80D19ad83579A64c007002;
    /// @notice A validator's exit epoch while it has not started to exit.
    uint64 public constant FAR_FUTURE_EPOCH = type(uint64).max;
    /// @notice Slots per epoch.
    uint64 public constant SLOTS_PER_EPOCH = 32;
    /// @notice Epochs a validator must be active before the consensus layer processes its exit.
    uint64 public constant SHARD_COMMITTEE_PERIOD = 256;
    /// @notice How long a proven slashing's credit lasts, in slots: EPOCHS_PER_SLASHINGS_VECTOR
    /// (8,192 epochs, ~36 days), the span over which a slashing's penalties land.
    uint64 public constant SLASHING_CREDIT_SLOTS = 8_192 * 32;
    /// @notice Hard cap on the late-exit deadline (30 days).
    uint256 public constant MAX_LATE_EXIT_DEADLINE_SECONDS = 30 days;
    /// @notice Hard cap on the late-exit penalty (the whole bond of a validator).
    uint256 public constant MAX_LATE_EXIT_PENALTY_WEI = 32 ether;
    /// @notice Hard cap on governance's forced exits per day.
    uint256 public constant MAX_FORCED_EXITS_PER_DAY_CAP = 1_000;

    uint256 internal constant DEPOSIT_SIZE = 32 ether;

    // ──────────────────────────────── Storage ────────────────────────────────

    /// @dev One word: the slashing credit and the hold it puts on bunker mode's end. Written at
    /// construction so a proof updates a live word.
    struct Slashing {
        uint64 creditGwei; // proven effective balances not yet drawn by reports
        uint64 creditUntilSlot; // reports with a later reference slot cannot draw it
        uint64 lastProvenSlot; // reports with an earlier reference slot cannot end bunker mode
        uint64 live; // 1: keeps the word non-zero
    }

    /// @dev One word: the exit settings and today's forced exits.
    struct Exits {
        ExitSettings settings;
        uint32 forcedExitDay; // block.timestamp / 1 days of the last forced exit
        uint16 forcedExitsToday;
    }

    Slashing private _slashing;
    Exits private _exits;

    // ──────────────────────────────── Immutables ────────────────────────────────

    /// @notice The staking pool.
    IStakingPool public immutable POOL;
    /// @notice The node operator registry.
    INodeOperatorRegistry public immutable REGISTRY;
    /// @notice The withdrawal vault: the validators' withdrawal address, which sends EIP-7002 requests.
    IWithdrawalVault public immutable WITHDRAWAL_VAULT;
    /// @notice The insurance fund (receives late-exit penalties; covers write-offs after bonds).
    address public immutable INSURANCE_FUND;
    /// @notice The pool's withdrawal credentials: 0x01 ‖ 11 zero bytes ‖ the withdrawal vault.
    bytes32 public immutable WITHDRAWAL_CREDENTIALS;

    // ──────────────────────────────── Construction ────────────────────────────────

    /// @notice Peers of {BeaconFacts}.
    /// @param pool The staking pool proxy.
    /// @param registry The registry proxy.
    /// @param withdrawalVault The withdrawal vault proxy.
    /// @param insuranceFund The insurance fund.
    struct Peers {
        address pool;
        address registry;
        address withdrawalVault;
        address insuranceFund;
    }

    /// @param admin Governance: every role.
    /// @param genesisTimestamp_ Unix time of the beacon chain's slot 0.
    /// @param secondsPerSlot Seconds per beacon slot (12 on mainnet; shorter on devnets); not zero.
    /// @param electraFromSlot The first slot of the Electra layout.
    /// @param peers The contracts it works with.
    /// @param settings The initial exit settings.
    constructor(
        address admin,
        uint64 genesisTimestamp_,
        uint256 secondsPerSlot,
        uint64 electraFromSlot,
        Peers memory peers,
        ExitSettings memory settings
    ) BeaconProofVerifier(admin, genesisTimestamp_, secondsPerSlot, electraFromSlot) {
        POOL = IStakingPool(peers.pool);
        REGISTRY = INodeOperatorRegistry(peers.registry);
        WITHDRAWAL_VAULT = IWithdrawalVault(peers.withdrawalVault);
        INSURANCE_FUND = peers.insuranceFund;
        WITHDRAWAL_CREDENTIALS = bytes32((uint256(1) << 248) | uint256(uint160(peers.withdrawalVault)));
        _grantRole(EXIT_SETTINGS_ROLE, admin);
        _grantRole(FORCE_EXIT_ROLE, admin);
        _slashing.live = 1;
        _setExitSettings(settings);
    }

    // ──────────────────────────────── Proofs ────────────────────────────────

    /// @inheritdoc IBeaconFacts
    function proveSlashed(ValidatorFact calldata fact) external {
        _verifyOurs(fact, KeyFacts.SLASHED);
        uint64 epoch = fact.header.slot / SLOTS_PER_EPOCH;
        // A slashed validator is withdrawable at least EPOCHS_PER_SLASHINGS_VECTOR after its slashing;
        // once withdrawable its penalties have all landed and reports have accounted for them.
        if (!fact.validator.slashed || fact.validator.withdrawableEpoch <= epoch) {
            revert NotSlashed(fact.validator.slashed, fact.validator.withdrawableEpoch, epoch);
        }
        Slashing memory s = _slashing;
        uint64 slot = fact.header.slot;
        if (s.creditUntilSlot < slot) s.creditGwei = 0; // expired credit is not carried over
        s.creditGwei += fact.validator.effectiveBalanceGwei; // ≤ 2,048 ETH each: no overflow in practice
        s.creditUntilSlot = uint64(Math.max(s.creditUntilSlot, uint256(slot) + SLASHING_CREDIT_SLOTS));
        if (slot > s.lastProvenSlot) s.lastProvenSlot = slot;
        _slashing = s;
        emit SlashingProven(fact.operatorId, fact.keyIndex, fact.validatorIndex, slot, s.creditGwei);
        POOL.recordProvenFact(true, 0, 0);
    }

    /// @inheritdoc IBeaconFacts
    function proveExited(ValidatorFact calldata fact) external {
        // The registry counts the exit, raises the exited count to the proven one if it is behind, and
        // closes the key's late exit (releasing the deposits when none is left).
        (, , uint256 provenExitedKeys) = _verifyOurs(fact, KeyFacts.EXITED);
        uint64 epoch = fact.header.slot / SLOTS_PER_EPOCH;
        if (fact.validator.exitEpoch > epoch) revert NotExited(fact.validator.exitEpoch, epoch);
        emit ExitProven(fact.operatorId, fact.keyIndex, fact.validatorIndex, provenExitedKeys);
    }

    /// @inheritdoc IBeaconFacts
    function proveLateExit(ValidatorFact calldata fact, ExitRequestProof calldata request) external payable {
        // The registry counts the late exit, which holds the operator's deposits until it is proven exited.
        (, uint256 priorFacts, ) = _verifyOurs(fact, KeyFacts.LATE);
        // An exit already proven is never late, whatever an older root (still in 4788's buffer) showed.
        if (priorFacts & KeyFacts.EXITED != 0) {
            revert FactAlreadyProven(fact.operatorId, fact.keyIndex, KeyFacts.EXITED);
        }
        uint256 appliedAt = IAccountingOracle(POOL.ORACLE()).exitRequestsAppliedAt(request.requestsRoot);
        if (appliedAt == 0) revert UnknownExitRequests(request.requestsRoot);
        bytes32 leaf = keccak256(abi.encode(fact.operatorId, fact.keyIndex));
        if (!MerkleProof.verifyCalldata(request.siblings, request.requestsRoot, leaf)) {
            revert KeyNotRequestedToExit(fact.operatorId, fact.keyIndex);
        }
        ExitSettings memory settings = _exits.settings;
        // The consensus layer ignores an exit before SHARD_COMMITTEE_PERIOD after activation: the
        // deadline runs from the request or from the first epoch the validator could exit, if later
        // (never, while it is not active).
        uint256 exitableFrom =
            fact.validator.activationEpoch >= FAR_FUTURE_EPOCH - SHARD_COMMITTEE_PERIOD
                ? type(uint64).max
                : _epochTime(fact.validator.activationEpoch + SHARD_COMMITTEE_PERIOD);
        uint256 deadline = Math.max(appliedAt, exitableFrom) + settings.lateExitDeadlineSeconds;
        uint256 headerTime = _epochTime(0) + uint256(fact.header.slot) * SECONDS_PER_SLOT;
        if (fact.validator.exitEpoch != FAR_FUTURE_EPOCH || headerTime <= deadline) {
            revert ExitNotLate(fact.validator.exitEpoch, headerTime, deadline);
        }
        uint256 fee = _requestExit(fact.validator.pubkey); // the key's: checked against the registry

        // Refund and penalty from the bond, as shares priced up (the bond pays the dust).
        uint256 refundShares = REGISTRY.takeBondShares(
            fact.operatorId,
            POOL.getSharesByPooledEthRoundUp(fee),
            msg.sender
        );
        uint256 penaltyShares = REGISTRY.takeBondShares(
            fact.operatorId,
            POOL.getSharesByPooledEthRoundUp(settings.lateExitPenaltyWei),
            INSURANCE_FUND
        );
        _refundExcess(fee);
        emit LateExitProven(
            fact.operatorId,
            fact.keyIndex,
            fact.validatorIndex,
            msg.sender,
            fee,
            refundShares,
            penaltyShares
        );
    }

    /// @inheritdoc IBeaconFacts
    function proveForeignCredentials(ValidatorFact calldata fact) external {
        // The registry freezes the operator's undeposited keys; a hold for late exits stays as it is.
        (bool deposited, uint256 priorFacts, ) = _recordFact(fact, KeyFacts.FOREIGN_CREDENTIALS);
        bytes32 credentials = fact.validator.withdrawalCredentials;
        if (credentials == WITHDRAWAL_CREDENTIALS) revert WrongWithdrawalCredentials(credentials);
        _refuseRepeat(fact.operatorId, fact.keyIndex, priorFacts, KeyFacts.FOREIGN_CREDENTIALS);
        _verifyValidator(fact.blockTimestamp, fact.header, fact.validatorIndex, fact.validator, fact.proof);
        uint256 bondBurned;
        uint256 insuranceBurned;
        // A key the committee already charged (counted as visible, its 32 ETH a key loss: how oracles
        // before these proofs booked a front-run) is not written off again.
        bool writeOff =
            deposited && IAccountingOracle(POOL.ORACLE()).keyLossChargedGwei(fact.operatorId, fact.keyIndex) == 0;
        if (writeOff) (bondBurned, insuranceBurned) = _writeOffDeposit(fact.operatorId);
        emit ForeignCredentialsProven(
            fact.operatorId,
            fact.keyIndex,
            credentials,
            writeOff ? DEPOSIT_SIZE : 0,
            bondBurned,
            insuranceBurned
        );
    }

    /// @inheritdoc IBeaconFacts
    function forceExit(uint256 operatorId, uint256 keyIndex) external payable onlyRole(FORCE_EXIT_ROLE) {
        Exits memory e = _exits;
        uint32 today = uint32(block.timestamp / 1 days);
        if (e.forcedExitDay != today) (e.forcedExitDay, e.forcedExitsToday) = (today, 0);
        if (e.forcedExitsToday >= e.settings.maxForcedExitsPerDay) {
            revert ForcedExitLimitReached(e.settings.maxForcedExitsPerDay);
        }
        ++e.forcedExitsToday;
        _exits = e;
        (bytes32 pubkeyHead, bytes16 pubkeyTail, bool deposited, uint256 priorFacts, ) = REGISTRY.recordKeyFact(
            operatorId,
            keyIndex,
            KeyFacts.FORCED_EXIT
        );
        if (!deposited) revert KeyNotDeposited(operatorId, keyIndex);
        _refuseRepeat(operatorId, keyIndex, priorFacts, KeyFacts.FORCED_EXIT);
        uint256 fee = _requestExit(abi.encodePacked(pubkeyHead, pubkeyTail));
        _refundExcess(fee);
        emit ForcedExit(operatorId, keyIndex, fee);
    }

    // ──────────────────────────────── Oracle ────────────────────────────────

    /// @inheritdoc IBeaconFacts
    function useSlashingCredit(
        uint256 refSlot,
        uint256 amountGwei
    ) external returns (bool used, uint256 availableGwei) {
        // The pool names the oracle (no cycle at deployment: the oracle is built with this contract's address).
        if (msg.sender != POOL.ORACLE()) revert CallerNotOracle(msg.sender);
        Slashing memory s = _slashing;
        availableGwei = refSlot <= s.creditUntilSlot ? s.creditGwei : 0;
        if (amountGwei > availableGwei) return (false, availableGwei);
        s.creditGwei = uint64(availableGwei - amountGwei);
        _slashing = s;
        emit SlashingCreditUsed(refSlot, amountGwei, s.creditGwei);
        return (true, availableGwei);
    }

    // ──────────────────────────────── Settings ────────────────────────────────

    /// @inheritdoc IBeaconFacts
    function setExitSettings(ExitSettings calldata settings) external onlyRole(EXIT_SETTINGS_ROLE) {
        _setExitSettings(settings);
    }

    // ──────────────────────────────── Views ────────────────────────────────

    /// @inheritdoc IBeaconFacts
    function slashingCreditGwei(uint256 refSlot) external view returns (uint256) {
        Slashing memory s = _slashing;
        return refSlot <= s.creditUntilSlot ? s.creditGwei : 0;
    }

    /// @inheritdoc IBeaconFacts
    function slashingHoldFromTimestamp() external view returns (uint256) {
        uint64 slot = _slashing.lastProvenSlot;
        return slot == 0 ? 0 : uint256(genesisTimestamp) + uint256(slot) * SECONDS_PER_SLOT;
    }

    /// @inheritdoc IBeaconFacts
    function keyFacts(uint256 operatorId, uint256 keyIndex) external view returns (uint256) {
        return REGISTRY.keyFacts(operatorId, keyIndex);
    }

    /// @inheritdoc IBeaconFacts
    function operatorFacts(uint256 operatorId) external view returns (uint256 provenExitedKeys, uint256 lateExits) {
        return REGISTRY.operatorFacts(operatorId);
    }

    /// @inheritdoc IBeaconFacts
    function exitSettings() external view returns (ExitSettings memory) {
        return _exits.settings;
    }

    /// @inheritdoc IBeaconFacts
    function exitRequestFee() public view returns (uint256 fee) {
        (bool ok, bytes memory data) = WITHDRAWAL_REQUEST_PREDEPLOY.staticcall("");
        if (!ok || data.length != 32) revert ExitFeeUnavailable();
        return abi.decode(data, (uint256));
    }

    // ──────────────────────────────── Internal ────────────────────────────────

    /// @dev The checks every fact about a protocol validator shares: the record is the key's, the key
    /// was deposited, the credentials are the pool's, the fact is new, and the proof holds. The registry
    /// records the fact (and what it changes) first; any of these failing reverts that as well.
    function _verifyOurs(
        ValidatorFact calldata fact,
        uint256 factBit
    ) private returns (bool deposited, uint256 priorFacts, uint256 provenExitedKeys) {
        (deposited, priorFacts, provenExitedKeys) = _recordFact(fact, factBit);
        if (!deposited) revert KeyNotDeposited(fact.operatorId, fact.keyIndex);
        bytes32 credentials = fact.validator.withdrawalCredentials;
        if (credentials != WITHDRAWAL_CREDENTIALS) revert WrongWithdrawalCredentials(credentials);
        _refuseRepeat(fact.operatorId, fact.keyIndex, priorFacts, factBit);
        _verifyValidator(fact.blockTimestamp, fact.header, fact.validatorIndex, fact.validator, fact.proof);
    }

    /// @dev Records the fact in the registry, which returns the key; its pubkey must be the record's.
    function _recordFact(
        ValidatorFact calldata fact,
        uint256 factBit
    ) private returns (bool deposited, uint256 priorFacts, uint256 provenExitedKeys) {
        bytes32 head;
        bytes16 tail;
        (head, tail, deposited, priorFacts, provenExitedKeys) = REGISTRY.recordKeyFact(
            fact.operatorId,
            fact.keyIndex,
            factBit
        );
        bytes calldata pubkey = fact.validator.pubkey;
        if (pubkey.length != 48 || bytes32(pubkey[:32]) != head || bytes16(pubkey[32:]) != tail) {
            revert PubkeyMismatch(fact.operatorId, fact.keyIndex);
        }
    }

    /// @dev Reverts if `factBit` was recorded for the key before this call.
    function _refuseRepeat(uint256 operatorId, uint256 keyIndex, uint256 priorFacts, uint256 factBit) private pure {
        if (priorFacts & factBit != 0) revert FactAlreadyProven(operatorId, keyIndex, factBit);
    }

    /// @dev Sends a full-exit request for `pubkey` from the withdrawal vault, paying the predeploy's
    /// current fee (read now, so a fee raised since the caller looked is still paid) from `msg.value`.
    function _requestExit(bytes memory pubkey) private returns (uint256 fee) {
        fee = exitRequestFee();
        if (msg.value < fee) revert ExitFeeNotCovered(msg.value, fee);
        WITHDRAWAL_VAULT.requestFullExit{value: fee}(pubkey);
    }

    /// @dev Returns what the caller sent above `fee`; last, after every effect (the caller may be a contract).
    function _refundExcess(uint256 fee) private {
        uint256 excess = msg.value - fee;
        if (excess == 0) return;
        (bool ok, ) = msg.sender.call{value: excess}("");
        if (!ok) revert RefundFailed(msg.sender, excess);
    }

    /// @dev Writes off a deposit lost to foreign credentials: bond shares worth it at the current rate
    /// (rounded up), then insurance shares for the rest, then the holders take what is left.
    function _writeOffDeposit(uint256 operatorId) private returns (uint256 bondBurned, uint256 insuranceBurned) {
        uint256 wanted = POOL.getSharesByPooledEthRoundUp(DEPOSIT_SIZE);
        bondBurned = REGISTRY.burnBondShares(operatorId, wanted);
        if (bondBurned < wanted) {
            uint256 rest = DEPOSIT_SIZE - POOL.getPooledEthByShares(bondBurned);
            insuranceBurned = Math.min(POOL.getSharesByPooledEthRoundUp(rest), POOL.sharesOf(INSURANCE_FUND));
        }
        POOL.recordProvenFact(false, bondBurned, insuranceBurned);
    }

    function _setExitSettings(ExitSettings memory settings) private {
        if (settings.lateExitDeadlineSeconds > MAX_LATE_EXIT_DEADLINE_SECONDS) {
            revert ExitSettingOutOfRange(
                "lateExitDeadlineSeconds",
                settings.lateExitDeadlineSeconds,
                MAX_LATE_EXIT_DEADLINE_SECONDS
            );
        }
        if (settings.lateExitPenaltyWei > MAX_LATE_EXIT_PENALTY_WEI) {
            revert ExitSettingOutOfRange("lateExitPenaltyWei", settings.lateExitPenaltyWei, MAX_LATE_EXIT_PENALTY_WEI);
        }
        if (settings.maxForcedExitsPerDay > MAX_FORCED_EXITS_PER_DAY_CAP) {
            revert ExitSettingOutOfRange(
                "maxForcedExitsPerDay",
                settings.maxForcedExitsPerDay,
                MAX_FORCED_EXITS_PER_DAY_CAP
            );
        }
        _exits.settings = settings;
        emit ExitSettingsSet(settings);
    }

    /// @dev The time of `epoch`'s first slot, in seconds.
    function _epochTime(uint64 epoch) private view returns (uint256) {
        return uint256(genesisTimestamp) + uint256(epoch) * SLOTS_PER_EPOCH * SECONDS_PER_SLOT;
    }
}
