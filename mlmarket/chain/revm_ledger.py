"""Blocks, receipts and logs of the revm node, and their JSON-RPC form (as anvil answers).

The node mines one block per transaction. A block's hash is the keccak of the RLP
of its header fields and transaction hashes; the node keeps no tries, so
``stateRoot``, ``transactionsRoot`` and ``receiptsRoot`` are reported as zero.

Example:
    >>> genesis = make_block(number=0, parent_hash=ZERO_HASH, timestamp=1_700_000_000,
    ...                      base_fee=10**9, gas_limit=30_000_000, extra_data=b"x")
    >>> block_json(genesis, [])["number"]
    '0x0'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import rlp
from eth_bloom import BloomFilter
from eth_utils import keccak
from hexbytes import HexBytes
from web3.datastructures import AttributeDict

from mlmarket.chain.plans import checksummed
from mlmarket.chain.revm_engine import ZERO_ADDRESS, LogEntry
from mlmarket.chain.revm_tx import SignedTx

ZERO_HASH = b"\x00" * 32
EMPTY_OMMERS_HASH = keccak(rlp.encode([]))
BLOOM_BYTES = 256


@dataclass(frozen=True)
class BlockRecord:
    number: int
    hash: bytes
    parent_hash: bytes
    timestamp: int
    base_fee: int
    gas_limit: int
    gas_used: int
    extra_data: bytes
    mix_hash: bytes
    bloom: int
    tx_hashes: tuple[bytes, ...]


@dataclass(frozen=True)
class LogRecord:
    entry: LogEntry
    log_index: int
    tx_hash: bytes
    block_number: int
    block_hash: bytes
    timestamp: int


@dataclass(frozen=True)
class ReceiptRecord:
    tx: SignedTx
    status: int
    gas_used: int
    effective_gas_price: int
    contract_address: str | None
    logs: tuple[LogRecord, ...]
    bloom: int
    block_number: int
    block_hash: bytes
    timestamp: int


def make_block(
    *,
    number: int,
    parent_hash: bytes,
    timestamp: int,
    base_fee: int,
    gas_limit: int,
    gas_used: int = 0,
    extra_data: bytes = b"",
    mix_hash: bytes = ZERO_HASH,
    bloom: int = 0,
    tx_hashes: tuple[bytes, ...] = (),
) -> BlockRecord:
    """A block with its hash (keccak of the RLP of its fields and transaction hashes)."""
    fields = [
        parent_hash, EMPTY_OMMERS_HASH, bytes(20), ZERO_HASH, ZERO_HASH, ZERO_HASH,
        bloom.to_bytes(BLOOM_BYTES, "big"), 0, number, gas_limit, gas_used, timestamp,
        extra_data, mix_hash, bytes(8), base_fee, list(tx_hashes),
    ]  # fmt: skip
    return BlockRecord(
        number=number,
        hash=keccak(rlp.encode(fields)),
        parent_hash=parent_hash,
        timestamp=timestamp,
        base_fee=base_fee,
        gas_limit=gas_limit,
        gas_used=gas_used,
        extra_data=extra_data,
        mix_hash=mix_hash,
        bloom=bloom,
        tx_hashes=tx_hashes,
    )


def logs_bloom(logs: Iterable[LogEntry]) -> int:
    bloom = BloomFilter()
    for log in logs:
        bloom.add(bytes.fromhex(log.address[2:]))
        for topic in log.topics:
            bloom.add(topic)
    return int(bloom)


# --- JSON-RPC forms ----------------------------------------------------------------------


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _address(address: str | None) -> str | None:
    return None if address is None else address.lower()


def block_json(block: BlockRecord, transactions: list[object]) -> dict[str, object]:
    """``eth_getBlockByNumber``'s answer; ``transactions`` are hashes or objects."""
    return {
        "hash": _hex(block.hash),
        "parentHash": _hex(block.parent_hash),
        "sha3Uncles": _hex(EMPTY_OMMERS_HASH),
        "miner": ZERO_ADDRESS,
        "stateRoot": _hex(ZERO_HASH),
        "transactionsRoot": _hex(ZERO_HASH),
        "receiptsRoot": _hex(ZERO_HASH),
        "logsBloom": _hex(block.bloom.to_bytes(BLOOM_BYTES, "big")),
        "difficulty": "0x0",
        "number": hex(block.number),
        "gasLimit": hex(block.gas_limit),
        "gasUsed": hex(block.gas_used),
        "timestamp": hex(block.timestamp),
        "extraData": _hex(block.extra_data),
        "mixHash": _hex(block.mix_hash),
        "nonce": "0x0000000000000000",
        "baseFeePerGas": hex(block.base_fee),
        "blobGasUsed": "0x0",
        "excessBlobGas": "0x0",
        "totalDifficulty": "0x0",
        "uncles": [],
        "transactions": transactions,
        "withdrawals": [],
    }


def log_json(log: LogRecord) -> dict[str, object]:
    return {
        "address": _address(log.entry.address),
        "topics": [_hex(topic) for topic in log.entry.topics],
        "data": _hex(log.entry.data),
        "blockHash": _hex(log.block_hash),
        "blockNumber": hex(log.block_number),
        "blockTimestamp": hex(log.timestamp),
        "transactionHash": _hex(log.tx_hash),
        "transactionIndex": "0x0",
        "logIndex": hex(log.log_index),
        "removed": False,
    }


def receipt_json(receipt: ReceiptRecord) -> dict[str, object]:
    return {
        "type": "0x2",
        "status": hex(receipt.status),
        "cumulativeGasUsed": hex(receipt.gas_used),  # one transaction per block
        "logs": [log_json(log) for log in receipt.logs],
        "logsBloom": _hex(receipt.bloom.to_bytes(BLOOM_BYTES, "big")),
        "transactionHash": _hex(receipt.tx.hash),
        "transactionIndex": "0x0",
        "blockHash": _hex(receipt.block_hash),
        "blockNumber": hex(receipt.block_number),
        "blockTimestamp": hex(receipt.timestamp),
        "gasUsed": hex(receipt.gas_used),
        "effectiveGasPrice": hex(receipt.effective_gas_price),
        "from": _address(receipt.tx.sender),
        "to": _address(receipt.tx.to),
        "contractAddress": _address(receipt.contract_address),
    }


def receipt_attrs(receipt: ReceiptRecord) -> AttributeDict:
    """The receipt as web3's ``get_transaction_receipt`` returns it (its result formatters
    applied to :func:`receipt_json`, then ``AttributeDict``), built directly: quantities
    as ``int``, hashes and data as ``HexBytes``, addresses checksummed."""
    logs = [
        AttributeDict(
            {
                "address": _checksum(log.entry.address),
                "topics": [HexBytes(topic) for topic in log.entry.topics],
                "data": HexBytes(log.entry.data),
                "blockHash": HexBytes(log.block_hash),
                "blockNumber": log.block_number,
                "blockTimestamp": hex(log.timestamp),
                "transactionHash": HexBytes(log.tx_hash),
                "transactionIndex": 0,
                "logIndex": log.log_index,
                "removed": False,
            }
        )
        for log in receipt.logs
    ]
    return AttributeDict(
        {
            "type": 2,
            "status": receipt.status,
            "cumulativeGasUsed": receipt.gas_used,  # one transaction per block
            "logs": logs,
            "logsBloom": HexBytes(receipt.bloom.to_bytes(BLOOM_BYTES, "big")),
            "transactionHash": HexBytes(receipt.tx.hash),
            "transactionIndex": 0,
            "blockHash": HexBytes(receipt.block_hash),
            "blockNumber": receipt.block_number,
            "blockTimestamp": hex(receipt.timestamp),
            "gasUsed": receipt.gas_used,
            "effectiveGasPrice": receipt.effective_gas_price,
            "from": _checksum(receipt.tx.sender),
            "to": _checksum(receipt.tx.to),
            "contractAddress": _checksum(receipt.contract_address),
        }
    )


def _checksum(address: str | None) -> str | None:
    return None if address is None else checksummed(address)


def transaction_json(receipt: ReceiptRecord) -> dict[str, object]:
    tx = receipt.tx
    return {
        "type": "0x2",
        "chainId": hex(tx.chain_id),
        "nonce": hex(tx.nonce),
        "gas": hex(tx.gas),
        "maxFeePerGas": hex(tx.max_fee),
        "maxPriorityFeePerGas": hex(tx.max_priority_fee),
        "to": _address(tx.to),
        "value": hex(tx.value),
        "accessList": [],
        "input": _hex(tx.data),
        "r": hex(tx.r),
        "s": hex(tx.s),
        "yParity": hex(tx.y_parity),
        "v": hex(tx.y_parity),
        "hash": _hex(tx.hash),
        "blockHash": _hex(receipt.block_hash),
        "blockNumber": hex(receipt.block_number),
        "blockTimestamp": hex(receipt.timestamp),
        "transactionIndex": "0x0",
        "from": _address(tx.sender),
        "gasPrice": hex(receipt.effective_gas_price),
    }


# --- log filters -------------------------------------------------------------------------


def _norm(item: object) -> str:
    if isinstance(item, bytes | bytearray):
        return _hex(bytes(item))
    return str(item).lower()


def _as_set(value: object) -> set[str] | None:
    if value is None:
        return None
    items = value if isinstance(value, list | tuple) else [value]
    return {_norm(item) for item in items}


def log_matcher(addresses: object, topics: list[object] | None):  # noqa: ANN201 - a predicate
    """A predicate for ``eth_getLogs``: addresses and topic positions (None, one, or a list)."""
    wanted_addresses = _as_set(addresses)
    wanted_topics = [_as_set(position) for position in (topics or [])]

    def matches(log: LogRecord) -> bool:
        if wanted_addresses is not None and log.entry.address.lower() not in wanted_addresses:
            return False
        if len(wanted_topics) > len(log.entry.topics):
            return False
        for wanted, topic in zip(wanted_topics, log.entry.topics, strict=False):
            if wanted is not None and _hex(topic) not in wanted:
                return False
        return True

    return matches
