"""pyrevm's EVM, driven so that every transaction starts cold, as on Ethereum.

pyrevm keeps every account and slot it ever loaded in revm's journaled state and
never finalises it, so from the second transaction on everything would be warm
(EIP-2929 gas too low), ``SSTORE`` would price against stale original values, and
``set_balance``/``insert_account_info`` would bypass the journal. This module keeps
one invariant instead: **at rest, revm's journaled state is empty** (only the
coinbase, which revm loads without journaling, stays) and the whole state lives in
revm's cache database. So:

* every read runs inside ``snapshot()``/``revert()``, which unloads what it loaded;
* every transaction runs inside a checkpoint; the accounts and written slots it
  left behind are read out (``journal_state`` and the journal's ``StorageChange``
  entries), the checkpoint is reverted (which also clears transient storage and
  logs), and the values are written into the database, where the next
  transaction loads them cold, with fresh original values;
* every write returns the values it overwrote, so the node can undo transactions
  (snapshots) without re-executing anything.

revm 8 has no Prague spec (its ``"PRAGUE"`` name falls back to ``LATEST``); Cancun
prices every opcode the contracts use as Prague does. The node adds what Prague
adds on top (the calldata floor) itself.

Example:
    >>> engine = RevmEngine(chain_id=1, block_gas_limit=30_000_000)
    >>> engine.fund("0x" + "11" * 20, 10**18)
    >>> engine.account("0x" + "11" * 20).balance
    1000000000000000000
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any

from eth_utils import keccak

from mlmarket.chain.revm_tx import SenderState
from mlmarket.errors import ChainError

REVM_SPEC = "Cancun"  # revm 8's spelling; anything unknown silently means LATEST
PYREVM_VERSION = "0.3.7"
ZERO_ADDRESS = "0x" + "00" * 20
KECCAK_EMPTY = keccak(b"")
CODE_PADDING = 33  # revm pads analysed bytecode with 33 zero bytes

_REVERT_RE = re.compile(r"Revert \{ gas_used: \d+, output: 0x([0-9a-fA-F]*) \}")
_WRITE_RE = re.compile(
    r"StorageChange \{ address: (0x[0-9a-fA-F]{40}), key: (\d+), had_value: Some"
)
_DESTROYED_RE = re.compile(r"AccountDestroyed \{ address: (0x[0-9a-fA-F]{40})")


class RevmNotInstalledError(ChainError, ImportError):
    """The revm backend was asked for, but pyrevm is not installed."""


class RevmEngineError(ChainError):
    """pyrevm reported something the node did not expect (a bug in the node)."""


def require_pyrevm() -> ModuleType:
    """Import pyrevm, or say how to install it.

    Example:
        >>> require_pyrevm().__name__
        'pyrevm'
    """
    try:
        import pyrevm
    except ImportError:
        raise RevmNotInstalledError(
            "The revm backend needs pyrevm, which is not installed. Install it with "
            "pip install 'mlmarket[revm]' (wheels exist for CPython 3.11 and 3.12 on Linux), "
            "or use connect() (eth-tester) or connect('anvil')."
        ) from None
    return pyrevm


@dataclass(frozen=True)
class BlockContext:
    """The block a message executes in."""

    number: int
    timestamp: int
    prevrandao: bytes
    gas_limit: int
    coinbase: str = ZERO_ADDRESS


@dataclass(frozen=True)
class Message:
    """What to execute: a call (``to`` set) or a creation (``to`` None)."""

    caller: str
    to: str | None
    data: bytes
    value: int
    gas: int
    gas_price: int = 0


@dataclass(frozen=True)
class LogEntry:
    address: str
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True)
class Outcome:
    """What executing a message did (revm's gas, before the calldata floor)."""

    success: bool
    gas_used: int
    output: bytes = b""
    logs: tuple[LogEntry, ...] = ()
    created: str | None = None
    halt: str | None = None

    @property
    def reverted(self) -> bool:
        return not self.success and self.halt is None


@dataclass
class AccountRecord:
    balance: int
    nonce: int
    code_hash: bytes = KECCAK_EMPTY
    code: bytes | None = None  # only for code the database does not hold yet


@dataclass
class StateDiff:
    """Accounts (lower-case address → record) and written slots a transaction left."""

    accounts: dict[str, AccountRecord] = field(default_factory=dict)
    storage: dict[tuple[str, int], int] = field(default_factory=dict)

    def account(self, address: str) -> AccountRecord:
        return self.accounts[address.lower()]


class RevmEngine:
    """One pyrevm EVM whose journaled state is empty between transactions."""

    def __init__(self, *, chain_id: int, block_gas_limit: int) -> None:
        self._pyrevm = require_pyrevm()
        env = self._pyrevm.Env(cfg=self._pyrevm.CfgEnv(chain_id=chain_id))
        self._evm = self._pyrevm.EVM(env=env, gas_limit=block_gas_limit, spec_id=REVM_SPEC)
        self._block: BlockContext | None = None  # the block environment last set
        self._known_code: set[bytes] = {KECCAK_EMPTY}
        # A mirror of the database (every write goes through _write_*), so that a
        # write can return what it overwrote.
        self._accounts: dict[str, AccountRecord] = {}
        self._storage: dict[tuple[str, int], int] = {}

    # --- reads (each unloads what it loaded) -------------------------------------------

    @contextmanager
    def _peek(self) -> Iterator[Any]:
        checkpoint = self._evm.snapshot()
        try:
            yield self._evm
        finally:
            self._evm.revert(checkpoint)

    def account(self, address: str) -> SenderState:
        with self._peek() as evm:
            info = evm.basic(address)
            return SenderState(nonce=int(info.nonce), balance=int(info.balance))

    def code(self, address: str) -> bytes:
        with self._peek() as evm:
            return bytes(evm.get_code(address) or b"")

    def storage(self, address: str, slot: int) -> int:
        with self._peek() as evm:
            return int(evm.storage(address, slot))

    def fund(self, address: str, balance: int) -> None:
        """Genesis allocation: write an account straight into the database."""
        self._write_account(address.lower(), AccountRecord(balance, 0))

    def loaded_accounts(self) -> list[str]:
        """Addresses in revm's journaled state (at rest: only the coinbase once used)."""
        return [address.lower() for address in self._evm.journal_state]

    # --- execution ---------------------------------------------------------------------

    def run(self, msg: Message, block: BlockContext, *, keep: bool) -> tuple[Outcome, StateDiff]:
        """Execute ``msg``; with ``keep`` also return the state it left (apply it with
        :meth:`apply`), else nothing of it remains (an ``eth_call``)."""
        if block != self._block:  # reads in one block share it: set it once
            self._evm.set_block_env(
                self._pyrevm.BlockEnv(
                    number=block.number,
                    coinbase=block.coinbase,
                    timestamp=block.timestamp,
                    prevrandao=block.prevrandao,
                    gas_limit=block.gas_limit,
                    excess_blob_gas=0,
                )
            )
            self._block = block
        checkpoint = self._evm.snapshot()
        try:
            outcome = self._execute(msg)
            diff = self._harvest() if keep else StateDiff()
        finally:
            self._evm.revert(checkpoint)
            self._evm.reset_transient_storage()
        return outcome, diff

    def _execute(self, msg: Message) -> Outcome:
        try:
            if msg.to is None:
                # gas price 0: creations are charged by the node, like calls
                created = self._evm.deploy(msg.caller, msg.data, value=msg.value, gas=msg.gas)
                output = b""
            else:
                created = None
                output = bytes(
                    self._evm.message_call(
                        msg.caller, msg.to, msg.data, msg.value, msg.gas, msg.gas_price
                    )
                )
        except RuntimeError as exc:
            return self._failure(exc)
        result = self._evm.result
        logs = tuple(_log_entry(log) for log in result.logs)
        return Outcome(True, int(result.gas_used), output, logs, created)

    def _failure(self, exc: RuntimeError) -> Outcome:
        result = self._evm.result
        if result is None:
            raise RevmEngineError(
                f"pyrevm refused a message the node had validated: {exc}. This is a bug in "
                "the revm node; the chain state is unchanged."
            ) from None
        if result.reason != "Revert":
            return Outcome(False, int(result.gas_used), halt=str(result.reason))
        # pyrevm hands out a revert's output only in the result's Debug form (the
        # exception); it is the execution result's own bytes, printed as hex.
        match = _REVERT_RE.fullmatch(str(exc))
        if match is None:
            raise RevmEngineError(f"pyrevm reverted without readable output: {exc}") from None
        return Outcome(False, int(result.gas_used), bytes.fromhex(match.group(1)))

    def _harvest(self) -> StateDiff:
        """Read out the accounts and written slots of the open checkpoint."""
        text = self._evm.journal_str
        journal = text[text.rfind(", journal: [") :]
        destroyed = {address.lower() for address in _DESTROYED_RE.findall(journal)}
        diff = StateDiff()
        for address, info in self._evm.journal_state.items():
            key = address.lower()
            if key in destroyed:
                diff.accounts[key] = AccountRecord(balance=0, nonce=0)
                continue
            code_hash = bytes(info.code_hash)
            code = None if code_hash in self._known_code else _original_code(info.code, code_hash)
            diff.accounts[key] = AccountRecord(int(info.balance), int(info.nonce), code_hash, code)
        for address, slot in set(_WRITE_RE.findall(journal)):
            if address.lower() not in destroyed:
                value = int(self._evm.storage(address, int(slot)))
                diff.storage[(address.lower(), int(slot))] = value
        return diff

    def apply(self, diff: StateDiff) -> StateDiff:
        """Write a transaction's state into the database (accounts first, then slots);
        return the diff that undoes it (apply that to go back)."""
        undo = StateDiff()
        for address, record in diff.accounts.items():
            undo.accounts[address] = self._accounts.get(address, AccountRecord(0, 0))
            self._write_account(address, record)
        for key, value in diff.storage.items():
            undo.storage[key] = self._storage.get(key, 0)
            self._write_slot(key, value)
        return undo

    def _write_account(self, address: str, record: AccountRecord) -> None:
        info = self._pyrevm.AccountInfo(
            balance=record.balance, nonce=record.nonce, code_hash=record.code_hash, code=record.code
        )
        self._evm.insert_account_info(address, info)
        if record.code is not None:
            self._known_code.add(record.code_hash)
        self._accounts[address] = replace(record, code=None)

    def _write_slot(self, key: tuple[str, int], value: int) -> None:
        # A cold insert writes the database, then loads the account: unload it again.
        with self._peek() as evm:
            evm.insert_account_storage(key[0], key[1], value)
        self._storage[key] = value


def _log_entry(log: Any) -> LogEntry:
    topics, data = log.data
    return LogEntry(str(log.address), tuple(bytes(t) for t in topics), bytes(data))


def _original_code(stored: bytes | None, code_hash: bytes) -> bytes:
    """The deployed bytes of new code: revm keeps them padded after analysis."""
    stored = bytes(stored or b"")
    for candidate in (stored[:-CODE_PADDING], stored):
        if keccak(candidate) == code_hash:
            return candidate
    raise RevmEngineError(
        f"Could not recover the code with hash 0x{code_hash.hex()} from revm's state."
    )
