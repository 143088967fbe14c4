// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Makes OpenZeppelin's ERC-1967 proxy an artifact of this project, so that the Ignition modules can
// deploy it. Tidepool's upgradeable contracts are UUPS implementations behind this proxy.
// solhint-disable-next-line no-unused-import
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
