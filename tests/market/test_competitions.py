"""market.competitions: whole lifecycles on the real EVM, and every misuse named."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlmarket as mm
from mlmarket.contracts import errors as ce
from mlmarket.datasets import load_sample
from mlmarket.errors import (
    CompetitionCommitmentError,
    ConfigurationError,
    DataValidationError,
    UnsupportedModelError,
)
from mlmarket.ml import ModelNotFittedError, score_chunk

DAY = 86_400


def logistic(C: float = 1.0):  # noqa: ANN201, N803
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000))


def open_competition(market: mm.Market, data: pd.DataFrame, **overrides) -> mm.market.Competition:
    options = {
        "data": data, "target": "diagnosis", "creator": "alice", "reward": 100,
        "name": "Diagnosis", "payout": [0.6, 0.3, 0.1],
    }  # fmt: skip
    return market.competitions.create(**(options | overrides))


def run_to(market: mm.Market, comp, phase: str) -> None:
    market.clock.advance_to(comp.deadline(phase))


def test_lifecycle_paysTheBest_andGivesTheCreatorTheWinningModel(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = open_competition(fresh, cancer)
    assert comp.phase == "submission" and comp.reward == Decimal(100)
    assert comp.creator_bond == Decimal(100)  # by default as much as the reward
    assert fresh.token.balance_of("alice") == Decimal(800)  # reward and bond are escrowed
    X, y = comp.training_xy()
    assert len(X) == round(len(cancer) * 0.7) and "diagnosis" not in X
    subs = {
        "bob": comp.submit(logistic().fit(X, y), by="bob"),
        "carol": comp.submit(logistic(0.0005).fit(X, y), by="carol"),
        "dave": comp.submit(RidgeClassifier().fit(X, y), by="dave"),
        "erin": comp.submit(logistic().fit(X, y), by="erin"),
    }
    run_to(fresh, comp, "submission")
    for name in ("bob", "carol", "dave"):  # erin never reveals
        assert comp.reveal(subs[name]) == [subs[name].id]
    run_to(fresh, comp, "reveal")
    comp.reveal_test_set()
    sent = comp.evaluate(by="erin")  # anyone may evaluate
    assert sent >= 1
    board = comp.leaderboard()
    assert list(board["rank"].dropna()) == [1, 2, 3]
    assert board.iloc[-1]["submitter"] == "erin" and board.iloc[-1]["status"] == "committed"
    assert board["score"].dropna().between(0.8, 1.0).all()
    assert comp.finalize() == "ranked"
    board = comp.leaderboard()
    assert board.loc[0, "winner"] and board.loc[0, "prize"] == Decimal(60)
    assert board["prize"].sum() == Decimal(100)

    paid = comp.claim_all()
    assert paid["alice"] == Decimal(100)  # the bond comes back
    assert set(paid) == {"alice", *board["submitter"][board["prize"] > 0]}
    total = sum(fresh.token.balance_of(n) for n in fresh.accounts)
    assert total == Decimal(1000) * len(fresh.accounts)  # nothing created or lost
    assert fresh.token.balance_of(comp.address) == 0

    model = comp.winning_model()
    accuracy = float((model.predict(X) == y).mean())
    assert accuracy > 0.9
    assert fresh.chain.call(comp.contract.functions.licensee()) == fresh.chain.address("alice")


def test_contractScore_equalsThePythonReference(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    comp = open_competition(fresh, cancer, payout=[1])
    X, y = comp.training_xy()
    sub = comp.submit(logistic().fit(X, y), by="bob")
    run_to(fresh, comp, "submission")
    comp.reveal()
    run_to(fresh, comp, "reveal")
    comp.reveal_test_set()
    comp.evaluate()
    chunks, _salt = comp._revealed_test_set()
    model = comp.revealed_models()[sub.id]
    expected = sum(score_chunk(c, model, comp.quantizer.features, 2)[1] for c in chunks)
    assert fresh.chain.call(comp.contract.functions.submission(sub.id))[4] == expected


def test_regression_isRankedByLowestError(fresh: mm.Market) -> None:
    diabetes = load_sample("diabetes")
    comp = fresh.competitions.create(
        data=diabetes, target="progression", creator="alice", reward=10, payout=[0.5, 0.5]
    )
    X, y = comp.training_xy()
    comp.submit(LinearRegression().fit(X, y), by="bob")
    comp.submit(Ridge(alpha=1e6).fit(X, y), by="carol")  # shrunk to the mean: worse
    run_to(fresh, comp, "submission")
    comp.reveal()
    run_to(fresh, comp, "reveal")
    comp.reveal_test_set()
    comp.evaluate()
    board = comp.leaderboard()
    assert list(board["submitter"]) == ["bob", "carol"]
    assert board.loc[0, "metric"] == "MSE" and board.loc[0, "score"] < board.loc[1, "score"]
    assert 1_500 < board.loc[0, "score"] < 5_000  # the float model's test MSE is ~2,900


def test_multiclass_fromAListing_withASeparateTestSet(fresh: mm.Market) -> None:
    wine = load_sample("wine")
    train, test = wine.iloc[::2], wine.iloc[1::2]
    listing = fresh.data.publish(train, owner="alice", price=5, name="Wine", target="cultivar")
    comp = fresh.competitions.create(
        listing=listing, test=test, target="cultivar", creator="alice", reward=20
    )
    with pytest.raises(ConfigurationError, match="buy it with market.data.buy"):
        comp.training_xy()
    fresh.data.buy(listing, buyer="bob")
    data = fresh.data.download(listing, buyer="bob")
    comp.submit(logistic().fit(data.drop(columns="cultivar"), data["cultivar"]), by="bob")
    run_to(fresh, comp, "submission")
    comp.reveal()
    run_to(fresh, comp, "reveal")
    comp.reveal_test_set()
    comp.evaluate()
    assert comp.leaderboard().loc[0, "score"] > 0.9


def test_secretsSurviveARestartedSession(
    fresh: mm.Market, cancer: pd.DataFrame, tmp_path: Path
) -> None:
    comp = open_competition(fresh, cancer)
    X, y = comp.training_xy()
    comp.submit(logistic().fit(X, y), by="bob")
    fresh.save(tmp_path / "session")
    with mm.Market.load(tmp_path / "session", home=tmp_path / "new-home") as restored:
        again = restored.competitions.get(comp.address)
        restored.clock.advance_to(again.deadline("submission"))
        assert again.reveal() == [1]
        restored.clock.advance_to(again.deadline("reveal"))
        again.reveal_test_set()
        again.evaluate()
        assert again.leaderboard().loc[0, "status"] == "scored"


def test_creatorDefault_scoresOnTheTrainingData_paysOnlyModelsBeatingTheBaseline(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = open_competition(fresh, cancer, payout=[0.7, 0.3])
    X, y = comp.training_xy()
    comp.submit(logistic().fit(X, y), by="bob")
    comp.submit(logistic().fit(X, 1 - y), by="carol")  # worse than always saying "benign"
    run_to(fresh, comp, "submission")
    comp.reveal()
    run_to(fresh, comp, "test_reveal")  # the creator never reveals the test set
    assert comp.phase == "default_evaluation"
    assert "default_evaluation" in comp.deadlines()
    with pytest.raises(ce.CompetitionNotInPhase):
        comp.reveal_test_set()
    assert comp.evaluate(by="dave") >= 1  # anyone scores on the committed training chunks
    assert comp.phase == "finalized" and comp.finalize() == "defaulted"
    board = comp.leaderboard()
    assert list(board["submitter"]) == ["bob", "carol"]
    assert list(board["status"]) == ["scored", "below baseline"]
    assert board.loc[0, "rank"] == 1 and pd.isna(board.loc[1, "rank"])  # it cannot place
    assert board.loc[0, "metric"] == "accuracy on training" and board.loc[0, "score"] > 0.9
    assert board.loc[0, "prize"] == Decimal(70) and board.loc[1, "prize"] == 0
    assert comp.claim_all() == {"bob": Decimal(70)}
    # The bond and carol's unearned place are burned; the creator gets nothing back.
    assert fresh.token.balance_of(mm.contracts.SINK) == Decimal(130)
    assert fresh.token.balance_of("alice") == Decimal(800)
    assert fresh.token.balance_of(comp.address) == 0


def test_trainingCommitment_thatDoesNotMatchTheData_isNamed(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    """The contract cannot read the training data: the package checks the commitment."""
    comp = open_competition(fresh, cancer)
    data = comp.training_data()
    assert comp.verify_training_commitment(data).root == comp.params.training_root
    relabelled = data.copy()
    relabelled.loc[relabelled.index[0], "diagnosis"] = 1 - relabelled["diagnosis"].iloc[0]
    with pytest.raises(CompetitionCommitmentError, match="Do not enter") as refused:
        comp.verify_training_commitment(relabelled)
    assert "root" in refused.value.wrong
    with pytest.raises(CompetitionCommitmentError) as refused:
        comp.verify_training_commitment(data.iloc[:-1])
    assert refused.value.wrong[:2] == ["root", "samples"]


def test_outOfPhaseActions_areNamedErrors(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    comp = open_competition(fresh, cancer)
    X, y = comp.training_xy()
    with pytest.raises(ce.CompetitionCreatorCannotCommit):
        comp.submit(logistic().fit(X, y), by="alice")
    comp.submit(logistic().fit(X, y), by="bob")
    with pytest.raises(ce.CompetitionNotInPhase, match="Reveals open at"):
        comp.reveal()  # still the submission phase
    with pytest.raises(ce.CompetitionNotInPhase, match="Evaluation opens after the test-set"):
        comp.evaluate()
    with pytest.raises(ConfigurationError, match="not finalized yet"):
        comp.winning_model()
    run_to(fresh, comp, "reveal")  # bob missed the reveal phase
    with pytest.raises(ce.CompetitionNotInPhase, match="Reveals closed at"):
        comp.reveal()


def test_unsupportedModels_areRefusedBeforeAnythingIsSent(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = open_competition(fresh, cancer)
    X, y = comp.training_xy()
    sent = len(fresh.chain.history)
    with pytest.raises(UnsupportedModelError, match="LogisticRegression"):
        comp.submit(KNeighborsClassifier().fit(X, y), by="bob")
    with pytest.raises(ModelNotFittedError, match="not fitted yet"):
        comp.submit(LogisticRegression(), by="bob")
    assert len(fresh.chain.history) == sent


@pytest.mark.parametrize(
    ("overrides", "error", "words"),
    [
        ({"reward": 0}, ConfigurationError, "must be positive"),
        ({"payout": [0.5, 0.4]}, ConfigurationError, "sum to 1"),
        ({"target": "nope"}, DataValidationError, "not a column"),
        ({"model_family": "svm"}, ConfigurationError, "No evaluator"),
        ({"periods": {"reveal": 0}}, ConfigurationError, "positive number of seconds"),
        ({"periods": {"judging": 5}}, ConfigurationError, "Unknown phase"),
        ({"test_size": 1.5}, ConfigurationError, "between 0 and 1"),
        ({"reward": 5_000}, ce.ERC20InsufficientBalance, "alice"),
    ],
)
def test_badParameters_areExplained(
    fresh: mm.Market, cancer: pd.DataFrame, overrides, error, words
) -> None:
    with pytest.raises(error, match=words):
        open_competition(fresh, cancer, **overrides)


def test_aBuyerOfAListing_canOpenACompetitionOnIt(fresh: mm.Market) -> None:
    wine = load_sample("wine")
    listing = fresh.data.publish(
        wine.iloc[::2], owner="alice", price=5, name="Wine", target="cultivar"
    )
    with pytest.raises(ConfigurationError, match="buy it first"):
        fresh.competitions.create(
            listing=listing, test=wine.iloc[1::2], target="cultivar", creator="bob", reward=5
        )
    fresh.data.buy(listing, buyer="bob")
    comp = fresh.competitions.create(
        listing=listing, test=wine.iloc[1::2], target="cultivar", creator="bob", reward=5
    )
    assert comp.quantizer.features == wine.shape[1] - 1
    assert comp.params.training_listing_id == listing.id  # participants train on the listing
    bought = fresh.data.download(listing, buyer="bob")
    assert comp.verify_training_commitment(bought).rows == len(bought)


def test_listing_withoutTestSet_isRefused(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    listing = fresh.data.publish(cancer, owner="alice", price=1, name="x", target="diagnosis")
    with pytest.raises(ConfigurationError, match="separate hidden test set"):
        fresh.competitions.create(listing=listing, target="diagnosis", creator="alice", reward=1)


def test_list_showsEveryCompetition(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    open_competition(fresh, cancer, name="First")
    open_competition(fresh, cancer, name="Second", creator="bob")
    table = fresh.competitions.list()
    assert list(table["name"]) == ["First", "Second"]
    assert list(table["creator"]) == ["alice", "bob"]
    assert np.all(table["phase"] == "submission")
