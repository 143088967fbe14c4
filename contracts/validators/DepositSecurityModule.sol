// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {IDepositSecurityModule} from "../interfaces/IDepositSecurityModule.sol";
import {IDepositContract} from "../interfaces/IDepositContract.sol";
import {INodeOperatorRegistry} from "../interfaces/INodeOperatorRegistry.sol";
import {IStakingPool} from "../interfaces/IStakingPool.sol";

/// @title DepositSecurityModule — the guardians' gate in front of every deposit
/// @notice See {IDepositSecurityModule}. Not upgradeable; governance replaces it by deploying a new
/// one and a pool implementation that names it.
contract DepositSecurityModule is IDepositSecurityModule, AccessControl, EIP712 {
    /// @notice Guardians, at most.
    uint256 public constant MAX_GUARDIANS = 16;

    /// @notice EIP-712 type hash of the attestation guardians sign.
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "DepositAttestation(bytes32 depositRoot,uint256 keysNonce,uint256 blockNumber,bytes32 blockHash)"
    );

    /// @notice The staking pool.
    IStakingPool public immutable POOL;
    /// @notice The beacon-chain deposit contract.
    IDepositContract public immutable DEPOSIT_CONTRACT;
    /// @notice The node operator registry.
    INodeOperatorRegistry public immutable REGISTRY;

    address[] private _guardians;
    mapping(address => bool) private _isGuardian;
    uint256 private _quorum;
    uint256 private _maxAttestationAgeBlocks;

    /// @param pool The staking pool proxy.
    /// @param depositContract The beacon-chain deposit contract.
    /// @param registry The node operator registry proxy.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (governance).
    /// @param maxAttestationAgeBlocks_ How many blocks old an attestation may be (1 to 256).
    constructor(
        IStakingPool pool,
        IDepositContract depositContract,
        INodeOperatorRegistry registry,
        address admin,
        uint256 maxAttestationAgeBlocks_
    ) EIP712("Tidepool Deposit Security", "1") {
        if (admin == address(0)) revert ZeroAddress("admin");
        POOL = pool;
        DEPOSIT_CONTRACT = depositContract;
        REGISTRY = registry;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setMaxAttestationAge(maxAttestationAgeBlocks_);
    }

    /// @inheritdoc IDepositSecurityModule
    function depositBufferedEther(
        uint256 operatorId,
        uint256 count,
        Attestation calldata attestation,
        Signature[] calldata signatures
    ) external {
        _checkSignatures(_digest(attestation), signatures);
        // The attested block must be recent and on this chain's history (blockhash is 0 for blocks
        // older than 256, and for the current block).
        if (
            attestation.blockNumber >= block.number ||
            block.number - attestation.blockNumber > _maxAttestationAgeBlocks ||
            blockhash(attestation.blockNumber) != attestation.blockHash
        ) revert StaleAttestation(attestation.blockNumber, attestation.blockHash);
        bytes32 root = DEPOSIT_CONTRACT.get_deposit_root();
        if (root != attestation.depositRoot) revert DepositRootChanged(attestation.depositRoot, root);
        uint256 nonce = REGISTRY.keysNonce();
        if (nonce != attestation.keysNonce) revert KeysNonceChanged(attestation.keysNonce, nonce);

        POOL.depositBufferedEther(operatorId, count);
    }

    /// @inheritdoc IDepositSecurityModule
    function attestationDigest(Attestation calldata attestation) external view returns (bytes32) {
        return _digest(attestation);
    }

    /// @inheritdoc IDepositSecurityModule
    function addGuardian(address guardian, uint256 newQuorum) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (guardian == address(0)) revert ZeroAddress("guardian");
        if (_isGuardian[guardian]) revert DuplicateGuardian(guardian);
        if (_guardians.length >= MAX_GUARDIANS) revert TooManyGuardians(MAX_GUARDIANS);
        _guardians.push(guardian);
        _isGuardian[guardian] = true;
        emit GuardianAdded(guardian);
        _setQuorum(newQuorum);
    }

    /// @inheritdoc IDepositSecurityModule
    function removeGuardian(address guardian, uint256 newQuorum) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!_isGuardian[guardian]) revert NotGuardian(guardian);
        uint256 last = _guardians.length - 1;
        for (uint256 i = 0; i <= last; ++i) {
            if (_guardians[i] == guardian) {
                _guardians[i] = _guardians[last];
                _guardians.pop();
                break;
            }
        }
        delete _isGuardian[guardian];
        emit GuardianRemoved(guardian);
        _setQuorum(newQuorum);
    }

    /// @inheritdoc IDepositSecurityModule
    function setQuorum(uint256 newQuorum) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setQuorum(newQuorum);
    }

    /// @inheritdoc IDepositSecurityModule
    function setMaxAttestationAge(uint256 blocks) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMaxAttestationAge(blocks);
    }

    /// @inheritdoc IDepositSecurityModule
    function getGuardians() external view returns (address[] memory) {
        return _guardians;
    }

    /// @inheritdoc IDepositSecurityModule
    function isGuardian(address account) external view returns (bool) {
        return _isGuardian[account];
    }

    /// @inheritdoc IDepositSecurityModule
    function quorum() external view returns (uint256) {
        return _quorum;
    }

    /// @inheritdoc IDepositSecurityModule
    function maxAttestationAgeBlocks() external view returns (uint256) {
        return _maxAttestationAgeBlocks;
    }

    // ──────────────────────────────── Internal ────────────────────────────────

    function _digest(Attestation calldata a) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(abi.encode(ATTESTATION_TYPEHASH, a.depositRoot, a.keysNonce, a.blockNumber, a.blockHash))
            );
    }

    /// @dev A quorum of distinct guardians, signers strictly ascending.
    function _checkSignatures(bytes32 digest, Signature[] calldata signatures) private view {
        uint256 needed = _quorum;
        if (needed == 0 || signatures.length < needed) revert NotEnoughSignatures(signatures.length, needed);
        address previous;
        for (uint256 i = 0; i < signatures.length; ++i) {
            address signer = ECDSA.recover(digest, signatures[i].r, signatures[i].vs);
            if (signer <= previous) revert SignersNotSorted(previous, signer);
            if (!_isGuardian[signer]) revert NotGuardian(signer);
            previous = signer;
        }
    }

    function _setQuorum(uint256 newQuorum) private {
        if (newQuorum == 0 || newQuorum > _guardians.length) revert InvalidQuorum(newQuorum, _guardians.length);
        _quorum = newQuorum;
        emit QuorumSet(newQuorum);
    }

    function _setMaxAttestationAge(uint256 blocks) private {
        if (blocks == 0 || blocks > 256) revert InvalidMaxAttestationAge(blocks);
        _maxAttestationAgeBlocks = blocks;
        emit MaxAttestationAgeSet(blocks);
    }
}
