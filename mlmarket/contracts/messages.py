"""Sentences for Solidity custom errors, by error name.

Templates use the error's argument names; ``{x:tokens}`` shows raw units as
whole tokens and ``{x:account}`` adds the account's name. Errors without a
template still get a readable sentence built from their name and arguments.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # OpenZeppelin ERC-20 (IERC6093)
    "ERC20InsufficientBalance": (
        "{sender:account} has {balance:tokens} but needs {needed:tokens}. "
        "Get more tokens first or send less."
    ),
    "ERC20InsufficientAllowance": (
        "{spender:account} may spend only {allowance:tokens} of the owner's tokens but needs "
        "{needed:tokens}. Approve more first, or pay with a permit."
    ),
    "ERC20InvalidReceiver": "Tokens cannot go to {receiver}; pass a real account address.",
    "ERC20InvalidSender": "Tokens cannot come from {sender}; pass a real account address.",
    "ERC20InvalidApprover": "{approver} cannot approve spending; pass a real account address.",
    "ERC20InvalidSpender": "{spender} cannot be approved as a spender; pass a real address.",
    # OpenZeppelin ERC-2612 permit
    "ERC2612ExpiredSignature": (
        "The permit expired at {deadline} (Unix time); sign a new one with a later deadline."
    ),
    "ERC2612InvalidSigner": (
        "The permit was signed by {signer:account}, not by the owner {owner:account}; "
        "sign it with the owner's key and the current nonce."
    ),
    "InvalidAccountNonce": (
        "{account:account} used nonce {currentNonce}'s predecessor or successor; "
        "sign again with the current nonce."
    ),
    # MarketToken
    "MarketTokenLengthMismatch": (
        "{recipients} recipients but {amounts} amounts were given; pass one amount per recipient."
    ),
    "MarketTokenNoRecipients": "The token needs at least one recipient for its fixed supply.",
}
