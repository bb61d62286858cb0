// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @dev The project's one "burn" address. {MarketToken} has no burn function and
 * OpenZeppelin's ERC-20 refuses transfers to the zero address, so tokens that a
 * rule destroys (a rejected batch's stake, a defaulting creator's bond, prize
 * places nobody earned under a default) are sent here, where no key can move
 * them. Conservation checks count the sink's balance as burned supply.
 * See docs/trust-model.md.
 */
address constant SINK = 0x000000000000000000000000000000000000dEaD;
