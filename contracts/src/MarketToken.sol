// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IMarketToken} from "./interfaces/IMarketToken.sol";

/**
 * @title MarketToken
 * @notice The mlmarket payment token ("mlmarket Token", MLM, 18 decimals): an
 * ERC-20 with ERC-2612 permit and a fixed supply.
 * @dev The whole supply is minted in the constructor, `amounts[i]` to
 * `recipients[i]`. There is no mint function, owner or other privileged role,
 * so the total supply can never grow after deployment. On local chains the
 * deployer passes the named test accounts; elsewhere `[deployer]` and a fixed
 * supply.
 */
contract MarketToken is ERC20, ERC20Permit, IMarketToken {
    /**
     * @param recipients Accounts that receive the initial supply.
     * @param amounts Amount (in the smallest unit) minted to each recipient, in
     * the same order as `recipients`.
     */
    constructor(address[] memory recipients, uint256[] memory amounts)
        ERC20("mlmarket Token", "MLM")
        ERC20Permit("mlmarket Token")
    {
        uint256 count = recipients.length;
        if (count == 0) {
            revert MarketTokenNoRecipients();
        }
        if (count != amounts.length) {
            revert MarketTokenLengthMismatch(count, amounts.length);
        }
        for (uint256 i = 0; i < count; ++i) {
            _mint(recipients[i], amounts[i]);
        }
    }

    /// @inheritdoc IERC20Permit
    function nonces(address owner) public view override(ERC20Permit, IERC20Permit) returns (uint256) {
        return super.nonces(owner);
    }
}
