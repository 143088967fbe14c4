// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {OFT} from "@layerzerolabs/oft-evm/contracts/OFT.sol";

/// @notice Test double: LayerZero's OFT as it ships, with no pause and no rate limit — the
/// baseline the bench compares {WtpEthOFT} with.
contract LzPlainOFT__Mock is OFT {
    /// @notice A plain OFT owned by `owner_`.
    constructor(address endpoint, address owner_) OFT("Plain OFT", "POFT", endpoint, owner_) Ownable(owner_) {}
}
