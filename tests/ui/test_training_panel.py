"""Train & submit panel and the model families it offers."""

from __future__ import annotations

import pytest

from mlmarket.datasets import load_sample
from mlmarket.market import Market
from mlmarket.market.competition import Competition
from mlmarket.market.phases import moment
from mlmarket.ml import export
from mlmarket.ml.quantize import Quantizer
from mlmarket.ui import CompetitionsPanel, TrainPanel
from mlmarket.ui.base import InputError
from mlmarket.ui.models import (
    CLASSIFIERS,
    FAMILIES,
    REGRESSORS,
    families,
    make_estimator,
    train,
)
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


def test_submitting_closesWithTheSubmissionPhase_andTheButtonSaysWhen(market: Market) -> None:
    comp = open_competition(market)
    panel = TrainPanel(market)
    assert panel.submit_button.tooltip == (
        "Train a model for bob first: Submit sends the selected participant's own model."
    )
    panel.train_button.click()
    assert not panel.submit_button.disabled and panel.submit_button.tooltip == "Submit"
    market.clock.advance_to(comp.deadline("submission") + 12 * 60 + 30)  # 30 s to run
    panel.state.sync()
    assert panel.submit_button.disabled
    closed = (
        f"Submissions closed at {moment(comp.deadline('submission'))}, 12 min ago (chain time). "
        f"The competition is in its reveal phase until {moment(comp.deadline('reveal'))} "
        "(in 23 h 47 min)."
    )
    assert panel.submit_button.tooltip == closed
    transactions = sent(market)

    panel.submit_button.click()  # a script can still click: the API refuses, in the same words

    assert panel.feedback.value == f'<span class="mlm-msg-error">{closed}</span>'
    assert sent(market) == transactions  # refused before sending: nothing mined


def test_theTooltips_followTheClock_andTheSelection(market: Market) -> None:
    panel = TrainPanel(market)
    assert (
        panel.train_button.tooltip
        == panel.submit_button.tooltip
        == ("Create or choose a competition first.")
    )
    comp = open_competition(market)
    assert panel.train_button.tooltip == "Train" and not panel.train_button.disabled
    market.clock.advance_to(comp.deadline("reveal") + 60)
    panel.state.sync()  # the state's time moved: the panel redraws
    assert panel.submit_button.tooltip.startswith(
        f"Submissions closed at {moment(comp.deadline('submission'))}, 1 d 1 min ago"
    )


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
    regression = FAMILIES[family].task == "regression"
    data = load_sample("diabetes" if regression else "wine")
    target = "progression" if regression else "cultivar"
    X, y = data.drop(columns=target), data[target]
    task = "regression" if regression else "classification"

    run = train(X, y, family=family, task=task, validation=0.3, max_iter=3000, depth=2)

    assert run.metric == ("R²" if regression else "accuracy")
    assert run.score > (0.2 if regression else 0.8)  # diabetes is hard, wine is not
    assert export(run.estimator, Quantizer.fit(X, y)).task == task


def test_makeEstimator_refusesNonsense() -> None:
    with pytest.raises(InputError, match="Unknown model family 'Tree'"):
        make_estimator("Tree")
    with pytest.raises(InputError, match="C must be positive"):
        make_estimator("LinearSVC", strength=0)
    with pytest.raises(InputError, match="iteration budget must be at least 1"):
        make_estimator("Lasso", max_iter=0)


def submitted_estimator(market: Market, comp: Competition, submission_id: int) -> str:
    """What was committed as submission ``submission_id`` (the vault keeps its repr)."""
    return market.vault.get("submissions", f"{comp.address}-{submission_id}")["estimator"]


def test_aModelTrainedForOneParticipant_isNeverSubmittedForAnother(market: Market) -> None:
    comp = open_competition(market)
    panel = TrainPanel(market)
    panel.participant.value, panel.family.value = "frank", "RidgeClassifier"
    panel.train_button.click()
    assert not panel.submit_button.disabled

    panel.participant.value = "bob"  # frank's model is not bob's
    assert panel.submit_button.disabled and panel.score.value == ""
    transactions = sent(market)
    panel.submit_button.click()  # a script can still click
    assert "bob has no trained model for competition #0 yet" in panel.feedback.value
    assert sent(market) == transactions and len(comp.leaderboard()) == 0

    panel.family.value = "LogisticRegression"
    panel.train_button.click()
    panel.submit_button.click()
    panel.participant.value = "frank"  # frank's run is still there, and still frank's
    assert "validation accuracy" in panel.score.value and not panel.submit_button.disabled
    panel.submit_button.click()

    board = comp.leaderboard().set_index("id")
    assert board.loc[1, "submitter"] == "bob" and board.loc[2, "submitter"] == "frank"
    assert "LogisticRegression" in submitted_estimator(market, comp, 1)
    assert "RidgeClassifier" in submitted_estimator(market, comp, 2)


@pytest.mark.parametrize(
    ("family", "model", "shape"),
    [
        ("mlp", "MLPClassifier", {"hidden": "8, 4"}),
        ("tree", "RandomForestClassifier", {"depth": 3, "trees": 4}),
        ("tree", "DecisionTreeClassifier", {"depth": 2}),
    ],
)
def test_anMlpOrTreeCompetition_offersItsModels_trainedSubmittedAndScored(
    market: Market, family: str, model: str, shape: dict[str, object]
) -> None:
    competitions, panel = CompetitionsPanel(market), TrainPanel(market)
    competitions.form.source.value, competitions.form.family.value = "iris", family
    competitions.create_button.click()
    assert panel.family.options == tuple(families("classification", family))
    assert model in panel.family.options and "LogisticRegression" not in panel.family.options

    panel.family.value = model
    for name in ("hidden", "depth", "trees"):  # only this model's shape is offered
        assert getattr(panel, name).disabled == (name not in shape)
    for name, value in shape.items():
        getattr(panel, name).value = value
    panel.train_button.click()
    assert f"Trained {model} on 105 rows" in panel.feedback.value
    assert "on-chain model agrees on" in panel.score.value
    panel.submit_button.click()
    assert "bob committed submission #1" in panel.feedback.value

    comp = market.competitions.get(0)
    assert model in submitted_estimator(market, comp, 1)
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    market.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()
    comp.evaluate()
    board = comp.leaderboard()
    assert board.loc[0, "status"] == "scored" and board.loc[0, "score"] > 0.8


def test_aRegressionTreeOrMlp_isOfferedForARegressionCompetition(market: Market) -> None:
    open_competition(market, "diabetes", model_family="tree")
    panel = TrainPanel(market)
    assert panel.family.options == ("DecisionTreeRegressor",)
    assert panel.scale.disabled and panel.strength.disabled and not panel.depth.disabled
    panel.depth.value = 3
    panel.train_button.click()
    assert "validation R²" in panel.score.value and not panel.submit_button.disabled

    open_competition(market, "diabetes", model_family="mlp")
    panel.picker.widget.value = 1
    assert panel.family.options == ("MLPRegressor",) and panel.submit_button.disabled
    panel.hidden.value = "one"
    panel.train_button.click()
    assert "Hidden layers are 1 or 2 sizes from 1 to 255" in panel.feedback.value
