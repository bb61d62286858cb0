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
from mlmarket.ml.budgets import MlpBudget, TreeBudget, budget_model_bytes, default_budget


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
    budget = default_budget("mlp", 4, 3)  # hidden 32: 32 * (4 + 3) MACs, 35 units
    assert comp.model_budget == budget == MlpBudget(max_macs=224, max_units=35)
    assert comp.params.max_model_size == budget_model_bytes(budget, 4, 3)
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
    assert comp.model_family == "tree"
    assert comp.model_budget == TreeBudget(max_trees=16, max_depth=6, max_nodes=16 * 127)
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


def test_aModelAboveTheBudget_isRefusedBySubmit_andAtReveal_withTheWorkAndTheBudget(
    fresh: mm.Market,
) -> None:
    from mlmarket.contracts.errors import MlpEvaluatorModelOverBudget

    iris = load_sample("iris")
    # Hidden 8 at most by MACs; units loose, so a hidden-9 network is small enough in
    # bytes to reach the evaluator's checkModel at reveal.
    budget = MlpBudget(max_macs=4 * 8 + 8 * 3, max_units=40)
    comp = fresh.competitions.create(
        data=iris, target="species", creator="alice", reward=30, model_family="mlp",
        model_budget=budget,
    )  # fmt: skip
    assert comp.model_budget == budget
    assert comp.params.chunk_size > rows_per_chunk(4, 3, family="mlp", models_per_call=4)
    X, y = comp.training_xy()
    big = fit(mlp((9,)), X, y)
    sent = len(fresh.chain.history)
    with pytest.raises(MlpEvaluatorModelOverBudget, match="63 multiply-accumulates") as refused:
        comp.submit(big, by="bob")
    assert refused.value.args_dict == {"macs": 63, "units": 12, "maxMacs": 56, "maxUnits": 40}
    assert len(fresh.chain.history) == sent  # nothing was sent
    assert comp.check_budget(_bytes(comp, fit(mlp((8,)), X, y))) == 56  # fits exactly

    # Committed straight through the contract, the same model is refused at reveal.
    from mlmarket.ml import export

    model = export(big, comp.quantizer).to_bytes()
    salt = bytes(32)
    bob = fresh.chain.address("bob")
    fresh.chain.transact(
        comp.contract.functions.commit(comp._commitment(bob, model, salt)), sender="bob"
    )
    fresh.clock.advance_to(comp.deadline("submission"))
    block = fresh.chain.block_number
    with pytest.raises(MlpEvaluatorModelOverBudget, match="budget of 56 and 40"):
        fresh.chain.transact(comp.contract.functions.reveal(1, model, salt, ""), sender="bob")
    assert fresh.chain.block_number == block


def _bytes(comp, estimator) -> bytes:  # noqa: ANN001
    from mlmarket.ml import export

    return export(estimator, comp.quantizer).to_bytes()


def test_aBudgetOfAnotherFamily_orOutOfRange_isRefusedBeforeAnythingIsSent(
    fresh: mm.Market,
) -> None:
    iris = load_sample("iris")
    sent = len(fresh.chain.history)
    with pytest.raises(ConfigurationError, match="tree model budget does not suit a mlp"):
        fresh.competitions.create(data=iris, target="species", creator="alice", reward=30,
                                  model_family="mlp", model_budget=TreeBudget(1, 1, 1))  # fmt: skip
    from mlmarket.errors import DataValidationError

    with pytest.raises(DataValidationError, match="max_units must be a whole number"):
        fresh.competitions.create(data=iris, target="species", creator="alice", reward=30,
                                  model_family="mlp", model_budget=MlpBudget(10, 0))  # fmt: skip
    assert len(fresh.chain.history) == sent
