"""LinearEvaluator.scoreBatch on chain equals the Python reference, bit for bit.

Random linear models and chunks, including the extreme weights, biases, features
and labels the formats allow and exact ties between classes; then malformed bytes,
which must fail with the same named error (and arguments) on chain and in Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mlmarket.ml import LinearParams, encode_chunk, encode_model, score_batch
from mlmarket.ml.fixedpoint import MAX_FEATURES, int_range
from tests.ml.helpers import in_python, on_chain

CLASSES = st.sampled_from([0, 0, 2, 2, 3, 4, 7, 12])
INT8 = st.one_of(st.sampled_from([-128, 127, 0, -1]), st.integers(-128, 127))
INT32 = st.one_of(st.sampled_from(int_range(4)), st.integers(*int_range(4)))
SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def extremes(width: int) -> st.SearchStrategy[int]:
    low, high = int_range(width)
    return st.one_of(st.sampled_from([low, high, 0, 1, -1]), st.integers(low, high))


@st.composite
def linear_models(draw: st.DrawFn, d: int, classes: int) -> bytes:
    outputs = (
        1 if classes == 0 else draw(st.sampled_from([classes, 1] if classes == 2 else [classes]))
    )
    wb, bb = draw(st.integers(1, 4)), draw(st.integers(1, 8))
    weights = draw(arrays(np.int64, (outputs, d), elements=extremes(wb)))
    biases = [draw(extremes(bb)) for _ in range(outputs)]
    if outputs > 1 and draw(st.booleans()):  # ties: some outputs copy output 0 exactly
        for k in draw(st.sets(st.integers(1, outputs - 1), min_size=1)):
            weights[k], biases[k] = weights[0], biases[0]
    shift = draw(st.integers(0, 63)) if classes == 0 else 0
    task = 1 if classes == 0 else 0
    return encode_model(LinearParams(task, classes, weights, tuple(biases), wb, bb, shift))


@st.composite
def cases(draw: st.DrawFn, max_rows: int = 8) -> tuple[bytes, list[bytes], int, int]:
    classes, d = draw(CLASSES), draw(st.integers(1, 40))
    rows = draw(st.integers(0, max_rows))
    features = draw(arrays(np.int64, (rows, d), elements=INT8))
    label = INT32 if classes == 0 else st.integers(0, classes - 1)
    labels = [draw(label) for _ in range(rows)]
    chunk = encode_chunk(features.reshape(rows, d), labels, regression=classes == 0)
    models = [draw(linear_models(d, classes)) for _ in range(draw(st.integers(1, 3)))]
    return chunk, models, d, classes


@SETTINGS
@given(case=cases())
def test_scoreBatch_equalsReference(chain: Any, evaluator: Any, case: Any) -> None:
    chunk, models, d, classes = case
    expected = in_python(chunk, models, d, classes)
    assert expected[0] == "ok"
    assert on_chain(chain, evaluator, chunk, models, d, classes) == expected


MUTATIONS = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 10_000), st.integers(0, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 10_000), st.just(0)),
    st.tuples(st.just("append"), st.integers(1, 5), st.integers(0, 255)),
)


def mutate(data: bytes, mutation: tuple[str, int, int]) -> bytes:
    kind, where, value = mutation
    if kind == "set" and data:
        position = where % min(len(data), 16) if where % 2 else where % len(data)  # favour headers
        return data[:position] + bytes([value]) + data[position + 1 :]
    if kind == "truncate":
        return data[: where % (len(data) + 1)]
    return data + bytes([value]) * where


@SETTINGS
@given(case=cases(max_rows=4), mutation=MUTATIONS, target=st.integers(0, 3), data=st.data())
def test_malformedBytes_failAlikeOnChainAndInPython(
    chain: Any, evaluator: Any, case: Any, mutation: Any, target: int, data: st.DataObject
) -> None:
    chunk, models, d, classes = case
    if target == 0:
        chunk = mutate(chunk, mutation)
    else:
        i = target % len(models)
        models = [*models[:i], mutate(models[i], mutation), *models[i + 1 :]]
    if data.draw(st.booleans()):  # sometimes the arguments are wrong instead of (or too)
        d = data.draw(st.sampled_from([d, d + 1, 0, MAX_FEATURES + 1]))
        classes = data.draw(st.sampled_from([classes, 1, 256, 2 if classes == 0 else 0]))
    assert on_chain(chain, evaluator, chunk, models, d, classes) == in_python(
        chunk, models, d, classes
    )


def test_family_isKeccakOfLinear(chain: Any, evaluator: Any) -> None:
    assert chain.call(evaluator.functions.family()) == keccak(text="linear")


@pytest.mark.parametrize(("classes", "sign"), [(0, -1), (0, 1), (2, -1), (3, 1)])
def test_extremeModel_atMaximumFeatures_matches(
    chain: Any, evaluator: Any, classes: int, sign: int
) -> None:
    """4096 features, int32 weights and int64 biases at their limits: the largest accumulator."""
    d, outputs = MAX_FEATURES, max(classes, 1)
    low32, high32 = int_range(4)
    low64, high64 = int_range(8)
    weight = low32 if sign < 0 else high32
    weights = np.full((outputs, d), weight, dtype=np.int64)
    weights[-1, 0] = high32  # the last class differs a little
    features = np.full((2, d), -128, dtype=np.int64)
    features[1] = 127
    labels = [low32, high32] if classes == 0 else [0, classes - 1]
    chunk = encode_chunk(features, labels, regression=classes == 0)
    bias = low64 if sign > 0 else high64
    task, shift = (1, 0) if classes == 0 else (0, 0)
    model = encode_model(LinearParams(task, classes, weights, (bias,) * outputs, 4, 8, shift))
    expected = in_python(chunk, [model], d, classes)
    assert expected[0] == "ok"
    assert on_chain(chain, evaluator, chunk, [model], d, classes) == expected


def test_255Classes_allTied_predictsClassZero(chain: Any, evaluator: Any) -> None:
    d, classes = 3, 255
    weights = np.zeros((classes, d), dtype=np.int64)
    chunk = encode_chunk(np.ones((4, d), dtype=np.int64), [0, 1, 254, 0], regression=False)
    model = encode_model(LinearParams(0, classes, weights, (7,) * classes, 1, 1, 0))
    assert score_batch(chunk, [model], d, classes) == (4, [2])
    assert on_chain(chain, evaluator, chunk, [model], d, classes) == ("ok", (4, [2]))


def test_binarySignRule_zeroScore_isClassZero(chain: Any, evaluator: Any) -> None:
    chunk = encode_chunk([[1, -1], [2, 0], [0, 0]], [0, 1, 0], regression=False)
    model = encode_model(LinearParams(0, 2, np.array([[1, 1]]), (0,), 1, 1, 0))
    # scores 0, 2, 0 -> classes 0, 1, 0: all correct
    assert on_chain(chain, evaluator, chunk, [model], 2, 2) == ("ok", (3, [3]))


def test_regression_roundsHalfUp(chain: Any, evaluator: Any) -> None:
    # acc = 3 * q with shift 1: q = 1 -> 1.5 -> 2; q = -1 -> -1.5 -> -1; q = 0 -> 0.
    chunk = encode_chunk([[1], [-1], [0]], [0, 0, 0], regression=True)
    model = encode_model(LinearParams(1, 0, np.array([[3]]), (0,), 1, 1, 1))
    assert on_chain(chain, evaluator, chunk, [model], 1, 0) == ("ok", (3, [4 + 1 + 0]))


def test_emptyModelList_andEmptyChunk(chain: Any, evaluator: Any) -> None:
    empty = encode_chunk(np.zeros((0, 3), dtype=np.int64), [], regression=False)
    model = encode_model(LinearParams(0, 2, np.ones((1, 3), dtype=np.int64), (0,), 1, 1, 0))
    assert on_chain(chain, evaluator, empty, [model], 3, 2) == ("ok", (0, [0]))
    assert on_chain(chain, evaluator, empty, [], 3, 2) == ("ok", (0, []))
