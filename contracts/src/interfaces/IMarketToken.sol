// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";

/**
 * @title IMarketToken
 * @notice Interface of the mlmarket payment token: a fixed-supply ERC-20 with
 * ERC-2612 permit, whose whole supply is minted once at deployment.
 */
interface IMarketToken is IERC20, IERC20Metadata, IERC20Permit {
    /**
     * @dev The constructor was given `recipients` addresses but `amounts` amounts;
     * both lists must have the same length.
     */
    error MarketTokenLengthMismatch(uint256 recipients, uint256 amounts);

    /**
     * @dev The constructor was given an empty recipients list, which would
     * deploy a token with no supply that can never be minted.
     */
    error MarketTokenNoRecipients();
}
