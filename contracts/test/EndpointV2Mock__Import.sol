// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Compiles LayerZero's endpoint mock so that the bridge tests and bench can deploy it.
import {EndpointV2Mock} from "@layerzerolabs/test-devtools-evm-hardhat/contracts/mocks/EndpointV2Mock.sol";
