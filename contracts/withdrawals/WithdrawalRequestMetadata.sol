// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

// JSON and SVG are full of double quotes: single-quoted literals keep them readable.
// solhint-disable quotes

import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @title WithdrawalRequestMetadata — the JSON and SVG a wallet shows for a withdrawal request NFT
/// @notice `tokenURI` returns `data:application/json;base64,…` with a name, a description, an SVG
/// image and attributes (status, requested ETH, claimable ETH, shares, request time), per the
/// ERC-721 metadata JSON schema and the common marketplace attribute format.
/// @dev Deployed once and linked: the queue keeps its bytecode for the accounting.
library WithdrawalRequestMetadata {
    using Strings for uint256;

    /// @notice The metadata of one request.
    /// @param requestId The request (and NFT id).
    /// @param amountOfEther ETH requested, in wei.
    /// @param amountOfShares Pool shares locked.
    /// @param timestamp When it was made.
    /// @param finalized Whether a report has finalized it.
    /// @param claimableEther What a claim pays now, in wei (0 until finalized).
    /// @return The data URI.
    function tokenURI(
        uint256 requestId,
        uint256 amountOfEther,
        uint256 amountOfShares,
        uint256 timestamp,
        bool finalized,
        uint256 claimableEther
    ) external pure returns (string memory) {
        string memory status = finalized ? "Finalized" : "Pending";
        string memory eth = formatEther(amountOfEther);
        string memory json = string.concat(
            '{"name":"Tidepool withdrawal #',
            requestId.toString(),
            '","description":"A Tidepool withdrawal request for ',
            eth,
            " ETH. ",
            finalized ? "Finalized: the owner can claim it." : "Pending: waiting for an oracle report to finalize it.",
            '","image":"data:image/svg+xml;base64,',
            Base64.encode(bytes(_svg(requestId, eth, status))),
            '","attributes":[{"trait_type":"Status","value":"',
            status,
            '"},{"trait_type":"Requested ETH","value":"',
            eth,
            '"},{"trait_type":"Claimable ETH","value":"',
            formatEther(claimableEther),
            '"},{"trait_type":"Shares","value":"',
            amountOfShares.toString(),
            '"},{"display_type":"date","trait_type":"Requested at","value":',
            timestamp.toString(),
            "}]}"
        );
        return string.concat("data:application/json;base64,", Base64.encode(bytes(json)));
    }

    /// @notice Wei as a decimal ETH string without trailing zeros, e.g. 1500000000000000000 → "1.5".
    /// @param weiAmount The amount in wei.
    /// @return The decimal string.
    function formatEther(uint256 weiAmount) internal pure returns (string memory) {
        uint256 whole = weiAmount / 1 ether;
        uint256 fraction = weiAmount % 1 ether;
        if (fraction == 0) return whole.toString();
        uint256 digits = 18;
        while (fraction % 10 == 0) {
            fraction /= 10;
            --digits;
        }
        bytes memory padded = bytes(fraction.toString());
        bytes memory zeros = new bytes(digits - padded.length);
        for (uint256 i = 0; i < zeros.length; ++i) zeros[i] = "0";
        return string.concat(whole.toString(), ".", string(zeros), string(padded));
    }

    function _svg(uint256 requestId, string memory eth, string memory status) private pure returns (string memory) {
        return
            string.concat(
                '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="320" viewBox="0 0 320 320">',
                '<rect width="320" height="320" rx="24" fill="#0b3d5c"/>',
                '<text x="24" y="56" fill="#9fe3ff" font-family="sans-serif" font-size="18">Tidepool withdrawal #',
                requestId.toString(),
                '</text><text x="24" y="170" fill="#ffffff" font-family="sans-serif" font-size="34">',
                eth,
                ' ETH</text><text x="24" y="280" fill="#9fe3ff" font-family="sans-serif" font-size="20">',
                status,
                "</text></svg>"
            );
    }
}
