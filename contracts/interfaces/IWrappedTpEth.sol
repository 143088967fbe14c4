// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

import {IPermitSignature} from "./IPermitSignature.sol";

/// @title wtpETH — the value-accruing ERC-4626 wrapper over tpETH
/// @notice One wtpETH is one pool share: the wrapper holds exactly `totalSupply()` pool shares and
/// its rate is the pool's share rate, so it has no inflation surface of its own. Wrapping needs no
/// approval: the pool lets this wrapper pull shares from the account that calls it (and only that one).
/// @dev `wrap`/`unwrap` are the wstETH-style shortcuts for `deposit`/`redeem` to and from the caller.
/// Rounding follows ERC-4626: shares minted for assets and assets paid for shares round down,
/// shares burned for assets and assets taken for shares round up. Zero amounts: `deposit`, `mint`,
/// `withdraw` and `redeem` of 0 succeed, return 0, move nothing and emit their events with zeros
/// (receiver and owner are still checked); `wrap` and `unwrap` of 0 revert `ZeroShares`, like wstETH.
/// Permits: EIP-2612's `permit(…, v, r, s)` is plain ECDSA (OpenZeppelin's errors); `permit(…, bytes
/// signature)` ({IPermitSignature}) also accepts an ERC-1271 contract wallet's signature.
interface IWrappedTpEth is IERC4626, IERC20Permit, IPermitSignature {
    /// @notice A `wrap` or `unwrap` would move zero shares, or a non-zero `deposit` is worth less than
    /// one share (so it cannot all be deposited).
    error ZeroShares();
    /// @notice A permit's deadline has passed.
    /// @param deadline The permit's deadline, a unix timestamp.
    error ERC2612ExpiredSignature(uint256 deadline);
    /// @notice A permit was signed by `signer`, not by `owner`.
    /// @param signer The address recovered from the signature.
    /// @param owner The owner named in the permit.
    error ERC2612InvalidSigner(address signer, address owner);
    /// @notice A bytes-signature permit does not verify for `owner` (neither ECDSA nor ERC-1271); the
    /// same error as tpETH's.
    /// @param owner The token owner named in the permit.
    error PermitInvalidSignature(address owner);

    /// @notice Wraps `tpEthAmount` of the caller's tpETH into wtpETH (no approval needed).
    /// @dev Mints `getSharesByPooledEth(tpEthAmount)` (rounded down); the caller's tpETH balance drops
    /// by at most `tpEthAmount`. Emits ERC-4626 `Deposit`. Reverts `ZeroShares` when that is 0.
    /// @param tpEthAmount The tpETH to wrap, in wei.
    /// @return wtpEthAmount The wtpETH minted (= pool shares moved).
    function wrap(uint256 tpEthAmount) external returns (uint256 wtpEthAmount);

    /// @notice Unwraps `wtpEthAmount` into tpETH for the caller.
    /// @dev Moves exactly `wtpEthAmount` pool shares to the caller. Emits ERC-4626 `Withdraw`. Reverts
    /// `ZeroShares` for 0.
    /// @param wtpEthAmount The wtpETH to burn.
    /// @return tpEthAmount The tpETH value received, rounded down.
    function unwrap(uint256 wtpEthAmount) external returns (uint256 tpEthAmount);

    /// @notice Stakes `msg.value` in the pool and mints the new shares as wtpETH to the caller.
    /// Plain ETH sent to this contract does the same with no referral.
    /// @dev Emits ERC-4626 `Deposit` with `assets` = the ETH staked.
    /// @param referral Optional referral address, passed to the pool's `Staked` event.
    /// @return wtpEthAmount The wtpETH minted.
    function stakeAndWrap(address referral) external payable returns (uint256 wtpEthAmount);

    /// @notice tpETH for one wtpETH (1e18), rounded down.
    /// @return The tpETH amount, in wei.
    function tpEthPerToken() external view returns (uint256);

    /// @notice wtpETH for one tpETH (1e18), rounded down.
    /// @return The wtpETH amount, in wei.
    function tokensPerTpEth() external view returns (uint256);
}
