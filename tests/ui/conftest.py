"""Fixtures for the dashboard's kernel-level tests: a fresh market per test, uploads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from mlmarket.market import Market
from mlmarket.ui.state import MarketState


@pytest.fixture(autouse=True)
def _no_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernel-level tests drive the state by hand; polling is tested on purpose."""
    monkeypatch.delenv("MLMARKET_UI_POLL", raising=False)


@pytest.fixture
def market() -> Iterator[Market]:
    with Market.local() as market:
        yield market


@pytest.fixture
def state(market: Market) -> Iterator[MarketState]:
    state = MarketState.of(market)
    yield state
    state.close()


def upload(name: str, content: bytes) -> tuple[dict[str, object], ...]:
    """A ``FileUpload.value`` holding one file, as the browser sends it."""
    return (
        {
            "name": name,
            "type": "text/csv",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": datetime(2026, 1, 1, tzinfo=UTC),
        },
    )


def sent(market: Market) -> int:
    """How many transactions the session has sent (to check a refused form sent none)."""
    return len(market.chain.history)
