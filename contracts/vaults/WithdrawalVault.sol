// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {GovernedUpgradeable} from "../governance/GovernedUpgradeable.sol";
import {PoolVault} from "./PoolVault.sol";
import {IWithdrawalVault} from "../interfaces/IWithdrawalVault.sol";

/// @title WithdrawalVault — the address in every Tidepool validator's withdrawal credentials
/// @notice Receives skimmed rewards and exited balances from the beacon chain; only the pool can take
/// them, during a report. Upgradeable (UUPS, governance only) because its address is fixed in the
/// credentials for ever, so future withdrawal features (EIP-7002 exits, consolidations) land here.
/// It sends the EIP-7002 exit requests the beacon facts contract decides on (late exits proven, or
/// governance's rate-limited forced exits).
/// @dev Holds no storage of its own yet beyond AccessControl's namespaced roles.
contract WithdrawalVault is IWithdrawalVault, PoolVault, GovernedUpgradeable {
    /// @notice May send EIP-7002 exit requests (the beacon facts contract).
    bytes32 public constant EXIT_REQUESTER_ROLE = keccak256("EXIT_REQUESTER_ROLE");
    /// @notice The EIP-7002 withdrawal request predeploy.
    address public constant WITHDRAWAL_REQUEST_PREDEPLOY = 0x00000961Ef480Eb55e80D19ad83579A64c007002;

    /// @param pool The staking pool proxy.
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address pool) PoolVault(pool) {
        _disableInitializers();
    }

    /// @notice Initialises the proxy.
    /// @param admin Receives DEFAULT_ADMIN_ROLE (governance: upgrades).
    function initialize(address admin) external initializer {
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IWithdrawalVault
    function requestFullExit(bytes calldata pubkey) external payable onlyRole(EXIT_REQUESTER_ROLE) {
        if (pubkey.length != 48) revert InvalidPubkeyLength(pubkey.length);
        // EIP-7002 input: pubkey (48 bytes) ‖ amount in gwei (8 bytes, big-endian); 0 = full exit.
        (bool ok, ) = WITHDRAWAL_REQUEST_PREDEPLOY.call{value: msg.value}(abi.encodePacked(pubkey, uint64(0)));
        if (!ok) revert ExitRequestFailed(pubkey, msg.value);
        emit FullExitRequested(pubkey, msg.value);
    }

    /// @notice Accepts ETH (withdrawals arrive without a call, but anyone may also send).
    receive() external payable {}
}
