"""Input quantisation: floats to the int8 features and integer labels the chain scores.

A :class:`Quantizer` is fitted on the *training* data and published with it (as
JSON), so that participants train on the same scale the hidden test set is
encoded with. Per feature ``j`` it stores an affine map

    ``q_j = clip(floor((x_j - center_j) / step_j + 1/2), -127, 127)``

with ``center_j = (lo_j + hi_j) / 2`` and ``step_j = (hi_j - lo_j) / 254``, where
``lo_j, hi_j`` are the training minimum and maximum (or the ``clip_quantile`` and
``1 - clip_quantile`` quantiles). Values outside the training range are clipped.
Labels become a class index into the sorted ``classes`` (classification) or the
int32 fixed-point number ``round(y * 2**label_shift)`` (regression).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from mlmarket.errors import DataValidationError
from mlmarket.ml.fixedpoint import (
    FEATURE_MAX,
    FEATURE_MIN,
    LABEL_FIT_BITS,
    MAX_CLASSES,
    MAX_FEATURES,
    REGRESSION_LABEL_MAX,
    REGRESSION_LABEL_MIN,
    round_half_up,
)
from mlmarket.ml.validation import Task, validate_target

__all__ = ["Quantizer", "Task"]

QUANTIZER_FORMAT = "mlmarket.quantizer"
QUANTIZER_VERSION = 1
Label = int | float | str | bool


def as_matrix(X: Any, what: str = "X") -> npt.NDArray[np.float64]:
    """``X`` (array-like or DataFrame) as a finite 2-D float64 array."""
    try:
        array = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(f"{what} must be numeric: {exc}") from None
    if array.ndim != 2:
        raise DataValidationError(f"{what} must be 2-D (rows, features); got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise DataValidationError(f"{what} contains NaN or infinite values; impute them first.")
    return array


def _python_label(value: Any) -> Label:
    item = value.item() if isinstance(value, np.generic) else value
    if not isinstance(item, int | float | str | bool):
        raise DataValidationError(f"Class label {item!r} is not an int, float, str or bool.")
    return item


def _label_shift(y: npt.NDArray[np.float64]) -> int:
    """Largest ``f`` with ``max|y| * 2**f < 2**LABEL_FIT_BITS`` (clamped to -31..62)."""
    largest = float(np.max(np.abs(y))) if y.size else 0.0
    if largest == 0.0:
        return 0
    _mantissa, exponent = math.frexp(largest)  # largest < 2**exponent
    return max(-31, min(62, LABEL_FIT_BITS - exponent))


@dataclass(frozen=True)
class Quantizer:
    """Per-feature affine int8 quantisation and label encoding of one competition.

    Example:
        >>> q = Quantizer.fit([[0.0, 10.0], [2.0, 30.0]], [0, 1])
        >>> q.transform([[1.0, 30.0], [5.0, 0.0]]).tolist()
        [[0, 127], [127, -127]]
        >>> q.classes, q.n_classes
        ((0, 1), 2)
        >>> Quantizer.from_json(q.to_json()) == q
        True
    """

    center: tuple[float, ...]
    step: tuple[float, ...]
    task: Task = "classification"
    classes: tuple[Label, ...] = ()
    label_shift: int = 0
    feature_names: tuple[str, ...] | None = field(default=None)

    def __post_init__(self) -> None:
        if len(self.center) != len(self.step) or not 1 <= len(self.center) <= MAX_FEATURES:
            raise DataValidationError(
                f"A quantizer needs 1..{MAX_FEATURES} features with one center and one step "
                f"each; got {len(self.center)} centers and {len(self.step)} steps."
            )
        if not all(math.isfinite(s) and s > 0 for s in self.step):
            raise DataValidationError("Every quantisation step must be a finite positive number.")
        if self.task == "classification" and not 2 <= len(self.classes) <= MAX_CLASSES:
            raise DataValidationError(
                f"Classification needs 2..{MAX_CLASSES} classes; got {len(self.classes)}."
            )
        if self.task not in ("classification", "regression"):
            raise DataValidationError(
                f"task must be 'classification' or 'regression', not {self.task!r}."
            )
        if self.feature_names is not None and len(self.feature_names) != len(self.center):
            raise DataValidationError("feature_names must name every feature once.")

    # --- fitting ----------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        X: Any,
        y: Any,
        *,
        task: Task | None = None,
        clip_quantile: float = 0.0,
    ) -> Quantizer:
        """Fit on training data. ``task`` defaults to regression for float labels.

        Labels are checked first (:func:`~mlmarket.ml.validation.validate_target`):
        NaN or infinite labels, or text with ``task="regression"``, raise
        :class:`~mlmarket.errors.TargetValidationError`.

        ``clip_quantile`` (e.g. 0.01) fits the range on quantiles instead of the
        extremes, trading clipped outliers for finer steps.
        """
        matrix = as_matrix(X)
        labels = np.asarray(y)
        if labels.shape != (matrix.shape[0],):
            raise DataValidationError(
                f"y must have one label per row of X: {matrix.shape[0]} rows, "
                f"y shape {labels.shape}."
            )
        if not 0.0 <= clip_quantile < 0.5:
            raise DataValidationError(f"clip_quantile must be in [0, 0.5); got {clip_quantile}.")
        lo = np.quantile(matrix, clip_quantile, axis=0)
        hi = np.quantile(matrix, 1.0 - clip_quantile, axis=0)
        step = (hi - lo) / (FEATURE_MAX - FEATURE_MIN)
        step = np.where(step > 0, step, 1.0)
        names = getattr(X, "columns", None)
        chosen = validate_target(y, task=task, name="y")
        return cls(
            center=tuple(float(c) for c in (lo + hi) / 2),
            step=tuple(float(s) for s in step),
            task=chosen,
            classes=tuple(_python_label(c) for c in np.unique(labels))
            if chosen == "classification"
            else (),
            label_shift=_label_shift(labels.astype(np.float64)) if chosen == "regression" else 0,
            feature_names=tuple(str(n) for n in names) if names is not None else None,
        )

    # --- shape ------------------------------------------------------------------------

    @property
    def features(self) -> int:
        """Number of features."""
        return len(self.center)

    @property
    def n_classes(self) -> int:
        """The ``classes`` argument of ``scoreBatch``: K for classification, 0 for regression."""
        return len(self.classes) if self.task == "classification" else 0

    # --- features ---------------------------------------------------------------------

    def transform(self, X: Any) -> npt.NDArray[np.int8]:
        """Quantise features: float rows to int8 rows (clipped to [-127, 127])."""
        matrix = as_matrix(X)
        if matrix.shape[1] != self.features:
            raise DataValidationError(
                f"X has {matrix.shape[1]} features, but the quantizer is expecting "
                f"{self.features} features as input."
            )
        scaled = (matrix - np.asarray(self.center)) / np.asarray(self.step)
        return np.clip(round_half_up(scaled), FEATURE_MIN, FEATURE_MAX).astype(np.int8)

    def inverse_transform(self, Xq: Any) -> npt.NDArray[np.float64]:
        """The float value each quantised feature stands for: ``center + step * q``."""
        return np.asarray(self.center) + np.asarray(self.step) * np.asarray(Xq, dtype=np.float64)

    # --- labels -----------------------------------------------------------------------

    def encode_labels(self, y: Any) -> npt.NDArray[np.int64]:
        """Labels as class indices (classification) or int32 fixed point (regression)."""
        labels = np.asarray(y)
        if labels.ndim != 1:
            raise DataValidationError(f"y must be 1-D; got shape {labels.shape}.")
        if self.task == "classification":
            index = {label: i for i, label in enumerate(self.classes)}
            unknown = sorted({str(v) for v in labels.tolist() if v not in index})
            if unknown:
                raise DataValidationError(
                    f"Labels {', '.join(unknown[:5])} are not among the quantizer's classes "
                    f"{list(self.classes)}."
                )
            return np.array([index[v] for v in labels.tolist()], dtype=np.int64)
        values = as_matrix(labels.reshape(-1, 1), "y")[:, 0]
        fixed = round_half_up(values * 2.0**self.label_shift)
        if fixed.size and (
            fixed.min() < REGRESSION_LABEL_MIN or fixed.max() > REGRESSION_LABEL_MAX
        ):
            raise DataValidationError(
                f"A label times 2**{self.label_shift} does not fit int32; refit the quantizer "
                "on data that covers this range."
            )
        return fixed.astype(np.int64)

    def decode_labels(self, yq: Any) -> npt.NDArray[Any]:
        """Inverse of :meth:`encode_labels` (floats for regression)."""
        values = np.asarray(yq)
        if self.task == "classification":
            return np.asarray(self.classes, dtype=object)[values.astype(np.int64)]
        return values.astype(np.float64) / 2.0**self.label_shift

    # --- serialisation ----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (floats round-trip exactly through ``json``)."""
        return {
            "format": QUANTIZER_FORMAT,
            "version": QUANTIZER_VERSION,
            "task": self.task,
            "features": self.features,
            "center": list(self.center),
            "step": list(self.step),
            "classes": list(self.classes),
            "label_shift": self.label_shift,
            "feature_names": list(self.feature_names) if self.feature_names is not None else None,
        }

    def to_json(self) -> str:
        """Serialise for publication next to the training data."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Quantizer:
        """Inverse of :meth:`to_dict`."""
        if data.get("format") != QUANTIZER_FORMAT or data.get("version") != QUANTIZER_VERSION:
            raise DataValidationError(
                f"Not a version-{QUANTIZER_VERSION} mlmarket quantizer "
                f"(format={data.get('format')!r}, version={data.get('version')!r})."
            )
        names = data.get("feature_names")
        return cls(
            center=tuple(float(c) for c in data["center"]),
            step=tuple(float(s) for s in data["step"]),
            task=data["task"],
            classes=tuple(data.get("classes") or ()),
            label_shift=int(data.get("label_shift", 0)),
            feature_names=tuple(names) if names is not None else None,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Quantizer:
        """Inverse of :meth:`to_json`."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataValidationError(f"Not a quantizer JSON document: {exc}") from None
        return cls.from_dict(data)
