// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Compiles LayerZero's endpoint mock (test-devtools-evm-hardhat) so that the bridge tests and the
// bench can deploy it; nothing here uses it.
// solhint-disable-next-line no-unused-import
import {EndpointV2Mock} from "@layerzerolabs/test-devtools-evm-hardhat/contracts/mocks/EndpointV2Mock.sol";
