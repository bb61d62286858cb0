"""The SWAR kernel of LinearEvaluator: lane arithmetic and on-chain extremes on every path.

``LinearEvaluator`` spreads each block of 32 int8 features into four words of eight 32-bit
lanes and puts each output's weights (or, wider than 16 bits, their halves ``w = 2**16 hi +
lo``) into reversed lanes, so one ``mul`` yields a block's partial dot product in its top
lane (docs/fixed-point.md, "SWAR kernel"): a single output in the signed layout (S1-S5),
several outputs in the unsigned layout, which shifts every output's score by the same amount
(U1-U4). These tests (1) replay that word arithmetic in Python, modulo 2^256 as the EVM does,
at the extreme values the formats allow, junk bytes past the row included, and (2) check the
contract against the reference on every path (one output, the straight-line argmax for every
number of outputs it handles, the loop over the outputs, rows of several blocks), every
weight width and bias extremes, with models whose every output beats or ties the one before.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlmarket.chain import Chain
from mlmarket.ml import LinearParams, encode_chunk, encode_model
from mlmarket.ml.fixedpoint import MAX_FEATURES, SWAR_BLOCK, int_range, swar_sets
from tests.ml.conftest import deploy
from tests.ml.helpers import in_python, on_chain

WORD = 1 << 256
FLIP = int("80" * 32, 16)  # u = q + 128 in every byte
M32 = int("000000ff" * 8, 16)  # the bytes at bit offsets 32 t
ONES = sum(1 << (32 * t) for t in range(8))
OFF = sum(1 << (32 * t + 31) for t in range(7))  # 2^31 in lanes 0..6


def feature_words(block: bytes) -> list[int]:
    """The four words of 32 row bytes, as the kernels spread them: ``u_r = (f >> 8 r) & M32``
    with ``f`` the bytes xored with 0x80.., so lane T of word r holds byte ``31 - 4 T - r``."""
    f = int.from_bytes(block, "big") ^ FLIP
    return [(f >> (8 * r)) & M32 for r in range(4)]


def weight_words(values: list[int]) -> list[int]:
    """A block's four weight words (mod 2^256), as ``_place`` writes them: the value of the
    block's feature j goes to word ``3 - (j & 3)`` at bit ``8 (j & 28)`` (lane ``7 - T``)."""
    words = [0] * 4
    for j, v in enumerate(values):
        words[3 - (j & 3)] = (words[3 - (j & 3)] + (v << (8 * (j & 28)))) % WORD
    return words


def lane_sums(block: bytes, values: list[int]) -> list[int]:
    """The exact lane coefficients ``c_t`` (t < 8) of ``sum_r U_r V_r`` for one block."""
    us = [[(w >> (32 * t)) & 0xFFFFFFFF for t in range(8)] for w in feature_words(block)]
    vs: list[list[int]] = [[0] * 8 for _ in range(4)]
    for j, v in enumerate(values):
        vs[3 - (j & 3)][j >> 2] += v
    return [sum(us[r][a] * vs[r][t - a] for r in range(4) for a in range(t + 1)) for t in range(8)]


def sar224(acc: int) -> int:
    top = acc >> 224
    return top - (1 << 32) if top >> 31 else top


def split(w: int, wb: int) -> tuple[int, int]:
    """``(hi, lo)`` with ``w = 2**16 hi + lo``, ``hi = w >> 16`` (arithmetic), ``lo = w & 0xffff``
    for weights wider than 16 bits; ``(0, w)`` otherwise (no split)."""
    return (w >> 16, w & 0xFFFF) if swar_sets(wb) == 2 else (0, w)


def blocks_of(q: list[int], junk: bytes) -> list[bytes]:
    """The row's 32-byte blocks, the last one padded with junk (bytes past the row: anything)."""
    n = -(-len(q) // SWAR_BLOCK) * SWAR_BLOCK
    row = bytes(x & 0xFF for x in q) + junk[: n - len(q)]
    return [row[b : b + SWAR_BLOCK] for b in range(0, n, SWAR_BLOCK)]


def signed_score(q: list[int], w: list[int], wb: int, junk: bytes) -> int:
    """``sum_j w_j q_j`` as {_one} and {_wideOne} compute it: per block and set of words,
    ``sar(224, init + sum_r U_r V_r)``, with ``init = OFF - 128 ONES sum_r V_r`` (S1-S5)."""
    total = 0
    for b, block in enumerate(blocks_of(q, junk)):
        parts = [split(x, wb) for x in w[SWAR_BLOCK * b : SWAR_BLOCK * (b + 1)]]
        for scale, values in ((1 << 16, [h for h, _ in parts]), (1, [lo for _, lo in parts])):
            v = weight_words(values)
            init = (OFF - (ONES << 7) * sum(v)) % WORD
            acc = (init + sum(u * x for u, x in zip(feature_words(block), v, strict=True))) % WORD
            total += scale * sar224(acc)
            assert all(abs(c) < 2**31 for c in lane_sums(block, values))  # S1
    return total


def unsigned_score(q: list[int], w: list[int], bias: int, wb: int, junk: bytes) -> int:
    """An output's score as the argmax kernels compute it (U1-U4): per block ``shr(224, sum_r
    U_r V_r)`` of the values ``w + 2^15`` (or ``2^16 (hi + 2^15) + lo``), plus ``B = b - 128
    sum_j w_j``."""
    total = bias - 128 * sum(w)
    for b, block in enumerate(blocks_of(q, junk)):
        parts = [split(x, wb) for x in w[SWAR_BLOCK * b : SWAR_BLOCK * (b + 1)]]
        sets = [[h + 2**15 for h, _ in parts], [lo for _, lo in parts]]
        if swar_sets(wb) == 1:
            sets = [[], [lo + 2**15 for _, lo in parts]]
        for scale, values in zip((1 << 16, 1), sets, strict=True):
            assert all(0 <= v < 2**16 for v in values)
            assert all(0 <= c < 2**32 for c in lane_sums(block, values))  # U1: no lane carries
            acc = sum(
                u * x for u, x in zip(feature_words(block), weight_words(values), strict=True)
            )
            total += scale * ((acc % WORD) >> 224)
    return total


def extremes(
    data: st.DataObject, d: int, wb: int, outputs: int
) -> tuple[list[int], list[list[int]]]:
    low, high = int_range(wb)
    mode = data.draw(st.sampled_from(["max", "min", "random"]))
    if mode == "max":  # the largest positive lane sums: (-128) * (most negative weight)
        return [-128] * d, [[low] * d] * outputs
    if mode == "min":  # the most negative: (-128) * (largest weight)
        return [-128] * d, [[high] * d] * outputs
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    q = [int(x) for x in rng.integers(-128, 128, d)]
    pool = [low, high, 0, -1, 1, *rng.integers(low, high + 1, 4)]
    return q, [[int(x) for x in rng.choice(pool, d)] for _ in range(outputs)]


D_VALUES = [1, 2, 31, 32, 33, 64, 100, 511, 512, MAX_FEATURES]


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_signedLayout_givesTheExactDotProduct(data: st.DataObject) -> None:
    wb = data.draw(st.integers(1, 4))
    d = data.draw(st.sampled_from(D_VALUES))
    q, (w,) = extremes(data, d, wb, 1)
    junk = bytes(data.draw(st.lists(st.integers(0, 255), min_size=31, max_size=31)))
    assert signed_score(q, w, wb, junk) == sum(a * b for a, b in zip(q, w, strict=True))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_unsignedLayout_shiftsEveryScoreAlike(data: st.DataObject) -> None:
    """``score'_k = score_k + C``, with ``C = 2^15 sum_j u_j`` (or ``2^31 sum_j u_j``) the same
    for every output: the argmax, ties included, is the true one."""
    wb = data.draw(st.integers(1, 4))
    d = data.draw(st.sampled_from(D_VALUES))
    outputs = data.draw(st.integers(2, 4))
    q, ws = extremes(data, d, wb, outputs)
    biases = data.draw(st.lists(st.sampled_from([*int_range(8), 0, 5]), min_size=outputs,
                                max_size=outputs))  # fmt: skip
    junk = bytes(data.draw(st.lists(st.integers(0, 255), min_size=31, max_size=31)))
    common = (2**15 if swar_sets(wb) == 1 else 2**31) * sum(x + 128 for x in q)
    for w, b in zip(ws, biases, strict=True):
        true = b + sum(x * y for x, y in zip(q, w, strict=True))
        assert unsigned_score(q, w, b, wb, junk) == true + common


def test_swarSets_andTheLaneBounds() -> None:
    assert [swar_sets(wb) for wb in (1, 2, 3, 4)] == [1, 1, 2, 2]
    assert SWAR_BLOCK * 128 * 2**16 < 2**31  # S1: a signed lane sums at most 32 products
    assert SWAR_BLOCK * 255 * (2**16 - 1) < 2**32  # U1: an unsigned lane never carries


# --- on chain --------------------------------------------------------------------------


def biases_for(kind: str, outputs: int, bb: int) -> tuple[int, ...]:
    blow, bhigh = int_range(bb)
    step = max(1, (bhigh - 1) // max(outputs, 1) // 2)
    if kind == "tie":
        return (bhigh,) * outputs  # every score equal: class 0 wins (or the sign rule)
    if kind == "rising":  # every output beats the one before: the loops update at every output
        return tuple(blow + 1 + k * step for k in range(outputs))
    if kind == "falling":  # the straight-line argmax (last output first) updates at every one
        return tuple(bhigh - k * step for k in range(outputs))
    return (blow,) * outputs


def extreme_model(d: int, classes: int, outputs: int, wb: int, bb: int, kind: str) -> bytes:
    low, high = int_range(wb)
    rng = np.random.default_rng(d * 1000 + outputs * 10 + wb)
    if kind == "min":
        weights = np.full((outputs, d), low)
        biases = biases_for("tie", outputs, bb)
    elif kind == "max":
        weights = np.full((outputs, d), high)
        biases = biases_for("low", outputs, bb)
    elif kind in ("rising", "falling"):
        weights = rng.choice([low, high, 0, -1], (outputs, d))
        biases = biases_for(kind, outputs, bb)
    else:
        weights = rng.choice([low, high, 0, -1], (outputs, d))
        biases = tuple(int(b) for b in rng.choice([*int_range(bb), 0], outputs))
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


KINDS = ["min", "max", "mixed", "rising", "falling"]
PATHS = [  # (d, classes, outputs): beyond the sweep below
    (3, 255, 255), (30, 40, 40),  # the loop over many outputs
    (100, 2, 1), (511, 2, 2), (512, 0, 1), (101, 0, 1),  # several blocks
    (MAX_FEATURES, 2, 1), (MAX_FEATURES, 0, 1),  # the largest d
]  # fmt: skip


def check_widths(
    chain: Chain, evaluator: Any, d: int, classes: int, outputs: int, widths: tuple[int, ...]
) -> None:
    """One call: the weight widths given (so one layout: 16-bit words, or split), both bias
    widths and every kind of extreme model, against the reference."""
    rows = 3 if d >= 512 else 12
    chunk = extreme_chunk(d, classes, rows)
    models = [
        extreme_model(d, classes, outputs, wb, bb, kind)
        for wb in widths
        for bb in (1, 8)
        for kind in KINDS
        if not (kind in ("rising", "falling") and outputs == 1)
    ]
    expected = in_python(chunk, models, d, classes)
    assert expected[0] == "ok"
    assert on_chain(chain, evaluator, chunk, models, d, classes) == expected


WIDTHS = [(1, 2), (3, 4)]  # int8/int16 weights: 16-bit words; int24/int32: split


@pytest.mark.parametrize("widths", WIDTHS)
@pytest.mark.parametrize(
    ("d", "classes"),
    [(d, k) for d in (1, 32, 33) for k in (*range(2, 18), 32, 33)]
    + [(d, k) for d in (31, 64) for k in (2, 3, 10, 16, 17)],
)
def test_everyNumberOfOutputs_equalsReference(
    chain: Chain, evaluator: Any, d: int, classes: int, widths: tuple[int, ...]
) -> None:
    """The straight-line argmax for 2..16 outputs (weights of at most 16 bits), the loop over
    the outputs beyond it and for split weights, and rows of two or three blocks."""
    check_widths(chain, evaluator, d, classes, classes, widths)


@pytest.mark.parametrize("widths", WIDTHS)
@pytest.mark.parametrize("d", [1, 31, 32, 33, 64])
@pytest.mark.parametrize("classes", [0, 2])
def test_oneOutput_equalsReference(
    chain: Chain, evaluator: Any, d: int, classes: int, widths: tuple[int, ...]
) -> None:
    """The sign rule and regression, one block or several, every weight width."""
    check_widths(chain, evaluator, d, classes, 1, widths)


@pytest.mark.parametrize("widths", WIDTHS)
@pytest.mark.parametrize(("d", "classes", "outputs"), PATHS)
def test_extremes_equalReference(
    chain: Chain, evaluator: Any, d: int, classes: int, outputs: int, widths: tuple[int, ...]
) -> None:
    check_widths(chain, evaluator, d, classes, outputs, widths)


@pytest.fixture(scope="module")
def unrolled(chain: Chain) -> Any:
    return deploy(chain, "LinearEvaluatorUnrolled")


INT8 = st.one_of(st.sampled_from([-128, 127, 0]), st.integers(-128, 127))


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_mixedWidths_inOneBatch_equalReference(
    chain: Chain, evaluator: Any, unrolled: Any, data: st.DataObject
) -> None:
    """Models of different widths (so layouts and paths) in one call; the fixed memory and
    the scratch are reused per model."""
    classes = data.draw(st.sampled_from([0, 2, 3, 10, 16, 17]))
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
