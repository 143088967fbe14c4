// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/// @title BridgeGuard — what both ends of the wtpETH bridge check before tokens leave a chain
/// @notice A pause and an outbound rate limit per destination, shared by {WtpEthOFTAdapter} (home)
/// and {WtpEthOFT} (remote chains). The owner (the timelock) sets the limits, names the pauser and
/// unpauses; the pauser (a multisig that acts at once) and the owner can pause (docs/design.md 76).
/// @dev One storage slot per destination: limit, window, amount in flight and its last update. The
/// amount in flight decays linearly, `limit` per `window`, so at most `limit` leaves for a
/// destination in any `window` seconds. A destination without a limit accepts nothing.
abstract contract BridgeGuard is Ownable, Pausable {
    /// @notice The outbound limit of one destination and what it has used.
    /// @param limit Most wtpETH (wei) that may be in flight towards the destination.
    /// @param window Seconds in which a full `limit` decays.
    /// @param inFlight wtpETH (wei) sent and not yet decayed, as of `updatedAt`.
    /// @param updatedAt When `inFlight` was last written.
    struct PathLimit {
        uint96 limit;
        uint32 window;
        uint96 inFlight;
        uint32 updatedAt;
    }

    /// @notice One destination's new limit, for {setRateLimits}.
    /// @param dstEid LayerZero endpoint id of the destination.
    /// @param limit Most wtpETH (wei) in flight towards it; 0 closes the path.
    /// @param window Seconds in which a full `limit` decays (not 0).
    struct RateLimitConfig {
        uint32 dstEid;
        uint96 limit;
        uint32 window;
    }

    /// @notice The outbound limit of each destination (LayerZero endpoint id).
    mapping(uint32 dstEid => PathLimit) public pathLimits;

    /// @notice Who may pause besides the owner.
    address public pauser;

    /// @notice A destination's limit was set.
    /// @param dstEid The destination.
    /// @param limit Most wtpETH (wei) in flight towards it.
    /// @param window Seconds in which a full `limit` decays.
    event RateLimitSet(uint32 indexed dstEid, uint256 limit, uint256 window);

    /// @notice The pauser changed.
    /// @param pauser The new pauser (zero: only the owner pauses).
    event PauserSet(address indexed pauser);

    /// @notice The amount to send is zero once the dust below the shared decimals is removed.
    error ZeroAmount();

    /// @notice `amount` exceeds what may leave for `dstEid` now.
    /// @param dstEid The destination.
    /// @param amount What was to be sent (wei).
    /// @param available What may be sent now (wei).
    error RateLimitExceeded(uint32 dstEid, uint256 amount, uint256 available);

    /// @notice A rate limit's window is zero.
    /// @param dstEid The destination.
    error ZeroWindow(uint32 dstEid);

    /// @notice The caller is neither the pauser nor the owner.
    /// @param caller The caller.
    error NotPauser(address caller);

    /// @notice Sets the outbound limit of each destination in `configs`. What is in flight is kept
    /// (decayed under the old limit up to now), so a lower limit does not reopen a used window.
    /// @param configs The destinations and their limits.
    function setRateLimits(RateLimitConfig[] calldata configs) external onlyOwner {
        for (uint256 i; i < configs.length; ++i) {
            RateLimitConfig calldata c = configs[i];
            if (c.window == 0) revert ZeroWindow(c.dstEid);
            PathLimit storage p = pathLimits[c.dstEid];
            (uint256 inFlight, ) = _inFlightAndAvailable(p);
            // inFlight ≤ the old limit, a uint96.
            (p.limit, p.window, p.inFlight, p.updatedAt) = (
                c.limit,
                c.window,
                uint96(inFlight),
                uint32(block.timestamp)
            );
            emit RateLimitSet(c.dstEid, c.limit, c.window);
        }
    }

    /// @notice Names who may pause besides the owner.
    /// @param newPauser The pauser (zero: only the owner).
    function setPauser(address newPauser) external onlyOwner {
        pauser = newPauser;
        emit PauserSet(newPauser);
    }

    /// @notice Stops sends and receipts. A message that arrives meanwhile fails and stays with
    /// LayerZero's endpoint, to be executed again after {unpause}: nothing is lost.
    function pause() external {
        if (msg.sender != pauser && msg.sender != owner()) revert NotPauser(msg.sender);
        _pause();
    }

    /// @notice Resumes sends and receipts.
    function unpause() external onlyOwner {
        _unpause();
    }

    /// @notice What may leave for `dstEid` now.
    /// @param dstEid The destination.
    /// @return inFlight wtpETH (wei) still counted against the limit.
    /// @return available wtpETH (wei) that may be sent now.
    function amountCanBeSent(uint32 dstEid) external view returns (uint256 inFlight, uint256 available) {
        return _inFlightAndAvailable(pathLimits[dstEid]);
    }

    /// @dev Reverts unless `amount` may leave for `dstEid` now (view: also used by quotes).
    function _checkOutbound(uint32 dstEid, uint256 amount) internal view {
        _requireNotPaused();
        if (amount == 0) revert ZeroAmount();
        (, uint256 available) = _inFlightAndAvailable(pathLimits[dstEid]);
        if (amount > available) revert RateLimitExceeded(dstEid, amount, available);
    }

    /// @dev Counts `amount` (already checked by {_checkOutbound}) against `dstEid`'s limit.
    function _consumeOutbound(uint32 dstEid, uint256 amount) internal {
        PathLimit storage p = pathLimits[dstEid];
        (uint256 inFlight, ) = _inFlightAndAvailable(p);
        // inFlight + amount ≤ limit, a uint96.
        (p.inFlight, p.updatedAt) = (uint96(inFlight + amount), uint32(block.timestamp));
    }

    /// @dev The amount in flight decayed up to now, and what the limit leaves.
    function _inFlightAndAvailable(PathLimit storage p) private view returns (uint256 inFlight, uint256 available) {
        (uint256 limit, uint256 window, uint256 previous, uint256 updatedAt) = (
            p.limit,
            p.window,
            p.inFlight,
            p.updatedAt
        );
        if (window == 0) return (0, 0);
        uint256 decayed = (limit * (block.timestamp - updatedAt)) / window;
        inFlight = previous > decayed ? previous - decayed : 0;
        available = limit > inFlight ? limit - inFlight : 0;
    }
}
