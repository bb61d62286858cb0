"""The project's one burn address, shared with the contracts (``contracts/src/libraries/Sink.sol``).

``MarketToken`` cannot burn and OpenZeppelin's ERC-20 refuses the zero address, so
tokens a rule destroys go to ``SINK``; its balance is burned supply.

Example:
    >>> SINK
    '0x000000000000000000000000000000000000dEaD'
"""

from __future__ import annotations

__all__ = ["SINK", "SINK_NAME"]

SINK = "0x000000000000000000000000000000000000dEaD"
"""Tokens sent here are burned: no key controls this address."""

SINK_NAME = "sink (burned)"
"""How tables name the sink."""
