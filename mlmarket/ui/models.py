"""Model families the train & submit panel offers, and one training run with validation.

Only linear models: they are what the on-chain evaluator scores (see
:mod:`mlmarket.ml.export`). Each family has at most one regularisation knob
(``C`` or ``alpha``) besides the iteration budget and feature scaling.

Example:
    >>> from mlmarket.datasets import load_sample
    >>> data = load_sample("iris")
    >>> X, y = data.drop(columns="species"), data["species"]
    >>> run = train(X, y, family="LogisticRegression", task="classification")
    >>> run.metric, run.score > 0.8, run.matrix.shape
    ('accuracy', True, (3, 3))
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
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
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from mlmarket.ui.base import InputError
from mlmarket.ui.render import png


@dataclass(frozen=True)
class Family:
    """A model family: its class, its knob (``C``/``alpha`` or None) and the knob's default."""

    name: str
    factory: type
    knob: str | None
    default: float
    iterations: bool
    fixed: tuple[tuple[str, Any], ...] = ()


CLASSIFIERS = {
    f.name: f
    for f in (
        Family("LogisticRegression", LogisticRegression, "C", 1.0, True),
        Family("LinearSVC", LinearSVC, "C", 1.0, True, (("random_state", 0),)),
        Family("RidgeClassifier", RidgeClassifier, "alpha", 1.0, False),
        Family("Perceptron", Perceptron, "alpha", 1e-4, True,
               (("penalty", "l2"), ("random_state", 0))),
        Family("SGDClassifier", SGDClassifier, "alpha", 1e-4, True, (("random_state", 0),)),
    )
}  # fmt: skip
REGRESSORS = {
    f.name: f
    for f in (
        Family("LinearRegression", LinearRegression, None, 0.0, False),
        Family("Ridge", Ridge, "alpha", 1.0, False),
        Family("Lasso", Lasso, "alpha", 1.0, True),
    )
}
FAMILIES = {**CLASSIFIERS, **REGRESSORS}


def families(task: str) -> list[str]:
    """The family names for ``"classification"`` or ``"regression"``."""
    return list(REGRESSORS if task == "regression" else CLASSIFIERS)


def make_estimator(
    family: str, *, strength: float | None = None, max_iter: int = 1000, scale: bool = True
) -> Any:
    """An unfitted estimator of ``family`` (in a pipeline after ``StandardScaler`` if ``scale``)."""
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
) -> TrainingRun:
    """Validate ``family`` on a held-out ``validation`` share, then fit it on all of ``X``."""
    if not 0 < validation < 1:
        raise InputError(f"The validation share must be between 0 and 1 (got {validation}).")
    stratify = y if task == "classification" and y.value_counts().min() >= 2 else None
    X_fit, X_val, y_fit, y_val = train_test_split(
        X, y, test_size=validation, random_state=seed, stratify=stratify
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        probe = make_estimator(family, strength=strength, max_iter=max_iter, scale=scale)
        predicted = np.asarray(probe.fit(X_fit, y_fit).predict(X_val))
        final = make_estimator(family, strength=strength, max_iter=max_iter, scale=scale)
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
