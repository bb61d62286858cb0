"""Fixtures for tests/ml: the default chain with the evaluator and the Merkle probe.

Only tests combine mlmarket.ml with the chain; the package itself never does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mlmarket.chain import Chain, connect
from mlmarket.contracts import bind_errors, load_artifact


def deploy(chain: Chain, name: str, *args: object) -> Any:
    artifact = load_artifact(name)
    contract, _receipt = chain.deploy(artifact.abi, artifact.bytecode, *args, sender="deployer")
    return contract


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    with connect() as chain:  # the default backend; ./dev test runs it on eth-tester too
        bind_errors(chain)
        yield chain


@pytest.fixture(scope="module")
def evaluator(chain: Chain) -> Any:
    return deploy(chain, "LinearEvaluator")


@pytest.fixture(scope="module")
def probe(chain: Chain) -> Any:
    return deploy(chain, "MerkleProbe")
