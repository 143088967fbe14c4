// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

import {IStakingPool} from "../interfaces/IStakingPool.sol";

/// @title InsuranceFund — the second loss tranche
/// @notice Holds tpETH shares funded by the insurance part of the protocol fee (`insuranceFeeBP` of
/// rewards), so the fund earns like any holder. When a report's loss exceeds what the responsible
/// operators' bonds cover, the pool burns the fund's shares first; holders' share rate falls only
/// once the fund is empty (docs/protocol.md §5).
/// @dev Trust: governance (DEFAULT_ADMIN_ROLE, the timelock) may pay shares out, e.g. to compensate
/// holders after an incident; the pool burns shares only as the accounting oracle instructs.
contract InsuranceFund is AccessControl {
    /// @notice An address argument is zero.
    /// @param argument The argument's name.
    error ZeroAddress(string argument);
    /// @notice A pay-out of zero shares.
    error ZeroPayOut();

    /// @notice Governance paid shares out of the fund.
    /// @param recipient The recipient.
    /// @param shares The shares paid.
    /// @param amount Their value in tpETH, in wei.
    event PaidOut(address indexed recipient, uint256 shares, uint256 amount);

    /// @notice The staking pool (tpETH).
    IStakingPool public immutable POOL;

    /// @param pool The staking pool proxy.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (governance).
    constructor(IStakingPool pool, address admin) {
        if (address(pool) == address(0)) revert ZeroAddress("pool");
        if (admin == address(0)) revert ZeroAddress("admin");
        POOL = pool;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Pays `shares` of the fund to `recipient`. Governance only.
    /// @param recipient The recipient.
    /// @param shares The shares to pay.
    /// @return amount Their value in tpETH, in wei.
    function payOut(address recipient, uint256 shares) external onlyRole(DEFAULT_ADMIN_ROLE) returns (uint256 amount) {
        if (recipient == address(0)) revert ZeroAddress("recipient");
        if (shares == 0) revert ZeroPayOut();
        amount = POOL.transferShares(recipient, shares);
        emit PaidOut(recipient, shares, amount);
    }

    /// @notice The fund's size.
    /// @return shares The pool shares held.
    /// @return amount Their value in tpETH, in wei.
    function balance() external view returns (uint256 shares, uint256 amount) {
        shares = POOL.sharesOf(address(this));
        amount = POOL.getPooledEthByShares(shares);
    }
}
