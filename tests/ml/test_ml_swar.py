"""The SWAR kernel of LinearEvaluator: lane arithmetic and on-chain extremes.

``LinearEvaluator`` packs a row's features into 32- or 64-bit lanes and each output's
weights into reversed lanes, so one ``mul`` yields a partial dot product in its top lane
(docs/fixed-point.md, "SWAR kernel", S1-S4). These tests (1) replay that word arithmetic
in Python, modulo 2^256 as the EVM does, at the extreme values the formats allow, junk
bytes past the row included, and (2) check the contract against the reference on every
code path (one block with 32- or 64-bit lanes, several blocks, the lane-width boundary at
511/512 int16 features, the largest d and K) with the most adversarial parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlmarket.chain import Chain
from mlmarket.ml import LinearParams, encode_chunk, encode_model
from mlmarket.ml.fixedpoint import MAX_FEATURES, int_range, lane_bits, swar_lane
from tests.ml.conftest import deploy
from tests.ml.helpers import in_python, on_chain

WORD = 1 << 256


def weight_words(weights: list[int], lane: int) -> list[int]:
    """One output's weight words, as ``_pack`` writes them (mod 2^256)."""
    per_block, lanes = lane // 8, 256 // lane
    words = [0] * (-(-len(weights) // 32) * per_block)
    for j, w in enumerate(weights):
        e = 31 - (j % 32)  # = R T + r
        slot = (j // 32) * per_block + e % per_block
        words[slot] = (words[slot] + (w << (lane * (lanes - 1 - e // per_block)))) % WORD
    return words


def feature_words(row: bytes, lane: int) -> list[int]:
    """A row's words, as ``unpack``/``spread`` make them: lane T of word r = byte 31 - R T - r."""
    per_block, lanes = lane // 8, 256 // lane
    words = []
    for b in range(0, len(row), 32):
        block = row[b : b + 32]
        for r in range(per_block):
            lanes_u = ((block[31 - per_block * t - r] ^ 0x80) << (lane * t) for t in range(lanes))
            words.append(sum(lanes_u))
    return words


def swar_dot(q: list[int], weights: list[int], wb: int, junk: bytes) -> int:
    """sum_j W_j q_j the way the contract computes it: init + sum U * V, then sar."""
    d, lane = len(q), swar_lane(len(q), wb)
    v = weight_words(weights, lane)
    ones = sum(1 << t for t in range(0, 256, lane))
    off = ((ones - (1 << (256 - lane))) << (lane - 1)) % WORD
    init = (off - (ones << 7) * sum(v)) % WORD
    blocks = -(-d // 32)
    row = bytes(x & 0xFF for x in q) + junk[: blocks * 32 - d]  # bytes past the row: anything
    acc = (init + sum(u * w for u, w in zip(feature_words(row, lane), v, strict=True))) % WORD
    top = acc >> (256 - lane)
    return top - (1 << lane) if top >> (lane - 1) else top  # sar: the signed top lane


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_swarWords_giveTheExactDotProduct(data: st.DataObject) -> None:
    wb = data.draw(st.integers(1, 4))
    d = data.draw(st.sampled_from([1, 2, 31, 32, 33, 64, 100, 511, 512, MAX_FEATURES]))
    low, high = int_range(wb)
    mode = data.draw(st.sampled_from(["max", "min", "random"]))
    if mode == "max":  # the largest positive lane sums: (-128) * (most negative weight)
        q, w = [-128] * d, [low] * d
    elif mode == "min":  # the most negative: (-128) * (largest weight)
        q, w = [-128] * d, [high] * d
    else:
        rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
        q = [int(x) for x in rng.integers(-128, 128, d)]
        w = [int(x) for x in rng.choice([low, high, 0, -1, 1, *rng.integers(low, high + 1, 4)], d)]
    junk = bytes(data.draw(st.lists(st.integers(0, 255), min_size=31, max_size=31)))
    assert swar_dot(q, w, wb, junk) == sum(a * b for a, b in zip(q, w, strict=True))


def test_swarLane_boundaries() -> None:
    assert [swar_lane(d, 1) for d in (1, 30, MAX_FEATURES)] == [32, 32, 32]
    assert [swar_lane(d, 2) for d in (30, 511, 512, MAX_FEATURES)] == [32, 32, 64, 64]
    assert swar_lane(1, 3) == 32 and swar_lane(2, 3) == swar_lane(1, 4) == 64
    assert lane_bits(MAX_FEATURES, 4) == 52 <= 64


# --- on chain --------------------------------------------------------------------------


def extreme_model(d: int, classes: int, outputs: int, wb: int, bb: int, kind: str) -> bytes:
    low, high = int_range(wb)
    blow, bhigh = int_range(bb)
    rng = np.random.default_rng(d * 1000 + outputs * 10 + wb)
    if kind == "min":
        weights = np.full((outputs, d), low)
        biases = (bhigh,) * outputs  # all outputs tie: class 0 wins (or the sign rule)
    elif kind == "max":
        weights = np.full((outputs, d), high)
        biases = (blow,) * outputs
    else:
        weights = rng.choice([low, high, 0, -1], (outputs, d))
        biases = tuple(int(b) for b in rng.choice([blow, bhigh, 0], outputs))
    task, shift = (1, 63 if kind == "min" else 0) if classes == 0 else (0, 0)
    return encode_model(LinearParams(task, classes, weights, biases, wb, bb, shift))


def extreme_chunk(d: int, classes: int, rows: int) -> bytes:
    rng = np.random.default_rng(rows + d)
    features = rng.choice([-128, 127, 0, -1], (rows, d))
    features[0], features[-1] = -128, 127
    if classes == 0:
        labels = rng.choice(list(int_range(4)), rows)
    else:
        labels = rng.integers(0, classes, rows)
    return encode_chunk(features, labels, regression=classes == 0)


PATHS = [  # (d, classes, outputs, weight bytes): every kernel path and lane boundary
    (1, 2, 1, 1), (30, 2, 1, 2), (32, 10, 10, 2), (30, 0, 1, 1),  # one block, 32-bit lanes
    (30, 10, 10, 4), (32, 2, 2, 3), (1, 2, 1, 3), (30, 0, 1, 4),  # one block, 64-bit lanes
    (33, 3, 3, 2), (100, 2, 1, 1), (64, 4, 4, 4), (101, 0, 1, 2),  # several blocks
    (511, 2, 2, 2), (512, 2, 2, 2), (512, 0, 1, 2),  # lane width boundary for int16
    (MAX_FEATURES, 2, 1, 4), (MAX_FEATURES, 0, 1, 4),  # the largest d
    (3, 255, 255, 4),  # the largest K
]  # fmt: skip


@pytest.mark.parametrize("kind", ["min", "max", "mixed"])
@pytest.mark.parametrize(("d", "classes", "outputs", "wb"), PATHS)
def test_extremes_equalReference(
    chain: Chain, evaluator: Any, d: int, classes: int, outputs: int, wb: int, kind: str
) -> None:
    rows = 3 if d >= 512 else 12
    chunk = extreme_chunk(d, classes, rows)
    models = [extreme_model(d, classes, outputs, wb, bb, kind) for bb in (1, 8)]
    expected = in_python(chunk, models, d, classes)
    assert expected[0] == "ok"
    assert on_chain(chain, evaluator, chunk, models, d, classes) == expected


@pytest.fixture(scope="module")
def unrolled(chain: Chain) -> Any:
    return deploy(chain, "LinearEvaluatorUnrolled")


INT8 = st.one_of(st.sampled_from([-128, 127, 0]), st.integers(-128, 127))


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_mixedWidths_inOneBatch_equalReference(
    chain: Chain, evaluator: Any, unrolled: Any, data: st.DataObject
) -> None:
    """Models of different widths (so lane widths) in one call; memory is reused per model."""
    classes = data.draw(st.sampled_from([0, 2, 3, 10]))
    d = data.draw(st.integers(1, 80))
    rows = data.draw(st.integers(0, 6))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    features = rng.integers(-128, 128, (rows, d))
    labels = rng.integers(*int_range(4), rows) if classes == 0 else rng.integers(0, classes, rows)
    chunk = encode_chunk(features, labels, regression=classes == 0)
    models = []
    for wb in data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)):
        shapes = [classes, 1] if classes == 2 else [classes]
        outputs = 1 if classes == 0 else data.draw(st.sampled_from(shapes))
        low, high = int_range(wb)
        weights = rng.choice([low, high, *rng.integers(low, high + 1, 3)], (outputs, d))
        biases = tuple(int(b) for b in rng.integers(-(2**62), 2**62, outputs))
        task, shift = (1, int(rng.integers(0, 64))) if classes == 0 else (0, 0)
        models.append(encode_model(LinearParams(task, classes, weights, biases, wb, 8, shift)))
    expected = in_python(chunk, models, d, classes)
    assert on_chain(chain, evaluator, chunk, models, d, classes) == expected
    assert on_chain(chain, unrolled, chunk, models, d, classes) == expected
