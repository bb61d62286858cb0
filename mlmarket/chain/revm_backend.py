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
from web3.types import TxReceipt

from mlmarket.chain.backends import (
    BLOCK_GAS_LIMIT,
    ETH_PER_ACCOUNT,
    ETH_TESTER_CHAIN_ID,
    Backend,
    DryRunHalted,
    NodeControl,
    SimulatedRevert,
)
from mlmarket.chain.revm_engine import require_pyrevm
from mlmarket.chain.revm_ledger import receipt_attrs
from mlmarket.chain.revm_node import Genesis, RevmNode, TxNotMinedError
from mlmarket.chain.revm_queries import RpcError, call_failure
from mlmarket.chain.revm_tx import TxRejectedError

CHAIN_ID = ETH_TESTER_CHAIN_ID
"""eth-tester's chain id: signed transactions and permits are byte-identical on both."""


class RevmBackend(NodeControl):
    """pyrevm in this process, behind a JSON-RPC node (:mod:`mlmarket.chain.revm_node`)."""

    kind = "revm"
    in_process = True
    node_name = "The revm node"

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

    direct_calls = True

    def call_bytes(self, sender: str, to: str, data: bytes, block: str) -> bytes | None:
        return self.node.call_bytes(sender, to, data, block)

    def latest_block(self) -> tuple[int, int]:
        latest = self.node.latest  # the node's own record, without a JSON-RPC round trip
        return latest.timestamp, latest.base_fee

    def signed_by(self, tx_hash: bytes, sender: str) -> None:
        self.node.known_sender(tx_hash, sender)

    refuses_failures = True

    def send_raw(
        self, raw: bytes, timestamp: int | None, *, only_if_succeeds: bool = False
    ) -> bytes:
        if timestamp is not None and timestamp != self.node.stamped_timestamp:
            self._rpc("evm_setNextBlockTimestamp", [timestamp])
        try:  # straight to the node: what eth_sendRawTransaction does, without JSON-RPC
            return self.node.send_raw_transaction(raw, only_if_succeeds=only_if_succeeds)
        except TxRejectedError:  # refused before anything ran: web3 raises it as it would
            return Backend.send_raw(self, raw, None)
        except TxNotMinedError as failed:  # as the dry run (simulate) would have failed
            raise self._call_error(call_failure(failed.outcome)) from None

    def nonce(self, address: str) -> int:
        return self.node.engine.account(address.lower()).nonce  # no pool: latest = pending

    def receipt(self, tx_hash: bytes) -> TxReceipt:
        record = self.node.receipts.get(bytes(tx_hash))
        if record is None:
            return super().receipt(tx_hash)
        return receipt_attrs(record)  # type: ignore[return-value]

    def simulate(self, tx: dict[str, Any], timestamp: int) -> None:
        # Straight to the node (no web3 formatting): the same eth_call, in the pending block.
        if timestamp != self.node.stamped_timestamp:
            self._rpc("evm_setNextBlockTimestamp", [timestamp])
        call = {key: tx[key] for key in ("from", "to", "data") if tx.get(key)}
        call |= {"value": hex(int(tx.get("value", 0))), "gas": hex(int(tx["gas"]))}
        response = self.node.make_request("eth_call", [call, "pending"])  # type: ignore[arg-type]
        error = response.get("error")
        if error is not None:
            raise self._call_error(RpcError(error["code"], error["message"], error.get("data")))

    def _call_error(self, error: RpcError) -> Exception:
        """What a failed dry run raises: its revert bytes, or the node's words for a halt."""
        if error.data is not None:
            return SimulatedRevert(bytes.fromhex(str(error.data)[2:]))
        return DryRunHalted(f"{self.node_name} refused the call: {error.message}")

    def session_state(self) -> dict[str, Any]:
        return {"genesis": dict(self._genesis), "journal": list(self.node.journal)}

    def save(self, folder: Path) -> dict[str, Any]:
        return self.session_state()

    def replay_journal(self, entries: list[dict[str, Any]]) -> None:
        self.node.replay(entries)

    @classmethod
    def load(cls, folder: Path | None, state: dict[str, Any]) -> RevmBackend:
        genesis = state["genesis"]
        backend = cls(genesis["addresses"], int(genesis["timestamp"]), genesis["nonce"])
        backend.replay_journal(state["journal"])
        return backend
