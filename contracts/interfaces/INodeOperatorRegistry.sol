// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Node operator registry — operators, their validator keys and their bonds
/// @notice Governance admits operators and vets how many of their keys may be used; operators upload
/// keys (48-byte BLS pubkeys with 96-byte deposit signatures) and post a bond per validator, held as
/// pool shares so it earns. Deposits go, one operator per call, to an operator with the fewest active
/// validators among those that can take one.
/// @dev Trust assumptions:
/// 1. Governance (OPERATOR_MANAGER_ROLE) vets keys off-chain (BLS signature, fork version,
///    withdrawal credentials) before raising an operator's vetted limit; unvetted keys are never used.
///    A vetting names the operator's `operatorKeysNonce` at the review and reverts if the operator
///    has uploaded or removed keys since, so it vets exactly the keys reviewed.
/// 2. A pubkey is accepted once across all operators, ever, so a removed key cannot come back.
/// 3. Bond cover (how many active validators the bond backs) is recomputed at the current share rate
///    whenever the operator's state is written: every key, vetting, bond, exit, activity change and
///    deposit, and by anyone through `refreshOperator`. A share-rate drop or a higher
///    `bondPerValidator` reaches other operators at their next write or refresh.
/// 4. `keysNonce` is what guardians attest: it changes whenever the set of vetted, undeposited keys
///    may gain a key (vetting) and on every deposit. Uploads (unvetted) and removals (the vetted keys
///    drop to a prefix of themselves) never add a key to that set, so they leave it unchanged: no
///    operator, active or deactivated, can stale the guardians' attestations.
/// 5. Exited validators, which free bond, are recorded only by ACCOUNTING_ROLE: the accounting
///    oracle, from a report its committee's quorum agreed on. No single key can record them.
interface INodeOperatorRegistry {
    // ──────────────────────────────── Types ────────────────────────────────

    /// @notice An operator's state.
    /// @param active Whether deposits may go to the operator.
    /// @param totalKeys Keys uploaded (deposited ones included).
    /// @param vettedKeys Keys governance has vetted: the first `vettedKeys` may be deposited.
    /// @param depositedKeys Keys deposited to the beacon chain (always the first ones).
    /// @param exitedKeys Deposited keys whose validators have exited.
    /// @param bondCoveredValidators Active validators the bond backs, as of the last sync.
    /// @param bondShares Pool shares held as the operator's bond.
    /// @param rewardAddress The operator's address: manages keys and bond, receives rewards.
    /// @param name A human-readable name.
    // solhint-disable-next-line gas-struct-packing
    struct NodeOperatorView {
        bool active;
        uint256 totalKeys;
        uint256 vettedKeys;
        uint256 depositedKeys;
        uint256 exitedKeys;
        uint256 bondCoveredValidators;
        uint256 bondShares;
        address rewardAddress;
        string name;
    }

    // ──────────────────────────────── Errors ────────────────────────────────

    /// @notice No operator has this id.
    error OperatorNotFound(uint256 operatorId);
    /// @notice The operator is deactivated.
    error OperatorInactive(uint256 operatorId);
    /// @notice Only the operator's reward address may do this.
    error CallerNotOperator(address caller, uint256 operatorId);
    /// @notice Only the staking pool may do this.
    error CallerNotPool(address caller);
    /// @notice A deposit must carry exactly 32 ETH per key.
    error WrongDepositValue(uint256 value, uint256 expected);
    /// @notice The operator limit is reached.
    error TooManyOperators(uint256 max);
    /// @notice A name must be 1 to 64 bytes.
    error InvalidOperatorName(uint256 length);
    /// @notice An address argument is zero.
    error ZeroAddress(string argument);
    /// @notice A key batch must hold 1 to MAX_KEYS_PER_CALL keys.
    error InvalidKeysCount(uint256 count, uint256 max);
    /// @notice The pubkeys blob is not 48 × count bytes.
    error InvalidPubkeysLength(uint256 length, uint256 expected);
    /// @notice The signatures blob is not 96 × count bytes.
    error InvalidSignaturesLength(uint256 length, uint256 expected);
    /// @notice This pubkey was registered before (by any operator, at any time).
    error DuplicatePubkey(bytes pubkey);
    /// @notice The range [fromIndex, fromIndex + count) is not within the operator's undeposited keys.
    error InvalidKeyRange(
        uint256 operatorId,
        uint256 fromIndex,
        uint256 count,
        uint256 depositedKeys,
        uint256 totalKeys
    );
    /// @notice The operator is not at the lowest active-validator count among operators that can take a deposit.
    error OperatorNotNext(uint256 operatorId, uint256 activeValidators, uint256 lowestActiveValidators);
    /// @notice The operator cannot take a deposit now (inactive, no vetted keys left, or no bond cover).
    error OperatorNotDepositable(uint256 operatorId);
    /// @notice Fewer vetted, undeposited keys than requested.
    error NotEnoughVettedKeys(uint256 operatorId, uint256 requested, uint256 available);
    /// @notice The bond does not cover the validators requested.
    error BondTooSmall(uint256 operatorId, uint256 activeAfterDeposit, uint256 bondCoveredValidators);
    /// @notice The operator would exceed the per-operator validator cap.
    error OperatorValidatorCapReached(uint256 operatorId, uint256 cap);
    /// @notice A bond deposit must carry ETH.
    error ZeroBond();
    /// @notice The bond shares asked for exceed what is not backing active validators.
    error BondLocked(uint256 operatorId, uint256 requestedShares, uint256 freeShares);
    /// @notice Exited keys must not decrease and must not exceed deposited keys.
    error InvalidExitedKeys(uint256 operatorId, uint256 exitedKeys, uint256 previous, uint256 depositedKeys);
    /// @notice The bond per validator exceeds its hard cap.
    error BondPerValidatorTooHigh(uint256 bondPerValidatorWei, uint256 max);
    /// @notice The operator has no rewards to claim.
    /// @param operatorId The operator.
    error NoOperatorRewards(uint256 operatorId);
    /// @notice The operator uploaded or removed keys after governance reviewed them: the vetting
    /// would cover keys nobody reviewed.
    /// @param operatorId The operator.
    /// @param expectedKeysNonce The operator's keys nonce at the review.
    /// @param keysNonce Its keys nonce now.
    error OperatorKeysChanged(uint256 operatorId, uint256 expectedKeysNonce, uint256 keysNonce);
    /// @notice Pool shares sent to `recipient` would be lost: it is the pool, the wrapper, the
    /// withdrawal queue or the registry.
    /// @param recipient The refused recipient.
    error InvalidRecipient(address recipient);

    // ──────────────────────────────── Events ────────────────────────────────

    /// @notice An operator was admitted.
    /// @param operatorId Its id.
    /// @param name Its name.
    /// @param rewardAddress Its address.
    event NodeOperatorAdded(uint256 indexed operatorId, string name, address rewardAddress);
    /// @notice An operator was activated or deactivated.
    /// @param operatorId The operator.
    /// @param active Its new state.
    event NodeOperatorActiveSet(uint256 indexed operatorId, bool active);
    /// @notice An operator's reward address changed.
    /// @param operatorId The operator.
    /// @param rewardAddress The new address.
    event NodeOperatorRewardAddressSet(uint256 indexed operatorId, address rewardAddress);
    /// @notice A key was uploaded.
    /// @param operatorId The operator.
    /// @param keyIndex The key's index.
    /// @param pubkey The 48-byte BLS public key.
    event SigningKeyAdded(uint256 indexed operatorId, uint256 keyIndex, bytes pubkey);
    /// @notice An undeposited key was removed; the last key took its index.
    /// @param operatorId The operator.
    /// @param keyIndex The index the key had.
    /// @param pubkey The removed key.
    event SigningKeyRemoved(uint256 indexed operatorId, uint256 keyIndex, bytes pubkey);
    /// @notice Governance set how many of the operator's keys are vetted.
    /// @param operatorId The operator.
    /// @param vettedKeys Its vetted keys.
    event VettedKeysSet(uint256 indexed operatorId, uint256 vettedKeys);
    /// @notice Keys were deposited to the beacon chain.
    /// @param operatorId The operator.
    /// @param fromIndex The first key deposited.
    /// @param count Keys deposited.
    event KeysDeposited(uint256 indexed operatorId, uint256 fromIndex, uint256 count);
    /// @notice Exited validators were reported for an operator.
    /// @param operatorId The operator.
    /// @param exitedKeys Its exited validators in total.
    event ExitedKeysReported(uint256 indexed operatorId, uint256 exitedKeys);
    /// @notice The key-set nonce changed.
    /// @param keysNonce The new nonce.
    event KeysNonceChanged(uint256 keysNonce);
    /// @notice Bond was posted: `amount` wei staked into `shares` pool shares.
    /// @param operatorId The operator.
    /// @param from Who posted it.
    /// @param amount ETH posted, in wei.
    /// @param shares Pool shares credited.
    event BondDeposited(uint256 indexed operatorId, address indexed from, uint256 amount, uint256 shares);
    /// @notice Bond shares were withdrawn to `recipient`.
    /// @param operatorId The operator.
    /// @param recipient Who received the shares.
    /// @param shares Pool shares withdrawn.
    /// @param amount Their tpETH value, rounded down.
    event BondWithdrawn(uint256 indexed operatorId, address indexed recipient, uint256 shares, uint256 amount);
    /// @notice The operator's bond cover changed.
    /// @param operatorId The operator.
    /// @param bondCoveredValidators Active validators the bond now backs.
    event BondCoverUpdated(uint256 indexed operatorId, uint256 bondCoveredValidators);
    /// @notice The bond required per active validator changed (applies to each operator at its next write).
    /// @param bondPerValidatorWei The bond per validator, in wei.
    event BondPerValidatorSet(uint256 bondPerValidatorWei);
    /// @notice Bond shares were burned to cover the operator's losses (the oracle's first loss tranche).
    /// @param operatorId The operator.
    /// @param shares The bond shares burned.
    event BondBurned(uint256 indexed operatorId, uint256 shares);
    /// @notice New deposits to the operator were held or released.
    /// @param operatorId The operator.
    /// @param held Whether they are held.
    event DepositsHeld(uint256 indexed operatorId, bool held);
    /// @notice Bond shares left the bond for `recipient` (a fee refund or a penalty).
    /// @param operatorId The operator.
    /// @param recipient Who received them.
    /// @param shares The shares sent.
    event BondTaken(uint256 indexed operatorId, address indexed recipient, uint256 shares);
    /// @notice Operators' fee shares were booked, pro rata to active validators.
    /// @param shares The fee shares (plus any held back while no validator was active).
    /// @param activeValidators Active validators they were divided among (0: held back for later).
    event OperatorRewardsDistributed(uint256 shares, uint256 activeValidators);
    /// @notice An operator claimed its fee shares.
    /// @param operatorId The operator.
    /// @param rewardAddress The operator's reward address, which received them.
    /// @param shares The shares.
    /// @param amount Their value in tpETH, in wei.
    event OperatorRewardsClaimed(
        uint256 indexed operatorId,
        address indexed rewardAddress,
        uint256 shares,
        uint256 amount
    );

    // ──────────────────────────────── Operators ────────────────────────────────

    /// @notice Admits an operator (active, no keys, no bond). Requires OPERATOR_MANAGER_ROLE.
    /// @param name 1 to 64 bytes.
    /// @param rewardAddress The operator's address.
    /// @return id The new operator's id (0-based).
    function addNodeOperator(string calldata name, address rewardAddress) external returns (uint256 id);

    /// @notice Activates or deactivates an operator. Requires OPERATOR_MANAGER_ROLE.
    /// @param operatorId The operator.
    /// @param active Whether deposits may go to it.
    function setNodeOperatorActive(uint256 operatorId, bool active) external;

    /// @notice Changes an operator's reward address. Requires OPERATOR_MANAGER_ROLE.
    /// @param operatorId The operator.
    /// @param rewardAddress The new address; it manages keys and bond from now on.
    function setNodeOperatorRewardAddress(uint256 operatorId, address rewardAddress) external;

    /// @notice Sets how many of the operator's keys are vetted (capped at its uploaded keys, never
    /// below its deposited keys). Requires OPERATOR_MANAGER_ROLE.
    /// @dev A call that vets keys beyond those already vetted reverts `OperatorKeysChanged` unless
    /// `expectedKeysNonce` is the operator's `operatorKeysNonce` now: keys uploaded or removed after
    /// the review (say, during the timelock's delay) are never vetted. Lowering needs no review and
    /// ignores it. Changes `keysNonce`.
    /// @param operatorId The operator.
    /// @param vettedKeys How many of its first keys governance has checked.
    /// @param expectedKeysNonce The operator's `operatorKeysNonce` when governance read the keys it checked.
    function setVettedKeys(uint256 operatorId, uint256 vettedKeys, uint256 expectedKeysNonce) external;

    // ──────────────────────────────── Keys ────────────────────────────────

    /// @notice Uploads `count` keys for the operator. Operator (reward address) only; the operator
    /// must be active (`OperatorInactive`). Adds one to its `operatorKeysNonce`; leaves `keysNonce`
    /// (the new keys are unvetted).
    /// @param operatorId The operator.
    /// @param count 1 to MAX_KEYS_PER_CALL.
    /// @param pubkeys `count` 48-byte BLS public keys, concatenated.
    /// @param signatures `count` 96-byte deposit signatures, concatenated (made for 32 ETH and the
    /// pool's withdrawal credentials; vetting checks them off-chain).
    function addSigningKeys(
        uint256 operatorId,
        uint256 count,
        bytes calldata pubkeys,
        bytes calldata signatures
    ) external;

    /// @notice Removes undeposited keys [fromIndex, fromIndex + count); each hole is filled by the last
    /// key. Vetted keys drop to `fromIndex` if they reached into the range (re-vetting needed).
    /// Operator (reward address) only, active or not. Adds one to its `operatorKeysNonce`; leaves
    /// `keysNonce` (the keys still vetted are unchanged).
    /// @param operatorId The operator.
    /// @param fromIndex The first key to remove (≥ its deposited keys).
    /// @param count Keys to remove, 1 to MAX_KEYS_PER_CALL.
    function removeSigningKeys(uint256 operatorId, uint256 fromIndex, uint256 count) external;

    // ──────────────────────────────── Bond ────────────────────────────────

    /// @notice Posts `msg.value` as the operator's bond; it is staked in the pool and held as shares.
    /// Anyone may post for an operator.
    /// @param operatorId The operator.
    function depositBond(uint256 operatorId) external payable;

    /// @notice Withdraws bond shares not backing active validators to `recipient`. Operator only.
    /// @dev Refuses (`InvalidRecipient`) the pool, the wrapper, the withdrawal queue and the registry,
    /// where the shares would be lost.
    /// @param operatorId The operator.
    /// @param shares The pool shares to withdraw.
    /// @param recipient Receives the shares (as tpETH).
    function withdrawBond(uint256 operatorId, uint256 shares, address recipient) external;

    /// @notice Recomputes the operator's bond cover at the current share rate and re-indexes it.
    /// Anyone may call; the depositor calls it for an operator whose cover went stale.
    /// @param operatorId The operator.
    function refreshOperator(uint256 operatorId) external;

    /// @notice Sets the bond required per active validator, in wei (0: none). Requires
    /// BOND_MANAGER_ROLE; hard cap MAX_BOND_PER_VALIDATOR.
    /// @param bondPerValidatorWei The bond per active validator, in wei.
    function setBondPerValidator(uint256 bondPerValidatorWei) external;

    // ──────────────────────────────── Oracle and pool ────────────────────────────────

    /// @notice Records how many of the operator's validators have exited, which frees the bond that
    /// backed them. Requires ACCOUNTING_ROLE: the accounting oracle (the count a report's quorum agreed
    /// on) and the beacon facts contract (the count proven). A count below the recorded one changes
    /// nothing, so a proof that raised it is never contradicted by a report that lags behind it.
    /// @param operatorId The operator.
    /// @param exitedKeys Its exited validators in total (at most its deposited keys).
    function reportExitedKeys(uint256 operatorId, uint256 exitedKeys) external;

    /// @notice Records a beacon-chain fact proven about a key (a {KeyFacts} bit) and applies what it
    /// changes for the operator, in the call that reads the key's pubkey for the proof. ACCOUNTING_ROLE
    /// only (the beacon facts contract, which checks the proof and refuses a fact recorded before):
    /// - `EXITED`: one more proven exit; the exited count becomes at least the proven count (rewards
    ///   accrued first), and a late exit of the key is closed;
    /// - `LATE`: one more open late exit; new deposits are held while any is open;
    /// - `FOREIGN_CREDENTIALS`: the undeposited keys are frozen (vetted keys down to deposited keys).
    /// The bond cover is not recomputed here (no bond moved); `refreshOperator` does it for anyone.
    /// @param operatorId The operator.
    /// @param keyIndex The key's index.
    /// @param fact The fact's bit.
    /// @return pubkeyHead The key's BLS public key, bytes 0–31.
    /// @return pubkeyTail The key's BLS public key, bytes 32–47.
    /// @return deposited Whether the pool deposited the key.
    /// @return priorFacts The key's facts before this call (the caller refuses a repeated one).
    /// @return provenExitedKeys For `EXITED`, the operator's proven exited keys after this call; else 0.
    function recordKeyFact(
        uint256 operatorId,
        uint256 keyIndex,
        uint256 fact
    )
        external
        returns (bytes32 pubkeyHead, bytes16 pubkeyTail, bool deposited, uint256 priorFacts, uint256 provenExitedKeys);

    /// @notice Sends up to `shares` of the operator's bond to `recipient` (a late exit's fee refund and
    /// penalty). ACCOUNTING_ROLE only.
    /// @param operatorId The operator.
    /// @param shares The bond shares asked for.
    /// @param recipient Who receives them.
    /// @return taken The shares sent: `shares`, or the whole bond if smaller.
    function takeBondShares(uint256 operatorId, uint256 shares, address recipient) external returns (uint256 taken);

    /// @notice A key's public key and whether it has been deposited, without its signature (what exit
    /// requests and proofs need: two storage words instead of five).
    /// @param operatorId The operator.
    /// @param keyIndex The key's index.
    /// @return pubkey The 48-byte BLS public key.
    /// @return deposited Whether the key has been deposited.
    function getKeyPubkey(
        uint256 operatorId,
        uint256 keyIndex
    ) external view returns (bytes memory pubkey, bool deposited);

    /// @notice The public keys of up to `limit` consecutive keys of an operator from `offset`, in one
    /// call (what an oracle or a guardian reads for thousands of keys): fewer at the end of its keys,
    /// none when `offset` is its key count.
    /// @param operatorId The operator.
    /// @param offset The first key's index (at most the operator's key count).
    /// @param limit Keys at most: 1 to MAX_KEYS_PER_VIEW.
    /// @return keys The 48-byte BLS public keys, concatenated in index order.
    /// @return depositedKeys The operator's deposited keys (keys below this index are deposited).
    function pubkeys(
        uint256 operatorId,
        uint256 offset,
        uint256 limit
    ) external view returns (bytes memory keys, uint256 depositedKeys);

    /// @notice Whether new deposits to the operator are held (a late exit is open).
    /// @param operatorId The operator.
    /// @return True while held.
    function operatorDepositsHeld(uint256 operatorId) external view returns (bool);

    /// @notice The beacon-chain facts recorded for a key ({KeyFacts} bits; 0 for none or no such key).
    /// @param operatorId The operator.
    /// @param keyIndex The key's index.
    /// @return The fact bits.
    function keyFacts(uint256 operatorId, uint256 keyIndex) external view returns (uint256);

    /// @notice What beacon-state proofs recorded for an operator.
    /// @param operatorId The operator.
    /// @return provenExitedKeys Its exits proven.
    /// @return lateExits Its late exits proven and not yet followed by a proven exit.
    function operatorFacts(uint256 operatorId) external view returns (uint256 provenExitedKeys, uint256 lateExits);

    /// @notice Deposits the operator's next `count` vetted keys to the beacon deposit contract, 32 ETH
    /// each, with `withdrawalCredentials`; `msg.value` must be `count` × 32 ETH. Pool only.
    /// @dev Checks that the operator is at the lowest active-validator count among operators that can
    /// take a deposit, that it has the vetted keys, and that its bond covers them. Computes each
    /// deposit_data_root on chain (the deposit contract recomputes and compares it).
    /// @param operatorId The operator.
    /// @param count Keys to deposit.
    /// @param withdrawalCredentials The pool's withdrawal credentials.
    function depositKeys(uint256 operatorId, uint256 count, bytes32 withdrawalCredentials) external payable;

    /// @notice Burns up to `shares` of the operator's bond to cover its losses; the pool burns the
    /// same shares from the registry's balance in the same report. Requires ACCOUNTING_ROLE.
    /// @param operatorId The operator.
    /// @param shares Shares worth the loss at the report's pre-rebase rate.
    /// @return burned The shares burned: `shares`, or the whole bond if it is smaller.
    function burnBondShares(uint256 operatorId, uint256 shares) external returns (uint256 burned);

    /// @notice Books operators' fee shares (already minted to the registry) pro rata to each
    /// operator's active validators, in O(1): a cumulative per-validator index that every change of
    /// an operator's active validators checkpoints. Requires ACCOUNTING_ROLE.
    /// @dev With no active validator the shares are held back and added to the next distribution.
    /// @param shares The operators' fee shares of one report.
    function distributeOperatorRewards(uint256 shares) external;

    /// @notice Sends the operator's accrued fee shares to its reward address. Reward address only.
    /// @dev Pays the caller, so the shares cannot reach the pool, the wrapper, the withdrawal queue or
    /// the registry: none of them ever calls `claimOperatorRewards`.
    /// @param operatorId The operator.
    /// @return shares The shares sent.
    function claimOperatorRewards(uint256 operatorId) external returns (uint256 shares);

    // ──────────────────────────────── Views ────────────────────────────────

    /// @notice Fee shares the operator can claim now.
    /// @param operatorId The operator.
    /// @return shares The shares.
    function pendingOperatorRewards(uint256 operatorId) external view returns (uint256 shares);

    /// @notice Deposited and not exited validators across all operators.
    /// @return The count.
    function totalActiveValidators() external view returns (uint256);

    /// @notice The operator's state.
    /// @param operatorId The operator.
    /// @return The operator's state.
    function getNodeOperator(uint256 operatorId) external view returns (NodeOperatorView memory);

    /// @notice The number of operators ever admitted.
    /// @return The count (ids are 0 … count − 1).
    function getNodeOperatorsCount() external view returns (uint256);

    /// @notice A key and its signature, and whether it has been deposited.
    /// @param operatorId The operator.
    /// @param keyIndex The key's index.
    /// @return pubkey The 48-byte BLS public key.
    /// @return signature The 96-byte deposit signature.
    /// @return deposited Whether the key has been deposited.
    function getSigningKey(
        uint256 operatorId,
        uint256 keyIndex
    ) external view returns (bytes memory pubkey, bytes memory signature, bool deposited);

    /// @notice The nonce of the vetted, undeposited keys; guardians sign it. Changes on every vetting
    /// and every deposit.
    /// @return The nonce.
    function keysNonce() external view returns (uint256);

    /// @notice How many times the operator has uploaded or removed keys; `setVettedKeys` names it.
    /// @param operatorId The operator.
    /// @return The operator's keys nonce.
    function operatorKeysNonce(uint256 operatorId) external view returns (uint256);

    /// @notice How many keys the operator could take in one deposit now (0 if it is not next in line).
    /// @param operatorId The operator.
    /// @return The number of keys.
    function depositableKeys(uint256 operatorId) external view returns (uint256);

    /// @notice The lowest active-validator count among operators that can take a deposit.
    /// @return found False when no operator can take a deposit.
    /// @return activeValidators That count.
    function lowestActiveValidators() external view returns (bool found, uint256 activeValidators);

    /// @notice Bond required per active validator, in wei.
    /// @return The bond, in wei.
    function bondPerValidator() external view returns (uint256);
}
