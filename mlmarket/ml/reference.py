"""The reference evaluator: exactly the integers the evaluators' ``scoreBatch`` and
``tallyBatch`` return.

Arithmetic of the linear family follows :mod:`mlmarket.ml.fixedpoint`:
``acc = bias + sum_j W_j q_j`` (exact: the int64 matrix product is bounded by ``2**50``,
biases are added as Python ints); classification predicts ``argmax_k acc_k`` with the
lowest index winning ties, or with a single output class 1 iff ``acc > 0``; regression
predicts ``(acc + 2**shift / 2) >> shift``. The other families predict in
:mod:`mlmarket.ml.mlp` and :mod:`mlmarket.ml.tree`.

Scoring is the same for every family (``EvaluatorChunks.sol``): ``scoreBatch`` counts the
correct predictions (classification) or sums the squared errors (regression);
``tallyBatch`` counts per class (``support``, true positives and predictions per class,
for balanced accuracy or macro F1) or sums the squared and absolute errors
(:func:`tally_batch`, docs/formats.md "Tallies").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from mlmarket.errors import DataValidationError
from mlmarket.ml.formats import Chunk, LinearParams, decode_chunk, decode_model

if TYPE_CHECKING:
    from mlmarket.ml.model import ExportedModel

__all__ = [
    "Agreement",
    "agreement",
    "linear_scores",
    "predict_batch",
    "predict_quantised",
    "score_batch",
    "score_chunk",
    "tally",
    "tally_batch",
]

_INT64_SAFE_BIAS = 2**61  # |bias| below this keeps acc + rounding term inside int64


def linear_scores(Xq: npt.ArrayLike, params: LinearParams) -> npt.NDArray[Any]:
    """``acc[r, k] = biases[k] + sum_j weights[k, j] * Xq[r, j]``, exact.

    Returns int64 when every bias is below ``2**61`` (then ``|acc| < 2**62``),
    otherwise Python ints in an object array.
    """
    matrix = np.asarray(Xq)
    if matrix.ndim != 2 or matrix.shape[1] != params.features:
        raise DataValidationError(
            f"X has {matrix.shape[-1] if matrix.ndim else 0} features, but the model is "
            f"expecting {params.features} features as input."
        )
    if matrix.size and (matrix.min() < -128 or matrix.max() > 127):
        raise DataValidationError("Quantised features must be int8 (-128..127).")
    dot = matrix.astype(np.int64) @ params.weights.T.astype(np.int64)  # |dot| <= 2**50
    if all(abs(b) < _INT64_SAFE_BIAS for b in params.biases):
        return dot + np.asarray(params.biases, dtype=np.int64)
    return dot.astype(object) + np.asarray(params.biases, dtype=object)


def predict_quantised(Xq: npt.ArrayLike, params: LinearParams) -> npt.NDArray[Any]:
    """Class indices (classification) or fixed-point predictions (regression).

    Example:
        >>> from mlmarket.ml.formats import LinearParams
        >>> p = LinearParams(0, 3, np.array([[1, 0], [0, 1], [1, 1]]), (0, 0, -1), 1, 1, 0)
        >>> predict_quantised([[2, 2], [0, 0], [-1, 3]], p).tolist()  # ties -> lowest index
        [2, 0, 1]
    """
    scores = linear_scores(Xq, params)
    if params.classes == 0:
        half = (1 << params.shift) >> 1
        return (scores[:, 0] + half) >> params.shift
    if params.outputs == 1:
        return (scores[:, 0] > 0).astype(np.int64)
    return np.argmax(scores, axis=1).astype(np.int64)  # first maximum: lowest index wins


def _value(predictions: npt.NDArray[Any], labels: npt.NDArray[np.int64], classes: int) -> int:
    """``scoreBatch``'s value: correct predictions, or the sum of squared errors."""
    if classes != 0:
        return int(np.count_nonzero(predictions.astype(np.int64) == labels))
    errors = predictions.astype(object) - labels.astype(object)
    return int(sum(e * e for e in errors.tolist()))


def tally(predictions: npt.ArrayLike, labels: npt.ArrayLike, classes: int) -> list[int]:
    """One model's ``tallyBatch`` counts from its predictions on a chunk's labels.

    Classification (``classes = K >= 2``): ``[correct, tp_0 .. tp_{K-1}, predicted_0 ..
    predicted_{K-1}]``, where ``tp_c`` counts the rows of class ``c`` predicted ``c`` and
    ``predicted_c`` the rows predicted ``c``. Regression (``classes == 0``): ``[sse, sae]``,
    the sums of squared and absolute errors in the label's fixed-point scale.

    Example:
        >>> tally([0, 1, 1, 2], [0, 1, 2, 2], 3)
        [3, 1, 1, 1, 1, 2, 1]
        >>> tally([5, -3], [2, 1], 0)
        [25, 7]
    """
    predicted = np.asarray(predictions)
    truth = np.asarray(labels)
    if classes == 0:
        errors = [int(p) - int(y) for p, y in zip(predicted.tolist(), truth.tolist(), strict=True)]
        return [sum(e * e for e in errors), sum(abs(e) for e in errors)]
    p = predicted.astype(np.int64)
    y = truth.astype(np.int64)
    hits = p == y
    tp = np.bincount(y[hits], minlength=classes)
    counts = np.bincount(p, minlength=classes)
    return [int(hits.sum()), *(int(v) for v in tp), *(int(v) for v in counts)]


def _support(labels: npt.ArrayLike, classes: int) -> list[int]:
    """``tallyBatch``'s ``support``: rows per class (classification), empty for regression."""
    if classes == 0:
        return []
    return [int(v) for v in np.bincount(np.asarray(labels, dtype=np.int64), minlength=classes)]


def _family_byte(models: Sequence[bytes]) -> str:
    if models and len(models[0]) > 4 and models[0][:3] == b"MLM":
        return {2: "mlp", 3: "tree"}.get(models[0][4], "linear")
    return "linear"


def predict_batch(
    chunk: bytes,
    models: Sequence[bytes],
    features: int,
    classes: int,
    *,
    family: str = "linear",
) -> tuple[Chunk, list[npt.NDArray[Any]]]:
    """The decoded chunk and every model's predictions on its rows, checked as the family's
    evaluator checks them (arguments and chunk first, then the models in order), or its
    :class:`~mlmarket.ml.formats.FormatError`. ``family`` picks the evaluator
    (``"linear"``, ``"mlp"``, ``"tree"``): each rejects the others' models, and so does this.

    Example:
        >>> from mlmarket.ml.formats import LinearParams, encode_chunk, encode_model
        >>> chunk = encode_chunk([[3, -1], [-2, 5]], [1, 0], regression=False)
        >>> model = encode_model(LinearParams(0, 2, np.array([[1, 1]]), (0,), 1, 1, 0))
        >>> decoded, predictions = predict_batch(chunk, [model], 2, 2)
        >>> decoded.labels.tolist(), predictions[0].tolist()
        ([1, 0], [1, 1])
    """
    decoded = decode_chunk(chunk, features, classes)
    if family == "mlp":
        from mlmarket.ml.mlp import decode_mlp, predict_mlp

        return decoded, [
            predict_mlp(decoded.features, decode_mlp(m, features, classes, i))
            for i, m in enumerate(models)
        ]
    if family == "tree":
        from mlmarket.ml.tree import decode_tree, predict_tree

        return decoded, [
            predict_tree(decoded.features, decode_tree(m, features, classes, i))
            for i, m in enumerate(models)
        ]
    if family != "linear":
        raise DataValidationError(f"Unknown model family {family!r}; known: linear, mlp, tree.")
    params: list[LinearParams] = [
        decode_model(m, features, classes, i) for i, m in enumerate(models)
    ]
    return decoded, [predict_quantised(decoded.features, p) for p in params]


def score_batch(
    chunk: bytes,
    models: Sequence[bytes],
    features: int,
    classes: int,
    *,
    family: str = "linear",
) -> tuple[int, list[int]]:
    """What ``scoreBatch(chunk, models, features, classes)`` returns, or its error.

    Malformed input raises :class:`~mlmarket.ml.formats.FormatError` with the
    contract's error name: arguments and chunk first, then the models in order.
    ``family`` picks the evaluator (``"linear"``, ``"mlp"``, ``"tree"``): each family's
    contract rejects the others' models, and so does this.
    """
    decoded, predictions = predict_batch(chunk, models, features, classes, family=family)
    return decoded.rows, [_value(p, decoded.labels, classes) for p in predictions]


def tally_batch(
    chunk: bytes,
    models: Sequence[bytes],
    features: int,
    classes: int,
    *,
    family: str = "linear",
) -> tuple[int, list[int], list[list[int]]]:
    """What ``tallyBatch(chunk, models, features, classes)`` returns: ``(rows, support,
    tallies)``, or the same error as :func:`score_batch`.

    ``support[c]`` counts the rows labelled ``c`` (empty for regression) and ``tallies[i]``
    is :func:`tally` of model ``i``'s predictions. Balanced accuracy is the mean over the
    classes of ``tp_c / support_c``, macro F1 the mean of ``2 tp_c / (support_c +
    predicted_c)``; a regression's mean absolute error is ``sae / rows``.

    Example:
        >>> from mlmarket.ml.formats import LinearParams, encode_chunk, encode_model
        >>> chunk = encode_chunk([[3, -1], [-2, 5], [-4, 1]], [1, 0, 0], regression=False)
        >>> model = encode_model(LinearParams(0, 2, np.array([[1, 1]]), (0,), 1, 1, 0))
        >>> tally_batch(chunk, [model], features=2, classes=2)
        (3, [2, 1], [[2, 1, 1, 1, 2]])
    """
    decoded, predictions = predict_batch(chunk, models, features, classes, family=family)
    return (
        decoded.rows,
        _support(decoded.labels, classes),
        [tally(p, decoded.labels, classes) for p in predictions],
    )


def score_chunk(
    chunk: bytes, model: bytes, features: int, classes: int, *, family: str | None = None
) -> tuple[int, int]:
    """``(rows, value)`` of one model on one chunk, exactly as the contract computes it.

    ``family`` defaults to the model's family byte (``"mlp"`` for 2, ``"tree"`` for 3,
    else ``"linear"``). ``value`` is the number of correct predictions (``classes >= 2``)
    or the sum of squared errors in the label's fixed-point scale (``classes == 0``).

    Example:
        >>> from mlmarket.ml.formats import LinearParams, encode_chunk, encode_model
        >>> chunk = encode_chunk([[3, -1], [-2, 5]], [1, 0], regression=False)
        >>> model = encode_model(LinearParams(0, 2, np.array([[1, 1]]), (0,), 1, 1, 0))
        >>> score_chunk(chunk, model, features=2, classes=2)
        (2, 1)
    """
    rows, values = score_batch(
        chunk, [model], features, classes, family=family or _family_byte([model])
    )
    return rows, values[0]


@dataclass(frozen=True)
class Agreement:
    """How closely an exported model reproduces its float estimator on some data.

    ``identical`` is the fraction of equal predictions (classification);
    ``max_abs_diff`` / ``mean_abs_diff`` compare regression outputs in label units.
    ``float_score`` / ``exported_score`` are accuracy (classification) or R²
    (regression) against true labels, when given.
    """

    task: str
    rows: int
    identical: float | None
    max_abs_diff: float | None
    mean_abs_diff: float | None
    float_score: float | None
    exported_score: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def agreement(estimator: Any, exported: ExportedModel, X: Any, y: Any = None) -> Agreement:
    """Compare ``exported.predict(X)`` with ``estimator.predict(X)`` (and with ``y``).

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import LogisticRegression
        >>> from mlmarket.ml import Quantizer, export
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = LogisticRegression(max_iter=1000).fit(X, y)
        >>> report = agreement(clf, export(clf, Quantizer.fit(X, y)), X, y)
        >>> report.identical >= 0.95
        True
    """
    expected = np.asarray(estimator.predict(X))
    got = np.asarray(exported.predict(X))
    rows = int(expected.shape[0])
    if exported.task == "classification":
        same = float(np.mean(expected.astype(object) == got.astype(object)))
        scores = _scores(y, expected, got, classification=True)
        return Agreement("classification", rows, same, None, None, *scores)
    diff = np.abs(expected.astype(np.float64) - got.astype(np.float64))
    scores = _scores(y, expected, got, classification=False)
    return Agreement("regression", rows, None, float(diff.max()), float(diff.mean()), *scores)


def _scores(
    y: Any, expected: npt.NDArray[Any], got: npt.NDArray[Any], *, classification: bool
) -> tuple[float | None, float | None]:
    if y is None:
        return None, None
    from sklearn.metrics import accuracy_score, r2_score

    truth = np.asarray(y)
    if classification:
        return float(accuracy_score(truth, expected)), float(
            np.mean(truth.astype(object) == got.astype(object))
        )
    return float(r2_score(truth, expected)), float(r2_score(truth, got.astype(np.float64)))
