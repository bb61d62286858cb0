"""Chains: revm in process (default), the embedded eth-tester chain, anvil, any JSON-RPC node.

Example:
    >>> from mlmarket.chain import connect
    >>> chain = connect()
    >>> chain.clock.advance(3600)
"""

from mlmarket.chain.accounts import DEV_MNEMONIC, NAMES, Accounts, NamedAccount, named_accounts
from mlmarket.chain.anvil import AnvilProcess, find_anvil
from mlmarket.chain.clock import Clock
from mlmarket.chain.connect import connect, default_backend, load, resume
from mlmarket.chain.core import TX_GAS_CAP, Chain, LogEntry, TxRecord
from mlmarket.chain.reverts import ContractPanicError, ErrorRegistry

__all__ = [
    "DEV_MNEMONIC",
    "NAMES",
    "TX_GAS_CAP",
    "Accounts",
    "AnvilProcess",
    "Chain",
    "Clock",
    "ContractPanicError",
    "ErrorRegistry",
    "LogEntry",
    "NamedAccount",
    "TxRecord",
    "connect",
    "default_backend",
    "find_anvil",
    "load",
    "named_accounts",
    "resume",
]
