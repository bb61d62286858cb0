"""What happened, as tables and charts: balances over time, scores as evaluation proceeds,
gas by action, a collection's revenue — each table agrees with what the chain says now,
and each chart draws what its table holds."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest
from matplotlib.figure import Figure
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlmarket as mm
from mlmarket.errors import ConfigurationError
from mlmarket.market import history, plots
from mlmarket.market.tables import timestamp

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend

DAY = 86_400


@pytest.fixture(scope="module")
def session(market: mm.Market, cancer: pd.DataFrame) -> SimpleNamespace:
    """A sale, a collection (dave and frank accepted, erin rejected, its version sold, dave
    claims), and a competition of three models, scored and paid."""
    listing = market.data.publish(cancer, owner="alice", price=25, name="Cancer",
                                  target="diagnosis")  # fmt: skip
    market.data.buy(listing, buyer="bob")
    market.clock.advance(DAY)
    market.data.withdraw("alice")
    cols = market.data.collections
    cohort = cols.create(curator="carol", name="Cohort", template=cancer, target="diagnosis",
                         curator_cut="0.1", bounty_per_row="0.01", bounty_fund=5,
                         stake=2)  # fmt: skip
    for name, rows in {
        "dave": cancer[:100],
        "erin": cancer[100:300],
        "frank": cancer[300:],
    }.items():
        cols.review(cols.contribute(cohort, rows, contributor=name), accept=name != "erin")
    market.data.buy(cols.publish_version(cohort, price=60), buyer="grace")
    cols.claim(cohort, contributor="dave")
    comp = market.competitions.create(data=cancer, target="diagnosis", creator="alice",
                                      reward=100, name="Diagnosis", payout=[0.6, 0.4])  # fmt: skip
    X, y = comp.training_xy()
    for who, strength in (("bob", 1.0), ("carol", 0.0005), ("dave", 100.0)):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=strength, max_iter=5000))
        comp.submit(model.fit(X, y), by=who)
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    market.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()
    comp.evaluate(models_per_call=1)
    comp.finalize()
    comp.claim_all()
    return SimpleNamespace(market=market, collections=cols, cohort=cohort, competition=comp)


@pytest.fixture(autouse=True)
def _close_figures() -> None:
    yield
    plt.close("all")


# --- tables ---------------------------------------------------------------------------------


def test_tokenHistory_endsAtEveryHoldersBalance_andAddsUpTransferByTransfer(
    session: SimpleNamespace,
) -> None:
    market = session.market
    table = history.token_history(market)
    last = table.drop_duplicates("holder", keep="last").set_index("holder")
    balances = market.balances()
    for name in market.accounts:
        assert last.loc[name, "tokens_exact"] == balances.loc[name, "tokens_exact"], name
    assert last.loc["Competition[0]", "tokens_exact"] == Decimal(0)  # everything paid out
    assert last.loc["DataMarket", "kind"] == "contract" and last.loc["alice", "kind"] == "account"
    for _, rows in table.groupby("holder"):  # each balance is the previous plus the change
        running = rows["change_exact"].cumsum().tolist()
        assert running == rows["tokens_exact"].tolist()
    assert (
        isinstance(table["time"].dtype, pd.DatetimeTZDtype)
        and table["block"].is_monotonic_increasing
    )
    assert table["tokens"].dtype == "float64"


def test_scoreHistory_endsAtTheLeaderboardScore_ofEverySubmission(
    session: SimpleNamespace,
) -> None:
    comp = session.competition
    table = history.score_history(comp)
    board = comp.leaderboard().set_index("id")
    final = table.drop_duplicates("id", keep="last").set_index("id")
    assert sorted(final.index) == [1, 2, 3]
    for sub_id, row in final.iterrows():
        assert row["score"] == pytest.approx(board.loc[sub_id, "score"])
        assert row["submitter"] == board.loc[sub_id, "submitter"]
        assert row["rows"] == comp.params.samples and row["metric"] == "accuracy"
    assert set(table["on"]) == {"test"}


def test_scoreHistory_runsOverChunks_scoreOnTheRowsScoredSoFar() -> None:
    """Three chunks of 4, 4 and 2 rows: the running accuracy is total / rows so far."""
    params = SimpleNamespace(samples=10, training_samples=8, chunk_size=4, regression=False,
                             metric_name="accuracy", classes=2)  # fmt: skip
    comp = SimpleNamespace(params=params)
    rows = [("SubmissionCommitted", {"id": 1, "submitter": "bob"}, 1)]
    rows += [("SubmissionScored", {"id": 1, "chunkIndex": i, "value": v, "total": t}, 2 + i)
             for i, (v, t) in enumerate([(4, 4), (2, 6), (2, 8)])]  # fmt: skip
    events = pd.DataFrame(
        [{"block": b, "time": timestamp(1_000 + b), "event": e, "args": a} for e, a, b in rows]
    )
    table = history.score_history(comp, events)  # type: ignore[arg-type]
    assert table["rows"].tolist() == [4, 8, 10]
    assert table["score"].tolist() == [1.0, 0.75, 0.8]
    assert table["submitter"].tolist() == ["bob"] * 3


def test_gasByAction_addsUpTheSessionsGas_failuresApart(session: SimpleNamespace) -> None:
    records = session.market.chain.history
    table = history.gas_by_action(records)
    assert table["gas"].sum() + table["failed_gas"].sum() == sum(r.gas_used for r in records)
    assert table.loc["evaluate", "transactions"] == 3  # one model per call, one chunk
    assert table["gas"].is_monotonic_decreasing
    mean = table.loc["commit", "gas"] / table.loc["commit", "transactions"]
    assert table.loc["commit", "gas_per_transaction"] == pytest.approx(mean)
    without = history.gas_by_action(records, setup=False)
    assert "deploy" in table.index and "deploy" not in without.index


def test_collectionRevenue_isWhatTheCuratorAndEachContributorEarned(
    session: SimpleNamespace,
) -> None:
    cols, cohort = session.collections, session.cohort
    table = history.collection_revenue(cols, cohort)
    assert table["role"].to_dict() == {"carol": "curator", "dave": "contributor",
                                       "erin": "contributor", "frank": "contributor"}  # fmt: skip
    assert table.loc["carol", "sales_exact"] == Decimal(6)  # 10% of 60
    assert table.loc["erin", "revenue_exact"] == 0 and table.loc["erin", "shares"] == 0
    assert table.loc["dave", "shares"] == 100 and table.loc["frank", "shares"] == 269
    assert table.loc["dave", "bounty_exact"] == Decimal(1)  # 100 rows at 0.01
    contributors = table.loc[["dave", "frank"]]
    # share revenue is 54 split 100 : 269, rounded down to base units
    assert Decimal(54) - sum(contributors["sales_exact"]) < Decimal("1e-15")
    for who in ("dave", "frank"):  # claimed (dave) or not (frank): all of it counted
        row = table.loc[who]
        assert row["revenue_exact"] == row["sales_exact"] + row["bounty_exact"]
    assert cols.pending(cohort, "frank") == table.loc["frank", "revenue_exact"] + 2  # + stake


def test_collectionRevenue_ofNoSuchCollection_isANamedError(session: SimpleNamespace) -> None:
    with pytest.raises(ConfigurationError, match="There is no collection 9; this market has 1"):
        history.collection_revenue(session.collections, 9)


# --- charts -----------------------------------------------------------------------------------


def test_tokenBalances_drawsAStepLinePerAccountWhoseBalanceMoved(session: SimpleNamespace) -> None:
    ax = plots.token_balances(session.market)
    moved = {line.get_label() for line in ax.get_lines()}
    assert {"alice", "bob", "carol", "dave", "frank", "grace"} <= moved
    assert "heidi" not in moved and "DataMarket" not in moved  # funded once, then idle
    assert ax.get_xlabel() == "block"
    alice = next(line for line in ax.get_lines() if line.get_label() == "alice")
    assert alice.get_ydata()[-1] == session.market.balances().loc["alice", "tokens"]
    chosen = plots.token_balances(session.market, accounts=["DataMarket"], x="time")
    assert [line.get_label() for line in chosen.get_lines()] == ["DataMarket"]
    assert chosen.get_xlabel() == "time (UTC)"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"accounts": ["zed"]}, "No token transfers of 'zed'; holders: deployer, alice"),
        ({"x": "day"}, "x must be 'time' or 'block', not 'day'."),
        ({"ax": "left"}, "ax must be matplotlib Axes to draw on, not str."),
    ],
)
def test_tokenBalances_badInput_isANamedError(
    session: SimpleNamespace, options: dict[str, object], says: str
) -> None:
    with pytest.raises(ConfigurationError, match=says):
        plots.token_balances(session.market, **options)  # type: ignore[arg-type]


def test_scores_scoredInOneCallEach_drawABarPerSubmission(session: SimpleNamespace) -> None:
    ax = plots.scores(session.competition, ax=Figure().subplots())
    board = session.competition.leaderboard().set_index("id").sort_index()
    names = [label.get_text() for label in ax.get_yticklabels()]
    assert names == [f"#{i} {board.loc[i, 'submitter']}" for i in (3, 2, 1)]  # #1 on top
    assert [bar.get_width() for bar in ax.patches] == pytest.approx(board["score"][::-1])
    assert ax.get_xlabel() == "accuracy"


def test_scores_overSeveralCalls_drawALinePerSubmission_endingAtItsScore() -> None:
    """bob leads after the first chunk, carol after the last: the lines cross."""
    rows = [(2, 1, "bob", 0, 1.0), (2, 2, "carol", 0, 0.5), (3, 1, "bob", 1, 0.5),
            (3, 2, "carol", 1, 0.75), (4, 2, "carol", 2, 0.8)]  # fmt: skip
    table = pd.DataFrame(
        [{"block": b, "time": timestamp(b), "id": i, "submitter": who, "on": "test",
          "chunk": c, "rows": 4 * (c + 1), "score": v, "metric": "accuracy"}
         for b, i, who, c, v in rows]
    )  # fmt: skip
    ax = plots.draw_scores(table, Figure().subplots())
    steps = [line for line in ax.get_lines() if line.get_label().startswith("#")]
    assert [line.get_label() for line in steps] == ["#1 bob: 0.5", "#2 carol: 0.8"]
    bob, carol = steps
    assert list(bob.get_xdata()) == [1, 2, 3] and list(bob.get_ydata()) == [1.0, 0.5, 0.5]
    assert list(carol.get_xdata()) == [1, 2, 3, 3] and carol.get_ydata()[-1] == 0.8
    assert ax.get_xlabel() == "evaluation calls (test set)" and ax.get_ylabel() == "accuracy"


def test_gasByAction_drawsABarPerAction_withCountAndMean(session: SimpleNamespace) -> None:
    ax = plots.gas_by_action(session.market)
    table = history.gas_by_action(session.market.chain.history, setup=False)
    names = [label.get_text() for label in ax.get_yticklabels()]
    assert names == list(table.index[::-1]) and "deploy" not in names
    assert [bar.get_width() for bar in ax.patches] == table["gas"].iloc[::-1].tolist()
    labels = [text.get_text() for text in ax.texts]
    assert "3× · {:,.0f} each".format(table.loc["evaluate", "gas_per_transaction"]) in labels
    with pytest.raises(ConfigurationError, match="takes a Market, a Chain or transaction records"):
        plots.gas_by_action(42)  # type: ignore[arg-type]


def test_collectionRevenue_stacksSalesAndBountyPerAccount(session: SimpleNamespace) -> None:
    ax = plots.collection_revenue(session.collections, session.cohort)
    table = history.collection_revenue(session.collections, session.cohort)
    sales, bounty = ax.patches[: len(table)], ax.patches[len(table) :]
    assert [bar.get_height() for bar in sales] == pytest.approx(table["sales"].tolist())
    assert [bar.get_y() for bar in bounty] == pytest.approx(table["sales"].tolist())
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "carol\n(curator)"
    assert ax.get_title() == "Revenue of 'Cohort'"


def test_anEmptyTable_drawsASentence_notAnError() -> None:
    ax = plots.draw_scores(pd.DataFrame(columns=history.SCORE_COLUMNS), Figure().subplots())
    assert [t.get_text() for t in ax.texts] == ["nothing scored yet"]
