// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IAccountingOracle} from "../interfaces/IAccountingOracle.sol";
import {IStakingPool} from "../interfaces/IStakingPool.sol";
import {INodeOperatorRegistry} from "../interfaces/INodeOperatorRegistry.sol";
import {IWithdrawalQueue} from "../interfaces/IWithdrawalQueue.sol";
import {IBeaconFacts} from "../interfaces/IBeaconFacts.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {GovernedUpgradeable} from "../governance/GovernedUpgradeable.sol";
import {OracleCommittee} from "./OracleCommittee.sol";

/// @title AccountingOracle — the committee's report, checked and applied
/// @notice See {IAccountingOracle} and {OracleCommittee}. Accounting on a report (docs/protocol.md §4–§5):
///
///     preCL    = last CL balance + 32 ETH × new validators
///     rewards  = clBalance + withdrawal-vault ETH + EL-vault ETH − preCL       (signed)
///     covered  = Σ bond burns for losses attributed to operators            (tranche 1)
///     result   = rewards + covered                                          (signed)
///
/// A positive result is charged `feeBP` (fee shares minted so that the recipients' new shares are
/// worth exactly their part of it); a negative one is covered by the insurance fund (tranche 2), and
/// what is left lowers the share rate (tranche 3). All burns are priced at the pre-report rate.
/// @dev The pool applies the result ({IStakingPool.applyReport}) and computes its new
/// totalPooledEther itself; this contract decides which protocol-held shares are burned or minted.
/// Gas does not depend on the number of operators or holders: operators' fees are one index step in
/// the registry, claimed later by each operator.
contract AccountingOracle is IAccountingOracle, OracleCommittee, GovernedUpgradeable {
    using SafeCast for uint256;

    // ──────────────────────────────── Constants ────────────────────────────────

    /// @notice May set the fee split and the treasury.
    bytes32 public constant FEE_MANAGER_ROLE = keccak256("FEE_MANAGER_ROLE");
    /// @notice May set the sanity limits.
    bytes32 public constant SANITY_LIMITS_ROLE = keccak256("SANITY_LIMITS_ROLE");
    /// @notice May pause reports.
    bytes32 public constant PAUSE_ROLE = keccak256("PAUSE_ROLE");
    /// @notice May resume reports (governance).
    bytes32 public constant RESUME_ROLE = keccak256("RESUME_ROLE");

    /// @notice Hard cap on the total fee, in basis points of rewards (docs/protocol.md §5).
    uint256 public constant MAX_FEE_BP = 20_00;
    /// @notice Hard cap on `annualAprLimitBP`.
    uint256 public constant MAX_ANNUAL_APR_LIMIT_BP = 50_00;
    /// @notice Hard cap on `clBalanceDropLimitBP`.
    uint256 public constant MAX_CL_BALANCE_DROP_LIMIT_BP = 50_00;
    /// @notice Hard cap on `maxPositiveRebasePPB`: 0.09%, below the pool's lowest possible instant
    /// redemption fee (0.1%), so staking before a report and redeeming after it never pays.
    uint256 public constant MAX_POSITIVE_REBASE_PPB_CAP = 900_000;
    /// @notice Hard cap on `maxExitRequestsPerReport`: a report with that many exit requests still fits
    /// comfortably in a block.
    /// @dev Each request reads its pubkey from the registry (`getKeyPubkey`, two key words), logs it and
    /// hashes it into the report's exit-request tree: 13,440 gas per request measured
    /// (`report.quorum.exitRequest.marginal` in `npm run bench`, every request another operator's cold
    /// key, the tree's one storage write spread over 100 requests), on top of a report of at most
    /// 200,000. A report at the cap measures 8,082,958 gas (`report.quorum.exitRequestsAtCap`): 22% of a
    /// 36M-gas block and 48% of the 2^24-gas limit per transaction (EIP-7825). The bench keeps the
    /// marginal within 21,100, which a third of a 36M-gas block allows for 559 requests (docs/oracle.md).
    uint256 public constant MAX_EXIT_REQUESTS_CAP = 600;
    /// @notice Hard cap on `maxOperatorsWithLossesPerReport`.
    uint256 public constant MAX_OPERATORS_WITH_LOSSES_CAP = 1_000;
    /// @notice Finalization batches per report, at most (each writes one checkpoint).
    uint256 public constant MAX_FINALIZATION_BATCHES = 32;

    uint256 internal constant TOTAL_BASIS_POINTS = 100_00;
    uint256 internal constant PPB = 1e9;
    uint256 internal constant DEPOSIT_SIZE = 32 ether;
    uint256 internal constant DEPOSIT_SIZE_GWEI = 32e9;
    uint256 internal constant SECONDS_PER_YEAR = 365 days;

    // keccak256(abi.encode(uint256(keccak256("tidepool.storage.AccountingOracle")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xe0e340c30060680426f2269c931c1df4f04f0fb722b169079d42284bd280ac00;

    // ──────────────────────────────── Storage ────────────────────────────────

    /// @custom:storage-location erc7201:tidepool.storage.AccountingOracle
    struct AccountingStorage {
        FeeConfig fees;
        SanityLimits limits;
        ReportRecord last;
        mapping(uint256 key => uint256) keyLossChargedGwei; // key: operatorId << 128 | keyIndex
        mapping(bytes32 requestsRoot => uint256) exitRequestsAppliedAt; // block time of the report
    }

    /// @dev The pool's figures before a report, read once.
    struct PoolState {
        uint256 totalEther;
        uint256 totalShares;
        uint256 depositedValidators;
        uint256 clValidators;
        uint256 clBalance;
    }

    /// @dev What a report does, computed before anything is applied.
    struct Outcome {
        uint256 withdrawalVaultWei;
        uint256 elRewardsVaultWei;
        uint256 bondSharesBurned;
        uint256 insuranceSharesBurned;
        uint256 treasuryShares;
        uint256 operatorsShares;
        uint256 insuranceShares;
    }

    // ──────────────────────────────── Immutables ────────────────────────────────

    /// @notice The staking pool (tpETH).
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    IStakingPool public immutable POOL;
    /// @notice The node operator registry (bonds, operators' fees, keys to exit).
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    INodeOperatorRegistry public immutable REGISTRY;
    /// @notice The withdrawal vault.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable WITHDRAWAL_VAULT;
    /// @notice The execution-layer rewards vault.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable EL_REWARDS_VAULT;
    /// @notice The insurance fund.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable INSURANCE_FUND;
    /// @notice The withdrawal queue, finalized by reports.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    IWithdrawalQueue public immutable WITHDRAWAL_QUEUE;
    /// @notice The beacon facts contract: proven slashings' credit for drops beyond the one-off limit.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    IBeaconFacts public immutable BEACON_FACTS;

    // ──────────────────────────────── Construction ────────────────────────────────

    /// @param pool The staking pool proxy.
    /// @param registry The node operator registry proxy.
    /// @param withdrawalVault The withdrawal vault.
    /// @param elRewardsVault The execution-layer rewards vault.
    /// @param insuranceFund The insurance fund.
    /// @param withdrawalQueue The withdrawal queue.
    /// @param beaconFacts The beacon facts contract.
    /// @param secondsPerSlot Seconds per beacon slot: 12 on mainnet and testnets, shorter on devnets.
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(
        IStakingPool pool,
        INodeOperatorRegistry registry,
        address withdrawalVault,
        address elRewardsVault,
        address insuranceFund,
        IWithdrawalQueue withdrawalQueue,
        IBeaconFacts beaconFacts,
        uint256 secondsPerSlot
    ) OracleCommittee(secondsPerSlot) {
        BEACON_FACTS = beaconFacts;
        POOL = pool;
        REGISTRY = registry;
        WITHDRAWAL_VAULT = withdrawalVault;
        EL_REWARDS_VAULT = elRewardsVault;
        INSURANCE_FUND = insuranceFund;
        WITHDRAWAL_QUEUE = withdrawalQueue;
        _disableInitializers();
    }

    /// @notice Initialises the proxy with the default fees (treasury 5%, operators 4%, insurance 1%)
    /// and limits. The admin also gets the member, fee, limit and resume roles.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (governance).
    /// @param treasury Receives the treasury's fee shares.
    /// @param genesisTime Unix time of the beacon chain's slot 0.
    /// @param epochsPerFrame Epochs per frame (225: one day).
    /// @param deadlineSlots Slots after the reference slot in which the report is accepted.
    /// @param members The committee.
    /// @param quorum Votes needed (more than half the members).
    function initialize(
        address admin,
        address treasury,
        uint256 genesisTime,
        uint256 epochsPerFrame,
        uint256 deadlineSlots,
        address[] calldata members,
        uint256 quorum
    ) external initializer {
        if (admin == address(0)) revert ZeroAddress("admin");
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MANAGE_MEMBERS_ROLE, admin);
        _grantRole(FEE_MANAGER_ROLE, admin);
        _grantRole(SANITY_LIMITS_ROLE, admin);
        _grantRole(RESUME_ROLE, admin);
        __OracleCommittee_init(genesisTime, epochsPerFrame, deadlineSlots);
        for (uint256 i = 0; i < members.length; ++i) {
            _addMember(members[i], i + 1); // unanimity while the committee fills up
        }
        _setQuorum(quorum); // then the quorum asked for, checked against the whole committee

        AccountingStorage storage $ = _storage();
        _setTreasury($, treasury);
        _setFees($, 500, 400, 100);
        _setSanityLimits(
            $,
            SanityLimits({
                annualAprLimitBP: 10_00,
                clBalanceDropLimitBP: 5_00,
                maxPositiveRebasePPB: 750_000,
                maxExitRequestsPerReport: 600,
                maxOperatorsWithLossesPerReport: 50
            })
        );
        // The first report's rewards are annualised from the frame the oracle was deployed in.
        (bool hasFrame, uint256 refSlot) = _currentRefSlotIfAny();
        if (hasFrame) $.last.refSlot = uint64(refSlot);
    }

    // ──────────────────────────────── Reports ────────────────────────────────

    /// @inheritdoc IAccountingOracle
    function submitReport(ReportData calldata data) external {
        if (_vote(data.refSlot, _reportHash())) _applyReport(data);
    }

    // ──────────────────────────────── Governance ────────────────────────────────

    /// @notice Sets the fee split, in basis points of rewards (sum ≤ MAX_FEE_BP). FEE_MANAGER_ROLE.
    /// @param treasuryFeeBP The treasury's part.
    /// @param operatorsFeeBP The operators' part.
    /// @param insuranceFeeBP The insurance fund's part.
    function setFees(
        uint256 treasuryFeeBP,
        uint256 operatorsFeeBP,
        uint256 insuranceFeeBP
    ) external onlyRole(FEE_MANAGER_ROLE) {
        _setFees(_storage(), treasuryFeeBP, operatorsFeeBP, insuranceFeeBP);
    }

    /// @notice Sets the treasury. FEE_MANAGER_ROLE.
    /// @param treasury The new treasury (not zero).
    function setTreasury(address treasury) external onlyRole(FEE_MANAGER_ROLE) {
        _setTreasury(_storage(), treasury);
    }

    /// @notice Sets the sanity limits, each within its hard cap. SANITY_LIMITS_ROLE.
    /// @param limits The new limits.
    function setSanityLimits(SanityLimits calldata limits) external onlyRole(SANITY_LIMITS_ROLE) {
        _setSanityLimits(_storage(), limits);
    }

    /// @notice Pauses reports. PAUSE_ROLE.
    function pauseReports() external onlyRole(PAUSE_ROLE) {
        _setPaused(true);
        emit ReportsPausedSet(msg.sender, true);
    }

    /// @notice Resumes reports. RESUME_ROLE (governance).
    function resumeReports() external onlyRole(RESUME_ROLE) {
        _setPaused(false);
        emit ReportsPausedSet(msg.sender, false);
    }

    // ──────────────────────────────── Views ────────────────────────────────

    /// @inheritdoc IAccountingOracle
    function feeBP() external view returns (uint256) {
        FeeConfig memory f = _storage().fees;
        return uint256(f.treasuryFeeBP) + f.operatorsFeeBP + f.insuranceFeeBP;
    }

    /// @inheritdoc IAccountingOracle
    function getFeeConfig() external view returns (FeeConfig memory) {
        return _storage().fees;
    }

    /// @inheritdoc IAccountingOracle
    function getSanityLimits() external view returns (SanityLimits memory) {
        return _storage().limits;
    }

    /// @inheritdoc IAccountingOracle
    function getLastReport() external view returns (ReportRecord memory) {
        return _storage().last;
    }

    /// @inheritdoc IAccountingOracle
    function lastReportAprBP() external view returns (int256 aprBP) {
        ReportRecord memory r = _storage().last;
        if (r.timeElapsedSeconds == 0 || r.preTotalShares == 0) return 0;
        // (post/postShares) / (pre/preShares) − 1 = (post × preShares − pre × postShares) / (pre × postShares)
        int256 numerator =
            int256(uint256(r.postTotalEther) * r.preTotalShares) - int256(uint256(r.preTotalEther) * r.postTotalShares);
        int256 denominator = int256(uint256(r.preTotalEther) * r.postTotalShares);
        return
            (numerator * int256(TOTAL_BASIS_POINTS * SECONDS_PER_YEAR)) /
            (denominator * int256(uint256(r.timeElapsedSeconds)));
    }

    /// @inheritdoc IAccountingOracle
    function keyLossChargedGwei(uint256 operatorId, uint256 keyIndex) external view returns (uint256) {
        return _storage().keyLossChargedGwei[(operatorId << 128) | keyIndex];
    }

    /// @inheritdoc IAccountingOracle
    function exitRequestsAppliedAt(bytes32 requestsRoot) external view returns (uint256) {
        return _storage().exitRequestsAppliedAt[requestsRoot];
    }

    /// @inheritdoc IAccountingOracle
    function isBunkerModeActive() external view returns (bool) {
        return _storage().last.bunkerMode;
    }

    /// @notice Whether reports are paused.
    /// @return True while paused.
    function reportsPaused() external view returns (bool) {
        return _paused();
    }

    // ──────────────────────────────── Internal: applying a report ────────────────────────────────

    /// @dev keccak256(abi.encode(data)) of `submitReport(data)`, hashed straight from the calldata (what
    /// `abi.encode` would copy into memory first, at a cost that grows with every array of the report).
    /// The two are the same bytes exactly when the calldata is the canonical encoding, which is checked:
    /// the struct's offset is 0x20, `isBunkerMode` is 0 or 1, each of the 7 arrays starts right after
    /// the one before it (the first after the 14-word head), and nothing follows the last.
    function _reportHash() private pure returns (bytes32 hash) {
        bool canonical;
        assembly ("memory-safe") {
            let base := 0x24 // the struct, after the selector and its offset word
            canonical := and(eq(calldataload(4), 0x20), lt(calldataload(add(base, 0xc0)), 2))
            let expected := 0x1c0 // 14 head words: 7 values and 7 array offsets
            for {
                let i := 0
            } lt(i, 7) {
                i := add(i, 1)
            } {
                let length := calldataload(add(base, expected))
                canonical := and(canonical, eq(calldataload(add(base, add(0xe0, shl(5, i)))), expected))
                canonical := and(canonical, lt(length, 0x100000000)) // so the sum below cannot wrap
                expected := add(expected, shl(5, add(length, 1)))
            }
            canonical := and(canonical, eq(calldatasize(), add(base, expected)))
            let ptr := mload(0x40)
            calldatacopy(ptr, 4, sub(calldatasize(), 4))
            hash := keccak256(ptr, sub(calldatasize(), 4))
        }
        if (!canonical) revert NonCanonicalReportEncoding();
    }

    /// @dev Checks the report, computes its outcome (tranches, smoothing, fees), then commits it.
    function _applyReport(ReportData calldata data) private {
        AccountingStorage storage $ = _storage();
        SanityLimits memory limits = $.limits;
        _checkShape(data, limits);

        PoolState memory pool = _poolState();
        uint256 clBalance = data.clBalanceGwei * 1 gwei;
        uint256 preCL = _checkValidatorsAndVaults(data, pool);
        // Saturating: a frame-configuration change can move reference slots below the baseline.
        uint256 elapsed = Math.saturatingSub(data.refSlot, $.last.refSlot) * SECONDS_PER_SLOT;
        _checkClChange(clBalance + data.withdrawalVaultBalance, preCL, elapsed, data.refSlot, limits);

        Outcome memory out;
        _chargeKeyLosses($, data);
        // Tranche 1: bonds of the operators the losses are attributed to.
        uint256 coveredWei;
        (coveredWei, out.bondSharesBurned) = _burnBonds(data, pool);

        // Smoothing: vault ETH only up to the positive-rebase limit; the rest waits in the vaults. The
        // room moves with the live TVL, but nothing done after the reference slot can make the report
        // revert through it: only an instant redemption lowers the TVL, and one is possible only while
        // the buffer alone covers every unfinalized request (see StakingPool's reserve), so never when
        // finalization needs vault ETH.
        uint256 credit = clBalance + coveredWei;
        _takeVaultEther(
            data,
            out,
            Math.saturatingSub(preCL + (pool.totalEther * limits.maxPositiveRebasePPB) / PPB, credit)
        );
        credit += out.withdrawalVaultWei + out.elRewardsVaultWei;

        // The pool's new totalPooledEther is preTotal + rewards (it computes the same itself).
        uint256 postTotalEther = pool.totalEther + credit - coveredWei - preCL;
        if (credit >= preCL) {
            _mintFees($, out, pool, credit - preCL, postTotalEther);
        } else {
            out.insuranceSharesBurned = _coverWithInsurance(pool, preCL - credit);
        }
        if (data.isBunkerMode && data.lastRequestIdToFinalize != 0) {
            revert FinalizationInBunkerMode(data.lastRequestIdToFinalize);
        }
        _commit($, data, out, pool, elapsed);
    }

    /// @dev Takes vault ETH up to `room` (withdrawal vault first), leaving the rest for later reports.
    function _takeVaultEther(ReportData calldata data, Outcome memory out, uint256 room) private {
        out.withdrawalVaultWei = Math.min(data.withdrawalVaultBalance, room);
        out.elRewardsVaultWei = Math.min(data.elRewardsVaultBalance, room - out.withdrawalVaultWei);
        if (
            out.withdrawalVaultWei < data.withdrawalVaultBalance || out.elRewardsVaultWei < data.elRewardsVaultBalance
        ) {
            emit VaultEtherDeferred(
                data.withdrawalVaultBalance - out.withdrawalVaultWei,
                data.elRewardsVaultBalance - out.elRewardsVaultWei
            );
        }
    }

    /// @dev Applies the outcome to the pool, books operators' fees, requests exits, records history.
    function _commit(
        AccountingStorage storage $,
        ReportData calldata data,
        Outcome memory out,
        PoolState memory pool,
        uint256 elapsed
    ) private {
        (uint256 postTotalEther, uint256 postTotalShares) = POOL.applyReport(
            IStakingPool.ReportUpdate({
                clValidators: data.numValidators,
                clBalanceWei: data.clBalanceGwei * 1 gwei,
                withdrawalVaultWei: out.withdrawalVaultWei,
                elRewardsVaultWei: out.elRewardsVaultWei,
                bondSharesToBurn: out.bondSharesBurned,
                insuranceSharesToBurn: out.insuranceSharesBurned,
                treasury: $.fees.treasury,
                treasuryFeeShares: out.treasuryShares,
                operatorsFeeShares: out.operatorsShares,
                insuranceFeeShares: out.insuranceShares,
                bunkerMode: data.isBunkerMode,
                finalizationBatchEnds: _batchEnds(data),
                refSlotTimestamp: _slotTimestamp(data.refSlot)
            })
        );
        if (out.operatorsShares != 0) REGISTRY.distributeOperatorRewards(out.operatorsShares);
        _reportExitedKeys(data);
        _requestExits(data);

        // uint96 holds 79 billion ETH: far beyond any possible total.
        $.last = ReportRecord({
            preTotalEther: pool.totalEther.toUint96(),
            postTotalEther: postTotalEther.toUint96(),
            refSlot: uint64(data.refSlot),
            preTotalShares: pool.totalShares.toUint96(),
            postTotalShares: postTotalShares.toUint96(),
            timeElapsedSeconds: uint32(Math.min(elapsed, type(uint32).max)),
            bunkerMode: data.isBunkerMode
        });
        emit ReportApplied(
            data.refSlot,
            pool.totalEther,
            postTotalEther,
            pool.totalShares,
            postTotalShares,
            out.treasuryShares + out.operatorsShares + out.insuranceShares
        );
    }

    /// @dev Array shapes and per-report counts.
    function _checkShape(ReportData calldata data, SanityLimits memory limits) private pure {
        uint256 losses = data.operatorIdsWithLosses.length;
        if (data.operatorLossesGwei.length != losses) {
            revert ReportArrayLengthMismatch("operatorLosses", losses, data.operatorLossesGwei.length);
        }
        if (losses > limits.maxOperatorsWithLossesPerReport) {
            revert TooManyOperatorsWithLosses(losses, limits.maxOperatorsWithLossesPerReport);
        }
        uint256 exits = data.exitOperatorIds.length;
        if (data.exitKeyIndices.length != exits) {
            revert ReportArrayLengthMismatch("exits", exits, data.exitKeyIndices.length);
        }
        if (exits > limits.maxExitRequestsPerReport) revert TooManyExitRequests(exits, limits.maxExitRequestsPerReport);
        uint256 batches = data.finalizationBatches.length;
        if (batches > MAX_FINALIZATION_BATCHES) revert TooManyFinalizationBatches(batches, MAX_FINALIZATION_BATCHES);
        uint256 lastBatchEnd = batches == 0 ? 0 : data.finalizationBatches[batches - 1];
        if (batches != 0 && lastBatchEnd != data.lastRequestIdToFinalize) {
            revert FinalizationBatchesMismatch(lastBatchEnd, data.lastRequestIdToFinalize);
        }
    }

    /// @dev The batches the queue locks one by one: the report's, or the whole range as one.
    function _batchEnds(ReportData calldata data) private pure returns (uint256[] memory ends) {
        if (data.finalizationBatches.length != 0) return data.finalizationBatches;
        if (data.lastRequestIdToFinalize == 0) return ends;
        ends = new uint256[](1);
        ends[0] = data.lastRequestIdToFinalize;
    }

    function _poolState() private view returns (PoolState memory s) {
        (s.totalEther, s.totalShares, s.depositedValidators, s.clValidators, s.clBalance) = POOL.accountingInputs();
    }

    /// @dev Validators monotonic and at most deposited; vault amounts at most the vaults' balances.
    /// Returns preCL: the last CL balance plus 32 ETH per newly visible validator.
    function _checkValidatorsAndVaults(
        ReportData calldata data,
        PoolState memory pool
    ) private view returns (uint256 preCL) {
        if (data.numValidators < pool.clValidators)
            revert NumValidatorsDecreased(data.numValidators, pool.clValidators);
        if (data.numValidators > pool.depositedValidators) {
            revert NumValidatorsExceedDeposited(data.numValidators, pool.depositedValidators);
        }
        _checkVault(WITHDRAWAL_VAULT, data.withdrawalVaultBalance);
        _checkVault(EL_REWARDS_VAULT, data.elRewardsVaultBalance);
        return pool.clBalance + (data.numValidators - pool.clValidators) * DEPOSIT_SIZE;
    }

    function _checkVault(address vault, uint256 amount) private view {
        if (amount > vault.balance) revert VaultAmountExceedsBalance(vault, amount, vault.balance);
    }

    /// @dev The consensus-layer result (CL balance + withdrawals, against preCL): a gain within the
    /// annualised limit, a drop within the one-off limit whatever the report declares. Only proven
    /// slashings (`IBeaconFacts`) can stretch it: the part of a drop above the limit (in gwei, rounded
    /// up) is drawn from their credit, or the report reverts.
    function _checkClChange(
        uint256 clAfter,
        uint256 preCL,
        uint256 elapsed,
        uint256 refSlot,
        SanityLimits memory limits
    ) private {
        if (clAfter > preCL) {
            uint256 gain = clAfter - preCL;
            if (gain * SECONDS_PER_YEAR * TOTAL_BASIS_POINTS > limits.annualAprLimitBP * preCL * elapsed) {
                uint256 aprBP =
                    preCL * elapsed == 0
                        ? type(uint256).max
                        : (gain * SECONDS_PER_YEAR * TOTAL_BASIS_POINTS) / (preCL * elapsed);
                revert AnnualAprLimitExceeded(aprBP, limits.annualAprLimitBP);
            }
        } else {
            uint256 drop = preCL - clAfter;
            if (drop * TOTAL_BASIS_POINTS > limits.clBalanceDropLimitBP * preCL) {
                uint256 excessGwei = Math.ceilDiv(
                    drop * TOTAL_BASIS_POINTS - limits.clBalanceDropLimitBP * preCL,
                    TOTAL_BASIS_POINTS * 1 gwei
                );
                (bool covered, uint256 creditGwei) = BEACON_FACTS.useSlashingCredit(refSlot, excessGwei);
                if (creditGwei == 0) {
                    revert ClBalanceDropLimitExceeded(
                        Math.mulDiv(drop, TOTAL_BASIS_POINTS, preCL, Math.Rounding.Ceil),
                        limits.clBalanceDropLimitBP
                    );
                }
                if (!covered) revert ClBalanceDropExceedsProvenSlashings(excessGwei, creditGwei);
            }
        }
    }

    /// @dev Tranche 1: for each operator with a loss, burns bond shares worth it at the pre-report
    /// rate (rounded up: the bond pays the dust), or the whole bond if smaller.
    function _burnBonds(
        ReportData calldata data,
        PoolState memory pool
    ) private returns (uint256 coveredWei, uint256 sharesBurned) {
        uint256 n = data.operatorIdsWithLosses.length;
        for (uint256 i = 0; i < n; ++i) {
            uint256 operatorId = data.operatorIdsWithLosses[i];
            if (i != 0 && operatorId <= data.operatorIdsWithLosses[i - 1])
                revert OperatorIdsNotAscending(i, operatorId);
            uint256 lossWei = data.operatorLossesGwei[i] * 1 gwei;
            if (lossWei == 0) revert ZeroOperatorLoss(operatorId);
            uint256 wanted = Math.mulDiv(lossWei, pool.totalShares, pool.totalEther, Math.Rounding.Ceil);
            uint256 burned = REGISTRY.burnBondShares(operatorId, wanted);
            uint256 covered = burned == wanted ? lossWei : Math.mulDiv(burned, pool.totalEther, pool.totalShares);
            emit OperatorLossCovered(operatorId, lossWei, covered, burned);
            coveredWei += covered;
            sharesBurned += burned;
        }
    }

    /// @dev Tranche 2 then 3: burns insurance fund shares worth the loss at the pre-report rate
    /// (rounded up), or the whole fund; what is left lowers the share rate.
    function _coverWithInsurance(PoolState memory pool, uint256 lossWei) private returns (uint256 sharesBurned) {
        uint256 fundShares = POOL.sharesOf(INSURANCE_FUND);
        uint256 fundWei = Math.mulDiv(fundShares, pool.totalEther, pool.totalShares);
        uint256 coveredWei;
        if (lossWei < fundWei) {
            // ceil(loss × S / P) ≤ fundShares, because loss < floor(fundShares × P / S).
            sharesBurned = Math.mulDiv(lossWei, pool.totalShares, pool.totalEther, Math.Rounding.Ceil);
            coveredWei = lossWei;
        } else {
            (sharesBurned, coveredWei) = (fundShares, fundWei);
        }
        if (sharesBurned != 0) emit InsuranceLossCovered(coveredWei, sharesBurned);
        if (lossWei > coveredWei) emit LossSocialized(lossWei - coveredWei);
    }

    /// @dev Fee shares on `rewardsWei`: for a recipient owed F_x of a total fee F, with S' the shares
    /// left after the bond burns and P the new totalPooledEther, m_x = F_x × S' / (P − F) makes its
    /// shares worth exactly F_x after the mint (rounded down: holders keep the dust).
    function _mintFees(
        AccountingStorage storage $,
        Outcome memory out,
        PoolState memory pool,
        uint256 rewardsWei,
        uint256 postTotalEther
    ) private {
        FeeConfig memory f = $.fees;
        uint256 treasuryWei = (rewardsWei * f.treasuryFeeBP) / TOTAL_BASIS_POINTS;
        uint256 operatorsWei = (rewardsWei * f.operatorsFeeBP) / TOTAL_BASIS_POINTS;
        uint256 insuranceWei = (rewardsWei * f.insuranceFeeBP) / TOTAL_BASIS_POINTS;
        uint256 feeWei = treasuryWei + operatorsWei + insuranceWei;
        if (feeWei == 0) return;
        uint256 sharesLeft = pool.totalShares - out.bondSharesBurned;
        uint256 denominator = postTotalEther - feeWei; // fee ≤ 20% of rewards ≤ postTotalEther
        out.treasuryShares = Math.mulDiv(treasuryWei, sharesLeft, denominator);
        out.operatorsShares = Math.mulDiv(operatorsWei, sharesLeft, denominator);
        out.insuranceShares = Math.mulDiv(insuranceWei, sharesLeft, denominator);
    }

    /// @dev One `ValidatorExitRequested` per requested key; the key must have been deposited. Exits
    /// only for the queue's demand after the report (the ETH of requests it left unfinalized): a bound
    /// on what even a dishonest quorum can ask of the operators. The buffer is deliberately not
    /// subtracted: it moves with every stake, and a stake between the reference slot and the deciding
    /// vote must not make an honest report revert. Third parties can only raise this bound (new
    /// requests), never lower it.
    function _requestExits(ReportData calldata data) private {
        uint256 n = data.exitOperatorIds.length;
        if (n == 0) return;
        uint256 maxExits = Math.ceilDiv(WITHDRAWAL_QUEUE.unfinalizedEther(), DEPOSIT_SIZE);
        if (n > maxExits) revert ExitRequestsExceedDemand(n, maxExits);
        // The leaves, keccak256(abi.encode(operatorId, keyIndex)), in a word array allocated once:
        // hashed in scratch space, so nothing else grows memory per request.
        uint256 nodes;
        assembly ("memory-safe") {
            nodes := mload(0x40)
            mstore(0x40, add(nodes, shl(5, n)))
        }
        for (uint256 i = 0; i < n; ++i) {
            (uint256 operatorId, uint256 keyIndex) = (data.exitOperatorIds[i], data.exitKeyIndices[i]);
            (bytes memory pubkey, bool deposited) = REGISTRY.getKeyPubkey(operatorId, keyIndex);
            if (!deposited) revert ExitKeyNotDeposited(operatorId, keyIndex);
            emit ValidatorExitRequested(operatorId, keyIndex, pubkey);
            assembly ("memory-safe") {
                mstore(0x00, operatorId)
                mstore(0x20, keyIndex)
                mstore(add(nodes, shl(5, i)), keccak256(0x00, 0x40))
            }
        }
        bytes32 root = _merkleRoot(nodes, n);
        // The first report with these requests sets the time: a repeat never moves a deadline later.
        mapping(bytes32 => uint256) storage appliedAt = _storage().exitRequestsAppliedAt;
        if (appliedAt[root] == 0) appliedAt[root] = block.timestamp;
        emit ExitRequestsRecorded(root, n);
    }

    /// @dev The root of a binary Merkle tree over the `n` words at `nodes` (overwritten), hashing each
    /// pair sorted, as OpenZeppelin's `MerkleProof` verifies (`Hashes.commutativeKeccak256`); an odd
    /// node at the end of a level moves up unpaired. Level by level in place: node i of the next level
    /// is written after nodes 2i and 2i + 1 are read.
    function _merkleRoot(uint256 nodes, uint256 n) private pure returns (bytes32 root) {
        assembly ("memory-safe") {
            for {} gt(n, 1) {} {
                let half := shr(1, n)
                for {
                    let i := 0
                } lt(i, half) {
                    i := add(i, 1)
                } {
                    let a := mload(add(nodes, shl(6, i)))
                    let b := mload(add(nodes, add(shl(6, i), 0x20)))
                    let less := lt(a, b)
                    mstore(0x00, xor(b, mul(xor(a, b), less))) // the smaller first
                    mstore(0x20, xor(a, mul(xor(a, b), less)))
                    mstore(add(nodes, shl(5, i)), keccak256(0x00, 0x40))
                }
                if and(n, 1) {
                    mstore(add(nodes, shl(5, half)), mload(add(nodes, shl(5, sub(n, 1)))))
                }
                n := add(half, and(n, 1))
            }
            root := mload(nodes)
        }
    }

    /// @dev The committee's exited-validator counts, to the registry (which checks each is monotonic and
    /// at most the operator's deposited keys, and frees the bond of exited validators).
    function _reportExitedKeys(ReportData calldata data) private {
        uint256 n = data.exitedKeys.length;
        uint256 previous;
        for (uint256 i = 0; i < n; ++i) {
            uint256 operatorId = data.exitedKeys[i] >> 128;
            if (i != 0 && operatorId <= previous) revert ExitedKeysNotAscending(i, operatorId);
            previous = operatorId;
            REGISTRY.reportExitedKeys(operatorId, uint128(data.exitedKeys[i]));
        }
    }

    /// @dev Charges each key of `keyLosses` what it still owes (its loss to date less what it was
    /// charged before), so a key is never charged twice for the same loss whatever the members' beacon
    /// nodes can still serve, and checks that each operator `keyLosses` names is attributed exactly its
    /// keys' sum in `operatorLossesGwei` (absent if they owe nothing). Operators it does not name may
    /// carry losses not tied to one key.
    function _chargeKeyLosses(AccountingStorage storage $, ReportData calldata data) private {
        uint256 n = data.keyLosses.length;
        uint256 listed; // next entry of operatorIdsWithLosses (ascending, checked in _burnBonds)
        uint256 i;
        while (i < n) {
            uint256 operatorId = data.keyLosses[i] >> 192;
            uint256 deposited = REGISTRY.getNodeOperator(operatorId).depositedKeys;
            uint256 owedGwei;
            for (; i < n && data.keyLosses[i] >> 192 == operatorId; ++i) {
                owedGwei += _chargeKey($, data.keyLosses, i, deposited);
            }
            // The order first: an entry of a lower operator after this group is out of order, not a mismatch.
            if (i < n && data.keyLosses[i] >> 192 < operatorId) revert KeyLossesNotAscending(i);
            while (listed < data.operatorIdsWithLosses.length && data.operatorIdsWithLosses[listed] < operatorId) {
                ++listed;
            }
            bool isListed =
                listed < data.operatorIdsWithLosses.length && data.operatorIdsWithLosses[listed] == operatorId;
            uint256 reportedGwei = isListed ? data.operatorLossesGwei[listed] : 0;
            if (reportedGwei != owedGwei) revert OperatorLossMismatch(operatorId, reportedGwei, owedGwei);
        }
    }

    /// @dev One `keyLosses` entry: checks it and records its loss to date; returns what it owes.
    function _chargeKey(
        AccountingStorage storage $,
        uint256[] calldata keyLosses,
        uint256 i,
        uint256 depositedKeys
    ) private returns (uint256 owedGwei) {
        uint256 key = keyLosses[i] >> 64; // operatorId << 128 | keyIndex
        if (i != 0 && key <= keyLosses[i - 1] >> 64) revert KeyLossesNotAscending(i);
        (uint256 operatorId, uint256 keyIndex, uint256 lossGwei) = (key >> 128, uint128(key), uint64(keyLosses[i]));
        if (keyIndex >= depositedKeys) revert LossKeyNotDeposited(operatorId, keyIndex);
        if (lossGwei > DEPOSIT_SIZE_GWEI) revert KeyLossTooLarge(operatorId, keyIndex, lossGwei);
        uint256 charged = $.keyLossChargedGwei[key];
        if (lossGwei <= charged) return 0; // a top-up can lower a loss to date; nothing is refunded
        owedGwei = lossGwei - charged;
        $.keyLossChargedGwei[key] = lossGwei;
        emit KeyLossCharged(operatorId, keyIndex, lossGwei, owedGwei);
    }

    // ──────────────────────────────── Internal: configuration ────────────────────────────────

    /// @dev GovernedUpgradeable's rule (no role for the zero address) for the committee's roles too.
    function _grantRole(
        bytes32 role,
        address account
    ) internal override(AccessControlUpgradeable, GovernedUpgradeable) returns (bool) {
        return super._grantRole(role, account);
    }

    function _setFees(
        AccountingStorage storage $,
        uint256 treasuryBP,
        uint256 operatorsBP,
        uint256 insuranceBP
    ) private {
        uint256 total = treasuryBP + operatorsBP + insuranceBP;
        if (total > MAX_FEE_BP) revert FeeTooHigh(total, MAX_FEE_BP);
        ($.fees.treasuryFeeBP, $.fees.operatorsFeeBP, $.fees.insuranceFeeBP) = (
            uint16(treasuryBP),
            uint16(operatorsBP),
            uint16(insuranceBP)
        );
        emit FeesSet(treasuryBP, operatorsBP, insuranceBP);
    }

    function _setTreasury(AccountingStorage storage $, address treasury) private {
        if (treasury == address(0)) revert ZeroAddress("treasury");
        $.fees.treasury = treasury;
        emit TreasurySet(treasury);
    }

    function _setSanityLimits(AccountingStorage storage $, SanityLimits memory limits) private {
        _checkLimit("annualAprLimitBP", limits.annualAprLimitBP, 1, MAX_ANNUAL_APR_LIMIT_BP);
        _checkLimit("clBalanceDropLimitBP", limits.clBalanceDropLimitBP, 0, MAX_CL_BALANCE_DROP_LIMIT_BP);
        _checkLimit("maxPositiveRebasePPB", limits.maxPositiveRebasePPB, 1, MAX_POSITIVE_REBASE_PPB_CAP);
        _checkLimit("maxExitRequestsPerReport", limits.maxExitRequestsPerReport, 0, MAX_EXIT_REQUESTS_CAP);
        _checkLimit(
            "maxOperatorsWithLossesPerReport",
            limits.maxOperatorsWithLossesPerReport,
            0,
            MAX_OPERATORS_WITH_LOSSES_CAP
        );
        $.limits = limits;
        emit SanityLimitsSet(limits);
    }

    function _checkLimit(string memory name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert SanityLimitOutOfRange(name, value, min, max);
    }

    function _storage() private pure returns (AccountingStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }
}
