// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {OFT} from "@layerzerolabs/oft-evm/contracts/OFT.sol";
import {BridgeGuard} from "./BridgeGuard.sol";

/// @title WtpEthOFT — wtpETH on a remote chain, a LayerZero V2 OFT
/// @notice Minted only when a message from a configured peer arrives through LayerZero's endpoint
/// (wtpETH locked in {WtpEthOFTAdapter} on the home chain, or burnt by the {WtpEthOFT} of another
/// remote chain); burnt when sent on. There is no other mint path. {BridgeGuard} adds a pause and
/// per-destination outbound rate limits. Not upgradeable (docs/design.md 76).
/// @dev 18 decimals like wtpETH; 6 shared decimals on the wire. Bad input reverts with a named
/// error: {ZeroAmount}, `NoPeer`, `NotEnoughNative`, `SlippageExceeded`, `EnforcedPause`,
/// {RateLimitExceeded}.
contract WtpEthOFT is OFT, BridgeGuard {
    /// @param endpoint This chain's LayerZero endpoint.
    /// @param owner_ Owner and endpoint delegate (the deployer while wiring, then the timelock).
    constructor(
        address endpoint,
        address owner_
    ) OFT("Wrapped Tidepool Staked Ether", "wtpETH", endpoint, owner_) Ownable(owner_) {}

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

    /// @dev Burns as {OFT} does, after counting the amount against the rate limit.
    function _debit(
        address from,
        uint256 amountLD,
        uint256 minAmountLD,
        uint32 dstEid
    ) internal override returns (uint256 amountSentLD, uint256 amountReceivedLD) {
        (amountSentLD, amountReceivedLD) = super._debit(from, amountLD, minAmountLD, dstEid);
        _consumeOutbound(dstEid, amountSentLD);
    }

    /// @dev Mints as {OFT} does, unless paused (the message then stays retryable).
    function _credit(
        address to,
        uint256 amountLD,
        uint32 srcEid
    ) internal override whenNotPaused returns (uint256 amountReceivedLD) {
        return super._credit(to, amountLD, srcEid);
    }
}
