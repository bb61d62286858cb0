"""Export fitted scikit-learn linear models into the on-chain linear-model format.

A linear model scores ``w . x + b`` on float features ``x``. The competition's
:class:`~mlmarket.ml.quantize.Quantizer` encodes ``x_j ~ center_j + step_j * q_j``,
and an optional leading ``StandardScaler`` computes ``z_j = (x_j - mean_j) / scale_j``;
both are affine, so they fold into the weights:

    ``score = sum_j (w_j / scale_j * step_j) q_j + b + sum_j w_j / scale_j (center_j - mean_j)``

The folded float weights ``V`` and biases ``c`` become integers by a positive
factor ``a`` and :func:`~mlmarket.ml.fixedpoint.round_half_up`:

* classification: argmax is invariant under ``a > 0``, so ``a`` maps ``max |V|`` onto
  the largest weight (``2**15 - 1`` for int16). Binary models (one coefficient row
  in scikit-learn) keep one output: class 1 iff the score is ``> 0``, as sklearn.
* regression: scores are first put in label units (times ``2**label_shift``), then
  ``a = 2**shift`` with the largest ``shift <= 63`` that fits; the contract divides
  by ``2**shift`` again, rounding half up.

The user's estimator is only read, never refitted or modified.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import (
    Lasso,
    LinearRegression,
    LogisticRegression,
    Perceptron,
    Ridge,
    RidgeClassifier,
    SGDClassifier,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from mlmarket.errors import DataValidationError, MlmarketError, UnsupportedModelError
from mlmarket.ml.fixedpoint import BIAS_BYTES, MAX_SHIFT, WEIGHT_BYTES, int_range, round_half_up
from mlmarket.ml.formats import TASK_CLASSIFICATION, TASK_REGRESSION, LinearParams
from mlmarket.ml.mlp_export import export_mlp
from mlmarket.ml.model import ExportedModel
from mlmarket.ml.quantize import Quantizer
from mlmarket.ml.tree_export import export_tree

__all__ = ["SUPPORTED", "SUPPORTED_FAMILIES", "ModelNotFittedError", "export", "family_of"]

CLASSIFIERS = (LogisticRegression, LinearSVC, SGDClassifier, Perceptron, RidgeClassifier)
REGRESSORS = (LinearRegression, Ridge, Lasso)
SUPPORTED = (
    ", ".join(c.__name__ for c in CLASSIFIERS + REGRESSORS)
    + ", and Pipeline([StandardScaler(), <one of those>])"
)
SUPPORTED_FAMILIES = {
    "linear": SUPPORTED,
    "mlp": "MLPClassifier, MLPRegressor (ReLU, 1 or 2 hidden layers), optionally after a "
    "StandardScaler",
    "tree": "DecisionTreeClassifier, DecisionTreeRegressor, RandomForestClassifier (few shallow "
    "trees), optionally after a StandardScaler",
}
BIAS_LIMIT = 2**62  # folded biases are kept below this; 8-byte biases hold them


class ModelNotFittedError(MlmarketError, NotFittedError):
    """The estimator (or a pipeline step) has not been fitted yet."""


def export(estimator: Any, quantizer: Quantizer, *, weight_bytes: int = 2) -> ExportedModel:
    """Export a fitted estimator for on-chain evaluation under ``quantizer``.

    Dispatches on the estimator's type (:func:`family_of`): MLPs go to the ``mlp``
    family (:mod:`mlmarket.ml.mlp`), trees and forests to the ``tree`` family
    (:mod:`mlmarket.ml.tree`), everything else to the ``linear`` family below.

    Supports LogisticRegression, LinearSVC, SGDClassifier, Perceptron and
    RidgeClassifier (binary and multi-class), LinearRegression, Ridge and Lasso,
    each optionally behind a StandardScaler in a Pipeline. ``weight_bytes`` (1..4)
    sets the weight precision; 2 (int16) agrees with float models on >= 95 % of
    predictions on the sklearn sample datasets (see ``docs/fixed-point.md``).

    Example:
        >>> from sklearn.datasets import load_breast_cancer
        >>> from sklearn.linear_model import RidgeClassifier
        >>> X, y = load_breast_cancer(return_X_y=True)
        >>> q = Quantizer.fit(X, y)
        >>> model = export(RidgeClassifier().fit(X, y), q)
        >>> model.outputs, model.features, model.classes
        (1, 30, 2)
    """
    family = family_of(estimator)
    if family == "mlp":
        params: Any = export_mlp(estimator, quantizer, check_fitted=_check_fitted)
        return ExportedModel(params, quantizer, source=_describe(estimator, _last(estimator)))
    if family == "tree":
        params = export_tree(estimator, quantizer, check_fitted=_check_fitted)
        return ExportedModel(params, quantizer, source=_describe(estimator, _last(estimator)))
    if weight_bytes not in WEIGHT_BYTES:
        raise DataValidationError(f"weight_bytes must be 1..4; got {weight_bytes}.")
    scaler, model = _unwrap(estimator)
    coef, intercept = _float_params(model)
    _check_compatible(model, coef, quantizer)
    if scaler is not None:
        coef, intercept = _fold_scaler(coef, intercept, scaler)
    folded, bias = _fold_quantizer(coef, intercept, quantizer)
    if quantizer.task == "classification":
        params = _integer_classifier(folded, bias, quantizer.n_classes, weight_bytes)
    else:
        params = _integer_regressor(folded, bias, weight_bytes)
    return ExportedModel(params, quantizer, source=_describe(estimator, model))


def _last(estimator: Any) -> Any:
    if isinstance(estimator, Pipeline):
        steps = [step for _, step in estimator.steps if step not in (None, "passthrough")]
        return steps[-1] if steps else estimator
    return estimator


def family_of(estimator: Any) -> str:
    """The model family that scores ``estimator``: ``"linear"``, ``"mlp"`` or ``"tree"``.

    Example:
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> family_of(DecisionTreeClassifier()), family_of(LogisticRegression())
        ('tree', 'linear')
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    model = _last(estimator)
    if isinstance(model, MLPClassifier | MLPRegressor):
        return "mlp"
    trees = (DecisionTreeClassifier, DecisionTreeRegressor, RandomForestClassifier)
    return "tree" if isinstance(model, trees) else "linear"


def _describe(estimator: Any, model: Any) -> str:
    name = type(model).__name__
    return f"Pipeline(StandardScaler, {name})" if estimator is not model else name


def _unsupported(what: str) -> UnsupportedModelError:
    others = "; ".join(
        f"the {f} evaluator {v}" for f, v in SUPPORTED_FAMILIES.items() if f != "linear"
    )
    return UnsupportedModelError(
        f"Cannot export {what}: the linear evaluator supports {SUPPORTED}; {others}."
    )


def _check_fitted(estimator: Any) -> None:
    try:
        check_is_fitted(estimator)
    except NotFittedError as exc:
        raise ModelNotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet; call fit() before "
            "exporting it."
        ) from exc


def _unwrap(estimator: Any) -> tuple[StandardScaler | None, Any]:
    """Split a supported estimator into (optional scaler, linear model); check fitted."""
    if isinstance(estimator, Pipeline):
        steps = [step for _, step in estimator.steps if step not in (None, "passthrough")]
        names = ", ".join(type(s).__name__ for s in steps)
        if (
            not steps
            or len(steps) > 2
            or (len(steps) == 2 and type(steps[0]) is not StandardScaler)
        ):
            raise _unsupported(f"Pipeline([{names}])")
        scaler, model = (steps[0], steps[1]) if len(steps) == 2 else (None, steps[0])
    else:
        scaler, model = None, estimator
    if not isinstance(model, CLASSIFIERS + REGRESSORS):
        raise _unsupported(type(model).__name__)
    for step in (scaler, model):
        if step is not None:
            _check_fitted(step)
    return scaler, model


def _float_params(model: Any) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Coefficients ``(outputs, features)`` and intercepts ``(outputs,)``, as copies."""
    if not hasattr(model, "coef_") or not hasattr(model, "intercept_"):
        raise _unsupported(f"{type(model).__name__} without coef_ and intercept_")
    coef = model.coef_
    coef = np.array(coef.toarray() if hasattr(coef, "toarray") else coef, dtype=np.float64)
    if isinstance(model, REGRESSORS):
        if coef.ndim == 2 and coef.shape[0] != 1:
            raise _unsupported(
                f"{type(model).__name__} with {coef.shape[0]} targets (one target only)"
            )
        coef = coef.reshape(1, -1)
    coef = np.atleast_2d(coef)
    intercept = np.asarray(model.intercept_, dtype=np.float64).reshape(-1)
    intercept = np.array(np.broadcast_to(intercept, (coef.shape[0],)), dtype=np.float64)
    if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))):
        raise DataValidationError(f"{type(model).__name__} has NaN or infinite coefficients.")
    return coef, intercept


def _check_compatible(model: Any, coef: npt.NDArray[np.float64], quantizer: Quantizer) -> None:
    name = type(model).__name__
    if coef.shape[1] != quantizer.features:
        raise DataValidationError(
            f"{name} has {coef.shape[1]} features, but the quantizer is expecting "
            f"{quantizer.features} features as input."
        )
    is_classifier = isinstance(model, CLASSIFIERS)
    if is_classifier != (quantizer.task == "classification"):
        raise DataValidationError(
            f"{name} is a {'classifier' if is_classifier else 'regressor'}, but the quantizer "
            f"is for {quantizer.task}."
        )
    if is_classifier:
        classes = [c.item() if isinstance(c, np.generic) else c for c in model.classes_]
        if classes != list(quantizer.classes):
            raise DataValidationError(
                f"{name} was fitted on classes {classes}, but the competition's classes are "
                f"{list(quantizer.classes)}; fit on data with every class."
            )
        expected_rows = 1 if len(classes) == 2 else len(classes)
        if coef.shape[0] != expected_rows:
            raise _unsupported(
                f"{name} with {coef.shape[0]} coefficient rows for {len(classes)} classes"
            )


def _fold_scaler(
    coef: npt.NDArray[np.float64], intercept: npt.NDArray[np.float64], scaler: StandardScaler
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Weights and biases on raw features for ``model(scaler(x))``."""
    scale = scaler.scale_ if scaler.scale_ is not None else np.ones(coef.shape[1])
    mean = scaler.mean_ if scaler.mean_ is not None else np.zeros(coef.shape[1])
    if len(scale) != coef.shape[1]:
        raise DataValidationError(
            f"The StandardScaler has {len(scale)} features, but the model has {coef.shape[1]}."
        )
    raw = coef / np.asarray(scale, dtype=np.float64)
    return raw, intercept - raw @ np.asarray(mean, dtype=np.float64)


def _fold_quantizer(
    coef: npt.NDArray[np.float64], intercept: npt.NDArray[np.float64], quantizer: Quantizer
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Weights per quantum and biases for ``x = center + step * q`` (label units)."""
    folded = coef * np.asarray(quantizer.step)
    bias = intercept + coef @ np.asarray(quantizer.center)
    if quantizer.task == "regression":
        unit = 2.0**quantizer.label_shift
        folded, bias = folded * unit, bias * unit
    return folded, bias


def _rounded(values: npt.NDArray[np.float64], factor: float) -> npt.NDArray[np.int64]:
    return round_half_up(values * factor).astype(np.int64)


def _bias_bytes(biases: list[int]) -> int:
    for width in BIAS_BYTES:
        low, high = int_range(width)
        if all(low <= b <= high for b in biases):
            return width
    raise DataValidationError("The biases do not fit 8 bytes.")  # unreachable: |b| <= 2**62


def _params(task: int, classes: int, weights: npt.NDArray[np.int64], biases: list[int],
            weight_bytes: int, shift: int) -> LinearParams:  # fmt: skip
    return LinearParams(
        task, classes, weights, tuple(biases), weight_bytes, _bias_bytes(biases), shift
    )


def _integer_classifier(
    folded: npt.NDArray[np.float64], bias: npt.NDArray[np.float64], classes: int, weight_bytes: int
) -> LinearParams:
    limit = int_range(weight_bytes)[1]
    largest, largest_bias = float(np.abs(folded).max()), float(np.abs(bias).max())
    factor = limit / largest if largest > 0 else 1.0
    if largest_bias * factor > BIAS_LIMIT:
        factor = BIAS_LIMIT / largest_bias
    weights = np.clip(_rounded(folded, factor), -limit, limit)
    biases = [int(b) for b in _rounded(bias, factor)]
    return _params(TASK_CLASSIFICATION, classes, weights, biases, weight_bytes, 0)


def _integer_regressor(
    folded: npt.NDArray[np.float64], bias: npt.NDArray[np.float64], weight_bytes: int
) -> LinearParams:
    limit = int_range(weight_bytes)[1]
    for shift in range(MAX_SHIFT, -1, -1):
        weights, biases = round_half_up(folded * 2.0**shift), round_half_up(bias * 2.0**shift)
        if np.abs(weights).max() <= limit and np.abs(biases).max() <= BIAS_LIMIT:  # in float
            ints = [int(b) for b in biases]
            return _params(TASK_REGRESSION, 0, weights.astype(np.int64), ints, weight_bytes, shift)
    raise DataValidationError(
        f"The regression weights are too large for {weight_bytes}-byte integers even without "
        "fraction bits; export with weight_bytes=4, or use a quantizer with a smaller label_shift."
    )
