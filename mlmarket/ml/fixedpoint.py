"""The fixed-point specification of on-chain evaluation: widths, scales, rounding, bounds.

This module is the single source of truth for the integer arithmetic that
``LinearEvaluator.sol`` performs and :mod:`mlmarket.ml.reference` reproduces;
``docs/fixed-point.md`` explains it with the overflow proofs.

Numbers
    * features: signed 8-bit integers. The :class:`~mlmarket.ml.quantize.Quantizer`
      writes values in ``[-127, 127]``; the evaluator accepts any int8, so every
      bound below uses ``|q| <= 128``.
    * weights: signed, ``weight_bytes`` in 1..4 (big-endian two's complement).
    * biases: signed, ``bias_bytes`` in 1..8.
    * classification labels: class index, unsigned 8-bit, ``< classes <= 255``.
    * regression labels: signed 32-bit fixed point, ``y_q = round(y * 2**label_shift)``.

Rounding
    One rule everywhere, on and off chain: **round half up**, ``floor(v + 1/2)``
    (ties go towards +infinity). For integers divided by ``2**s`` this is
    ``(v + (1 << s >> 1)) >> s`` with an *arithmetic* shift, which Solidity's ``>>``
    on ``int256`` is (it rounds towards -infinity). Solidity's ``/`` truncates
    towards zero and is never used for this.

Accumulator bounds (all far below ``2**255``, see :func:`accumulator_bound`)
    ``|sum_j W_j q_j| <= d * 2**31 * 2**7 <= 2**50`` for ``d <= 4096``;
    ``|acc| = |bias + sum| < 2**63 + 2**50 < 2**64``; a regression prediction
    ``|y_hat| < 2**65``, its error ``|e| < 2**66``, ``e**2 < 2**132`` and a chunk's sum
    of squared errors ``< 2**132 * 2**32 = 2**164``.

Example:
    >>> shift_round(5, 1), shift_round(-5, 1), shift_round(7, 0)
    (3, -2, 7)
    >>> int(round_half_up(2.5)), int(round_half_up(-2.5))
    (3, -2)
    >>> accumulator_bound(MAX_FEATURES, 4, 8) < 2**64
    True
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = [
    "ACCUMULATOR_BITS",
    "BIAS_BYTES",
    "FEATURE_ABS_BOUND",
    "FEATURE_MAX",
    "FEATURE_MIN",
    "LABEL_FIT_BITS",
    "MAX_CLASSES",
    "MAX_FEATURES",
    "MAX_ROWS",
    "MAX_SHIFT",
    "REGRESSION_LABEL_MAX",
    "REGRESSION_LABEL_MIN",
    "SWAR_BLOCK",
    "WEIGHT_BYTES",
    "accumulator_bound",
    "int_range",
    "lane_bits",
    "round_half_up",
    "shift_round",
    "sse_bound",
    "swar_sets",
]

FEATURE_MIN = -127
"""Smallest feature value the quantizer writes (symmetric range, -128 unused)."""
FEATURE_MAX = 127
"""Largest feature value the quantizer writes."""
FEATURE_ABS_BOUND = 128
"""Bound on ``|q|`` for any int8 the evaluator accepts (used in every proof)."""

MAX_FEATURES = 4096
"""Largest number of features a competition may declare (``2**12``)."""
MAX_CLASSES = 255
"""Largest number of classes (labels are one unsigned byte)."""
MAX_ROWS = 2**32 - 1
"""Largest row count a chunk header can hold (uint32)."""

WEIGHT_BYTES = range(1, 5)
"""Allowed weight widths in bytes: int8 .. int32."""
BIAS_BYTES = range(1, 9)
"""Allowed bias widths in bytes: int8 .. int64."""
MAX_SHIFT = 63
"""Largest right shift a regression model may apply to its accumulator."""

REGRESSION_LABEL_MIN = -(2**31)
"""Smallest regression label (int32)."""
REGRESSION_LABEL_MAX = 2**31 - 1
"""Largest regression label (int32)."""
LABEL_FIT_BITS = 20
"""The quantizer picks ``label_shift`` so the largest training label is below ``2**20``,
leaving a factor ``2**11`` of headroom before a test label overflows int32."""

ACCUMULATOR_BITS = 256
"""The EVM word: every quantity below must lie in ``[-2**255, 2**255)``."""


def int_range(width_bytes: int) -> tuple[int, int]:
    """Smallest and largest value of a signed integer of ``width_bytes`` bytes.

    Example:
        >>> int_range(2)
        (-32768, 32767)
    """
    half = 1 << (8 * width_bytes - 1)
    return -half, half - 1


def round_half_up(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """``floor(v + 1/2)`` elementwise, in float64 (ties go towards +infinity).

    Example:
        >>> round_half_up([0.5, 1.5, -0.5, -1.5, 0.49]).tolist()
        [1.0, 2.0, 0.0, -1.0, 0.0]
    """
    return np.floor(np.asarray(values, dtype=np.float64) + 0.5)


def shift_round(value: int, shift: int) -> int:
    """``value / 2**shift`` rounded half up, exactly as the contract computes it.

    The contract evaluates ``(value + ((1 << shift) >> 1)) >> shift`` on int256 with
    an arithmetic shift; Python's ``>>`` on ints is the same floor division.

    Example:
        >>> [shift_round(v, 2) for v in (-6, -5, -2, 2, 5, 6)]
        [-1, -1, 0, 1, 1, 2]
    """
    return (value + ((1 << shift) >> 1)) >> shift


def accumulator_bound(features: int, weight_bytes: int, bias_bytes: int) -> int:
    """Upper bound on ``|bias + sum_j W_j q_j|`` for one output of one row.

    ``|W_j| <= 2**(8*weight_bytes - 1)``, ``|q_j| <= 128`` and
    ``|bias| <= 2**(8*bias_bytes - 1)``; the bound is their worst-case combination.

    Example:
        >>> accumulator_bound(30, 2, 4) == 30 * 2**15 * 128 + 2**31
        True
    """
    weight = 1 << (8 * weight_bytes - 1)
    bias = 1 << (8 * bias_bytes - 1)
    return features * weight * FEATURE_ABS_BOUND + bias


def sse_bound(rows: int, features: int, weight_bytes: int, bias_bytes: int) -> int:
    """Upper bound on a chunk's sum of squared errors (regression).

    ``|y_hat| <= |acc| + 2**62`` for any shift ``<= 63`` and ``|y| <= 2**31``.

    Example:
        >>> sse_bound(MAX_ROWS, MAX_FEATURES, 4, 8) < 2**164
        True
    """
    prediction = accumulator_bound(features, weight_bytes, bias_bytes) + (1 << (MAX_SHIFT - 1))
    error = prediction + (1 << 31)
    return rows * error * error


def lane_bits(features: int, weight_bytes: int) -> int:
    """Smallest signed lane width (bits) that holds ``sum_j W_j q_j`` without a carry.

    A SWAR kernel that packs several accumulators into one 256-bit word needs
    ``features * 2**(8*weight_bytes - 1) * 128 < 2**(lane - 1)``. Biases are added
    after the lanes are separated, so they do not count.

    Example:
        >>> lane_bits(30, 2), lane_bits(MAX_FEATURES, 2), lane_bits(MAX_FEATURES, 4)
        (28, 36, 52)
    """
    magnitude = features * (1 << (8 * weight_bytes - 1)) * FEATURE_ABS_BOUND
    return magnitude.bit_length() + 1


SWAR_BLOCK = 32
"""Features per block of ``LinearEvaluator``'s SWAR kernel: one 32-byte word of a row, spread
into four words of eight 32-bit lanes; each block's dot product is taken out of its lanes on
its own, so a lane never sums more than 32 products (docs/fixed-point.md, S1, U1)."""


def swar_sets(weight_bytes: int) -> int:
    """Weight words per feature word in ``LinearEvaluator``'s SWAR kernel: 1 for weights of at
    most 16 bits, 2 for wider ones, split into ``w = 2**16 hi + lo`` (one set of words for
    ``hi``, one for ``lo``, each value in 16 bits). See docs/fixed-point.md (S5, U1).

    Example:
        >>> [swar_sets(wb) for wb in (1, 2, 3, 4)]
        [1, 1, 2, 2]
    """
    return 1 if weight_bytes <= 2 else 2


def _check_bounds() -> None:
    """The proofs of docs/fixed-point.md, evaluated at the extreme parameters."""
    worst_acc = accumulator_bound(MAX_FEATURES, max(WEIGHT_BYTES), max(BIAS_BYTES))
    assert worst_acc < 2**64, "accumulator exceeds 64 bits"
    assert worst_acc + (1 << MAX_SHIFT) < 2 ** (ACCUMULATOR_BITS - 1)
    assert sse_bound(MAX_ROWS, MAX_FEATURES, max(WEIGHT_BYTES), max(BIAS_BYTES)) < 2**164
    dot = MAX_FEATURES * 2**31 * FEATURE_ABS_BOUND
    assert dot <= 2**50 < 2**63, "the int64 matmul of the Python reference could overflow"
    assert math.log2(MAX_FEATURES) == 12
    # SWAR lanes (32 bits, at most SWAR_BLOCK products each): signed values of at most 16 bits
    # (a weight, its high half, or its low half in [0, 2**16)) times |q| <= 2**7 (S1), and
    # unsigned ones below 2**16 times u <= 255 (U1)
    assert SWAR_BLOCK * FEATURE_ABS_BOUND * 2**16 < 2**31, "a signed lane could overflow"
    assert SWAR_BLOCK * 255 * (2**16 - 1) < 2**32, "an unsigned lane could carry"


_check_bounds()
