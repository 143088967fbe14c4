// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice The pool's stake limit and pause flags, packed in one storage word so that a stake reads
/// and writes it once.
/// @dev Bit layout (low to high):
///   [  0,  96) prevStakeLimit   wei left after the last stake
///   [ 96, 128) prevStakeBlock   block of the last stake or limit change
///   [128, 224) maxStakeLimit    wei; 0 = no limit
///   [224, 248) growthBlocks     blocks to refill from 0 to max; 0 = no regrowth
///   [248, 256) pausedFlags      capability bits
/// The limit refills linearly: current = min(max, prev + (block − prevBlock) × max / growthBlocks).
type StakeControl is uint256;

using StakeControlLib for StakeControl global;

/// @title StakeControlLib — accessors and the refill rule for {StakeControl}
library StakeControlLib {
    uint256 private constant MASK_96 = (1 << 96) - 1;
    uint256 private constant MASK_32 = (1 << 32) - 1;
    uint256 private constant MASK_24 = (1 << 24) - 1;
    uint256 private constant BLOCK_SHIFT = 96;
    uint256 private constant MAX_SHIFT = 128;
    uint256 private constant GROWTH_SHIFT = 224;
    uint256 private constant FLAGS_SHIFT = 248;

    /// @dev The paused-capability bits.
    function pausedFlags(StakeControl c) internal pure returns (uint8) {
        return uint8(StakeControl.unwrap(c) >> FLAGS_SHIFT);
    }

    /// @dev The maximum stake limit in wei; 0 when there is no limit.
    function maxStakeLimit(StakeControl c) internal pure returns (uint256) {
        return (StakeControl.unwrap(c) >> MAX_SHIFT) & MASK_96;
    }

    /// @dev The limit left after the last stake, in wei.
    function prevStakeLimit(StakeControl c) internal pure returns (uint256) {
        return StakeControl.unwrap(c) & MASK_96;
    }

    /// @dev The block of the last stake or limit change.
    function prevStakeBlock(StakeControl c) internal pure returns (uint256) {
        return (StakeControl.unwrap(c) >> BLOCK_SHIFT) & MASK_32;
    }

    /// @dev Blocks to refill the limit from 0 to max; 0 = no regrowth.
    function growthBlocks(StakeControl c) internal pure returns (uint256) {
        return (StakeControl.unwrap(c) >> GROWTH_SHIFT) & MASK_24;
    }

    /// @dev The regrowth per block in wei (rounded down).
    function increasePerBlock(StakeControl c) internal pure returns (uint256) {
        uint256 blocks = growthBlocks(c);
        return blocks == 0 ? 0 : maxStakeLimit(c) / blocks;
    }

    /// @dev The limit available in the current block, in wei (ignores pausing and "no limit").
    function currentStakeLimit(StakeControl c) internal view returns (uint256) {
        uint256 max = maxStakeLimit(c);
        uint256 grown = prevStakeLimit(c) + (block.number - prevStakeBlock(c)) * increasePerBlock(c);
        return grown < max ? grown : max;
    }

    /// @dev `c` with `limitLeft` recorded at the current block. Requires limitLeft < 2^96.
    function withStakeLimitLeft(StakeControl c, uint256 limitLeft) internal view returns (StakeControl) {
        uint256 cleared = StakeControl.unwrap(c) & ~((1 << MAX_SHIFT) - 1);
        return StakeControl.wrap(cleared | (block.number << BLOCK_SHIFT) | limitLeft);
    }

    /// @dev `c` with new limit parameters and `limitLeft` recorded at the current block.
    /// Requires max < 2^96, blocks < 2^24 and limitLeft ≤ max.
    function withLimits(
        StakeControl c,
        uint256 max,
        uint256 blocks,
        uint256 limitLeft
    ) internal view returns (StakeControl) {
        uint256 flags = StakeControl.unwrap(c) & (uint256(0xff) << FLAGS_SHIFT);
        return
            StakeControl.wrap(
                flags | (blocks << GROWTH_SHIFT) | (max << MAX_SHIFT) | (block.number << BLOCK_SHIFT) | limitLeft
            );
    }

    /// @dev `c` with the paused-capability bits replaced.
    function withPausedFlags(StakeControl c, uint8 flags) internal pure returns (StakeControl) {
        uint256 word = StakeControl.unwrap(c) & ~(uint256(0xff) << FLAGS_SHIFT);
        return StakeControl.wrap(word | (uint256(flags) << FLAGS_SHIFT));
    }
}
