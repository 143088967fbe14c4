// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// Test doubles are named `Contract__Role` (Lido's convention), not CapWords.
// solhint-disable contract-name-capwords

import {OracleCommittee} from "../oracle/OracleCommittee.sol";

/// @notice Test double: the committee with a report that is just a hash, recording what was applied.
contract OracleCommittee__Harness is OracleCommittee {
    event Applied(uint256 refSlot, bytes32 reportHash);

    uint256 public appliedCount;

    constructor(uint256 secondsPerSlot) OracleCommittee(secondsPerSlot) {}

    function initialize(
        address admin,
        uint256 genesisTime,
        uint256 epochsPerFrame,
        uint256 deadlineSlots
    ) external initializer {
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MANAGE_MEMBERS_ROLE, admin);
        __OracleCommittee_init(genesisTime, epochsPerFrame, deadlineSlots);
    }

    function submitReport(uint256 refSlot, bytes32 reportHash) external {
        if (_vote(refSlot, reportHash)) {
            ++appliedCount;
            emit Applied(refSlot, reportHash);
        }
    }
}
