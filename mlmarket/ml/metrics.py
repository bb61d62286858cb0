"""Ranking metrics, exactly as the Competition contract computes them.

A competition's creator picks one of :data:`METRICS`; the contract keeps an integer
score per submission and ranks by it. Where a ratio is involved the score is fixed
point with 64 fractional bits, each per-class term rounded down, so comparisons are
exact and defined (comparing sums of K exact fractions would overflow 256 bits):

=====================  ==============  ===========================================  ======
metric                 task            score                                        better
=====================  ==============  ===========================================  ======
``accuracy``           classification  correct predictions                          higher
``balanced_accuracy``  2..32 classes   Σ_c, support_c > 0: ⌊tp_c·2^64 / support_c⌋  higher
``macro_f1``           2..32 classes   Σ_c ⌊2·tp_c·2^64 / (support_c + predicted_c)⌋  higher
``mse``                regression      Σ (ŷ − y)², label fixed point                lower
``mae``                regression      Σ |ŷ − y|, label fixed point                 lower
=====================  ==============  ===========================================  ======

(a macro-F1 term is 0 for a class neither present nor predicted). :func:`metric_value`
turns a score into the familiar number: within K·2^-64 of
``sklearn.metrics.balanced_accuracy_score`` and ``f1_score(labels=range(K),
average="macro", zero_division=0)``.

Example:
    >>> labels, predictions = [0, 0, 0, 1], [0, 0, 1, 1]
    >>> metric_score("accuracy", labels, predictions, classes=2)
    3
    >>> score = metric_score("balanced_accuracy", labels, predictions, classes=2)
    >>> score == 2**64 * 2 // 3 + 2**64
    True
    >>> round(metric_value("balanced_accuracy", score, labels=labels, classes=2), 6)
    0.833333
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from mlmarket.errors import ConfigurationError, DataValidationError

__all__ = [
    "LOWER_IS_BETTER",
    "MAX_METRIC_CLASSES",
    "METRICS",
    "ONE",
    "PER_CLASS",
    "baseline",
    "beats_threshold",
    "check_metric",
    "class_counts",
    "default_metric",
    "metric_code",
    "metric_label",
    "metric_name",
    "metric_score",
    "metric_value",
    "score_from_counts",
    "threshold_score",
]

METRICS: tuple[str, ...] = ("accuracy", "mse", "balanced_accuracy", "macro_f1", "mae")
"""Metric names, indexed by the contract's ``ICompetition.Metric`` value."""

CLASSIFICATION = frozenset({"accuracy", "balanced_accuracy", "macro_f1"})
REGRESSION = frozenset({"mse", "mae"})
PER_CLASS = frozenset({"balanced_accuracy", "macro_f1"})
"""Metrics that keep two counts per class and submission on chain."""
LOWER_IS_BETTER = frozenset({"mse", "mae"})
MAX_METRIC_CLASSES = 32
"""Most classes a per-class metric accepts (``Competition.MAX_METRIC_CLASSES``)."""
ONE = 1 << 64
"""1.0 in the per-class metrics' fixed point."""

_LABELS = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "macro_f1": "macro F1",
    "mse": "MSE",
    "mae": "MAE",
}


def metric_code(name: str) -> int:
    """The contract's ``Metric`` value of ``name``."""
    if name not in METRICS:
        raise ConfigurationError(
            f"Unknown metric {name!r}; choose one of {', '.join(repr(m) for m in METRICS)}."
        )
    return METRICS.index(name)


def metric_name(code: int) -> str:
    """The name of the contract's ``Metric`` value ``code``."""
    if not 0 <= code < len(METRICS):
        raise ConfigurationError(f"Unknown on-chain metric {code}; this package knows 0..4.")
    return METRICS[code]


def metric_label(name: str) -> str:
    """How tables and plots name a metric ("balanced accuracy", "MSE", ...)."""
    return _LABELS[name]


def default_metric(classes: int) -> str:
    """``"accuracy"`` for classification, ``"mse"`` for regression (``classes == 0``)."""
    return "accuracy" if classes else "mse"


def check_metric(name: str, classes: int) -> None:
    """Raise :class:`ConfigurationError` unless ``name`` suits a task of ``classes`` classes.

    Example:
        >>> check_metric("macro_f1", 40)
        Traceback (most recent call last):
        ...
        mlmarket.errors.ConfigurationError: 'macro_f1' keeps two counts per class on chain, ...
    """
    metric_code(name)
    if classes == 0 and name not in REGRESSION:
        raise ConfigurationError(
            f"{name!r} ranks classifiers, but this target is a regression: use 'mse' or 'mae'."
        )
    if classes != 0 and name not in CLASSIFICATION:
        raise ConfigurationError(
            f"{name!r} ranks regressions, but this target has {classes} classes: use "
            "'accuracy', 'balanced_accuracy' or 'macro_f1'."
        )
    if name in PER_CLASS and classes > MAX_METRIC_CLASSES:
        raise ConfigurationError(
            f"{name!r} keeps two counts per class on chain, for at most {MAX_METRIC_CLASSES} "
            f"classes; this target has {classes}. Use 'accuracy', or merge rare classes."
        )


def class_counts(
    labels: npt.ArrayLike, predictions: npt.ArrayLike, classes: int
) -> tuple[list[int], list[int], list[int]]:
    """``(support, tp, predicted)`` per class: rows labelled c, labelled and predicted c,
    predicted c (what ``IEvaluator.tallyBatch`` returns, summed over chunks)."""
    y = np.asarray(labels, dtype=np.int64).ravel()
    p = np.asarray(predictions, dtype=np.int64).ravel()
    if y.shape != p.shape:
        raise DataValidationError(f"{y.size} labels but {p.size} predictions.")
    support = np.bincount(y, minlength=classes)[:classes]
    predicted = np.bincount(p, minlength=classes)[:classes]
    tp = np.bincount(y[y == p], minlength=classes)[:classes]
    return [int(v) for v in support], [int(v) for v in tp], [int(v) for v in predicted]


def score_from_counts(
    name: str, support: Sequence[int], tp: Sequence[int], predicted: Sequence[int]
) -> int:
    """A per-class metric's on-chain score from its counts (see the module table)."""
    if name == "balanced_accuracy":
        return sum((t << 64) // s for s, t in zip(support, tp, strict=True) if s)
    if name == "macro_f1":
        return sum(
            (t << 65) // (s + p) for s, t, p in zip(support, tp, predicted, strict=True) if s + p
        )
    if name == "accuracy":
        return sum(tp)
    raise ConfigurationError(f"{name!r} is not computed from class counts.")


def metric_score(
    name: str, labels: npt.ArrayLike, predictions: npt.ArrayLike, *, classes: int
) -> int:
    """The contract's score of ``predictions`` against ``labels`` (integers: class indices,
    or regression values in the label's fixed point)."""
    if name in REGRESSION:
        y = [int(v) for v in np.asarray(labels).ravel()]
        p = [int(v) for v in np.asarray(predictions).ravel()]
        if len(y) != len(p):
            raise DataValidationError(f"{len(y)} labels but {len(p)} predictions.")
        if name == "mse":
            return sum((a - b) ** 2 for a, b in zip(p, y, strict=True))
        return sum(abs(a - b) for a, b in zip(p, y, strict=True))
    return score_from_counts(name, *class_counts(labels, predictions, classes))


def metric_value(
    name: str, score: int, *, labels: npt.ArrayLike | None = None, rows: int | None = None,
    classes: int = 0, label_shift: int = 0,
) -> float:  # fmt: skip
    """A score as the familiar number: accuracy, balanced accuracy and macro F1 in [0, 1],
    MSE and MAE in the target's units (``label_shift``: the label's fixed-point shift).

    ``rows`` (or ``labels``) is needed for accuracy, MSE and MAE; balanced accuracy
    divides by the number of classes present in ``labels``, macro F1 by ``classes``.
    """
    if name == "macro_f1":
        return score / ONE / classes
    if name == "balanced_accuracy":
        if labels is None:
            raise ConfigurationError("Balanced accuracy needs the labels (classes present).")
        present = len(np.unique(np.asarray(labels, dtype=np.int64)))
        return score / ONE / present
    if rows is None:
        if labels is None:
            raise ConfigurationError(f"{name} needs the number of rows.")
        rows = int(np.asarray(labels).size)
    if name == "accuracy":
        return score / rows
    scale = 4**label_shift if name == "mse" else 2**label_shift
    return score / rows / scale


def _scale(name: str, rows: int, present: int, classes: int, label_shift: int) -> int:
    """What a metric's value is multiplied by to give the contract's score (exactly)."""
    if name == "accuracy":
        return rows
    if name == "balanced_accuracy":
        return present * ONE
    if name == "macro_f1":
        return classes * ONE
    return rows * (4**label_shift if name == "mse" else 2**label_shift)


def threshold_score(
    name: str, value: float | Decimal | Fraction | str | int, *, labels: npt.ArrayLike,
    classes: int = 0, label_shift: int = 0,
) -> int:  # fmt: skip
    """A threshold in the metric's familiar units (0.8 accuracy, 0.75 macro F1, an MSE in
    the target's units) as the contract's score threshold over the rows of ``labels``, so
    that a score beats it on chain (strictly: ``score > T``, or ``score < T`` for the error
    sums) exactly when the score's value beats ``value`` (a float is taken as written:
    ``0.8`` is 4/5). Raises :class:`ConfigurationError` for a value no score can beat or
    every score beats.

    Example:
        >>> labels = [0, 1] * 25                     # 50 rows, both classes present
        >>> threshold_score("accuracy", 0.8, labels=labels, classes=2)  # beat: 41+ correct
        40
        >>> threshold_score("balanced_accuracy", 0.5, labels=labels, classes=2) == ONE
        True
        >>> threshold_score("mse", 0.25, labels=[0, 0], label_shift=1)  # 0.25 * 2 rows * 4
        2
    """
    if isinstance(value, bool) or not isinstance(value, float | Decimal | Fraction | str | int):
        raise ConfigurationError(f"A metric threshold is a number, not {value!r}.")
    try:
        exact = Fraction(str(value)) if isinstance(value, float | Decimal) else Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise ConfigurationError(f"A metric threshold is a number, not {value!r}.") from None
    metric_code(name)
    lower = name in LOWER_IS_BETTER
    if lower and exact <= 0:
        raise ConfigurationError(
            f"No {metric_label(name)} is below {value}: give a threshold above 0."
        )
    if not lower and not 0 <= exact < 1:
        raise ConfigurationError(
            f"A {metric_label(name)} threshold is from 0 up to (not including) 1, so that a "
            f"model can beat it; got {value}."
        )
    y = np.asarray(labels, dtype=np.int64).ravel()
    present = len(np.unique(y))
    scaled = exact * _scale(name, int(y.size), present, classes, label_shift)
    # An integer score s beats x (s > x) iff s > floor(x); it is below x iff s < ceil(x).
    return math.ceil(scaled) if lower else math.floor(scaled)


def beats_threshold(name: str, score: int, threshold: int) -> bool:
    """Whether a contract ``score`` beats a contract ``threshold`` (strictly, in the metric's
    direction), as ``Competition`` judges a performance stake.

    Example:
        >>> beats_threshold("accuracy", 41, 40), beats_threshold("mse", 2, 2)
        (True, False)
    """
    return score < threshold if name in LOWER_IS_BETTER else score > threshold


def baseline(name: str, labels: npt.ArrayLike, classes: int) -> int:
    """The best score a constant prediction reaches on ``labels``, in the metric's units
    (a competition's ``trainingBaseline``: after a default only models strictly better
    than it take a place).

    Example:
        >>> baseline("accuracy", [0, 1, 1, 2], 3)
        2
        >>> baseline("balanced_accuracy", [0, 1, 1, 2], 3) == ONE  # one class fully right
        True
        >>> baseline("mae", [0, 10, 11], 0)  # the median, 10: 10 + 0 + 1
        11
    """
    values = [int(v) for v in np.asarray(labels).ravel()]
    if not values:
        raise DataValidationError("A baseline needs at least one label.")
    if name == "accuracy":
        return max(values.count(c) for c in range(classes))
    if name == "balanced_accuracy":
        return ONE  # the one class predicted everywhere has recall 1, the others 0
    if name == "macro_f1":
        n = len(values)
        return max(((s := values.count(c)) << 65) // (s + n) for c in range(classes))
    ordered = sorted(values)
    if name == "mse":
        low = sum(values) // len(values)
        return min(sum((v - c) ** 2 for v in values) for c in (low, low + 1))
    if name == "mae":
        median = ordered[len(ordered) // 2]
        return sum(abs(v - median) for v in values)
    raise ConfigurationError(f"Unknown metric {name!r}.")


def describe(name: str) -> dict[str, Any]:
    """What the form and docs say about a metric: label, task, direction."""
    return {
        "metric": name,
        "label": metric_label(name),
        "task": "regression" if name in REGRESSION else "classification",
        "better": "lower" if name in LOWER_IS_BETTER else "higher",
        "per_class": name in PER_CLASS,
    }
