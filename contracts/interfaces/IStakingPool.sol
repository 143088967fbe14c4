// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

import {IPermitSignature} from "./IPermitSignature.sol";

/// @title Tidepool staking pool = the tpETH rebasing token
/// @notice Holders stake ETH and receive tpETH. Balances are `shares × totalPooledEther / totalShares`,
/// so every balance grows when the oracle reports rewards. Share-denominated functions are exact;
/// amount-denominated ones round as documented in `docs/integrators.md`.
/// @dev Trust assumptions:
/// 1. `totalPooledEther` is internal accounting: buffer + consensus-layer balance + deposits not yet
///    visible on the beacon chain. ETH forced into the contract (selfdestruct, coinbase) is ignored.
/// 2. The wrapper (wtpETH) is an immutable of the implementation and may move shares from the account
///    that calls it into itself without an allowance; it can never move shares of anyone else.
/// 3. Governance (DEFAULT_ADMIN_ROLE, a timelock on public networks) upgrades the implementation and
///    grants roles; the pauser can only pause.
/// Rounding: shares minted on stake round down; ETH values of shares round down; shares taken from a
/// sender for an amount round up. Each rule favours the pool and the holders who stay.
/// Permits: EIP-2612's `permit(…, v, r, s)` and `permit(…, bytes signature)` ({IPermitSignature});
/// both accept an ERC-1271 contract wallet's signature (the first passes it `abi.encodePacked(r, s, v)`).
interface IStakingPool is IERC20Metadata, IERC20Permit, IPermitSignature {
    // ──────────────────────────────── Errors ────────────────────────────────

    /// @notice `stake` (or plain ETH) was called with no ETH.
    error StakeZeroAmount();
    /// @notice The stake is worth less than one share at the current share rate.
    /// @param amount The ETH sent, in wei.
    error StakeTooSmall(uint256 amount);
    /// @notice Staking is paused.
    error StakingPaused();
    /// @notice The stake exceeds the amount that can be staked in this block.
    /// @param amount The ETH sent, in wei.
    /// @param currentLimit The current stake limit, in wei.
    error StakeLimitExceeded(uint256 amount, uint256 currentLimit);
    /// @notice A share-denominated transfer asks for more shares than the sender holds.
    /// @param account The sender.
    /// @param shares The sender's shares.
    /// @param needed The shares asked for.
    error InsufficientShares(address account, uint256 shares, uint256 needed);
    /// @notice A permit's deadline has passed (same error as OpenZeppelin's ERC20Permit).
    /// @param deadline The permit's deadline, a unix timestamp.
    error ERC2612ExpiredSignature(uint256 deadline);
    /// @notice A permit's signature is not valid for `owner` (neither ECDSA nor ERC-1271).
    /// @param owner The token owner named in the permit.
    error PermitInvalidSignature(address owner);
    /// @notice Only the wtpETH wrapper may call this function.
    /// @param caller The account that called.
    error CallerNotWrapper(address caller);
    /// @notice The stake-limit parameters are out of bounds.
    /// @param maxStakeLimit The requested maximum, in wei.
    /// @param stakeLimitIncreasePerBlock The requested regrowth per block, in wei.
    error InvalidStakeLimit(uint256 maxStakeLimit, uint256 stakeLimitIncreasePerBlock);
    /// @notice A pause or resume call named no capability, or an unknown one.
    /// @param capabilities The bitmask given.
    error InvalidCapabilities(uint8 capabilities);
    /// @notice The deployment's bootstrap deposit is below `MIN_BOOTSTRAP_DEPOSIT`.
    /// @param amount The ETH sent with `initialize`, in wei.
    error BootstrapDepositTooSmall(uint256 amount);
    /// @notice `instantRedeem` was called with a zero amount.
    error InstantRedeemZeroAmount();
    /// @notice Instant redemption is paused.
    error InstantRedeemPaused();
    /// @notice The redemption exceeds the instant liquidity (the buffer minus what the queue needs).
    /// @param amount The tpETH asked to redeem, in wei.
    /// @param available The instant liquidity, in wei.
    error InsufficientInstantLiquidity(uint256 amount, uint256 available);
    /// @notice The redemption exceeds what may still be redeemed instantly in this frame.
    /// @param amount The tpETH asked to redeem, in wei.
    /// @param remaining What the frame's cap still allows, in wei.
    error InstantRedeemFrameCapExceeded(uint256 amount, uint256 remaining);
    /// @notice The ETH paid out would be below the caller's minimum.
    /// @param ethOut The ETH the redemption would pay, in wei.
    /// @param minEthOut The minimum the caller accepts, in wei.
    error SlippageExceeded(uint256 ethOut, uint256 minEthOut);
    /// @notice Sending ETH to `recipient` failed; nothing changed.
    /// @param recipient The recipient.
    /// @param amount The ETH, in wei.
    error EthTransferFailed(address recipient, uint256 amount);
    /// @notice Instant-redemption parameters are out of bounds.
    /// @param minFeeBP The requested minimum fee, in basis points.
    /// @param maxFeeBP The requested maximum fee, in basis points.
    /// @param frameCapBP The requested per-frame cap, in basis points of TVL.
    error InvalidInstantRedeemParams(uint256 minFeeBP, uint256 maxFeeBP, uint256 frameCapBP);
    /// @notice Only the deposit security module may deposit buffered ETH.
    /// @param caller The account that called.
    error CallerNotDepositSecurityModule(address caller);
    /// @notice Only the withdrawal and EL-rewards vaults may send ETH through `receiveVaultEther`.
    /// @param caller The account that called.
    error CallerNotVault(address caller);
    /// @notice Deposits to validators are paused.
    error DepositsPaused();
    /// @notice A deposit must be for 1 to MAX_DEPOSITS_PER_CALL validators.
    /// @param count The validators asked for.
    /// @param max The most per call.
    error InvalidDepositCount(uint256 count, uint256 max);
    /// @notice The buffer, less the instant-liquidity reserve and the queue's needs, does not cover the deposit.
    /// @param requested The ETH the deposit needs, in wei.
    /// @param depositable The ETH that may go to validators now, in wei.
    error NotEnoughBufferedEther(uint256 requested, uint256 depositable);
    /// @notice The instant-liquidity target is above its hard cap.
    /// @param targetBP The requested target, in basis points of TVL.
    error InvalidInstantLiquidityTarget(uint256 targetBP);
    /// @notice An address argument that must be set is zero.
    /// @param argument The name of the argument.
    error ZeroAddress(string argument);
    /// @notice The pool, the wrapper and the withdrawal queue cannot receive an instant redemption's
    /// ETH: it would be stranded (or staked for the wrong account).
    /// @param account The refused recipient.
    error ProtocolContractRefused(address account);
    /// @notice Only the accounting oracle applies reports.
    /// @param caller The caller.
    error CallerNotOracle(address caller);
    /// @notice Instant redemption is off while the oracle reports bunker mode (a loss being realised).
    error InstantRedeemBunkerMode();
    /// @notice Only the withdrawal queue may return excess ETH.
    /// @param caller The caller.
    error CallerNotWithdrawalQueue(address caller);
    /// @notice Only the beacon facts contract may do this.
    /// @param caller The account that called.
    error CallerNotBeaconFacts(address caller);
    /// @notice No deposit is in transit (every deposited validator is counted on the beacon chain).
    error NoDepositInTransit();
    /// @notice A proven slashing holds finalization until a report whose reference slot is at or
    /// after the proof's slot.
    /// @param refSlotTimestamp The report's reference slot time, in seconds.
    /// @param holdFromTimestamp The proven slashing's slot time, in seconds.
    error FinalizationHeldBySlashingProof(uint256 refSlotTimestamp, uint256 holdFromTimestamp);

    // ──────────────────────────────── Types ────────────────────────────────

    /// @notice What an oracle report changes in the pool, as computed by the accounting oracle.
    /// @dev The pool computes the new `totalPooledEther` itself from the beacon figures and the vault
    /// ETH it receives; the oracle decides only which protocol-held shares are burned (bonds, the
    /// insurance fund) and which fee shares are minted. No holder's shares can be touched. Calldata
    /// only (never stored), so it is not packed.
    // solhint-disable-next-line gas-struct-packing
    struct ReportUpdate {
        uint256 clValidators; // validators ever seen on the beacon chain (never decreases)
        uint256 clBalanceWei; // their total balance
        uint256 withdrawalVaultWei; // moved from the withdrawal vault into the buffer
        uint256 elRewardsVaultWei; // moved from the execution-layer rewards vault into the buffer
        uint256 bondSharesToBurn; // from the registry: operators' bonds covering their losses
        uint256 insuranceSharesToBurn; // from the insurance fund
        address treasury; // receives `treasuryFeeShares`
        uint256 treasuryFeeShares;
        uint256 operatorsFeeShares; // minted to the registry, which books them per operator
        uint256 insuranceFeeShares; // minted to the insurance fund
        bool bunkerMode; // while set, instant redemption is off
        uint256[] finalizationBatchEnds; // the queue's batches to finalize (empty: none)
        uint256 refSlotTimestamp; // requests made later are not finalized
    }

    // ──────────────────────────────── Events ────────────────────────────────

    /// @notice ETH was staked and shares were minted.
    /// @param sender The account that sent the ETH and received the shares.
    /// @param amount The ETH staked, in wei.
    /// @param shares The shares minted.
    /// @param referral The referral address given (zero for none).
    event Staked(address indexed sender, uint256 amount, uint256 shares, address indexed referral);
    /// @notice Shares moved between accounts; emitted next to every ERC-20 `Transfer`, mints and burns included.
    /// @param from The sender (zero for a mint).
    /// @param to The recipient (zero for a burn).
    /// @param sharesValue The shares moved.
    event TransferShares(address indexed from, address indexed to, uint256 sharesValue);
    /// @notice tpETH was redeemed instantly for ETH from the instant liquidity.
    /// @param owner The account whose tpETH was burned.
    /// @param recipient The account that received the ETH.
    /// @param amount The tpETH redeemed, in wei.
    /// @param shares The shares burned.
    /// @param ethOut The ETH paid, in wei.
    /// @param fee The fee kept by the pool for the holders who stay, in wei.
    event InstantRedeemed(
        address indexed owner,
        address indexed recipient,
        uint256 amount,
        uint256 shares,
        uint256 ethOut,
        uint256 fee
    );
    /// @notice The instant-redemption parameters were set.
    /// @param minFeeBP Fee for a vanishingly small redemption, in basis points.
    /// @param maxFeeBP Fee for a redemption of the whole instant liquidity, in basis points.
    /// @param frameCapBP Cap on instant redemptions per frame, in basis points of TVL.
    event InstantRedeemParamsSet(uint256 minFeeBP, uint256 maxFeeBP, uint256 frameCapBP);
    /// @notice Buffered ETH went to the beacon chain: `count` validators of `operatorId`, 32 ETH each.
    /// @param operatorId The operator whose keys were used.
    /// @param count Validators deposited.
    /// @param amount ETH deposited, in wei.
    event ValidatorsDeposited(uint256 indexed operatorId, uint256 count, uint256 amount);
    /// @notice The instant-liquidity reserve target changed.
    /// @param targetBP The share of TVL that deposits leave in the buffer, in basis points.
    event InstantLiquidityTargetSet(uint256 targetBP);
    /// @notice The stake limit was set or removed.
    /// @param maxStakeLimit The maximum stake limit in wei (0: no limit).
    /// @param stakeLimitIncreasePerBlock The regrowth per block in wei, after rounding to whole blocks.
    event StakeLimitSet(uint256 maxStakeLimit, uint256 stakeLimitIncreasePerBlock);
    /// @notice Capabilities were paused.
    /// @param account The pauser.
    /// @param capabilities The bitmask of capabilities paused by this call.
    event CapabilitiesPaused(address indexed account, uint8 capabilities);
    /// @notice Capabilities were resumed.
    /// @param account The governance account that resumed them.
    /// @param capabilities The bitmask of capabilities resumed by this call.
    event CapabilitiesResumed(address indexed account, uint8 capabilities);

    // ──────────────────────────────── Staking ────────────────────────────────

    /// @notice Stakes `msg.value` ETH and mints tpETH shares to the caller. Plain ETH sent to the
    /// pool does the same with no referral.
    /// @dev Shares minted = msg.value × totalShares / totalPooledEther, rounded down (pool's favour).
    /// Reverts with `StakeZeroAmount`, `StakingPaused`, `StakeLimitExceeded` or `StakeTooSmall`.
    /// @param referral Optional referral address, only logged.
    /// @return shares The shares minted.
    function stake(address referral) external payable returns (uint256 shares);

    /// @notice How much ETH can be staked right now, in wei.
    /// @return 0 while staking is paused, type(uint256).max when no limit is set, otherwise the
    /// refilling per-block limit.
    function getCurrentStakeLimit() external view returns (uint256);

    /// @notice The stake-limit parameters.
    /// @return maxStakeLimit The maximum limit in wei (0: no limit).
    /// @return stakeLimitIncreasePerBlock The regrowth per block in wei.
    /// @return prevStakeLimit The limit left after the last stake, in wei.
    /// @return prevStakeBlockNumber The block of the last stake or limit change.
    function getStakeLimitParams()
        external
        view
        returns (
            uint256 maxStakeLimit,
            uint256 stakeLimitIncreasePerBlock,
            uint256 prevStakeLimit,
            uint256 prevStakeBlockNumber
        );

    // ──────────────────────────────── Instant redemption ────────────────────────────────

    /// @notice Burns `amount` of the caller's tpETH and sends ETH to `recipient` at once, less a fee
    /// that stays in the pool (raising the share rate for those who stay).
    /// @dev The fee prices the frame's cumulative use of the instant liquidity L₀ it started with (its
    /// first redemption's liquidity, in whole gwei): the marginal fee at cumulative use t is
    /// minFeeBP + 2 × (maxFeeBP − minFeeBP) × t / L₀ up to t = L₀ and 2 × maxFeeBP − minFeeBP beyond,
    /// and a redemption of `amount` after `u` already redeemed this frame pays the integral from u to
    /// u + amount, rounded up. The frame's first redemption of `amount` so pays
    /// amount × (minFeeBP + (maxFeeBP − minFeeBP) × amount / L₀) / 10,000, and any split of an amount
    /// within a frame pays at least what one call would. Shares burned = amount's shares rounded up.
    /// Both round in the pool's favour.
    /// Reverts with `InstantRedeemZeroAmount`, `ZeroAddress`, `ProtocolContractRefused`, `InstantRedeemPaused`,
    /// `InsufficientInstantLiquidity`, `InstantRedeemFrameCapExceeded`, `SlippageExceeded`,
    /// `ERC20InsufficientBalance` or `EthTransferFailed`.
    /// @param amount The tpETH to redeem, in wei.
    /// @param minEthOut The least ETH the caller accepts, in wei (slippage protection).
    /// @param recipient Receives the ETH.
    /// @return ethOut The ETH sent, in wei.
    function instantRedeem(uint256 amount, uint256 minEthOut, address recipient) external returns (uint256 ethOut);

    /// @notice What `instantRedeem(amount, …)` would pay now.
    /// @dev Reverts with `InsufficientInstantLiquidity` when `amount` exceeds the instant liquidity.
    /// @param amount The tpETH to redeem, in wei.
    /// @return ethOut The ETH that would be sent, in wei.
    /// @return fee The fee that would stay in the pool, in wei.
    function previewInstantRedeem(uint256 amount) external view returns (uint256 ethOut, uint256 fee);

    /// @notice ETH available for instant redemption: the buffer minus the ETH the withdrawal queue's
    /// unfinalized requests asked for (the most a finalization can ever lock for them).
    /// @return The instant liquidity, in wei.
    function instantLiquidity() external view returns (uint256);

    /// @notice The instant-redemption parameters and what this frame still allows.
    /// @return minFeeBP Fee for a vanishingly small redemption, in basis points.
    /// @return maxFeeBP Fee for a redemption of the whole instant liquidity, in basis points.
    /// @return frameCapBP Cap per frame, in basis points of TVL.
    /// @return remainingInFrame tpETH that can still be redeemed instantly in this frame, in wei.
    function getInstantRedeemParams()
        external
        view
        returns (uint256 minFeeBP, uint256 maxFeeBP, uint256 frameCapBP, uint256 remainingInFrame);

    // ──────────────────────────────── Deposits ────────────────────────────────

    /// @notice Deposits `count` validators of `operatorId` (32 ETH each) to the beacon deposit contract
    /// with the pool's withdrawal credentials. Deposit security module only.
    /// @dev Only ETH above the instant-liquidity reserve (and the withdrawal queue's needs) is used.
    /// totalPooledEther is unchanged: the ETH moves from the buffer to "deposited, not yet visible".
    /// @param operatorId The operator whose next keys are used (the registry checks it is next in line).
    /// @param count Validators to deposit.
    /// @return amount The ETH deposited, in wei.
    function depositBufferedEther(uint256 operatorId, uint256 count) external returns (uint256 amount);

    /// @notice ETH that deposits may take now: buffer − instant-liquidity reserve − queue needs, in wei.
    /// @return The depositable ETH, in wei.
    function depositableEther() external view returns (uint256);

    /// @notice The withdrawal credentials of every Tidepool validator: 0x01 ‖ 11 zero bytes ‖ withdrawal vault.
    /// @return The 32-byte credentials.
    function withdrawalCredentials() external view returns (bytes32);

    /// @notice Sets the share of TVL that deposits leave in the buffer for instant redemptions.
    /// @dev Requires `INSTANT_REDEEM_PARAMS_ROLE`; hard cap `MAX_INSTANT_LIQUIDITY_TARGET_BP`.
    /// @param targetBP The target, in basis points of TVL.
    function setInstantLiquidityTarget(uint256 targetBP) external;

    /// @notice The share of TVL that deposits leave in the buffer, in basis points.
    /// @return The target, in basis points.
    function instantLiquidityTargetBP() external view returns (uint256);

    // ──────────────────────────────── Shares ────────────────────────────────

    /// @notice The shares held by `account`.
    /// @param account The holder.
    /// @return The shares.
    function sharesOf(address account) external view returns (uint256);

    /// @notice All shares in existence, the locked bootstrap shares included.
    /// @return The total shares.
    function totalShares() external view returns (uint256);

    /// @notice All ETH the pool accounts for: buffer + consensus-layer balance + deposits not yet
    /// visible on the beacon chain, in wei. Equal to `totalSupply()`.
    /// @return The total pooled ETH, in wei.
    function totalPooledEther() external view returns (uint256);

    /// @notice ETH held by the pool and not yet deposited to validators, in wei.
    /// @return The buffered ETH, in wei.
    function bufferedEther() external view returns (uint256);

    /// @notice The beacon-side terms of `totalPooledEther`.
    /// @return depositedValidators Validators ever deposited by the pool.
    /// @return clValidators Validators seen on the beacon chain by the last report.
    /// @return clBalance Their balance at the last report, in wei.
    function getBeaconStat()
        external
        view
        returns (uint256 depositedValidators, uint256 clValidators, uint256 clBalance);

    /// @notice Shares worth `ethAmount`, rounded down.
    /// @param ethAmount An amount of ETH (or tpETH), in wei.
    /// @return The shares.
    function getSharesByPooledEth(uint256 ethAmount) external view returns (uint256);

    /// @notice Shares worth `ethAmount`, rounded up (what an amount-based transfer takes).
    /// @param ethAmount An amount of ETH (or tpETH), in wei.
    /// @return The shares.
    function getSharesByPooledEthRoundUp(uint256 ethAmount) external view returns (uint256);

    /// @notice The ETH value of `shares`, rounded down.
    /// @param shares A number of shares.
    /// @return The value, in wei.
    function getPooledEthByShares(uint256 shares) external view returns (uint256);

    /// @notice The ETH value of `shares`, rounded up.
    /// @param shares A number of shares.
    /// @return The value, in wei.
    function getPooledEthBySharesRoundUp(uint256 shares) external view returns (uint256);

    /// @notice Moves exactly `shares` from the caller to `to`.
    /// @param to The recipient; not zero, not the pool, not the wrapper.
    /// @param shares The shares to move.
    /// @return amount Their value in tpETH, rounded down (the amount in the `Transfer` event).
    function transferShares(address to, uint256 shares) external returns (uint256 amount);

    /// @notice Moves exactly `shares` from `from` to `to`, spending the caller's allowance.
    /// @dev The allowance spent is the value of `shares` rounded up.
    /// @param from The owner of the shares.
    /// @param to The recipient; not zero, not the pool, not the wrapper.
    /// @param shares The shares to move.
    /// @return amount The allowance spent, in tpETH wei.
    function transferSharesFrom(address from, address to, uint256 shares) external returns (uint256 amount);

    /// @notice Moves `shares` from `from` into the wrapper, without an allowance. Wrapper only.
    /// @dev The wrapper calls this only with `from` = its own caller.
    /// @param from The account wrapping.
    /// @param shares The shares to move.
    /// @return amount Their value in tpETH, rounded down.
    function transferSharesToWrapper(address from, uint256 shares) external returns (uint256 amount);

    /// @notice Applies an agreed oracle report: beacon figures, vault ETH into the buffer, loss
    /// cover burns and fee mints. Accounting oracle only.
    /// @dev totalPooledEther becomes buffer + vault ETH received + clBalance + deposits still not
    /// visible (32 ETH each). Burns and mints are of protocol-held shares only.
    /// @param update See {ReportUpdate}.
    /// @return postTotalPooledEther totalPooledEther after, in wei.
    /// @return postTotalShares totalShares after.
    function applyReport(
        ReportUpdate calldata update
    ) external returns (uint256 postTotalPooledEther, uint256 postTotalShares);

    /// @notice `transferFrom(from, queue, amount)` for the withdrawal queue, returning the shares
    /// moved: spends `from`'s allowance to the queue exactly and moves ceil(amount × S / P) shares,
    /// with the same events. Withdrawal queue only.
    /// @param from The holder whose request this is.
    /// @param amount tpETH, in wei.
    /// @return shares The shares moved to the queue.
    function bringIntoWithdrawalQueue(address from, uint256 amount) external returns (uint256 shares);

    /// @notice Counts `amount` of ETH asked for by new wtpETH withdrawal requests (whose shares reached
    /// the queue through the wrapper) into the queue's reserve. Withdrawal queue only.
    /// @param amount The requests' nominal ETH, in wei.
    function recordQueuedEther(uint256 amount) external;

    /// @notice Takes back ETH the withdrawal queue locked for a request but did not pay it (a batch
    /// priced at its nominal ETH whose request was paid at the lower share rate, or the reverse); it
    /// raises totalPooledEther. Withdrawal queue only.
    function returnWithdrawalExcess() external payable;

    /// @notice Whether bunker mode is on (instant redemption off): declared by the last report, or
    /// started by a slashing proof since.
    /// @return True in bunker mode.
    function isBunkerModeActive() external view returns (bool);

    /// @notice What a fact proven on chain changes in the pool; beacon facts contract only.
    ///   - `slashing`: bunker mode now, held until a report whose reference slot is at or after the
    ///     proven slashing's slot (the share arguments must be zero);
    ///   - otherwise: one deposit lost to foreign withdrawal credentials is written off: 32 ETH leaves
    ///     the ETH in transit (deposited validators − 1) and the cover is burned, bond first.
    /// @param slashing Whether the fact is a slashing (else a lost deposit).
    /// @param bondShares The registry's (bond) shares to burn.
    /// @param insuranceShares The insurance fund's shares to burn.
    function recordProvenFact(bool slashing, uint256 bondShares, uint256 insuranceShares) external;

    /// @notice What the accounting oracle reads before a report, in one call: `totalPooledEther`,
    /// `totalShares` and `getBeaconStat`.
    /// @return pooledEther The total pooled ether, in wei.
    /// @return shares The total shares.
    /// @return depositedValidators Validators ever deposited.
    /// @return clValidators Validators visible on the beacon chain at the last report.
    /// @return clBalance Their balance at the last report, in wei.
    function accountingInputs()
        external
        view
        returns (
            uint256 pooledEther,
            uint256 shares,
            uint256 depositedValidators,
            uint256 clValidators,
            uint256 clBalance
        );

    /// @notice The accounting oracle, the only caller of `applyReport`.
    /// @return Its address.
    function ORACLE() external view returns (address);

    /// @notice The wtpETH wrapper this pool trusts to move its callers' shares.
    /// @return The wrapper's address.
    function WRAPPER() external view returns (address);

    /// @notice The withdrawal queue, which holds the shares of unfinalized requests.
    /// @return The queue's address.
    function WITHDRAWAL_QUEUE() external view returns (address);

    // ──────────────────────────────── Governance ────────────────────────────────

    /// @notice Sets the refilling stake limit, or removes it with `maxStakeLimit` = 0.
    /// @dev Requires `STAKE_LIMIT_ROLE`. Bounds: max ≤ `MAX_STAKE_LIMIT_CAP`; increase ≤ max; when
    /// increase > 0, max / increase < 2^24 blocks. The limit left carries over, capped at the new max.
    /// @param maxStakeLimit The maximum stake limit in wei (0: no limit).
    /// @param stakeLimitIncreasePerBlock The regrowth per block in wei (0: no regrowth).
    function setStakeLimit(uint256 maxStakeLimit, uint256 stakeLimitIncreasePerBlock) external;

    /// @notice Sets the instant-redemption fee curve and per-frame cap.
    /// @dev Requires `INSTANT_REDEEM_PARAMS_ROLE`. Bounds: `MIN_INSTANT_REDEEM_FEE_BP` ≤ minFeeBP ≤
    /// maxFeeBP ≤ `MAX_INSTANT_REDEEM_FEE_BP`; 0 < frameCapBP ≤ `MAX_INSTANT_REDEEM_FRAME_CAP_BP`.
    /// @param minFeeBP Fee for a vanishingly small redemption, in basis points.
    /// @param maxFeeBP Fee for a redemption of the whole instant liquidity, in basis points.
    /// @param frameCapBP Cap on instant redemptions per frame, in basis points of TVL.
    function setInstantRedeemParams(uint256 minFeeBP, uint256 maxFeeBP, uint256 frameCapBP) external;

    /// @notice Pauses capabilities (bit 0: staking, bit 1: instant redemption, bit 2: deposits).
    /// Requires `PAUSE_ROLE`.
    /// @param capabilities Bitmask of capabilities to pause.
    function pause(uint8 capabilities) external;

    /// @notice Resumes capabilities. Requires `RESUME_ROLE` (governance).
    /// @param capabilities Bitmask of capabilities to resume.
    function resume(uint8 capabilities) external;

    /// @notice The bitmask of paused capabilities.
    /// @return The bitmask (bit 0: staking, bit 1: instant redemption, bit 2: deposits).
    function pausedCapabilities() external view returns (uint8);
}
