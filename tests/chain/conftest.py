"""Fixtures for chain tests: the same test runs on eth-tester, revm and anvil."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator

import pytest

from mlmarket.chain import Chain, connect
from mlmarket.chain.anvil import find_anvil
from mlmarket.contracts import bind_errors, load_artifact
from mlmarket.errors import ToolNotFoundError
from tests.conftest import require_tool, strict

BACKENDS = ["eth-tester", "revm", "anvil"]


def anvil_path() -> str | None:
    try:
        return str(find_anvil())
    except ToolNotFoundError:
        return None


@pytest.fixture
def require_anvil() -> None:
    require_tool(anvil_path(), "anvil (npm @foundry-rs/anvil in contracts/)")


def check_revm() -> None:
    """Skip (locally) or fail (strict) without pyrevm; it ships wheels for CPython 3.11 and
    3.12 only, so on newer Pythons the revm backend is skipped even in strict runs."""
    if importlib.util.find_spec("pyrevm") is not None:
        return
    message = "pyrevm is not installed; run ./dev setup (pip install '.[revm]')"
    if strict() and sys.version_info < (3, 13):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def require_revm() -> None:
    check_revm()


@pytest.fixture(params=BACKENDS)
def chain(request: pytest.FixtureRequest) -> Iterator[Chain]:
    if request.param == "anvil":
        request.getfixturevalue("require_anvil")
    if request.param == "revm":
        request.getfixturevalue("require_revm")
    with connect(request.param) as chain:
        bind_errors(chain)
        yield chain


def deploy(chain: Chain, name: str, *args: object, sender: str = "deployer"):  # noqa: ANN201
    artifact = load_artifact(name)
    contract, _receipt = chain.deploy(artifact.abi, artifact.bytecode, *args, sender=sender)
    return contract


@pytest.fixture
def probe(chain: Chain):  # noqa: ANN201
    return deploy(chain, "RevertProbe")


def send_eth(
    chain: Chain, sender: str, to: str, value: int, data: bytes = b"", gas: int = 21_000
) -> bytes:
    """An ETH transfer (with optional data) signed and sent as the chain sends everything."""
    account = chain.accounts[sender].signer
    base_fee = int(chain.w3.eth.get_block("latest")["baseFeePerGas"])
    tx = {"to": chain.address(to), "value": value, "gas": gas, "type": 2, "data": data,
          "nonce": chain.w3.eth.get_transaction_count(account.address, "pending"),
          "chainId": chain.chain_id, "maxFeePerGas": 2 * base_fee + 10**9,
          "maxPriorityFeePerGas": 10**9}  # fmt: skip
    raw = bytes(account.sign_transaction(tx).raw_transaction)
    return chain.backend.send_raw(raw, chain.clock.next_block_timestamp())
