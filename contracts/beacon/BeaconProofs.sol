// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title BeaconProofs — SSZ hashing and Merkle branches with the SHA-256 precompile
/// @notice The pieces of a beacon-state proof: a container's hash tree root from its 32-byte
/// leaves, a `Validator` record's root, a uint64 as an SSZ chunk, and a branch walked up from a leaf
/// with the siblings read straight from calldata.
/// @dev Every hash is one call to the SHA-256 precompile (address 2) on 64 bytes. Calls that fail
/// (only possible out of gas) are remembered and make the whole computation revert with
/// `Sha256Failed`: an unchecked failure would leave the caller's own bytes in place of a hash.
library BeaconProofs {
    /// @notice The SHA-256 precompile failed (out of gas).
    error Sha256Failed();

    /// @notice The deepest list data tree a branch may cross implicitly (see `walkEmpty`).
    uint256 internal constant MAX_LIMIT_DEPTH = 48;

    /// @notice The root of an empty subtree of depth 1: sha256(0 ‖ 0).
    bytes32 internal constant ZERO_HASH_1 = 0xf5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b;

    /// @notice sha256(a ‖ b).
    /// @param a The left node.
    /// @param b The right node.
    /// @return h The parent node.
    function hashPair(bytes32 a, bytes32 b) internal view returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, a)
            mstore(0x20, b)
            if iszero(staticcall(gas(), 0x02, 0x00, 0x40, 0x00, 0x20)) {
                mstore(0x00, 0xc176b3c5) // Sha256Failed()
                revert(0x1c, 0x04)
            }
            h := mload(0x00)
        }
    }

    /// @notice A uint64 as an SSZ chunk: 8 little-endian bytes, then 24 zero bytes.
    /// @param value The number.
    /// @return chunk The chunk.
    function toChunk(uint64 value) internal pure returns (bytes32 chunk) {
        uint256 v = value;
        v = ((v & 0xFF00FF00FF00FF00) >> 8) | ((v & 0x00FF00FF00FF00FF) << 8);
        v = ((v & 0xFFFF0000FFFF0000) >> 16) | ((v & 0x0000FFFF0000FFFF) << 16);
        v = ((v & 0xFFFFFFFF00000000) >> 32) | ((v & 0x00000000FFFFFFFF) << 32);
        chunk = bytes32(v << 192);
    }

    /// @notice Reverses the byte order within each of the four 64-bit lanes of `lanes`: for a
    /// uint64 in lane i (lane 0 the most significant), `(result << 64i) & ~(2^192 − 1)` is its SSZ
    /// chunk (see `toChunk`), four numbers for the price of one.
    /// @param lanes Four uint64, lane 0 the most significant.
    /// @return swapped The four numbers little-endian, each in its own lane.
    function swapLanes(uint256 lanes) internal pure returns (uint256 swapped) {
        uint256 v = lanes;
        v =
            ((v >> 8) & 0x00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF) |
            ((v & 0x00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF) << 8);
        v =
            ((v >> 16) & 0x0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF) |
            ((v & 0x0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF) << 16);
        swapped =
            ((v >> 32) & 0x00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF) |
            ((v & 0x00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF) << 32);
    }

    /// @notice The uint64 at little-endian bytes `8 × position` .. `8 × position + 7` of a chunk.
    /// @param chunk The chunk (four packed uint64).
    /// @param position 0..3.
    /// @return value The number.
    function uint64At(bytes32 chunk, uint256 position) internal pure returns (uint64 value) {
        uint256 v = (uint256(chunk) >> (192 - 64 * position)) & 0xFFFFFFFFFFFFFFFF;
        v = ((v & 0xFF00FF00FF00FF00) >> 8) | ((v & 0x00FF00FF00FF00FF) << 8);
        v = ((v & 0xFFFF0000FFFF0000) >> 16) | ((v & 0x0000FFFF0000FFFF) << 16);
        value = uint64((v >> 32) | ((v & 0xFFFFFFFF) << 32));
    }

    /// @notice The hash tree root of 8 leaves in memory at `ptr`, hashed in place (the 8 words are
    /// overwritten).
    /// @dev Unrolled: seven precompile calls, each writing its parent over the left child's word.
    /// @param ptr Memory address of 8 consecutive 32-byte leaves.
    /// @return root The root.
    function merkleize8(uint256 ptr) internal view returns (bytes32 root) {
        assembly ("memory-safe") {
            let ok := staticcall(gas(), 0x02, ptr, 0x40, ptr, 0x20)
            ok := and(ok, staticcall(gas(), 0x02, add(ptr, 0x40), 0x40, add(ptr, 0x20), 0x20))
            ok := and(ok, staticcall(gas(), 0x02, add(ptr, 0x80), 0x40, add(ptr, 0x40), 0x20))
            ok := and(ok, staticcall(gas(), 0x02, add(ptr, 0xc0), 0x40, add(ptr, 0x60), 0x20))
            ok := and(ok, staticcall(gas(), 0x02, ptr, 0x40, ptr, 0x20))
            ok := and(ok, staticcall(gas(), 0x02, add(ptr, 0x40), 0x40, add(ptr, 0x20), 0x20))
            ok := and(ok, staticcall(gas(), 0x02, ptr, 0x40, ptr, 0x20))
            if iszero(ok) {
                mstore(0x00, 0xc176b3c5) // Sha256Failed()
                revert(0x1c, 0x04)
            }
            root := mload(ptr)
        }
    }

    /// @notice Walks `count` levels up from `node` at `index`, the siblings read from calldata
    /// bottom-up at `siblingsOffset`: at each level the low bit of `index` says whether the node is
    /// the right child.
    /// @dev The pair being hashed sits in scratch memory (0x00–0x3f), the node on its side; each
    /// hash is written straight to the side its parent takes, so the loop loads nothing back.
    /// @param node The leaf (or subtree root) to start from.
    /// @param index Its index among the nodes of its level (only the low `count` bits are used).
    /// @param siblingsOffset Calldata offset of the first sibling.
    /// @param count The number of levels (< 251).
    /// @return root The root reached.
    function walk(
        bytes32 node,
        uint256 index,
        uint256 siblingsOffset,
        uint256 count
    ) internal view returns (bytes32 root) {
        assembly ("memory-safe") {
            let ok := 1
            let bits := shl(5, index) // bit 5: the current node is the right child
            mstore(and(bits, 0x20), node)
            let p := siblingsOffset
            let end := add(siblingsOffset, shl(5, count))
            // Two levels per iteration, after one alone if the count is odd.
            if and(count, 1) {
                mstore(and(not(bits), 0x20), calldataload(p))
                bits := shr(1, bits)
                ok := staticcall(gas(), 0x02, 0x00, 0x40, and(bits, 0x20), 0x20)
                p := add(p, 0x20)
            }
            for {} lt(p, end) {
                p := add(p, 0x40)
            } {
                mstore(and(not(bits), 0x20), calldataload(p))
                bits := shr(1, bits)
                ok := and(ok, staticcall(gas(), 0x02, 0x00, 0x40, and(bits, 0x20), 0x20))
                mstore(and(not(bits), 0x20), calldataload(add(p, 0x20)))
                bits := shr(1, bits)
                ok := and(ok, staticcall(gas(), 0x02, 0x00, 0x40, and(bits, 0x20), 0x20))
            }
            if iszero(ok) {
                mstore(0x00, 0xc176b3c5) // Sha256Failed()
                revert(0x1c, 0x04)
            }
            root := mload(and(bits, 0x20))
        }
    }

    /// @notice The root of an SSZ list from the root `node` of its data tree's left-most subtree
    /// of depth `fromDepth`: walks up through empty right siblings to the data tree's depth
    /// `limitDepth` (`fromDepth` ≤ `limitDepth` ≤ MAX_LIMIT_DEPTH), then mixes in the length.
    /// @dev The roots of empty subtrees go to free memory as a table (see `writeZeroHashes`), word
    /// k at `table + 32k`; word `limitDepth` takes the length's chunk. The node goes
    /// in the word before zero_hashes[fromDepth], and each hash overwrites the word its right input
    /// came from, so that it is the left input of the next level: one precompile call per level.
    /// @param node The root of the non-empty left subtree.
    /// @param fromDepth Its depth.
    /// @param limitDepth The depth of the list's data tree.
    /// @param lengthChunk The list's length as an SSZ chunk (see `toChunk`).
    /// @return root The list's hash tree root.
    function listRoot(
        bytes32 node,
        uint256 fromDepth,
        uint256 limitDepth,
        bytes32 lengthChunk
    ) internal view returns (bytes32 root) {
        uint256 table;
        assembly ("memory-safe") {
            table := add(mload(0x40), 0x20)
            // Allocated (one word below the table, limitDepth + 1 words in it): Solidity code runs
            // between writing the table and walking it.
            mstore(0x40, add(table, shl(5, add(limitDepth, 1))))
        }
        writeZeroHashes(table, fromDepth, limitDepth);
        assembly ("memory-safe") {
            mstore(add(table, shl(5, limitDepth)), lengthChunk)
            let ok := 1
            let p := add(table, shl(5, fromDepth))
            mstore(sub(p, 0x20), node)
            // limitDepth + 1 − fromDepth levels: two per iteration, after one alone if odd.
            if iszero(and(sub(limitDepth, fromDepth), 1)) {
                ok := staticcall(gas(), 0x02, sub(p, 0x20), 0x40, p, 0x20)
                p := add(p, 0x20)
            }
            for {
                let end := add(table, shl(5, add(limitDepth, 1)))
            } lt(p, end) {
                p := add(p, 0x40)
            } {
                ok := and(ok, staticcall(gas(), 0x02, sub(p, 0x20), 0x40, p, 0x20))
                ok := and(ok, staticcall(gas(), 0x02, p, 0x40, add(p, 0x20), 0x20))
            }
            if iszero(ok) {
                mstore(0x00, 0xc176b3c5) // Sha256Failed()
                revert(0x1c, 0x04)
            }
            root := mload(sub(p, 0x20))
        }
    }

    /// @notice Writes zero_hashes[k], the root of an empty subtree of depth k (zero_hashes[0] = 0,
    /// zero_hashes[k+1] = sha256(zero_hashes[k] ‖ zero_hashes[k])), to memory word `table + 32k`
    /// for k = `fromDepth`..`toDepth` − 1 (and the rest of their groups of eight: only the groups a
    /// walk uses are written).
    /// @param table Memory address of word 0 (free memory; 48 words are written at most).
    /// @param fromDepth The first depth needed.
    /// @param toDepth One past the last depth needed (≤ MAX_LIMIT_DEPTH).
    // solhint-disable-next-line function-max-lines
    function writeZeroHashes(uint256 table, uint256 fromDepth, uint256 toDepth) internal pure {
        assembly ("memory-safe") {
            if lt(fromDepth, 8) {
                mstore(add(table, 0x000), 0x0000000000000000000000000000000000000000000000000000000000000000)
                mstore(add(table, 0x020), 0xf5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b)
                mstore(add(table, 0x040), 0xdb56114e00fdd4c1f85c892bf35ac9a89289aaecb1ebd0a96cde606a748b5d71)
                mstore(add(table, 0x060), 0xc78009fdf07fc56a11f122370658a353aaa542ed63e44c4bc15ff4cd105ab33c)
                mstore(add(table, 0x080), 0x536d98837f2dd165a55d5eeae91485954472d56f246df256bf3cae19352a123c)
                mstore(add(table, 0x0a0), 0x9efde052aa15429fae05bad4d0b1d7c64da64d03d7a1854a588c2cb8430c0d30)
                mstore(add(table, 0x0c0), 0xd88ddfeed400a8755596b21942c1497e114c302e6118290f91e6772976041fa1)
                mstore(add(table, 0x0e0), 0x87eb0ddba57e35f6d286673802a4af5975e22506c7cf4c64bb6be5ee11527f2c)
            }
            if and(lt(fromDepth, 16), gt(toDepth, 8)) {
                mstore(add(table, 0x100), 0x26846476fd5fc54a5d43385167c95144f2643f533cc85bb9d16b782f8d7db193)
                mstore(add(table, 0x120), 0x506d86582d252405b840018792cad2bf1259f1ef5aa5f887e13cb2f0094f51e1)
                mstore(add(table, 0x140), 0xffff0ad7e659772f9534c195c815efc4014ef1e1daed4404c06385d11192e92b)
                mstore(add(table, 0x160), 0x6cf04127db05441cd833107a52be852868890e4317e6a02ab47683aa75964220)
                mstore(add(table, 0x180), 0xb7d05f875f140027ef5118a2247bbb84ce8f2f0f1123623085daf7960c329f5f)
                mstore(add(table, 0x1a0), 0xdf6af5f5bbdb6be9ef8aa618e4bf8073960867171e29676f8b284dea6a08a85e)
                mstore(add(table, 0x1c0), 0xb58d900f5e182e3c50ef74969ea16c7726c549757cc23523c369587da7293784)
                mstore(add(table, 0x1e0), 0xd49a7502ffcfb0340b1d7885688500ca308161a7f96b62df9d083b71fcc8f2bb)
            }
            if and(lt(fromDepth, 24), gt(toDepth, 16)) {
                mstore(add(table, 0x200), 0x8fe6b1689256c0d385f42f5bbe2027a22c1996e110ba97c171d3e5948de92beb)
                mstore(add(table, 0x220), 0x8d0d63c39ebade8509e0ae3c9c3876fb5fa112be18f905ecacfecb92057603ab)
                mstore(add(table, 0x240), 0x95eec8b2e541cad4e91de38385f2e046619f54496c2382cb6cacd5b98c26f5a4)
                mstore(add(table, 0x260), 0xf893e908917775b62bff23294dbbe3a1cd8e6cc1c35b4801887b646a6f81f17f)
                mstore(add(table, 0x280), 0xcddba7b592e3133393c16194fac7431abf2f5485ed711db282183c819e08ebaa)
                mstore(add(table, 0x2a0), 0x8a8d7fe3af8caa085a7639a832001457dfb9128a8061142ad0335629ff23ff9c)
                mstore(add(table, 0x2c0), 0xfeb3c337d7a51a6fbf00b9e34c52e1c9195c969bd4e7a0bfd51d5c5bed9c1167)
                mstore(add(table, 0x2e0), 0xe71f0aa83cc32edfbefa9f4d3e0174ca85182eec9f3a09f6a6c0df6377a510d7)
            }
            if and(lt(fromDepth, 32), gt(toDepth, 24)) {
                mstore(add(table, 0x300), 0x31206fa80a50bb6abe29085058f16212212a60eec8f049fecb92d8c8e0a84bc0)
                mstore(add(table, 0x320), 0x21352bfecbeddde993839f614c3dac0a3ee37543f9b412b16199dc158e23b544)
                mstore(add(table, 0x340), 0x619e312724bb6d7c3153ed9de791d764a366b389af13c58bf8a8d90481a46765)
                mstore(add(table, 0x360), 0x7cdd2986268250628d0c10e385c58c6191e6fbe05191bcc04f133f2cea72c1c4)
                mstore(add(table, 0x380), 0x848930bd7ba8cac54661072113fb278869e07bb8587f91392933374d017bcbe1)
                mstore(add(table, 0x3a0), 0x8869ff2c22b28cc10510d9853292803328be4fb0e80495e8bb8d271f5b889636)
                mstore(add(table, 0x3c0), 0xb5fe28e79f1b850f8658246ce9b6a1e7b49fc06db7143e8fe0b4f2b0c5523a5c)
                mstore(add(table, 0x3e0), 0x985e929f70af28d0bdd1a90a808f977f597c7c778c489e98d3bd8910d31ac0f7)
            }
            if and(lt(fromDepth, 40), gt(toDepth, 32)) {
                mstore(add(table, 0x400), 0xc6f67e02e6e4e1bdefb994c6098953f34636ba2b6ca20a4721d2b26a886722ff)
                mstore(add(table, 0x420), 0x1c9a7e5ff1cf48b4ad1582d3f4e4a1004f3b20d8c5a2b71387a4254ad933ebc5)
                mstore(add(table, 0x440), 0x2f075ae229646b6f6aed19a5e372cf295081401eb893ff599b3f9acc0c0d3e7d)
                mstore(add(table, 0x460), 0x328921deb59612076801e8cd61592107b5c67c79b846595cc6320c395b46362c)
                mstore(add(table, 0x480), 0xbfb909fdb236ad2411b4e4883810a074b840464689986c3f8a8091827e17c327)
                mstore(add(table, 0x4a0), 0x55d8fb3687ba3ba49f342c77f5a1f89bec83d811446e1a467139213d640b6a74)
                mstore(add(table, 0x4c0), 0xf7210d4f8e7e1039790e7bf4efa207555a10a6db1dd4b95da313aaa88b88fe76)
                mstore(add(table, 0x4e0), 0xad21b516cbc645ffe34ab5de1c8aef8cd4e7f8d2b51e8e1456adc7563cda206f)
            }
            if and(lt(fromDepth, 48), gt(toDepth, 40)) {
                mstore(add(table, 0x500), 0x6bfe8d2bcc4237b74a5047058ef455339ecd7360cb63bfbb8ee5448e6430ba04)
                mstore(add(table, 0x520), 0xa7f23ce9181740dc220c814782654fee6aceb9f1ec9222c4e2467d0ab1680837)
                mstore(add(table, 0x540), 0xaef9476c89590a2c8cc9b3b74f4967c757c49d9866a44bacf21fa2ed675ddfa2)
                mstore(add(table, 0x560), 0x9a42bcad82f6a9e41284d808ead319f29f3b08209d680f0e2ce71510d071e205)
                mstore(add(table, 0x580), 0xd1a66d354a67b9cf179571d8e5f97792716e8dd4ec44196839a3f7c6b74f8bac)
                mstore(add(table, 0x5a0), 0xfafa3025f2f89509c2c71c74fba0cd92858ef49b0780fb5479746c8a9bfcb346)
                mstore(add(table, 0x5c0), 0x3334a7c1e7f6705aa6011a6a949645016db4acde0ca9abd66dc79d8266423056)
                mstore(add(table, 0x5e0), 0x0796fd75664faef744ee4e52d7271e2bbb769f91ed6f9b74d8b694f56606852c)
            }
        }
    }
}
