"""The SWAR kernel of MlpEvaluator: lane arithmetic and on-chain extremes on every path.

``MlpEvaluator`` packs the first layer like ``LinearEvaluator`` (int8 features in 32- or
64-bit lanes, int16 weights in reversed lanes) and later layers with four activations
(``0 <= h < 2**32``) per word in 64-bit lanes (docs/fixed-point.md, "MLP kernel",
M6-M9). These tests (1) replay the word arithmetic in Python, modulo 2**256 as the EVM
does, at the extreme values the format allows, and check every lane stays in range; and
(2) check the contract against the reference ``mlmarket.ml.mlp`` on every code path (one
block with the row on the stack, several blocks, the 511/512 lane boundary, 4096
features, later layers on 4 or 8 stack-held activation words or on memory words, hidden
layers of 1..255 units, odd unit counts, one output, regression) with the most
adversarial parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlmarket.chain import Chain
from mlmarket.ml import encode_chunk
from mlmarket.ml.fixedpoint import int_range
from mlmarket.ml.mlp import HIDDEN_MAX, MlpParams, encode_mlp, score_batch_mlp
from tests.ml.conftest import deploy
from tests.ml.helpers import on_chain

WORD = 1 << 256
LOW16, HIGH16 = int_range(2)
LOW64, HIGH64 = int_range(8)


@pytest.fixture(scope="module")
def mlp(chain: Chain) -> Any:
    return deploy(chain, "MlpEvaluator")


def signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


# --- the word arithmetic in Python --------------------------------------------------------


def first_lane(d: int) -> int:
    """M6: 32-bit lanes iff d * 2**22 < 2**31."""
    return 32 if d * 2**22 < 2**31 else 64


def first_words(q: list[int], w: list[int], junk: bytes) -> tuple[int, list[int]]:
    """``OFF + sum Q V`` (mod 2**256) for one unit, and the lanes before truncation.

    Feature ``j = 32 b + R m + i`` of a block is in lane ``n - 1 - m`` of word ``R - 1 - i``
    (as ``spread``/``unpack`` make them, signed: ``Q = U - 128 ONES``); its weight in lane
    ``m`` of the same word (as ``_packFirst`` writes them).
    """
    d, lane = len(q), first_lane(len(q))
    per_block, lanes = lane // 8, 256 // lane
    blocks = -(-d // 32)
    row = [*q, *(signed(b, 8) for b in junk[: blocks * 32 - d])]  # bytes past the row: anything
    fw, ww = [0] * (blocks * per_block), [0] * (blocks * per_block)
    for j, x in enumerate(row):
        b, rest = divmod(j, 32)
        m, i = divmod(rest, per_block)
        slot = b * per_block + per_block - 1 - i
        fw[slot] += x << (lane * (lanes - 1 - m))  # signed lanes: the word is their sum
        if j < d:
            ww[slot] += w[j] << (lane * m)
    off = sum(1 << (lane * t + lane - 1) for t in range(lanes - 1))
    exact = off + sum(a * b for a, b in zip(fw, ww, strict=True))  # before reduction mod 2**256
    lanes_before = [(exact >> (lane * t)) & ((1 << lane) - 1) for t in range(lanes)]
    return exact % WORD, lanes_before


def dense_words(h: list[int], w: list[int]) -> tuple[int, int]:
    """``OFF64 + sum A V`` (mod 2**256) on activation words, and the lowest 192 bits exact.

    Activation ``4 j + T`` is in lane ``T`` of word ``j`` and its weight in lane ``3 - T``;
    words are padded to a multiple of 4 with zeros (``_groups``).
    """
    groups = -(-len(h) // 16) * 4
    aw, vw = [0] * groups, [0] * groups
    for i, (a, b) in enumerate(zip(h, w, strict=True)):
        aw[i // 4] += a << (64 * (i % 4))
        vw[i // 4] += b << (64 * (3 - i % 4))
    off = sum(1 << (64 * t + 63) for t in range(3))
    exact = off + sum(a * b for a, b in zip(aw, vw, strict=True))
    return exact % WORD, exact % (1 << 192)


def spread_group(x: int, rem: int) -> int:
    """``_packDense``'s word for weights 4j..4j+3 (the 32-byte load ``x``, ``rem`` valid)."""
    if rem < 4:
        x &= ~(((1 << 256) - 1) >> (16 * rem)) & ((1 << 256) - 1)
    x = (x >> 192) ^ 0x8000800080008000
    x = (x & 0xFFFFFFFF) | ((x & 0xFFFFFFFF00000000) << 96)
    x = (x & ((0xFFFF << 128) | 0xFFFF)) | ((x & ((0xFFFF << 144) | (0xFFFF << 16))) << 48)
    return (x - sum(0x8000 << (64 * t) for t in range(4))) % WORD


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_firstLayerWords_giveTheExactDotProduct(data: st.DataObject) -> None:
    d = data.draw(st.sampled_from([1, 2, 30, 31, 32, 33, 64, 100, 511, 512, 513, 4096]))
    mode = data.draw(st.sampled_from(["max", "min", "random"]))
    if mode == "max":  # the largest positive lane sums: (-128) * (-2**15)
        q, w = [-128] * d, [LOW16] * d
    elif mode == "min":
        q, w = [-128] * d, [HIGH16] * d
    else:
        rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
        q = [int(x) for x in rng.integers(-128, 128, d)]
        w = [
            int(x)
            for x in rng.choice([LOW16, HIGH16, 0, -1, 1, *rng.integers(LOW16, HIGH16, 4)], d)
        ]
    junk = bytes(data.draw(st.lists(st.integers(0, 255), min_size=31, max_size=31)))
    acc, lanes = first_words(q, w, junk)
    lane = first_lane(d)
    # M6: every lane of OFF + sum Q V lies in [0, 2**lane) before truncation (no carries)...
    assert all(0 <= v < 1 << lane for v in lanes)
    # ... so sar(256 - lane, acc) is the dot product exactly.
    assert signed(acc >> (256 - lane), lane) == sum(a * b for a, b in zip(q, w, strict=True))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_laterLayerWords_giveTheExactDotProduct(data: st.DataObject) -> None:
    n = data.draw(st.sampled_from([1, 2, 3, 4, 5, 15, 16, 17, 100, 254, 255]))
    mode = data.draw(st.sampled_from(["max", "min", "random"]))
    if mode == "max":  # the largest lane sums: the ceiling times the extreme weights
        h, w = [HIDDEN_MAX] * n, [LOW16] * n
    elif mode == "min":
        h, w = [HIDDEN_MAX] * n, [HIGH16] * n
    else:
        rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
        h = [int(x) for x in rng.choice([0, 1, HIDDEN_MAX, *rng.integers(0, HIDDEN_MAX, 3)], n)]
        w = [int(x) for x in rng.choice([LOW16, HIGH16, 0, -1, *rng.integers(LOW16, HIGH16, 3)], n)]
    acc, low = dense_words(h, w)
    # M8: the three lower lanes never borrow or carry (each in [0, 2**64) before truncation)
    assert all(0 <= (low >> (64 * t)) & ((1 << 64) - 1) < 1 << 64 for t in range(3))
    assert low < 1 << 192
    dot = sum(a * b for a, b in zip(h, w, strict=True))
    assert abs(dot) < 2**55
    assert signed(acc >> 192, 64) == dot


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    weights=st.lists(
        st.sampled_from([LOW16, HIGH16, 0, -1, 1, 0x7F00, -0x100]), min_size=1, max_size=4
    ),  # fmt: skip
    tail=st.binary(min_size=30, max_size=30),
)
def test_denseSpread_placesEachWeightInItsLane(weights: list[int], tail: bytes) -> None:
    """The masks of ``_packDense``: weight ``4 j + f`` in lane ``3 - f``; bytes past the unit's
    weights (the next unit's weights or biases) are masked to 0."""
    raw = b"".join(v.to_bytes(2, "big", signed=True) for v in weights)
    loaded = int.from_bytes((raw + tail)[:32], "big")  # calldataload
    expected = sum(v << (64 * (3 - f)) for f, v in enumerate(weights)) % WORD
    assert spread_group(loaded, len(weights)) == expected


# --- on chain -----------------------------------------------------------------------------


def extreme_network(
    d: int, hidden: tuple[int, ...], classes: int, outputs: int, kind: str
) -> MlpParams:
    rng = np.random.default_rng(d * 7919 + sum(hidden) * 31 + outputs)
    sizes = (d, *hidden, outputs)
    shapes = list(zip(sizes[1:], sizes[:-1], strict=True))
    if kind in ("min", "max"):  # all at one extreme: lanes at their bounds, activations clamp
        value = LOW16 if kind == "min" else HIGH16
        weights = tuple(np.full(s, value, dtype=np.int64) for s in shapes)
        bias = HIGH64 if kind == "min" else LOW64 // 2
        biases = tuple((bias,) * n for n in sizes[1:])
        shifts = (0,) * len(hidden)
    else:
        weights = tuple(rng.choice([LOW16, HIGH16, 0, -1, *rng.integers(LOW16, HIGH16, 3)], s)
                        for s in shapes)  # fmt: skip
        biases = tuple(tuple(int(b) for b in rng.choice([LOW64, HIGH64, 0, *rng.integers(
            -(2**40), 2**40, 3)], n)) for n in sizes[1:])  # fmt: skip
        shifts = tuple(int(s) for s in rng.choice([0, 1, 20, 40, 63], len(hidden)))
    out_shift = (63 if kind == "min" else 17) if classes == 0 else 0
    task = 1 if classes == 0 else 0
    return MlpParams(task, classes, weights, biases, shifts, out_shift)


def extreme_chunk(d: int, classes: int, rows: int) -> bytes:
    rng = np.random.default_rng(rows + d)
    features = rng.choice([-128, 127, 0, -1, 1], (rows, d))
    features[0], features[-1] = -128, 127
    if classes == 0:
        labels = rng.choice(list(int_range(4)), rows)
    else:
        labels = rng.integers(0, classes, rows)
    return encode_chunk(features, labels, regression=classes == 0)


PATHS = [  # (d, hidden, classes, outputs): every kernel path and lane boundary
    (1, (1,), 2, 1), (30, (16,), 10, 10), (32, (17,), 3, 3), (30, (3,), 0, 1),  # one block
    (31, (4, 33), 0, 1), (20, (32, 16), 10, 10), (8, (255, 60), 2, 1),  # two hidden layers
    (33, (5,), 2, 2), (64, (16, 16), 10, 10), (100, (3,), 0, 1),  # several blocks
    (511, (2,), 2, 1), (512, (2,), 2, 2), (513, (3, 5), 0, 1),  # lane width boundary
    (4096, (1,), 2, 2), (4096, (2, 3), 0, 1),  # the largest d (64-bit lanes)
    (3, (255,), 100, 100), (2, (64,), 255, 255),  # wide hidden layers, the largest K
    (30, (32,), 10, 10), (5, (20,), 2, 1), (30, (24, 5), 0, 1), (12, (9, 30), 3, 3),  # 8 words
]  # fmt: skip


@pytest.mark.parametrize("kind", ["min", "max", "mixed"])
@pytest.mark.parametrize(("d", "hidden", "classes", "outputs"), PATHS)
def test_extremes_equalReference(
    chain: Chain, mlp: Any, d: int, hidden: tuple[int, ...], classes: int, outputs: int, kind: str
) -> None:
    rows = 3 if d >= 512 else 9
    chunk = extreme_chunk(d, classes, rows)
    model = encode_mlp(extreme_network(d, hidden, classes, outputs, kind))
    expected = score_batch_mlp(chunk, [model], d, classes)
    assert on_chain(chain, mlp, chunk, [model], d, classes) == ("ok", expected)


def random_network(data: st.DataObject, d: int, classes: int) -> bytes:
    choices = [1] if classes == 0 else ([1, 2] if classes == 2 else [classes])
    outputs = data.draw(st.sampled_from(choices))
    hidden = tuple(data.draw(st.lists(st.sampled_from([1, 2, 3, 4, 5, 15, 16, 17, 31, 33, 48]),
                                      min_size=1, max_size=2)))  # fmt: skip
    sizes = (d, *hidden, outputs)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    small = data.draw(st.booleans())  # small parameters give nonzero activations below the ceiling
    wl, wh = (-64, 64) if small else (LOW16, HIGH16 + 1)
    weights = tuple(
        rng.choice([wl, wh - 1, 0, *rng.integers(wl, wh, 5)], (n, m))
        for m, n in zip(sizes[:-1], sizes[1:], strict=True)
    )
    bl, bh = (-(2**20), 2**20) if small else (LOW64, HIGH64)
    biases = tuple(tuple(int(b) for b in rng.choice([bl, bh, 0, *rng.integers(bl, bh, 3)], n))
                   for n in sizes[1:])  # fmt: skip
    shifts = tuple(int(rng.integers(0, 12 if small else 64)) for _ in hidden)
    out_shift = int(rng.integers(0, 64)) if classes == 0 else 0
    task = 1 if classes == 0 else 0
    return encode_mlp(MlpParams(task, classes, weights, biases, shifts, out_shift))


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_shapes_inOneBatch_equalReference(chain: Chain, mlp: Any, data: st.DataObject) -> None:
    """Networks of different shapes (so lane widths, record and activation layouts) in one call:
    the scratch memory of each model is released and zeroed again for the next."""
    classes = data.draw(st.sampled_from([0, 2, 3, 10]))
    d = data.draw(st.one_of(st.integers(1, 70), st.sampled_from([96, 97, 511, 512, 600])))
    rows = data.draw(st.integers(0, 4))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    features = rng.choice([-128, 127, *rng.integers(-128, 128, 5)], (rows, d))
    labels = rng.integers(*int_range(4), rows) if classes == 0 else rng.integers(0, classes, rows)
    chunk = encode_chunk(features, labels, regression=classes == 0)
    models = [random_network(data, d, classes) for _ in range(data.draw(st.integers(1, 3)))]
    expected = score_batch_mlp(chunk, models, d, classes)
    assert on_chain(chain, mlp, chunk, models, d, classes) == ("ok", expected)
