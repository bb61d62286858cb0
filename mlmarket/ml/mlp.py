"""The ``mlp`` model family: ReLU networks with one or two hidden layers, exactly as on chain.

Format (version 1, family byte 2; ``docs/formats.md``): a 16-byte header, then per
layer (hidden 1, [hidden 2], output) its int16 weights ``W[k][j]`` (output ``k``
major) and its int64 biases::

    0  3  magic     "MLM"           8  2  features d (uint16)
    3  1  version   1               10 1  layers L (1 or 2 hidden layers)
    4  1  family    2 (mlp)         11 1  hidden1 (1..255)
    5  1  task      0 / 1           12 1  hidden2 (1..255, 0 when L = 1)
    6  1  classes   K, 0 regr.      13 1  shift1 (0..63)
    7  1  outputs   K, 1            14 1  shift2 (0..63, 0 when L = 1)
                                    15 1  output shift (regression 0..63, else 0)

Arithmetic (``docs/fixed-point.md``): a hidden unit computes
``acc = b + sum_j W_j x_j`` exactly and outputs the clamped ReLU
``h = min(max((acc + 2**s / 2) >> s, 0), 2**32 - 1)`` (round half up, arithmetic
shift); the output layer's accumulators are argmax'ed (ties to the lowest index,
one output: class 1 iff ``acc > 0``) or, for regression,
``(acc + 2**s_out / 2) >> s_out`` in the label's fixed-point scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mlmarket.errors import DataValidationError
from mlmarket.ml.fixedpoint import MAX_SHIFT, int_range
from mlmarket.ml.formats import (
    FORMAT_VERSION,
    MODEL_MAGIC,
    TASK_CLASSIFICATION,
    TASK_REGRESSION,
    ModelFormatError,
    pack_signed,
    unpack_signed,
)

__all__ = [
    "FAMILY_MLP",
    "HIDDEN_MAX",
    "MAX_HIDDEN",
    "MLP_HEADER_BYTES",
    "MlpParams",
    "decode_mlp",
    "encode_mlp",
    "mlp_size",
    "predict_mlp",
    "score_batch_mlp",
]

FAMILY_MLP = 2
MLP_HEADER_BYTES = 16
MAX_HIDDEN = 255
"""Largest hidden layer the format holds (one byte)."""
HIDDEN_MAX = 2**32 - 1
"""Ceiling of a hidden activation (the clamped ReLU)."""
WEIGHT_LIMIT = 2**15 - 1
BIAS_LIMIT = 2**62
ACTIVATION_BITS = 24
"""The exporter picks each hidden shift so activations on int8 inputs stay below ~2**24."""
MAX_MLP_BYTES = 8192
"""Largest MLP the exporter writes (and a competition accepts): gas per row grows with size."""
PREFIX = "MlpEvaluator"


@dataclass(frozen=True)
class MlpParams:
    """Integer parameters: per layer int16 weights ``(outputs, inputs)`` and int64 biases."""

    task: int
    classes: int
    weights: tuple[npt.NDArray[np.int64], ...]
    biases: tuple[tuple[int, ...], ...]
    shifts: tuple[int, ...]  # one per hidden layer
    out_shift: int

    @property
    def family(self) -> str:
        return "mlp"

    @property
    def layers(self) -> int:
        """Number of hidden layers (1 or 2)."""
        return len(self.weights) - 1

    @property
    def hidden(self) -> tuple[int, ...]:
        return tuple(int(w.shape[0]) for w in self.weights[:-1])

    @property
    def outputs(self) -> int:
        return int(self.weights[-1].shape[0])

    @property
    def features(self) -> int:
        return int(self.weights[0].shape[1])

    @property
    def macs(self) -> int:
        """Multiply-accumulates per row."""
        return int(sum(w.size for w in self.weights))


def mlp_size(features: int, hidden: tuple[int, ...], outputs: int) -> int:
    """Bytes of an MLP of this shape.

    Example:
        >>> mlp_size(4, (8,), 3)
        216
    """
    sizes = (features, *hidden, outputs)
    return MLP_HEADER_BYTES + sum(n * (2 * m + 8) for m, n in zip(sizes, sizes[1:], strict=False))


def encode_mlp(params: MlpParams) -> bytes:
    """Model bytes (widths checked here; the shape again by :func:`decode_mlp`)."""
    if params.layers not in (1, 2) or any(not 1 <= h <= MAX_HIDDEN for h in params.hidden):
        raise DataValidationError("An MLP needs 1 or 2 hidden layers of 1..255 units.")
    low, high = int_range(2)
    blow, bhigh = int_range(8)
    body = b""
    for w, b in zip(params.weights, params.biases, strict=True):
        if w.size and (w.min() < low or w.max() > high):
            raise DataValidationError("MLP weights must fit int16.")
        if len(b) != w.shape[0] or any(not blow <= v <= bhigh for v in b):
            raise DataValidationError("Need one int64 bias per unit.")
        body += pack_signed(w, 2) + b"".join(v.to_bytes(8, "big", signed=True) for v in b)
    hidden = (*params.hidden, 0)[:2]
    shifts = (*params.shifts, 0)[:2]
    header = MODEL_MAGIC + bytes(
        [FORMAT_VERSION, FAMILY_MLP, params.task, params.classes, params.outputs]
    )
    header += params.features.to_bytes(2, "big")
    header += bytes([params.layers, *hidden, *shifts, params.out_shift])
    return header + body


def _err(name: str, message: str, index: int, **args: Any) -> ModelFormatError:
    return ModelFormatError(PREFIX + name, f"model {index}: {message}", model=index, **args)


def _shape_ok(task: int, k: int, outputs: int, classes: int) -> bool:
    if classes == 0:
        return task == TASK_REGRESSION and k == 0 and outputs == 1
    allowed = outputs == classes or (classes == 2 and outputs == 1)
    return task == TASK_CLASSIFICATION and k == classes and allowed


def decode_mlp(data: bytes, features: int, classes: int, index: int = 0) -> MlpParams:
    """Validate model ``index``'s bytes in ``MlpEvaluator``'s order and decode them."""
    if len(data) < MLP_HEADER_BYTES:
        raise _err("ModelTruncated", f"{len(data)} bytes", index, length=len(data))
    if data[0:3] != MODEL_MAGIC:
        raise _err("ModelBadMagic", "not a model", index, magic=bytes(data[0:3]))
    if data[3] != FORMAT_VERSION:
        raise _err("ModelUnsupportedVersion", f"version {data[3]}", index, version=data[3])
    if data[4] != FAMILY_MLP:
        raise _err("ModelWrongFamily", f"family {data[4]}", index, family=data[4])
    task, k, outputs = data[5], data[6], data[7]
    if not _shape_ok(task, k, outputs, classes):
        raise _err(
            "ModelShapeMismatch", f"task {task}, {k} classes, {outputs} outputs", index,
            task=task, classes=k, outputs=outputs, expectedClasses=classes,
        )  # fmt: skip
    found = int.from_bytes(data[8:10], "big")
    if found != features:
        raise _err(
            "ModelFeaturesMismatch", f"{found} features, expected {features}", index,
            expected=features, found=found,
        )  # fmt: skip
    layers, h1, h2 = data[10], data[11], data[12]
    if layers not in (1, 2) or h1 == 0 or (h2 == 0) != (layers == 1):
        raise _err(
            "ModelBadLayers", f"layers {layers}, hidden {h1}/{h2}", index,
            layers=layers, hidden1=h1, hidden2=h2,
        )  # fmt: skip
    s1, s2, so = data[13], data[14], data[15]
    if (
        s1 > MAX_SHIFT
        or s2 > MAX_SHIFT
        or (layers == 1 and s2 != 0)
        or so > MAX_SHIFT
        or (classes != 0 and so != 0)
    ):
        raise _err(
            "ModelBadShift", f"shifts {s1}/{s2}/{so}", index, shift1=s1, shift2=s2, outShift=so
        )
    hidden = (h1,) if layers == 1 else (h1, h2)
    expected = mlp_size(features, hidden, outputs)
    if len(data) != expected:
        raise _err(
            "ModelLengthMismatch", f"expected {expected} bytes, got {len(data)}", index,
            expected=expected, actual=len(data),
        )  # fmt: skip
    sizes = (features, *hidden, outputs)
    p, weights, biases = MLP_HEADER_BYTES, [], []
    for m, n in zip(sizes, sizes[1:], strict=False):
        w = unpack_signed(bytes(data[p : p + 2 * m * n]), 2).reshape(n, m)
        p += 2 * m * n
        b = tuple(int.from_bytes(data[p + 8 * i : p + 8 * i + 8], "big", signed=True)
                  for i in range(n))  # fmt: skip
        p += 8 * n
        weights.append(w)
        biases.append(b)
    return MlpParams(task, k, tuple(weights), tuple(biases), (s1, s2)[:layers], so)


# --- the reference ----------------------------------------------------------------------


def _dense(inputs: npt.NDArray[np.int64], w: npt.NDArray[np.int64], b: tuple[int, ...]) -> Any:
    """``b + inputs @ w.T`` exactly: the product fits int64 (< 2**55), biases as Python ints."""
    return (inputs @ w.T).astype(object) + np.asarray(b, dtype=object)


def _relu(acc: Any, shift: int) -> npt.NDArray[np.int64]:
    half = (1 << shift) >> 1
    shifted = (acc + half) >> shift
    return np.clip(shifted, 0, HIDDEN_MAX).astype(np.int64)


def mlp_outputs(Xq: npt.ArrayLike, params: MlpParams) -> Any:
    """Output-layer accumulators per row (Python ints), exactly as the contract."""
    x = np.asarray(Xq)
    if x.ndim != 2 or x.shape[1] != params.features:
        raise DataValidationError(
            f"X has {x.shape[-1] if x.ndim else 0} features, but the model is expecting "
            f"{params.features} features as input."
        )
    h = x.astype(np.int64)
    for w, b, s in zip(params.weights[:-1], params.biases[:-1], params.shifts, strict=True):
        h = _relu(_dense(h, w, b), s)
    return _dense(h, params.weights[-1], params.biases[-1])


def predict_mlp(Xq: npt.ArrayLike, params: MlpParams) -> npt.NDArray[Any]:
    """Class indices or fixed-point regression predictions.

    Example:
        >>> p = MlpParams(0, 2, (np.array([[1], [-1]]), np.array([[1, -1]])),
        ...               ((0, 0), (0,)), (0,), 0)
        >>> predict_mlp([[3], [-3], [0]], p).tolist()
        [1, 0, 0]
    """
    acc = mlp_outputs(Xq, params)
    if params.classes == 0:
        half = (1 << params.out_shift) >> 1
        return np.asarray([(int(a) + half) >> params.out_shift for a in acc[:, 0]], dtype=object)
    if params.outputs == 1:
        return np.asarray([int(a) > 0 for a in acc[:, 0]], dtype=np.int64)
    return np.asarray([max(range(len(r)), key=lambda i, r=r: (r[i], -i)) for r in acc.tolist()],
                      dtype=np.int64)  # fmt: skip


def score_batch_mlp(
    chunk: bytes, models: list[bytes], features: int, classes: int
) -> tuple[int, list[int]]:
    """What ``MlpEvaluator.scoreBatch`` returns, or its error."""
    from mlmarket.ml.reference import score_batch

    return score_batch(chunk, models, features, classes, family="mlp")
