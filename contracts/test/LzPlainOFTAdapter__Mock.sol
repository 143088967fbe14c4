// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {OFTAdapter} from "@layerzerolabs/oft-evm/contracts/OFTAdapter.sol";

/// @notice Test double: LayerZero's OFT adapter as it ships — the baseline the bench compares
/// {WtpEthOFTAdapter} with.
contract LzPlainOFTAdapter__Mock is OFTAdapter {
    /// @notice A plain adapter over `token`, owned by `owner_`.
    constructor(address token, address endpoint, address owner_) OFTAdapter(token, endpoint, owner_) Ownable(owner_) {}
}
