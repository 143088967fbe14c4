// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Tidepool withdrawal queue — ERC-721 withdrawal requests (docs/protocol.md §3, pinned)
/// @notice A holder locks tpETH (or wtpETH) in a request and gets an NFT for it. An oracle report
/// later finalizes requests in order with ETH from the buffer, each at
/// `min(requested ETH, its shares × the report's share rate)`: a request earns nothing after it is
/// made and bears any loss reported before it is finalized. The NFT's owner then claims the ETH.
/// @dev Finalization and claims are O(1) in the number of requests: requests store cumulative sums,
/// each finalization adds one checkpoint with its rate, and a claim finds its checkpoint by a hint
/// (binary search without one). Rounding: ETH paid rounds down; the lock for a batch is at least
/// what its requests will be paid, and whatever a claim does not pay of its lock returns to the pool.
interface IWithdrawalQueue {
    // ──────────────────────────────── Types ────────────────────────────────

    /// @notice An EIP-2612 permit for the token being withdrawn (pinned).
    /// @param value The allowance to set.
    /// @param deadline Unix time after which the signature is void.
    /// @param v Signature recovery byte.
    /// @param r Signature r.
    /// @param s Signature s.
    struct PermitInput {
        uint256 value;
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// @notice A permit for the token being withdrawn whose signature is bytes, for wallets whose
    /// signatures are not 65-byte ECDSA (Safe multisigs, passkey wallets): see {IPermitSignature}.
    /// @param value The allowance to set.
    /// @param deadline Unix time after which the signature is void.
    /// @param signature The owner's signature: ERC-1271 for a contract, 65-byte ECDSA otherwise.
    struct PermitSignatureInput {
        uint256 value;
        uint256 deadline;
        bytes signature;
    }

    /// @notice A request as wallets and integrators see it (pinned).
    /// @param amountOfEther The ETH requested, in wei (the tpETH locked, or the value of the wtpETH).
    /// @param amountOfShares The pool shares locked.
    /// @param owner The NFT's owner (the last owner once claimed).
    /// @param timestamp When the request was made.
    /// @param isFinalized Whether a report has finalized it.
    /// @param isClaimed Whether it has been claimed (its NFT is then burned).
    // solhint-disable-next-line gas-struct-packing
    struct WithdrawalRequestStatus {
        uint256 amountOfEther;
        uint256 amountOfShares;
        address owner;
        uint256 timestamp;
        bool isFinalized;
        bool isClaimed;
    }

    /// @notice What finalizing up to a request would do at a given share rate.
    /// @param etherToLock ETH the queue locks, in wei: min(Σ requested ETH, Σ shares × rate).
    /// @param sharesToBurn The requests' shares, burned by the pool.
    /// @param nominalEther Σ requested ETH of the finalized requests, in wei.
    /// @param lastRequestTimestamp When the last request finalized was made.
    struct FinalizationPreview {
        uint256 etherToLock;
        uint256 sharesToBurn;
        uint256 nominalEther;
        uint256 lastRequestTimestamp;
    }

    // ──────────────────────────────── Errors ────────────────────────────────

    /// @notice An amount list was empty.
    error EmptyRequestList();
    /// @notice A request asked for less than `MIN_WITHDRAWAL_AMOUNT`.
    /// @param amountOfEther The ETH value asked for, in wei.
    /// @param min The minimum, in wei.
    error RequestAmountTooSmall(uint256 amountOfEther, uint256 min);
    /// @notice A request asked for more than `MAX_WITHDRAWAL_AMOUNT`.
    /// @param amountOfEther The ETH value asked for, in wei.
    /// @param max The maximum, in wei.
    error RequestAmountTooLarge(uint256 amountOfEther, uint256 max);
    /// @notice The permit failed and the allowance it would have set is not in place either.
    /// @param allowance The allowance the queue has.
    /// @param needed The allowance the request needs.
    error PermitFailedAndAllowanceTooLow(uint256 allowance, uint256 needed);
    /// @notice Requests and claims are paused.
    error WithdrawalsPaused();
    /// @notice No request has this id.
    /// @param requestId The id.
    error UnknownRequest(uint256 requestId);
    /// @notice Only the request's owner may claim it.
    /// @param requestId The request.
    /// @param caller The caller.
    /// @param owner Its owner.
    error NotRequestOwner(uint256 requestId, address caller, address owner);
    /// @notice The request is not finalized yet.
    /// @param requestId The request.
    error RequestNotFinalized(uint256 requestId);
    /// @notice The request was claimed already.
    /// @param requestId The request.
    error RequestAlreadyClaimed(uint256 requestId);
    /// @notice The hint is not the checkpoint of the request.
    /// @param requestId The request.
    /// @param hint The checkpoint index given.
    error InvalidHint(uint256 requestId, uint256 hint);
    /// @notice A checkpoint search range starts at 0 or ends beyond the last checkpoint (an empty
    /// range, first > last, finds nothing: its hints are 0).
    /// @param firstIndex First index of the range.
    /// @param lastIndex Last index of the range.
    error InvalidHintRange(uint256 firstIndex, uint256 lastIndex);
    /// @notice Two arrays that go together differ in length.
    /// @param length The first one's length.
    /// @param otherLength The second one's.
    error ArrayLengthMismatch(uint256 length, uint256 otherLength);
    /// @notice The claim's recipient was the zero address.
    error ZeroRecipient();
    /// @notice The protocol's own contracts (the pool, the wrapper, this queue) cannot own requests or
    /// receive claims: ETH or requests sent to them would be stranded.
    /// @param account The refused owner or recipient.
    error ProtocolContractRefused(address account);
    /// @notice Sending the claimed ETH failed.
    /// @param recipient The recipient.
    /// @param amount The ETH, in wei.
    error EthTransferFailed(address recipient, uint256 amount);
    /// @notice `lastRequestIdToFinalize` is not after the last finalized request or not a request yet.
    /// @param requestId The id given.
    /// @param lastFinalizedId The last finalized request.
    /// @param lastRequestId The last request.
    error InvalidRequestIdToFinalize(uint256 requestId, uint256 lastFinalizedId, uint256 lastRequestId);
    /// @notice A share rate term was zero.
    error ZeroShareRate();
    /// @notice The last request to finalize was made after the report's reference slot.
    /// @param requestId The request.
    /// @param requestTimestamp When it was made.
    /// @param refSlotTimestamp The reference slot's time.
    error RequestAfterRefSlot(uint256 requestId, uint256 requestTimestamp, uint256 refSlotTimestamp);
    /// @notice Finalizing would need more ETH than the buffer has after the report.
    /// @param etherToLock ETH the finalization locks, in wei.
    /// @param availableEther The buffer after the report's vault ETH, in wei.
    error FinalizationExceedsBuffer(uint256 etherToLock, uint256 availableEther);
    /// @notice Only the staking pool may call this.
    /// @param caller The caller.
    error CallerNotPool(address caller);

    // ──────────────────────────────── Events ────────────────────────────────

    /// @notice A request was made and its NFT minted (pinned).
    /// @param requestId The new request (and NFT id).
    /// @param requestor The caller whose tokens were locked.
    /// @param owner The NFT's owner.
    /// @param amountOfEther The ETH requested, in wei.
    /// @param amountOfShares The pool shares locked.
    event WithdrawalRequested(
        uint256 indexed requestId,
        address indexed requestor,
        address indexed owner,
        uint256 amountOfEther,
        uint256 amountOfShares
    );

    /// @notice A report finalized requests `from`…`to` (pinned).
    /// @param from The first request finalized.
    /// @param to The last request finalized.
    /// @param amountOfEtherLocked ETH locked for them, in wei.
    /// @param sharesToBurn Their shares, burned by the pool.
    /// @param timestamp When.
    event WithdrawalsFinalized(
        uint256 indexed from,
        uint256 indexed to,
        uint256 amountOfEtherLocked,
        uint256 sharesToBurn,
        uint256 timestamp
    );

    /// @notice A request was claimed and its NFT burned (pinned).
    /// @param requestId The request.
    /// @param owner Its owner.
    /// @param receiver Who got the ETH.
    /// @param amountOfEther The ETH paid, in wei.
    event WithdrawalClaimed(
        uint256 indexed requestId,
        address indexed owner,
        address indexed receiver,
        uint256 amountOfEther
    );

    /// @notice Part of a claimed request's lock was not owed to it and went back to the pool.
    /// @param requestId The request.
    /// @param amountOfEther The ETH returned, in wei.
    event ExcessReturnedToPool(uint256 indexed requestId, uint256 amountOfEther);

    /// @notice Requests, claims and finalization were paused or resumed.
    /// @param account Who paused or resumed.
    /// @param paused Whether they are paused now.
    event WithdrawalsPausedSet(address indexed account, bool paused);

    // ──────────────────────────────── Requests ────────────────────────────────

    /// @notice Locks tpETH amounts (pulled with `transferFrom`) in one request each (pinned).
    /// @param amounts tpETH per request, in wei (each within the bounds).
    /// @param owner The requests' owner (zero: the caller).
    /// @return requestIds The new requests.
    function requestWithdrawals(
        uint256[] calldata amounts,
        address owner
    ) external returns (uint256[] memory requestIds);

    /// @notice As {requestWithdrawals}, after applying a tpETH permit (pinned). A permit that fails,
    /// for example because someone submitted the same signature first, is ignored when the allowance
    /// it would have set is already in place.
    /// @param amounts tpETH per request, in wei.
    /// @param owner The requests' owner (zero: the caller).
    /// @param permit The caller's permit for this queue.
    /// @return requestIds The new requests.
    function requestWithdrawalsWithPermit(
        uint256[] calldata amounts,
        address owner,
        PermitInput calldata permit
    ) external returns (uint256[] memory requestIds);

    /// @notice As {requestWithdrawalsWithPermit}, with the permit's signature as bytes, which any
    /// wallet can make: checked by the pool with ERC-1271 for a contract caller, ECDSA otherwise. The
    /// same rule applies: a permit that fails is ignored when the allowance is already in place.
    /// @dev Its name sorts its selector after `requestWithdrawals` in the dispatcher (design.md §40).
    /// @param amounts tpETH per request, in wei.
    /// @param owner The requests' owner (zero: the caller).
    /// @param permit The caller's permit for this queue.
    /// @return requestIds The new requests.
    function requestWithdrawalsWithPermitAsBytes(
        uint256[] calldata amounts,
        address owner,
        PermitSignatureInput calldata permit
    ) external returns (uint256[] memory requestIds);

    /// @notice Locks wtpETH amounts (pulled and unwrapped) in one request each (pinned).
    /// @param amounts wtpETH per request (each worth an ETH amount within the bounds).
    /// @param owner The requests' owner (zero: the caller).
    /// @return requestIds The new requests.
    function requestWithdrawalsWrapped(
        uint256[] calldata amounts,
        address owner
    ) external returns (uint256[] memory requestIds);

    /// @notice As {requestWithdrawalsWrapped}, after applying a wtpETH permit (pinned); a failed
    /// permit is ignored when the allowance is already in place.
    /// @param amounts wtpETH per request.
    /// @param owner The requests' owner (zero: the caller).
    /// @param permit The caller's permit for this queue.
    /// @return requestIds The new requests.
    function requestWithdrawalsWrappedWithPermit(
        uint256[] calldata amounts,
        address owner,
        PermitInput calldata permit
    ) external returns (uint256[] memory requestIds);

    /// @notice As {requestWithdrawalsWrappedWithPermit}, with the wtpETH permit's signature as bytes
    /// (ERC-1271 for a contract caller, ECDSA otherwise); a failed permit is ignored when the
    /// allowance is already in place.
    /// @dev Its name sorts its selector after the hot entry points in the dispatcher (design.md §40).
    /// @param amounts wtpETH per request.
    /// @param owner The requests' owner (zero: the caller).
    /// @param permit The caller's permit for this queue.
    /// @return requestIds The new requests.
    function requestWithdrawalsWrappedWithPermitAsBytes(
        uint256[] calldata amounts,
        address owner,
        PermitSignatureInput calldata permit
    ) external returns (uint256[] memory requestIds);

    // ──────────────────────────────── Claims ────────────────────────────────

    /// @notice Claims a finalized request to its owner, finding its checkpoint by binary search (pinned).
    /// @param requestId The request.
    function claimWithdrawal(uint256 requestId) external;

    /// @notice Claims finalized requests to their owner, the caller (pinned).
    /// @param requestIds The requests.
    /// @param hints Their checkpoint indices (see {findCheckpointHints}).
    function claimWithdrawals(uint256[] calldata requestIds, uint256[] calldata hints) external;

    /// @notice Claims the caller's finalized requests to `recipient` (pinned).
    /// @param requestIds The requests.
    /// @param hints Their checkpoint indices.
    /// @param recipient Who gets the ETH.
    function claimWithdrawalsTo(uint256[] calldata requestIds, uint256[] calldata hints, address recipient) external;

    // ──────────────────────────────── Views ────────────────────────────────

    /// @notice Smallest request, in ETH wei (pinned: 100 wei).
    /// @return The minimum.
    // solhint-disable-next-line func-name-mixedcase
    function MIN_WITHDRAWAL_AMOUNT() external view returns (uint256);

    /// @notice Largest request, in ETH wei (pinned: 1000 ether).
    /// @return The maximum.
    // solhint-disable-next-line func-name-mixedcase
    function MAX_WITHDRAWAL_AMOUNT() external view returns (uint256);

    /// @notice The unclaimed requests an address owns, in the order it got them (pinned).
    /// @param owner The owner.
    /// @return requestIds The requests.
    function getWithdrawalRequests(address owner) external view returns (uint256[] memory requestIds);

    /// @notice Status of each request (pinned).
    /// @param requestIds The requests.
    /// @return statuses One per request.
    function getWithdrawalStatus(
        uint256[] calldata requestIds
    ) external view returns (WithdrawalRequestStatus[] memory statuses);

    /// @notice The newest request's id (0: none yet) (pinned).
    /// @return The id.
    function getLastRequestId() external view returns (uint256);

    /// @notice The last finalized request's id (0: none yet) (pinned).
    /// @return The id.
    function getLastFinalizedRequestId() external view returns (uint256);

    /// @notice The newest checkpoint's index (0: none yet; the first is 1) (pinned).
    /// @return The index.
    function getLastCheckpointIndex() external view returns (uint256);

    /// @notice ETH requested by requests not finalized yet, in wei: what the queue will need (pinned).
    /// @return The ETH.
    function unfinalizedEther() external view returns (uint256);

    /// @notice Pool shares locked by requests not finalized yet.
    /// @return The shares.
    function queuedShares() external view returns (uint256);

    /// @notice ETH the queue holds for finalized, unclaimed requests, in wei (pinned). Equals the
    /// queue's balance unless someone forced ETH into it.
    /// @return The ETH.
    function lockedEther() external view returns (uint256);

    /// @notice Each request's checkpoint index within `[firstIndex, lastIndex]` (0: not finalized) (pinned).
    /// @param requestIds The requests.
    /// @param firstIndex First checkpoint to search (≥ 1).
    /// @param lastIndex Last checkpoint to search (≤ {getLastCheckpointIndex}).
    /// @return hints One per request.
    function findCheckpointHints(
        uint256[] calldata requestIds,
        uint256 firstIndex,
        uint256 lastIndex
    ) external view returns (uint256[] memory hints);

    /// @notice ETH each request would pay if claimed now (0: not finalized or claimed) (pinned).
    /// @param requestIds The requests.
    /// @param hints Their checkpoint indices.
    /// @return claimable One per request, in wei.
    function getClaimableEther(
        uint256[] calldata requestIds,
        uint256[] calldata hints
    ) external view returns (uint256[] memory claimable);

    /// @notice What finalizing up to `lastRequestIdToFinalize` at the share rate
    /// `rateEther / rateShares` would lock and burn. Reverts for an id that cannot be finalized next.
    /// @param lastRequestIdToFinalize The last request to finalize.
    /// @param rateEther The share rate's numerator (the pool's totalPooledEther after the report).
    /// @param rateShares Its denominator (totalShares after the report).
    /// @return preview See {FinalizationPreview}.
    function simulateFinalization(
        uint256 lastRequestIdToFinalize,
        uint256 rateEther,
        uint256 rateShares
    ) external view returns (FinalizationPreview memory preview);

    /// @notice How far `availableEther` can finalize after a simulated report: the last request made
    /// at or before `maxTimestamp` whose batch's lock fits (0: none), found by binary search.
    /// @param availableEther ETH the buffer can give, in wei.
    /// @param rateEther The simulated report's totalPooledEther.
    /// @param rateShares The simulated report's totalShares.
    /// @param maxTimestamp The report's reference time (requests after it wait).
    /// @return lastRequestId The last request that can be finalized (0: none).
    /// @return etherToLock The ETH that finalizing up to it locks, in wei.
    function findMaxRequestIdToFinalize(
        uint256 availableEther,
        uint256 rateEther,
        uint256 rateShares,
        uint256 maxTimestamp
    ) external view returns (uint256 lastRequestId, uint256 etherToLock);

    /// @notice Whether requests and claims are paused.
    /// @return True when paused.
    function withdrawalsPaused() external view returns (bool);

    // ──────────────────────────────── Pool ────────────────────────────────

    /// @notice Finalizes requests up to the last of `batchEnds` at the share rate
    /// `rateEther / rateShares` (the pool's totals after the report's rewards, fees and loss cover),
    /// one checkpoint per batch, each locking min(Σ ETH requested, ⌊Σ shares × rate⌋) of its own
    /// requests — exactly what they will be paid when all of a batch's requests are on the same side
    /// of the rate. Pool only, inside an oracle report; the pool then burns the shares returned and
    /// sends the ETH with {fundFinalizedPayouts}. Reverts when batch ends are not ascending past the
    /// last finalized request, the last request was made after `maxTimestamp`, or the lock exceeds
    /// `availableEther`.
    /// @param batchEnds The last request of each batch, ascending.
    /// @param rateEther The share rate's numerator.
    /// @param rateShares Its denominator.
    /// @param maxTimestamp The report's reference slot time: later requests wait.
    /// @param availableEther The buffer after the report's vault ETH, in wei.
    /// @return etherToLock ETH to lock, in wei.
    /// @return sharesToBurn The requests' shares, for the pool to burn.
    /// @return nominalEther The ETH the finalized requests asked for, in wei (no longer reserved).
    function finalize(
        uint256[] calldata batchEnds,
        uint256 rateEther,
        uint256 rateShares,
        uint256 maxTimestamp,
        uint256 availableEther
    ) external returns (uint256 etherToLock, uint256 sharesToBurn, uint256 nominalEther);

    /// @notice The ETH a finalization locked, from the pool.
    function fundFinalizedPayouts() external payable;
}
