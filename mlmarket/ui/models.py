"""Models the train & submit panel offers for each on-chain family, and one training run.

A competition's evaluator scores one model family (:mod:`mlmarket.ml`): ``linear``
(linear models), ``mlp`` (ReLU networks with one or two hidden layers) or ``tree``
(decision trees, and small forests for classification). The panel offers the
scikit-learn models of the competition's family and task. Each has at most one
regularisation knob (``C`` or ``alpha``) besides the iteration budget and feature
scaling, and a shape: the hidden layers of an MLP, the depth of a tree, the size of a
forest.

Example:
    >>> from mlmarket.datasets import load_sample
    >>> data = load_sample("iris")
    >>> X, y = data.drop(columns="species"), data["species"]
    >>> run = train(X, y, family="LogisticRegression", task="classification")
    >>> run.metric, run.score > 0.8, run.matrix.shape
    ('accuracy', True, (3, 3))
    >>> families("classification", "tree")
    ['DecisionTreeClassifier', 'RandomForestClassifier']
    >>> make_estimator("MLPClassifier", hidden="16, 8", scale=False).hidden_layer_sizes
    (16, 8)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    Lasso,
    LinearRegression,
    LogisticRegression,
    Perceptron,
    Ridge,
    RidgeClassifier,
    SGDClassifier,
)
from sklearn.metrics import accuracy_score, confusion_matrix, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from mlmarket.ml.mlp import MAX_HIDDEN
from mlmarket.ml.tree import MAX_TREES
from mlmarket.ui.base import InputError, whole_number
from mlmarket.ui.render import png

SEEDED = (("random_state", 0),)


@dataclass(frozen=True)
class Family:
    """A model the panel offers: its class, task and on-chain ``model_family``; its knob
    (``C``/``alpha`` or None) and the knob's default; whether it takes an iteration budget;
    its ``shape`` (``"hidden"`` layers, tree ``"depth"``, ``"forest"``: trees and depth)."""

    name: str
    factory: type
    knob: str | None
    default: float
    iterations: bool
    fixed: tuple[tuple[str, Any], ...] = ()
    task: str = "classification"
    model_family: str = "linear"
    shape: str | None = None


CLASSIFIERS = {
    f.name: f
    for f in (
        Family("LogisticRegression", LogisticRegression, "C", 1.0, True),
        Family("LinearSVC", LinearSVC, "C", 1.0, True, SEEDED),
        Family("RidgeClassifier", RidgeClassifier, "alpha", 1.0, False),
        Family("Perceptron", Perceptron, "alpha", 1e-4, True, (("penalty", "l2"), *SEEDED)),
        Family("SGDClassifier", SGDClassifier, "alpha", 1e-4, True, SEEDED),
    )
}
REGRESSORS = {
    f.name: f
    for f in (
        Family("LinearRegression", LinearRegression, None, 0.0, False, task="regression"),
        Family("Ridge", Ridge, "alpha", 1.0, False, task="regression"),
        Family("Lasso", Lasso, "alpha", 1.0, True, task="regression"),
    )
}
NETWORKS = {
    f.name: f
    for f in (
        Family("MLPClassifier", MLPClassifier, "alpha", 1e-4, True, SEEDED,
               model_family="mlp", shape="hidden"),
        Family("MLPRegressor", MLPRegressor, "alpha", 1e-4, True, SEEDED, task="regression",
               model_family="mlp", shape="hidden"),
    )
}  # fmt: skip
TREES = {
    f.name: f
    for f in (
        Family("DecisionTreeClassifier", DecisionTreeClassifier, None, 0.0, False, SEEDED,
               model_family="tree", shape="depth"),
        Family("RandomForestClassifier", RandomForestClassifier, None, 0.0, False, SEEDED,
               model_family="tree", shape="forest"),
        Family("DecisionTreeRegressor", DecisionTreeRegressor, None, 0.0, False, SEEDED,
               task="regression", model_family="tree", shape="depth"),
    )
}  # fmt: skip
FAMILIES = {**CLASSIFIERS, **REGRESSORS, **NETWORKS, **TREES}
"""Every model the panel offers, by class name."""
MAX_DEPTH = 12
"""Deepest tree the panel offers (the tree family holds about 680 nodes)."""


def families(task: str, model_family: str = "linear") -> list[str]:
    """The models of ``model_family`` (linear, mlp, tree) for ``task``, by class name."""
    offered = [f.name for f in FAMILIES.values() if f.model_family == model_family]
    if not offered:
        raise InputError(f"No models for the {model_family!r} family; families: linear, mlp, tree.")
    task = "regression" if task == "regression" else "classification"
    return [name for name in offered if FAMILIES[name].task == task]


def hidden_layers(value: str | tuple[int, ...]) -> tuple[int, ...]:
    """MLP hidden layer sizes: one or two whole numbers from 1 to 255 (``"16, 8"``).

    Example:
        >>> hidden_layers("32"), hidden_layers("16, 8")
        ((32,), (16, 8))
        >>> hidden_layers("16, 8, 4")
        Traceback (most recent call last):
        ...
        mlmarket.ui.base.InputError: Hidden layers are 1 or 2 sizes ... (got '16, 8, 4').
    """
    text = value if isinstance(value, str) else ", ".join(map(str, value))
    parts = [part.strip() for part in text.replace(";", ",").split(",")]
    sizes = [int(p) for p in parts if p.isdecimal() and 1 <= int(p) <= MAX_HIDDEN]
    if not 1 <= len(parts) <= 2 or len(sizes) != len(parts):
        raise InputError(
            f"Hidden layers are 1 or 2 sizes from 1 to {MAX_HIDDEN} separated by commas, "
            f"like 16 or 16, 8 (got {text!r})."
        )
    return tuple(sizes)


def make_estimator(
    family: str,
    *,
    strength: float | None = None,
    max_iter: int = 1000,
    scale: bool = True,
    hidden: str | tuple[int, ...] = (16,),
    depth: int = 4,
    trees: int = 8,
) -> Any:
    """An unfitted estimator of ``family`` (in a pipeline after ``StandardScaler`` if ``scale``).

    ``hidden`` shapes an MLP, ``depth`` a tree or forest, ``trees`` a forest.
    """
    if family not in FAMILIES:
        raise InputError(f"Unknown model family {family!r}; choose one of {', '.join(FAMILIES)}.")
    spec = FAMILIES[family]
    params: dict[str, Any] = dict(spec.fixed)
    if spec.knob is not None:
        value = spec.default if strength is None else float(strength)
        if not value > 0:
            raise InputError(f"{spec.knob} must be positive (got {strength}).")
        params[spec.knob] = value
    if spec.iterations:
        if max_iter < 1:
            raise InputError(f"The iteration budget must be at least 1 (got {max_iter}).")
        params["max_iter"] = int(max_iter)
    if spec.shape == "hidden":
        params["hidden_layer_sizes"] = hidden_layers(hidden)
    if spec.shape in ("depth", "forest"):
        params["max_depth"] = whole_number(depth, "tree depth", low=1, high=MAX_DEPTH)
    if spec.shape == "forest":
        params["n_estimators"] = whole_number(trees, "number of trees", low=1, high=MAX_TREES)
    estimator = spec.factory(**params)
    return make_pipeline(StandardScaler(), estimator) if scale else estimator


@dataclass(frozen=True)
class TrainingRun:
    """A model fitted on all training data, and how it did on a held-out part of it."""

    estimator: Any
    metric: str
    score: float
    validation_rows: int
    matrix: np.ndarray | None
    labels: list[Any]
    predicted: np.ndarray
    actual: np.ndarray
    converged: bool


def train(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    family: str,
    task: str,
    strength: float | None = None,
    max_iter: int = 1000,
    scale: bool = True,
    validation: float = 0.25,
    seed: int = 0,
    **shape: Any,
) -> TrainingRun:
    """Validate ``family`` on a held-out ``validation`` share, then fit it on all of ``X``.

    ``shape``: ``hidden``, ``depth``, ``trees`` as :func:`make_estimator` takes them.
    """
    if not 0 < validation < 1:
        raise InputError(f"The validation share must be between 0 and 1 (got {validation}).")
    stratify = y if task == "classification" and y.value_counts().min() >= 2 else None
    X_fit, X_val, y_fit, y_val = train_test_split(
        X, y, test_size=validation, random_state=seed, stratify=stratify
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        options = dict(strength=strength, max_iter=max_iter, scale=scale, **shape)
        probe = make_estimator(family, **options)
        predicted = np.asarray(probe.fit(X_fit, y_fit).predict(X_val))
        final = make_estimator(family, **options)
        final.fit(X, y)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    actual = np.asarray(y_val)
    if task == "classification":
        labels = sorted(pd.unique(y))
        matrix = confusion_matrix(actual, predicted, labels=labels)
        score, metric = float(accuracy_score(actual, predicted)), "accuracy"
    else:
        labels, matrix = [], None
        score, metric = float(r2_score(actual, predicted)), "R²"
    return TrainingRun(final, metric, score, len(actual), matrix, labels, predicted, actual,
                       converged)  # fmt: skip


def validation_chart(run: TrainingRun) -> bytes:
    """A confusion matrix (classification) or predicted-vs-actual plot (regression), as PNG."""
    figure = Figure(figsize=(3.6, 3.0))
    axes = figure.subplots()
    if run.matrix is not None:
        axes.imshow(run.matrix, cmap="Blues")
        ticks = range(len(run.labels))
        axes.set_xticks(ticks, [str(label) for label in run.labels])
        axes.set_yticks(ticks, [str(label) for label in run.labels])
        high = run.matrix.max() / 2 if run.matrix.size else 0
        for (row, column), count in np.ndenumerate(run.matrix):
            color = "white" if count > high else "black"
            axes.text(column, row, str(count), ha="center", va="center", color=color)
        axes.set_xlabel("predicted")
        axes.set_ylabel("actual")
        axes.set_title(f"validation accuracy {run.score:.3f}", fontsize=9)
    else:
        axes.scatter(run.actual, run.predicted, s=8, alpha=0.7)
        low, high = (
            float(min(run.actual.min(), run.predicted.min())),
            float(max(run.actual.max(), run.predicted.max())),
        )
        axes.plot([low, high], [low, high], color="#999", linewidth=1)
        axes.set_xlabel("actual")
        axes.set_ylabel("predicted")
        mse = mean_squared_error(run.actual, run.predicted)
        axes.set_title(f"validation R² {run.score:.3f}, MSE {mse:,.1f}", fontsize=9)
    return png(figure)
