"""Turn revert data into named Python exceptions.

web3 8 does not decode Solidity custom errors, and the two local backends
surface revert data differently (eth-tester raises ``TransactionFailed`` with a
bytes repr in its message; anvil raises ``ContractCustomError`` with hex in
``.data``). This module extracts the bytes from either, looks the 4-byte
selector up in a registry built from contract ABIs, decodes the arguments with
eth_abi and raises a subclass of :class:`~mlmarket.errors.ContractRevertError`
named after the Solidity error, with a sentence a student can act on.
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from eth_abi import decode, encode
from eth_utils import keccak, to_checksum_address

from mlmarket.errors import ContractRevertError, RevertedWithReason, TransactionFailedError
from mlmarket.units import from_units

ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)

PANIC_REASONS = {
    0x00: "a generic compiler panic",
    0x01: "an assert() failed",
    0x11: "an arithmetic operation overflowed or underflowed",
    0x12: "a division or modulo by zero",
    0x21: "a value was converted to an enum out of range",
    0x22: "a storage byte array was incorrectly encoded",
    0x31: "pop() was called on an empty array",
    0x32: "an array index was out of bounds",
    0x41: "too much memory was allocated",
    0x51: "a zero-initialised internal function was called",
}


class ContractPanicError(RevertedWithReason):
    """A Solidity panic (assert failure, overflow, division by zero, ...)."""

    error_name = "Panic"
    signature = "Panic(uint256)"


def _canonical_type(item: Mapping[str, Any]) -> str:
    """ABI type string of an input, expanding tuples as Solidity does for selectors."""
    kind = str(item["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in item.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def error_signature(entry: Mapping[str, Any]) -> str:
    """``Name(type1,type2)`` of an ABI error entry."""
    return f"{entry['name']}({','.join(_canonical_type(i) for i in entry.get('inputs', []))})"


_CLASSES: dict[str, type[ContractRevertError]] = {}


def error_class(name: str, signature: str) -> type[ContractRevertError]:
    """The exception class for a Solidity error; the same class for the same signature.

    Classes are process-wide so that ``except SomeError`` works whatever chain raised it.
    """
    cls = _CLASSES.get(signature)
    if cls is None:
        cls = type(
            name,
            (ContractRevertError,),
            {
                "error_name": name,
                "signature": signature,
                "__doc__": f"Raised when a contract reverts with ``{signature}``.",
                "__module__": "mlmarket.contracts.errors",
            },
        )
        _CLASSES[signature] = cls
    return cls


class _ValueFormatter(string.Formatter):
    """Formats ``{x:tokens}`` as whole tokens, ``{x:account}`` with the account name and
    ``{x:time}`` (Unix seconds) as a UTC date and time."""

    def __init__(self, names: Callable[[str], str | None]) -> None:
        self._names = names

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "tokens":
            return f"{from_units(int(value)):f} tokens"
        if format_spec == "account":
            return describe_address(str(value), self._names)
        if format_spec == "time":
            when = datetime.fromtimestamp(int(value), tz=UTC)
            return f"{when:%Y-%m-%d %H:%M:%S} UTC ({int(value)})"
        return super().format_field(value, format_spec)


def describe_address(address: str, names: Callable[[str], str | None]) -> str:
    name = names(address)
    return f"{name} ({address})" if name else address


def _show(value: Any, names: Callable[[str], str | None]) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return describe_address(value, names)
    return repr(value) if isinstance(value, str) else str(value)


class ErrorRegistry:
    """Selector → error ABI, plus sentence templates for known errors.

    Templates use the error's argument names, e.g.
    ``"{sender:account} has {balance:tokens} but needs {needed:tokens}."``
    """

    def __init__(self) -> None:
        self._errors: dict[bytes, tuple[str, str, list[dict[str, Any]]]] = {}
        self._templates: dict[str, str] = {}

    def register_abi(self, abi: Iterable[Mapping[str, Any]]) -> None:
        for entry in abi:
            if entry.get("type") != "error":
                continue
            signature = error_signature(entry)
            selector = keccak(text=signature)[:4]
            self._errors[selector] = (str(entry["name"]), signature, list(entry.get("inputs", [])))

    def register_messages(self, templates: Mapping[str, str]) -> None:
        self._templates.update(templates)

    def classes(self) -> dict[str, type[ContractRevertError]]:
        """Every registered error's exception class, by Solidity name."""
        return {name: error_class(name, sig) for name, sig, _ in self._errors.values()}

    def decode(
        self, data: bytes, names: Callable[[str], str | None] = lambda _a: None
    ) -> MlmarketRevert:
        """The exception for revert ``data`` (not raised)."""
        selector, body = data[:4], data[4:]
        if not data:
            return TransactionFailedError(
                "The transaction reverted without a reason (no revert data). Check the "
                "arguments and the contract's state; if it ran out of gas, raise the gas limit."
            )
        if selector == ERROR_STRING_SELECTOR:
            (reason,) = decode(["string"], body)
            return RevertedWithReason(f"The contract reverted: {reason}", {"reason": reason})
        if selector == PANIC_SELECTOR:
            (code,) = decode(["uint256"], body)
            what = PANIC_REASONS.get(code, "an unknown panic")
            return ContractPanicError(
                f"The contract panicked (code {code:#04x}): {what}.", {"code": code}
            )
        known = self._errors.get(selector)
        if known is None:
            return TransactionFailedError(
                f"The contract reverted with an error this session does not know "
                f"(selector 0x{selector.hex()}, data 0x{data.hex()})."
            )
        name, signature, inputs = known
        values = decode([_canonical_type(i) for i in inputs], body)
        args = {
            (i.get("name") or f"arg{n}"): _normalise(v, i)
            for n, (i, v) in enumerate(zip(inputs, values, strict=True))
        }
        return error_class(name, signature)(self._sentence(name, args, names), args)

    def named(
        self, name: str, args: dict[str, Any], names: Callable[[str], str | None] = lambda _a: None
    ) -> ContractRevertError:
        """The exception the contract's error ``name`` with ``args`` decodes to (not raised):
        for a refusal the package predicts off chain, so both read the same."""
        for known, signature, _inputs in self._errors.values():
            if known == name:
                return error_class(name, signature)(self._sentence(name, args, names), args)
        raise KeyError(f"No contract error {name!r} is registered.")

    def _sentence(self, name: str, args: dict[str, Any], names: Callable[[str], str | None]) -> str:
        template = self._templates.get(name)
        if template is not None:
            return _ValueFormatter(names).format(template, **args)
        shown = ", ".join(f"{k}={_show(v, names)}" for k, v in args.items())
        words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).lower()
        return f"The contract refused the call: {words} ({shown})."


MlmarketRevert = ContractRevertError | TransactionFailedError


def _normalise(value: Any, item: Mapping[str, Any]) -> Any:
    if item.get("type") == "address":
        return to_checksum_address(value)
    return value


_HEX_RE = re.compile(r"0x[0-9a-fA-F]*")


def revert_data_of(exc: BaseException) -> bytes | None:
    """Revert bytes carried by a backend's exception (or one it wraps), or None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found = _revert_data_here(current)
        if found is not None:
            return found
        current = current.__cause__ or current.__context__
    return None


def _revert_data_here(exc: BaseException) -> bytes | None:
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, bytes):
        return data
    if isinstance(data, str) and _HEX_RE.fullmatch(data):
        return bytes.fromhex(data[2:])
    for arg in getattr(exc, "args", ()):
        found = _bytes_from_message(arg)
        if found is not None:
            return found
    return _reason_from_message(exc)


def _reason_from_message(exc: BaseException) -> bytes | None:
    """eth-tester decodes ``Error(string)`` itself and keeps only the text: re-encode it."""
    if type(exc).__name__ != "TransactionFailed" or not exc.args:
        return None
    text = str(exc.args[0])
    prefix = "execution reverted: "
    if not text.startswith(prefix):
        return None
    return ERROR_STRING_SELECTOR + encode(["string"], [text[len(prefix) :]])


def _bytes_from_message(arg: Any) -> bytes | None:
    if isinstance(arg, bytes):
        return arg
    if not isinstance(arg, str):
        return None
    text = arg.strip().removeprefix("execution reverted:").strip()
    if text.startswith(("b'", 'b"')):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return None
        return value if isinstance(value, bytes) else None
    if _HEX_RE.fullmatch(text):
        return bytes.fromhex(text[2:])
    return None
