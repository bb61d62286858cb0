"""Competition rules through the Market API: metrics, one place per participant, entries per
period and finals (docs/competition-protocol.md, "Rules")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlmarket as mm
from mlmarket.contracts.errors import (
    CompetitionInvalidFinals,
    CompetitionNotSubmitter,
    CompetitionPeriodCapReached,
    CompetitionSubmissionCapReached,
)
from mlmarket.errors import ConfigurationError
from mlmarket.ml import ExportedModel
from mlmarket.ml.metrics import ONE, metric_score

DAY = 86_400
PERIODS = {"submission": 2 * DAY, "reveal": DAY, "test_reveal": DAY, "evaluation": 2 * DAY}


def model(c: float = 1.0) -> object:
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))


def create(market: mm.Market, data: pd.DataFrame, **rules: object) -> mm.Competition:
    return market.competitions.create(
        data=data, target="diagnosis", creator="alice", reward=100, payout=[0.6, 0.4],
        periods=PERIODS, **rules,
    )  # fmt: skip


def play(market: mm.Market, comp: mm.Competition) -> None:
    """Reveal everything, reveal the test set, evaluate, finalize."""
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    market.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()
    comp.evaluate(by="frank")


@pytest.mark.parametrize(
    ("rules", "says"),
    [
        ({"metric": "mse"}, "ranks regressions"),
        ({"metric": "f1"}, "Unknown metric 'f1'"),
        ({"entries_per_period": 2}, "needs period="),
        ({"period": DAY}, "only counts entries_per_period"),
        ({"finals": -1}, "finals must be a whole number from 0 to 255"),
    ],
)
def test_create_refusesBadRules_beforeAnythingIsSent(
    fresh: mm.Market, cancer: pd.DataFrame, rules: dict[str, object], says: str
) -> None:
    block = fresh.chain.w3.eth.block_number
    with pytest.raises(ConfigurationError, match=says):
        create(fresh, cancer, **rules)
    assert fresh.chain.w3.eth.block_number == block


def test_periodCap_refusesTheThirdEntryOfTheDay_minesNothing_andReopensNextDay(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer, entries_per_period=2, period=pd.Timedelta(days=1))
    X, y = comp.training_xy()
    fitted = model().fit(X, y)
    comp.submit(fitted, by="bob")
    comp.submit(model(0.1).fit(X, y), by="bob")
    assert comp.entries_left("bob") == 0 and comp.entries_left("carol") == 2
    opens = comp.next_period_at()
    block = fresh.chain.w3.eth.block_number
    with pytest.raises(CompetitionPeriodCapReached, match="next period opens at") as caught:
        comp.submit(model(0.01).fit(X, y), by="bob")
    assert caught.value.nextEntryAt == int(opens.timestamp())
    assert fresh.chain.w3.eth.block_number == block
    fresh.clock.advance_to(opens)
    assert comp.entries_left("bob") == 2
    comp.submit(model(0.01).fit(X, y), by="bob")


def test_totalCap_isCheckedBeforeTheStakeIsApproved(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    comp = fresh.competitions.create(
        data=cancer, target="diagnosis", creator="alice", reward=100, periods=PERIODS,
        entry_stake=5, max_submissions_per_address=1,
    )  # fmt: skip
    X, y = comp.training_xy()
    comp.submit(model().fit(X, y), by="bob")
    block = fresh.chain.w3.eth.block_number
    with pytest.raises(CompetitionSubmissionCapReached, match="already made 1"):
        comp.submit(model(0.1).fit(X, y), by="bob")
    assert fresh.chain.w3.eth.block_number == block  # no approval either


def test_finals_onlyTheChosenAreEvaluated_andTheLeaderboardSaysSo(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer, finals=1)
    X, y = comp.training_xy()
    first = comp.submit(model().fit(X, y), by="bob")
    second = comp.submit(model(0.001).fit(X, y), by="bob")
    carol = comp.submit(model(0.5).fit(X, y), by="carol")
    assert [comp.is_final(s) for s in (first, second, carol)] == [False, True, True]
    assert comp.select_finals([first], by="bob") == [first.id]
    assert [comp.is_final(s) for s in (first, second, carol)] == [True, False, True]
    with pytest.raises(CompetitionNotSubmitter):
        comp.select_finals([carol], by="bob")
    with pytest.raises(CompetitionInvalidFinals):
        comp.select_finals([first, second], by="bob")
    play(fresh, comp)
    board = comp.leaderboard().set_index("id")
    assert board.loc[second.id, "status"] == "not a final"
    assert not board.loc[second.id, "final"] and board.loc[first.id, "final"]
    assert board.loc[second.id, "evaluated"].startswith("0/")
    assert comp.phase == "finalized"  # every revealed final scored: evaluation ended early
    assert set(board["rank"].dropna()) == {1, 2}


def test_onePlacePerParticipant_byDefault_multiplePlacesOnRequest(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    for multiple, bob_places in ((False, 1), (True, 2)):
        with fresh.chain.rollback():
            comp = create(fresh, cancer, multiple_places=multiple)
            X, y = comp.training_xy()
            comp.submit(model().fit(X, y), by="bob")
            comp.submit(model(0.3).fit(X, y), by="bob")
            comp.submit(model(0.0005).fit(X, y), by="carol")  # weaker than both of bob's
            play(fresh, comp)
            comp.finalize()
            prizes = comp.leaderboard().groupby("submitter")["prize"].apply(lambda p: (p > 0).sum())
            assert prizes.filter(like="bob").iloc[0] == bob_places
            assert prizes.filter(like="carol").iloc[0] == 2 - bob_places


@pytest.mark.parametrize("metric", ["balanced_accuracy", "macro_f1"])
def test_perClassMetrics_onChain_matchScikitLearn(
    fresh: mm.Market, cancer: pd.DataFrame, metric: str
) -> None:
    comp = create(fresh, cancer, metric=metric)
    X, y = comp.training_xy()
    submissions = {c: comp.submit(model(c).fit(X, y), by=who)
                   for c, who in ((1.0, "bob"), (0.0005, "carol"))}  # fmt: skip
    play(fresh, comp)
    board = comp.leaderboard().set_index("id")
    labels = comp.scored_labels()
    X_test = np.concatenate([c.features for c in comp_test_chunks(comp)])
    for sub in submissions.values():
        exported = ExportedModel.from_bytes(comp.revealed_models()[sub.id], comp.quantizer)
        predictions = exported.predict_quantised(X_test)
        raw = int(fresh.chain.call(comp.contract.functions.submission(sub.id))[4])
        assert raw == metric_score(metric, labels, predictions, classes=2)
        expected = (balanced_accuracy_score(labels, predictions) if metric == "balanced_accuracy"
                    else f1_score(labels, predictions, labels=[0, 1], average="macro",
                                  zero_division=0))  # fmt: skip
        assert board.loc[sub.id, "score"] == pytest.approx(expected, abs=2 / ONE + 1e-12)
        assert board.loc[sub.id, "metric"] == ("balanced accuracy" if metric == "balanced_accuracy"
                                               else "macro F1")  # fmt: skip


def comp_test_chunks(comp: mm.Competition) -> list[object]:
    from mlmarket.ml.formats import decode_chunk

    chunks, _salt = comp._revealed_test_set()
    p = comp.params
    return [decode_chunk(c, p.features, p.classes) for c in chunks]
