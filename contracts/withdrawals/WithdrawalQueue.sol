// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC721Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC721/ERC721Upgradeable.sol";
import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {ERC721Utils} from "@openzeppelin/contracts/token/ERC721/utils/ERC721Utils.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IWithdrawalQueue} from "../interfaces/IWithdrawalQueue.sol";
import {IStakingPool} from "../interfaces/IStakingPool.sol";
import {IPermitSignature} from "../interfaces/IPermitSignature.sol";
import {GovernedUpgradeable} from "../governance/GovernedUpgradeable.sol";
import {WithdrawalRequestMetadata} from "./WithdrawalRequestMetadata.sol";

/// @title WithdrawalQueue — ERC-721 withdrawal requests, finalized by oracle reports
/// @notice See {IWithdrawalQueue}.
/// @dev Storage (ERC-7201 namespace `tidepool.storage.WithdrawalQueue`), every record one slot:
///   `queue`          : last request id | Σ ETH and Σ shares requested | paused — each request reads
///                      and writes it;
///   `finalization`   : last finalized id | last checkpoint index | ETH locked | paused — claims;
///   `requests[id]`   : cumulative ETH and shares up to and including `id` | timestamp;
///   `ownership[id]`  : owner | link in the minter's stack | the request's current node | claimed;
///   `owners[addr]`   : top of the owner's stack | count (the ERC-721 balance);
///   `checkpoints[i]` : the requests it finalized | the share rate (ray) | how the lock was priced.
/// Ownership lists: each owner has a stack of acquisitions. A mint pushes the request itself (its
/// `ownership` word holds the link); a transfer pushes a node in `transferNodes` onto the receiver's
/// stack. Nothing is ever unlinked: a request that leaves (transfer, claim) leaves a dead node behind,
/// recognised because the request's `node` no longer points at it. So a request writes two new slots
/// plus the owner's record, and touches no other request. `getWithdrawalRequests` walks from the top
/// until it has found `count` live nodes; an emptied stack is reset, and a claim of the top node pops
/// it. OpenZeppelin's ERC721 keeps approvals, operators, safe-transfer checks and interface support.
contract WithdrawalQueue is IWithdrawalQueue, ERC721Upgradeable, GovernedUpgradeable, ReentrancyGuardTransient {
    using SafeCast for uint256;

    // ──────────────────────────────── Constants ────────────────────────────────

    /// @notice Role that may pause requests and claims (and do nothing else).
    bytes32 public constant PAUSE_ROLE = keccak256("PAUSE_ROLE");
    /// @notice Role that may resume them (governance).
    bytes32 public constant RESUME_ROLE = keccak256("RESUME_ROLE");

    /// @inheritdoc IWithdrawalQueue
    uint256 public constant MIN_WITHDRAWAL_AMOUNT = 100;
    /// @inheritdoc IWithdrawalQueue
    uint256 public constant MAX_WITHDRAWAL_AMOUNT = 1000 ether;

    /// @dev Share rates are kept as ETH per share × 1e27.
    uint256 internal constant RAY = 1e27;
    /// @dev Stack nodes from `TRANSFER_NODE_BASE` up are transfer nodes; below it, a node is the
    /// request with that id (its mint).
    uint256 internal constant TRANSFER_NODE_BASE = 1 << 40;
    /// @dev `Ownership.node` of a claimed request.
    uint48 internal constant CLAIMED = type(uint48).max;

    // keccak256(abi.encode(uint256(keccak256("tidepool.storage.WithdrawalQueue")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xa1b5b749837ecde1a78b701890455eb5f29da4d12d7a06c3b9f47836cab7ce00;

    // ──────────────────────────────── Storage ────────────────────────────────

    /// @dev Read and written by every request. 104 bits of wei hold 20 trillion ETH cumulatively.
    struct QueueState {
        uint40 lastRequestId;
        uint104 cumEther; // = requests[lastRequestId].cumEther
        uint104 cumShares; // = requests[lastRequestId].cumShares
        bool paused;
    }

    /// @dev Read by claims; written by claims and finalization.
    struct FinalizationState {
        uint40 lastFinalizedId;
        uint40 lastCheckpointIndex;
        uint128 lockedEther; // for finalized, unclaimed requests (and rounding dust)
        bool paused; // mirrors QueueState.paused, so a claim reads one slot
    }

    struct Request {
        uint104 cumEther; // Σ ETH requested by requests 1…id
        uint104 cumShares; // Σ shares locked by requests 1…id
        uint40 timestamp;
    }

    struct Ownership {
        address owner; // kept after the claim, for the status view
        uint48 link; // the node below this request's mint node in its minter's stack
        uint48 node; // the request's node in its owner's stack: 0 its mint node, CLAIMED once claimed
    }

    struct TransferNode {
        uint40 requestId;
        uint48 link; // the node below in the receiver's stack
    }

    /// @dev Fills its word, so writing it needs no read of the bits it leaves alone.
    struct OwnerRecord {
        uint48 top; // 0: empty stack
        uint208 count;
    }

    /// @dev Requests `fromId`…`toId` are paid min(ETH requested, shares × rateRay / 1e27). The batch's
    /// lock was Σ ETH (`nominal`) or Σ shares × rate, whichever was smaller; a claim releases its part.
    struct Checkpoint {
        uint40 fromId;
        uint40 toId;
        uint128 rateRay;
        bool nominal;
    }

    /// @custom:storage-location erc7201:tidepool.storage.WithdrawalQueue
    struct QueueStorage {
        QueueState queue;
        FinalizationState finalization;
        mapping(uint256 requestId => Request) requests;
        mapping(uint256 requestId => Ownership) ownership;
        mapping(address owner => OwnerRecord) owners;
        mapping(uint256 index => Checkpoint) checkpoints;
        mapping(uint256 nodeId => TransferNode) transferNodes;
        uint256 transferCount;
    }

    // ──────────────────────────────── Immutables ────────────────────────────────

    /// @notice The staking pool (tpETH).
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable POOL;
    /// @notice The wrapper (wtpETH).
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable WRAPPER;

    // ──────────────────────────────── Construction ────────────────────────────────

    /// @param pool The staking pool proxy.
    /// @param wrapper The wtpETH wrapper.
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address pool, address wrapper) {
        POOL = pool;
        WRAPPER = wrapper;
        _disableInitializers();
    }

    /// @notice Initialises the proxy's roles.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (governance).
    /// @param pauser Receives PAUSE_ROLE.
    /// @custom:oz-upgrades-unsafe-allow missing-initializer-call
    function initialize(address admin, address pauser) external initializer {
        // ERC721's initializer only stores the name and symbol, which are constants here (overridden).
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(RESUME_ROLE, admin);
        _grantRole(PAUSE_ROLE, pauser);
    }

    // ──────────────────────────────── Requests ────────────────────────────────

    /// @inheritdoc IWithdrawalQueue
    function requestWithdrawals(
        uint256[] calldata amounts,
        address owner
    ) external returns (uint256[] memory requestIds) {
        return _requestTpEth(amounts, owner);
    }

    /// @inheritdoc IWithdrawalQueue
    function requestWithdrawalsWithPermit(
        uint256[] calldata amounts,
        address owner,
        PermitInput calldata permit
    ) external returns (uint256[] memory requestIds) {
        _permit(POOL, permit, amounts);
        return _requestTpEth(amounts, owner);
    }

    /// @inheritdoc IWithdrawalQueue
    function requestWithdrawalsWithPermitAsBytes(
        uint256[] calldata amounts,
        address owner,
        PermitSignatureInput calldata permit
    ) external returns (uint256[] memory requestIds) {
        _permitSignature(POOL, permit, amounts);
        return _requestTpEth(amounts, owner);
    }

    /// @inheritdoc IWithdrawalQueue
    function requestWithdrawalsWrapped(
        uint256[] calldata amounts,
        address owner
    ) external returns (uint256[] memory requestIds) {
        return _requestWrapped(amounts, owner);
    }

    /// @inheritdoc IWithdrawalQueue
    function requestWithdrawalsWrappedWithPermit(
        uint256[] calldata amounts,
        address owner,
        PermitInput calldata permit
    ) external returns (uint256[] memory requestIds) {
        _permit(WRAPPER, permit, amounts);
        return _requestWrapped(amounts, owner);
    }

    /// @inheritdoc IWithdrawalQueue
    function requestWithdrawalsWrappedWithPermitAsBytes(
        uint256[] calldata amounts,
        address owner,
        PermitSignatureInput calldata permit
    ) external returns (uint256[] memory requestIds) {
        _permitSignature(WRAPPER, permit, amounts);
        return _requestWrapped(amounts, owner);
    }

    // ──────────────────────────────── Claims ────────────────────────────────

    /// @inheritdoc IWithdrawalQueue
    function claimWithdrawal(uint256 requestId) external nonReentrant {
        QueueStorage storage $ = _storage();
        FinalizationState memory f = _claimable($);
        uint256 hint = _findCheckpoint(requestId, 1, f.lastCheckpointIndex, f.lastFinalizedId);
        (uint256 paid, uint256 released) = _claim($, requestId, hint, f.lastFinalizedId, msg.sender);
        _settle($, f, paid, released, msg.sender);
    }

    /// @inheritdoc IWithdrawalQueue
    function claimWithdrawals(uint256[] calldata requestIds, uint256[] calldata hints) external nonReentrant {
        _claimAll(requestIds, hints, msg.sender);
    }

    /// @inheritdoc IWithdrawalQueue
    function claimWithdrawalsTo(
        uint256[] calldata requestIds,
        uint256[] calldata hints,
        address recipient
    ) external nonReentrant {
        if (recipient == address(0)) revert ZeroRecipient();
        _refuseProtocolContract(recipient);
        _claimAll(requestIds, hints, recipient);
    }

    // ──────────────────────────────── Finalization (pool) ────────────────────────────────

    /// @inheritdoc IWithdrawalQueue
    function finalize(
        uint256[] calldata batchEnds,
        uint256 rateEther,
        uint256 rateShares,
        uint256 maxTimestamp,
        uint256 availableEther
    ) external returns (uint256 etherToLock, uint256 sharesToBurn, uint256 nominalEther) {
        if (msg.sender != POOL) revert CallerNotPool(msg.sender);
        QueueStorage storage $ = _storage();
        FinalizationState memory f = $.finalization;
        if (f.paused) revert WithdrawalsPaused();
        uint256 rateRay = _rateRay(rateEther, rateShares);
        uint256 fromId = f.lastFinalizedId + 1;
        uint256 lastTimestamp;
        for (uint256 i = 0; i < batchEnds.length; ++i) {
            uint256 end = batchEnds[i];
            // Reverts unless `end` is past the previous batch and a request already made.
            FinalizationPreview memory p = _preview($, f.lastFinalizedId, end, rateRay);
            $.checkpoints[++f.lastCheckpointIndex] = Checkpoint({
                fromId: f.lastFinalizedId + 1,
                toId: uint40(end), // ≤ lastRequestId, a uint40
                rateRay: rateRay.toUint128(),
                nominal: p.etherToLock == p.nominalEther
            });
            f.lastFinalizedId = uint40(end); // checkpoints: one per batch, ≤ 32 per report, never near 2^40
            etherToLock += p.etherToLock;
            sharesToBurn += p.sharesToBurn;
            nominalEther += p.nominalEther;
            lastTimestamp = p.lastRequestTimestamp;
        }
        if (lastTimestamp > maxTimestamp) {
            revert RequestAfterRefSlot(f.lastFinalizedId, lastTimestamp, maxTimestamp);
        }
        if (etherToLock > availableEther) revert FinalizationExceedsBuffer(etherToLock, availableEther);
        $.finalization = f;
        emit WithdrawalsFinalized(fromId, f.lastFinalizedId, etherToLock, sharesToBurn, block.timestamp);
    }

    /// @inheritdoc IWithdrawalQueue
    function fundFinalizedPayouts() external payable {
        if (msg.sender != POOL) revert CallerNotPool(msg.sender);
        _storage().finalization.lockedEther += uint128(msg.value); // ETH sent: < 2^128
    }

    // ──────────────────────────────── Governance ────────────────────────────────

    /// @notice Pauses requests, claims and finalization (a report naming requests to finalize then
    /// reverts; the committee reports none until governance resumes). NFT transfers stay possible.
    function pause() external onlyRole(PAUSE_ROLE) {
        _setPaused(true);
    }

    /// @notice Resumes requests, claims and finalization.
    function resume() external onlyRole(RESUME_ROLE) {
        _setPaused(false);
    }

    // ──────────────────────────────── ERC-721 ────────────────────────────────

    /// @notice The collection's name (pinned).
    /// @return "Tidepool Withdrawal Request".
    function name() public pure override returns (string memory) {
        return "Tidepool Withdrawal Request";
    }

    /// @notice The collection's symbol (pinned).
    /// @return "tpWR".
    function symbol() public pure override returns (string memory) {
        return "tpWR";
    }

    /// @notice On-chain JSON metadata (base64 data URI): amount, status, claimable ETH and an SVG image.
    /// @param tokenId The request.
    /// @return The data URI.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        QueueStorage storage $ = _storage();
        (uint256 amountOfEther, uint256 amountOfShares) = _amounts($, tokenId);
        FinalizationState memory f = $.finalization;
        bool finalized = tokenId <= f.lastFinalizedId;
        uint256 claimable;
        if (finalized) {
            uint256 hint = _findCheckpoint(tokenId, 1, f.lastCheckpointIndex, f.lastFinalizedId);
            claimable = _payout($.checkpoints[hint], amountOfEther, amountOfShares);
        }
        return
            WithdrawalRequestMetadata.tokenURI(
                tokenId,
                amountOfEther,
                amountOfShares,
                $.requests[tokenId].timestamp,
                finalized,
                claimable
            );
    }

    /// @notice Number of unclaimed requests `owner` holds.
    /// @param owner The owner (not the zero address).
    /// @return The count.
    function balanceOf(address owner) public view override returns (uint256) {
        if (owner == address(0)) revert ERC721InvalidOwner(address(0));
        return _storage().owners[owner].count;
    }

    /// @notice ERC-165: ERC-721, its metadata extension and AccessControl.
    /// @param interfaceId The interface.
    /// @return Whether it is supported.
    function supportsInterface(
        bytes4 interfaceId
    ) public view override(ERC721Upgradeable, AccessControlUpgradeable) returns (bool) {
        return
            ERC721Upgradeable.supportsInterface(interfaceId) || AccessControlUpgradeable.supportsInterface(interfaceId);
    }

    // ──────────────────────────────── Views ────────────────────────────────

    /// @inheritdoc IWithdrawalQueue
    /// @dev Walks the owner's stack from the top, skipping dead nodes, until `count` are found.
    function getWithdrawalRequests(address owner) external view returns (uint256[] memory requestIds) {
        QueueStorage storage $ = _storage();
        OwnerRecord memory rec = $.owners[owner];
        requestIds = new uint256[](rec.count);
        uint256 node = rec.top;
        for (uint256 left = rec.count; left != 0;) {
            (uint256 id, uint256 below) = node < TRANSFER_NODE_BASE
                ? (node, uint256($.ownership[node].link))
                : ($.transferNodes[node].requestId, $.transferNodes[node].link);
            Ownership memory o = $.ownership[id];
            if (o.owner == owner && (o.node == 0 ? id : o.node) == node) requestIds[--left] = id;
            node = below;
        }
    }

    /// @inheritdoc IWithdrawalQueue
    function getWithdrawalStatus(
        uint256[] calldata requestIds
    ) external view returns (WithdrawalRequestStatus[] memory statuses) {
        QueueStorage storage $ = _storage();
        uint256 lastFinalizedId = $.finalization.lastFinalizedId;
        statuses = new WithdrawalRequestStatus[](requestIds.length);
        for (uint256 i = 0; i < requestIds.length; ++i) {
            uint256 id = requestIds[i];
            Ownership memory o = $.ownership[id];
            if (o.owner == address(0)) revert UnknownRequest(id);
            (uint256 amountOfEther, uint256 amountOfShares) = _amounts($, id);
            statuses[i] = WithdrawalRequestStatus({
                amountOfEther: amountOfEther,
                amountOfShares: amountOfShares,
                owner: o.owner,
                timestamp: $.requests[id].timestamp,
                isFinalized: id <= lastFinalizedId,
                isClaimed: o.node == CLAIMED
            });
        }
    }

    /// @inheritdoc IWithdrawalQueue
    function getLastRequestId() external view returns (uint256) {
        return _storage().queue.lastRequestId;
    }

    /// @inheritdoc IWithdrawalQueue
    function getLastFinalizedRequestId() external view returns (uint256) {
        return _storage().finalization.lastFinalizedId;
    }

    /// @inheritdoc IWithdrawalQueue
    function getLastCheckpointIndex() external view returns (uint256) {
        return _storage().finalization.lastCheckpointIndex;
    }

    /// @inheritdoc IWithdrawalQueue
    function unfinalizedEther() external view returns (uint256) {
        QueueStorage storage $ = _storage();
        return $.queue.cumEther - $.requests[$.finalization.lastFinalizedId].cumEther;
    }

    /// @inheritdoc IWithdrawalQueue
    function queuedShares() external view returns (uint256) {
        QueueStorage storage $ = _storage();
        return $.queue.cumShares - $.requests[$.finalization.lastFinalizedId].cumShares;
    }

    /// @inheritdoc IWithdrawalQueue
    function lockedEther() external view returns (uint256) {
        return _storage().finalization.lockedEther;
    }

    /// @inheritdoc IWithdrawalQueue
    function withdrawalsPaused() external view returns (bool) {
        return _storage().queue.paused;
    }

    /// @inheritdoc IWithdrawalQueue
    function findCheckpointHints(
        uint256[] calldata requestIds,
        uint256 firstIndex,
        uint256 lastIndex
    ) external view returns (uint256[] memory hints) {
        FinalizationState memory f = _storage().finalization;
        if (firstIndex == 0 || lastIndex > f.lastCheckpointIndex) revert InvalidHintRange(firstIndex, lastIndex);
        hints = new uint256[](requestIds.length);
        for (uint256 i = 0; i < requestIds.length; ++i) {
            hints[i] = _findCheckpoint(requestIds[i], firstIndex, lastIndex, f.lastFinalizedId);
        }
    }

    /// @inheritdoc IWithdrawalQueue
    function getClaimableEther(
        uint256[] calldata requestIds,
        uint256[] calldata hints
    ) external view returns (uint256[] memory claimable) {
        if (requestIds.length != hints.length) revert ArrayLengthMismatch(requestIds.length, hints.length);
        QueueStorage storage $ = _storage();
        uint256 lastFinalizedId = $.finalization.lastFinalizedId;
        claimable = new uint256[](requestIds.length);
        for (uint256 i = 0; i < requestIds.length; ++i) {
            uint256 id = requestIds[i];
            Ownership memory o = $.ownership[id];
            if (o.owner == address(0)) revert UnknownRequest(id);
            if (o.node == CLAIMED || id > lastFinalizedId) continue;
            Checkpoint memory c = _checkpointOf($, id, hints[i]);
            (uint256 amountOfEther, uint256 amountOfShares) = _amounts($, id);
            claimable[i] = _payout(c, amountOfEther, amountOfShares);
        }
    }

    /// @inheritdoc IWithdrawalQueue
    function simulateFinalization(
        uint256 lastRequestIdToFinalize,
        uint256 rateEther,
        uint256 rateShares
    ) external view returns (FinalizationPreview memory preview) {
        QueueStorage storage $ = _storage();
        return _preview($, $.finalization.lastFinalizedId, lastRequestIdToFinalize, _rateRay(rateEther, rateShares));
    }

    /// @inheritdoc IWithdrawalQueue
    function findMaxRequestIdToFinalize(
        uint256 availableEther,
        uint256 rateEther,
        uint256 rateShares,
        uint256 maxTimestamp
    ) external view returns (uint256 lastRequestId, uint256 etherToLock) {
        QueueStorage storage $ = _storage();
        uint256 rateRay = _rateRay(rateEther, rateShares);
        uint256 lastFinalizedId = $.finalization.lastFinalizedId;
        Request memory before = $.requests[lastFinalizedId];
        // Both the lock and the timestamp grow with the id: the largest id that passes is found by
        // bisection over (lastFinalizedId, lastRequestId].
        (uint256 low, uint256 high) = (lastFinalizedId, $.queue.lastRequestId);
        while (low < high) {
            uint256 mid = (low + high + 1) / 2;
            Request memory r = $.requests[mid];
            uint256 lock = _lockFor(r.cumEther - before.cumEther, r.cumShares - before.cumShares, rateRay);
            if (r.timestamp <= maxTimestamp && lock <= availableEther) {
                (low, etherToLock) = (mid, lock);
            } else {
                high = mid - 1;
            }
        }
        return low == lastFinalizedId ? (0, 0) : (low, etherToLock);
    }

    // ──────────────────────────────── Internal: requests ────────────────────────────────

    /// @dev tpETH: each amount is pulled from the caller's allowance to the queue, as `transferFrom`
    /// would (ceil(amount × S / P) shares), and requested at its nominal value. Requests need no
    /// reentrancy guard: the pool and the wrapper are trusted, and the only other call, the owner's
    /// `onERC721Received`, comes after every effect.
    function _requestTpEth(uint256[] calldata amounts, address owner) private returns (uint256[] memory ids) {
        owner = _startRequests(amounts, owner);
        ids = new uint256[](amounts.length);
        for (uint256 i = 0; i < amounts.length; ++i) {
            uint256 amount = amounts[i];
            _checkBounds(amount);
            uint256 shares = IStakingPool(POOL).bringIntoWithdrawalQueue(msg.sender, amount);
            ids[i] = _enqueue(owner, amount, shares);
        }
        _checkOwnerAccepts(owner, ids);
    }

    /// @dev wtpETH: one wtpETH is one pool share; each amount is redeemed from the caller into pool
    /// shares held here and requested at their value (rounded down).
    function _requestWrapped(uint256[] calldata amounts, address owner) private returns (uint256[] memory ids) {
        owner = _startRequests(amounts, owner);
        uint256 totalEther;
        ids = new uint256[](amounts.length);
        for (uint256 i = 0; i < amounts.length; ++i) {
            uint256 shares = amounts[i];
            uint256 amountOfEther = IStakingPool(POOL).getPooledEthByShares(shares);
            _checkBounds(amountOfEther);
            IERC4626(WRAPPER).redeem(shares, address(this), msg.sender);
            ids[i] = _enqueue(owner, amountOfEther, shares);
            totalEther += amountOfEther;
        }
        // The pool reserves the nominal ETH of unfinalized requests (tpETH requests are counted as
        // their tokens arrive, in `bringIntoWithdrawalQueue`).
        IStakingPool(POOL).recordQueuedEther(totalEther);
        _checkOwnerAccepts(owner, ids);
    }

    /// @dev Records a request and mints its NFT on top of the owner's stack.
    function _enqueue(address owner, uint256 amountOfEther, uint256 shares) private returns (uint256 id) {
        QueueStorage storage $ = _storage();
        QueueState memory q = $.queue;
        if (q.paused) revert WithdrawalsPaused();
        id = q.lastRequestId + 1;
        // 2^104 wei is 2 × 10^13 ETH, cumulatively; 2^40 requests (≥ 100 k gas each) are out of reach.
        q.lastRequestId = uint40(id);
        q.cumEther = (q.cumEther + amountOfEther).toUint104();
        q.cumShares = (q.cumShares + shares).toUint104();
        $.queue = q;
        $.requests[id] = Request({cumEther: q.cumEther, cumShares: q.cumShares, timestamp: uint40(block.timestamp)});

        OwnerRecord memory rec = $.owners[owner];
        $.ownership[id] = Ownership({owner: owner, link: rec.top, node: 0});
        $.owners[owner] = OwnerRecord({top: uint48(id), count: rec.count + 1});
        emit Transfer(address(0), owner, id);
        emit WithdrawalRequested(id, msg.sender, owner, amountOfEther, shares);
    }

    /// @dev Checks the input; returns the owner (zero: the caller). `_enqueue` checks the pause flag.
    function _startRequests(uint256[] calldata amounts, address owner) private view returns (address) {
        if (amounts.length == 0) revert EmptyRequestList();
        if (owner == address(0)) return msg.sender;
        _refuseProtocolContract(owner);
        return owner;
    }

    /// @dev The pool, the wrapper and this queue can neither claim nor pass a request on: ETH or
    /// requests sent to them would be stranded.
    function _refuseProtocolContract(address account) private view {
        if (account == POOL || account == WRAPPER || account == address(this)) revert ProtocolContractRefused(account);
    }

    function _checkBounds(uint256 amountOfEther) private pure {
        if (amountOfEther < MIN_WITHDRAWAL_AMOUNT) revert RequestAmountTooSmall(amountOfEther, MIN_WITHDRAWAL_AMOUNT);
        if (amountOfEther > MAX_WITHDRAWAL_AMOUNT) revert RequestAmountTooLarge(amountOfEther, MAX_WITHDRAWAL_AMOUNT);
    }

    /// @dev A contract owner must accept ERC-721 tokens (the safe-mint rule), so requests cannot be
    /// stranded in a contract that could never claim or pass them on.
    function _checkOwnerAccepts(address owner, uint256[] memory ids) private {
        if (owner.code.length == 0) return;
        for (uint256 i = 0; i < ids.length; ++i) {
            ERC721Utils.checkOnERC721Received(msg.sender, address(0), owner, ids[i], "");
        }
    }

    /// @dev Applies the permit; if it fails (e.g. someone front-ran the same signature), goes on when
    /// the allowance the requests need is in place anyway.
    function _permit(address token, PermitInput calldata p, uint256[] calldata amounts) private {
        try IERC20Permit(token).permit(msg.sender, address(this), p.value, p.deadline, p.v, p.r, p.s) {
            return;
        } catch {
            _requireAllowance(token, amounts);
        }
    }

    /// @dev As {_permit}, for a permit whose signature is bytes (any wallet, ERC-1271 included).
    function _permitSignature(address token, PermitSignatureInput calldata p, uint256[] calldata amounts) private {
        try IPermitSignature(token).permit(msg.sender, address(this), p.value, p.deadline, p.signature) {
            return;
        } catch {
            _requireAllowance(token, amounts);
        }
    }

    /// @dev After a failed permit: reverts unless the caller's allowance to this queue covers the amounts.
    function _requireAllowance(address token, uint256[] calldata amounts) private view {
        uint256 needed;
        for (uint256 i = 0; i < amounts.length; ++i) needed += amounts[i];
        uint256 allowance = IERC20(token).allowance(msg.sender, address(this));
        if (allowance < needed) revert PermitFailedAndAllowanceTooLow(allowance, needed);
    }

    // ──────────────────────────────── Internal: claims ────────────────────────────────

    /// @dev Claims each request (effects), then pays once.
    function _claimAll(uint256[] calldata requestIds, uint256[] calldata hints, address recipient) private {
        uint256 n = requestIds.length;
        if (n == 0) revert EmptyRequestList();
        if (hints.length != n) revert ArrayLengthMismatch(n, hints.length);
        QueueStorage storage $ = _storage();
        FinalizationState memory f = _claimable($);
        uint256 paid;
        uint256 released;
        for (uint256 i = 0; i < n; ++i) {
            (uint256 payout, uint256 locked) = _claim($, requestIds[i], hints[i], f.lastFinalizedId, recipient);
            paid += payout;
            released += locked;
        }
        _settle($, f, paid, released, recipient);
    }

    function _claimable(QueueStorage storage $) private view returns (FinalizationState memory f) {
        f = $.finalization;
        if (f.paused) revert WithdrawalsPaused();
    }

    /// @dev Releases the claims' part of the lock, sends the payout and returns any excess to the pool.
    function _settle(
        QueueStorage storage $,
        FinalizationState memory f,
        uint256 paid,
        uint256 released,
        address recipient
    ) private {
        $.finalization.lockedEther = f.lockedEther - uint128(released); // Σ released ≤ locked, see _claim
        // The excess reaches the pool before the recipient's code runs: nobody can stake inside the
        // payout at a rate that does not include it yet.
        if (released > paid) IStakingPool(POOL).returnWithdrawalExcess{value: released - paid}();
        (bool ok, ) = recipient.call{value: paid}("");
        if (!ok) revert EthTransferFailed(recipient, paid);
    }

    /// @dev Marks one request claimed and burns its NFT. Returns what it pays and what it releases of
    /// its batch's lock (≥ the payout; the difference goes back to the pool). Σ releases ≤ the lock:
    /// a nominal batch locked Σ ETH; otherwise it locked ⌊Σ shares × rate⌋ ≥ Σ ⌊shares × rate⌋.
    function _claim(
        QueueStorage storage $,
        uint256 id,
        uint256 hint,
        uint256 lastFinalizedId,
        address recipient
    ) private returns (uint256 payout, uint256 locked) {
        Ownership memory o = $.ownership[id];
        if (o.owner == address(0)) revert UnknownRequest(id);
        if (o.node == CLAIMED) revert RequestAlreadyClaimed(id);
        if (o.owner != msg.sender) revert NotRequestOwner(id, msg.sender, o.owner);
        if (id > lastFinalizedId) revert RequestNotFinalized(id);
        Checkpoint memory c = _checkpointOf($, id, hint);

        (uint256 amountOfEther, uint256 amountOfShares) = _amounts($, id);
        uint256 byShares = (amountOfShares * c.rateRay) / RAY; // rounded down
        payout = Math.min(amountOfEther, byShares);
        locked = c.nominal ? amountOfEther : byShares;

        $.ownership[id] = Ownership({owner: o.owner, link: o.link, node: CLAIMED});
        _leave($, o.owner, id, o);
        emit Transfer(o.owner, address(0), id);
        emit WithdrawalClaimed(id, o.owner, recipient, payout);
        if (locked > payout) emit ExcessReturnedToPool(id, locked - payout);
    }

    // ──────────────────────────────── Internal: ERC-721 ownership ────────────────────────────────

    /// @dev Transfers only: requests mint and claims burn without this path. Clears the approval, pushes
    /// a transfer node onto the receiver's stack and counts the request out of the sender's.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = _ownerOf(tokenId);
        // A claimed request's stale approval must not make it transferable.
        if (from == address(0)) revert ERC721NonexistentToken(tokenId);
        if (auth != address(0)) _checkAuthorized(from, auth, tokenId);
        _refuseProtocolContract(to);
        QueueStorage storage $ = _storage();
        Ownership memory o = $.ownership[tokenId];
        _approve(address(0), tokenId, address(0), false);
        _leave($, from, tokenId, o);

        uint256 node = TRANSFER_NODE_BASE + ++$.transferCount;
        OwnerRecord memory rec = $.owners[to];
        $.transferNodes[node] = TransferNode({requestId: uint40(tokenId), link: rec.top});
        $.owners[to] = OwnerRecord({top: uint48(node), count: rec.count + 1});
        $.ownership[tokenId] = Ownership({owner: to, link: o.link, node: uint48(node)});
        emit Transfer(from, to, tokenId);
    }

    /// @dev The owner of an unclaimed request; zero for claimed (burned) and unknown ids.
    function _ownerOf(uint256 tokenId) internal view override returns (address) {
        Ownership storage o = _storage().ownership[tokenId];
        return o.node == CLAIMED ? address(0) : o.owner;
    }

    /// @dev Counts request `id` (ownership `o`, before the change) out of `owner`'s stack; its node
    /// stays behind, dead. An emptied stack is reset; a top node that leaves is popped.
    function _leave(QueueStorage storage $, address owner, uint256 id, Ownership memory o) private {
        OwnerRecord memory rec = $.owners[owner];
        uint208 count = rec.count - 1; // ≥ 1: `owner` owns the request
        uint48 top;
        if (count != 0) {
            uint256 node = o.node == 0 ? id : o.node;
            top = rec.top != node ? rec.top : (o.node == 0 ? o.link : $.transferNodes[node].link);
        }
        $.owners[owner] = OwnerRecord({top: top, count: count});
    }

    // ──────────────────────────────── Internal: pricing ────────────────────────────────

    /// @dev What finalizing `(lastFinalizedId, lastId]` at the rate would lock and burn.
    function _preview(
        QueueStorage storage $,
        uint256 lastFinalizedId,
        uint256 lastId,
        uint256 rateRay
    ) private view returns (FinalizationPreview memory p) {
        Request memory last = $.requests[lastId];
        // Timestamps are never zero: a zero one is a request not made yet.
        if (lastId <= lastFinalizedId || last.timestamp == 0) {
            revert InvalidRequestIdToFinalize(lastId, lastFinalizedId, $.queue.lastRequestId);
        }
        Request memory before = $.requests[lastFinalizedId];
        p.nominalEther = last.cumEther - before.cumEther;
        p.sharesToBurn = last.cumShares - before.cumShares;
        p.etherToLock = _lockFor(p.nominalEther, p.sharesToBurn, rateRay);
        p.lastRequestTimestamp = last.timestamp;
    }

    /// @dev The request's own ETH and shares: differences of the cumulative sums.
    function _amounts(QueueStorage storage $, uint256 id) private view returns (uint256, uint256) {
        Request memory r = $.requests[id];
        Request memory before = $.requests[id - 1];
        return (r.cumEther - before.cumEther, r.cumShares - before.cumShares);
    }

    /// @dev The checkpoint at `hint`, which must cover `id`.
    function _checkpointOf(
        QueueStorage storage $,
        uint256 id,
        uint256 hint
    ) private view returns (Checkpoint memory c) {
        c = $.checkpoints[hint];
        if (id < c.fromId || id > c.toId) revert InvalidHint(id, hint);
    }

    /// @dev min(ETH requested, shares × rate), rounded down.
    function _payout(Checkpoint memory c, uint256 amountOfEther, uint256 shares) private pure returns (uint256) {
        return Math.min(amountOfEther, (shares * c.rateRay) / RAY);
    }

    /// @dev A batch's lock: min(Σ ETH, ⌊Σ shares × rate⌋) — never less than Σ of its payouts.
    function _lockFor(uint256 nominalEther, uint256 shares, uint256 rateRay) private pure returns (uint256) {
        return Math.min(nominalEther, (shares * rateRay) / RAY);
    }

    /// @dev ETH per share × 1e27, rounded down (payouts round down with it).
    function _rateRay(uint256 rateEther, uint256 rateShares) private pure returns (uint256) {
        if (rateEther == 0 || rateShares == 0) revert ZeroShareRate();
        return Math.mulDiv(rateEther, RAY, rateShares);
    }

    /// @dev Binary search over checkpoints `first…last` for the one covering `id`; 0 if none.
    function _findCheckpoint(
        uint256 id,
        uint256 first,
        uint256 last,
        uint256 lastFinalizedId
    ) private view returns (uint256) {
        if (id == 0 || id > lastFinalizedId || first > last) return 0;
        mapping(uint256 => Checkpoint) storage checkpoints = _storage().checkpoints;
        if (id < checkpoints[first].fromId || id > checkpoints[last].toId) return 0;
        while (first < last) {
            uint256 mid = (first + last) / 2;
            if (checkpoints[mid].toId < id) first = mid + 1;
            else last = mid;
        }
        return first;
    }

    function _setPaused(bool paused) private {
        QueueStorage storage $ = _storage();
        $.queue.paused = paused;
        $.finalization.paused = paused;
        emit WithdrawalsPausedSet(msg.sender, paused);
    }

    function _storage() private pure returns (QueueStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }
}
