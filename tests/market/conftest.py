"""Shared fixtures: one market per test module, rolled back after every test."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

import mlmarket as mm
from mlmarket.datasets import load_sample
from tests.chain.conftest import require_anvil  # noqa: F401 - shared fixture


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[mm.Market]:
    with mm.Market.local(home=tmp_path_factory.mktemp("home")) as market:
        yield market


@pytest.fixture
def fresh(market: mm.Market) -> Iterator[mm.Market]:
    """The module's market with every test's transactions (and settings) undone after it."""
    market.data.auto_deliver = True
    with market.chain.rollback():
        yield market


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    return load_sample("breast_cancer")
