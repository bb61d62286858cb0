"""ExportedModel: a model (linear, mlp or tree family) in its on-chain byte format, with its
exact predictions."""

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
from mlmarket.ml.mlp import FAMILY_MLP, MlpParams, decode_mlp, encode_mlp, predict_mlp
from mlmarket.ml.quantize import Quantizer
from mlmarket.ml.reference import linear_scores, predict_quantised
from mlmarket.ml.tree import FAMILY_TREE, TreeParams, decode_tree, encode_tree, predict_tree

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

    params: LinearParams | MlpParams | TreeParams
    quantizer: Quantizer | None = None
    source: str = ""

    # --- shape -------------------------------------------------------------------------

    @property
    def family(self) -> str:
        """``"linear"``, ``"mlp"`` or ``"tree"``: the evaluator that scores this model."""
        return "linear" if isinstance(self.params, LinearParams) else self.params.family

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
        return self._linear().weight_bytes

    @property
    def bias_bytes(self) -> int:
        return self._linear().bias_bytes

    @property
    def shift(self) -> int:
        return self._linear().shift

    @property
    def weights(self) -> npt.NDArray[np.int64]:
        """Integer weights, shape ``(outputs, features)`` (a copy)."""
        return self._linear().weights.copy()

    @property
    def biases(self) -> tuple[int, ...]:
        return self._linear().biases

    def _linear(self) -> LinearParams:
        if not isinstance(self.params, LinearParams):
            raise DataValidationError(
                f"This is a {self.family} model; weights, biases and widths describe linear "
                "models (see .params)."
            )
        return self.params

    # --- bytes -------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The model in the version-1 format of ``docs/formats.md``."""
        if isinstance(self.params, MlpParams):
            return encode_mlp(self.params)
        if isinstance(self.params, TreeParams):
            return encode_tree(self.params)
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
        family = raw[4] if len(raw) > 4 else 0
        if family == FAMILY_MLP:
            return cls(decode_mlp(raw, features, classes), quantizer)
        if family == FAMILY_TREE:
            return cls(decode_tree(raw, features, classes), quantizer)
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
        size = len(self.to_bytes())
        if isinstance(self.params, MlpParams):
            hidden = "x".join(str(h) for h in self.params.hidden)
            return (
                f"<ExportedModel mlp{source}: {kind}, {self.features} features, hidden {hidden}, "
                f"{self.outputs} outputs, {size} bytes>"
            )
        if isinstance(self.params, TreeParams):
            return (
                f"<ExportedModel tree{source}: {kind}, {self.features} features, "
                f"{len(self.params.trees)} tree(s), {self.params.nodes} nodes, {size} bytes>"
            )
        return (
            f"<ExportedModel linear{source}: {kind}, {self.features} features, {self.outputs} "
            f"outputs, int{8 * self.weight_bytes} weights, {len(self.to_bytes())} bytes>"
        )

    # --- predictions -------------------------------------------------------------------

    def decision_quantised(self, Xq: npt.ArrayLike) -> npt.NDArray[Any]:
        """Integer scores ``bias + W @ q`` per row and output (exact; linear models)."""
        return linear_scores(Xq, self._linear())

    def predict_quantised(self, Xq: npt.ArrayLike) -> npt.NDArray[Any]:
        """Class indices, or regression predictions in the label's fixed-point scale."""
        if isinstance(self.params, MlpParams):
            return predict_mlp(Xq, self.params)
        if isinstance(self.params, TreeParams):
            return predict_tree(Xq, self.params)
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
