"""Train & submit panel and the model families it offers."""

from __future__ import annotations

import pytest

from mlmarket.datasets import load_sample
from mlmarket.market import Market
from mlmarket.ml import export
from mlmarket.ml.quantize import Quantizer
from mlmarket.ui import TrainPanel
from mlmarket.ui.base import InputError
from mlmarket.ui.models import CLASSIFIERS, FAMILIES, REGRESSORS, make_estimator, train
from tests.ui.conftest import open_competition, sent


def test_withoutACompetition_thereIsNothingToTrain(market: Market) -> None:
    panel = TrainPanel(market)
    assert panel.train_button.disabled and panel.submit_button.disabled
    panel.train_button.click()
    assert "Create or choose a competition first." in panel.feedback.value


def test_trainThenSubmit_forTheChosenParticipant(market: Market) -> None:
    comp = open_competition(market)
    panel = TrainPanel(market)
    assert panel.family.options == tuple(CLASSIFIERS)
    assert panel.submit_button.disabled  # nothing trained yet

    panel.participant.value, panel.family.value = "carol", "RidgeClassifier"
    panel.train_button.click()

    assert "Trained RidgeClassifier on 105 rows" in panel.feedback.value
    assert 'class="mlm-validation-score">' in panel.score.value
    assert "on-chain model agrees on" in panel.score.value
    assert bytes(panel.chart.value).startswith(b"\x89PNG")
    assert not panel.submit_button.disabled
    panel.submit_button.click()
    assert "carol committed submission #1" in panel.feedback.value
    assert comp.leaderboard().loc[0, "submitter"] == "carol"


def test_submitting_closesWithTheSubmissionPhase(market: Market) -> None:
    comp = open_competition(market)
    panel = TrainPanel(market)
    panel.train_button.click()
    market.clock.advance_to(comp.deadline("submission"))
    panel.state.sync()
    assert panel.submit_button.disabled
    transactions = sent(market)

    panel.submit_button.click()  # a script can still click: the contract refuses

    assert "needs phase 0 but the competition is in phase 1" in panel.feedback.value
    assert sent(market) == transactions  # refused before sending: nothing mined


def test_aRegressionCompetition_offersRegressors_andAPredictionPlot(market: Market) -> None:
    open_competition(market, "diabetes")
    panel = TrainPanel(market)
    assert panel.family.options == tuple(REGRESSORS)

    panel.family.value = "LinearRegression"
    assert panel.strength.disabled and panel.iterations.disabled
    panel.family.value = "Lasso"
    assert panel.strength.description == "alpha" and not panel.iterations.disabled
    panel.train_button.click()

    assert "validation R²" in panel.score.value and "differs by at most" in panel.score.value
    assert bytes(panel.chart.value).startswith(b"\x89PNG")


def test_tooFewIterations_isSaid(market: Market) -> None:
    open_competition(market, "breast_cancer")
    panel = TrainPanel(market)
    panel.family.value, panel.scale.value = "LogisticRegression", False
    panel.iterations.value = 10
    panel.train_button.click()
    assert "did not converge: raise the iterations" in panel.score.value


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_everyFamily_trains_andExportsForTheContract(family: str) -> None:
    regression = family in REGRESSORS
    data = load_sample("diabetes" if regression else "wine")
    target = "progression" if regression else "cultivar"
    X, y = data.drop(columns=target), data[target]
    task = "regression" if regression else "classification"

    run = train(X, y, family=family, task=task, validation=0.3)

    assert run.metric == ("R²" if regression else "accuracy") and run.score > 0.3
    assert export(run.estimator, Quantizer.fit(X, y)).task == task


def test_makeEstimator_refusesNonsense() -> None:
    with pytest.raises(InputError, match="Unknown model family 'Tree'"):
        make_estimator("Tree")
    with pytest.raises(InputError, match="C must be positive"):
        make_estimator("LinearSVC", strength=0)
    with pytest.raises(InputError, match="iteration budget must be at least 1"):
        make_estimator("Lasso", max_iter=0)
