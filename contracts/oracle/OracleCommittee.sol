// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";

/// @title OracleCommittee — members vote on a report hash once per beacon-chain frame
/// @notice Time is the beacon chain's: slots of `SECONDS_PER_SLOT` seconds (12 on mainnet, set at
/// construction so short-slot devnets can run on the wall clock) from `genesisTime`, epochs of 32 slots, frames of
/// `epochsPerFrame` epochs. Frame `k` starts at slot `k × slotsPerFrame`; its reference slot is the
/// slot before, and reports for it are accepted until `refSlot + deadlineSlots`. Each member has one
/// vote per frame and may change it until the frame reaches consensus: `quorum` members on the same
/// hash. A frame is processed at most once.
/// @dev Trust assumptions:
/// 1. Fewer than `quorum` members are dishonest; `quorum` is always more than half the members, so two
///    different hashes can never both reach it in one frame.
/// 2. Governance (MANAGE_MEMBERS_ROLE) manages members and the quorum; removing a member withdraws its
///    vote in the current frame, and lowering the quorum lets the next submission of a hash that
///    already has enough support reach consensus.
/// Report variants of the current frame live in an array whose slots are reused across frames, so a
/// steady-state vote writes no fresh storage. A new hash takes a variant that has lost all its support
/// before a new entry, and an entry is added only while there are fewer variants than members: a frame
/// never holds more variants than the committee had members in it (≤ MAX_MEMBERS), and a member that
/// keeps changing its vote to new hashes holds a single one, so it cannot make the others' votes,
/// which scan the variants, any dearer.
abstract contract OracleCommittee is AccessControlUpgradeable {
    // ──────────────────────────────── Errors ────────────────────────────────

    /// @notice Only committee members may report.
    error NotMember(address account);
    /// @notice The address is already a member.
    error DuplicateMember(address member);
    /// @notice The committee is full.
    error TooManyMembers(uint256 max);
    /// @notice The quorum must be more than half the members and at most all of them.
    error InvalidQuorum(uint256 quorum, uint256 members);
    /// @notice The report is not for the current frame's reference slot (stale or from the future).
    error UnexpectedRefSlot(uint256 refSlot, uint256 currentRefSlot);
    /// @notice The frame's reporting window is over.
    error ReportDeadlinePassed(uint256 refSlot, uint256 deadlineSlot, uint256 currentSlot);
    /// @notice This frame has already been processed.
    error FrameAlreadyProcessed(uint256 refSlot);
    /// @notice The chain has not reached the first frame with a reference slot yet.
    error NoFrameYet(uint256 currentSlot);
    /// @notice Frame parameters out of bounds.
    error InvalidFrameConfig(uint256 epochsPerFrame, uint256 deadlineSlots);
    /// @notice An address argument is zero.
    error CommitteeZeroAddress(string argument);
    /// @notice Reports are paused.
    error ReportsPaused();
    /// @notice The constructor was given zero seconds per slot.
    error ZeroSecondsPerSlot();

    // ──────────────────────────────── Events ────────────────────────────────

    /// @notice A member voted for a report hash in a frame.
    /// @param refSlot The frame's reference slot.
    /// @param member The member.
    /// @param reportHash keccak256 of the ABI-encoded report.
    event ReportSubmitted(uint256 indexed refSlot, address indexed member, bytes32 reportHash);
    /// @notice A report hash reached the quorum; the report is applied in the same call.
    /// @param refSlot The frame's reference slot.
    /// @param reportHash The agreed hash.
    /// @param support Members that voted for it.
    event ConsensusReached(uint256 indexed refSlot, bytes32 reportHash, uint256 support);
    /// @notice A member joined.
    /// @param member The member.
    /// @param members Members now.
    /// @param quorum The quorum now.
    event MemberAdded(address indexed member, uint256 members, uint256 quorum);
    /// @notice A member left.
    /// @param member The member.
    /// @param members Members now.
    /// @param quorum The quorum now.
    event MemberRemoved(address indexed member, uint256 members, uint256 quorum);
    /// @notice The quorum changed.
    /// @param quorum Votes needed for consensus.
    event QuorumSet(uint256 quorum);
    /// @notice The frame configuration changed; votes in progress are dropped.
    /// @param epochsPerFrame Epochs per frame.
    /// @param deadlineSlots Slots after the reference slot during which reports are accepted.
    event FrameConfigSet(uint256 epochsPerFrame, uint256 deadlineSlots);

    // ──────────────────────────────── Constants ────────────────────────────────

    /// @notice May add and remove members and set the quorum and the frame configuration.
    bytes32 public constant MANAGE_MEMBERS_ROLE = keccak256("MANAGE_MEMBERS_ROLE");
    /// @notice Slots per epoch (physics).
    uint256 public constant SLOTS_PER_EPOCH = 32;
    /// @notice Members, at most.
    uint256 public constant MAX_MEMBERS = 64;

    // keccak256(abi.encode(uint256(keccak256("tidepool.storage.OracleCommittee")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xffc4513413b78576f368c1d3794f1774fc6b295a53111186e374c4ce2f950b00;
    /// @dev No variant (an index no frame reaches).
    uint256 private constant NO_VARIANT = type(uint256).max;

    // ──────────────────────────────── Immutables ────────────────────────────────

    /// @notice Seconds per slot of the beacon chain the frames follow (12 on mainnet and testnets).
    /// @dev An immutable in the implementation's code, not storage: proxies read it through the
    /// implementation, and an upgrade must pass the same value.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    uint256 public immutable SECONDS_PER_SLOT;

    // ──────────────────────────────── Storage ────────────────────────────────

    /// @dev A hash voted for in the current frame and how many members support it.
    struct Variant {
        bytes32 reportHash;
        uint256 support;
    }

    /// @dev A member's last vote: the voting round and the index of the variant it chose. Rounds (not
    /// reference slots) identify votes, because a frame-configuration change can bring a reference
    /// slot back after its variant slots were reused.
    struct Vote {
        uint64 round;
        uint64 variantIndex;
    }

    /// @custom:storage-location erc7201:tidepool.storage.OracleCommittee
    struct CommitteeStorage {
        uint64 genesisTime;
        uint32 epochsPerFrame;
        uint32 deadlineSlots;
        uint64 lastProcessedRefSlot;
        uint64 variantsRefSlot; // the frame `variants` belongs to
        uint64 variantsLength; // logical length; slots beyond it are stale but kept (cheaper rewrites)
        uint64 round; // advances whenever `variants` starts afresh; a vote counts only in its round
        bool paused; // no votes while set (kept in the word every vote reads)
        uint256 quorum;
        address[] members;
        mapping(address member => uint256) memberIndexPlusOne;
        mapping(address member => Vote) votes;
        Variant[] variants;
    }

    // ──────────────────────────────── Initialisation ────────────────────────────────

    /// @param secondsPerSlot Seconds per beacon slot (12 on mainnet); zero reverts with `ZeroSecondsPerSlot`.
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(uint256 secondsPerSlot) {
        if (secondsPerSlot == 0) revert ZeroSecondsPerSlot();
        SECONDS_PER_SLOT = secondsPerSlot;
    }

    /// @dev Sets the beacon time and frame configuration.
    // solhint-disable-next-line func-name-mixedcase
    function __OracleCommittee_init(
        uint256 genesisTime,
        uint256 epochsPerFrame,
        uint256 deadlineSlots
    ) internal onlyInitializing {
        _committeeStorage().genesisTime = uint64(genesisTime);
        _setFrameConfig(epochsPerFrame, deadlineSlots);
    }

    // ──────────────────────────────── Frames ────────────────────────────────

    /// @notice The current frame's reference slot and the last slot in which its report is accepted.
    /// @return refSlot The reference slot (the slot before the frame's first slot).
    /// @return reportProcessingDeadlineSlot The last slot for processing the frame's report.
    function getCurrentFrame() public view returns (uint256 refSlot, uint256 reportProcessingDeadlineSlot) {
        CommitteeStorage storage $ = _committeeStorage();
        uint256 slot = _currentSlot($);
        uint256 slotsPerFrame = uint256($.epochsPerFrame) * SLOTS_PER_EPOCH;
        uint256 frameStart = (slot / slotsPerFrame) * slotsPerFrame;
        if (frameStart == 0) revert NoFrameYet(slot);
        refSlot = frameStart - 1;
        reportProcessingDeadlineSlot = refSlot + $.deadlineSlots;
    }

    /// @notice The beacon-time configuration.
    /// @return genesisTime Unix time of slot 0.
    /// @return epochsPerFrame Epochs per frame.
    /// @return deadlineSlots Slots after the reference slot during which reports are accepted.
    function getFrameConfig()
        external
        view
        returns (uint256 genesisTime, uint256 epochsPerFrame, uint256 deadlineSlots)
    {
        CommitteeStorage storage $ = _committeeStorage();
        return ($.genesisTime, $.epochsPerFrame, $.deadlineSlots);
    }

    /// @notice The reference slot of the last processed frame (0 before the first).
    /// @return The reference slot.
    function getLastProcessedRefSlot() external view returns (uint256) {
        return _committeeStorage().lastProcessedRefSlot;
    }

    /// @notice Sets epochs per frame and the reporting window. Requires MANAGE_MEMBERS_ROLE.
    /// @param epochsPerFrame Epochs per frame (1 to 10,000).
    /// @param deadlineSlots Slots after the reference slot during which reports are accepted
    /// (1 to one frame).
    function setFrameConfig(uint256 epochsPerFrame, uint256 deadlineSlots) external onlyRole(MANAGE_MEMBERS_ROLE) {
        _setFrameConfig(epochsPerFrame, deadlineSlots);
    }

    // ──────────────────────────────── Members ────────────────────────────────

    /// @notice Adds a member and sets the quorum. Requires MANAGE_MEMBERS_ROLE.
    /// @param member The new member.
    /// @param newQuorum The quorum from now on (more than half the members).
    function addMember(address member, uint256 newQuorum) external onlyRole(MANAGE_MEMBERS_ROLE) {
        _addMember(member, newQuorum);
    }

    /// @notice Removes a member, withdrawing its vote in the current frame, and sets the quorum.
    /// Requires MANAGE_MEMBERS_ROLE.
    /// @param member The member to remove.
    /// @param newQuorum The quorum from now on (more than half the members left).
    function removeMember(address member, uint256 newQuorum) external onlyRole(MANAGE_MEMBERS_ROLE) {
        CommitteeStorage storage $ = _committeeStorage();
        uint256 indexPlusOne = $.memberIndexPlusOne[member];
        if (indexPlusOne == 0) revert NotMember(member);
        uint256 last = $.members.length - 1;
        if (indexPlusOne - 1 != last) {
            address moved = $.members[last];
            $.members[indexPlusOne - 1] = moved;
            $.memberIndexPlusOne[moved] = indexPlusOne;
        }
        $.members.pop();
        delete $.memberIndexPlusOne[member];

        Vote memory vote = $.votes[member];
        if (vote.round != 0 && vote.round == $.round && $.variantsRefSlot > $.lastProcessedRefSlot) {
            --$.variants[vote.variantIndex].support; // its vote in the open frame no longer counts
        }
        delete $.votes[member];
        _setQuorum(newQuorum);
        emit MemberRemoved(member, $.members.length, newQuorum);
    }

    /// @notice Sets the quorum. Requires MANAGE_MEMBERS_ROLE.
    /// @param newQuorum More than half the members, at most all of them.
    function setQuorum(uint256 newQuorum) external onlyRole(MANAGE_MEMBERS_ROLE) {
        _setQuorum(newQuorum);
    }

    /// @notice The committee members.
    /// @return The member addresses.
    function getMembers() external view returns (address[] memory) {
        return _committeeStorage().members;
    }

    /// @notice Whether `account` is a member.
    /// @param account The address.
    /// @return True for a member.
    function isMember(address account) external view returns (bool) {
        return _committeeStorage().memberIndexPlusOne[account] != 0;
    }

    /// @notice Votes needed for consensus.
    /// @return The quorum.
    function quorum() external view returns (uint256) {
        return _committeeStorage().quorum;
    }

    /// @notice The current frame's report hashes and their support (empty until someone votes).
    /// @return refSlot The frame the variants belong to (0 if none yet).
    /// @return hashes The report hashes voted for.
    /// @return support Members supporting each hash.
    function getReportVariants()
        external
        view
        returns (uint256 refSlot, bytes32[] memory hashes, uint256[] memory support)
    {
        CommitteeStorage storage $ = _committeeStorage();
        uint256 n = $.variantsLength;
        hashes = new bytes32[](n);
        support = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            (hashes[i], support[i]) = ($.variants[i].reportHash, $.variants[i].support);
        }
        return ($.variantsRefSlot, hashes, support);
    }

    // ──────────────────────────────── Voting ────────────────────────────────

    /// @dev Records the caller's vote for `reportHash` in the frame `refSlot`. Returns true when this
    /// vote brings the hash to the quorum: the frame is then marked processed, and the caller applies
    /// the report in the same transaction.
    function _vote(uint256 refSlot, bytes32 reportHash) internal returns (bool consensus) {
        CommitteeStorage storage $ = _committeeStorage();
        if ($.paused) revert ReportsPaused();
        if ($.memberIndexPlusOne[msg.sender] == 0) revert NotMember(msg.sender);
        (uint256 currentRefSlot, uint256 deadline) = getCurrentFrame();
        if (refSlot != currentRefSlot) revert UnexpectedRefSlot(refSlot, currentRefSlot);
        uint256 slot = _currentSlot($);
        if (slot > deadline) revert ReportDeadlinePassed(refSlot, deadline, slot);
        if (refSlot <= $.lastProcessedRefSlot) revert FrameAlreadyProcessed(refSlot);

        // A new frame starts a new round with a fresh (logical) variant list; its slots are reused.
        uint64 round = $.round;
        if ($.variantsRefSlot != refSlot || round == 0) {
            round = _startRound($);
            $.variantsRefSlot = uint64(refSlot);
        }

        // A changed or repeated vote first withdraws the member's earlier one; a variant that loses its
        // last supporter so is free for a new hash.
        Vote memory previous = $.votes[msg.sender];
        uint256 freed = NO_VARIANT;
        if (previous.round == round && --$.variants[previous.variantIndex].support == 0) {
            freed = previous.variantIndex;
        }

        uint256 needed = $.quorum;
        (uint256 index, uint256 support) = _addSupport($, reportHash, freed, needed);
        $.votes[msg.sender] = Vote({round: round, variantIndex: uint64(index)});
        emit ReportSubmitted(refSlot, msg.sender, reportHash);

        if (support >= needed) {
            $.lastProcessedRefSlot = uint64(refSlot);
            emit ConsensusReached(refSlot, reportHash, support);
            return true;
        }
        return false;
    }

    // ──────────────────────────────── Internal ────────────────────────────────

    /// @dev The current frame's reference slot, or false before the first frame.
    function _currentRefSlotIfAny() internal view returns (bool, uint256) {
        CommitteeStorage storage $ = _committeeStorage();
        uint256 slotsPerFrame = uint256($.epochsPerFrame) * SLOTS_PER_EPOCH;
        uint256 frameStart = (_currentSlot($) / slotsPerFrame) * slotsPerFrame;
        return frameStart == 0 ? (false, 0) : (true, frameStart - 1);
    }

    /// @dev Unix time of the start of `slot`.
    function _slotTimestamp(uint256 slot) internal view returns (uint256) {
        return _committeeStorage().genesisTime + slot * SECONDS_PER_SLOT;
    }

    /// @dev Pauses or resumes voting.
    function _setPaused(bool paused) internal {
        _committeeStorage().paused = paused;
    }

    /// @dev Whether voting is paused.
    function _paused() internal view returns (bool) {
        return _committeeStorage().paused;
    }

    /// @dev Adds a member and sets the quorum (more than half the members).
    function _addMember(address member, uint256 newQuorum) internal {
        if (member == address(0)) revert CommitteeZeroAddress("member");
        CommitteeStorage storage $ = _committeeStorage();
        if ($.memberIndexPlusOne[member] != 0) revert DuplicateMember(member);
        if ($.members.length >= MAX_MEMBERS) revert TooManyMembers(MAX_MEMBERS);
        $.members.push(member);
        $.memberIndexPlusOne[member] = $.members.length;
        _setQuorum(newQuorum);
        emit MemberAdded(member, $.members.length, newQuorum);
    }

    /// @dev Adds the caller's vote to `reportHash` among the frame's variants; returns the variant's
    /// index and support. A new hash takes the variant the caller's vote has just left without support
    /// (`freed`, or NO_VARIANT); else, once there are as many variants as members, one without support;
    /// else a new entry. So entries are added only while there are fewer than members, and a member
    /// changing its vote to ever new hashes keeps a single one.
    function _addSupport(
        CommitteeStorage storage $,
        bytes32 reportHash,
        uint256 freed,
        uint256 quorum_
    ) private returns (uint256 index, uint256 support) {
        uint256 n = $.variantsLength;
        for (uint256 i = 0; i < n; ++i) {
            if ($.variants[i].reportHash == reportHash) return (i, ++$.variants[i].support);
        }
        // n < quorum ≤ members spares reading the member count on a frame's first votes.
        if (freed == NO_VARIANT && n >= quorum_ && n >= $.members.length) {
            // The caller's earlier vote is withdrawn, so at most members − 1 votes back these n ≥ members
            // variants: at least one has none.
            for (uint256 i = 0; i < n; ++i) {
                if ($.variants[i].support == 0) {
                    freed = i;
                    break;
                }
            }
        }
        if (freed != NO_VARIANT) {
            $.variants[freed] = Variant({reportHash: reportHash, support: 1}); // it had none
            return (freed, 1);
        }
        if (n < $.variants.length) {
            $.variants[n] = Variant({reportHash: reportHash, support: 1});
        } else {
            $.variants.push(Variant({reportHash: reportHash, support: 1}));
        }
        $.variantsLength = uint64(n + 1);
        return (n, 1);
    }

    /// @dev Drops the variant list and every vote in it by moving to the next round.
    function _startRound(CommitteeStorage storage $) private returns (uint64 round) {
        round = $.round + 1;
        $.round = round;
        $.variantsLength = 0;
    }

    /// @dev Sets the quorum: more than half the members, at most all of them.
    function _setQuorum(uint256 newQuorum) internal {
        CommitteeStorage storage $ = _committeeStorage();
        uint256 members = $.members.length;
        if (newQuorum > members || newQuorum * 2 <= members) revert InvalidQuorum(newQuorum, members);
        $.quorum = newQuorum;
        emit QuorumSet(newQuorum);
    }

    function _setFrameConfig(uint256 epochsPerFrame, uint256 deadlineSlots) private {
        if (
            epochsPerFrame == 0 ||
            epochsPerFrame > 10_000 ||
            deadlineSlots == 0 ||
            deadlineSlots > epochsPerFrame * SLOTS_PER_EPOCH
        ) revert InvalidFrameConfig(epochsPerFrame, deadlineSlots);
        CommitteeStorage storage $ = _committeeStorage();
        ($.epochsPerFrame, $.deadlineSlots) = (uint32(epochsPerFrame), uint32(deadlineSlots));
        // Frame boundaries moved: votes in progress were for frames that may no longer exist.
        _startRound($);
        $.variantsRefSlot = 0;
        emit FrameConfigSet(epochsPerFrame, deadlineSlots);
    }

    /// @dev Slots since genesis (0 before genesis, which falls in "no frame yet").
    function _currentSlot(CommitteeStorage storage $) private view returns (uint256) {
        uint256 genesis = $.genesisTime;
        return block.timestamp < genesis ? 0 : (block.timestamp - genesis) / SECONDS_PER_SLOT;
    }

    function _committeeStorage() private pure returns (CommitteeStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }
}
