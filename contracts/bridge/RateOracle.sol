// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {OApp, Origin} from "@layerzerolabs/oapp-evm/contracts/oapp/OApp.sol";

/// @title RateOracle — wtpETH's share rate on a remote chain, pushed from home through LayerZero V2
/// @notice Receives `(tpEthPerToken, refTime)` from the home chain's {RatePusher} (its only peer)
/// and keeps the latest. A rate is accepted only if its reference time is newer than the kept one,
/// not in the future, and it moves at most `maxChangePerDayBP` per day of reference time since the
/// kept one. Lending markets read {latestRoundData} (Chainlink's AggregatorV3 shape; `updatedAt` is
/// the reference time, so its age is the rate's true age) or {getRate} with {isStale}
/// (docs/integrators.md). Not upgradeable (docs/design.md 77).
/// @dev A message with an older or equal reference time is ignored with {RateIgnored}: a newer rate
/// already supersedes it, and a revert would leave it retryable for nothing. A rate from the future
/// or beyond the daily limit reverts, so the message stays with LayerZero's endpoint and can be
/// executed again — once this chain's clock has caught up, or after governance has raised the
/// limit for a real jump (a slashing).
contract RateOracle is OApp {
    /// @notice Basis points in 100%.
    uint256 public constant BP = 10_000;

    /// @notice The latest accepted rate.
    /// @param rate tpETH per wtpETH (18 decimals); 0 before the first.
    /// @param refTime The reference time of the report it comes from (Unix seconds).
    /// @param receivedAt When it arrived on this chain.
    /// @param roundId How many rates have been accepted.
    struct Round {
        uint96 rate;
        uint64 refTime;
        uint64 receivedAt;
        uint32 roundId;
    }

    /// @notice The latest accepted rate.
    Round public latest;

    /// @notice Most the rate may move per day of reference time, in basis points of the kept rate.
    uint256 public maxChangePerDayBP;

    /// @notice Age (since the reference time) beyond which {isStale} says true.
    uint256 public maxAgeSeconds;

    /// @notice A rate was accepted.
    /// @param roundId Its round.
    /// @param rate tpETH per wtpETH (18 decimals).
    /// @param refTime Its reference time.
    event RateUpdated(uint256 indexed roundId, uint256 rate, uint256 refTime);

    /// @notice A rate was not newer than the kept one and was dropped.
    /// @param guid LayerZero's id of the message.
    /// @param rate The dropped rate.
    /// @param refTime Its reference time.
    /// @param latestRefTime The kept rate's reference time.
    event RateIgnored(bytes32 indexed guid, uint256 rate, uint256 refTime, uint256 latestRefTime);

    /// @notice The daily change limit was set.
    /// @param maxChangePerDayBP The new limit (basis points per day).
    event MaxChangePerDaySet(uint256 maxChangePerDayBP);

    /// @notice The staleness age was set.
    /// @param maxAgeSeconds The new age (seconds).
    event MaxAgeSet(uint256 maxAgeSeconds);

    /// @notice The rate's reference time is after this chain's time.
    /// @param refTime The rate's reference time.
    /// @param nowTime This chain's time.
    error RateFromFuture(uint256 refTime, uint256 nowTime);

    /// @notice The rate moves more than the daily limit allows for the time since the kept one.
    /// @param previous The kept rate.
    /// @param rate The new rate.
    /// @param maxChange The most it could move (wei of tpETH per wtpETH).
    error RateChangeTooLarge(uint256 previous, uint256 rate, uint256 maxChange);

    /// @notice The rate is zero or does not fit 96 bits.
    /// @param rate The rate.
    error InvalidRate(uint256 rate);

    /// @notice No rate has been accepted yet.
    error NoRate();

    /// @notice A parameter is out of range (limit above 100% per day, or zero age).
    error InvalidParameter();

    /// @param endpoint This chain's LayerZero endpoint.
    /// @param owner_ Owner and endpoint delegate (the deployer while wiring, then the timelock).
    /// @param maxChangePerDayBP_ Most the rate may move per day (basis points).
    /// @param maxAgeSeconds_ Age beyond which the rate is stale (seconds).
    constructor(
        address endpoint,
        address owner_,
        uint256 maxChangePerDayBP_,
        uint256 maxAgeSeconds_
    ) OApp(endpoint, owner_) Ownable(owner_) {
        _setMaxChangePerDay(maxChangePerDayBP_);
        _setMaxAge(maxAgeSeconds_);
    }

    /// @notice Sets the daily change limit.
    /// @param newMaxChangePerDayBP Basis points per day, at most 10,000.
    function setMaxChangePerDayBP(uint256 newMaxChangePerDayBP) external onlyOwner {
        _setMaxChangePerDay(newMaxChangePerDayBP);
    }

    /// @notice Sets the age beyond which the rate is stale.
    /// @param newMaxAgeSeconds Seconds, not 0.
    function setMaxAgeSeconds(uint256 newMaxAgeSeconds) external onlyOwner {
        _setMaxAge(newMaxAgeSeconds);
    }

    /// @notice The latest rate: tpETH per wtpETH, 18 decimals. Check {isStale} (or the age from
    /// {latestRoundData}) before relying on it.
    /// @return The rate.
    function getRate() external view returns (uint256) {
        Round memory r = latest;
        if (r.roundId == 0) revert NoRate();
        return r.rate;
    }

    /// @notice Whether there is no rate, or it is older than `maxAgeSeconds` (by reference time).
    /// @return True when the rate must not be used.
    function isStale() external view returns (bool) {
        Round memory r = latest;
        return r.roundId == 0 || block.timestamp - r.refTime > maxAgeSeconds;
    }

    /// @notice The latest rate in Chainlink's AggregatorV3 shape.
    /// @return roundId How many rates have been accepted.
    /// @return answer The rate (18 decimals).
    /// @return startedAt The rate's reference time.
    /// @return updatedAt The rate's reference time: its age is `block.timestamp - updatedAt`.
    /// @return answeredInRound Equal to `roundId`.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        Round memory r = latest;
        if (r.roundId == 0) revert NoRate();
        return (r.roundId, int256(uint256(r.rate)), r.refTime, r.refTime, r.roundId);
    }

    /// @notice Decimals of the rate.
    /// @return 18.
    function decimals() external pure returns (uint8) {
        return 18;
    }

    /// @notice What the rate is.
    /// @return A description.
    function description() external pure returns (string memory) {
        return "wtpETH / tpETH exchange rate";
    }

    /// @notice The aggregator interface version.
    /// @return 1.
    function version() external pure returns (uint256) {
        return 1;
    }

    /// @dev Applies the rules in the contract's notice to `(rate, refTime)`.
    function _lzReceive(
        Origin calldata,
        bytes32 guid,
        bytes calldata message,
        address,
        bytes calldata
    ) internal override {
        (uint256 rate, uint256 refTime) = abi.decode(message, (uint256, uint256));
        Round memory r = latest;
        if (refTime <= r.refTime) {
            emit RateIgnored(guid, rate, refTime, r.refTime);
            return;
        }
        if (refTime > block.timestamp) revert RateFromFuture(refTime, block.timestamp);
        if (rate == 0 || rate > type(uint96).max) revert InvalidRate(rate);
        if (r.roundId != 0) {
            // Pro-rated by the reference time between the two rates, with no floor: the rate never
            // moves faster than the daily limit, over any span (docs/design.md 77).
            uint256 maxChange = (uint256(r.rate) * maxChangePerDayBP * (refTime - r.refTime)) / (BP * 1 days);
            uint256 change = rate > r.rate ? rate - r.rate : r.rate - rate;
            if (change > maxChange) revert RateChangeTooLarge(r.rate, rate, maxChange);
        }
        uint32 roundId = r.roundId + 1;
        // refTime ≤ block.timestamp fits 64 bits.
        latest = Round(uint96(rate), uint64(refTime), uint64(block.timestamp), roundId);
        emit RateUpdated(roundId, rate, refTime);
    }

    function _setMaxChangePerDay(uint256 value) private {
        if (value > BP) revert InvalidParameter();
        maxChangePerDayBP = value;
        emit MaxChangePerDaySet(value);
    }

    function _setMaxAge(uint256 value) private {
        if (value == 0) revert InvalidParameter();
        maxAgeSeconds = value;
        emit MaxAgeSet(value);
    }
}
