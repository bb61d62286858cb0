"""connect(): named accounts everywhere, RPC URLs with keys, refusal of development keys."""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from mlmarket.chain import AnvilProcess, connect, named_accounts
from mlmarket.chain.accounts import derive_key, is_development_key
from mlmarket.errors import ChainError, ConfigurationError, UnsafeKeyError

# Anvil's documented first accounts for the standard development mnemonic.
ANVIL_ACCOUNT_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
ANVIL_ACCOUNT_1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
SEPOLIA = 11155111


@pytest.fixture
def public_node(require_anvil: None) -> Iterator[AnvilProcess]:
    """An anvil pretending to be a public network (Sepolia's chain id)."""
    node = AnvilProcess.start(chain_id=SEPOLIA)
    yield node
    node.stop()


def fund(node: AnvilProcess, address: str) -> None:
    import httpx

    payload = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "anvil_setBalance",
        "params": [address, hex(10**20)],
    }
    httpx.post(node.url, json=payload, timeout=5).raise_for_status()


def test_namedAccounts_areAnvilsWellKnownAccounts() -> None:
    accounts = named_accounts()
    assert accounts["deployer"].address == ANVIL_ACCOUNT_0
    assert accounts["alice"].address == ANVIL_ACCOUNT_1
    assert accounts.name_of(ANVIL_ACCOUNT_1.lower()) == "alice"


def test_sameNamesAreFundedOnEveryLocalBackend(require_anvil: None) -> None:
    with connect() as tester, connect("anvil") as anvil:
        for name in named_accounts():
            assert tester.address(name) == anvil.address(name)
            assert tester.balance(name) == anvil.balance(name) == 10_000 * 10**18
        assert set(anvil.w3.eth.accounts) == {a.address for a in named_accounts().values()}


def test_namedAccountSigning_equalsEthAccountsLocalAccount() -> None:
    """``NamedAccount.sign_transaction`` (the key parsed once) gives the bytes, hash and
    signature eth-account's ``LocalAccount.sign_transaction`` gives, for each type."""
    account = named_accounts()["alice"]
    to = named_accounts()["bob"].address
    base = {"chainId": 31337, "nonce": 7, "to": to, "value": 5, "data": b"\x01\x02", "gas": 90_000}
    dynamic = {**base, "type": 2, "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 10**9}
    access = [{"address": to, "storageKeys": ["0x" + "00" * 31 + "01"]}]
    for tx in (
        {**base, "gasPrice": 10**9},
        {**base, "type": 1, "gasPrice": 10**9, "accessList": []},
        dynamic,
        {**dynamic, "data": bytes(range(256)) * 40, "value": 0, "nonce": 0},
        {k: v for k, v in dynamic.items() if k != "to"},  # a deployment
        {**dynamic, "accessList": access, "chainId": 1},
        {**dynamic, "from": account.address},  # as the chain builds them
    ):
        ours, theirs = account.sign_transaction(dict(tx)), account.signer.sign_transaction(tx)
        assert ours == theirs
        assert Account.recover_transaction(ours.raw_transaction) == account.address
    with pytest.raises(TypeError, match="from field must match"):  # eth-account's refusal
        account.sign_transaction({**dynamic, "from": to})


def test_unknownAccountName_listsTheKnownOnes() -> None:
    with pytest.raises(KeyError, match="known accounts: deployer, alice"):
        named_accounts()["mallory"]


def test_developmentKeys_areRecognised() -> None:
    assert is_development_key(derive_key(3))
    assert is_development_key((1).to_bytes(32, "big"))  # eth-tester's default key
    assert not is_development_key(bytes(Account.create().key))


def test_unknownBackend_isAClearError() -> None:
    with pytest.raises(ConfigurationError, match="use 'revm', 'eth-tester', 'anvil' or an http"):
        connect("ganache")


def test_unreachableUrl_namesTheAddressTried() -> None:
    with pytest.raises(ChainError, match=r"http://127\.0\.0\.1:9/"):
        connect("http://127.0.0.1:9/", private_key=bytes(Account.create().key))


def test_urlOfALocalAnvil_getsNamedAccountsAndTimeTravel(require_anvil: None) -> None:
    node = AnvilProcess.start()
    try:
        chain = connect(node.url)
        assert chain.kind == "anvil" and chain.is_local
        assert chain.address("bob") == named_accounts()["bob"].address
        before = chain.clock.now()
        assert chain.clock.advance(60) >= before + 60
    finally:
        node.stop()


def test_developmentKey_isRefusedOnAPublicChain(public_node: AnvilProcess) -> None:
    with pytest.raises(UnsafeKeyError, match=f"chain id {SEPOLIA}") as caught:
        connect(public_node.url, private_key=derive_key(0))
    assert derive_key(0).hex() not in str(caught.value)


def test_keyFromEnvironment_signsOnAPublicChain(
    public_node: AnvilProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = Account.create()
    fund(public_node, own.address)
    monkeypatch.setenv("MLMARKET_PRIVATE_KEY", own.key.hex())
    chain = connect(public_node.url)
    assert chain.kind == "rpc" and not chain.is_local
    assert list(chain.accounts) == ["deployer"]
    assert chain.address("deployer") == own.address
    assert own.key.hex() not in repr(chain.accounts["deployer"])


def test_keystore_isDecryptedWithThePasswordFromTheEnvironment(
    public_node: AnvilProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = Account.create()
    keystore = tmp_path / "key.json"
    keystore.write_text(json.dumps(Account.encrypt(own.key, "s3cret", iterations=2)))
    monkeypatch.setenv("MLMARKET_KEYSTORE_PASSWORD", "s3cret")
    chain = connect(public_node.url, keystore=keystore, account_name="me")
    assert chain.address("me") == own.address
    monkeypatch.setenv("MLMARKET_KEYSTORE_PASSWORD", "wrong")
    with pytest.raises(ConfigurationError, match="wrong password"):
        connect(public_node.url, keystore=keystore)


def test_missingKey_saysHowToProvideOne(
    public_node: AnvilProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLMARKET_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("MLMARKET_KEYSTORE", raising=False)
    with pytest.raises(ConfigurationError, match="MLMARKET_PRIVATE_KEY"):
        connect(public_node.url)


def test_malformedKey_isRejectedWithoutEchoingIt(public_node: AnvilProcess) -> None:
    with pytest.raises(ConfigurationError, match="not a valid 32-byte") as caught:
        connect(public_node.url, private_key="0x1234zz")
    assert "1234zz" not in str(caught.value)


def test_defaultBackend_isRevm_orTheEnvironmentsChoice(monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module("mlmarket.chain.connect")
    monkeypatch.delenv(module.BACKEND_ENV, raising=False)
    assert module.default_backend() == "revm"
    monkeypatch.setenv(module.BACKEND_ENV, "eth-tester")
    with connect() as chain:
        assert chain.kind == "eth-tester"
    monkeypatch.setenv(module.BACKEND_ENV, "ganache")
    with pytest.raises(ConfigurationError, match=r"\$MLMARKET_BACKEND='ganache' is not a local"):
        connect()


def test_withoutPyrevm_theDefaultIsEthTester_saidOnce(monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module("mlmarket.chain.connect")
    real = importlib.util.find_spec
    monkeypatch.delenv(module.BACKEND_ENV, raising=False)
    monkeypatch.setattr(module, "_said", set())
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyrevm" else real(name, *a)
    )
    with pytest.warns(UserWarning, match="pyrevm is not installed") as said:
        assert module.default_backend() == "eth-tester"
        assert module.default_backend() == "eth-tester"
    assert len(said) == 1
