"""The revm node's read-only JSON-RPC methods: state, blocks, receipts, logs, calls, fees.

Mixed into :class:`mlmarket.chain.revm_node.RevmNode`; every ``rpc_<method>``
takes the request's parameter list and returns the JSON-RPC result. State is kept
for the latest block only: ``latest``/``pending`` (and the latest block's number)
are answered, an older block raises :class:`HistoricalStateError`.

Example:
    >>> as_int("0x10"), as_bytes("0x0102")
    (16, b'\\x01\\x02')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eth_abi import decode

from mlmarket.chain.revm_engine import PYREVM_VERSION, ZERO_ADDRESS, Message, Outcome
from mlmarket.chain.revm_ledger import (
    BlockRecord,
    block_json,
    log_json,
    log_matcher,
    make_block,
    receipt_json,
    transaction_json,
)
from mlmarket.chain.revm_tx import floor_gas, intrinsic_gas
from mlmarket.errors import BackendNotSupportedError, ChainError

if TYPE_CHECKING:
    from mlmarket.chain.revm_engine import BlockContext, RevmEngine
    from mlmarket.chain.revm_ledger import LogRecord, ReceiptRecord
    from mlmarket.chain.revm_node import Genesis

DEFAULT_TIP = 10**9  # what eth_maxPriorityFeePerGas suggests, as anvil does
ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")
LATEST_TAGS = (None, "latest", "safe", "finalized")


class HistoricalStateError(BackendNotSupportedError):
    """The revm node keeps only the latest state; an older block's state was asked for."""


class RpcError(ChainError):
    """A JSON-RPC error answer (code, message, optional data); never leaves the node."""

    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


def as_int(value: Any, default: int | None = None) -> int:
    """A JSON-RPC quantity (hex string or int) as an int."""
    if value is None:
        if default is None:
            raise RpcError(-32602, "missing quantity")
        return default
    if isinstance(value, int):
        return value
    return int(str(value), 16)


def as_bytes(value: Any) -> bytes:
    """JSON-RPC data (hex string or bytes) as bytes."""
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    text = str(value)
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


def _address(value: Any) -> str:
    return "0x" + value.hex() if isinstance(value, bytes) else str(value).lower()


class QueryMethods:
    """Read-only JSON-RPC methods; :class:`RevmNode` provides the state they read."""

    if TYPE_CHECKING:
        genesis: Genesis
        engine: RevmEngine
        blocks: list[BlockRecord]
        receipts: dict[bytes, ReceiptRecord]
        logs: list[LogRecord]
        gas_limit: int
        latest: BlockRecord

        def context(self, *, pending: bool) -> BlockContext: ...
        def next_base_fee(self) -> int: ...
        def next_timestamp(self) -> int: ...

    # --- block identifiers -------------------------------------------------------------

    def block_number(self, tag: Any) -> int:
        if isinstance(tag, dict):
            if "blockHash" in tag:
                return self._block_by_hash(as_bytes(tag["blockHash"])).number
            tag = tag.get("blockNumber")
        if tag in LATEST_TAGS:
            return self.latest.number
        if tag == "pending":
            return self.latest.number + 1
        if tag == "earliest":
            return 0
        return as_int(tag)

    def state_is_pending(self, tag: Any, method: str) -> bool:
        """Whether ``tag`` names the pending block; the latest is fine; older ones are not."""
        number = self.block_number(tag)
        if number == self.latest.number:
            return False
        if number == self.latest.number + 1:
            return True
        raise HistoricalStateError(
            f"The revm backend keeps only the latest state, so {method} at block {number} "
            f"(the latest is {self.latest.number}) cannot be answered. Ask for 'latest', or "
            "use the eth-tester or anvil backend to read past states."
        )

    def _block_by_hash(self, block_hash: bytes) -> BlockRecord:
        for block in reversed(self.blocks):
            if block.hash == block_hash:
                return block
        raise RpcError(-32001, f"block not found: 0x{block_hash.hex()}")

    def _block_json(self, block: BlockRecord, full: bool) -> dict[str, object]:
        if full:
            txs: list[object] = [transaction_json(self.receipts[h]) for h in block.tx_hashes]
        else:
            txs = ["0x" + h.hex() for h in block.tx_hashes]
        return block_json(block, txs)

    # --- identity --------------------------------------------------------------------------

    def rpc_eth_chainId(self, params: list[Any]) -> str:
        return hex(self.genesis.chain_id)

    def rpc_net_version(self, params: list[Any]) -> str:
        return str(self.genesis.chain_id)

    def rpc_web3_clientVersion(self, params: list[Any]) -> str:
        return f"mlmarket-revm/pyrevm-{PYREVM_VERSION}"

    def rpc_eth_accounts(self, params: list[Any]) -> list[str]:
        return [address.lower() for address, _wei in self.genesis.funded]

    def rpc_eth_syncing(self, params: list[Any]) -> bool:
        return False

    def rpc_net_listening(self, params: list[Any]) -> bool:
        return True

    # --- blocks, transactions, logs -----------------------------------------------------------

    def rpc_eth_blockNumber(self, params: list[Any]) -> str:
        return hex(self.latest.number)

    def rpc_eth_getBlockByNumber(self, params: list[Any]) -> dict[str, object] | None:
        full = bool(params[1]) if len(params) > 1 else False
        if params and params[0] == "pending":
            context = self.context(pending=True)
            pending = make_block(
                number=context.number, parent_hash=self.latest.hash,
                timestamp=context.timestamp, base_fee=self.next_base_fee(),
                gas_limit=self.gas_limit, mix_hash=context.prevrandao,
            )  # fmt: skip
            return self._block_json(pending, full)
        number = self.block_number(params[0] if params else "latest")
        if not 0 <= number < len(self.blocks):
            return None
        return self._block_json(self.blocks[number], full)

    def rpc_eth_getBlockByHash(self, params: list[Any]) -> dict[str, object] | None:
        try:
            block = self._block_by_hash(as_bytes(params[0]))
        except RpcError:
            return None
        return self._block_json(block, bool(params[1]) if len(params) > 1 else False)

    def rpc_eth_getTransactionByHash(self, params: list[Any]) -> dict[str, object] | None:
        receipt = self.receipts.get(as_bytes(params[0]))
        return None if receipt is None else transaction_json(receipt)

    def rpc_eth_getTransactionReceipt(self, params: list[Any]) -> dict[str, object] | None:
        receipt = self.receipts.get(as_bytes(params[0]))
        return None if receipt is None else receipt_json(receipt)

    def rpc_eth_getLogs(self, params: list[Any]) -> list[dict[str, object]]:
        query = dict(params[0]) if params else {}
        if query.get("blockHash") is not None:
            low = high = self._block_by_hash(as_bytes(query["blockHash"])).number
        else:
            low = self.block_number(query.get("fromBlock", "latest"))
            high = min(self.block_number(query.get("toBlock", "latest")), self.latest.number)
        matches = log_matcher(query.get("address"), query.get("topics"))
        return [
            log_json(log) for log in self.logs if low <= log.block_number <= high and matches(log)
        ]

    # --- state --------------------------------------------------------------------------------

    def rpc_eth_getBalance(self, params: list[Any]) -> str:
        self.state_is_pending(params[1] if len(params) > 1 else None, "eth_getBalance")
        return hex(self.engine.account(_address(params[0])).balance)

    def rpc_eth_getTransactionCount(self, params: list[Any]) -> str:
        # No pool: the pending nonce is the latest one.
        self.state_is_pending(params[1] if len(params) > 1 else None, "eth_getTransactionCount")
        return hex(self.engine.account(_address(params[0])).nonce)

    def rpc_eth_getCode(self, params: list[Any]) -> str:
        self.state_is_pending(params[1] if len(params) > 1 else None, "eth_getCode")
        return "0x" + self.engine.code(_address(params[0])).hex()

    def rpc_eth_getStorageAt(self, params: list[Any]) -> str:
        self.state_is_pending(params[2] if len(params) > 2 else None, "eth_getStorageAt")
        value = self.engine.storage(_address(params[0]), as_int(params[1]))
        return "0x" + value.to_bytes(32, "big").hex()

    # --- calls -------------------------------------------------------------------------------

    def _message(self, call: dict[str, Any], gas: int | None = None) -> Message:
        data = as_bytes(call.get("data", call.get("input")))
        to = call.get("to")
        message = Message(
            caller=_address(call.get("from") or ZERO_ADDRESS),
            to=_address(to) if to else None,
            data=data,
            value=as_int(call.get("value"), 0),
            gas=gas if gas is not None else as_int(call.get("gas"), self.gas_limit),
            gas_price=as_int(call.get("gasPrice"), 0),
        )
        needed = max(intrinsic_gas(data, is_create=message.to is None), floor_gas(data))
        if message.gas < needed:
            raise RpcError(
                -32000, f"intrinsic gas too low: gas {message.gas}, minimum needed {needed}"
            )
        if message.gas > self.gas_limit:
            raise RpcError(
                -32000, f"gas {message.gas} exceeds the block gas limit {self.gas_limit}"
            )
        return message

    def _simulate(
        self, call: dict[str, Any], tag: Any, gas: int | None = None, method: str = "eth_call"
    ) -> Outcome:
        pending = self.state_is_pending(tag, method)
        message = self._message(call, gas)
        outcome, _ = self.engine.run(message, self.context(pending=pending), keep=False)
        return outcome

    def call_bytes(self, caller: str, to: str, data: bytes, tag: str) -> bytes | None:
        """``eth_call`` without JSON-RPC, for the chain's reads of views: the output of
        a call from ``caller`` to ``to`` with ``data`` and the block's gas limit at
        ``tag``; None if it failed (the JSON-RPC path then reports why)."""
        pending = self.state_is_pending(tag, "eth_call")
        message = Message(caller.lower(), to.lower(), data, 0, self.gas_limit, 0)
        outcome, _ = self.engine.run(message, self.context(pending=pending), keep=False)
        return outcome.output if outcome.success else None

    def rpc_eth_call(self, params: list[Any]) -> str:
        outcome = self._simulate(dict(params[0]), params[1] if len(params) > 1 else None)
        if not outcome.success:
            raise call_failure(outcome)
        return "0x" + outcome.output.hex()

    def rpc_eth_estimateGas(self, params: list[Any]) -> str:
        """The smallest gas limit with which the call succeeds (binary search, as geth)."""
        call, tag = dict(params[0]), params[1] if len(params) > 1 else None
        high = as_int(call.get("gas"), self.gas_limit)
        first = self._simulate(call, tag, high, "eth_estimateGas")
        if not first.success:
            raise call_failure(first)
        data = as_bytes(call.get("data", call.get("input")))
        needed = max(intrinsic_gas(data, is_create=not call.get("to")), floor_gas(data))
        low = max(needed, first.gas_used) - 1
        while high - low > 1:
            middle = (low + high) // 2
            if self._simulate(call, tag, middle).success:
                high = middle
            else:
                low = middle
        return hex(high)

    # --- fees ---------------------------------------------------------------------------------

    def rpc_eth_gasPrice(self, params: list[Any]) -> str:
        return hex(self.next_base_fee() + DEFAULT_TIP)

    def rpc_eth_maxPriorityFeePerGas(self, params: list[Any]) -> str:
        return hex(DEFAULT_TIP)

    def rpc_eth_feeHistory(self, params: list[Any]) -> dict[str, object]:
        newest = min(self.block_number(params[1]), self.latest.number)
        oldest = max(0, newest - as_int(params[0]) + 1)
        blocks = self.blocks[oldest : newest + 1]
        following = self.blocks[newest + 1].base_fee if newest < self.latest.number else None
        answer: dict[str, object] = {
            "oldestBlock": hex(oldest),
            "baseFeePerGas": [hex(b.base_fee) for b in blocks]
            + [hex(following if following is not None else self.next_base_fee())],
            "gasUsedRatio": [b.gas_used / b.gas_limit for b in blocks],
        }
        percentiles = params[2] if len(params) > 2 and params[2] else []
        if percentiles:
            answer["reward"] = [[hex(self._tip(b))] * len(percentiles) for b in blocks]
        return answer

    def _tip(self, block: BlockRecord) -> int:
        if not block.tx_hashes:
            return 0
        return self.receipts[block.tx_hashes[0]].effective_gas_price - block.base_fee


def call_failure(outcome: Outcome) -> RpcError:
    """A failed call as anvil reports it: a revert with its data (code 3), or a halt."""
    if outcome.halt is not None:
        words = "out of gas" if outcome.halt.startswith("OutOfGas") else f"halted: {outcome.halt}"
        return RpcError(-32000, words)
    message = "execution reverted"
    if outcome.output[:4] == ERROR_STRING_SELECTOR:
        try:
            (reason,) = decode(["string"], outcome.output[4:])
            message = f"execution reverted: {reason}"
        except Exception:  # noqa: BLE001 - malformed reason: keep the plain message
            pass
    return RpcError(3, message, "0x" + outcome.output.hex())
