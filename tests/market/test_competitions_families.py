"""Competitions of the mlp and tree families: whole lifecycles on the real EVM.

The factory routes each competition to its family's evaluator; the contract's totals
equal the Python reference, the winner's model comes back as an exact predictor,
and a model of another family is refused before it is committed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from eth_utils import keccak
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import mlmarket as mm
from mlmarket.datasets import load_sample
from mlmarket.errors import ConfigurationError
from mlmarket.ml import rows_per_chunk, score_chunk


def mlp(hidden: tuple[int, ...], seed: int = 0, iterations: int = 800):  # noqa: ANN201
    return make_pipeline(
        StandardScaler(), MLPClassifier(hidden, max_iter=iterations, random_state=seed)
    )


def fit(estimator, X, y):  # noqa: ANN001, ANN201
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def play(market: mm.Market, comp, estimators: dict[str, object]) -> dict[str, int]:
    X, y = comp.training_xy()
    subs = {who: comp.submit(fit(est, X, y), by=who).id for who, est in estimators.items()}
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    market.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()
    assert comp.evaluate() >= 1
    return subs


def check_scores_equal_reference(market: mm.Market, comp, subs: dict[str, int]) -> None:
    chunks, _salt = comp._revealed_test_set()
    models = comp.revealed_models()
    q = comp.quantizer
    for sub_id in subs.values():
        expected = sum(score_chunk(c, models[sub_id], q.features, q.n_classes)[1] for c in chunks)
        assert market.chain.call(comp.contract.functions.submission(sub_id))[4] == expected


def test_mlpCompetition_lifecycle(fresh: mm.Market) -> None:
    iris = load_sample("iris")
    comp = fresh.competitions.create(
        data=iris, target="species", creator="alice", reward=30, payout=[0.7, 0.3],
        model_family="mlp",
    )  # fmt: skip
    assert comp.model_family == "mlp" and comp.params.family == keccak(text="mlp")
    assert comp.params.chunk_size == rows_per_chunk(4, 3, family="mlp", models_per_call=4)
    assert comp.params.max_model_size == 8192  # the mlp family's largest model
    X, y = comp.training_xy()
    with pytest.raises(ConfigurationError, match="scores 'mlp' models"):
        comp.submit(LogisticRegression(max_iter=1000).fit(X, y), by="bob")
    subs = play(fresh, comp, {"bob": mlp((16, 8)), "carol": mlp((2,), seed=3, iterations=3)})
    check_scores_equal_reference(fresh, comp, subs)
    assert comp.finalize() == "ranked"
    board = comp.leaderboard()
    assert list(board["submitter"]) == ["bob", "carol"] and board.loc[0, "score"] >= 0.9
    model = comp.winning_model()
    assert model.family == "mlp"
    assert float(np.mean(model.predict(X) == y)) > 0.9


def test_treeCompetition_lifecycle(fresh: mm.Market) -> None:
    wine = load_sample("wine")
    comp = fresh.competitions.create(
        data=wine, target="cultivar", creator="alice", reward=30, payout=[0.7, 0.3],
        model_family="tree",
    )  # fmt: skip
    assert comp.model_family == "tree" and comp.params.max_model_size == 4096
    X, y = comp.training_xy()
    with pytest.raises(ConfigurationError, match="scores 'tree' models"):
        comp.submit(fit(mlp((4,)), X, y), by="bob")
    subs = play(fresh, comp, {
        "bob": RandomForestClassifier(8, max_depth=4, random_state=0),
        "carol": DecisionTreeClassifier(max_depth=1, random_state=0),
    })  # fmt: skip
    check_scores_equal_reference(fresh, comp, subs)
    assert comp.finalize() == "ranked"
    board = comp.leaderboard()
    assert list(board["submitter"]) == ["bob", "carol"]
    assert comp.winning_model().family == "tree"


def test_treeRegression_competition(fresh: mm.Market) -> None:
    diabetes: pd.DataFrame = load_sample("diabetes")
    comp = fresh.competitions.create(
        data=diabetes, target="progression", creator="alice", reward=10, payout=[0.5, 0.5],
        model_family="tree",
    )  # fmt: skip
    subs = play(fresh, comp, {
        "bob": DecisionTreeRegressor(max_depth=3, random_state=0),
        "carol": DecisionTreeRegressor(max_depth=1, random_state=0),
    })  # fmt: skip
    check_scores_equal_reference(fresh, comp, subs)
    board = comp.leaderboard()
    assert board.loc[0, "metric"] == "MSE" and list(board["submitter"]) == ["bob", "carol"]


def test_unknownFamily_isRefused(fresh: mm.Market) -> None:
    with pytest.raises(ConfigurationError, match="'linear', 'mlp', 'tree'"):
        fresh.competitions.create(
            data=load_sample("iris"), target="species", creator="alice", reward=1,
            model_family="svm",
        )  # fmt: skip
