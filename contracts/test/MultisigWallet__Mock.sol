// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords, gas-custom-errors, no-complex-fallback, gas-calldata-parameters

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice Test double: a 2-of-2 multisig-like contract wallet. Its ERC-1271 signature is 130 bytes,
/// the first owner's 65-byte ECDSA signature of the hash followed by the second owner's, so no
/// (v, r, s) permit can carry it. Either owner can make calls for it.
contract MultisigWallet__Mock is IERC1271 {
    error NotOwner();

    address public immutable FIRST_OWNER;
    address public immutable SECOND_OWNER;

    constructor(address firstOwner, address secondOwner) {
        FIRST_OWNER = firstOwner;
        SECOND_OWNER = secondOwner;
    }

    receive() external payable {}

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 130) return bytes4(0);
        (address first, ECDSA.RecoverError firstErr, ) = ECDSA.tryRecover(hash, signature[:65]);
        (address second, ECDSA.RecoverError secondErr, ) = ECDSA.tryRecover(hash, signature[65:]);
        bool valid =
            firstErr == ECDSA.RecoverError.NoError &&
                secondErr == ECDSA.RecoverError.NoError &&
                first == FIRST_OWNER &&
                second == SECOND_OWNER;
        return valid ? this.isValidSignature.selector : bytes4(0);
    }

    function execute(address target, uint256 value, bytes calldata data) external returns (bytes memory) {
        if (msg.sender != FIRST_OWNER && msg.sender != SECOND_OWNER) revert NotOwner();
        (bool ok, bytes memory ret) = target.call{value: value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }
}
