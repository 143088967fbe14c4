// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {OFT} from "@layerzerolabs/oft-evm/contracts/OFT.sol";
import {OFTAdapter} from "@layerzerolabs/oft-evm/contracts/OFTAdapter.sol";

/// @notice Test double: LayerZero's OFT as it ships, with no pause and no rate limit — the
/// baseline the bench compares {WtpEthOFT} with.
contract LzPlainOFT__Mock is OFT {
    /// @notice An OFT named like wtpETH, owned by `owner_`.
    constructor(address endpoint, address owner_) OFT("Plain OFT", "POFT", endpoint, owner_) Ownable(owner_) {}
}

/// @notice Test double: LayerZero's OFT adapter as it ships — the baseline for {WtpEthOFTAdapter}.
contract LzPlainOFTAdapter__Mock is OFTAdapter {
    /// @notice An adapter over `token`, owned by `owner_`.
    constructor(address token, address endpoint, address owner_) OFTAdapter(token, endpoint, owner_) Ownable(owner_) {}
}
