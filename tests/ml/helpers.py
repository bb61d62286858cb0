"""Helpers shared by the tests of mlmarket.ml: calling the evaluator and comparing errors."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlmarket.chain import Chain
from mlmarket.errors import ContractRevertError
from mlmarket.ml import FormatError, score_batch, tally_batch
from mlmarket.ml.tree import LEAF

Outcome = tuple[str, Any]


def on_chain(
    chain: Chain, evaluator: Any, chunk: bytes, models: list[bytes], d: int, k: int
) -> Outcome:
    """("ok", (rows, values)) or ("error", (name, args)) from the contract."""
    try:
        rows, values = chain.call(evaluator.functions.scoreBatch(chunk, models, d, k))
    except ContractRevertError as exc:
        return "error", (exc.error_name, dict(exc.args_dict))
    return "ok", (rows, list(values))


def in_python(chunk: bytes, models: list[bytes], d: int, k: int) -> Outcome:
    """The same outcome from the reference evaluator."""
    try:
        rows, values = score_batch(chunk, models, d, k)
    except FormatError as exc:
        return "error", (exc.name, dict(exc.args_dict))
    return "ok", (rows, values)


def tally_on_chain(
    chain: Chain, evaluator: Any, chunk: bytes, models: list[bytes], d: int, k: int
) -> Outcome:
    """("ok", (rows, support, tallies)) or ("error", (name, args)) from ``tallyBatch``."""
    try:
        rows, support, tallies = chain.call(evaluator.functions.tallyBatch(chunk, models, d, k))
    except ContractRevertError as exc:
        return "error", (exc.error_name, dict(exc.args_dict))
    return "ok", (rows, list(support), [list(t) for t in tallies])


def tally_in_python(
    chunk: bytes, models: list[bytes], d: int, k: int, family: str = "linear"
) -> Outcome:
    """The same outcome from the reference (:func:`mlmarket.ml.tally_batch`)."""
    try:
        return "ok", tally_batch(chunk, models, d, k, family=family)
    except FormatError as exc:
        return "error", (exc.name, dict(exc.args_dict))


def calldata_gas(data: bytes) -> int:
    """Intrinsic calldata gas before EIP-7623's floor: 4 per zero byte, 16 per other byte."""
    zeros = data.count(0)
    return 4 * zeros + 16 * (len(data) - zeros)


def floor_gas(data: bytes) -> int:
    """EIP-7623's floor: 21,000 + 10 gas per token (a zero byte is 1 token, others 4)."""
    zeros = data.count(0)
    return 21_000 + 10 * (zeros + 4 * (len(data) - zeros))


def execution_gas(chain: Chain, fn: Any) -> int:
    """Gas a call spends beyond the 21,000 base and its calldata, from a mined receipt.

    ``gasUsed = max(21,000 + calldata + execution, floor)``; when the floor binds the
    execution gas cannot be read off the receipt, which this refuses to guess.
    """
    receipt = chain.transact(fn, sender="alice")
    data = bytes.fromhex(fn._encode_transaction_data()[2:])
    used = int(receipt["gasUsed"])
    if used <= floor_gas(data):
        raise AssertionError(f"the EIP-7623 floor binds ({used} gas): measure more work per byte")
    return used - 21_000 - calldata_gas(data)


def random_int8(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(-128, 128, shape, dtype=np.int64)


def random_tree(
    rng: np.random.Generator, d: int, depth: int, classes: int, *, threshold: int = 128,
    early_leaf: float = 0.0,
) -> tuple[tuple[int, int, int], ...]:  # fmt: skip
    """A random tree in preorder: splits on features ``0..d-1`` at thresholds in
    ``[-threshold, threshold)`` down to ``depth`` levels (a node below the root becomes a
    leaf earlier with probability ``early_leaf``), leaves a class below ``classes`` or, for a
    regression (``classes == 0``), any int32."""
    nodes: list[list[int]] = []

    def grow(level: int) -> None:
        if level == depth or (early_leaf and level and rng.random() < early_leaf):
            value = rng.integers(-(2**31), 2**31) if classes == 0 else rng.integers(0, classes)
            nodes.append([LEAF, int(value), 0])
            return
        here = len(nodes)
        nodes.append([int(rng.integers(0, d)), int(rng.integers(-threshold, threshold)), 0])
        grow(level + 1)
        nodes[here][2] = len(nodes)
        grow(level + 1)

    grow(0)
    return tuple((a, b, c) for a, b, c in nodes)
