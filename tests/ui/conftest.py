"""Fixtures for the dashboard's kernel-level tests: a fresh market per test, uploads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlmarket.datasets import SAMPLES, load_sample
from mlmarket.market import Market
from mlmarket.market.competition import Competition
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


def open_competition(market: Market, sample: str = "iris", **options: object) -> Competition:
    """A competition on a sample, opened through the API (alice creates, 60/40 payout)."""
    info = SAMPLES[sample]
    settings: dict[str, object] = {"creator": "alice", "reward": 100, "payout": [0.6, 0.4]}
    settings.update(options)
    return market.competitions.create(
        data=load_sample(sample), target=info.target, name=f"{sample} challenge", **settings
    )


def play_to_finalized(market: Market, comp: Competition, players: dict[str, float]) -> None:
    """Submit a logistic regression per player (C per player), reveal, evaluate, finalize."""
    X, y = comp.training_xy()
    for player, strength in players.items():
        model = make_pipeline(StandardScaler(), LogisticRegression(C=strength, max_iter=5000))
        comp.submit(model.fit(X, y), by=player)
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    market.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()
    comp.evaluate()
    comp.finalize()
