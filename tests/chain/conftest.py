"""Fixtures for chain tests: the same test runs on eth-tester and on anvil."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlmarket.chain import Chain, connect
from mlmarket.chain.anvil import find_anvil
from mlmarket.contracts import bind_errors, load_artifact
from mlmarket.errors import ToolNotFoundError
from tests.conftest import require_tool

BACKENDS = ["eth-tester", "anvil"]


def anvil_path() -> str | None:
    try:
        return str(find_anvil())
    except ToolNotFoundError:
        return None


@pytest.fixture
def require_anvil() -> None:
    require_tool(anvil_path(), "anvil (npm @foundry-rs/anvil in contracts/)")


@pytest.fixture(params=BACKENDS)
def chain(request: pytest.FixtureRequest) -> Iterator[Chain]:
    if request.param == "anvil":
        request.getfixturevalue("require_anvil")
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
