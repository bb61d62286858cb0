"""The examples in the dashboard's docstrings run, each module on a fresh market."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import mlmarket.ui
from mlmarket.market import Market
from mlmarket.ui.state import MarketState

MODULES = sorted(f"mlmarket.ui.{m.name}" for m in pkgutil.iter_modules(mlmarket.ui.__path__))


@pytest.mark.parametrize("name", ["mlmarket.ui", *MODULES])
def test_docstringExamples_run(name: str) -> None:
    with Market.local() as market:
        globs = {"market": market, "state": MarketState.of(market)}
        result = doctest.testmod(
            importlib.import_module(name), extraglobs=globs, optionflags=doctest.ELLIPSIS
        )
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no docstring example"
