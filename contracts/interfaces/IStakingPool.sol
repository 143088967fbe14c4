// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

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
interface IStakingPool is IERC20Metadata, IERC20Permit {
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
    /// @notice An address argument that must be set is zero.
    /// @param argument The name of the argument.
    error ZeroAddress(string argument);

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

    /// @notice The wtpETH wrapper this pool trusts to move its callers' shares.
    /// @return The wrapper's address.
    function WRAPPER() external view returns (address);

    // ──────────────────────────────── Governance ────────────────────────────────

    /// @notice Sets the refilling stake limit, or removes it with `maxStakeLimit` = 0.
    /// @dev Requires `STAKE_LIMIT_ROLE`. Bounds: max ≤ `MAX_STAKE_LIMIT_CAP`; increase ≤ max; when
    /// increase > 0, max / increase < 2^24 blocks. The limit left carries over, capped at the new max.
    /// @param maxStakeLimit The maximum stake limit in wei (0: no limit).
    /// @param stakeLimitIncreasePerBlock The regrowth per block in wei (0: no regrowth).
    function setStakeLimit(uint256 maxStakeLimit, uint256 stakeLimitIncreasePerBlock) external;

    /// @notice Pauses capabilities (bit 0: staking). Requires `PAUSE_ROLE`.
    /// @param capabilities Bitmask of capabilities to pause.
    function pause(uint8 capabilities) external;

    /// @notice Resumes capabilities. Requires `RESUME_ROLE` (governance).
    /// @param capabilities Bitmask of capabilities to resume.
    function resume(uint8 capabilities) external;

    /// @notice The bitmask of paused capabilities.
    /// @return The bitmask (bit 0: staking).
    function pausedCapabilities() external view returns (uint8);
}
