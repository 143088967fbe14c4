// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title MinLevelIndex — how many members sit at each level, and the lowest occupied level, in O(1)
/// @notice The registry keeps every operator that can take a deposit at the level "active validators";
/// a deposit must go to an operator at the lowest occupied level. Counts are packed 16 per word
/// (uint16 each); a two-level bitmap (a summary word over 256 words of 256 bits) marks occupied
/// levels, so `lowest` reads two words whatever the number of operators or levels.
/// @dev Levels are 0 … MAX_LEVEL (65,535); at most 65,535 members per level.
library MinLevelIndex {
    /// @notice A level beyond MAX_LEVEL was used.
    error LevelOutOfRange(uint256 level);
    /// @notice A member was removed from a level that holds none (an invariant of the caller broke).
    error LevelEmpty(uint256 level);

    /// @dev The highest level the index holds.
    uint256 internal constant MAX_LEVEL = 256 * 256 - 1;

    /// @dev Lives inside the owning contract's ERC-7201 namespace.
    struct Index {
        uint256 summary; // bit w: bitmap word w is non-zero
        mapping(uint256 word => uint256) bitmap; // bit b of word w: level w*256+b is occupied
        mapping(uint256 word => uint256) counts; // 16 levels per word, 16 bits each
    }

    /// @dev Adds one member at `level`.
    function add(Index storage self, uint256 level) internal {
        if (level > MAX_LEVEL) revert LevelOutOfRange(level);
        uint256 shift = (level & 15) << 4;
        uint256 word = self.counts[level >> 4];
        uint256 count = (word >> shift) & 0xffff;
        self.counts[level >> 4] = word + (1 << shift); // no carry: the caller has < 2^16 members in all
        if (count == 0) {
            uint256 bits = self.bitmap[level >> 8];
            if (bits == 0) self.summary |= 1 << (level >> 8);
            self.bitmap[level >> 8] = bits | (1 << (level & 255));
        }
    }

    /// @dev Removes one member from `level` (which must hold one).
    function remove(Index storage self, uint256 level) internal {
        uint256 shift = (level & 15) << 4;
        uint256 word = self.counts[level >> 4];
        uint256 count = (word >> shift) & 0xffff;
        if (count == 0) revert LevelEmpty(level); // a bare subtraction would borrow from the next level
        self.counts[level >> 4] = word - (1 << shift);
        if (count == 1) {
            uint256 bits = self.bitmap[level >> 8] & ~(1 << (level & 255));
            self.bitmap[level >> 8] = bits;
            if (bits == 0) self.summary &= ~(1 << (level >> 8));
        }
    }

    /// @dev The lowest occupied level; `found` is false when the index is empty.
    function lowest(Index storage self) internal view returns (bool found, uint256 level) {
        uint256 summary = self.summary;
        if (summary == 0) return (false, 0);
        uint256 w = _lowestBit(summary);
        return (true, (w << 8) | _lowestBit(self.bitmap[w]));
    }

    /// @dev The number of members at `level`.
    function countAt(Index storage self, uint256 level) internal view returns (uint256) {
        return (self.counts[level >> 4] >> ((level & 15) << 4)) & 0xffff;
    }

    /// @dev Index of the least significant set bit of a non-zero word.
    function _lowestBit(uint256 x) private pure returns (uint256) {
        unchecked {
            return Math.log2(x & (~x + 1));
        }
    }
}
