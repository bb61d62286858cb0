"""``connect()``: the one entry point to every backend."""

from __future__ import annotations

import getpass
import importlib.util
import json
import os
import time
import warnings
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
from mlmarket.chain.journal import read_journal
from mlmarket.errors import ChainError, ConfigurationError, UnsafeKeyError

KEY_ENV = "MLMARKET_PRIVATE_KEY"
KEYSTORE_ENV = "MLMARKET_KEYSTORE"
KEYSTORE_PASSWORD_ENV = "MLMARKET_KEYSTORE_PASSWORD"
BACKENDS = ("revm", "eth-tester", "anvil")
BACKEND_ENV = "MLMARKET_BACKEND"
_said: set[str] = set()


def default_backend() -> str:
    """The local backend used when none is named: ``$MLMARKET_BACKEND`` if set, else
    ``"revm"`` when pyrevm is installed, else ``"eth-tester"`` (said once per process).

    Example:
        >>> default_backend() in ("revm", "eth-tester", "anvil")
        True
    """
    chosen = os.environ.get(BACKEND_ENV)
    if chosen:
        if chosen not in BACKENDS:
            raise ConfigurationError(
                f"${BACKEND_ENV}={chosen!r} is not a local backend: use one of "
                f"{', '.join(BACKENDS)}, or unset it."
            )
        return chosen
    if importlib.util.find_spec("pyrevm") is not None:
        return "revm"
    if "revm" not in _said:
        _said.add("revm")
        warnings.warn(
            "pyrevm is not installed, so the local chain runs on eth-tester (py-evm, about "
            "100x slower); pip install 'mlmarket[revm]' (CPython 3.11 or 3.12) for revm.",
            stacklevel=3,
        )
    return "eth-tester"


def connect(
    backend: str | None = None,
    *,
    private_key: str | bytes | None = None,
    keystore: str | Path | None = None,
    account_name: str = "deployer",
    genesis: int | None = None,
    genesis_nonce: str | None = None,
) -> Chain:
    """Connect to a chain.

    Args:
        backend: ``"revm"`` (in memory, in this process, on pyrevm; installed with
            ``pip install 'mlmarket[revm]'``), ``"eth-tester"`` (in this process too,
            on py-evm: ~100x slower, pure Python), ``"anvil"`` (start a local anvil on
            a free loopback port), or the URL of any Ethereum JSON-RPC node. ``None``
            takes :func:`default_backend` (revm when pyrevm is installed).
        private_key: for a URL, the signing key; else from ``$MLMARKET_PRIVATE_KEY``.
        keystore: for a URL, an encrypted JSON keystore instead of a raw key (password
            from ``$MLMARKET_KEYSTORE_PASSWORD`` or asked for); else ``$MLMARKET_KEYSTORE``.
        account_name: the name under which that signer appears in ``chain.accounts``.
        genesis: a local chain only: start at this Unix time with a **simulated clock**
            (it does not follow the wall clock: each block is a second after the last, and
            only ``chain.clock.advance`` moves it further), for runs that repeat exactly.
        genesis_nonce: revm and eth-tester: the genesis block's extra data (hex; random
            by default, so each run is a chain of its own in the vault).

    Local chains fund the same named accounts (``deployer``, ``alice``, ``bob``, ...).
    A URL to an anvil node gets them too, and time travel.

    Example:
        >>> chain = connect()
        >>> chain.kind, list(chain.accounts)[:3]
        ('revm', ['deployer', 'alice', 'bob'])
    """
    if backend is None:
        backend = default_backend()
    start = int(time.time()) if genesis is None else int(genesis)
    wall = None if genesis is None else (lambda: start)
    if backend == "eth-tester":
        accounts = named_accounts()
        addresses = [a.address for a in accounts.values()]
        return Chain(EthTesterBackend(addresses, start, genesis_nonce), accounts, wall_clock=wall)
    if backend == "revm":
        from mlmarket.chain.revm_backend import RevmBackend  # pyrevm is optional

        accounts = named_accounts()
        addresses = [a.address for a in accounts.values()]
        return Chain(RevmBackend(addresses, start, genesis_nonce), accounts, wall_clock=wall)
    if backend == "anvil":
        process = AnvilProcess.start(timestamp=start)
        return Chain(AnvilBackend(process.url, process, start), named_accounts(), wall_clock=wall)
    if genesis is not None or genesis_nonce is not None:
        raise ConfigurationError(
            f"genesis= and genesis_nonce= start a local chain; {backend!r} is not one."
        )
    if backend.startswith(("http://", "https://")):
        return _connect_url(backend, private_key, keystore, account_name)
    raise ConfigurationError(
        f"Unknown backend {backend!r}: use 'revm', 'eth-tester', 'anvil' or an http(s):// "
        "JSON-RPC URL."
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
    return _chain_from_state(path, state)


def _chain_from_state(path: Path | None, state: dict) -> Chain:
    """A chain rebuilt from ``chain.json``'s contents (or a session journal's, folded)."""
    accounts = named_accounts(state["accounts"])
    offset = int(state["time_offset"])
    backend_state = state["backend_state"]
    if state["backend"] == "eth-tester":
        return Chain(EthTesterBackend.load(path, backend_state), accounts, time_offset=offset)
    if state["backend"] == "revm":
        from mlmarket.chain.revm_backend import RevmBackend  # pyrevm is optional

        return Chain(RevmBackend.load(path, backend_state), accounts, time_offset=offset)
    if state["backend"] == "anvil":
        genesis = backend_state.get("genesis", {}).get("timestamp")
        process = AnvilProcess.start(accounts=len(accounts), timestamp=genesis)
        backend = AnvilBackend(process.url, process, genesis)
        try:
            if "journal" in backend_state:
                backend.replay_journal(backend_state["journal"])
            else:
                backend.load_state(path, backend_state)
        except BaseException:
            backend.close()
            raise
        return Chain(backend, accounts, time_offset=offset)
    raise ConfigurationError(f"Cannot load a saved {state['backend']!r} chain.")


def resume(folder: str | Path) -> Chain:
    """Bring back a local chain from its session journal (:meth:`Chain.start_journal`),
    where it stopped, even if the process that ran it died; it goes on journaling there.

    Example:
        >>> chain.start_journal("session")          # doctest: +SKIP
        >>> chain = resume("session")               # doctest: +SKIP
    """
    path = Path(folder)
    contents = read_journal(path)
    chain = _chain_from_state(None, contents.chain_state())
    try:
        chain.start_journal(path)
    except BaseException:
        chain.close()
        raise
    return chain
