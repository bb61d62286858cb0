"""Compiled contracts and thin typed wrappers over them.

Example:
    >>> from mlmarket.contracts import load_artifact
    >>> load_artifact("MarketToken").name
    'MarketToken'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlmarket.contracts.artifacts import Artifact, all_abis, artifact_names, load_artifact
from mlmarket.contracts.messages import MESSAGES
from mlmarket.contracts.sink import SINK
from mlmarket.contracts.token import MarketToken

if TYPE_CHECKING:
    from mlmarket.chain import Chain

__all__ = ["SINK", "Artifact", "MarketToken", "artifact_names", "bind_errors", "load_artifact"]


def bind_errors(chain: Chain) -> None:
    """Teach ``chain`` every custom error of every shipped contract, with its sentence."""
    for abi in all_abis():
        chain.errors.register_abi(abi)
    chain.errors.register_messages(MESSAGES)
