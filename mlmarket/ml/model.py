"""ExportedModel: a linear model in its on-chain byte format, with its exact predictions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mlmarket.errors import DataValidationError
from mlmarket.ml.formats import (
    MODEL_HEADER_BYTES,
    TASK_REGRESSION,
    LinearParams,
    decode_model,
    encode_model,
)
from mlmarket.ml.quantize import Quantizer
from mlmarket.ml.reference import linear_scores, predict_quantised

__all__ = ["ExportedModel"]


@dataclass(frozen=True, eq=False)
class ExportedModel:
    """A model as the chain sees it: integer parameters, their bytes, exact predictions.

    ``predict_quantised`` is the integer reference (what the contract computes per
    row); ``predict`` quantises float features with the competition's quantizer
    first and maps the result back to class labels or float targets.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import LogisticRegression
        >>> from mlmarket.ml import Quantizer, export
        >>> X, y = load_iris(return_X_y=True)
        >>> q = Quantizer.fit(X, y)
        >>> model = export(LogisticRegression(max_iter=1000).fit(X, y), q)
        >>> model.outputs, model.features, model.weight_bytes
        (3, 4, 2)
        >>> again = ExportedModel.from_bytes(model.to_bytes(), q)
        >>> again == model, again.predict(X[:3]).tolist()
        (True, [0, 0, 0])
    """

    params: LinearParams
    quantizer: Quantizer | None = None
    source: str = ""

    # --- shape -------------------------------------------------------------------------

    @property
    def task(self) -> str:
        """``"classification"`` or ``"regression"``."""
        return "regression" if self.params.task == TASK_REGRESSION else "classification"

    @property
    def classes(self) -> int:
        """K, or 0 for regression (the ``classes`` argument of ``scoreBatch``)."""
        return self.params.classes

    @property
    def features(self) -> int:
        return self.params.features

    @property
    def outputs(self) -> int:
        """Rows of the weight matrix: K, or 1 (regression or binary sign rule)."""
        return self.params.outputs

    @property
    def weight_bytes(self) -> int:
        return self.params.weight_bytes

    @property
    def bias_bytes(self) -> int:
        return self.params.bias_bytes

    @property
    def shift(self) -> int:
        return self.params.shift

    @property
    def weights(self) -> npt.NDArray[np.int64]:
        """Integer weights, shape ``(outputs, features)`` (a copy)."""
        return self.params.weights.copy()

    @property
    def biases(self) -> tuple[int, ...]:
        return self.params.biases

    # --- bytes -------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The model in the version-1 format of ``docs/formats.md``."""
        return encode_model(self.params)

    @classmethod
    def from_bytes(cls, data: bytes, quantizer: Quantizer | None = None) -> ExportedModel:
        """Decode and validate model bytes (against ``quantizer``'s shape when given)."""
        raw = bytes(data)
        if len(raw) < MODEL_HEADER_BYTES:
            decode_model(raw, 1, 2)  # raises the contract's error for a truncated model
        features = int.from_bytes(raw[8:10], "big")
        classes = raw[6]
        if quantizer is not None:
            features, classes = quantizer.features, quantizer.n_classes
        return cls(decode_model(raw, features, classes), quantizer)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExportedModel):
            return NotImplemented
        return self.to_bytes() == other.to_bytes()

    def __hash__(self) -> int:
        return hash(self.to_bytes())

    def __repr__(self) -> str:
        kind = f"{self.classes} classes" if self.classes else "regression"
        source = f" from {self.source}" if self.source else ""
        return (
            f"<ExportedModel linear{source}: {kind}, {self.features} features, {self.outputs} "
            f"outputs, int{8 * self.weight_bytes} weights, {len(self.to_bytes())} bytes>"
        )

    # --- predictions -------------------------------------------------------------------

    def decision_quantised(self, Xq: npt.ArrayLike) -> npt.NDArray[Any]:
        """Integer scores ``bias + W @ q`` per row and output (exact)."""
        return linear_scores(Xq, self.params)

    def predict_quantised(self, Xq: npt.ArrayLike) -> npt.NDArray[Any]:
        """Class indices, or regression predictions in the label's fixed-point scale."""
        return predict_quantised(Xq, self.params)

    def predict(self, X: Any) -> npt.NDArray[Any]:
        """Predict float rows: class labels, or float targets (regression)."""
        if self.quantizer is None:
            raise DataValidationError(
                "This model has no quantizer; pass one to ExportedModel.from_bytes, or call "
                "predict_quantised on int8 features."
            )
        indices = self.predict_quantised(self.quantizer.transform(X))
        return self.quantizer.decode_labels(indices)
