"""``connect()``: the one entry point to every backend."""

from __future__ import annotations

import getpass
import json
import os
import time
from pathlib import Path

from eth_account import Account

from mlmarket.chain.accounts import Accounts, NamedAccount, is_development_key, named_accounts
from mlmarket.chain.anvil import AnvilProcess
from mlmarket.chain.backends import (
    LOCAL_CHAIN_IDS,
    STATE_FILE,
    AnvilBackend,
    EthTesterBackend,
    RpcBackend,
    is_anvil,
)
from mlmarket.chain.core import Chain
from mlmarket.errors import ChainError, ConfigurationError, UnsafeKeyError

KEY_ENV = "MLMARKET_PRIVATE_KEY"
KEYSTORE_ENV = "MLMARKET_KEYSTORE"
KEYSTORE_PASSWORD_ENV = "MLMARKET_KEYSTORE_PASSWORD"
BACKENDS = ("eth-tester", "revm", "anvil")


def connect(
    backend: str = "eth-tester",
    *,
    private_key: str | bytes | None = None,
    keystore: str | Path | None = None,
    account_name: str = "deployer",
) -> Chain:
    """Connect to a chain.

    Args:
        backend: ``"eth-tester"`` (default: in memory, in this process),
            ``"revm"`` (in this process too, on pyrevm: ~100x faster; needs
            ``pip install 'mlmarket[revm]'``), ``"anvil"`` (start a local anvil on a
            free loopback port), or the URL of any Ethereum JSON-RPC node.
        private_key: for a URL, the signing key; else from ``$MLMARKET_PRIVATE_KEY``.
        keystore: for a URL, an encrypted JSON keystore instead of a raw key (password
            from ``$MLMARKET_KEYSTORE_PASSWORD`` or asked for); else ``$MLMARKET_KEYSTORE``.
        account_name: the name under which that signer appears in ``chain.accounts``.

    Local chains fund the same named accounts (``deployer``, ``alice``, ``bob``, ...).
    A URL to an anvil node gets them too, and time travel.

    Example:
        >>> chain = connect()
        >>> chain.kind, list(chain.accounts)[:3]
        ('eth-tester', ['deployer', 'alice', 'bob'])
    """
    if backend == "eth-tester":
        accounts = named_accounts()
        return Chain(
            EthTesterBackend([a.address for a in accounts.values()], int(time.time())), accounts
        )
    if backend == "revm":
        from mlmarket.chain.revm_backend import RevmBackend  # pyrevm is optional

        accounts = named_accounts()
        return Chain(
            RevmBackend([a.address for a in accounts.values()], int(time.time())), accounts
        )
    if backend == "anvil":
        process = AnvilProcess.start()
        return Chain(AnvilBackend(process.url, process), named_accounts())
    if backend.startswith(("http://", "https://")):
        return _connect_url(backend, private_key, keystore, account_name)
    raise ConfigurationError(
        f"Unknown backend {backend!r}: use 'eth-tester', 'anvil' or an http(s):// JSON-RPC URL "
        "(or 'revm', the fast in-process engine)."
    )


def _connect_url(
    url: str, private_key: str | bytes | None, keystore: str | Path | None, name: str
) -> Chain:
    probe = RpcBackend(url)
    try:
        chain_id = int(probe.w3.eth.chain_id)
    except Exception as exc:  # noqa: BLE001 - any transport failure means unreachable
        raise ChainError(f"No Ethereum node answered at {url}: {exc}") from None
    if chain_id in LOCAL_CHAIN_IDS and is_anvil(probe.w3):
        return Chain(AnvilBackend(url), named_accounts())
    key = _signing_key(private_key, keystore)
    if key is None:
        raise ConfigurationError(
            f"Connecting to {url} needs a signing key: pass private_key= or keystore=, or set "
            f"${KEY_ENV} or ${KEYSTORE_ENV}."
        )
    if chain_id not in LOCAL_CHAIN_IDS and is_development_key(key):
        raise UnsafeKeyError(
            f"Refusing a well-known development key on chain id {chain_id}: anyone can spend "
            "from it. Use a key of your own."
        )
    return Chain(probe, Accounts([NamedAccount(name, Account.from_key(key))]))


def _signing_key(private_key: str | bytes | None, keystore: str | Path | None) -> bytes | None:
    if private_key is None and keystore is None:
        private_key = os.environ.get(KEY_ENV) or None
        keystore = os.environ.get(KEYSTORE_ENV) or None
    if private_key is not None:
        try:
            return bytes(Account.from_key(private_key).key)
        except (ValueError, TypeError):
            # Never echo the value: it may be a real key with a typo.
            raise ConfigurationError("The private key is not a valid 32-byte hex key.") from None
    if keystore is not None:
        path = Path(keystore)
        if not path.is_file():
            raise ConfigurationError(f"Keystore file {path} does not exist.")
        password = os.environ.get(KEYSTORE_PASSWORD_ENV)
        if password is None:
            password = getpass.getpass(f"Password for keystore {path.name}: ")
        try:
            return bytes(Account.decrypt(json.loads(path.read_text()), password))
        except ValueError:
            raise ConfigurationError(
                f"Could not decrypt keystore {path}: wrong password?"
            ) from None
    return None


def load(folder: str | Path) -> Chain:
    """Bring back a local chain saved with :meth:`Chain.save`.

    Example:
        >>> chain.save("session")                 # doctest: +SKIP
        >>> chain = load("session")               # doctest: +SKIP
    """
    path = Path(folder)
    state_file = path / STATE_FILE
    if not state_file.is_file():
        raise ConfigurationError(f"{path} holds no saved chain ({STATE_FILE} is missing).")
    state = json.loads(state_file.read_text())
    if state.get("format") != "mlmarket.chain/1":
        raise ConfigurationError(f"{state_file} is not a saved mlmarket chain.")
    accounts = named_accounts(state["accounts"])
    offset = int(state["time_offset"])
    if state["backend"] == "eth-tester":
        backend = EthTesterBackend.load(path, state["backend_state"])
        return Chain(backend, accounts, time_offset=offset)
    if state["backend"] == "revm":
        from mlmarket.chain.revm_backend import RevmBackend  # pyrevm is optional

        return Chain(RevmBackend.load(path, state["backend_state"]), accounts, time_offset=offset)
    if state["backend"] == "anvil":
        process = AnvilProcess.start(accounts=len(accounts))
        backend = AnvilBackend(process.url, process)
        try:
            backend.load_state(path, state["backend_state"])
        except BaseException:
            backend.close()
            raise
        return Chain(backend, accounts, time_offset=offset)
    raise ConfigurationError(f"Cannot load a saved {state['backend']!r} chain.")
