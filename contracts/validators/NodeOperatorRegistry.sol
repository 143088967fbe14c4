// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {INodeOperatorRegistry} from "../interfaces/INodeOperatorRegistry.sol";
import {IStakingPool} from "../interfaces/IStakingPool.sol";
import {IDepositContract} from "../interfaces/IDepositContract.sol";
import {DepositDataRoot} from "../lib/DepositDataRoot.sol";
import {KeyFacts} from "../lib/KeyFacts.sol";
import {MinLevelIndex} from "../lib/MinLevelIndex.sol";
import {GovernedUpgradeable} from "../governance/GovernedUpgradeable.sol";

/// @title NodeOperatorRegistry — operators, keys, bonds, and who takes the next deposit
/// @notice See {INodeOperatorRegistry}.
/// @dev Storage (ERC-7201 `tidepool.storage.NodeOperatorRegistry`): one packed word per operator with
/// everything a deposit reads, five words per key (the second also holds the facts beacon proofs
/// recorded for it), a global pubkey-hash set, and a {MinLevelIndex}
/// of the operators that can take a deposit, by active validators. Every change to an operator goes
/// through `_store`, which moves it in the index, so the index always matches the stored words.
contract NodeOperatorRegistry is INodeOperatorRegistry, GovernedUpgradeable {
    using MinLevelIndex for MinLevelIndex.Index;

    // ──────────────────────────────── Constants ────────────────────────────────

    /// @notice Admits operators, (de)activates them, sets reward addresses and vets keys.
    bytes32 public constant OPERATOR_MANAGER_ROLE = keccak256("OPERATOR_MANAGER_ROLE");
    /// @notice Sets the bond per validator.
    bytes32 public constant BOND_MANAGER_ROLE = keccak256("BOND_MANAGER_ROLE");
    /// @notice Burns bonds to cover losses, books operators' fee shares and records exited validators
    /// (the accounting oracle: each figure comes from a report its committee's quorum agreed on).
    bytes32 public constant ACCOUNTING_ROLE = keccak256("ACCOUNTING_ROLE");

    /// @notice Keys per `addSigningKeys` / `removeSigningKeys` call, at most.
    uint256 public constant MAX_KEYS_PER_CALL = 100;
    /// @notice Keys per `pubkeys` view call, at most (48 KB returned, about 4.5M gas of reads).
    uint256 public constant MAX_KEYS_PER_VIEW = 1_000;
    /// @notice Operators, at most (the index counts up to 65,535 per level).
    uint256 public constant MAX_OPERATORS = 65_535;
    /// @notice Active validators per operator, at most (the index's highest level).
    uint256 public constant MAX_VALIDATORS_PER_OPERATOR = MinLevelIndex.MAX_LEVEL;
    /// @notice Hard cap on the bond per validator, in wei.
    uint256 public constant MAX_BOND_PER_VALIDATOR = 32 ether;
    /// @dev BLS12-381 sizes.
    uint256 internal constant PUBKEY_LENGTH = 48;
    uint256 internal constant SIGNATURE_LENGTH = 96;
    uint256 internal constant MAX_NAME_LENGTH = 64;
    /// @dev ETH per validator deposit (physics, not policy).
    uint256 internal constant DEPOSIT_SIZE = 32 ether;
    /// @dev Scale of the per-validator reward index. The index stays below 2^112 unless more than
    /// 5 × 10^27 fee shares are ever distributed; the rounding left in the registry is below one
    /// share per active validator per 10^6 shares distributed.
    uint256 internal constant REWARD_INDEX_SCALE = 1e6;

    // keccak256(abi.encode(uint256(keccak256("tidepool.storage.NodeOperatorRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x1b60eda29d29ebd966b088309b4a329f3e7ac14d855d58c55c1361bf8f434400;

    // ──────────────────────────────── Storage ────────────────────────────────

    /// @dev Everything a deposit reads about an operator, in one word.
    struct Operator {
        bool active;
        bool listed; // in the index, at level depositedKeys − exitedKeys
        uint32 totalKeys;
        uint32 vettedKeys;
        uint32 depositedKeys;
        uint32 exitedKeys;
        uint32 bondCoveredValidators;
        uint80 bondShares;
    }

    /// @dev A 48-byte pubkey and 96-byte signature in five words, and the key's {KeyFacts} bits in the
    /// free half of the second word (read with the pubkey by a proof, so recording a fact is cheap).
    struct SigningKey {
        bytes32 pubkeyHead;
        bytes16 pubkeyTail;
        uint128 facts;
        bytes32 sig0;
        bytes32 sig1;
        bytes32 sig2;
    }

    /// @dev One word: the operators' reward index and what it is divided by.
    struct RewardsState {
        uint112 sharesPerValidator; // cumulative fee shares per active validator × REWARD_INDEX_SCALE
        uint40 activeValidators; // Σ (depositedKeys − exitedKeys)
        uint104 heldBackShares; // distributed while no validator was active; added to the next
    }

    /// @dev An operator's second word: its keys' nonce and its open late exits. Non-zero once it
    /// uploaded keys, so a late exit proven about a deposited key writes no new slot.
    struct OperatorState {
        uint64 keysNonce; // +1 on each upload or removal of its keys
        uint32 lateExits; // late exits proven and not followed by a proven exit: deposits held while > 0
    }

    /// @dev An operator's fee shares, accrued up to its last checkpoint of the index, and its exits
    /// proven (here because a proven exit accrues the rewards: one word read and written, not two).
    /// `accruedShares` was a uint144: below 2^112 like the index (see REWARD_INDEX_SCALE), so the
    /// narrower field reads every stored value unchanged.
    struct OperatorRewards {
        uint112 checkpoint;
        uint112 accruedShares;
        uint32 provenExitedKeys;
    }

    /// @custom:storage-location erc7201:tidepool.storage.NodeOperatorRegistry
    struct RegistryStorage {
        uint64 keysNonce;
        uint32 operatorsCount;
        uint96 bondPerValidator; // wei
        mapping(uint256 operatorId => Operator) operators;
        mapping(uint256 operatorId => address) rewardAddresses;
        mapping(uint256 operatorId => string) names;
        mapping(uint256 operatorId => mapping(uint256 keyIndex => SigningKey)) keys;
        mapping(bytes32 pubkeyHash => bool) registeredPubkeys;
        MinLevelIndex.Index depositable;
        RewardsState rewards;
        mapping(uint256 operatorId => OperatorRewards) operatorRewards;
        mapping(uint256 operatorId => OperatorState) operatorStates; // was a uint256 keys nonce
    }

    // ──────────────────────────────── Construction ────────────────────────────────

    /// @notice The staking pool (tpETH), which takes keys and holds bonds as shares.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    IStakingPool public immutable POOL;

    /// @notice The beacon-chain deposit contract.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    IDepositContract public immutable DEPOSIT_CONTRACT;

    /// @param pool The staking pool proxy.
    /// @param depositContract The beacon-chain deposit contract.
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(IStakingPool pool, IDepositContract depositContract) {
        POOL = pool;
        DEPOSIT_CONTRACT = depositContract;
        _disableInitializers();
    }

    /// @notice Initialises the proxy.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (governance).
    /// @param bondPerValidatorWei The bond required per active validator, in wei.
    function initialize(address admin, uint256 bondPerValidatorWei) external initializer {
        if (admin == address(0)) revert ZeroAddress("admin");
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setBondPerValidator(bondPerValidatorWei);
    }

    // ──────────────────────────────── Operators ────────────────────────────────

    /// @inheritdoc INodeOperatorRegistry
    function addNodeOperator(
        string calldata name,
        address rewardAddress
    ) external onlyRole(OPERATOR_MANAGER_ROLE) returns (uint256 id) {
        RegistryStorage storage $ = _storage();
        id = $.operatorsCount;
        if (id >= MAX_OPERATORS) revert TooManyOperators(MAX_OPERATORS);
        _checkName(name);
        if (rewardAddress == address(0)) revert ZeroAddress("rewardAddress");
        $.operatorsCount = uint32(id + 1);
        $.operators[id].active = true;
        $.rewardAddresses[id] = rewardAddress;
        $.names[id] = name;
        emit NodeOperatorAdded(id, name, rewardAddress);
        emit NodeOperatorActiveSet(id, true);
    }

    /// @inheritdoc INodeOperatorRegistry
    function setNodeOperatorActive(uint256 operatorId, bool active) external onlyRole(OPERATOR_MANAGER_ROLE) {
        Operator memory op = _operator(operatorId);
        op.active = active;
        _store(operatorId, op);
        emit NodeOperatorActiveSet(operatorId, active);
    }

    /// @inheritdoc INodeOperatorRegistry
    function setNodeOperatorRewardAddress(
        uint256 operatorId,
        address rewardAddress
    ) external onlyRole(OPERATOR_MANAGER_ROLE) {
        _operator(operatorId);
        if (rewardAddress == address(0)) revert ZeroAddress("rewardAddress");
        _storage().rewardAddresses[operatorId] = rewardAddress;
        emit NodeOperatorRewardAddressSet(operatorId, rewardAddress);
    }

    /// @inheritdoc INodeOperatorRegistry
    function setVettedKeys(
        uint256 operatorId,
        uint256 vettedKeys,
        uint256 expectedKeysNonce
    ) external onlyRole(OPERATOR_MANAGER_ROLE) {
        Operator memory op = _operator(operatorId);
        // Never above the keys uploaded, never below the keys already deposited.
        uint256 vetted = vettedKeys < op.totalKeys ? vettedKeys : op.totalKeys;
        if (vetted < op.depositedKeys) vetted = op.depositedKeys;
        // Keys beyond those already vetted must be the keys governance reviewed.
        if (vetted > op.vettedKeys) {
            uint256 actual = _storage().operatorStates[operatorId].keysNonce;
            if (actual != expectedKeysNonce) revert OperatorKeysChanged(operatorId, expectedKeysNonce, actual);
        }
        op.vettedKeys = uint32(vetted);
        _store(operatorId, op);
        emit VettedKeysSet(operatorId, vetted);
        _bumpKeysNonce();
    }

    // ──────────────────────────────── Keys ────────────────────────────────

    /// @inheritdoc INodeOperatorRegistry
    function addSigningKeys(
        uint256 operatorId,
        uint256 count,
        bytes calldata pubkeys,
        bytes calldata signatures
    ) external {
        Operator memory op = _operatorFor(operatorId, msg.sender);
        if (!op.active) revert OperatorInactive(operatorId);
        if (count == 0 || count > MAX_KEYS_PER_CALL) revert InvalidKeysCount(count, MAX_KEYS_PER_CALL);
        if (pubkeys.length != count * PUBKEY_LENGTH) {
            revert InvalidPubkeysLength(pubkeys.length, count * PUBKEY_LENGTH);
        }
        if (signatures.length != count * SIGNATURE_LENGTH) {
            revert InvalidSignaturesLength(signatures.length, count * SIGNATURE_LENGTH);
        }

        RegistryStorage storage $ = _storage();
        mapping(uint256 => SigningKey) storage keys = $.keys[operatorId];
        uint256 index = op.totalKeys;
        for (uint256 i = 0; i < count; ++i) {
            bytes calldata pubkey = pubkeys[i * PUBKEY_LENGTH:(i + 1) * PUBKEY_LENGTH];
            bytes calldata sig = signatures[i * SIGNATURE_LENGTH:(i + 1) * SIGNATURE_LENGTH];
            bytes32 pubkeyHash = keccak256(pubkey);
            if ($.registeredPubkeys[pubkeyHash]) revert DuplicatePubkey(pubkey);
            $.registeredPubkeys[pubkeyHash] = true;
            keys[index] = SigningKey({
                pubkeyHead: bytes32(pubkey[0:32]),
                pubkeyTail: bytes16(pubkey[32:48]),
                facts: 0,
                sig0: bytes32(sig[0:32]),
                sig1: bytes32(sig[32:64]),
                sig2: bytes32(sig[64:96])
            });
            emit SigningKeyAdded(operatorId, index, pubkey);
            ++index;
        }
        op.totalKeys = SafeCast.toUint32(index);
        _store(operatorId, op);
        // The new keys are unvetted: what guardians attest (keysNonce) is unchanged.
        ++$.operatorStates[operatorId].keysNonce;
    }

    /// @inheritdoc INodeOperatorRegistry
    function removeSigningKeys(uint256 operatorId, uint256 fromIndex, uint256 count) external {
        Operator memory op = _operatorFor(operatorId, msg.sender);
        if (count == 0 || count > MAX_KEYS_PER_CALL) revert InvalidKeysCount(count, MAX_KEYS_PER_CALL);
        if (fromIndex < op.depositedKeys || fromIndex + count > op.totalKeys) {
            revert InvalidKeyRange(operatorId, fromIndex, count, op.depositedKeys, op.totalKeys);
        }
        RegistryStorage storage $ = _storage();
        mapping(uint256 => SigningKey) storage keys = $.keys[operatorId];
        uint256 last = op.totalKeys;
        // From the top of the range down, so each hole is filled by a key that stays.
        for (uint256 i = fromIndex + count; i > fromIndex;) {
            --i;
            --last;
            SigningKey memory removed = keys[i];
            emit SigningKeyRemoved(operatorId, i, abi.encodePacked(removed.pubkeyHead, removed.pubkeyTail));
            if (i != last) keys[i] = keys[last];
            delete keys[last];
        }
        op.totalKeys = uint32(last);
        // Keys from fromIndex on moved: they need vetting again.
        if (op.vettedKeys > fromIndex) op.vettedKeys = uint32(fromIndex);
        _store(operatorId, op);
        emit VettedKeysSet(operatorId, op.vettedKeys);
        // The keys still vetted are below fromIndex, untouched: the set guardians attest only shrank,
        // so keysNonce stays and no operator (active or not) can stale their attestations.
        ++$.operatorStates[operatorId].keysNonce;
    }

    // ──────────────────────────────── Bond ────────────────────────────────

    /// @inheritdoc INodeOperatorRegistry
    function depositBond(uint256 operatorId) external payable {
        if (msg.value == 0) revert ZeroBond();
        Operator memory op = _operator(operatorId);
        uint256 shares = POOL.stake{value: msg.value}(address(0));
        op.bondShares = SafeCast.toUint80(op.bondShares + shares);
        emit BondDeposited(operatorId, msg.sender, msg.value, shares);
        _store(operatorId, op);
    }

    /// @inheritdoc INodeOperatorRegistry
    function withdrawBond(uint256 operatorId, uint256 shares, address recipient) external {
        Operator memory op = _operatorFor(operatorId, msg.sender);
        if (recipient == address(0)) revert ZeroAddress("recipient");
        // Shares sent to these are lost: the pool and the wrapper refuse plain transfers, the queue
        // strands shares outside a request, and here they would leave the bond's books unbooked.
        if (
            recipient == address(this) ||
            recipient == address(POOL) ||
            recipient == POOL.WRAPPER() ||
            recipient == POOL.WITHDRAWAL_QUEUE()
        ) revert InvalidRecipient(recipient);
        // Bond backing active validators stays; the rest (exited validators, rewards) is free.
        uint256 required = POOL.getSharesByPooledEthRoundUp(
            uint256(_storage().bondPerValidator) * (op.depositedKeys - op.exitedKeys)
        );
        uint256 free = op.bondShares > required ? op.bondShares - required : 0;
        if (shares == 0 || shares > free) revert BondLocked(operatorId, shares, free);
        op.bondShares = uint80(op.bondShares - shares); // shares ≤ free ≤ bondShares
        _store(operatorId, op);
        uint256 amount = POOL.transferShares(recipient, shares);
        emit BondWithdrawn(operatorId, recipient, shares, amount);
    }

    /// @inheritdoc INodeOperatorRegistry
    function refreshOperator(uint256 operatorId) external {
        _store(operatorId, _operator(operatorId)); // _store recomputes the bond cover
    }

    /// @inheritdoc INodeOperatorRegistry
    function setBondPerValidator(uint256 bondPerValidatorWei) external onlyRole(BOND_MANAGER_ROLE) {
        _setBondPerValidator(bondPerValidatorWei);
    }

    // ──────────────────────────────── Oracle and pool ────────────────────────────────

    /// @inheritdoc INodeOperatorRegistry
    function reportExitedKeys(uint256 operatorId, uint256 exitedKeys) external onlyRole(ACCOUNTING_ROLE) {
        Operator memory op = _operator(operatorId);
        if (exitedKeys > op.depositedKeys) {
            revert InvalidExitedKeys(operatorId, exitedKeys, op.exitedKeys, op.depositedKeys);
        }
        if (exitedKeys <= op.exitedKeys) return; // never lowered: a proof may be ahead of the reports
        _accrueRewards(operatorId, op.depositedKeys - op.exitedKeys);
        _storage().rewards.activeValidators -= uint40(exitedKeys - op.exitedKeys);
        op.exitedKeys = uint32(exitedKeys);
        _store(operatorId, op);
        emit ExitedKeysReported(operatorId, exitedKeys);
    }

    /// @inheritdoc INodeOperatorRegistry
    function recordKeyFact(
        uint256 operatorId,
        uint256 keyIndex,
        uint256 fact
    )
        external
        onlyRole(ACCOUNTING_ROLE)
        returns (bytes32 pubkeyHead, bytes16 pubkeyTail, bool deposited, uint256 priorFacts, uint256 provenExitedKeys)
    {
        RegistryStorage storage $ = _storage();
        // An operator that does not exist has no keys: the range check refuses it.
        Operator memory op = $.operators[operatorId];
        if (keyIndex >= op.totalKeys) revert InvalidKeyRange(operatorId, keyIndex, 1, op.depositedKeys, op.totalKeys);
        deposited = keyIndex < op.depositedKeys;
        SigningKey storage key = $.keys[operatorId][keyIndex];
        priorFacts = key.facts;
        key.facts = uint128(priorFacts | fact);
        (pubkeyHead, pubkeyTail) = (key.pubkeyHead, key.pubkeyTail);
        bool lateExitsMoved = fact == KeyFacts.LATE || (fact == KeyFacts.EXITED && priorFacts & KeyFacts.LATE != 0);
        if (fact == KeyFacts.EXITED) {
            OperatorRewards storage rewards = $.operatorRewards[operatorId];
            provenExitedKeys = rewards.provenExitedKeys + 1;
            if (provenExitedKeys > op.exitedKeys) {
                // Never above the deposited keys: each proven key is a distinct deposited key.
                _accrueRewards(operatorId, op.depositedKeys - op.exitedKeys);
                $.rewards.activeValidators -= uint40(provenExitedKeys - op.exitedKeys);
                op.exitedKeys = uint32(provenExitedKeys);
                emit ExitedKeysReported(operatorId, provenExitedKeys);
            }
            rewards.provenExitedKeys = uint32(provenExitedKeys);
            if (priorFacts & KeyFacts.LATE != 0) _addLateExit(operatorId, false);
        } else if (fact == KeyFacts.LATE) {
            _addLateExit(operatorId, true);
        } else if (fact == KeyFacts.FOREIGN_CREDENTIALS && op.vettedKeys != op.depositedKeys) {
            op.vettedKeys = op.depositedKeys; // the operator's undeposited keys are frozen
            emit VettedKeysSet(operatorId, op.depositedKeys);
        } else {
            return (pubkeyHead, pubkeyTail, deposited, priorFacts, 0); // nothing changes for the operator
        }
        _place(operatorId, op, lateExitsMoved);
    }

    /// @inheritdoc INodeOperatorRegistry
    function takeBondShares(
        uint256 operatorId,
        uint256 shares,
        address recipient
    ) external onlyRole(ACCOUNTING_ROLE) returns (uint256 taken) {
        Operator memory op = _operator(operatorId);
        taken = shares < op.bondShares ? shares : op.bondShares;
        if (taken == 0) return 0;
        op.bondShares = uint80(op.bondShares - taken);
        _store(operatorId, op);
        POOL.transferShares(recipient, taken);
        emit BondTaken(operatorId, recipient, taken);
    }

    /// @inheritdoc INodeOperatorRegistry
    function depositKeys(uint256 operatorId, uint256 count, bytes32 withdrawalCredentials) external payable {
        if (msg.sender != address(POOL)) revert CallerNotPool(msg.sender);
        if (msg.value != count * DEPOSIT_SIZE) revert WrongDepositValue(msg.value, count * DEPOSIT_SIZE);
        RegistryStorage storage $ = _storage();
        Operator memory op = _operator(operatorId);
        uint256 active = op.depositedKeys - op.exitedKeys;
        if (!op.active) revert OperatorInactive(operatorId);
        if (!op.listed) revert OperatorNotDepositable(operatorId);
        (, uint256 lowest) = $.depositable.lowest(); // non-empty: this operator is in it
        if (active != lowest) revert OperatorNotNext(operatorId, active, lowest);
        if (count > op.vettedKeys - op.depositedKeys) {
            revert NotEnoughVettedKeys(operatorId, count, op.vettedKeys - op.depositedKeys);
        }
        if (active + count > op.bondCoveredValidators) {
            revert BondTooSmall(operatorId, active + count, op.bondCoveredValidators);
        }
        if (active + count > MAX_VALIDATORS_PER_OPERATOR) {
            revert OperatorValidatorCapReached(operatorId, MAX_VALIDATORS_PER_OPERATOR);
        }

        _accrueRewards(operatorId, active);
        $.rewards.activeValidators += uint40(count);
        uint256 from = op.depositedKeys;
        op.depositedKeys = uint32(from + count);
        _store(operatorId, op);
        emit KeysDeposited(operatorId, from, count);
        _bumpKeysNonce();

        mapping(uint256 => SigningKey) storage keys = $.keys[operatorId];
        bytes memory credentials = abi.encodePacked(withdrawalCredentials);
        uint64 amountGwei = uint64(DEPOSIT_SIZE / 1 gwei);
        for (uint256 i = from; i < from + count; ++i) {
            SigningKey memory key = keys[i];
            bytes32 root = DepositDataRoot.compute(
                key.pubkeyHead,
                key.pubkeyTail,
                withdrawalCredentials,
                amountGwei,
                key.sig0,
                key.sig1,
                key.sig2
            );
            DEPOSIT_CONTRACT.deposit{value: DEPOSIT_SIZE}(
                abi.encodePacked(key.pubkeyHead, key.pubkeyTail),
                credentials,
                abi.encodePacked(key.sig0, key.sig1, key.sig2),
                root
            );
        }
    }

    /// @inheritdoc INodeOperatorRegistry
    function burnBondShares(
        uint256 operatorId,
        uint256 shares
    ) external onlyRole(ACCOUNTING_ROLE) returns (uint256 burned) {
        Operator memory op = _operator(operatorId);
        burned = shares < op.bondShares ? shares : op.bondShares;
        if (burned == 0) return 0;
        op.bondShares = uint80(op.bondShares - burned);
        _store(operatorId, op);
        emit BondBurned(operatorId, burned);
    }

    /// @inheritdoc INodeOperatorRegistry
    function distributeOperatorRewards(uint256 shares) external onlyRole(ACCOUNTING_ROLE) {
        RegistryStorage storage $ = _storage();
        RewardsState memory r = $.rewards;
        uint256 total = shares + r.heldBackShares;
        if (r.activeValidators == 0) {
            r.heldBackShares = SafeCast.toUint104(total);
        } else {
            // Rounds down: what is left over stays in the registry unbooked (never over-promised).
            r.sharesPerValidator = SafeCast.toUint112(
                r.sharesPerValidator + (total * REWARD_INDEX_SCALE) / r.activeValidators
            );
            r.heldBackShares = 0;
        }
        $.rewards = r;
        emit OperatorRewardsDistributed(total, r.activeValidators);
    }

    /// @inheritdoc INodeOperatorRegistry
    function claimOperatorRewards(uint256 operatorId) external returns (uint256 shares) {
        Operator memory op = _operatorFor(operatorId, msg.sender);
        _accrueRewards(operatorId, op.depositedKeys - op.exitedKeys);
        OperatorRewards storage rewards = _storage().operatorRewards[operatorId];
        shares = rewards.accruedShares;
        if (shares == 0) revert NoOperatorRewards(operatorId);
        rewards.accruedShares = 0;
        uint256 amount = POOL.transferShares(msg.sender, shares);
        emit OperatorRewardsClaimed(operatorId, msg.sender, shares, amount);
    }

    // ──────────────────────────────── Views ────────────────────────────────

    /// @inheritdoc INodeOperatorRegistry
    function pendingOperatorRewards(uint256 operatorId) external view returns (uint256 shares) {
        Operator memory op = _operator(operatorId);
        OperatorRewards memory r = _storage().operatorRewards[operatorId];
        return
            r.accruedShares +
            _newlyAccrued(_storage().rewards.sharesPerValidator, r.checkpoint, op.depositedKeys - op.exitedKeys);
    }

    /// @inheritdoc INodeOperatorRegistry
    function totalActiveValidators() external view returns (uint256) {
        return _storage().rewards.activeValidators;
    }

    /// @inheritdoc INodeOperatorRegistry
    function getNodeOperator(uint256 operatorId) external view returns (NodeOperatorView memory) {
        Operator memory op = _operator(operatorId);
        RegistryStorage storage $ = _storage();
        return
            NodeOperatorView({
                active: op.active,
                totalKeys: op.totalKeys,
                vettedKeys: op.vettedKeys,
                depositedKeys: op.depositedKeys,
                exitedKeys: op.exitedKeys,
                bondCoveredValidators: op.bondCoveredValidators,
                bondShares: op.bondShares,
                rewardAddress: $.rewardAddresses[operatorId],
                name: $.names[operatorId]
            });
    }

    /// @inheritdoc INodeOperatorRegistry
    function getNodeOperatorsCount() external view returns (uint256) {
        return _storage().operatorsCount;
    }

    /// @inheritdoc INodeOperatorRegistry
    function getSigningKey(
        uint256 operatorId,
        uint256 keyIndex
    ) external view returns (bytes memory pubkey, bytes memory signature, bool deposited) {
        SigningKey storage key;
        (key, deposited) = _signingKey(operatorId, keyIndex);
        return (
            abi.encodePacked(key.pubkeyHead, key.pubkeyTail),
            abi.encodePacked(key.sig0, key.sig1, key.sig2),
            deposited
        );
    }

    /// @inheritdoc INodeOperatorRegistry
    function getKeyPubkey(
        uint256 operatorId,
        uint256 keyIndex
    ) external view returns (bytes memory pubkey, bool deposited) {
        SigningKey storage key;
        (key, deposited) = _signingKey(operatorId, keyIndex);
        return (abi.encodePacked(key.pubkeyHead, key.pubkeyTail), deposited);
    }

    /// @inheritdoc INodeOperatorRegistry
    function pubkeys(
        uint256 operatorId,
        uint256 offset,
        uint256 limit
    ) external view returns (bytes memory keys, uint256 depositedKeys) {
        Operator memory op = _operator(operatorId);
        if (limit == 0 || limit > MAX_KEYS_PER_VIEW) revert InvalidKeysCount(limit, MAX_KEYS_PER_VIEW);
        if (offset > op.totalKeys) revert InvalidKeyRange(operatorId, offset, limit, op.depositedKeys, op.totalKeys);
        uint256 end = limit < op.totalKeys - offset ? offset + limit : op.totalKeys;
        keys = new bytes((end - offset) * PUBKEY_LENGTH);
        mapping(uint256 => SigningKey) storage stored = _storage().keys[operatorId];
        for (uint256 i = offset; i < end; ++i) {
            (bytes32 head, bytes16 tail) = (stored[i].pubkeyHead, stored[i].pubkeyTail);
            assembly ("memory-safe") {
                let at := add(add(keys, 32), mul(sub(i, offset), 48))
                mstore(at, head)
                mstore(add(at, 32), tail) // its last 16 bytes land on the next key's place, or past the end
            }
        }
        return (keys, op.depositedKeys);
    }

    /// @inheritdoc INodeOperatorRegistry
    function keysNonce() external view returns (uint256) {
        return _storage().keysNonce;
    }

    /// @inheritdoc INodeOperatorRegistry
    function operatorKeysNonce(uint256 operatorId) external view returns (uint256) {
        _operator(operatorId);
        return _storage().operatorStates[operatorId].keysNonce;
    }

    /// @inheritdoc INodeOperatorRegistry
    function depositableKeys(uint256 operatorId) external view returns (uint256) {
        Operator memory op = _operator(operatorId);
        if (!op.listed) return 0;
        uint256 active = op.depositedKeys - op.exitedKeys;
        (, uint256 lowest) = _storage().depositable.lowest();
        if (active != lowest) return 0;
        uint256 byKeys = op.vettedKeys - op.depositedKeys;
        uint256 byBond = op.bondCoveredValidators - active;
        uint256 byCap = MAX_VALIDATORS_PER_OPERATOR - active;
        return byKeys < byBond ? (byKeys < byCap ? byKeys : byCap) : (byBond < byCap ? byBond : byCap);
    }

    /// @inheritdoc INodeOperatorRegistry
    function lowestActiveValidators() external view returns (bool found, uint256 activeValidators) {
        return _storage().depositable.lowest();
    }

    /// @inheritdoc INodeOperatorRegistry
    function operatorDepositsHeld(uint256 operatorId) external view returns (bool) {
        return _storage().operatorStates[operatorId].lateExits != 0;
    }

    /// @inheritdoc INodeOperatorRegistry
    function keyFacts(uint256 operatorId, uint256 keyIndex) external view returns (uint256) {
        return _storage().keys[operatorId][keyIndex].facts;
    }

    /// @inheritdoc INodeOperatorRegistry
    function operatorFacts(uint256 operatorId) external view returns (uint256 provenExitedKeys, uint256 lateExits) {
        RegistryStorage storage $ = _storage();
        return ($.operatorRewards[operatorId].provenExitedKeys, $.operatorStates[operatorId].lateExits);
    }

    /// @inheritdoc INodeOperatorRegistry
    function bondPerValidator() external view returns (uint256) {
        return _storage().bondPerValidator;
    }

    // ──────────────────────────────── Internal ────────────────────────────────

    /// @dev Writes the operator after recomputing its bond cover at the current share rate (see {_place}).
    /// Every change to an operator goes through here, or through {_place} when no bond moved.
    function _store(uint256 operatorId, Operator memory op) private {
        uint32 cover = _bondCover(op.bondShares);
        if (cover != _storage().operators[operatorId].bondCoveredValidators) emit BondCoverUpdated(operatorId, cover);
        op.bondCoveredValidators = cover;
        _place(operatorId, op, false);
    }

    /// @dev Writes the operator as it is (bond cover included) and moves it in the index: it is listed,
    /// at level `depositedKeys − exitedKeys`, exactly when it could take at least one deposit.
    /// `lateExitsMoved`: the caller changed its late exits. Only then can a listed operator be held:
    /// listed means it had none at its last placement, and nothing else changes them.
    function _place(uint256 operatorId, Operator memory op, bool lateExitsMoved) private {
        RegistryStorage storage $ = _storage();
        Operator storage stored = $.operators[operatorId];
        bool wasIndexed = stored.listed;
        uint256 oldLevel = stored.depositedKeys - stored.exitedKeys;
        uint256 level = op.depositedKeys - op.exitedKeys;
        bool canTake =
            op.active &&
                op.vettedKeys > op.depositedKeys &&
                op.bondCoveredValidators > level &&
                level < MAX_VALIDATORS_PER_OPERATOR &&
                ((wasIndexed && !lateExitsMoved) || $.operatorStates[operatorId].lateExits == 0); // read last
        // Add before remove: a move between levels that share a bitmap word keeps it non-zero, so the
        // summary word is neither cleared nor set again.
        if (canTake && (!wasIndexed || oldLevel != level)) $.depositable.add(level);
        if (wasIndexed && (!canTake || oldLevel != level)) $.depositable.remove(oldLevel);
        op.listed = canTake;
        $.operators[operatorId] = op;
    }

    /// @dev Active validators the bond backs at the current share rate.
    function _bondCover(uint256 bondShares) private view returns (uint32) {
        uint256 perValidator = _storage().bondPerValidator;
        if (perValidator == 0) return type(uint32).max;
        uint256 cover = POOL.getPooledEthByShares(bondShares) / perValidator;
        return cover > type(uint32).max ? type(uint32).max : uint32(cover);
    }

    /// @dev Books the operator's share of the index growth since its checkpoint; called before its
    /// active validators change (deposit, exit) and on claim, so each index step is divided among
    /// exactly the validators that were active when it was distributed.
    function _accrueRewards(uint256 operatorId, uint256 activeValidators) private {
        RegistryStorage storage $ = _storage();
        uint112 index = $.rewards.sharesPerValidator;
        OperatorRewards memory r = $.operatorRewards[operatorId];
        if (r.checkpoint == index) return;
        // At most the shares distributed: below 2^112 (checked, as the field is narrower than the index's product).
        r.accruedShares += SafeCast.toUint112(_newlyAccrued(index, r.checkpoint, activeValidators));
        r.checkpoint = index;
        $.operatorRewards[operatorId] = r;
    }

    /// @dev Shares accrued by `activeValidators` between `checkpoint` and `index`, rounded down.
    function _newlyAccrued(uint256 index, uint256 checkpoint, uint256 activeValidators) private pure returns (uint256) {
        return ((index - checkpoint) * activeValidators) / REWARD_INDEX_SCALE;
    }

    /// @dev Opens (`add`) or closes a late exit; deposits are held while any is open.
    function _addLateExit(uint256 operatorId, bool add) private {
        OperatorState storage state = _storage().operatorStates[operatorId];
        uint256 late = state.lateExits;
        state.lateExits = uint32(add ? late + 1 : late - 1);
        if ((late == 0) == add) emit DepositsHeld(operatorId, add);
    }

    function _setBondPerValidator(uint256 bondPerValidatorWei) private {
        if (bondPerValidatorWei > MAX_BOND_PER_VALIDATOR) {
            revert BondPerValidatorTooHigh(bondPerValidatorWei, MAX_BOND_PER_VALIDATOR);
        }
        _storage().bondPerValidator = uint96(bondPerValidatorWei);
        emit BondPerValidatorSet(bondPerValidatorWei);
    }

    function _bumpKeysNonce() private {
        RegistryStorage storage $ = _storage();
        uint64 nonce = $.keysNonce + 1;
        $.keysNonce = nonce;
        emit KeysNonceChanged(nonce);
    }

    /// @dev A key (which must exist) and whether it has been deposited.
    function _signingKey(
        uint256 operatorId,
        uint256 keyIndex
    ) private view returns (SigningKey storage key, bool deposited) {
        Operator memory op = _operator(operatorId);
        if (keyIndex >= op.totalKeys) revert InvalidKeyRange(operatorId, keyIndex, 1, op.depositedKeys, op.totalKeys);
        return (_storage().keys[operatorId][keyIndex], keyIndex < op.depositedKeys);
    }

    function _operator(uint256 operatorId) private view returns (Operator memory) {
        if (operatorId >= _storage().operatorsCount) revert OperatorNotFound(operatorId);
        return _storage().operators[operatorId];
    }

    /// @dev The operator, after checking that `caller` is its reward address.
    function _operatorFor(uint256 operatorId, address caller) private view returns (Operator memory op) {
        op = _operator(operatorId);
        if (_storage().rewardAddresses[operatorId] != caller) revert CallerNotOperator(caller, operatorId);
    }

    function _checkName(string calldata name) private pure {
        uint256 length = bytes(name).length;
        if (length == 0 || length > MAX_NAME_LENGTH) revert InvalidOperatorName(length);
    }

    function _storage() private pure returns (RegistryStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }
}
