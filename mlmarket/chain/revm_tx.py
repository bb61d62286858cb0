"""Transaction rules the revm node applies itself (pyrevm executes, it does not validate).

pyrevm's ``message_call``/``deploy`` run with base fee 0 and gas price 0, check no
nonce and charge no EIP-7623 calldata floor. The node therefore decodes each signed
EIP-1559 transaction here (rlp, sender recovered with eth-keys), checks it the way
geth and anvil do (the refusals use their words, e.g. ``"nonce too low"``), and
computes what Prague charges: ``gasUsed = max(execution gas, calldata floor)`` at
``min(maxFeePerGas, baseFee + maxPriorityFeePerGas)`` per gas.

Example:
    >>> intrinsic_gas(b"\\x00\\x01", is_create=False)
    21020
    >>> floor_gas(b"\\x00\\x01")
    21050
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from eth_keys import keys
from eth_keys.exceptions import BadSignature
from eth_utils import keccak, to_checksum_address

from mlmarket.chain.core import TX_GAS_CAP
from mlmarket.errors import ChainError

MAX_CODE_SIZE = 24_576  # EIP-170
MAX_INITCODE_SIZE = 2 * MAX_CODE_SIZE  # EIP-3860
TX_BASE_GAS = 21_000
CREATE_GAS = 32_000
INITCODE_WORD_GAS = 2
ZERO_BYTE_GAS, NONZERO_BYTE_GAS = 4, 16
FLOOR_GAS_PER_TOKEN = 10  # EIP-7623
ACCESS_LIST_ADDRESS_GAS, ACCESS_LIST_KEY_GAS = 2_400, 1_900
INITIAL_BASE_FEE = 10**9  # py-evm's (and so eth-tester's) London genesis base fee
ELASTICITY_MULTIPLIER = 2
BASE_FEE_MAX_CHANGE_DENOMINATOR = 8
DYNAMIC_FEE_TX_TYPE = 2

# JSON-RPC error codes anvil answers with.
INVALID_PARAMS = -32602
TX_REJECTED = -32003
INTRINSIC_GAS_CODE = -32000


class TxRejectedError(ChainError):
    """The node refused a transaction before executing it; sent back as a JSON-RPC error.

    Example:
        >>> TxRejectedError("nonce too low").code
        -32003
    """

    def __init__(self, message: str, code: int = TX_REJECTED) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SignedTx:
    """A decoded, signature-checked EIP-1559 transaction."""

    raw: bytes
    hash: bytes
    sender: str
    chain_id: int
    nonce: int
    max_priority_fee: int
    max_fee: int
    gas: int
    to: str | None
    value: int
    data: bytes
    access_list: tuple
    y_parity: int
    r: int
    s: int

    @property
    def is_create(self) -> bool:
        return self.to is None


def _int(field: bytes) -> int:
    return int.from_bytes(field, "big")


def decode_raw(raw: bytes, known_senders: dict[bytes, str] | None = None) -> SignedTx:
    """Decode a signed type-2 transaction and recover its sender.

    ``known_senders`` caches tx hash → sender (the hash covers the signature), so a
    journal replay does not recover the same signatures again.
    """
    if not raw or raw[0] != DYNAMIC_FEE_TX_TYPE:
        kind = "legacy" if raw and raw[0] >= 0xC0 else f"type {raw[0] if raw else '?'}"
        raise TxRejectedError(
            f"transaction type not supported: the revm node takes EIP-1559 (type 2) "
            f"transactions, got a {kind} one.",
            INVALID_PARAMS,
        )
    try:
        fields = rlp.decode(raw[1:])
    except rlp.exceptions.DecodingError as exc:
        raise TxRejectedError(
            f"failed to decode signed transaction: {exc}", INVALID_PARAMS
        ) from None
    if not isinstance(fields, list) or len(fields) != 12:
        raise TxRejectedError(
            "failed to decode signed transaction: wrong field count", INVALID_PARAMS
        )
    tx_hash = keccak(raw)
    sender = (known_senders or {}).get(tx_hash) or _recover(raw[0], fields)
    if known_senders is not None:
        known_senders[tx_hash] = sender
    chain_id, nonce, tip, fee_cap, gas, to, value, data, access_list, v, r, s = fields
    return SignedTx(
        raw=bytes(raw),
        hash=tx_hash,
        sender=sender,
        chain_id=_int(chain_id),
        nonce=_int(nonce),
        max_priority_fee=_int(tip),
        max_fee=_int(fee_cap),
        gas=_int(gas),
        to=to_checksum_address(to) if to else None,
        value=_int(value),
        data=bytes(data),
        access_list=tuple(access_list),
        y_parity=_int(v),
        r=_int(r),
        s=_int(s),
    )


def _recover(tx_type: int, fields: list) -> str:
    """The sender of an EIP-2718 typed transaction: recover the key that signed its payload."""
    signing_hash = keccak(bytes([tx_type]) + rlp.encode(fields[:9]))
    try:
        signature = keys.Signature(vrs=(_int(fields[9]), _int(fields[10]), _int(fields[11])))
        public_key = signature.recover_public_key_from_msg_hash(signing_hash)
    except (BadSignature, ValueError) as exc:
        raise TxRejectedError(f"invalid transaction signature: {exc}", INVALID_PARAMS) from None
    return to_checksum_address(public_key.to_canonical_address())


def calldata_tokens(data: bytes) -> int:
    """EIP-7623 tokens: one per zero byte, four per other byte."""
    zeros = data.count(0)
    return zeros + 4 * (len(data) - zeros)


def intrinsic_gas(data: bytes, *, is_create: bool, access_list: tuple = ()) -> int:
    """Gas charged before execution: base, calldata, creation, initcode words, access list."""
    zeros = data.count(0)
    gas = TX_BASE_GAS + ZERO_BYTE_GAS * zeros + NONZERO_BYTE_GAS * (len(data) - zeros)
    if is_create:
        gas += CREATE_GAS + INITCODE_WORD_GAS * ((len(data) + 31) // 32)
    for _address, slots in access_list:
        gas += ACCESS_LIST_ADDRESS_GAS + ACCESS_LIST_KEY_GAS * len(slots)
    return gas


def floor_gas(data: bytes) -> int:
    """EIP-7623's floor: a transaction uses at least this much gas (Prague)."""
    return TX_BASE_GAS + FLOOR_GAS_PER_TOKEN * calldata_tokens(data)


def effective_gas_price(tx: SignedTx, base_fee: int) -> int:
    return min(tx.max_fee, base_fee + tx.max_priority_fee)


def next_base_fee(parent_base_fee: int, parent_gas_used: int, gas_limit: int) -> int:
    """EIP-1559's base fee of the next block, exactly as py-evm computes it."""
    target = gas_limit // ELASTICITY_MULTIPLIER
    if parent_gas_used == target:
        return parent_base_fee
    if parent_gas_used > target:
        delta = parent_base_fee * (parent_gas_used - target) // target
        return parent_base_fee + max(delta // BASE_FEE_MAX_CHANGE_DENOMINATOR, 1)
    delta = parent_base_fee * (target - parent_gas_used) // target
    return max(parent_base_fee - delta // BASE_FEE_MAX_CHANGE_DENOMINATOR, 0)


def create_address(sender: str, nonce: int) -> str:
    """The address a CREATE from ``sender`` at ``nonce`` deploys to."""
    encoded = rlp.encode([bytes.fromhex(sender[2:]), nonce])
    return to_checksum_address(keccak(encoded)[12:])


@dataclass(frozen=True)
class SenderState:
    """What validation needs to know about the sender (read from the latest state)."""

    nonce: int
    balance: int


def check_transaction(
    tx: SignedTx, sender: SenderState, *, chain_id: int, base_fee: int, block_gas_limit: int
) -> None:
    """Refuse ``tx`` as geth/anvil would, with their words; return None when it is valid."""
    _check_envelope(tx, chain_id=chain_id, block_gas_limit=block_gas_limit)
    _check_fees(tx, base_fee)
    _check_gas(tx)
    if tx.nonce < sender.nonce:
        raise TxRejectedError(
            f"nonce too low: address {tx.sender}, tx: {tx.nonce} state: {sender.nonce}"
        )
    if tx.nonce > sender.nonce:
        raise TxRejectedError(
            f"nonce too high: address {tx.sender}, tx: {tx.nonce} state: {sender.nonce} "
            "(the revm node has no transaction pool: send the next nonce)"
        )
    cost = tx.gas * tx.max_fee + tx.value
    if sender.balance < cost:
        raise TxRejectedError(
            "insufficient funds for gas * price + value: "
            f"address {tx.sender} have {sender.balance} want {cost}"
        )


def _check_envelope(tx: SignedTx, *, chain_id: int, block_gas_limit: int) -> None:
    if tx.chain_id != chain_id:
        raise TxRejectedError(f"invalid chain id for signer: have {tx.chain_id} want {chain_id}")
    if tx.access_list:
        raise TxRejectedError(
            "transaction type not supported: the revm node does not take access lists; "
            "send the transaction without one.",
            INVALID_PARAMS,
        )
    if tx.gas > TX_GAS_CAP:
        raise TxRejectedError(f"transaction gas limit too high (cap: {TX_GAS_CAP}, tx: {tx.gas})")
    if tx.gas > block_gas_limit:
        raise TxRejectedError("exceeds block gas limit")
    if tx.is_create and len(tx.data) > MAX_INITCODE_SIZE:
        raise TxRejectedError(
            f"max initcode size exceeded: code size {len(tx.data)} limit {MAX_INITCODE_SIZE}"
        )


def _check_fees(tx: SignedTx, base_fee: int) -> None:
    if tx.max_priority_fee > tx.max_fee:
        raise TxRejectedError(
            "max priority fee per gas higher than max fee per gas: "
            f"maxPriorityFeePerGas: {tx.max_priority_fee}, maxFeePerGas: {tx.max_fee}"
        )
    if tx.max_fee < base_fee:
        raise TxRejectedError(
            "max fee per gas less than block base fee: "
            f"maxFeePerGas: {tx.max_fee}, baseFee: {base_fee}"
        )


def _check_gas(tx: SignedTx) -> None:
    needed = intrinsic_gas(tx.data, is_create=tx.is_create, access_list=tx.access_list)
    if tx.gas < needed:
        raise TxRejectedError(
            f"intrinsic gas too low: gas {tx.gas}, minimum needed {needed}", INTRINSIC_GAS_CODE
        )
    floor = floor_gas(tx.data)
    if tx.gas < floor:
        raise TxRejectedError(
            f"insufficient gas for floor data gas cost: gas {tx.gas}, minimum needed {floor}",
            INTRINSIC_GAS_CODE,
        )
