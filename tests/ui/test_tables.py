"""Every table the package returns plots: amounts are float64 whole tokens (or ETH), the
exact ``Decimal`` one column away in ``<name>_exact``; times are UTC ``Timestamp`` s."""

from __future__ import annotations

from decimal import Decimal

import matplotlib
import pandas as pd
import pytest

from mlmarket.contracts.errors import ERC20InsufficientBalance
from mlmarket.datasets import load_sample
from mlmarket.market import Market
from mlmarket.market.gas import test_set_cost
from mlmarket.ui import EventLogPanel
from mlmarket.ui.state import MarketState
from tests.ui.conftest import open_competition, play_to_finalized

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend

DAY = 86_400
AMOUNTS = {
    "balances": {"eth", "tokens"},
    "events": set(),
    "competitions": {"reward"},
    "leaderboard": {"prize"},
    "listings": {"price"},
    "purchases": {"amount"},
    "collections": {"curator_cut", "stake", "bounty_per_row", "bounty_fund"},
    "batches": set(),
    "contributors": {"claimable"},
    "dashboard competitions": {
        "reward",
        "creator_bond",
        "burned",
        "claim_bond",
        "challenge_bond",
        "public_claim_bond",
        "entry_stake",
    },
    "event log": {"paid_eth", "cost_eth", "cost_usd"},
    "test-set cost": {"eth", "usd"},
}
TIMES = {
    "events": {"time"},
    "purchases": {"paid_at", "deliver_by"},
    "batches": {"submitted_at", "review_by"},
    "dashboard competitions": {
        "submission_end",
        "reveal_end",
        "test_reveal_end",
        "evaluation_end",
        "default_evaluation_end",
        "public_checks_end",
        "merger_deadline",
    },  # fmt: skip
    "event log": {"time"},
}


@pytest.fixture
def tables(market: Market) -> dict[str, pd.DataFrame]:
    """One of every table, each with rows: a sale, a collection sold, a competition paid."""
    cancer = load_sample("breast_cancer")
    listing = market.data.publish(cancer, owner="alice", price="12.5", name="Cancer",
                                  target="diagnosis")  # fmt: skip
    market.data.buy(listing, buyer="bob")
    collections = market.data.collections
    cohort = collections.create(
        curator="carol", name="Cohort", template=cancer, target="diagnosis",
        curator_cut="0.1", review_window=DAY,
    )  # fmt: skip
    batch = collections.contribute(cohort, cancer.iloc[:90], contributor="dave")
    collections.review(batch, accept=True)
    market.data.buy(collections.publish_version(cohort, price=7), buyer="erin")
    comp = open_competition(market)
    play_to_finalized(market, comp, {"bob": 1.0, "frank": 0.01})
    too_much = market.token.contract.functions.transfer(market.chain.address("bob"), 10**30)
    with pytest.raises(ERC20InsufficientBalance):  # mined without the dry run: it failed
        market.chain.transact(too_much, sender="grace", simulate=False)
    state = MarketState.of(market)
    state.sync()
    found = {
        "balances": market.balances(),
        "events": market.events(),
        "competitions": market.competitions.list(),
        "leaderboard": comp.leaderboard(),
        "listings": market.data.listings(),
        "purchases": market.data.purchases(),
        "collections": collections.table(),
        "batches": collections.batches(cohort),
        "contributors": collections.contributors(cohort),
        "dashboard competitions": state.competitions,
        "event log": EventLogPanel(state).log(),
        "test-set cost": pd.DataFrame(
            [test_set_cost(1000, 4321.5, gas_price_gwei=12.3, eth_usd=2999.99)]
        ),  # fmt: skip
    }
    state.close()
    return found


def test_everyTable_plots_andItsFloatAndExactColumnsAgree(tables: dict[str, pd.DataFrame]) -> None:
    assert set(tables) == set(AMOUNTS)
    for name, frame in tables.items():
        assert len(frame) > 0, name
        twins = {c.removesuffix("_exact") for c in frame.columns if c.endswith("_exact")}
        assert twins == AMOUNTS[name], name
        for column in twins:
            assert frame[column].dtype == "float64", (name, column)
            exact = frame[f"{column}_exact"]
            assert all(isinstance(v, Decimal) for v in exact.dropna()), (name, column)
            floats = [float("nan") if v is None else float(v) for v in exact]
            pd.testing.assert_series_equal(  # the float is the exact value, rounded once
                frame[column], pd.Series(floats, index=frame.index, name=column)
            )
            axes = frame[column].plot.bar()
            assert len(axes.patches) == len(frame), (name, column)
            plt.close(axes.figure)
        for column in frame.columns:  # no Decimal (nor Unix seconds) left anywhere else
            if column.endswith("_exact"):
                continue
            values = frame[column].dropna()
            assert not any(isinstance(v, Decimal) for v in values), (name, column)
        for column in TIMES.get(name, set()):
            assert isinstance(frame[column].dtype, pd.DatetimeTZDtype), (name, column)
            assert str(frame[column].dt.tz) == "UTC", (name, column)
            axes = frame.plot(x=column, y=frame.select_dtypes("number").columns[0])
            plt.close(axes.figure)


def test_theExactColumn_keepsWhatTheFloatRounds(market: Market) -> None:
    market.token.transfer("bob", "0.000000000000000001", sender="alice")
    balances = market.balances()
    assert balances.loc["bob", "tokens"] == 1000.0
    assert balances.loc["bob", "tokens_exact"] == Decimal("1000.000000000000000001")
    assert list(balances.columns) == ["address", "eth", "eth_exact", "tokens", "tokens_exact"]
    axes = balances["tokens"].plot.bar()  # "no numeric data to plot" with Decimal columns
    assert [p.get_height() for p in axes.patches] == balances["tokens"].tolist()
    plt.close(axes.figure)
