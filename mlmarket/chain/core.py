"""The Chain: one handle on a backend, its named accounts, clock and errors.

Every transaction goes through :meth:`Chain.transact` (or :meth:`Chain.deploy`):
signed locally, sent with an explicit gas limit never above the per-transaction
cap, stamped with the session clock on local chains, and checked: a receipt with
status 0 is replayed as an ``eth_call`` (see ``Backend.replay``) to recover the
reason, which is raised as a named exception.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from eth_abi.exceptions import InsufficientDataBytes
from web3.contract import Contract
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import Web3Exception
from web3.logs import DISCARD
from web3.types import TxReceipt

from mlmarket.chain.accounts import Accounts, NamedAccount
from mlmarket.chain.backends import STATE_FILE, Backend, DryRunHalted, SimulatedRevert
from mlmarket.chain.clock import Clock
from mlmarket.chain.journal import SessionJournal
from mlmarket.chain.plans import (
    FAST_CALL_BACKENDS,
    NAMED_BLOCKS,
    SLOW,
    CallPlan,
    EventPlan,
    KeptById,
    checksummed,
)
from mlmarket.chain.reverts import ErrorRegistry, revert_data_of
from mlmarket.errors import (
    BackendNotSupportedError,
    ChainError,
    ConfigurationError,
    GasLimitError,
    TransactionFailedError,
)

TX_GAS_CAP = 16_777_216
"""Ethereum's per-transaction gas cap (EIP-7825); eth-tester does not enforce it, we do."""

PRIORITY_FEE = 10**9  # 1 gwei tip
GAS_ESTIMATE_MARGIN = 1.25  # public networks only: estimate × margin, capped


class LogEntry(NamedTuple):
    """One event a transaction emitted: the contract, its topics and its data, raw."""

    address: str
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True)
class TxRecord:
    """One transaction this session sent, as shown in event logs and gas tables; ``logs``
    holds the events it emitted, raw (decode them with the contract's ABI)."""

    tx_hash: str
    sender: str
    to: str | None
    action: str
    block: int
    timestamp: int
    gas_used: int
    gas_price: int
    status: int
    logs: tuple[LogEntry, ...] = field(default=(), repr=False)


TxCall = ContractFunction | ContractConstructor


class Chain:
    """A connected chain: use :func:`mlmarket.chain.connect` to make one.

    Example:
        >>> chain = connect()                       # embedded eth-tester chain
        >>> chain.balance("alice") > 0
        True
        >>> chain.clock.advance(3600)               # one hour later
    """

    def __init__(
        self,
        backend: Backend,
        accounts: Accounts,
        *,
        time_offset: int = 0,
        wall_clock: Callable[[], int] | None = None,
    ) -> None:
        self.backend = backend
        self.w3 = backend.w3
        self.accounts = accounts
        self.errors = ErrorRegistry()
        # wall_clock: a simulated clock's fixed start (see Clock); None follows the wall clock.
        self.clock = Clock(self, offset=time_offset, wall=wall_clock)
        self.chain_id = int(self.w3.eth.chain_id)
        # Plain web3 calls (contract.functions.f().call()) need a sender that can pay
        # for the call's gas on eth-tester: the first named account, as on a wallet.
        first = next(iter(accounts.values()), None)
        if first is not None and not self.w3.eth.default_account:
            self.w3.eth.default_account = first.address
        self.history: list[TxRecord] = []
        self._listeners: list[Callable[[TxRecord], None]] = []
        self._snapshots: dict[int, tuple[Any, int, int]] = {}
        # Next nonce per sender on a local chain, where only this session sends (with a
        # fallback to the node on "nonce too low"); remote chains always ask the node.
        self._nonces: dict[str, int] = {}
        self.journal: SessionJournal | None = None
        # Call and event plans, by the identity of the ABIs they come from; web3
        # contracts by address and ABI.
        self._call_plans, self._named_plans, self._event_plans = KeptById(), KeptById(), KeptById()
        self._contracts = KeptById()

    # --- descriptive -------------------------------------------------------------

    @property
    def kind(self) -> str:
        """``"eth-tester"``, ``"revm"``, ``"anvil"`` or ``"rpc"``."""
        return self.backend.kind

    @property
    def is_local(self) -> bool:
        return self.backend.is_local

    @property
    def in_process(self) -> bool:
        """True when the chain runs inside this process (eth-tester, revm): never use it
        from another thread."""
        return self.backend.in_process

    def __repr__(self) -> str:
        return f"<Chain {self.kind} chain_id={self.chain_id} block={self.block_number}>"

    @property
    def identity(self) -> str:
        """``<chain id>-<genesis hash prefix>``: tells apart two runs of a local chain."""
        genesis = bytes(self.w3.eth.get_block(0)["hash"]).hex()
        return f"{self.chain_id}-{genesis[:16]}"

    @property
    def block_number(self) -> int:
        return int(self.w3.eth.block_number)

    def balance(self, who: NamedAccount | str) -> int:
        """ETH balance in wei of an account (by name, account or address)."""
        return int(self.w3.eth.get_balance(self.address(who)))

    def address(self, who: NamedAccount | str) -> str:
        """The checksum address of a name, a NamedAccount, or any address."""
        if isinstance(who, str) and who.startswith("0x"):
            return checksummed(who)
        return self.accounts.resolve(who).address

    def describe(self, address: str) -> str:
        """An account's name if it is one of ours, else the address itself."""
        return self.accounts.name_of(address) or str(address)

    def on_transaction(self, callback: Callable[[TxRecord], None]) -> Callable[[], None]:
        """Call ``callback`` after every transaction this session sends; returns an unsubscribe."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    # --- contracts ------------------------------------------------------------------

    def contract(self, address: str, abi: list[dict[str, Any]]) -> type[Contract] | Contract:
        """The web3 contract at ``address`` with ``abi`` (its errors registered, so its
        reverts are named). Building one takes web3 milliseconds, so the same address and
        ABI object give back the same contract."""
        checksum = checksummed(address)

        def build() -> Any:
            self.errors.register_abi(abi)
            return self.w3.eth.contract(address=checksum, abi=abi)

        return self._contracts.get((abi,), build, (checksum,))

    def deploy(
        self,
        abi: list[dict[str, Any]],
        bytecode: str,
        *args: Any,
        sender: NamedAccount | str,
        gas: int | None = None,
    ) -> tuple[Contract, TxReceipt]:
        """Deploy a contract; return it bound to its address, and the receipt.

        ``bytecode`` must be linked: code that calls an external library holds
        placeholders until :meth:`~mlmarket.contracts.Artifact.linked_bytecode` puts the
        library's address in (a :class:`ConfigurationError` says so here).
        """
        if "__$" in bytecode:
            raise ConfigurationError(
                "The bytecode calls an external library whose address is not linked in yet: "
                "deploy the library first, then deploy "
                "load_artifact(name).linked_bytecode({library: address})."
            )
        self.errors.register_abi(abi)
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        receipt = self.transact(factory.constructor(*args), sender=sender, gas=gas)
        address = receipt["contractAddress"]
        if address is None:
            raise ChainError("The deployment transaction created no contract.")
        return self.w3.eth.contract(address=address, abi=abi), receipt

    def call(self, fn: ContractFunction, *, sender: NamedAccount | str | None = None) -> Any:
        """Read-only call; a revert raises its named exception.

        Returns exactly what ``fn.call({"from": sender})`` returns, mostly without web3's
        contract layer (see :meth:`_fast_call`); reverts and anything unusual go through
        web3, so their exceptions are the ones it raises.
        """
        # Calls need a funded sender on eth-tester (it charges gas even for calls).
        caller = sender if sender is not None else next(iter(self.accounts.values()))
        params = {"from": self.address(caller)}
        result = self._fast_call(fn, params["from"])
        if result is not SLOW:
            return result
        try:
            return fn.call(params)
        except Exception as exc:  # noqa: BLE001 - backends raise unrelated types for a revert
            raise self._as_revert(exc) from None

    def _fast_call(self, fn: ContractFunction, sender: str) -> Any:
        """``fn.call({"from": sender})`` as web3 would answer it, or ``SLOW``.

        The same request web3 sends (``eth_call`` of ``{from, to, data}`` at
        ``w3.eth.default_block``) goes straight to the provider: the in-process revm
        node, eth-tester's provider (which raises on a revert) or anvil's HTTP provider;
        other nodes (``"rpc"``) keep web3's whole path. The answer is decoded with the web3
        instance's codec and normalised as web3 normalises it. ``SLOW`` (web3's path) for
        keyword arguments, arguments web3 would convert (hex strings, ENS names, lowercase
        addresses), ``decode_tuples`` contracts, batching, an error answer (a revert), or
        anything raising on the way.
        """
        if self.backend.kind not in FAST_CALL_BACKENDS or not isinstance(fn, ContractFunction):
            return SLOW
        if type(fn).call is not ContractFunction.call:  # a subclass's own call is its own
            return SLOW
        if fn.kwargs or fn.decode_tuples or fn._return_data_normalizers or not fn.address:
            return SLOW
        plan = self._call_plan(fn)
        args = fn.args or ()
        block = self._fast_block()
        if plan is None or block is None or not plan.accepts(args):
            return SLOW
        return self._eth_call(plan, fn.address, args, sender, block)

    def _fast_provider(self) -> bool:
        """Whether the fast paths may ask this provider directly: a backend whose answers
        they reproduce, and no batch collecting requests (web3's job)."""
        return self.backend.kind in FAST_CALL_BACKENDS and not getattr(
            self.w3.provider, "_is_batching", True
        )

    def _fast_block(self) -> str | None:
        """The block a fast call asks at (``w3.eth.default_block``), or None where web3's
        path must answer (a provider the fast paths leave alone, a numbered block)."""
        block = self.w3.eth.default_block
        if not (isinstance(block, str) and block in NAMED_BLOCKS) or not self._fast_provider():
            return None
        return block

    def _eth_call(
        self, plan: CallPlan, to: str, args: Sequence[Any], sender: str, block: str
    ) -> Any:
        """``plan``'s function of ``to`` with ``args``, asked of the provider directly and
        decoded as web3 decodes it; ``SLOW`` on an error answer or anything raising."""
        try:
            data = plan.calldata(self.w3.codec, tuple(args))
            if self.backend.direct_calls:  # the in-process node, without JSON-RPC
                output = self.backend.call_bytes(sender, to, data, block)
                if output is None:
                    return SLOW
            else:
                request = {"from": sender, "to": to, "data": "0x" + data.hex()}
                response = self.w3.provider.make_request("eth_call", [request, block])  # type: ignore[arg-type]
                answer = response.get("result") if "error" not in response else None
                if not isinstance(answer, str) or not answer.startswith("0x"):
                    return SLOW
                output = bytes.fromhex(answer[2:])
            return plan.value(self.w3.codec, output)
        except Exception:  # noqa: BLE001 - web3's path raises what it raises
            return SLOW

    def read(self, contract: Any, name: str, *args: Any) -> Any:
        """View ``name`` of ``contract`` with positional ``args``: what
        ``call(contract.functions[name](*args))`` returns, without building web3's function
        object (milliseconds each) when the fast path applies — for code that reads
        hundreds of views, such as the mechanism lab's token checks.
        """
        abi = contract.abi
        plan = self._named_plans.get((abi,), lambda: _named_plan(abi, name), (name,))
        block = self._fast_block()
        if plan is not None and block is not None and plan.accepts(args):
            sender = next(iter(self.accounts.values())).address
            result = self._eth_call(plan, contract.address, args, sender, block)
            if result is not SLOW:
                return result
        return self.call(contract.functions[name](*args))

    def logs(self, event: Any, from_block: int = 0) -> list[Any]:
        """What ``event.get_logs(from_block=from_block)`` returns (``event``: a contract's
        ``contract.events.Name``), decoded without web3's contract layer where the fast path
        applies (milliseconds less per call: the market reads its state from events)."""
        abi = getattr(event, "abi", None)
        address = getattr(event, "address", None)
        plan = self._event_plans.get((abi,), lambda: _plan_or_none(EventPlan.of, abi))
        if (
            plan is not None and address and isinstance(from_block, int) and from_block >= 0
            and self._fast_provider()
        ):  # fmt: skip
            topic = "0x" + plan.topic.hex()
            try:
                found: Any
                if self.backend.kind == "eth-tester":  # its provider takes web3's formatting
                    found = self.w3.eth.get_logs(
                        {"address": address, "topics": [topic], "fromBlock": from_block}
                    )
                else:  # a JSON-RPC node (in this process, or anvil's HTTP)
                    query = {"address": address, "topics": [topic], "fromBlock": hex(from_block),
                             "toBlock": "latest"}  # fmt: skip
                    response = self.w3.provider.make_request("eth_getLogs", [query])  # type: ignore[arg-type]
                    found = response.get("result") if "error" not in response else None
                if isinstance(found, list):
                    events = [plan.decode(self.w3.codec, log) for log in found]
                    return sorted(events, key=lambda e: (e["blockNumber"], e["logIndex"]))
            except Exception:  # noqa: BLE001 - web3's path raises what it raises
                pass
        return list(event.get_logs(from_block=from_block))

    def receipt_events(self, event: Any, receipt: Any) -> list[Any]:
        """What ``event().process_receipt(receipt, errors=DISCARD)`` returns (``event``: a
        contract's ``contract.events.Name``): the receipt's logs that decode as ``event``,
        from any address, decoded by the event's plan (web3's path where it has none)."""
        abi = getattr(event, "abi", None)
        plan = self._event_plans.get((abi,), lambda: _plan_or_none(EventPlan.of, abi))
        if plan is None:
            return list(event().process_receipt(receipt, errors=DISCARD))
        found = []
        for log in receipt["logs"]:
            topics = log["topics"]
            if not topics or bytes(topics[0]) != plan.topic:
                continue  # web3: MismatchedABI, discarded
            if len(topics) != 1 + len(plan.topic_inputs):
                continue  # web3: LogTopicError, discarded
            try:
                found.append(plan.decode(self.w3.codec, log))
            except (InsufficientDataBytes, TypeError):  # discarded by web3 too
                continue
        return found

    def _call_plan(self, fn: ContractFunction) -> CallPlan | None:
        abi, contract_abi = fn.abi, fn.contract_abi
        return self._call_plans.get(  # type: ignore[no-any-return]
            (abi, contract_abi), lambda: _plan_or_none(CallPlan.of, abi, contract_abi)
        )

    # --- transactions -------------------------------------------------------------

    def transact(
        self,
        fn: TxCall,
        *,
        sender: NamedAccount | str,
        value: int = 0,
        gas: int | None = None,
        simulate: bool = True,
    ) -> TxReceipt:
        """Sign and send a contract call (or constructor) and wait for its receipt.

        Raises the contract's named error if it reverts, :class:`GasLimitError` if
        ``gas`` exceeds the per-transaction cap. A refused call is never mined: on a
        local chain the transaction first runs as a call in the pending block, stamped
        with the time the next block will have, and a revert raises before anything
        is sent (other nodes refuse it while estimating its gas). On eth-tester, where
        executing is the cost, the transaction runs once instead: a failure is reverted
        to the state before it, with no block mined, and raised. On revm it runs once
        too: the in-process node mines it only if it succeeds. ``simulate=False``
        skips that run where the caller has checked the preconditions itself (the
        evaluation batches); a failure is then mined and raised as before.
        """
        account = self.accounts.resolve(sender)
        latest_time, base_fee = self.backend.latest_block()
        tx = self._build(fn, account, value, gas, base_fee)
        action = "deploy" if isinstance(fn, ContractConstructor) else fn.fn_name
        return self._sign_and_send(tx, account, action, latest_time, simulate)

    def send(
        self,
        contract: Any,
        name: str,
        *args: Any,
        sender: NamedAccount | str,
        value: int = 0,
        gas: int | None = None,
        simulate: bool = True,
    ) -> TxReceipt:
        """Function ``name`` of ``contract`` with positional ``args``, sent as
        :meth:`transact` sends ``contract.functions[name](*args)`` — the same transaction,
        receipt and errors — without building web3's function object on a local chain,
        where the function's call plan encodes the arguments (a quarter of a millisecond
        less per transaction)."""
        data = None
        if value == 0 and self.is_local:  # a remote chain estimates gas with web3's object
            abi = contract.abi
            plan = self._named_plans.get((abi,), lambda: _named_plan(abi, name), (name,))
            data = self._calldata(plan, args)
        if data is None:
            fn = contract.functions[name](*args)
            return self.transact(fn, sender=sender, value=value, gas=gas, simulate=simulate)
        account = self.accounts.resolve(sender)
        latest_time, base_fee = self.backend.latest_block()
        tx = {**self._params(None, account, value, gas, base_fee), "to": contract.address,
              "data": data}  # fmt: skip
        return self._sign_and_send(tx, account, name, latest_time, simulate)

    def _sign_and_send(
        self, tx: dict, account: NamedAccount, action: str, latest_time: int, simulate: bool
    ) -> TxReceipt:
        timestamp = self.clock.next_block_timestamp(latest_time) if self.is_local else None
        undo = None
        refuse = False  # mined only if it succeeds: the node's one run is the dry run
        if timestamp is not None and simulate:
            if self.backend.refuses_failures:
                refuse = True
            elif self.backend.rolls_back_failures:  # execute once; a failure is taken back
                undo = self.backend.snapshot()
            else:
                self._simulate(tx, timestamp)
        try:
            tx_hash, raw = self._send_fresh(account, tx, timestamp, refuse)
        except (SimulatedRevert, DryRunHalted) as exc:  # only if it succeeds: not mined
            raise self._refusal(exc) from None
        if self.in_process:  # mined before send_raw returned
            receipt = self.backend.receipt(tx_hash)
        else:
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
        if undo is not None and receipt["status"] != 1:
            self.backend.revert(undo)  # as if never sent: no block, no fee, no nonce
            self._nonces.pop(account.address, None)
            self._simulate(tx, timestamp)  # the same call at the same time names the error
            raise TransactionFailedError("The transaction failed; it was taken back unmined.")
        record = self._record(receipt, tx, account, action, timestamp)
        if self.journal is not None:  # mined, failed or not: it is part of the chain
            self.journal.block(record.block, record.timestamp, raw, self.clock.offset)
        if receipt["status"] != 1:
            raise self._failure(tx, receipt)
        for listener in list(self._listeners):
            listener(record)
        return receipt

    def _send_fresh(
        self, account: NamedAccount, tx: dict, timestamp: int | None, refuse: bool
    ) -> tuple[bytes, bytes]:
        """:meth:`_send`, once more with the node's nonce if the cached one was stale."""
        try:
            return self._send(account, tx, timestamp, refuse)
        except (SimulatedRevert, DryRunHalted):
            raise
        except Exception as exc:  # noqa: BLE001 - a stale cached nonce: ask the node once
            if self._nonces.pop(account.address, None) is None or "nonce" not in str(exc).lower():
                raise
            tx["nonce"] = self._nonce(account.address)
            return self._send(account, tx, timestamp, refuse)

    def _send(
        self, account: NamedAccount, tx: dict, timestamp: int | None, refuse: bool = False
    ) -> tuple[bytes, bytes]:
        signed = account.sign_transaction(tx)
        raw = bytes(signed.raw_transaction)
        self.backend.signed_by(bytes(signed.hash), account.address)
        tx_hash = self.backend.send_raw(raw, timestamp, only_if_succeeds=refuse)
        if self.is_local:  # mined (or failed) in its own block: the nonce is used
            self._nonces[account.address] = int(tx["nonce"]) + 1
        return tx_hash, raw

    def mine(self, timestamp: int) -> None:
        """Mine an empty block at ``timestamp`` (the clock's time travel calls this)."""
        self.backend.mine(timestamp)
        if self.journal is not None:
            self.journal.block(self.block_number, timestamp, None, self.clock.offset)

    def _nonce(self, address: str) -> int:
        cached = self._nonces.get(address)
        if cached is not None:
            return cached
        return self.backend.nonce(address)

    def _build(
        self, fn: TxCall, account: NamedAccount, value: int, gas: int | None, base_fee: int
    ) -> dict:
        params = self._params(fn, account, value, gas, base_fee)
        data = self._transaction_data(fn) if value == 0 else None
        if data is not None:  # what build_transaction returns, without its ABI search
            return {**params, "to": fn.address, "data": data}
        return dict(fn.build_transaction(params))

    def _params(
        self, fn: TxCall | None, account: NamedAccount, value: int, gas: int | None,
        base_fee: int,
    ) -> dict[str, Any]:  # fmt: skip
        """A transaction's fields but ``to`` and ``data`` (``fn``: for a remote chain's gas
        estimate; None on a local chain, which never estimates)."""
        params: dict[str, Any] = {
            "from": account.address,
            "value": value,
            "nonce": self._nonce(account.address),
            "chainId": self.chain_id,
            "maxPriorityFeePerGas": PRIORITY_FEE,
            "maxFeePerGas": 2 * base_fee + PRIORITY_FEE,
            "type": 2,
        }
        params["gas"] = self._gas_limit(fn, params, gas)
        return params

    def _transaction_data(self, fn: TxCall) -> str | None:
        """The calldata of ``fn`` from its call plan (selector + arguments, encoded by the
        web3 instance's codec), or None where web3 must build it (a constructor, keyword
        arguments, arguments it would convert, an overload)."""
        if not isinstance(fn, ContractFunction) or fn.kwargs or not fn.address:
            return None
        if type(fn).build_transaction is not ContractFunction.build_transaction:
            return None
        return self._calldata(self._call_plan(fn), fn.args or ())

    def _calldata(self, plan: CallPlan | None, args: tuple[Any, ...]) -> str | None:
        """Selector and ``args`` encoded by the web3 instance's codec, as hex; None where
        web3 must encode them (no plan, arguments it would convert or refuse)."""
        if plan is None or not plan.accepts(args):
            return None
        try:
            return "0x" + (plan.selector + self.w3.codec.encode(plan.input_types, args)).hex()
        except Exception:  # noqa: BLE001 - web3 names what is wrong with the arguments
            return None

    def _gas_limit(self, fn: TxCall | None, params: dict[str, Any], gas: int | None) -> int:
        if gas is not None:
            if not 21_000 <= gas <= TX_GAS_CAP:
                raise GasLimitError(
                    f"gas={gas:,} is outside 21,000..{TX_GAS_CAP:,} (the per-transaction cap)."
                )
            return gas
        if self.is_local:
            # Unused gas is refunded, so the cap costs nothing here, while an estimate
            # re-executes the call (~7x its cost on py-evm).
            return TX_GAS_CAP
        assert fn is not None, "only a local chain sends without web3's function object"
        try:
            estimate = int(fn.estimate_gas({k: v for k, v in params.items() if k != "type"}))
        except Exception as exc:  # noqa: BLE001 - a revert during estimation names the reason
            raise self._as_revert(exc) from None
        if estimate > TX_GAS_CAP:
            raise GasLimitError(
                f"This call needs about {estimate:,} gas, above the per-transaction cap of "
                f"{TX_GAS_CAP:,}; split the work into smaller transactions."
            )
        return min(TX_GAS_CAP, int(estimate * GAS_ESTIMATE_MARGIN))

    def _record(
        self, receipt: TxReceipt, tx: dict, account: NamedAccount, action: str, stamp: int | None
    ) -> TxRecord:
        # A local chain stamped the block itself; elsewhere the block says when it was mined.
        when = (
            stamp
            if stamp is not None
            else self.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
        )
        record = TxRecord(
            tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
            sender=account.address,
            to=tx.get("to") or None,
            action=action,
            block=int(receipt["blockNumber"]),
            timestamp=int(when),
            gas_used=int(receipt["gasUsed"]),
            gas_price=int(receipt.get("effectiveGasPrice", 0) or 0),
            status=int(receipt["status"]),
            logs=tuple(
                LogEntry(
                    str(log["address"]), tuple(bytes(t) for t in log["topics"]), bytes(log["data"])
                )
                for log in receipt["logs"]
            ),  # fmt: skip
        )
        self.history.append(record)
        return record

    def _simulate(self, tx: dict, timestamp: int) -> None:
        """Run ``tx`` as a call in the next block (at ``timestamp``); raise why it fails."""
        call = {k: tx[k] for k in ("from", "to", "data", "value", "gas") if k in tx}
        try:
            self.backend.simulate(call, timestamp)
        except Exception as exc:  # noqa: BLE001 - backends raise unrelated types for a revert
            raise self._refusal(exc) from None

    def _refusal(self, exc: Exception) -> Exception:
        """What a failed dry run raises: the contract's named error, or why it failed."""
        if revert_data_of(exc) is None:  # out of gas, or an invalid opcode
            return TransactionFailedError(
                "The transaction would fail without a revert reason (it ran out of gas "
                "or hit an invalid instruction), so it was not sent; raise the gas limit "
                "or split the work."
            )
        return self._as_revert(exc)

    def _failure(self, tx: dict, receipt: TxReceipt) -> Exception:
        """Recover why a mined transaction failed by replaying it as a call."""
        if receipt["gasUsed"] >= tx["gas"]:
            # A revert returns unused gas; only exhaustion (or INVALID) burns all of it.
            return TransactionFailedError(
                f"The transaction ran out of gas (used all {tx['gas']:,}); "
                "raise the gas limit or split the work."
            )
        replay = {k: tx[k] for k in ("from", "to", "data", "value", "gas") if k in tx}
        block = self.w3.eth.get_block(receipt["blockNumber"])
        try:
            self.backend.replay(replay, int(receipt["blockNumber"]), int(block["timestamp"]))
        except Exception as exc:  # noqa: BLE001 - the replay's revert is what we want
            return self._as_revert(exc)
        return TransactionFailedError("The transaction failed, and replaying it did not revert.")

    def _as_revert(self, exc: BaseException) -> Exception:
        data = revert_data_of(exc)
        if data is None:
            if isinstance(exc, Web3Exception | ChainError):
                return ChainError(f"The node rejected the request: {exc}")
            raise exc
        return self.errors.decode(data, self.accounts.name_of)

    # --- snapshots and persistence -----------------------------------------------------

    def snapshot(self) -> int:
        """Remember the chain state (and clock); return an id for :meth:`revert`."""
        snap_id = len(self._snapshots) + 1
        self._snapshots[snap_id] = (self.backend.snapshot(), self.clock.offset, len(self.history))
        return snap_id

    def revert(self, snap_id: int) -> None:
        """Go back to a snapshot; the same id can be reverted to again."""
        if snap_id not in self._snapshots:
            raise ChainError(f"No snapshot {snap_id}; take one with chain.snapshot().")
        backend_id, offset, history_length = self._snapshots[snap_id]
        new_id = self.backend.revert(backend_id)
        self._nonces.clear()  # the accounts' nonces went back too
        self._snapshots[snap_id] = (new_id, offset, history_length)
        self.clock.offset = offset
        del self.history[history_length:]
        if self.journal is not None:
            self.journal.keep(self.block_number, offset)

    @contextmanager
    def rollback(self) -> Iterator[None]:
        """Run a block of code, then revert whatever it did to the chain."""
        snap_id = self.snapshot()
        try:
            yield
        finally:
            self.revert(snap_id)

    def save(self, folder: str | Path) -> Path:
        """Save a local chain's state to ``folder`` (created if needed); see :func:`load`."""
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        state = {
            "format": "mlmarket.chain/1",
            "backend": self.kind,
            "accounts": len(self.accounts),
            "time_offset": self.clock.offset,
            "saved_at": int(time.time()),
            "backend_state": self.backend.save(path),
        }
        tmp = path / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(path / STATE_FILE)
        return path

    def start_journal(self, folder: str | Path) -> SessionJournal:
        """Append every block this session mines to ``folder/journal.jsonl`` from now on.

        The file starts with the blocks mined so far; each later block is written and
        fsynced as it is mined, so :func:`resume` brings the session back after a crash.
        Local chains only; an anvil node journals from a fresh start only (a state
        loaded from a dump has no transactions to replay).
        """
        if not self.is_local:
            raise BackendNotSupportedError(
                f"A {self.kind} network keeps its own history; only local chains are journaled."
            )
        state = self.backend.session_state()
        header = {"backend": self.kind, "genesis": state["genesis"], "accounts": len(self.accounts)}
        if self.journal is not None:
            self.journal.close()
        self.journal = SessionJournal(Path(folder), header, state["journal"], self.clock.offset)
        return self.journal

    def close(self) -> None:
        """Release the backend (stops a managed anvil) and the session journal."""
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        self.backend.close()

    def __enter__(self) -> Chain:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _plan_or_none(make: Callable[..., Any], *abis: Any) -> Any:
    """``make(*abis)``, or None for an ABI it cannot read (web3's path judges it)."""
    try:
        return make(*abis)
    except Exception:  # noqa: BLE001 - an ABI this cannot read is web3's to judge
        return None


def _named_plan(contract_abi: Any, name: str) -> CallPlan | None:
    """The plan of the one function ``name`` of ``contract_abi`` (None: overloaded, absent)."""
    matches = [e for e in contract_abi if e.get("type") == "function" and e.get("name") == name]
    return _plan_or_none(CallPlan.of, matches[0], contract_abi) if len(matches) == 1 else None
