// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title KeyFacts — the beacon-chain facts proven about a registry key, as bits
/// @notice {BeaconFacts} proves them; the registry stores them in the key's second storage word (beside
/// the pubkey's last 16 bytes, which a proof reads anyway), so recording a fact writes no new slot.
library KeyFacts {
    /// @dev Slashed, and not yet withdrawable.
    uint256 internal constant SLASHED = 1;
    /// @dev Exited (exit epoch reached): counts towards the operator's proven exited keys.
    uint256 internal constant EXITED = 2;
    /// @dev Asked to exit and still not exiting past the deadline: holds the operator's deposits.
    uint256 internal constant LATE = 4;
    /// @dev Deposited with withdrawal credentials that are not the pool's: freezes the operator's keys.
    uint256 internal constant FOREIGN_CREDENTIALS = 8;
    /// @dev Forced to exit by governance directly.
    uint256 internal constant FORCED_EXIT = 16;
}
