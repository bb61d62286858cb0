"""Backends: the embedded eth-tester chain, a managed anvil, any JSON-RPC node.

The fast in-process ``"revm"`` backend lives in :mod:`mlmarket.chain.revm_backend`
(it needs the optional pyrevm).

One small interface hides how each backend mines, moves time, snapshots and
persists state. :class:`~mlmarket.chain.core.Chain` is the only caller.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from eth.exceptions import Revert
from eth.vm.spoof import SpoofTransaction
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.backends.pyevm.main import _execute_and_revert_transaction
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider
from web3.types import TxReceipt

from mlmarket.errors import BackendNotSupportedError, ChainError

BLOCK_GAS_LIMIT = 30_000_000
ETH_TESTER_CHAIN_ID = 131277322940537
LOCAL_CHAIN_IDS = frozenset({1337, 31337, ETH_TESTER_CHAIN_ID})
STATE_FILE = "chain.json"
ETH_PER_ACCOUNT = 10_000


class SimulatedRevert(Exception):  # noqa: N818 - carries revert bytes, like a node's error
    """A dry run reverted; ``data`` holds the revert bytes (read by ``revert_data_of``)."""

    def __init__(self, data: bytes) -> None:
        super().__init__("execution reverted")
        self.data = data


class DryRunHalted(ChainError):  # noqa: N818 - a dry run's outcome, like SimulatedRevert
    """A dry run failed without a revert (out of gas, an invalid instruction)."""


class Backend:
    """What the chain needs from a node beyond standard JSON-RPC."""

    kind: str = ""
    is_local: bool = True
    in_process: bool = False
    """True when the chain runs in this process (eth-tester, revm): no thread may touch it."""
    rolls_back_failures: bool = False
    """True where sending, then reverting a failure to a snapshot, is cheaper than a dry run
    (eth-tester: py-evm's execution is the cost, and a snapshot is the head's hash)."""
    direct_calls: bool = False
    """True where :meth:`call_bytes` answers (the in-process revm node)."""
    refuses_failures: bool = False
    """True where :meth:`send_raw` can mine a transaction only if it succeeds, raising what
    :meth:`simulate` raises otherwise (revm: its node executes into a diff before applying
    it), so a dry run need not execute it first."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3

    def call_bytes(self, sender: str, to: str, data: bytes, block: str) -> bytes | None:
        """The output of ``eth_call`` of ``data`` to ``to`` at ``block`` (``"latest"`` or
        ``"pending"``), asked of an in-process node without JSON-RPC; None if the call
        failed or this backend has no such path (ask through JSON-RPC then)."""
        return None

    def latest_block(self) -> tuple[int, int]:
        """``(timestamp, base fee)`` of the latest block."""
        block = self.w3.eth.get_block("latest")
        return int(block["timestamp"]), int(block.get("baseFeePerGas", 0) or 0)

    def signed_by(self, tx_hash: bytes, sender: str) -> None:
        """The chain signed transaction ``tx_hash`` as ``sender``, about to be sent: an
        in-process node may take its sender from here instead of recovering it from the
        signature. Nodes that verify every signature ignore it."""

    def send_raw(
        self, raw: bytes, timestamp: int | None, *, only_if_succeeds: bool = False
    ) -> bytes:
        """Send a signed transaction, in a block stamped ``timestamp`` where supported.
        ``only_if_succeeds`` (where :attr:`refuses_failures`): a failure is not mined and
        raises as :meth:`simulate` would."""
        if only_if_succeeds:
            raise BackendNotSupportedError(
                f"{type(self).__name__} cannot refuse a failing transaction while sending it: "
                "simulate it first."
            )
        return bytes(self.w3.eth.send_raw_transaction(raw))

    def nonce(self, address: str) -> int:
        """The next nonce of ``address``, pending transactions counted."""
        return int(self.w3.eth.get_transaction_count(address, "pending"))  # type: ignore[arg-type]

    def receipt(self, tx_hash: bytes) -> TxReceipt:
        """The receipt of a mined transaction, as web3's ``get_transaction_receipt``."""
        return self.w3.eth.get_transaction_receipt(tx_hash)

    def replay(self, tx: dict[str, Any], block_number: int, timestamp: int) -> None:
        """Re-execute a failed transaction as a call so that its revert reason surfaces.

        The generic way: against the parent block's state (other transactions in the
        block may be missed; local backends do better, see their overrides).
        """
        self.w3.eth.call(tx, block_identifier=block_number - 1)  # type: ignore[arg-type]

    def simulate(self, tx: dict[str, Any], timestamp: int) -> None:
        """Run ``tx`` as a call in the pending block, stamped ``timestamp``; raise if it fails.

        Local backends only (a remote node's gas estimate does this job).
        """
        self.w3.eth.call(tx, block_identifier="pending")  # type: ignore[arg-type]

    def mine(self, timestamp: int) -> None:
        """Mine an empty block at ``timestamp``."""
        raise BackendNotSupportedError(
            f"The {self.kind} backend cannot mine blocks or move time; "
            "use a local chain (connect() or connect('anvil')) for time travel."
        )

    def snapshot(self) -> Any:
        raise BackendNotSupportedError(f"The {self.kind} backend cannot take snapshots.")

    def revert(self, snapshot_id: Any) -> Any:
        """Revert to ``snapshot_id``; return an id that reverts there again."""
        raise BackendNotSupportedError(f"The {self.kind} backend cannot revert to snapshots.")

    def save(self, folder: Path) -> dict[str, Any]:
        """Write the chain state into ``folder``; return what ``load`` needs besides it."""
        raise BackendNotSupportedError(
            f"The {self.kind} backend cannot save its state; only local chains can."
        )

    def session_state(self) -> dict[str, Any]:
        """``{"genesis": ..., "journal": [...]}``: what replays this chain from block 0."""
        raise BackendNotSupportedError(
            f"The {self.kind} backend cannot list the blocks it mined; it cannot be journaled."
        )

    def replay_journal(self, entries: list[dict[str, Any]]) -> None:
        """Mine journal entries (``{"timestamp", "raw"}``; ``raw`` None: an empty block)."""
        for entry in entries:
            if entry["raw"] is None:
                self.mine(int(entry["timestamp"]))
            else:
                self.send_raw(bytes.fromhex(entry["raw"][2:]), int(entry["timestamp"]))

    def close(self) -> None:
        """Release resources (stop processes); nothing to release by default."""
        return None


class EthTesterBackend(Backend):
    """The in-process eth-tester + py-evm chain (the default).

    py-evm cannot serialise its state, so :meth:`save` writes a journal of every
    raw transaction and empty block with its timestamp; loading replays the
    journal on a fresh chain with the same genesis, which reproduces every
    address, balance and storage slot (only ``block.prevrandao`` differs).
    """

    kind = "eth-tester"
    in_process = True
    rolls_back_failures = True

    def __init__(
        self, addresses: list[str], genesis_timestamp: int, genesis_nonce: str | None = None
    ) -> None:
        # A random extra-data field makes every run's genesis block (and so the chain's
        # identity, which keys the vault) unique, even for two chains started in the
        # same second; a loaded chain reuses the saved one.
        nonce = genesis_nonce if genesis_nonce is not None else os.urandom(16).hex()
        params = PyEVMBackend.generate_genesis_params(
            overrides={
                "timestamp": genesis_timestamp,
                "gas_limit": BLOCK_GAS_LIMIT,
                "extra_data": bytes.fromhex(nonce),
            }
        )
        state = {
            bytes.fromhex(a[2:]): {
                "balance": ETH_PER_ACCOUNT * 10**18,
                "nonce": 0,
                "code": b"",
                "storage": {},
            }
            for a in addresses
        }
        self._pyevm = PyEVMBackend(genesis_parameters=params, genesis_state=state)
        self._tester = EthereumTester(self._pyevm)
        super().__init__(Web3(EthereumTesterProvider(self._tester)))
        self._genesis = {
            "timestamp": genesis_timestamp,
            "addresses": list(addresses),
            "nonce": nonce,
        }
        self._journal: list[dict[str, Any]] = []

    def _stamp_next_block(self, timestamp: int) -> None:
        # py-evm mines the pending header as it is; setting its timestamp fixes the next block's.
        chain = self._pyevm.chain
        chain.header = chain.header.copy(timestamp=timestamp)

    def send_raw(
        self, raw: bytes, timestamp: int | None, *, only_if_succeeds: bool = False
    ) -> bytes:
        if timestamp is not None:
            self._stamp_next_block(timestamp)
        tx_hash = super().send_raw(raw, timestamp, only_if_succeeds=only_if_succeeds)
        block = self.w3.eth.get_block("latest")
        self._journal.append({"timestamp": int(block["timestamp"]), "raw": "0x" + raw.hex()})
        return tx_hash

    def replay(self, tx: dict[str, Any], block_number: int, timestamp: int) -> None:
        # Each transaction is mined alone, so the state after its block differs from the
        # state before it only by the sender's gas payment and nonce; running the call in
        # the pending block stamped with the failed block's time also reproduces
        # time-dependent checks (deadlines), which a call at the parent block would not.
        self._stamp_next_block(timestamp)
        self.w3.eth.call(tx, block_identifier="pending")  # type: ignore[arg-type]

    def simulate(self, tx: dict[str, Any], timestamp: int) -> None:
        # eth-tester's own call turns every VM error into "execution reverted: <text>", so
        # an out-of-gas run would pass for a revert with a reason. Run py-evm directly and
        # tell a Revert (its bytes) from any other failure.
        self._stamp_next_block(timestamp)
        pyevm = self._pyevm
        raw = self._tester.normalizer.normalize_inbound_transaction(
            {
                "from": tx["from"],
                "to": tx.get("to") or "",
                "data": tx.get("data", "0x"),
                "value": int(tx.get("value", 0)),
                "gas": int(tx["gas"]),
            }
        )
        unsigned = pyevm._get_normalized_and_unsigned_evm_transaction(raw, "pending")
        spoof = SpoofTransaction(unsigned, from_=raw["from"])
        computation = _execute_and_revert_transaction(pyevm.chain, spoof, "pending")
        if not computation.is_error:
            return
        error = computation._error
        if isinstance(error, Revert):
            raise SimulatedRevert(bytes(error.args[0]) if error.args else b"")
        raise ChainError(f"{type(error).__name__}: {error}")

    def mine(self, timestamp: int) -> None:
        self._stamp_next_block(timestamp)
        self._tester.mine_blocks()
        self._journal.append({"timestamp": timestamp, "raw": None})

    def snapshot(self) -> Any:
        return (self._tester.take_snapshot(), len(self._journal))

    def revert(self, snapshot_id: Any) -> Any:
        tester_id, journal_length = snapshot_id
        self._tester.revert_to_snapshot(tester_id)
        del self._journal[journal_length:]
        return snapshot_id

    def session_state(self) -> dict[str, Any]:
        return {"genesis": dict(self._genesis), "journal": list(self._journal)}

    def save(self, folder: Path) -> dict[str, Any]:
        return self.session_state()

    @classmethod
    def load(cls, folder: Path | None, state: dict[str, Any]) -> EthTesterBackend:
        genesis = state["genesis"]
        backend = cls(genesis["addresses"], genesis["timestamp"], genesis["nonce"])
        backend.replay_journal(state["journal"])
        return backend


class NodeControl(Backend):
    """Time travel through anvil's RPC methods, for the nodes that answer them as anvil does
    (anvil itself and the in-process revm node): one block per transaction, stamped with
    ``evm_setNextBlockTimestamp``; ``evm_mine``; ``evm_snapshot``/``evm_revert``."""

    node_name = "the node"

    def _rpc(self, method: str, params: list[Any]) -> Any:
        response = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in response:
            error = response["error"]
            message = error.get("message", error) if isinstance(error, dict) else error
            raise ChainError(f"{self.node_name} refused {method}: {message}")
        return response.get("result")

    def send_raw(
        self, raw: bytes, timestamp: int | None, *, only_if_succeeds: bool = False
    ) -> bytes:
        if timestamp is not None:
            self._rpc("evm_setNextBlockTimestamp", [timestamp])
        return super().send_raw(raw, timestamp, only_if_succeeds=only_if_succeeds)

    def replay(self, tx: dict[str, Any], block_number: int, timestamp: int) -> None:
        # One transaction per block: the failed block's own state and time reproduce the
        # revert, deadlines included (the revm node keeps the latest state, which this is).
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
            raise ChainError(f"{self.node_name} has no snapshot {snapshot_id}.")
        # Both forget a snapshot once reverted to; take it again so it can be reused.
        return self.snapshot()


class RpcBackend(Backend):
    """Any Ethereum JSON-RPC node (a testnet, a shared node): no time travel."""

    kind = "rpc"
    is_local = False

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        super().__init__(Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout})))
        self.url = url

    def describe(self) -> str:
        return self.url


class AnvilBackend(NodeControl, RpcBackend):
    """An anvil node, managed by us (:mod:`mlmarket.chain.anvil`) or started by the user."""

    kind = "anvil"
    is_local = True
    node_name = "anvil"

    def __init__(self, url: str, process: Any = None, genesis_timestamp: int | None = None) -> None:
        super().__init__(url)
        self.process = process
        # Known when we started the node with --timestamp: the same flags give the same
        # genesis block, so the blocks we mine (listed here) replay on a fresh node.
        self.genesis_timestamp = genesis_timestamp
        self._blocks: list[dict[str, Any]] | None = None
        if genesis_timestamp is not None and int(self.w3.eth.block_number) == 0:
            self._blocks = []

    def send_raw(
        self, raw: bytes, timestamp: int | None, *, only_if_succeeds: bool = False
    ) -> bytes:
        tx_hash = super().send_raw(raw, timestamp, only_if_succeeds=only_if_succeeds)
        if self._blocks is not None:
            when = timestamp
            if when is None:
                when = self.w3.eth.get_block("latest")["timestamp"]
            self._blocks.append({"timestamp": int(when), "raw": "0x" + raw.hex()})
        return tx_hash

    def mine(self, timestamp: int) -> None:
        super().mine(timestamp)
        if self._blocks is not None:
            self._blocks.append({"timestamp": timestamp, "raw": None})

    def revert(self, snapshot_id: Any) -> Any:
        new_id = super().revert(snapshot_id)
        if self._blocks is not None:
            del self._blocks[int(self.w3.eth.block_number) :]
        return new_id

    def session_state(self) -> dict[str, Any]:
        if self._blocks is None:
            raise BackendNotSupportedError(
                "This anvil node's blocks cannot be listed: only an anvil that mlmarket started "
                "(or replayed) is journaled, not one loaded from a state dump or started by hand."
            )
        return {"genesis": {"timestamp": self.genesis_timestamp}, "journal": list(self._blocks)}

    def save(self, folder: Path) -> dict[str, Any]:
        dump = self._rpc("anvil_dumpState", [])
        (folder / "anvil-state.json").write_text(json.dumps({"state": dump}))
        return {"state_file": "anvil-state.json"}

    def load_state(self, folder: Path, state: dict[str, Any]) -> None:
        dump = json.loads((folder / state["state_file"]).read_text())["state"]
        self._rpc("anvil_loadState", [dump])

    def close(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


def is_anvil(w3: Web3) -> bool:
    try:
        return str(w3.client_version).lower().startswith("anvil")
    except Exception:  # noqa: BLE001 - any failure means "not anvil"; connect() reports reachability
        return False
