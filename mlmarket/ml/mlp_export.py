"""Export fitted scikit-learn ReLU MLPs into the ``mlp`` family's integer format.

The scaler and the quantizer are affine, so they fold into the first layer
(``W1 · step``, ``b1 + W1 · (center - mean) / scale``). Each layer's float weights are
scaled by a positive factor ``alpha`` onto int16 (``max |W| -> 32767``) and rounded half
up; its biases follow the scale of the activations feeding it (``beta``), so a
hidden activation is the float one times ``beta = alpha · beta_in / 2**shift``. The
hidden ``shift`` is the smallest keeping every activation below about ``2**24`` for
any int8 input (the ``2**32 - 1`` ceiling is never reached on quantizer output).
Classifier outputs need no scale (argmax and sign are invariant); a regressor's
output layer is scaled to ``2**(label_shift + s_out)`` with the largest ``s_out`` that
fits int16, and the contract shifts by ``s_out``, rounding half up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from mlmarket.errors import DataValidationError, UnsupportedModelError
from mlmarket.ml.fixedpoint import MAX_SHIFT, round_half_up
from mlmarket.ml.formats import TASK_CLASSIFICATION, TASK_REGRESSION
from mlmarket.ml.mlp import (
    ACTIVATION_BITS,
    BIAS_LIMIT,
    HIDDEN_MAX,
    MAX_HIDDEN,
    MAX_MLP_BYTES,
    WEIGHT_LIMIT,
    MlpParams,
    mlp_size,
)

__all__ = ["export_mlp"]


def _unwrap(estimator: Any) -> tuple[Any, Any]:
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if isinstance(estimator, Pipeline):
        steps = [s for _, s in estimator.steps if s not in (None, "passthrough")]
        if len(steps) == 2 and type(steps[0]) is StandardScaler:
            return steps[0], steps[1]
        if len(steps) == 1:
            return None, steps[0]
        names = ", ".join(type(s).__name__ for s in steps)
        raise UnsupportedModelError(
            f"Cannot export Pipeline([{names}]): the mlp family supports MLPClassifier or "
            "MLPRegressor, optionally behind one StandardScaler."
        )
    if not isinstance(estimator, MLPClassifier | MLPRegressor):
        raise UnsupportedModelError(f"{type(estimator).__name__} is not an MLP.")
    return None, estimator


def export_mlp(estimator: Any, quantizer: Any, *, check_fitted: Any) -> MlpParams:
    """Integer parameters of a fitted ReLU ``MLPClassifier``/``MLPRegressor`` (see module doc).

    The scaler and the quantizer fold into the first layer; every later layer's
    weights are scaled by a positive factor onto int16 and its biases follow the
    scale of the activations feeding it, so each hidden activation is the float
    one times a known factor (up to rounding).
    """
    from sklearn.neural_network import MLPClassifier

    scaler, model = _unwrap(estimator)
    for step in (scaler, model):
        if step is not None:
            check_fitted(step)
    name = type(model).__name__
    if model.activation != "relu":
        raise UnsupportedModelError(
            f"Cannot export {name} with activation={model.activation!r}: the mlp family "
            "supports activation='relu' only."
        )
    expected_out = ("logistic", "softmax") if isinstance(model, MLPClassifier) else ("identity",)
    if model.out_activation_ not in expected_out:
        raise UnsupportedModelError(
            f"Cannot export {name} with output activation {model.out_activation_!r}: the mlp "
            f"family supports {' or '.join(expected_out)} outputs (squared-error regression)."
        )
    coefs = [np.array(c, dtype=np.float64) for c in model.coefs_]
    intercepts = [np.array(b, dtype=np.float64) for b in model.intercepts_]
    if not 2 <= len(coefs) <= 3:
        raise UnsupportedModelError(
            f"Cannot export {name} with {len(coefs) - 1} hidden layers: the mlp family "
            "supports 1 or 2 hidden layers."
        )
    hidden = tuple(c.shape[1] for c in coefs[:-1])
    if any(h > MAX_HIDDEN for h in hidden):
        raise UnsupportedModelError(
            f"Cannot export {name} with hidden layers {hidden}: at most {MAX_HIDDEN} units each."
        )
    is_classifier = isinstance(model, MLPClassifier)
    if is_classifier != (quantizer.task == "classification"):
        raise DataValidationError(
            f"{name} is a {'classifier' if is_classifier else 'regressor'}, but the quantizer "
            f"is for {quantizer.task}."
        )
    if coefs[0].shape[0] != quantizer.features:
        raise DataValidationError(
            f"{name} has {coefs[0].shape[0]} features, but the quantizer is expecting "
            f"{quantizer.features} features as input."
        )
    outputs = coefs[-1].shape[1]
    if is_classifier:
        classes = [c.item() if isinstance(c, np.generic) else c for c in model.classes_]
        if np.ndim(model.classes_) != 1 or classes != list(quantizer.classes):
            raise DataValidationError(
                f"{name} was fitted on classes {classes}, but the competition's classes are "
                f"{list(quantizer.classes)}; fit on data with every class."
            )
        if outputs != (1 if len(classes) == 2 else len(classes)):
            raise UnsupportedModelError(f"Cannot export {name} with {outputs} outputs.")
    elif outputs != 1:
        raise UnsupportedModelError(f"Cannot export {name} with {outputs} targets (one only).")
    size = mlp_size(quantizer.features, hidden, outputs)
    if size > MAX_MLP_BYTES:
        raise UnsupportedModelError(
            f"Cannot export {name} with hidden layers {hidden}: {size} bytes, but the mlp family "
            f"accepts at most {MAX_MLP_BYTES} bytes (too many nodes for the gas budget)."
        )
    # Layer 1 on int8 features: fold the scaler and the quantizer (affine maps).
    w1, b1 = coefs[0].T, intercepts[0]  # (h1, d)
    if scaler is not None:
        scale = np.asarray(scaler.scale_ if scaler.scale_ is not None else np.ones(w1.shape[1]))
        mean = np.asarray(scaler.mean_ if scaler.mean_ is not None else np.zeros(w1.shape[1]))
        w1 = w1 / scale
        b1 = b1 - w1 @ mean
    b1 = b1 + w1 @ np.asarray(quantizer.center)
    w1 = w1 * np.asarray(quantizer.step)
    ints_w, ints_b, shifts = [], [], []
    beta = 1.0  # inputs are the float activations times beta
    in_max = 128  # bound of |input|
    layers = [(w1, b1)] + [(c.T, b) for c, b in zip(coefs[1:], intercepts[1:], strict=True)]
    for n, (w, b) in enumerate(layers):
        last = n == len(layers) - 1
        if last and quantizer.task == "regression":
            w_int, b_int, out_shift = _regression_output(w, b, beta, quantizer.label_shift, name)
            ints_w.append(w_int)
            ints_b.append(b_int)
            break
        largest = float(np.abs(w).max())
        alpha = WEIGHT_LIMIT / largest if largest > 0 else 1.0
        big_b = float(np.abs(b).max()) * beta
        if big_b * alpha > BIAS_LIMIT:
            alpha = BIAS_LIMIT / big_b
        w_int = np.clip(round_half_up(w * alpha), -WEIGHT_LIMIT, WEIGHT_LIMIT).astype(np.int64)
        b_int = [int(v) for v in round_half_up(b * alpha * beta)]
        ints_w.append(w_int)
        ints_b.append(tuple(b_int))
        if last:
            out_shift = 0
            break
        bound = max(
            abs(v) + int(np.abs(row).sum()) * in_max for v, row in zip(b_int, w_int, strict=True)
        )
        shift = min(MAX_SHIFT, max(0, bound.bit_length() - ACTIVATION_BITS))
        shifts.append(shift)
        in_max = min(HIDDEN_MAX, (bound + ((1 << shift) >> 1)) >> shift)
        beta = alpha * beta / 2.0**shift
    task = TASK_CLASSIFICATION if is_classifier else TASK_REGRESSION
    return MlpParams(
        task, quantizer.n_classes, tuple(ints_w), tuple(tuple(b) for b in ints_b), tuple(shifts),
        out_shift,
    )  # fmt: skip


def _regression_output(
    w: npt.NDArray[np.float64], b: npt.NDArray[np.float64], beta: float, label_shift: int, name: str
) -> tuple[npt.NDArray[np.int64], tuple[int, ...], int]:
    """Output layer with ``acc ~ 2**(label_shift + s) * y``: the largest ``s`` that fits int16."""
    for shift in range(MAX_SHIFT, -1, -1):
        alpha = 2.0 ** (label_shift + shift) / beta
        w_int = round_half_up(w * alpha)
        b_int = round_half_up(b * alpha * beta)
        if np.abs(w_int).max() <= WEIGHT_LIMIT and np.abs(b_int).max() <= BIAS_LIMIT:
            return w_int.astype(np.int64), tuple(int(v) for v in b_int), shift
    raise UnsupportedModelError(
        f"Cannot export {name}: its output weights do not fit int16 even without fraction "
        "bits; use a quantizer with a smaller label_shift."
    )
