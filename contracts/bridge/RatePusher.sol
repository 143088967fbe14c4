// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {OApp, Origin, MessagingFee, MessagingReceipt} from "@layerzerolabs/oapp-evm/contracts/oapp/OApp.sol";
import {OAppOptionsType3} from "@layerzerolabs/oapp-evm/contracts/oapp/libs/OAppOptionsType3.sol";
import {IAccountingOracle} from "../interfaces/IAccountingOracle.sol";
import {IWrappedTpEth} from "../interfaces/IWrappedTpEth.sol";

/// @notice The oracle's beacon clock, read to date a report.
interface IReportClock {
    /// @notice Seconds per beacon slot.
    /// @return The slot length.
    function SECONDS_PER_SLOT() external view returns (uint256);

    /// @notice The beacon-time configuration (only the genesis time is read).
    /// @return genesisTime Unix time of slot 0.
    /// @return epochsPerFrame Epochs per frame.
    /// @return deadlineSlots Slots after the reference slot during which reports are accepted.
    function getFrameConfig()
        external
        view
        returns (uint256 genesisTime, uint256 epochsPerFrame, uint256 deadlineSlots);
}

/// @title RatePusher — sends wtpETH's share rate to the {RateOracle} of a remote chain
/// @notice Anyone may push, paying LayerZero's fee: the message carries `tpEthPerToken()` as of the
/// call and the reference time of the last applied oracle report (the start of its reference slot),
/// so the remote side can tell how old the rate is. The fee not spent is refunded to the caller by
/// the endpoint. Only receives nothing: it is a sender. Not upgradeable (docs/design.md 77).
contract RatePusher is OApp, OAppOptionsType3 {
    /// @notice The message type of a rate, for enforced options.
    uint16 public constant PUSH = 1;

    /// @notice The wtpETH token whose `tpEthPerToken()` is pushed.
    IWrappedTpEth public immutable WRAPPER;

    /// @notice The accounting oracle whose last report dates the rate.
    address public immutable ORACLE;

    /// @notice A rate was sent.
    /// @param dstEid The destination's LayerZero endpoint id.
    /// @param guid LayerZero's id of the message.
    /// @param rate tpETH per wtpETH (18 decimals).
    /// @param refTime The last applied report's reference time (Unix seconds).
    event RatePushed(uint32 indexed dstEid, bytes32 indexed guid, uint256 rate, uint256 refTime);

    /// @notice A message arrived; this contract only sends.
    error SendOnly();

    /// @param wrapper The wtpETH token.
    /// @param oracle The accounting oracle (proxy).
    /// @param endpoint This chain's LayerZero endpoint.
    /// @param owner_ Owner and endpoint delegate (the deployer while wiring, then the timelock).
    constructor(
        IWrappedTpEth wrapper,
        address oracle,
        address endpoint,
        address owner_
    ) OApp(endpoint, owner_) Ownable(owner_) {
        WRAPPER = wrapper;
        ORACLE = oracle;
    }

    /// @notice Sends the current rate and the last report's reference time to `dstEid`.
    /// @dev `msg.value` is offered as the fee; the endpoint refunds what it does not charge to the
    /// caller and reverts when it is too low.
    /// @param dstEid The destination's LayerZero endpoint id (a configured peer, else `NoPeer`).
    /// @param options Extra LayerZero options, combined with the enforced ones (usually empty).
    /// @return receipt LayerZero's receipt (guid, nonce, fee charged).
    function pushRate(
        uint32 dstEid,
        bytes calldata options
    ) external payable returns (MessagingReceipt memory receipt) {
        (uint256 rate, uint256 refTime) = currentRate();
        receipt = _lzSend(
            dstEid,
            abi.encode(rate, refTime),
            combineOptions(dstEid, PUSH, options),
            MessagingFee(msg.value, 0),
            payable(msg.sender)
        );
        emit RatePushed(dstEid, receipt.guid, rate, refTime);
    }

    /// @notice LayerZero's fee for {pushRate} now.
    /// @param dstEid The destination's LayerZero endpoint id.
    /// @param options Extra LayerZero options, as for {pushRate}.
    /// @return fee The fee (native; the LZ-token fee is always 0).
    function quotePushRate(uint32 dstEid, bytes calldata options) external view returns (MessagingFee memory fee) {
        (uint256 rate, uint256 refTime) = currentRate();
        return _quote(dstEid, abi.encode(rate, refTime), combineOptions(dstEid, PUSH, options), false);
    }

    /// @notice What {pushRate} would send now.
    /// @return rate tpETH per wtpETH (18 decimals).
    /// @return refTime The last applied report's reference time (Unix seconds).
    function currentRate() public view returns (uint256 rate, uint256 refTime) {
        uint256 refSlot = IAccountingOracle(ORACLE).getLastReport().refSlot;
        (uint256 genesisTime, , ) = IReportClock(ORACLE).getFrameConfig();
        refTime = genesisTime + refSlot * IReportClock(ORACLE).SECONDS_PER_SLOT();
        rate = WRAPPER.tpEthPerToken();
    }

    /// @dev Nothing is sent to this contract.
    function _lzReceive(Origin calldata, bytes32, bytes calldata, address, bytes calldata) internal pure override {
        revert SendOnly();
    }
}
