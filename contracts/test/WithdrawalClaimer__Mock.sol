// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords, gas-custom-errors, no-complex-fallback, gas-calldata-parameters

import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IStakingPool} from "../interfaces/IStakingPool.sol";
import {IWithdrawalQueue} from "../interfaces/IWithdrawalQueue.sol";

/// @notice Test double: a contract wallet that owns withdrawal requests. Its `receive` spends far more
/// than the 2,300-gas stipend (it writes storage), and can be set to re-enter a claim or to refuse
/// ETH; it can be set to refuse ERC-721 tokens too.
contract WithdrawalClaimer__Mock is IERC721Receiver {
    enum Mode {
        Accept,
        Reenter,
        Reject
    }

    IWithdrawalQueue public immutable QUEUE;
    address public immutable POOL;
    Mode public mode;
    bool public refuseNfts;
    uint256 public receivedWei;
    uint256 public receiveCount;
    bytes public innerRevertData;
    uint256[] private _reenterIds;
    uint256[] private _reenterHints;
    mapping(uint256 => uint256) public receipts;

    constructor(IWithdrawalQueue queue, address pool) {
        QUEUE = queue;
        POOL = pool;
    }

    function setMode(Mode newMode) external {
        mode = newMode;
    }

    function setRefuseNfts(bool refuse) external {
        refuseNfts = refuse;
    }

    /// @notice What `receive` tries to claim when set to re-enter.
    function setReentry(uint256[] calldata ids, uint256[] calldata hints) external {
        _reenterIds = ids;
        _reenterHints = hints;
    }

    function stake() external payable {
        IStakingPool(POOL).stake{value: msg.value}(address(0));
    }

    function request(uint256[] calldata amounts) external returns (uint256[] memory) {
        IERC20(POOL).approve(address(QUEUE), type(uint256).max);
        return QUEUE.requestWithdrawals(amounts, address(0));
    }

    function claim(uint256[] calldata ids, uint256[] calldata hints) external {
        QUEUE.claimWithdrawals(ids, hints);
    }

    function claimOne(uint256 id) external {
        QUEUE.claimWithdrawal(id);
    }

    function onERC721Received(address, address, uint256, bytes calldata) external view returns (bytes4) {
        return refuseNfts ? bytes4(0xdeadbeef) : IERC721Receiver.onERC721Received.selector;
    }

    receive() external payable {
        if (mode == Mode.Reject) revert("no ETH, thanks");
        receivedWei += msg.value;
        receipts[receiveCount] = msg.value; // a fresh storage slot: ~22,000 gas, far above 2,300
        ++receiveCount;
        if (mode == Mode.Reenter) {
            try QUEUE.claimWithdrawals(_reenterIds, _reenterHints) {
                innerRevertData = "";
            } catch (bytes memory reason) {
                innerRevertData = reason;
            }
        }
    }
}
