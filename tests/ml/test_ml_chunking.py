"""Chunk sizes respect the gas cap and the 128 KiB transaction limit, measured on the EVM."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from mlmarket.chain import TX_GAS_CAP
from mlmarket.errors import DataValidationError
from mlmarket.ml import (
    GAS_CAP,
    TX_MAX_BYTES,
    LinearParams,
    Quantizer,
    TestSet,
    call_bytes,
    encode_chunk,
    encode_model,
    evaluation_gas,
    model_size,
    rows_per_chunk,
    verify_proof,
)
from mlmarket.ml.fixedpoint import int_range
from mlmarket.ml.testset import DEFAULT_RESERVE_BYTES, DEFAULT_RESERVE_GAS
from tests.ml.helpers import execution_gas

RNG = np.random.default_rng(7)


def fits(rows: int, d: int, classes: int, models: int) -> bool:
    """The two limits of docs/formats.md, with the worst-case model for this shape."""
    outputs = max(classes, 1)
    size = (
        call_bytes(rows, d, classes, models, model_size(outputs, d, 4, 8)) + DEFAULT_RESERVE_BYTES
    )
    gas = 21_000 + 16 * size + evaluation_gas(rows, d, outputs, models) + DEFAULT_RESERVE_GAS
    return size <= TX_MAX_BYTES and gas <= GAS_CAP


def worst_case_models(d: int, classes: int, count: int) -> list[bytes]:
    """Models as large as the format allows for this shape, with random extreme parameters."""
    outputs = max(classes, 1)
    low, high = int_range(4)
    weights = RNG.integers(low, high + 1, (outputs, d))
    biases = tuple(int(b) for b in RNG.integers(-(2**62), 2**62, outputs))
    task, shift = (1, 9) if classes == 0 else (0, 0)
    return [encode_model(LinearParams(task, classes, weights, biases, 4, 8, shift))] * count


def full_chunk(d: int, classes: int, rows: int) -> bytes:
    labels = RNG.integers(*int_range(4), rows) if classes == 0 else RNG.integers(0, classes, rows)
    return encode_chunk(RNG.integers(-127, 128, (rows, d)), labels, regression=classes == 0)


def test_gasCap_isTheChainsCap() -> None:
    assert GAS_CAP == TX_GAS_CAP == 16_777_216 and TX_MAX_BYTES == 131_072


@pytest.mark.parametrize("models", [1, 2, 4, 16])
@pytest.mark.parametrize(
    ("d", "classes"), [(30, 2), (30, 10), (30, 0), (1, 2), (200, 3), (784, 10)]
)
def test_rowsPerChunk_isTheLargestThatFits(d: int, classes: int, models: int) -> None:
    if not fits(1, d, classes, models):  # e.g. 16 models of 784 x 10 int32 weights
        with pytest.raises(DataValidationError, match="Not even one row"):
            rows_per_chunk(d, classes, models_per_call=models)
        return
    rows = rows_per_chunk(d, classes, models_per_call=models)
    assert rows >= 1 and fits(rows, d, classes, models) and not fits(rows + 1, d, classes, models)


def test_rowsPerChunk_refusesWhatCannotFit() -> None:
    with pytest.raises(DataValidationError, match="Not even one row"):
        rows_per_chunk(4096, 255, models_per_call=1)
    with pytest.raises(DataValidationError, match="models_per_call"):
        rows_per_chunk(30, 2, models_per_call=0)
    with pytest.raises(DataValidationError):
        rows_per_chunk(0, 2)


@pytest.mark.parametrize(
    ("d", "classes", "outputs", "models", "rows"),
    [(30, 2, 1, 3, 40), (30, 2, 2, 3, 20), (30, 10, 10, 2, 10), (30, 0, 1, 2, 40), (7, 5, 5, 1, 30),
     (1, 2, 1, 4, 30), (101, 3, 3, 1, 10)],
)  # fmt: skip
def test_costModel_boundsMeasuredGas(
    chain: Any, evaluator: Any, d: int, classes: int, outputs: int, models: int, rows: int
) -> None:
    weights = RNG.integers(-(2**15), 2**15, (outputs, d))
    task, shift = (1, 3) if classes == 0 else (0, 0)
    model = encode_model(LinearParams(task, classes, weights, (5,) * outputs, 2, 8, shift))
    chunk = full_chunk(d, classes, rows)
    measured = execution_gas(
        chain, evaluator.functions.scoreBatch(chunk, [model] * models, d, classes)
    )
    bound = evaluation_gas(rows, d, outputs, models, weight_bytes=2)
    assert 0.5 * bound <= measured <= bound


KERNEL_PATHS = [  # (d, classes, outputs, wb, models, rows): every path of the SWAR kernel
    (30, 2, 1, 4, 3, 30), (30, 0, 1, 2, 2, 20), (30, 0, 1, 4, 2, 20),  # one output, one block
    (1, 10, 10, 1, 3, 10), (32, 16, 16, 2, 1, 20), (30, 2, 2, 2, 2, 20),  # straight-line argmax
    (30, 10, 10, 4, 2, 10), (30, 17, 17, 2, 1, 10), (3, 255, 255, 1, 1, 4),  # loop over outputs
    (33, 2, 1, 2, 2, 20), (100, 0, 1, 4, 2, 10), (4096, 2, 1, 4, 1, 2),  # one output, blocks
    (33, 2, 2, 2, 1, 20), (33, 3, 3, 4, 1, 10), (64, 10, 10, 2, 1, 10), (200, 10, 10, 4, 1, 3),
    (784, 2, 2, 4, 1, 2),  # several outputs, several blocks
]  # fmt: skip


def beating_biases(outputs: int, rising: bool) -> tuple[int, ...]:
    """Biases that make every output's score beat the one before in the order the kernel scores
    them (the straight-line argmax from the last output down, the loops from the first up), so
    that the argmax takes its update branch at every output: the most gas per row."""
    step = 2**50 if rising else -(2**50)
    return tuple(k * step for k in range(outputs))


@pytest.mark.parametrize("rising", [True, False])
@pytest.mark.parametrize(("d", "classes", "outputs", "wb", "models", "rows"), KERNEL_PATHS)
def test_costModel_boundsEveryKernelPath(
    chain: Any,
    evaluator: Any,
    d: int,
    classes: int,
    outputs: int,
    wb: int,
    models: int,
    rows: int,
    rising: bool,
) -> None:
    """Every path, with the widest weights of its class and biases that update the argmax at
    every output: the bound holds, and is not loose."""
    low, high = int_range(wb)
    weights = RNG.integers(low, high + 1, (outputs, d))
    task, shift = (1, 3) if classes == 0 else (0, 0)
    biases = beating_biases(outputs, rising)
    model = encode_model(LinearParams(task, classes, weights, biases, wb, 8, shift))
    chunk = full_chunk(d, classes, rows)
    measured = execution_gas(
        chain, evaluator.functions.scoreBatch(chunk, [model] * models, d, classes)
    )
    assert 0.4 * evaluation_gas(rows, d, outputs, models, weight_bytes=wb) <= measured
    assert measured <= evaluation_gas(rows, d, outputs, models, weight_bytes=wb)


@pytest.mark.parametrize(("d", "classes", "models"), [(30, 10, 4), (30, 2, 1), (30, 10, 1)])
def test_fullChunk_withMostModels_fitsUnderTheCap(
    chain: Any, evaluator: Any, d: int, classes: int, models: int
) -> None:
    """Measured on the EVM: a full chunk and the largest models leave the reserve free."""
    rows = rows_per_chunk(d, classes, models_per_call=models)
    chunk, batch = full_chunk(d, classes, rows), worst_case_models(d, classes, models)
    fn = evaluator.functions.scoreBatch(chunk, batch, d, classes)
    calldata = bytes.fromhex(fn._encode_transaction_data()[2:])
    assert len(calldata) + DEFAULT_RESERVE_BYTES <= TX_MAX_BYTES
    receipt = chain.transact(fn, sender="alice")
    used = int(receipt["gasUsed"])
    assert used + DEFAULT_RESERVE_GAS <= TX_GAS_CAP
    # and the chunk is not needlessly small: one more row breaks the size limit, or the
    # chunk uses most of the gas (the cost model's bound is within 25 % here)
    one_more = call_bytes(rows + 1, d, classes, models, model_size(max(classes, 1), d, 4, 8))
    if one_more + DEFAULT_RESERVE_BYTES <= TX_MAX_BYTES:
        assert used >= 0.75 * (TX_GAS_CAP - DEFAULT_RESERVE_GAS)


def test_testSet_fromData_chunksAndCommits() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    quantizer = Quantizer.fit(X, y)
    test = TestSet.from_data(X, y, quantizer, rows_per_chunk=100)
    assert len(test) == 6 and test.row_counts == (100,) * 5 + (69,) and test.rows == len(X)
    assert len(test.salt) == 32 and test.salt != TestSet.from_data(X, y, quantizer).salt
    commitment = test.commitment()
    assert commitment["root"] == "0x" + test.root.hex() and commitment["chunks"] == 6
    assert "salt" not in commitment
    for i, chunk in enumerate(test.chunks):
        assert test.verify(i, chunk, test.proof(i))
        assert verify_proof(test.proof(i), test.root, test.leaf(i), i, test.depth)
    assert not test.verify(0, test.chunks[1], test.proof(0))
    default = TestSet.from_data(X, y, quantizer, models_per_call=2, salt=bytes(32))
    assert default.rows_per_chunk == rows_per_chunk(30, 2, models_per_call=2) >= len(X)


def test_testSet_rejectsBadInput() -> None:
    with pytest.raises(DataValidationError, match="salt"):
        TestSet.from_quantised([[1]], [0], classes=2, rows_per_chunk=1, salt=b"short")
    with pytest.raises(DataValidationError, match="rows_per_chunk"):
        TestSet.from_quantised([[1]], [0], classes=2, rows_per_chunk=0)
    with pytest.raises(DataValidationError, match="one label per row"):
        TestSet.from_quantised([[1], [2]], [0], classes=2, rows_per_chunk=1)
    with pytest.raises(DataValidationError):
        TestSet.from_quantised([[1]], [2], classes=2, rows_per_chunk=1)  # label out of range
