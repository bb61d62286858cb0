"""Version-1 byte formats of test-set chunks and linear models (see ``docs/formats.md``).

Every multi-byte field is big-endian; signed values are two's complement.

Chunk (11-byte header, then ``rows * features`` int8 features row-major, then labels)::

    0  3  magic        "MLC"
    3  1  version      1
    4  1  label kind   0 = uint8 class index, 1 = int32 fixed point (regression)
    5  2  features     uint16, 1..4096
    7  4  rows         uint32

Model (13-byte header, then ``outputs * features`` weights row-major, then ``outputs`` biases)::

    0  3  magic        "MLM"
    3  1  version      1
    4  1  family       1 = linear
    5  1  task         0 = classification, 1 = regression
    6  1  classes      K (2..255), 0 for regression
    7  1  outputs      K (argmax), or 1 (regression; or binary sign rule: class 1 iff score > 0)
    8  2  features     uint16
    10 1  weight bytes 1..4
    11 1  bias bytes   1..8
    12 1  shift        regression: y_hat = (acc + 2**shift/2) >> shift; 0 for classification

Decoding validates in exactly the order ``LinearEvaluator.sol`` does and raises a
:class:`FormatError` whose ``name`` and ``args_dict`` equal the contract's custom error.
The argument and chunk checks are the same for every family (``EvaluatorChunks.sol``),
so their errors carry family-neutral names (``EvaluatorChunkTruncated``, ...,
``IEvaluatorErrors.sol``); model errors are named after the family's evaluator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mlmarket.errors import DataValidationError
from mlmarket.ml.fixedpoint import (
    BIAS_BYTES,
    MAX_CLASSES,
    MAX_FEATURES,
    MAX_ROWS,
    MAX_SHIFT,
    WEIGHT_BYTES,
    int_range,
)

__all__ = [
    "CHUNK_HEADER_BYTES",
    "CHUNK_MAGIC",
    "FAMILY_LINEAR",
    "FORMAT_VERSION",
    "MODEL_HEADER_BYTES",
    "MODEL_MAGIC",
    "Chunk",
    "ChunkFormatError",
    "FormatError",
    "LinearParams",
    "ModelFormatError",
    "check_arguments",
    "decode_chunk",
    "decode_model",
    "encode_chunk",
    "encode_model",
    "model_size",
]

CHUNK_MAGIC = b"MLC"
MODEL_MAGIC = b"MLM"
FORMAT_VERSION = 1
FAMILY_LINEAR = 1
TASK_CLASSIFICATION = 0
TASK_REGRESSION = 1
LABEL_CLASS_INDEX = 0
LABEL_FIXED32 = 1
LABEL_BYTES = {LABEL_CLASS_INDEX: 1, LABEL_FIXED32: 4}
CHUNK_HEADER_BYTES = 11
MODEL_HEADER_BYTES = 13


class FormatError(DataValidationError):
    """Malformed chunk or model bytes, or arguments they do not match.

    ``name`` is the custom error the evaluator reverts with for the same input (the
    family-neutral ``Evaluator...`` errors for arguments and chunks, ``LinearEvaluator...``,
    ``MlpEvaluator...`` or ``TreeEvaluator...`` for models) and ``args_dict`` its arguments.
    """

    def __init__(self, name: str, message: str, **args: Any) -> None:
        super().__init__(f"{message} ({name})")
        self.name = name
        self.args_dict: dict[str, Any] = args


class ChunkFormatError(FormatError):
    """The chunk bytes (or the competition arguments) are not acceptable."""


class ModelFormatError(FormatError):
    """A model's bytes are not acceptable."""


def label_kind_for(classes: int) -> int:
    """Label kind a chunk must declare for ``classes`` (0 = regression)."""
    return LABEL_FIXED32 if classes == 0 else LABEL_CLASS_INDEX


def pack_signed(values: npt.ArrayLike, width: int) -> bytes:
    """Big-endian two's complement, ``width`` bytes each (1..8); values must fit."""
    array = np.asarray(values, dtype=np.int64).reshape(-1)
    as_u64 = array.astype(">u8")  # two's complement bit pattern of int64
    return as_u64.view(np.uint8).reshape(-1, 8)[:, 8 - width :].tobytes()


def unpack_signed(raw: bytes, width: int) -> npt.NDArray[np.int64]:
    """Inverse of :func:`pack_signed`: sign-extend each ``width``-byte group to int64."""
    grouped = np.frombuffer(raw, dtype=np.uint8).reshape(-1, width)
    padded = np.zeros((grouped.shape[0], 8), dtype=np.uint8)
    padded[:, 8 - width :] = grouped
    padded[grouped[:, 0] >= 0x80, : 8 - width] = 0xFF
    return padded.view(">i8").reshape(-1).astype(np.int64)


# --- chunks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """A decoded chunk: int8 features ``(rows, features)`` and integer labels."""

    features: npt.NDArray[np.int8]
    labels: npt.NDArray[np.int64]
    label_kind: int

    @property
    def rows(self) -> int:
        return int(self.features.shape[0])


def check_arguments(features: int, classes: int) -> None:
    """The contract's argument check: 1..4096 features, 0 or 2..255 classes."""
    if not 1 <= features <= MAX_FEATURES or not (classes == 0 or 2 <= classes <= MAX_CLASSES):
        raise ChunkFormatError(
            "EvaluatorInvalidArguments",
            f"features must be 1..{MAX_FEATURES} and classes 0 (regression) or "
            f"2..{MAX_CLASSES}; got features={features}, classes={classes}",
            features=features,
            classes=classes,
        )


def encode_chunk(features: npt.ArrayLike, labels: npt.ArrayLike, *, regression: bool) -> bytes:
    """Chunk bytes for int8 ``features`` ``(rows, d)`` and class-index or int32 ``labels``.

    Example:
        >>> encode_chunk([[1, -1]], [1], regression=False).hex()
        '4d4c43010000020000000101ff01'
    """
    matrix = np.asarray(features)
    values = np.asarray(labels, dtype=np.int64).reshape(-1)
    rows, d = matrix.shape
    if not 1 <= d <= MAX_FEATURES or rows > MAX_ROWS or values.shape != (rows,):
        raise DataValidationError(
            f"A chunk needs 1..{MAX_FEATURES} features and one label per row; "
            f"got features of shape {matrix.shape} and {values.size} labels."
        )
    if matrix.min(initial=0) < -128 or matrix.max(initial=0) > 127:
        raise DataValidationError("Chunk features must be int8 (-128..127); quantise them first.")
    kind = LABEL_FIXED32 if regression else LABEL_CLASS_INDEX
    low, high = int_range(4) if regression else (0, MAX_CLASSES - 1)
    if values.size and (values.min() < low or values.max() > high):
        raise DataValidationError(f"Chunk labels must lie in {low}..{high}.")
    header = (
        CHUNK_MAGIC + bytes([FORMAT_VERSION, kind]) + d.to_bytes(2, "big") + rows.to_bytes(4, "big")
    )
    body = matrix.astype(np.int8).tobytes()
    tail = pack_signed(values, 4) if regression else values.astype(np.uint8).tobytes()
    return header + body + tail


def decode_chunk(data: bytes, features: int, classes: int) -> Chunk:
    """Validate ``data`` as the contract does and decode it.

    Example:
        >>> chunk = decode_chunk(encode_chunk([[1, -1]], [1], regression=False), 2, 3)
        >>> chunk.rows, chunk.features.tolist(), chunk.labels.tolist()
        (1, [[1, -1]], [1])
        >>> try:
        ...     decode_chunk(b"MLC", 2, 3)
        ... except ChunkFormatError as error:
        ...     error.name, error.args_dict
        ('EvaluatorChunkTruncated', {'length': 3})
    """
    check_arguments(features, classes)
    if len(data) < CHUNK_HEADER_BYTES:
        raise ChunkFormatError(
            "EvaluatorChunkTruncated",
            f"the chunk has only {len(data)} bytes",
            length=len(data),
        )
    if data[0:3] != CHUNK_MAGIC:
        raise ChunkFormatError("EvaluatorChunkBadMagic", "not a chunk", magic=bytes(data[0:3]))
    if data[3] != FORMAT_VERSION:
        raise ChunkFormatError(
            "EvaluatorChunkUnsupportedVersion", f"chunk version {data[3]}", version=data[3]
        )
    found = int.from_bytes(data[5:7], "big")
    if found != features:
        raise ChunkFormatError(
            "EvaluatorChunkFeaturesMismatch",
            f"the chunk has {found} features, but the competition expects {features}",
            expected=features,
            found=found,
        )
    kind, expected_kind = data[4], label_kind_for(classes)
    if kind != expected_kind:
        raise ChunkFormatError(
            "EvaluatorChunkLabelKindMismatch",
            f"label kind {kind} does not suit classes={classes}",
            classes=classes,
            labelKind=kind,
        )
    return _decode_chunk_body(data, features, classes, kind)


def _decode_chunk_body(data: bytes, features: int, classes: int, kind: int) -> Chunk:
    rows = int.from_bytes(data[7:11], "big")
    expected = CHUNK_HEADER_BYTES + rows * (features + LABEL_BYTES[kind])
    if len(data) != expected:
        raise ChunkFormatError(
            "EvaluatorChunkLengthMismatch",
            f"a chunk of {rows} rows has {expected} bytes, not {len(data)}",
            expected=expected,
            actual=len(data),
        )
    end = CHUNK_HEADER_BYTES + rows * features
    matrix = np.frombuffer(data, dtype=np.int8, count=rows * features, offset=CHUNK_HEADER_BYTES)
    if kind == LABEL_FIXED32:
        labels = unpack_signed(bytes(data[end:]), 4)
    else:
        labels = np.frombuffer(data, dtype=np.uint8, offset=end).astype(np.int64)
        bad = np.flatnonzero(labels >= classes)
        if bad.size:
            row = int(bad[0])
            raise ChunkFormatError(
                "EvaluatorLabelOutOfRange",
                f"row {row} has label {labels[row]}, but there are only {classes} classes",
                row=row,
                label=int(labels[row]),
                classes=classes,
            )
    return Chunk(matrix.reshape(rows, features), labels, kind)


# --- models -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LinearParams:
    """Integer parameters of a linear model: scores ``biases + weights @ q``."""

    task: int
    classes: int
    weights: npt.NDArray[np.int64]  # (outputs, features)
    biases: tuple[int, ...]
    weight_bytes: int
    bias_bytes: int
    shift: int

    @property
    def outputs(self) -> int:
        return int(self.weights.shape[0])

    @property
    def features(self) -> int:
        return int(self.weights.shape[1])


def model_size(outputs: int, features: int, weight_bytes: int, bias_bytes: int) -> int:
    """Bytes of a model with this shape.

    Example:
        >>> model_size(10, 30, 2, 4)
        653
    """
    return MODEL_HEADER_BYTES + outputs * (features * weight_bytes + bias_bytes)


def encode_model(params: LinearParams) -> bytes:
    """Model bytes (checks widths; the shape is validated again by :func:`decode_model`)."""
    low, high = int_range(params.weight_bytes)
    if params.weights.size and (params.weights.min() < low or params.weights.max() > high):
        raise DataValidationError(f"Weights do not fit {params.weight_bytes} bytes.")
    b_low, b_high = int_range(params.bias_bytes)
    if any(not b_low <= b <= b_high for b in params.biases) or len(params.biases) != params.outputs:
        raise DataValidationError(f"Need {params.outputs} biases of {params.bias_bytes} bytes.")
    header = MODEL_MAGIC + bytes(
        [FORMAT_VERSION, FAMILY_LINEAR, params.task, params.classes, params.outputs]
    )
    header += params.features.to_bytes(2, "big")
    header += bytes([params.weight_bytes, params.bias_bytes, params.shift])
    biases = b"".join(b.to_bytes(params.bias_bytes, "big", signed=True) for b in params.biases)
    return header + pack_signed(params.weights, params.weight_bytes) + biases


def _model_error(name: str, message: str, index: int, **args: Any) -> ModelFormatError:
    return ModelFormatError(name, f"model {index}: {message}", model=index, **args)


def _check_model_header(data: bytes, features: int, classes: int, index: int) -> None:
    if len(data) < MODEL_HEADER_BYTES:
        raise _model_error(
            "LinearEvaluatorModelTruncated", f"{len(data)} bytes", index, length=len(data)
        )
    if data[0:3] != MODEL_MAGIC:
        raise _model_error(
            "LinearEvaluatorModelBadMagic", "not a model", index, magic=bytes(data[0:3])
        )
    if data[3] != FORMAT_VERSION:
        raise _model_error(
            "LinearEvaluatorModelUnsupportedVersion", f"version {data[3]}", index, version=data[3]
        )
    if data[4] != FAMILY_LINEAR:
        raise _model_error(
            "LinearEvaluatorModelWrongFamily", f"family {data[4]}", index, family=data[4]
        )
    task, k, outputs = data[5], data[6], data[7]
    if not _shape_ok(task, k, outputs, classes):
        raise _model_error(
            "LinearEvaluatorModelShapeMismatch",
            f"task {task}, {k} classes, {outputs} outputs do not suit classes={classes}",
            index,
            task=task,
            classes=k,
            outputs=outputs,
            expectedClasses=classes,
        )
    found = int.from_bytes(data[8:10], "big")
    if found != features:
        raise _model_error(
            "LinearEvaluatorModelFeaturesMismatch",
            f"the model has {found} features, but the competition expects {features}",
            index,
            expected=features,
            found=found,
        )


def _shape_ok(task: int, k: int, outputs: int, classes: int) -> bool:
    if classes == 0:
        return task == TASK_REGRESSION and k == 0 and outputs == 1
    allowed = outputs == classes or (classes == 2 and outputs == 1)
    return task == TASK_CLASSIFICATION and k == classes and allowed


def decode_model(data: bytes, features: int, classes: int, index: int = 0) -> LinearParams:
    """Validate model ``index``'s bytes as the contract does and decode them.

    Example:
        >>> raw = encode_model(LinearParams(0, 2, np.array([[3, -4]]), (5,), 1, 1, 0))
        >>> params = decode_model(raw, features=2, classes=2)
        >>> params.weights.tolist(), params.biases, params.outputs
        ([[3, -4]], (5,), 1)
    """
    _check_model_header(data, features, classes, index)
    wb, bb, shift = data[10], data[11], data[12]
    if wb not in WEIGHT_BYTES or bb not in BIAS_BYTES:
        raise _model_error(
            "LinearEvaluatorModelBadWidth", f"widths {wb}/{bb}", index, weightBytes=wb, biasBytes=bb
        )
    if shift > MAX_SHIFT or (classes != 0 and shift != 0):
        raise _model_error("LinearEvaluatorModelBadShift", f"shift {shift}", index, shift=shift)
    outputs = data[7]
    expected = model_size(outputs, features, wb, bb)
    if len(data) != expected:
        raise _model_error(
            "LinearEvaluatorModelLengthMismatch",
            f"expected {expected} bytes, got {len(data)}",
            index,
            expected=expected,
            actual=len(data),
        )
    split = MODEL_HEADER_BYTES + outputs * features * wb
    weights = unpack_signed(bytes(data[MODEL_HEADER_BYTES:split]), wb).reshape(outputs, features)
    biases = tuple(
        int.from_bytes(data[split + i * bb : split + (i + 1) * bb], "big", signed=True)
        for i in range(outputs)
    )
    return LinearParams(data[5], data[6], weights, biases, wb, bb, shift)
