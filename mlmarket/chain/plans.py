"""Call and event plans: what web3 works out on every call of a contract function, or
every decoding of an event, worked out once per ABI element.

``Chain.call``/``Chain.read`` (and ``Chain.logs``) use them to answer as web3 does without
its contract layer; anything they do not reproduce exactly goes through web3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from eth_abi.codec import ABICodec
from eth_abi.grammar import ABIType, TupleType
from eth_abi.grammar import parse as parse_abi_type
from eth_utils import event_abi_to_log_topic, is_checksum_address, to_checksum_address
from eth_utils.abi import (
    function_abi_to_4byte_selector,
    get_abi_input_types,
    get_abi_output_types,
)
from hexbytes import HexBytes
from web3.datastructures import AttributeDict

# --- the fast path of Chain.call ---------------------------------------------------------
#
# web3's ``ContractFunction.call`` spends milliseconds per call in its ABI machinery (it
# finds the function in the ABI again, validates the whole ABI, hashes every signature,
# runs the middleware). ``Chain.call`` does the same work once per ABI element (a
# ``CallPlan``), then encodes with the web3 instance's own codec, asks the provider
# directly and decodes and normalises the answer as web3 does. Anything it does not
# reproduce exactly (keyword arguments, overloads, ENS names, hex strings for bytes, a
# revert, a node error) takes web3's path instead.

FAST_CALL_BACKENDS = frozenset({"revm", "eth-tester", "anvil"})
"""The backends whose provider ``Chain.call`` may ask directly (see ``Chain._fast_call``)."""

NAMED_BLOCKS = frozenset({"latest", "pending", "safe", "finalized", "earliest"})
SLOW = object()  # _fast_call's "take web3's path"
MAX_PLANS = 4096


class KeptById:
    """Values worked out from objects (ABIs, frames), kept by those objects' identity.

    Each entry holds its objects, so an ``id`` cannot be reused while its entry lives;
    ``extra`` adds hashable parts to the key (a function's name, an address). Emptied
    when ``size`` entries are kept.
    """

    def __init__(self, size: int = MAX_PLANS) -> None:
        self._size = size
        self._entries: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}

    def get(self, owners: tuple[Any, ...], build: Callable[[], Any], extra: tuple = ()) -> Any:
        key = (*map(id, owners), *extra)
        entry = self._entries.get(key)
        if entry is not None and all(a is b for a, b in zip(entry[0], owners, strict=True)):
            return entry[1]
        value = build()
        if len(self._entries) >= self._size:
            self._entries.clear()
        self._entries[key] = (owners, value)
        return value

    def clear(self) -> None:
        self._entries.clear()


MAX_CACHED_VALUES = 1024  # per call plan: calldata by arguments, values by answer

Check = Callable[[Any], bool]
Normalizer = Callable[[Any], Any]


@lru_cache(maxsize=4096)
def _is_checksummed(value: str) -> bool:
    return bool(is_checksum_address(value))


@lru_cache(maxsize=4096)
def checksummed(value: str) -> str:
    return str(to_checksum_address(value))


def _is_address_arg(value: Any) -> bool:
    # web3 leaves a checksummed address string as it is (no ENS lookup, no conversion).
    return type(value) is str and _is_checksummed(value)


def _argument_check(abi_type: ABIType) -> Check | None:
    """A test that a value is an argument web3's normalizers pass on unchanged (an
    ``int`` for an integer, ``bytes`` for bytes, a checksummed address, a list or tuple
    of such fields for a struct); None for types the fast path leaves to web3
    (fixed-point numbers)."""
    if abi_type.is_array:
        item = _argument_check(abi_type.item_type)
        if item is None:
            return None
        return lambda value: type(value) in (list, tuple) and all(item(v) for v in value)
    if isinstance(abi_type, TupleType):  # a struct: its fields in order, each as above
        parts = [_argument_check(component) for component in abi_type.components]
        if any(part is None for part in parts):
            return None
        return lambda value: (
            type(value) in (list, tuple)
            and len(value) == len(parts)
            and all(part(v) for part, v in zip(parts, value, strict=True))  # type: ignore[misc]
        )
    base = abi_type.base
    if base in ("uint", "int"):
        return lambda value: type(value) is int
    if base == "bool":
        return lambda value: type(value) is bool
    if base == "address":
        return _is_address_arg
    if base == "bytes":
        return lambda value: type(value) is bytes
    if base == "string":
        return lambda value: type(value) is str
    return None


def _output_normalizer(abi_type: ABIType) -> Normalizer | None:
    """web3's return normalisation of one decoded value (``map_abi_data`` with
    ``BASE_RETURN_NORMALIZERS``): arrays become lists, tuples stay tuples, addresses are
    checksummed, anything else is left alone (None: the identity)."""
    if abi_type.is_array:
        item = _output_normalizer(abi_type.item_type)
        if item is None:
            return list
        return lambda value: [item(v) for v in value]
    if isinstance(abi_type, TupleType):
        parts = [_output_normalizer(component) for component in abi_type.components]
        if all(part is None for part in parts):
            return None  # eth_abi decodes a tuple as a tuple already
        return lambda value: tuple(
            v if part is None else part(v) for part, v in zip(parts, value, strict=False)
        )
    if abi_type.base == "address":
        return checksummed
    return None


@dataclass(frozen=True)
class CallPlan:
    """What web3 works out on every call of one function, worked out once."""

    selector: bytes
    input_types: list[str]
    checks: tuple[Check, ...]
    output_types: list[str]
    normalizers: tuple[Normalizer | None, ...]
    # The same view is read again and again with the same arguments (a ledger reads every
    # holder's balance after every step): its calldata, and the value of an answer it has
    # decoded before, are kept (immutable values only: no arrays among the outputs).
    _calldata: dict[tuple[Any, ...], bytes] = field(default_factory=dict, compare=False)
    _values: dict[bytes, Any] | None = field(default=None, compare=False)

    @classmethod
    def of(cls, abi: Any, contract_abi: Any) -> CallPlan | None:
        """The plan for the function ``abi`` of ``contract_abi``; None when the fast path
        does not apply (not a function, overloaded, not in the contract's ABI, fixed-point
        numbers among its inputs)."""
        if not isinstance(abi, dict) or abi.get("type") != "function":
            return None
        if not isinstance(contract_abi, list | tuple):
            return None
        # web3 finds the function in the contract's ABI by signature; overloads resolved
        # from the arguments, and functions not in that ABI, are left to it.
        same_name = [
            element
            for element in contract_abi
            if isinstance(element, dict)
            and element.get("type") == "function"
            and element.get("name") == abi.get("name")
        ]
        if len(same_name) != 1 or same_name[0] != abi:
            return None
        input_types = list(get_abi_input_types(abi))
        output_types = list(get_abi_output_types(abi))
        checks = tuple(_argument_check(parse_abi_type(t)) for t in input_types)
        if any(check is None for check in checks):
            return None
        return cls(
            selector=bytes(function_abi_to_4byte_selector(abi)),
            input_types=input_types,
            checks=checks,  # type: ignore[arg-type] - no None left
            output_types=output_types,
            normalizers=tuple(_output_normalizer(parse_abi_type(t)) for t in output_types),
            _values=None if any("[" in t for t in output_types) else {},
        )

    def calldata(self, codec: ABICodec, args: tuple[Any, ...]) -> bytes:
        """Selector and encoded ``args`` (accepted ones: each argument's exact type is
        fixed by its check, so equal keys encode equally)."""
        try:
            return self._calldata[args]
        except TypeError:  # a list among the arguments
            return self.selector + codec.encode(self.input_types, args)
        except KeyError:
            pass
        data = self.selector + codec.encode(self.input_types, args)
        if len(self._calldata) >= MAX_CACHED_VALUES:
            self._calldata.clear()
        self._calldata[args] = data
        return data

    def value(self, codec: ABICodec, output: bytes) -> Any:
        """The answer ``output`` decoded and normalised as web3 returns it."""
        values = self._values
        if values is None:
            return self.result(codec.decode(self.output_types, output))
        value = values.get(output, SLOW)
        if value is SLOW:
            value = self.result(codec.decode(self.output_types, output))
            if len(values) >= MAX_CACHED_VALUES:
                values.clear()
            values[output] = value
        return value

    def accepts(self, args: Sequence[Any]) -> bool:
        return len(args) == len(self.checks) and all(
            check(arg) for check, arg in zip(self.checks, args, strict=True)
        )

    def result(self, decoded: Sequence[Any]) -> Any:
        """web3's return value: one output itself, several as a list."""
        values = [
            value if normalize is None else normalize(value)
            for normalize, value in zip(self.normalizers, decoded, strict=False)
        ]
        return values[0] if len(values) == 1 else values


# --- event logs --------------------------------------------------------------------------


def _raw(value: Any) -> bytes:
    """A log field as a node answers it (a hex string, or bytes from eth-tester)."""
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def _number(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


@dataclass(frozen=True)
class EventPlan:
    """What web3's ``get_event_data`` works out for one event, worked out once: its topic,
    and how each argument is decoded (from a topic, or from the data) and normalised."""

    name: str
    topic: bytes
    topic_inputs: tuple[tuple[str, str, Normalizer | None], ...]  # name, type, normaliser
    data_names: tuple[str, ...]
    data_types: list[str]
    data_normalizers: tuple[Normalizer | None, ...]

    @classmethod
    def of(cls, abi: Any) -> EventPlan | None:
        """The plan of event ``abi``; None where web3 must decode it (anonymous, tuples or
        fixed-point numbers among its inputs, unnamed or duplicate names)."""
        if not isinstance(abi, dict) or abi.get("type") != "event" or abi.get("anonymous"):
            return None
        inputs = abi.get("inputs", [])
        names = [i.get("name") for i in inputs]
        if not all(names) or len(set(names)) != len(names):
            return None
        parsed = []
        for item in inputs:
            abi_type = parse_abi_type(item["type"])
            if isinstance(abi_type, TupleType) or _argument_check(abi_type) is None:
                return None
            parsed.append((item, abi_type))
        topics = []
        for item, abi_type in parsed:
            if item.get("indexed"):  # a dynamic value's topic is its hash, as bytes32
                dynamic = abi_type.is_dynamic
                kind = "bytes32" if dynamic else item["type"]
                topics.append(
                    (item["name"], kind, None if dynamic else _output_normalizer(abi_type))
                )
        data = [(item, abi_type) for item, abi_type in parsed if not item.get("indexed")]
        return cls(
            name=str(abi["name"]),
            topic=bytes(event_abi_to_log_topic(abi)),
            topic_inputs=tuple(topics),
            data_names=tuple(item["name"] for item, _ in data),
            data_types=[item["type"] for item, _ in data],
            data_normalizers=tuple(_output_normalizer(abi_type) for _, abi_type in data),
        )

    def decode(self, codec: ABICodec, log: dict[str, Any]) -> AttributeDict:
        """A node's log entry as web3's ``get_logs`` returns it (``EventData``)."""
        topics = [_raw(topic) for topic in log["topics"]][1:]
        if len(topics) != len(self.topic_inputs):
            raise ValueError(f"expected {len(self.topic_inputs)} topics, got {len(topics)}")
        args: dict[str, Any] = {}
        for (name, kind, normalize), topic in zip(self.topic_inputs, topics, strict=True):
            value = codec.decode([kind], topic)[0]
            args[name] = value if normalize is None else normalize(value)
        values = codec.decode(self.data_types, _raw(log["data"]))
        for name, normalize, value in zip(
            self.data_names, self.data_normalizers, values, strict=True
        ):
            args[name] = value if normalize is None else normalize(value)
        return AttributeDict(
            {
                "args": AttributeDict(args),
                "event": self.name,
                "logIndex": _number(log["logIndex"]),
                "transactionIndex": _number(log["transactionIndex"]),
                "transactionHash": HexBytes(log["transactionHash"]),
                "address": checksummed(str(log["address"])),
                "blockHash": HexBytes(log["blockHash"]),
                "blockNumber": _number(log["blockNumber"]),
            }
        )
