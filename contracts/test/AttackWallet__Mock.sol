// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords, no-complex-fallback, gas-calldata-parameters, max-states-count
// solhint-disable avoid-low-level-calls

import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice Test double for the attack suite: a contract wallet an attacker controls. It makes
/// arbitrary calls for its owner; when it receives ETH (or an ERC-721 token) it can run one
/// re-entrant call and record how it ended, burn gas in `receive`, or refuse ETH; and it answers
/// ERC-1271 `isValidSignature` in one of several (honest or hostile) ways.
contract AttackWallet__Mock is IERC721Receiver {
    /// @notice How `isValidSignature` answers.
    enum SignatureMode {
        Owner, // valid exactly when the owner key signed the hash (an honest wallet)
        Anything, // valid for any hash and any bytes (a careless or hostile wallet)
        Stateful, // writes storage before answering (fails under STATICCALL)
        Reverting // always reverts
    }

    /// @notice Only the owner may make the wallet call out.
    /// @param caller The account that called.
    error NotOwner(address caller);
    /// @notice The wallet was set to refuse ETH.
    /// @param amount The ETH offered, in wei.
    error EthRefused(uint256 amount);
    /// @notice The wallet was set to revert in `isValidSignature`.
    error SignatureCheckRefused();

    /// @notice The re-entrant call ran.
    /// @param target The contract called.
    /// @param success Whether the call succeeded.
    /// @param returnData What it returned (the revert data when it failed).
    event HookCalled(address indexed target, bool success, bytes returnData);

    /// @notice The key that controls the wallet.
    address public immutable OWNER;

    /// @notice Contract the re-entrant call goes to.
    address public hookTarget;
    /// @notice Calldata of the re-entrant call.
    bytes public hookData;
    /// @notice ETH the re-entrant call sends, in wei (from the wallet's balance).
    uint256 public hookValue;
    /// @notice Whether `receive` runs the re-entrant call.
    bool public hookOnReceive;
    /// @notice Whether `onERC721Received` runs the re-entrant call.
    bool public hookOnNft;
    /// @notice Whether `receive` reverts.
    bool public rejectEth;
    /// @notice Fresh storage slots `receive` writes (about 22,100 gas each).
    uint256 public burnSlots;
    /// @notice How `isValidSignature` answers.
    SignatureMode public signatureMode;

    /// @notice How many times the re-entrant call ran.
    uint256 public hookCalls;
    /// @notice Whether the last re-entrant call succeeded.
    bool public lastHookSuccess;
    /// @notice What the last re-entrant call returned (its revert data when it failed).
    bytes public lastHookReturnData;
    /// @notice ETH received through `receive`, in wei.
    uint256 public receivedWei;
    /// @notice Calls of `receive`.
    uint256 public receiveCount;
    /// @notice ERC-721 tokens received through `onERC721Received`.
    uint256 public nftsReceived;
    /// @notice Signature checks that wrote state (only outside a STATICCALL).
    uint256 public statefulChecks;
    /// @notice Scratch storage written by `receive` to burn gas.
    mapping(uint256 slot => uint256) public scratch;

    bool private _inHook;

    /// @param owner The key that controls the wallet.
    constructor(address owner) payable {
        OWNER = owner;
    }

    /// @notice Accepts ETH unless set to refuse it; burns gas and runs the re-entrant call when set.
    receive() external payable {
        if (rejectEth) revert EthRefused(msg.value);
        receivedWei += msg.value;
        uint256 count = ++receiveCount;
        uint256 slots = burnSlots;
        for (uint256 i = 0; i < slots; ++i) scratch[(count << 128) | i] = 1;
        if (hookOnReceive) _runHook();
    }

    /// @notice Sets the re-entrant call and when it runs.
    /// @param target The contract to call.
    /// @param data The calldata.
    /// @param value ETH to send with it, in wei.
    /// @param onReceive Run it from `receive`.
    /// @param onNft Run it from `onERC721Received`.
    function setHook(address target, bytes calldata data, uint256 value, bool onReceive, bool onNft) external {
        hookTarget = target;
        hookData = data;
        hookValue = value;
        hookOnReceive = onReceive;
        hookOnNft = onNft;
    }

    /// @notice Sets how `receive` behaves.
    /// @param reject Refuse ETH.
    /// @param slots Fresh storage slots to write on each receipt.
    function setReceive(bool reject, uint256 slots) external {
        rejectEth = reject;
        burnSlots = slots;
    }

    /// @notice Sets how `isValidSignature` answers.
    /// @param mode The answer mode.
    function setSignatureMode(SignatureMode mode) external {
        signatureMode = mode;
    }

    /// @notice Calls `target` with `value` and `data` for the owner, bubbling up a revert.
    /// @param target The contract to call.
    /// @param value ETH to send, in wei.
    /// @param data The calldata.
    /// @return result What the call returned.
    function execute(
        address target,
        uint256 value,
        bytes calldata data
    ) external payable returns (bytes memory result) {
        if (msg.sender != OWNER) revert NotOwner(msg.sender);
        bool ok;
        (ok, result) = target.call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
    }

    /// @notice ERC-1271: whether `signature` is the wallet's over `hash`, per `signatureMode`.
    /// @dev Deliberately not `view`, so that the Stateful mode can try to write state.
    /// @param hash The signed digest.
    /// @param signature The signature bytes.
    /// @return magic `0x1626ba7e` when valid, zero otherwise.
    function isValidSignature(bytes32 hash, bytes calldata signature) external returns (bytes4 magic) {
        SignatureMode mode = signatureMode;
        if (mode == SignatureMode.Reverting) revert SignatureCheckRefused();
        if (mode == SignatureMode.Stateful) {
            ++statefulChecks;
            return this.isValidSignature.selector;
        }
        if (mode == SignatureMode.Anything) return this.isValidSignature.selector;
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == OWNER ? this.isValidSignature.selector : bytes4(0);
    }

    /// @notice ERC-721 receiver hook: accepts every token; runs the re-entrant call when set.
    /// @return The ERC-721 acceptance selector.
    function onERC721Received(address, address, uint256, bytes calldata) external returns (bytes4) {
        ++nftsReceived;
        if (hookOnNft) _runHook();
        return IERC721Receiver.onERC721Received.selector;
    }

    /// @dev Runs the re-entrant call once per outer call (never from inside itself) and records it.
    function _runHook() private {
        if (_inHook) return;
        _inHook = true;
        (bool ok, bytes memory ret) = hookTarget.call{value: hookValue}(hookData);
        ++hookCalls;
        lastHookSuccess = ok;
        lastHookReturnData = ret;
        emit HookCalled(hookTarget, ok, ret);
        _inHook = false;
    }
}
