// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Tidepool accounting oracle — the report that moves the share rate
/// @notice Once per frame a committee agrees on a {ReportData}; the call that brings it to the quorum
/// applies it: new validators and their balance, vault ETH into the buffer, fees on rewards, loss
/// tranches (operator bonds → insurance fund → everyone), exit requests (docs/protocol.md §4–§6).
/// @dev Trust assumptions:
/// 1. Fewer than `quorum` members are dishonest. Sanity limits bound what even a dishonest quorum
///    can do in one report: the CL reward rate, the CL drop without bunker mode, the positive rebase,
///    validators and vault amounts against on-chain facts.
/// 2. A quorum can still attribute losses to operators (burning their bonds) and request exits; both
///    are bounded per report and visible in events.
/// 3. Governance sets fees (hard cap 20%) and limits (hard caps below), and upgrades.
/// Rounding: burns for loss cover round up (the covering tranche pays the dust), fee shares round
/// down (holders keep the dust).
interface IAccountingOracle {
    // ──────────────────────────────── Types ────────────────────────────────

    /// @notice The report members agree on (docs/protocol.md §4, pinned).
    /// @param refSlot The frame's reference slot.
    /// @param numValidators Protocol validators ever seen on the beacon chain (exited ones included).
    /// @param clBalanceGwei Their total balance at the reference slot, in gwei.
    /// @param withdrawalVaultBalance ETH to move from the withdrawal vault into the buffer, in wei.
    /// @param elRewardsVaultBalance ETH to move from the execution-layer rewards vault, in wei.
    /// @param lastRequestIdToFinalize The last withdrawal request to finalize (0: none).
    /// @param isBunkerMode Whether a loss beyond normal penalties is being realised.
    /// @param operatorIdsWithLosses Operators with losses attributable to them, ascending.
    /// @param operatorLossesGwei Each one's loss, in gwei.
    /// @param exitOperatorIds Operators of the validators to exit.
    /// @param exitKeyIndices Their key indices in the registry.
    /// @param finalizationBatches Extension: the finalized range split where requests change side of the
    /// report's rate, as ascending last request ids of each batch, the last one equal to
    /// `lastRequestIdToFinalize` (empty: one batch). Each batch is locked at its exact payout — Σ ETH
    /// requested if all its requests are paid nominal, ⌊Σ shares × rate⌋ if all are paid by shares
    /// — so nothing is locked beyond what the claims will pay (at most `MAX_FINALIZATION_BATCHES`).
    /// @param exitedKeys Extension: operators whose count of exited validators grew, each entry
    /// `operatorId << 128 | exitedKeys` (the operator's total), operator ids strictly ascending.
    /// @param keyLosses Extension: for each validator with a loss to charge, `operatorId << 192 |
    /// keyIndex << 64 | lossGwei` with `lossGwei` its loss to date (32 ETH less its balance, or all
    /// 32 ETH for a deposit that went to foreign withdrawal credentials), ascending by (operator, key).
    /// The oracle keeps what each key was charged; a key is charged only what it still owes, and
    /// `operatorLossesGwei` must be exactly each operator's sum of what its keys owe.
    struct ReportData {
        uint256 refSlot;
        uint256 numValidators;
        uint256 clBalanceGwei;
        uint256 withdrawalVaultBalance;
        uint256 elRewardsVaultBalance;
        uint256 lastRequestIdToFinalize;
        bool isBunkerMode;
        uint256[] operatorIdsWithLosses;
        uint256[] operatorLossesGwei;
        uint256[] exitOperatorIds;
        uint256[] exitKeyIndices;
        uint256[] finalizationBatches;
        uint256[] exitedKeys;
        uint256[] keyLosses;
    }

    /// @notice Per-report sanity limits, each with a hard cap (see the `MAX_…` constants).
    /// @param annualAprLimitBP Consensus-layer rewards, annualised over the time since the last
    /// report, at most this share of the CL stake, in basis points (default 1000 = 10%).
    /// @param clBalanceDropLimitBP One-off CL balance drop at most this share of the CL stake, in
    /// basis points, whatever the report declares (default 500 = 5%); only proven slashings
    /// (`IBeaconFacts`) stretch it.
    /// @param maxPositiveRebasePPB Positive rebase per report at most this share of totalPooledEther,
    /// in parts per billion (default 750,000 = 0.075%); vault ETH beyond it stays for later reports.
    /// @param maxExitRequestsPerReport Exit requests per report, at most.
    /// @param maxOperatorsWithLossesPerReport Operators with attributed losses per report, at most.
    struct SanityLimits {
        uint16 annualAprLimitBP;
        uint16 clBalanceDropLimitBP;
        uint32 maxPositiveRebasePPB;
        uint16 maxExitRequestsPerReport;
        uint16 maxOperatorsWithLossesPerReport;
    }

    /// @notice The protocol fee on positive rewards, per recipient, in basis points of the rewards.
    /// @param treasury Receives the treasury part.
    /// @param treasuryFeeBP The treasury's part.
    /// @param operatorsFeeBP The operators' part, claimed pro rata to active validators.
    /// @param insuranceFeeBP The insurance fund's part.
    struct FeeConfig {
        address treasury;
        uint16 treasuryFeeBP;
        uint16 operatorsFeeBP;
        uint16 insuranceFeeBP;
    }

    /// @notice The last applied report, for integrators deriving the APR (two storage words).
    /// @param preTotalEther totalPooledEther just before it, in wei.
    /// @param postTotalEther totalPooledEther just after it, in wei.
    /// @param refSlot Its reference slot (its time is genesisTime + 12 s × refSlot).
    /// @param preTotalShares totalShares just before it.
    /// @param postTotalShares totalShares just after it.
    /// @param timeElapsedSeconds Seconds between its reference slot and the previous report's.
    /// @param bunkerMode Whether it declared bunker mode.
    struct ReportRecord {
        uint96 preTotalEther;
        uint96 postTotalEther;
        uint64 refSlot;
        uint96 preTotalShares;
        uint96 postTotalShares;
        uint32 timeElapsedSeconds;
        bool bunkerMode;
    }

    // ──────────────────────────────── Errors ────────────────────────────────

    /// @notice `numValidators` is below the last report's.
    error NumValidatorsDecreased(uint256 reported, uint256 previous);
    /// @notice `numValidators` exceeds the validators ever deposited.
    error NumValidatorsExceedDeposited(uint256 reported, uint256 deposited);
    /// @notice A vault amount exceeds the vault's balance.
    error VaultAmountExceedsBalance(address vault, uint256 amount, uint256 balance);
    /// @notice Consensus-layer rewards above the annualised limit.
    /// @param aprBP The report's annualised CL reward rate, in basis points.
    /// @param limitBP `annualAprLimitBP`.
    error AnnualAprLimitExceeded(uint256 aprBP, uint256 limitBP);
    /// @notice A CL balance drop above the limit beyond what proven slashings explain.
    /// @param excessGwei The drop above the one-off limit, in gwei (rounded up).
    /// @param creditGwei The proven slashings' credit available to the report, in gwei.
    error ClBalanceDropExceedsProvenSlashings(uint256 excessGwei, uint256 creditGwei);
    /// @notice A CL balance drop above the one-off limit, and no proven slashing to explain it
    /// (declaring bunker mode does not lift the limit).
    /// @param dropBP The drop, in basis points of the CL stake (rounded up).
    /// @param limitBP `clBalanceDropLimitBP`.
    error ClBalanceDropLimitExceeded(uint256 dropBP, uint256 limitBP);
    /// @notice Too many exit requests in one report.
    error TooManyExitRequests(uint256 count, uint256 max);
    /// @notice Too many operators with losses in one report.
    error TooManyOperatorsWithLosses(uint256 count, uint256 max);
    /// @notice Two parallel arrays of the report differ in length.
    /// @param arrays Which pair ("operatorLosses" or "exits").
    error ReportArrayLengthMismatch(string arrays, uint256 length, uint256 otherLength);
    /// @notice `operatorIdsWithLosses` must be strictly ascending (no operator twice).
    error OperatorIdsNotAscending(uint256 index, uint256 operatorId);
    /// @notice An attributed loss of zero.
    error ZeroOperatorLoss(uint256 operatorId);
    /// @notice An exit request for a key that was never deposited.
    error ExitKeyNotDeposited(uint256 operatorId, uint256 keyIndex);
    /// @notice A bunker-mode report may not finalize withdrawals: requests made before or during the
    /// loss wait until a report says it is fully realised.
    /// @param lastRequestIdToFinalize The request the report named.
    error FinalizationInBunkerMode(uint256 lastRequestIdToFinalize);
    /// @notice More exits were requested than the queue's demand needs: the ETH of requests still
    /// unfinalized after the report, in 32 ETH validators (rounded up).
    /// @param count Exit requests in the report.
    /// @param maxCount Exits the demand justifies.
    error ExitRequestsExceedDemand(uint256 count, uint256 maxCount);
    /// @notice `finalizationBatches` does not end at `lastRequestIdToFinalize` (a batch ending at 0 is
    /// refused by the queue, `InvalidRequestIdToFinalize`).
    /// @param lastBatchEnd The last batch's end (0: no batches).
    /// @param lastRequestIdToFinalize The request the report named.
    error FinalizationBatchesMismatch(uint256 lastBatchEnd, uint256 lastRequestIdToFinalize);
    /// @notice More finalization batches than `MAX_FINALIZATION_BATCHES`.
    error TooManyFinalizationBatches(uint256 count, uint256 max);
    /// @notice `exitedKeys` entries must name strictly ascending operators.
    /// @param index The entry out of order.
    /// @param operatorId Its operator.
    error ExitedKeysNotAscending(uint256 index, uint256 operatorId);
    /// @notice `keyLosses` entries must be strictly ascending by (operator, key).
    /// @param index The entry out of order.
    error KeyLossesNotAscending(uint256 index);
    /// @notice A `keyLosses` entry names a key that was never deposited.
    error LossKeyNotDeposited(uint256 operatorId, uint256 keyIndex);
    /// @notice A key's loss to date above the 32 ETH it was deposited with.
    /// @param lossGwei The loss reported, in gwei.
    error KeyLossTooLarge(uint256 operatorId, uint256 keyIndex, uint256 lossGwei);
    /// @notice `operatorLossesGwei` is not what the operator's keys owe according to `keyLosses`.
    /// @param operatorId The operator (the first one that differs).
    /// @param reportedGwei The loss the report attributes to it, in gwei (0: not listed).
    /// @param owedGwei What its keys owe, in gwei (0: none listed).
    error OperatorLossMismatch(uint256 operatorId, uint256 reportedGwei, uint256 owedGwei);
    /// @notice The report's calldata is not the canonical ABI encoding of `ReportData` (members vote on
    /// keccak256(abi.encode(data)), hashed from the calldata; any ABI encoder produces the canonical form).
    error NonCanonicalReportEncoding();
    /// @notice A sanity limit outside its bounds.
    /// @param limit The limit's name.
    /// @param value The value given.
    /// @param min Its lowest allowed value.
    /// @param max Its hard cap.
    error SanityLimitOutOfRange(string limit, uint256 value, uint256 min, uint256 max);
    /// @notice The fees sum above `MAX_FEE_BP`.
    error FeeTooHigh(uint256 feeBP, uint256 maxFeeBP);
    /// @notice An address argument is zero.
    error ZeroAddress(string argument);

    // ──────────────────────────────── Events ────────────────────────────────

    /// @notice A report was applied (docs/protocol.md §4, pinned).
    /// @param refSlot The frame's reference slot.
    /// @param preTotalEther totalPooledEther before, in wei.
    /// @param postTotalEther totalPooledEther after, in wei.
    /// @param preTotalShares totalShares before.
    /// @param postTotalShares totalShares after.
    /// @param sharesMintedAsFees Fee shares minted (treasury, operators, insurance fund).
    event ReportApplied(
        uint256 indexed refSlot,
        uint256 preTotalEther,
        uint256 postTotalEther,
        uint256 preTotalShares,
        uint256 postTotalShares,
        uint256 sharesMintedAsFees
    );
    /// @notice Tranche 1: an operator's bond covered (part of) the loss attributed to it.
    /// @param operatorId The operator.
    /// @param lossWei The loss attributed, in wei.
    /// @param coveredWei The part its bond covered, in wei (at the pre-report rate).
    /// @param sharesBurned Bond shares burned.
    event OperatorLossCovered(uint256 indexed operatorId, uint256 lossWei, uint256 coveredWei, uint256 sharesBurned);
    /// @notice Tranche 2: the insurance fund covered (part of) the loss the bonds did not.
    /// @param coveredWei The part covered, in wei (at the pre-report rate).
    /// @param sharesBurned Insurance fund shares burned.
    event InsuranceLossCovered(uint256 coveredWei, uint256 sharesBurned);
    /// @notice Tranche 3: the loss neither bonds nor the fund covered lowered the share rate.
    /// @param amountWei The loss borne by all holders, in wei.
    event LossSocialized(uint256 amountWei);
    /// @notice A validator's loss to date was charged to its operator's bond.
    /// @param operatorId The operator.
    /// @param keyIndex The key's index in the registry.
    /// @param lossToDateGwei The key's loss to date (what it has now been charged in all), in gwei.
    /// @param chargedGwei What this report charged for it, in gwei.
    event KeyLossCharged(
        uint256 indexed operatorId,
        uint256 indexed keyIndex,
        uint256 lossToDateGwei,
        uint256 chargedGwei
    );
    /// @notice Smoothing: vault ETH the positive-rebase limit left in the vaults for later reports.
    /// @param withdrawalVaultWei Left in the withdrawal vault, in wei.
    /// @param elRewardsVaultWei Left in the execution-layer rewards vault, in wei.
    event VaultEtherDeferred(uint256 withdrawalVaultWei, uint256 elRewardsVaultWei);
    /// @notice A report's exit requests were recorded: a late-exit proof shows a key under `root`.
    /// @param root The Merkle root over `keccak256(abi.encode(operatorId, keyIndex))` of each request,
    /// in the report's order, sorted-pair keccak (OpenZeppelin `MerkleProof`).
    /// @param count The number of requests.
    event ExitRequestsRecorded(bytes32 indexed root, uint256 count);
    /// @notice The operator must exit this validator (docs/protocol.md §4, pinned).
    /// @param operatorId The operator.
    /// @param keyIndex The key's index in the registry.
    /// @param pubkey The validator's 48-byte public key.
    event ValidatorExitRequested(uint256 indexed operatorId, uint256 indexed keyIndex, bytes pubkey);
    /// @notice The fee configuration changed.
    /// @param treasuryFeeBP The treasury's part, in basis points of rewards.
    /// @param operatorsFeeBP The operators' part, in basis points of rewards.
    /// @param insuranceFeeBP The insurance fund's part, in basis points of rewards.
    event FeesSet(uint256 treasuryFeeBP, uint256 operatorsFeeBP, uint256 insuranceFeeBP);
    /// @notice The treasury changed.
    /// @param treasury The new treasury.
    event TreasurySet(address treasury);
    /// @notice The sanity limits changed.
    /// @param limits The new limits.
    event SanityLimitsSet(SanityLimits limits);
    /// @notice Reports were paused or resumed.
    /// @param account Who did it.
    /// @param paused Whether reports are now paused.
    event ReportsPausedSet(address indexed account, bool paused);

    // ──────────────────────────────── Functions ────────────────────────────────

    /// @notice Votes for `data` in the current frame; the vote that reaches the quorum applies it.
    /// @dev Consensus is on keccak256(abi.encode(data)). Reverts by name for non-members, other
    /// frames, late or repeated frames, paused reports, and any broken sanity limit.
    /// @param data The report.
    function submitReport(ReportData calldata data) external;

    /// @notice The protocol fee in total, in basis points of rewards (default 1000).
    /// @return The sum of the three parts.
    function feeBP() external view returns (uint256);

    /// @notice The fee configuration.
    /// @return The configuration.
    function getFeeConfig() external view returns (FeeConfig memory);

    /// @notice The sanity limits.
    /// @return The limits.
    function getSanityLimits() external view returns (SanityLimits memory);

    /// @notice The last applied report's totals and time.
    /// @return The record (all zero but `refSlot` before the first report).
    function getLastReport() external view returns (ReportRecord memory);

    /// @notice The last report's rebase, annualised: (post rate / pre rate − 1) × year / elapsed.
    /// @return aprBP In basis points; negative after a loss; 0 before the first report.
    function lastReportAprBP() external view returns (int256 aprBP);

    /// @notice What a validator's losses have been charged to its operator so far (the most any report
    /// named as its loss to date).
    /// @param operatorId The operator.
    /// @param keyIndex The key's index in the registry.
    /// @return The loss charged, in gwei.
    function keyLossChargedGwei(uint256 operatorId, uint256 keyIndex) external view returns (uint256);

    /// @notice When a report recorded exit requests under `requestsRoot` (the late-exit deadline
    /// counts from it).
    /// @param requestsRoot A root from `ExitRequestsRecorded`.
    /// @return The block time the first report with these requests was applied, in seconds (0 if unknown).
    function exitRequestsAppliedAt(bytes32 requestsRoot) external view returns (uint256);

    /// @notice Whether the last report declared bunker mode.
    /// @return True in bunker mode.
    function isBunkerModeActive() external view returns (bool);
}
