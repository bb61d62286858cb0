"""The scikit-learn models agents train, fitted once per model, data and seed.

A sweep repeats the same fits many times (the same participant, the same training rows,
the same seed in every subset of parameters that does not touch them), so fits are
cached in each process: the key is the model's kind and settings, a fingerprint of the
training frame and the seed. A cached estimator is shared, never refitted or changed
(``submit`` only reads it). ``FIT_SECONDS`` counts the time spent fitting, for the
benchmarks.

A fit draws its rows as ``DataFrame.sample(frac=fraction, random_state=seed)`` would, from
the frame's values taken once per frame object (a pandas ``sample`` and ``drop`` per fit
cost as much as a fifth of a small fit), and fits on those values: the fitted pipeline
equals one fitted on the frame, feature names included (tested).

Example:
    >>> from mlmarket.datasets import load_sample
    >>> frame = load_sample("breast_cancer")
    >>> a = fit_model("logistic", frame, "diagnosis", 1.0, 0.8, seed=3)
    >>> a is fit_model("logistic", frame, "diagnosis", 1.0, 0.8, seed=3)
    True
"""

from __future__ import annotations

import hashlib
import time
import warnings
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Perceptron, RidgeClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from mlmarket.chain.plans import KeptById
from mlmarket.errors import ConfigurationError

__all__ = [
    "FIT_SECONDS", "MODELS", "clear_cache", "fingerprint", "fit_model", "junk_model",
    "training_rows",
]  # fmt: skip

MODELS = {
    "logistic": lambda C: LogisticRegression(C=C, max_iter=2_000),
    "svm": lambda C: LinearSVC(C=C),
    "perceptron": lambda C: Perceptron(alpha=1e-4 / C, random_state=0),
    "ridge": lambda C: RidgeClassifier(alpha=1.0 / C),
}
"""What a participant may train: each a linear classifier after standard scaling."""

CACHE_SIZE = 512
_CACHE: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_FINGERPRINTS = KeptById(16)  # by frame object
_ARRAYS = KeptById(16)  # by frame object and target: (features, X values, y values)
FIT_SECONDS = [0.0]
"""Seconds this process spent in scikit-learn fits (a one-element list, mutable)."""


def fingerprint(frame: pd.DataFrame) -> str:
    """A short hash of a frame's values and index (the cache key's data part).

    Hashing the training rows costs about as much as a fit is worth caching, so each
    frame object is hashed once: the runs of a worker share its read-only split. A frame
    changed in place after its first fit would keep its old fingerprint: copy it instead.
    """

    def digest() -> str:
        hashed = pd.util.hash_pandas_object(frame, index=True).to_numpy()
        columns = str(list(frame.columns)).encode()
        return hashlib.blake2b(hashed.tobytes() + columns, digest_size=12).hexdigest()

    return str(_FINGERPRINTS.get((frame,), digest))


def _cached(key: tuple[Any, ...], fit: Any) -> Any:
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    start = time.perf_counter()
    estimator = fit()
    FIT_SECONDS[0] += time.perf_counter() - start
    _CACHE[key] = estimator
    if len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return estimator


def fit_model(
    kind: str, train: pd.DataFrame, target: str, C: float, fraction: float, seed: int
) -> Any:
    """A ``kind`` model fitted on a random ``fraction`` of ``train`` (rows drawn with ``seed``)."""
    if kind not in MODELS:
        raise ConfigurationError(f"Unknown model {kind!r}; choose one of: {', '.join(MODELS)}.")
    if not 0 < fraction <= 1:
        raise ConfigurationError(f"fraction must be in (0, 1], got {fraction}.")

    def fit() -> Any:
        features, X, y, _index = _rows(train, target, fraction, seed)
        return _fitted(make_pipeline(StandardScaler(), MODELS[kind](C)), features, X, y)

    return _cached((kind, C, fraction, seed, fingerprint(train), target), fit)


def training_rows(
    train: pd.DataFrame, target: str, fraction: float, seed: int
) -> tuple[pd.DataFrame, pd.Series]:
    """Features and target of the rows ``train.sample(frac=fraction, random_state=seed)``
    draws (all rows when ``fraction`` is 1), built from arrays taken once per frame."""
    features, X, y, index = _rows(train, target, fraction, seed)
    return (
        pd.DataFrame(X, columns=features, index=index, copy=False),
        pd.Series(y, index=index, name=target, copy=False),
    )


def _rows(
    train: pd.DataFrame, target: str, fraction: float, seed: int
) -> tuple[pd.Index, np.ndarray, np.ndarray, pd.Index]:
    """:func:`training_rows` as arrays: feature names, X (column-major), y and the index."""

    def arrays() -> tuple[pd.Index, np.ndarray, np.ndarray]:
        features = train.columns.drop(target)
        # column-major, as scikit-learn gets a frame's values: the same sums, bit for bit
        return features, np.asfortranarray(train[features].to_numpy()), train[target].to_numpy()

    features, X, y = _ARRAYS.get((train,), arrays, (target,))
    if fraction >= 1:
        return features, X, y, train.index
    n = len(train)  # pandas' own draw: RandomState(seed).choice(n, round(frac * n))
    rows = np.random.RandomState(seed).choice(n, size=round(fraction * n), replace=False)
    return features, np.asfortranarray(X[rows]), y[rows], train.index[rows]


def _fitted(pipeline: Pipeline, features: pd.Index, X: np.ndarray, y: np.ndarray) -> Pipeline:
    """``pipeline.fit(X, y)`` as fitted on a frame of ``X`` with columns ``features`` — the
    same numbers, bit for bit, and the column names as ``feature_names_in_`` — from the
    values: scikit-learn's checks of a frame's columns cost up to a third of a small fit.
    With ``assume_finite``: the rows are a worker's read-only split, checked when the
    creator published them."""
    with sklearn.config_context(assume_finite=True):
        pipeline.fit(X, y)
    pipeline[0].feature_names_in_ = np.asarray(features, dtype=object)  # as a frame sets it
    return pipeline


def junk_model(train: pd.DataFrame, target: str, seed: int) -> Any:
    """A logistic regression fitted on shuffled labels: a model worth nothing."""

    def fit() -> Any:
        features, X, labels, _index = _rows(train, target, 1.0, seed)
        y = np.random.default_rng(seed).permutation(labels)
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2_000))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # noise has no optimum: expected
            return _fitted(model, features, X, y)

    return _cached(("junk", seed, fingerprint(train), target), fit)


def clear_cache() -> None:
    """Forget every cached fit (and frame fingerprint) of this process."""
    _CACHE.clear()
    _FINGERPRINTS.clear()
    _ARRAYS.clear()
