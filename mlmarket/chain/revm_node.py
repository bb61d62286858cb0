"""An in-process JSON-RPC node over pyrevm: a web3 provider that answers as anvil does.

:class:`RevmNode` is a web3 ``BaseProvider`` whose ``make_request`` answers the
Ethereum JSON-RPC methods the package (and web3) use, with anvil's shapes: hex
quantities, receipts and blocks with every field web3 reads, and a revert as
``{"code": 3, "message": "execution reverted…", "data": "0x…"}``, so web3's
formatters and :mod:`mlmarket.chain.reverts` run on the same path as for anvil.

It mines one block per transaction (stamped with ``evm_setNextBlockTimestamp``
or the wall clock) and keeps a journal of raw transactions and empty blocks
(saving writes it, loading replays it), each with the state writes that undo it:
going back to a snapshot undoes the later entries, newest first, without
re-executing anything. Only the
latest state is kept: a query of an older block's state raises
:class:`HistoricalStateError`. Reads, queries and fees live in
:mod:`mlmarket.chain.revm_queries`.

Example:
    >>> from web3 import Web3
    >>> node = RevmNode(Genesis(chain_id=31337, timestamp=1_700_000_000, nonce="00",
    ...                         funded=(("0x" + "11" * 20, 10**18),)))
    >>> Web3(node).eth.get_balance("0x" + "11" * 20)
    1000000000000000000
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak
from web3.providers.base import BaseProvider
from web3.types import RPCEndpoint, RPCResponse

from mlmarket.chain.revm_engine import (
    ZERO_ADDRESS,
    AccountRecord,
    BlockContext,
    Message,
    Outcome,
    RevmEngine,
    RevmEngineError,
    StateDiff,
)
from mlmarket.chain.revm_ledger import (
    ZERO_HASH,
    BlockRecord,
    LogRecord,
    ReceiptRecord,
    logs_bloom,
    make_block,
)
from mlmarket.chain.revm_queries import QueryMethods, RpcError, as_bytes, as_int
from mlmarket.chain.revm_tx import (
    INITIAL_BASE_FEE,
    SignedTx,
    TxRejectedError,
    check_transaction,
    create_address,
    decode_raw,
    effective_gas_price,
    floor_gas,
    next_base_fee,
)
from mlmarket.errors import ChainError

BLOCK_GAS_LIMIT = 30_000_000


class TxNotMinedError(ChainError):
    """A transaction sent with ``only_if_succeeds`` failed and was not mined; ``outcome``
    holds why (its revert data, or the halt)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__("the transaction failed and was not mined")
        self.outcome = outcome


@dataclass(frozen=True)
class Genesis:
    """Everything that defines block 0: the same values give the same chain."""

    chain_id: int
    timestamp: int
    nonce: str  # hex, the genesis extraData: makes each session's chain unique
    funded: tuple[tuple[str, int], ...]
    gas_limit: int = BLOCK_GAS_LIMIT


class RevmNode(QueryMethods, BaseProvider):
    """A one-process Ethereum node: pyrevm executes, this class validates, charges and mines."""

    def __init__(self, genesis: Genesis) -> None:
        super().__init__()
        self.genesis = genesis
        self.journal: list[dict[str, Any]] = []
        self._senders: dict[bytes, str] = {}
        self._undo: list[StateDiff] = []  # one per journal entry: what reverses it
        self._snapshots: dict[int, int] = {}
        self._snapshot_counter = 0
        self._request_id = 0
        self._boot()

    def _boot(self) -> None:
        """A fresh engine with the genesis allocation and block 0."""
        self.engine = RevmEngine(chain_id=self.genesis.chain_id, block_gas_limit=self.gas_limit)
        for address, wei in self.genesis.funded:
            self.engine.fund(address, wei)
        genesis_block = make_block(
            number=0,
            parent_hash=ZERO_HASH,
            timestamp=self.genesis.timestamp,
            base_fee=INITIAL_BASE_FEE,
            gas_limit=self.gas_limit,
            extra_data=bytes.fromhex(self.genesis.nonce),
        )
        self.blocks: list[BlockRecord] = [genesis_block]
        self.receipts: dict[bytes, ReceiptRecord] = {}
        self.logs: list[LogRecord] = []
        self._next_timestamp: int | None = None

    @property
    def gas_limit(self) -> int:
        return self.genesis.gas_limit

    @property
    def latest(self) -> BlockRecord:
        return self.blocks[-1]

    def prevrandao(self, number: int) -> bytes:
        """Block ``number``'s mix hash: derived from the genesis, so replays reproduce it."""
        return keccak(bytes.fromhex(self.genesis.nonce) + number.to_bytes(32, "big"))

    @property
    def stamped_timestamp(self) -> int | None:
        """The next block's timestamp if ``evm_setNextBlockTimestamp`` set it, else None."""
        return self._next_timestamp

    def next_timestamp(self) -> int:
        if self._next_timestamp is not None:
            return self._next_timestamp
        return max(self.latest.timestamp + 1, int(time.time()))

    def next_base_fee(self) -> int:
        parent = self.latest
        return next_base_fee(parent.base_fee, parent.gas_used, parent.gas_limit)

    def context(self, *, pending: bool) -> BlockContext:
        """The block a call executes in: the latest one, or the one about to be mined."""
        if pending:
            number, timestamp = self.latest.number + 1, self.next_timestamp()
            return BlockContext(number, timestamp, self.prevrandao(number), self.gas_limit)
        block = self.latest
        return BlockContext(block.number, block.timestamp, block.mix_hash, self.gas_limit)

    # --- JSON-RPC ------------------------------------------------------------------------

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        self._request_id += 1
        handler = getattr(self, "rpc_" + str(method), None)
        try:
            if handler is None:
                raise RpcError(-32601, f"Method not found: {method}")
            result = handler(list(params or []))
        except TxRejectedError as exc:
            return self._error(exc.code, str(exc))
        except RpcError as exc:
            return self._error(exc.code, exc.message, exc.data)
        return {"jsonrpc": "2.0", "id": self._request_id, "result": result}

    def _error(self, code: int, message: str, data: str | None = None) -> RPCResponse:
        error: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        return {"jsonrpc": "2.0", "id": self._request_id, "error": error}  # type: ignore[typeddict-item]

    def is_connected(self, show_traceback: bool = False) -> bool:
        return True

    def rpc_eth_sendRawTransaction(self, params: list[Any]) -> str:
        return "0x" + self.send_raw_transaction(as_bytes(params[0])).hex()

    def rpc_evm_setNextBlockTimestamp(self, params: list[Any]) -> None:
        timestamp = as_int(params[0])
        if timestamp <= self.latest.timestamp:
            raise RpcError(
                -32602,
                f"Timestamp error: {timestamp} is lower than or equal to previous block's "
                f"timestamp {self.latest.timestamp}",
            )
        self._next_timestamp = timestamp

    def rpc_evm_mine(self, params: list[Any]) -> str:
        timestamp = as_int(params[0]) if params and params[0] is not None else None
        if timestamp is not None:
            self.rpc_evm_setNextBlockTimestamp([timestamp])
        self.mine()
        return "0x0"

    def rpc_evm_snapshot(self, params: list[Any]) -> str:
        self._snapshot_counter += 1
        self._snapshots[self._snapshot_counter] = len(self.journal)
        return hex(self._snapshot_counter)

    def rpc_evm_revert(self, params: list[Any]) -> bool:
        """Go back to a snapshot; like anvil, that snapshot and later ones are used up."""
        snapshot_id = as_int(params[0])
        length = self._snapshots.get(snapshot_id)
        if length is None:
            return False
        for later in [i for i in self._snapshots if i >= snapshot_id]:
            del self._snapshots[later]
        self.rewind(length)
        return True

    # --- mining ---------------------------------------------------------------------------

    def known_sender(self, tx_hash: bytes, sender: str) -> None:
        """Take ``sender`` as the signer of ``tx_hash`` (its keccak covers the signature)
        instead of recovering it: for the chain in this process, which has just signed it.
        Raw transactions from anywhere else, and journal replays, are recovered."""
        self._senders[tx_hash] = sender

    def send_raw_transaction(
        self, raw: bytes, timestamp: int | None = None, *, only_if_succeeds: bool = False
    ) -> bytes:
        """Validate, execute, charge and mine ``raw`` in its own block; return its hash.

        ``only_if_succeeds``: a transaction that fails is not mined (no block, no fee, its
        nonce unused) and raises :class:`TxNotMinedError` with the outcome, as a dry run
        in the pending block would have failed, with one execution instead of two.
        """
        if timestamp is not None:
            self._next_timestamp = timestamp
        tx = decode_raw(raw, self._senders)
        if tx.hash in self.receipts:
            raise TxRejectedError("already known")
        base_fee = self.next_base_fee()
        check_transaction(
            tx,
            self.engine.account(tx.sender),
            chain_id=self.genesis.chain_id,
            base_fee=base_fee,
            block_gas_limit=self.gas_limit,
        )
        context = self.context(pending=True)
        price = effective_gas_price(tx, base_fee)
        message = Message(tx.sender, tx.to, tx.data, tx.value, tx.gas, price)
        outcome, diff = self.engine.run(message, context, keep=True)
        if only_if_succeeds and not outcome.success:  # nothing applied yet: drop the diff
            raise TxNotMinedError(outcome)
        gas_used = max(outcome.gas_used, floor_gas(tx.data))
        self._settle(diff, tx, gas_used, price, base_fee)
        self._undo.append(self.engine.apply(diff))
        self._seal(tx, outcome, gas_used, price, context, base_fee)
        self.journal.append({"timestamp": context.timestamp, "raw": "0x" + tx.raw.hex()})
        return tx.hash

    def _settle(
        self, diff: StateDiff, tx: SignedTx, gas_used: int, price: int, base_fee: int
    ) -> None:
        """Charge the sender ``gas_used × price``, bump its nonce, pay the tip to the coinbase."""
        sender = diff.account(tx.sender)
        sender.balance -= gas_used * price
        sender.nonce = tx.nonce + 1
        coinbase = diff.accounts.get(ZERO_ADDRESS)
        if coinbase is None:
            state = self.engine.account(ZERO_ADDRESS)
            coinbase = diff.accounts[ZERO_ADDRESS] = AccountRecord(state.balance, state.nonce)
        coinbase.balance += gas_used * (price - base_fee)

    def _seal(
        self,
        tx: SignedTx,
        outcome: Outcome,
        gas_used: int,
        price: int,
        context: BlockContext,
        base_fee: int,
    ) -> None:
        contract = create_address(tx.sender, tx.nonce) if tx.is_create else None
        if outcome.created is not None and outcome.created.lower() != str(contract).lower():
            raise RevmEngineError(
                f"revm created {outcome.created}, but (sender, nonce) gives {contract}."
            )
        block = make_block(
            number=context.number,
            parent_hash=self.latest.hash,
            timestamp=context.timestamp,
            base_fee=base_fee,
            gas_limit=self.gas_limit,
            gas_used=gas_used,
            mix_hash=context.prevrandao,
            bloom=logs_bloom(outcome.logs),
            tx_hashes=(tx.hash,),
        )
        logs = tuple(
            LogRecord(entry, index, tx.hash, block.number, block.hash, block.timestamp)
            for index, entry in enumerate(outcome.logs)
        )
        self.receipts[tx.hash] = ReceiptRecord(
            tx, int(outcome.success), gas_used, price, contract, logs, block.bloom,
            block.number, block.hash, block.timestamp,
        )  # fmt: skip
        self._append(block)
        self.logs.extend(logs)

    def mine(self, timestamp: int | None = None) -> BlockRecord:
        """Mine an empty block (at ``timestamp``, else the next block's time)."""
        if timestamp is not None:
            self._next_timestamp = timestamp
        context = self.context(pending=True)
        block = make_block(
            number=context.number,
            parent_hash=self.latest.hash,
            timestamp=context.timestamp,
            base_fee=self.next_base_fee(),
            gas_limit=self.gas_limit,
            mix_hash=context.prevrandao,
        )
        self._append(block)
        self._undo.append(StateDiff())
        self.journal.append({"timestamp": block.timestamp, "raw": None})
        return block

    def _append(self, block: BlockRecord) -> None:
        self.blocks.append(block)
        self._next_timestamp = None

    # --- journal ---------------------------------------------------------------------------

    def rewind(self, length: int) -> None:
        """Keep the first ``length`` journal entries: undo the later ones, newest first."""
        while len(self.journal) > length:
            self.journal.pop()
            self.engine.apply(self._undo.pop())
            block = self.blocks.pop()
            for tx_hash in block.tx_hashes:
                del self.receipts[tx_hash]
        while self.logs and self.logs[-1].block_number > self.latest.number:
            self.logs.pop()
        self._next_timestamp = None

    def replay(self, entries: list[dict[str, Any]]) -> None:
        """Apply journal entries (as :attr:`journal` holds them) in order."""
        for entry in entries:
            if entry["raw"] is None:
                self.mine(int(entry["timestamp"]))
            else:
                raw = bytes.fromhex(str(entry["raw"])[2:])
                self.send_raw_transaction(raw, int(entry["timestamp"]))
