// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords

import {IStakingPool} from "../interfaces/IStakingPool.sol";
import {IWrappedTpEth} from "../interfaces/IWrappedTpEth.sol";

/// @notice Test double: an attacker contract that repeats one tiny pool or wrapper operation many
/// times in a single transaction (dust stakes, 1-wei transfers, share transfers, wrap/unwrap and
/// ERC-4626 round trips, tiny instant redemptions), trying to extract value through rounding.
/// Every loop adds up what the calls returned, so a test can compare it with its own model.
contract RoundingAttacker__Mock {
    /// @notice The staking pool (tpETH).
    IStakingPool public immutable POOL;
    /// @notice The wtpETH wrapper.
    IWrappedTpEth public immutable WRAPPER;

    /// @notice `msg.value` is not `count` stakes of `amountEach`.
    /// @param value The ETH sent.
    /// @param expected `amountEach × count`.
    error WrongValue(uint256 value, uint256 expected);

    /// @notice A loop ran.
    /// @param op Which operation ("stake", "transfer", …).
    /// @param count How many times it ran.
    /// @param total The sum of what the calls returned (shares, tpETH or ETH, per operation).
    event Looped(string op, uint256 count, uint256 total);

    /// @param pool The staking pool proxy.
    /// @param wrapper The wtpETH wrapper.
    constructor(IStakingPool pool, IWrappedTpEth wrapper) {
        POOL = pool;
        WRAPPER = wrapper;
    }

    /// @notice Accepts the ETH of instant redemptions.
    receive() external payable {}

    /// @notice Stakes `amountEach` wei `count` times; `msg.value` must be their sum.
    /// @param amountEach The ETH of each stake, in wei.
    /// @param count How many stakes.
    /// @return shares The shares minted in total.
    function stakeMany(uint256 amountEach, uint256 count) external payable returns (uint256 shares) {
        if (msg.value != amountEach * count) revert WrongValue(msg.value, amountEach * count);
        for (uint256 i = 0; i < count; ++i) shares += POOL.stake{value: amountEach}(address(0));
        emit Looped("stake", count, shares);
    }

    /// @notice Transfers `amount` tpETH to `to`, `count` times.
    /// @param to The recipient.
    /// @param amount The tpETH of each transfer, in wei.
    /// @param count How many transfers.
    /// @return total `amount × count`.
    function transferMany(address to, uint256 amount, uint256 count) external returns (uint256 total) {
        for (uint256 i = 0; i < count; ++i) {
            POOL.transfer(to, amount);
            total += amount;
        }
        emit Looped("transfer", count, total);
    }

    /// @notice Pulls `amount` tpETH from `from` to `to` with `transferFrom`, `count` times.
    /// @param from The holder that approved this contract.
    /// @param to The recipient.
    /// @param amount The tpETH of each transfer, in wei.
    /// @param count How many transfers.
    /// @return total `amount × count` (the allowance spent).
    function transferFromMany(
        address from,
        address to,
        uint256 amount,
        uint256 count
    ) external returns (uint256 total) {
        for (uint256 i = 0; i < count; ++i) {
            POOL.transferFrom(from, to, amount);
            total += amount;
        }
        emit Looped("transferFrom", count, total);
    }

    /// @notice Transfers `shares` pool shares to `to`, `count` times.
    /// @param to The recipient.
    /// @param shares The shares of each transfer.
    /// @param count How many transfers.
    /// @return total The tpETH value the pool reported for them, summed.
    function transferSharesMany(address to, uint256 shares, uint256 count) external returns (uint256 total) {
        for (uint256 i = 0; i < count; ++i) total += POOL.transferShares(to, shares);
        emit Looped("transferShares", count, total);
    }

    /// @notice Wraps `tpEthAmount` and unwraps what it minted, `count` times.
    /// @param tpEthAmount The tpETH of each wrap, in wei.
    /// @param count How many round trips.
    /// @return wrapped The wtpETH minted (and burned) in total.
    function wrapUnwrapMany(uint256 tpEthAmount, uint256 count) external returns (uint256 wrapped) {
        for (uint256 i = 0; i < count; ++i) {
            uint256 minted = WRAPPER.wrap(tpEthAmount);
            WRAPPER.unwrap(minted);
            wrapped += minted;
        }
        emit Looped("wrapUnwrap", count, wrapped);
    }

    /// @notice ERC-4626 round trips: `mint(shares)` then `withdraw` of the assets `previewRedeem`
    /// says they are worth, `count` times.
    /// @param shares The wtpETH of each mint.
    /// @param count How many round trips.
    /// @return burned The wtpETH the withdrawals burned in total.
    function mintWithdrawMany(uint256 shares, uint256 count) external returns (uint256 burned) {
        for (uint256 i = 0; i < count; ++i) {
            WRAPPER.mint(shares, address(this));
            uint256 assets = WRAPPER.previewRedeem(shares);
            if (assets != 0) burned += WRAPPER.withdraw(assets, address(this), address(this));
        }
        emit Looped("mintWithdraw", count, burned);
    }

    /// @notice ERC-4626 round trips: `deposit(assets)` then `redeem` of what it minted, `count` times.
    /// @param assets The tpETH of each deposit, in wei.
    /// @param count How many round trips.
    /// @return redeemed The tpETH the redemptions returned in total.
    function depositRedeemMany(uint256 assets, uint256 count) external returns (uint256 redeemed) {
        for (uint256 i = 0; i < count; ++i) {
            uint256 minted = WRAPPER.deposit(assets, address(this));
            redeemed += WRAPPER.redeem(minted, address(this), address(this));
        }
        emit Looped("depositRedeem", count, redeemed);
    }

    /// @notice Redeems `amount` tpETH instantly to this contract, `count` times.
    /// @param amount The tpETH of each redemption, in wei.
    /// @param count How many redemptions.
    /// @return ethOut The ETH received in total.
    function instantRedeemMany(uint256 amount, uint256 count) external returns (uint256 ethOut) {
        for (uint256 i = 0; i < count; ++i) ethOut += POOL.instantRedeem(amount, 0, address(this));
        emit Looped("instantRedeem", count, ethOut);
    }
}
