"""Version-1 chunk and model formats: round trips, and every named error on chain and in Python."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mlmarket.contracts import load_artifact
from mlmarket.errors import DataValidationError
from mlmarket.ml import (
    ChunkFormatError,
    LinearParams,
    ModelFormatError,
    decode_chunk,
    decode_model,
    encode_chunk,
    encode_model,
    model_size,
)
from mlmarket.ml.fixedpoint import int_range
from mlmarket.ml.formats import pack_signed, unpack_signed
from tests.ml.helpers import in_python, on_chain

D, K = 3, 3
CHUNK = encode_chunk([[1, 2, 3], [-1, -2, -3]], [0, 2], regression=False)
MODEL = encode_model(LinearParams(0, K, np.arange(9).reshape(3, 3) - 4, (1, 2, 3), 2, 4, 0))
REG_CHUNK = encode_chunk([[1, 2, 3]], [-5], regression=True)
REG_MODEL = encode_model(LinearParams(1, 0, np.array([[1, 2, 3]]), (0,), 1, 1, 4))


def patch(data: bytes, offset: int, value: int) -> bytes:
    return data[:offset] + bytes([value]) + data[offset + 1 :]


# (expected error, chunk, models, features, classes)
MALFORMED: list[tuple[str, bytes, list[bytes], int, int]] = [
    ("EvaluatorInvalidArguments", CHUNK, [MODEL], 0, K),
    ("EvaluatorInvalidArguments", CHUNK, [MODEL], 4097, K),
    ("EvaluatorInvalidArguments", CHUNK, [MODEL], D, 1),
    ("EvaluatorInvalidArguments", CHUNK, [MODEL], D, 256),
    ("EvaluatorChunkTruncated", CHUNK[:10], [MODEL], D, K),
    ("EvaluatorChunkTruncated", b"", [MODEL], D, K),
    ("EvaluatorChunkBadMagic", b"XLC" + CHUNK[3:], [MODEL], D, K),
    ("EvaluatorChunkUnsupportedVersion", patch(CHUNK, 3, 2), [MODEL], D, K),
    ("EvaluatorChunkFeaturesMismatch", CHUNK, [MODEL], 4, K),
    ("EvaluatorChunkLabelKindMismatch", CHUNK, [REG_MODEL], D, 0),
    ("EvaluatorChunkLabelKindMismatch", REG_CHUNK, [MODEL], D, K),
    ("EvaluatorChunkLengthMismatch", CHUNK + b"\x00", [MODEL], D, K),
    ("EvaluatorChunkLengthMismatch", CHUNK[:-1], [MODEL], D, K),
    ("EvaluatorChunkLengthMismatch", patch(CHUNK, 10, 3), [MODEL], D, K),
    ("EvaluatorLabelOutOfRange", patch(CHUNK, len(CHUNK) - 1, 3), [MODEL], D, K),
    ("EvaluatorLabelOutOfRange", patch(CHUNK, len(CHUNK) - 2, 255), [MODEL], D, K),
    ("LinearEvaluatorModelTruncated", CHUNK, [MODEL[:12]], D, K),
    ("LinearEvaluatorModelBadMagic", CHUNK, [b"MLX" + MODEL[3:]], D, K),
    ("LinearEvaluatorModelUnsupportedVersion", CHUNK, [patch(MODEL, 3, 0)], D, K),
    ("LinearEvaluatorModelWrongFamily", CHUNK, [patch(MODEL, 4, 2)], D, K),
    ("LinearEvaluatorModelShapeMismatch", CHUNK, [patch(MODEL, 5, 1)], D, K),
    ("LinearEvaluatorModelShapeMismatch", CHUNK, [patch(MODEL, 6, 4)], D, K),
    ("LinearEvaluatorModelShapeMismatch", CHUNK, [patch(MODEL, 7, 1)], D, K),
    ("LinearEvaluatorModelShapeMismatch", REG_CHUNK, [patch(REG_MODEL, 7, 2)], D, 0),
    ("LinearEvaluatorModelFeaturesMismatch", CHUNK, [patch(MODEL, 9, 4)], D, K),
    ("LinearEvaluatorModelBadWidth", CHUNK, [patch(MODEL, 10, 0)], D, K),
    ("LinearEvaluatorModelBadWidth", CHUNK, [patch(MODEL, 10, 5)], D, K),
    ("LinearEvaluatorModelBadWidth", CHUNK, [patch(MODEL, 11, 9)], D, K),
    ("LinearEvaluatorModelBadShift", CHUNK, [patch(MODEL, 12, 1)], D, K),
    ("LinearEvaluatorModelBadShift", REG_CHUNK, [patch(REG_MODEL, 12, 64)], D, 0),
    ("LinearEvaluatorModelLengthMismatch", CHUNK, [MODEL + b"\x00"], D, K),
    ("LinearEvaluatorModelLengthMismatch", CHUNK, [MODEL, MODEL[:-1]], D, K),
]


@pytest.mark.parametrize(("name", "chunk", "models", "d", "k"), MALFORMED)
def test_malformed_failsWithTheSameNamedError(
    chain: Any, evaluator: Any, name: str, chunk: bytes, models: list[bytes], d: int, k: int
) -> None:
    expected = in_python(chunk, models, d, k)
    assert expected[0] == "error" and expected[1][0] == name
    assert on_chain(chain, evaluator, chunk, models, d, k) == expected


@given(
    classes=st.sampled_from([2, 3, 127, 128, 129, 200, 254, 255]),
    rows=st.integers(1, 80),
    data=st.data(),
)
def test_labelOutOfRange_theFirstIsNamed(
    chain: Any, evaluator: Any, classes: int, rows: int, data: st.DataObject
) -> None:
    """Labels are checked 32 per word: the first label >= classes is named wherever it falls
    (any byte of a word, the last partial word), whatever the labels after it."""
    labels = data.draw(st.lists(st.integers(0, classes - 1), min_size=rows, max_size=rows))
    chunk = encode_chunk(np.zeros((rows, 1), dtype=np.int64), labels, regression=False)
    start = len(chunk) - rows
    for row, label in data.draw(
        st.lists(st.tuples(st.integers(0, rows - 1), st.integers(classes, 255)), max_size=3)
    ):
        chunk = patch(chunk, start + row, label)
    model = encode_model(LinearParams(0, classes, np.ones((classes, 1), dtype=np.int64),
                                      (0,) * classes, 1, 1, 0))  # fmt: skip
    expected = in_python(chunk, [model], 1, classes)
    assert on_chain(chain, evaluator, chunk, [model], 1, classes) == expected


def test_everyErrorOfTheContract_isCovered() -> None:
    abi = load_artifact("ILinearEvaluator").abi
    declared = {entry["name"] for entry in abi if entry["type"] == "error"}
    # checkModel's budget error is covered in test_ml_budgets.py.
    assert declared == {case[0] for case in MALFORMED} | {"LinearEvaluatorModelOverBudget"}


@pytest.mark.parametrize(
    "name", ["IEvaluatorErrors", "ILinearEvaluator", "IMlpEvaluator", "ITreeEvaluator"]
)
def test_everyEvaluatorError_hasASentenceUsingItsArguments(name: str) -> None:
    """The chunk errors once (every family shares them), each family's model errors."""
    import string

    from mlmarket.contracts.messages import MESSAGES

    errors = [e for e in load_artifact(name).abi if e["type"] == "error"]
    shared = {e["name"] for e in load_artifact("IEvaluatorErrors").abi if e["type"] == "error"}
    assert len(shared) == 8 and all(n.startswith("Evaluator") for n in shared)
    assert shared <= {e["name"] for e in errors}
    for error in errors:
        template = MESSAGES[error["name"]]
        fields = {field for _, field, _, _ in string.Formatter().parse(template) if field}
        assert fields <= {i["name"] for i in error["inputs"]}, error["name"]


def test_errors_carryTheModelIndex_andAreValueErrors() -> None:
    with pytest.raises(ModelFormatError) as info:
        decode_model(MODEL[:-1], D, K, index=4)
    assert info.value.name == "LinearEvaluatorModelLengthMismatch"
    assert info.value.args_dict == {"model": 4, "expected": len(MODEL), "actual": len(MODEL) - 1}
    assert isinstance(info.value, ValueError) and isinstance(info.value, DataValidationError)
    with pytest.raises(ChunkFormatError, match="EvaluatorChunkBadMagic"):
        decode_chunk(MODEL, D, K)


@given(
    rows=st.integers(0, 6),
    d=st.integers(1, 20),
    regression=st.booleans(),
    data=st.data(),
)
def test_chunk_roundTrips(rows: int, d: int, regression: bool, data: st.DataObject) -> None:
    features = data.draw(arrays(np.int64, (rows, d), elements=st.integers(-128, 127)))
    label = st.integers(*int_range(4)) if regression else st.integers(0, 254)
    labels = data.draw(st.lists(label, min_size=rows, max_size=rows))
    chunk = encode_chunk(features, labels, regression=regression)
    decoded = decode_chunk(chunk, d, 0 if regression else 255)
    np.testing.assert_array_equal(decoded.features, features)
    assert decoded.labels.tolist() == labels and decoded.rows == rows


@given(
    d=st.integers(1, 12),
    classes=st.sampled_from([0, 2, 3, 9]),
    wb=st.integers(1, 4),
    bb=st.integers(1, 8),
    data=st.data(),
)
def test_model_roundTrips(d: int, classes: int, wb: int, bb: int, data: st.DataObject) -> None:
    outputs = 1 if classes in (0, 2) else classes
    weights = data.draw(arrays(np.int64, (outputs, d), elements=st.integers(*int_range(wb))))
    biases = tuple(
        data.draw(st.lists(st.integers(*int_range(bb)), min_size=outputs, max_size=outputs))
    )
    shift = data.draw(st.integers(0, 63)) if classes == 0 else 0
    params = LinearParams(1 if classes == 0 else 0, classes, weights, biases, wb, bb, shift)
    raw = encode_model(params)
    assert len(raw) == model_size(outputs, d, wb, bb)
    again = decode_model(raw, d, classes)
    np.testing.assert_array_equal(again.weights, weights)
    assert (again.biases, again.shift, again.weight_bytes, again.bias_bytes) == (
        biases,
        shift,
        wb,
        bb,
    )


@pytest.mark.parametrize("width", range(1, 9))
def test_packSigned_extremes(width: int) -> None:
    low, high = int_range(width)
    values = np.array([low, -1, 0, 1, high], dtype=np.int64)
    packed = pack_signed(values, width)
    assert packed == b"".join(int(v).to_bytes(width, "big", signed=True) for v in values)
    np.testing.assert_array_equal(unpack_signed(packed, width), values)


def test_encode_refusesValuesThatDoNotFit() -> None:
    with pytest.raises(DataValidationError, match="int8"):
        encode_chunk([[128]], [0], regression=False)
    with pytest.raises(DataValidationError, match="labels"):
        encode_chunk([[1]], [255], regression=False)
    with pytest.raises(DataValidationError, match="labels"):
        encode_chunk([[1]], [2**31], regression=True)
    with pytest.raises(DataValidationError, match="one label per row"):
        encode_chunk([[1], [2]], [0], regression=False)
    with pytest.raises(DataValidationError, match="Weights do not fit"):
        encode_model(LinearParams(0, 2, np.array([[128]]), (0,), 1, 1, 0))
    with pytest.raises(DataValidationError, match="biases"):
        encode_model(LinearParams(0, 2, np.array([[1]]), (128,), 1, 1, 0))


@pytest.mark.parametrize("classes", [2, 3, 16, 128, 129, 255])
@pytest.mark.parametrize("rows", [1, 31, 32, 33, 64, 100])
def test_labelOutOfRange_isTheFirstBadRow_atEveryPositionOfAWord(
    chain: Any, evaluator: Any, classes: int, rows: int
) -> None:
    """The chunk's labels are checked 32 at a time (up to 128 classes): the first bad label is
    reported wherever it is in its word (first, last, past a word boundary, the last row),
    with labels just in range around it, and a chunk whose labels all fit passes."""
    d = 2
    rng = np.random.default_rng(classes * 1000 + rows)
    model = encode_model(LinearParams(0, classes, rng.integers(-5, 5, (classes, d)),
                                      (0,) * classes, 1, 1, 0))  # fmt: skip
    labels = [classes - 1] * rows  # the largest label that fits, everywhere
    chunk = encode_chunk(rng.integers(-128, 128, (rows, d)), labels, regression=False)
    assert on_chain(chain, evaluator, chunk, [model], d, classes) == in_python(
        chunk, [model], d, classes
    )
    first = len(chunk) - rows  # the labels are the chunk's last bytes
    for bad in sorted({0, min(31, rows - 1), min(32, rows - 1), rows - 1}):
        for value in sorted({classes, 255}):
            wrong = patch(chunk, first + bad, value)
            if bad + 1 < rows:
                wrong = patch(wrong, first + bad + 1, 255)  # a later bad label is not reported
            expected = in_python(wrong, [model], d, classes)
            assert expected == (
                "error",
                ("EvaluatorLabelOutOfRange", {"row": bad, "label": value, "classes": classes}),
            )
            assert on_chain(chain, evaluator, wrong, [model], d, classes) == expected
