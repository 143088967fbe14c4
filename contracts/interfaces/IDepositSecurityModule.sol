// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Deposit security module — guardians attest that a deposit cannot be front-run
/// @notice A deposit of buffered ETH to validators carries an EIP-712 attestation by a quorum of
/// guardians over the deposit contract's root, the registry's key nonce, and a recent block. If a
/// deposit landed for any key since the guardians looked (the root moved), keys changed (the nonce
/// moved), or the block is too old, the deposit reverts and nothing changes.
/// @dev Trust assumptions:
/// 1. Guardians check, before signing, that none of the registry's undeposited keys already has a
///    deposit on the beacon chain with foreign withdrawal credentials.
/// 2. Fewer than `quorum` guardians are dishonest. Governance (DEFAULT_ADMIN_ROLE) sets the set.
/// 3. The EIP-712 domain binds the chain id and this contract, so attestations do not replay across
///    chains or deployments; the block hash binds them to one fork of this chain.
interface IDepositSecurityModule {
    /// @notice A compact (EIP-2098) ECDSA signature.
    struct Signature {
        bytes32 r;
        bytes32 vs;
    }

    /// @notice What guardians sign.
    struct Attestation {
        bytes32 depositRoot;
        uint256 keysNonce;
        uint256 blockNumber;
        bytes32 blockHash;
    }

    /// @notice Fewer signatures than the quorum.
    error NotEnoughSignatures(uint256 given, uint256 quorum);
    /// @notice A signer is not a guardian.
    error NotGuardian(address signer);
    /// @notice Signers must be strictly ascending (no duplicates).
    error SignersNotSorted(address previous, address signer);
    /// @notice The deposit contract's root changed since the guardians signed.
    error DepositRootChanged(bytes32 attested, bytes32 current);
    /// @notice The registry's keys changed since the guardians signed.
    error KeysNonceChanged(uint256 attested, uint256 current);
    /// @notice The attested block is unknown, from another fork, or older than `maxAttestationAgeBlocks`.
    error StaleAttestation(uint256 blockNumber, bytes32 blockHash);
    /// @notice The quorum must be at least 1 and at most the number of guardians.
    error InvalidQuorum(uint256 quorum, uint256 guardians);
    /// @notice The address is already a guardian.
    error DuplicateGuardian(address guardian);
    /// @notice The guardian set is full.
    error TooManyGuardians(uint256 max);
    /// @notice The attestation age limit must be 1 to 256 blocks.
    error InvalidMaxAttestationAge(uint256 blocks);
    /// @notice An address argument is zero.
    error ZeroAddress(string argument);

    /// @notice A guardian was added.
    /// @param guardian The guardian.
    event GuardianAdded(address indexed guardian);
    /// @notice A guardian was removed.
    /// @param guardian The guardian.
    event GuardianRemoved(address indexed guardian);
    /// @notice The quorum changed.
    /// @param quorum Signatures needed.
    event QuorumSet(uint256 quorum);
    /// @notice The attestation age limit changed.
    /// @param blocks The age limit, in blocks.
    event MaxAttestationAgeSet(uint256 blocks);

    /// @notice Deposits `count` validators of `operatorId` from the pool's buffer, given a quorum of
    /// guardian signatures over `attestation`. Anyone may submit.
    /// @param operatorId The operator whose next keys are used (it must be next in line).
    /// @param count Validators to deposit, 32 ETH each.
    /// @param attestation The attested deposit root, key nonce and block.
    /// @param signatures Guardian signatures over the attestation's EIP-712 digest, signers ascending.
    function depositBufferedEther(
        uint256 operatorId,
        uint256 count,
        Attestation calldata attestation,
        Signature[] calldata signatures
    ) external;

    /// @notice The EIP-712 digest guardians sign for `attestation`.
    /// @param attestation The deposit root, key nonce and block observed.
    /// @return The digest.
    function attestationDigest(Attestation calldata attestation) external view returns (bytes32);

    /// @notice Adds a guardian and sets the quorum. Governance only.
    /// @param guardian The new guardian.
    /// @param newQuorum Signatures needed from now on (1 to the number of guardians).
    function addGuardian(address guardian, uint256 newQuorum) external;

    /// @notice Removes a guardian and sets the quorum. Governance only.
    /// @param guardian The guardian to remove.
    /// @param newQuorum Signatures needed from now on (1 to the number of guardians left).
    function removeGuardian(address guardian, uint256 newQuorum) external;

    /// @notice Sets the quorum. Governance only.
    /// @param newQuorum Signatures needed (1 to the number of guardians).
    function setQuorum(uint256 newQuorum) external;

    /// @notice Sets how many blocks old an attestation may be (1 to 256). Governance only.
    /// @param blocks The age limit, in blocks.
    function setMaxAttestationAge(uint256 blocks) external;

    /// @notice The guardians.
    /// @return The guardian addresses.
    function getGuardians() external view returns (address[] memory);

    /// @notice Whether `account` is a guardian.
    /// @param account The address.
    /// @return True for a guardian.
    function isGuardian(address account) external view returns (bool);

    /// @notice Signatures needed.
    /// @return The quorum.
    function quorum() external view returns (uint256);

    /// @notice How many blocks old an attestation may be.
    /// @return The age limit, in blocks.
    function maxAttestationAgeBlocks() external view returns (uint256);
}
