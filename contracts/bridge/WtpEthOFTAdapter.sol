// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {OFTAdapter} from "@layerzerolabs/oft-evm/contracts/OFTAdapter.sol";
import {BridgeGuard} from "./BridgeGuard.sol";

/// @title WtpEthOFTAdapter — wtpETH leaves the home chain through LayerZero V2 by being locked here
/// @notice LayerZero's OFT adapter over wtpETH, with {BridgeGuard}'s pause and per-destination
/// outbound rate limits. A send locks wtpETH here and has the {WtpEthOFT} of the destination mint
/// as much; a message from a remote {WtpEthOFT} (which burnt its tokens) releases wtpETH from here.
/// Remote tokens are minted only by messages that locked wtpETH here first, so the wtpETH this
/// contract holds equals the remote supply on all chains together, to the wei, once no message is
/// in flight (more only if someone sends wtpETH here directly). Not upgradeable (docs/design.md 76).
/// @dev Amounts travel in 6 shared decimals: the dust below 10^12 wei stays with the sender, so no
/// wei is locked without being minted. Bad input reverts with a named error: {ZeroAmount},
/// `NoPeer` (unknown destination), `NotEnoughNative` (fee), `SlippageExceeded`, `EnforcedPause`,
/// {RateLimitExceeded}.
contract WtpEthOFTAdapter is OFTAdapter, BridgeGuard {
    /// @param wtpEth The wtpETH token (18 decimals).
    /// @param endpoint This chain's LayerZero endpoint.
    /// @param owner_ Owner and endpoint delegate (the deployer while wiring, then the timelock).
    constructor(
        address wtpEth,
        address endpoint,
        address owner_
    ) OFTAdapter(wtpEth, endpoint, owner_) Ownable(owner_) {}

    /// @dev Checks the pause, the peer, a zero amount and the rate limit, also for quotes.
    function _debitView(
        uint256 amountLD,
        uint256 minAmountLD,
        uint32 dstEid
    ) internal view override returns (uint256 amountSentLD, uint256 amountReceivedLD) {
        _getPeerOrRevert(dstEid);
        (amountSentLD, amountReceivedLD) = super._debitView(amountLD, minAmountLD, dstEid);
        _checkOutbound(dstEid, amountSentLD);
    }

    /// @dev Locks as {OFTAdapter} does, after counting the amount against the rate limit.
    function _debit(
        address from,
        uint256 amountLD,
        uint256 minAmountLD,
        uint32 dstEid
    ) internal override returns (uint256 amountSentLD, uint256 amountReceivedLD) {
        (amountSentLD, amountReceivedLD) = super._debit(from, amountLD, minAmountLD, dstEid);
        _consumeOutbound(dstEid, amountSentLD);
    }

    /// @dev Releases as {OFTAdapter} does, unless paused (the message then stays retryable).
    function _credit(
        address to,
        uint256 amountLD,
        uint32 srcEid
    ) internal override whenNotPaused returns (uint256 amountReceivedLD) {
        return super._credit(to, amountLD, srcEid);
    }
}
