// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {IDepositContract} from "../interfaces/IDepositContract.sol";
import {DepositDataRoot} from "../lib/DepositDataRoot.sol";

/// @title DepositContract — the beacon-chain deposit contract, for local networks
/// @notice Written from the consensus specs (phase0 `Deposit`, `DepositData`, and the deposit
/// contract's incremental Merkle tree of depth 32, whose root is mixed in with the deposit count).
/// Same ABI, checks, event and roots as the canonical contract; its errors are custom errors.
/// Public networks use the canonical contract; Tidepool never deploys this one there.
contract DepositContract is IDepositContract, IERC165 {
    /// @notice The public key is not 48 bytes.
    error InvalidPubkeyLength(uint256 length);
    /// @notice The withdrawal credentials are not 32 bytes.
    error InvalidWithdrawalCredentialsLength(uint256 length);
    /// @notice The signature is not 96 bytes.
    error InvalidSignatureLength(uint256 length);
    /// @notice Deposits are at least 1 ETH.
    error DepositValueTooLow(uint256 value);
    /// @notice Deposits are whole gwei.
    error DepositValueNotMultipleOfGwei(uint256 value);
    /// @notice Deposits fit in a uint64 of gwei.
    error DepositValueTooHigh(uint256 value);
    /// @notice The given deposit_data_root does not match the deposit.
    error DepositDataRootMismatch(bytes32 given, bytes32 computed);
    /// @notice The tree holds 2^32 − 1 deposits at most.
    error MerkleTreeFull();

    uint256 private constant TREE_DEPTH = 32;
    uint256 private constant MAX_DEPOSIT_COUNT = 2 ** TREE_DEPTH - 1;

    /// @dev The left siblings of the path to the next leaf, one per level.
    bytes32[TREE_DEPTH] private _branch;
    /// @dev The roots of empty subtrees, one per level.
    bytes32[TREE_DEPTH] private _zeroHashes;
    uint256 private _depositCount;

    constructor() {
        for (uint256 h = 0; h < TREE_DEPTH - 1; ++h) {
            _zeroHashes[h + 1] = sha256(abi.encodePacked(_zeroHashes[h], _zeroHashes[h]));
        }
    }

    /// @inheritdoc IDepositContract
    // solhint-disable-next-line func-name-mixedcase
    function get_deposit_root() external view returns (bytes32) {
        bytes32 node;
        uint256 size = _depositCount;
        for (uint256 h = 0; h < TREE_DEPTH; ++h) {
            node =
                size & 1 == 1
                    ? sha256(abi.encodePacked(_branch[h], node))
                    : sha256(abi.encodePacked(node, _zeroHashes[h]));
            size >>= 1;
        }
        return sha256(abi.encodePacked(node, DepositDataRoot.toLittleEndian64(uint64(_depositCount)), bytes24(0)));
    }

    /// @inheritdoc IDepositContract
    // solhint-disable-next-line func-name-mixedcase
    function get_deposit_count() external view returns (bytes memory) {
        return abi.encodePacked(DepositDataRoot.toLittleEndian64(uint64(_depositCount)));
    }

    /// @inheritdoc IDepositContract
    function deposit(
        bytes calldata pubkey,
        bytes calldata withdrawal_credentials, // solhint-disable-line var-name-mixedcase
        bytes calldata signature,
        bytes32 deposit_data_root // solhint-disable-line var-name-mixedcase
    ) external payable {
        if (pubkey.length != 48) revert InvalidPubkeyLength(pubkey.length);
        if (withdrawal_credentials.length != 32) {
            revert InvalidWithdrawalCredentialsLength(withdrawal_credentials.length);
        }
        if (signature.length != 96) revert InvalidSignatureLength(signature.length);
        if (msg.value < 1 ether) revert DepositValueTooLow(msg.value);
        if (msg.value % 1 gwei != 0) revert DepositValueNotMultipleOfGwei(msg.value);
        uint256 amountGwei = msg.value / 1 gwei;
        if (amountGwei > type(uint64).max) revert DepositValueTooHigh(msg.value);

        uint256 count = _depositCount;
        emit DepositEvent(
            pubkey,
            withdrawal_credentials,
            abi.encodePacked(DepositDataRoot.toLittleEndian64(uint64(amountGwei))),
            signature,
            abi.encodePacked(DepositDataRoot.toLittleEndian64(uint64(count)))
        );

        bytes32 node = DepositDataRoot.compute(
            bytes32(pubkey[0:32]),
            bytes16(pubkey[32:48]),
            bytes32(withdrawal_credentials),
            uint64(amountGwei),
            bytes32(signature[0:32]),
            bytes32(signature[32:64]),
            bytes32(signature[64:96])
        );
        if (node != deposit_data_root) revert DepositDataRootMismatch(deposit_data_root, node);

        // Insert the leaf: climb while the subtree to the left is full, then record the branch.
        if (count >= MAX_DEPOSIT_COUNT) revert MerkleTreeFull();
        uint256 size = ++count;
        _depositCount = size;
        for (uint256 h = 0; h < TREE_DEPTH; ++h) {
            if (size & 1 == 1) {
                _branch[h] = node;
                return;
            }
            node = sha256(abi.encodePacked(_branch[h], node));
            size >>= 1;
        }
        // Unreachable: size < 2^32 has a set bit below bit 32.
        assert(false);
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IDepositContract).interfaceId;
    }
}
