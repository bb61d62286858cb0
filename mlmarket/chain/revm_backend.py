"""The ``"revm"`` backend: the in-process :class:`~mlmarket.chain.revm_node.RevmNode`.

It talks to its node through web3 and JSON-RPC, as :class:`AnvilBackend` talks to
anvil (``evm_setNextBlockTimestamp``, ``evm_mine``, ``evm_snapshot``,
``evm_revert``: the node undoes later transactions), so the chain sees one
protocol. Saving writes the genesis and the node's journal of raw transactions and
empty blocks; loading replays it on a fresh node with the same genesis, which
reproduces every block hash, address, balance, nonce and storage slot
(``block.prevrandao`` included: it derives from the genesis).

Example:
    >>> from mlmarket.chain import connect
    >>> chain = connect("revm")                  # doctest: +SKIP
    >>> chain.kind, chain.backend.in_process     # doctest: +SKIP
    ('revm', True)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from web3 import Web3

from mlmarket.chain.backends import (
    BLOCK_GAS_LIMIT,
    ETH_PER_ACCOUNT,
    ETH_TESTER_CHAIN_ID,
    Backend,
)
from mlmarket.chain.revm_engine import require_pyrevm
from mlmarket.chain.revm_node import Genesis, RevmNode
from mlmarket.errors import ChainError

CHAIN_ID = ETH_TESTER_CHAIN_ID
"""eth-tester's chain id: signed transactions and permits are byte-identical on both."""


class RevmBackend(Backend):
    """pyrevm in this process, behind a JSON-RPC node (:mod:`mlmarket.chain.revm_node`)."""

    kind = "revm"
    in_process = True

    def __init__(
        self, addresses: list[str], genesis_timestamp: int, genesis_nonce: str | None = None
    ) -> None:
        require_pyrevm()
        # As on eth-tester: a random genesis extraData makes each run's chain identity
        # unique (it keys the vault); a loaded chain reuses the saved one.
        nonce = genesis_nonce if genesis_nonce is not None else os.urandom(16).hex()
        funded = tuple((address, ETH_PER_ACCOUNT * 10**18) for address in addresses)
        self.node = RevmNode(
            Genesis(CHAIN_ID, genesis_timestamp, nonce, funded, gas_limit=BLOCK_GAS_LIMIT)
        )
        super().__init__(Web3(self.node))
        self._genesis = {
            "timestamp": genesis_timestamp,
            "addresses": list(addresses),
            "nonce": nonce,
        }

    def _rpc(self, method: str, params: list[Any]) -> Any:
        response = self.node.make_request(method, params)  # type: ignore[arg-type]
        if "error" in response:
            raise ChainError(f"The revm node refused {method}: {response['error']['message']}")
        return response.get("result")

    def send_raw(self, raw: bytes, timestamp: int | None) -> bytes:
        if timestamp is not None:
            self._rpc("evm_setNextBlockTimestamp", [timestamp])
        return super().send_raw(raw, timestamp)

    def replay(self, tx: dict[str, Any], block_number: int, timestamp: int) -> None:
        # One transaction per block: the failed block's own state and time reproduce the
        # revert, deadlines included (the node keeps the latest state, which this is).
        self.w3.eth.call(tx, block_identifier=block_number)  # type: ignore[arg-type]

    def simulate(self, tx: dict[str, Any], timestamp: int) -> None:
        self._rpc("evm_setNextBlockTimestamp", [timestamp])
        super().simulate(tx, timestamp)

    def mine(self, timestamp: int) -> None:
        self._rpc("evm_mine", [timestamp])

    def snapshot(self) -> Any:
        return self._rpc("evm_snapshot", [])

    def revert(self, snapshot_id: Any) -> Any:
        if not self._rpc("evm_revert", [snapshot_id]):
            raise ChainError(f"The revm node has no snapshot {snapshot_id}.")
        # Like anvil, the node uses a snapshot up when reverting to it: take it again.
        return self.snapshot()

    def save(self, folder: Path) -> dict[str, Any]:
        return {"genesis": dict(self._genesis), "journal": list(self.node.journal)}

    @classmethod
    def load(cls, folder: Path, state: dict[str, Any]) -> RevmBackend:
        genesis = state["genesis"]
        backend = cls(genesis["addresses"], int(genesis["timestamp"]), genesis["nonce"])
        backend.node.replay(state["journal"])
        return backend
