"""Chunking a quantised test set to fit one evaluation transaction, and committing to it.

An evaluation transaction carries one chunk (and, in the worst case, the models it
scores) and must stay under both the per-transaction gas cap (EIP-7825, 16,777,216)
and the 128 KiB transaction-size limit of the public mempool. With ``d`` features,
``m`` outputs per model (K, or 1 for regression), ``M`` models per call, label bytes
``l`` (1 or 4) and ``S`` the largest model size, :func:`rows_per_chunk` returns
``min(n_size, n_gas)`` where

* ``n_size = floor((128 KiB - reserve_bytes - 107 - M (S + 96)) / (d + l))``
* ``n_gas = floor((cap - reserve_gas - 21000 - 16 bytes_0 - E_0) / (16 (d + l) + E_row))``

``bytes_0`` is the size without rows, ``E_0`` the row-independent execution gas and
``E_row`` the gas per row of ``LinearEvaluator``'s SWAR kernel, from the measured upper
bounds in :class:`EvaluationCost` (see :func:`evaluation_gas`; ``docs/formats.md`` has
the numbers).
Every calldata byte is priced at 16 gas (all nonzero); the EIP-7623 floor of 40 gas
per byte never binds, because ``40 * 128 KiB`` is far below the cap.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from mlmarket.errors import DataValidationError
from mlmarket.ml.budgets import LinearBudget, ModelBudget
from mlmarket.ml.fixedpoint import MAX_ROWS, SWAR_BLOCK, swar_sets
from mlmarket.ml.formats import (
    CHUNK_HEADER_BYTES,
    check_arguments,
    decode_chunk,
    encode_chunk,
    model_size,
)
from mlmarket.ml.merkle import MerkleTree, chunk_leaf, verify_proof
from mlmarket.ml.metrics import baseline
from mlmarket.ml.quantize import Quantizer

__all__ = [
    "GAS_CAP",
    "TRAINING_SALT",
    "baseline_score",
    "TX_MAX_BYTES",
    "EvaluationCost",
    "TestSet",
    "call_bytes",
    "evaluation_gas",
    "rows_per_chunk",
]

GAS_CAP = 16_777_216
"""Per-transaction gas cap (EIP-7825); the same as ``mlmarket.chain.TX_GAS_CAP``."""
TX_MAX_BYTES = 128 * 1024
"""Largest transaction the public mempool relays (geth's ``txMaxSize``)."""
TX_BASE_GAS = 21_000
CALLDATA_GAS_PER_BYTE = 16
DEFAULT_RESERVE_GAS = 2_000_000
"""Gas left to the competition contract: Merkle proof, chunk hash, score storage, copies."""
DEFAULT_RESERVE_BYTES = 2_048
"""Bytes left for the transaction envelope, the function's other arguments and the proof."""
ABI_BYTES_OVERHEAD = 96
"""ABI overhead of one ``bytes`` argument: offset word, length word, up to 31 padding bytes."""


@dataclass(frozen=True)
class EvaluationCost:
    """Upper bounds on ``LinearEvaluator.scoreBatch``'s execution gas, per unit of work.

    The SWAR kernel spreads each block of 32 features of a row into four words and does one
    ``mul`` per word and output (two with weights wider than 16 bits, split into ``2**16 hi +
    lo``: ``split`` more per output and block). Its paths (docs/fixed-point.md, "SWAR kernel"):
    rows of at most 32 features with one output (``one``), with 2..16 outputs and weights of
    at most 16 bits (the straight-line argmax: ``row_model`` plus ``output`` per output), or
    with other outputs (the loop over the outputs: ``loop_output`` per output); rows of more
    than 32 features with one output (``block`` per block) or several (``wide_block`` per
    block and ``block_output`` per output and block). Measured on the EVM
    (``tests/ml/test_ml_chunking.py`` checks that the bounds hold and are within a factor of
    the measured gas); see :func:`evaluation_gas`.
    """

    call: int = 8_000  # dispatch, ABI decoding, argument and chunk-header checks, fixed memory
    row: int = 20  # label range check (32 labels a word), per row of the chunk
    model: int = 6_000  # header checks, memory set-up, per model
    output: int = 1_500  # bias, record set-up, per output of each model
    weight: int = 200  # placing one weight into its lane (twice when split), per weight
    group: int = 220  # straight-line argmax: placing four weights at once, per output
    one: int = 350  # one output, rows <= 32 features: spread, 4 mul, score, its scoring
    row_model: int = 160  # several outputs: spread, row loop, the class byte and its scoring
    row_output: int = 130  # straight-line argmax: 4 mul, shift, bias, compare, per output
    loop_output: int = 200  # the argmax loop (more than 16 outputs, or split), per output
    split: int = 120  # weights wider than 16 bits: 4 more mul and 2 shifts, per output and block
    block: int = 300  # one output, rows > 32 features: a block of a row (spread, 4 mul, init)
    wide_block: int = 100  # several outputs, rows > 32 features: spreading a block of a row
    block_output: int = 210  # several outputs, rows > 32 features: 4 mul, accumulator, per
    # output and block


def evaluation_gas(
    rows: int,
    features: int,
    outputs: int,
    models: int,
    cost: EvaluationCost = EvaluationCost(),
    *,
    weight_bytes: int = 4,
) -> int:
    """Upper bound on the execution gas of one ``scoreBatch`` call (no 21k, no calldata).

    ``weight_bytes`` selects the kernel's path: weights of at most 16 bits, or wider ones
    split in two (:func:`~mlmarket.ml.fixedpoint.swar_sets`); the default, int32 weights, is
    the worst case for every shape.

    Example:
        >>> evaluation_gas(rows=100, features=30, outputs=10, models=1)
        487000
        >>> evaluation_gas(rows=100, features=30, outputs=10, models=1, weight_bytes=2)
        194600
    """
    blocks = -(-features // SWAR_BLOCK)
    sets = swar_sets(weight_bytes)
    extra = (sets - 1) * cost.split  # per output and block, when split
    straight = blocks == 1 and extra == 0 and 1 < outputs <= 16  # the straight-line argmax
    placing = -(-features // 4) * cost.group if straight else features * sets * cost.weight
    per_model = cost.model + outputs * (cost.output + placing)
    if outputs == 1:
        per_row = cost.one + extra if blocks == 1 else cost.one + blocks * (cost.block + extra)
    elif straight:
        per_row = cost.row_model + outputs * cost.row_output
    elif blocks == 1:
        per_row = cost.row_model + outputs * (cost.loop_output + extra)
    else:
        per_block = cost.wide_block + outputs * (cost.block_output + extra)
        per_row = cost.row_model + blocks * per_block
    return cost.call + models * per_model + rows * (cost.row + models * per_row)


def call_bytes(rows: int, features: int, classes: int, models: int, model_bytes: int) -> int:
    """Size of ``scoreBatch(chunk, models, features, classes)``'s calldata (selector included).

    Example:
        >>> call_bytes(rows=10, features=30, classes=2, models=1, model_bytes=77)
        754
    """
    label_bytes = 4 if classes == 0 else 1
    chunk = CHUNK_HEADER_BYTES + rows * (features + label_bytes)
    head = 4 + 4 * 32 + 32  # selector, four head words, models array length
    return head + chunk + ABI_BYTES_OVERHEAD + models * (model_bytes + ABI_BYTES_OVERHEAD)


def rows_per_chunk(
    features: int,
    classes: int,
    *,
    models_per_call: int = 1,
    weight_bytes: int = 4,
    bias_bytes: int = 8,
    gas_cap: int = GAS_CAP,
    reserve_gas: int = DEFAULT_RESERVE_GAS,
    tx_max_bytes: int = TX_MAX_BYTES,
    reserve_bytes: int = DEFAULT_RESERVE_BYTES,
    cost: EvaluationCost = EvaluationCost(),
    family: str = "linear",
    budget: ModelBudget | None = None,
) -> int:
    """Largest number of rows per chunk so that one evaluation call fits both limits.

    ``family`` ("linear", "mlp", "tree") selects the evaluator's cost model; the
    non-linear ones use the worst case of :mod:`mlmarket.ml.costs` for the most
    expensive model within ``budget`` (default: the family's
    :func:`~mlmarket.ml.budgets.default_budget`). A linear budget sets
    ``weight_bytes``.

    Models are assumed as large as the format allows for this shape (``classes``
    outputs, or 1 for regression; ``weight_bytes``/``bias_bytes`` wide) and to travel
    in the same transaction.

    Example:
        >>> rows_per_chunk(30, 2), rows_per_chunk(30, 10, models_per_call=4)
        (4141, 1007)
    """
    check_arguments(features, classes)
    if models_per_call < 1:
        raise DataValidationError(f"models_per_call must be at least 1; got {models_per_call}.")
    if isinstance(budget, LinearBudget):
        weight_bytes = budget.max_weight_bytes
    outputs = max(classes, 1)
    model_bytes = model_size(outputs, features, weight_bytes, bias_bytes)
    fixed_bytes = call_bytes(0, features, classes, models_per_call, model_bytes) + reserve_bytes
    row_bytes = call_bytes(1, features, classes, 0, 0) - call_bytes(0, features, classes, 0, 0)
    by_size = (tx_max_bytes - fixed_bytes) // row_bytes
    work = (features, outputs, models_per_call, cost)
    fixed_gas = TX_BASE_GAS + reserve_gas + CALLDATA_GAS_PER_BYTE * fixed_bytes
    fixed_gas += evaluation_gas(0, *work, weight_bytes=weight_bytes)
    row_gas = (
        CALLDATA_GAS_PER_BYTE * row_bytes
        + evaluation_gas(1, *work, weight_bytes=weight_bytes)
        - evaluation_gas(0, *work, weight_bytes=weight_bytes)
    )
    if family != "linear":  # the budget's largest model and its worst-case gas (ml.costs)
        from mlmarket.ml.costs import family_limits

        model_bytes, fixed_bytes, exec_fixed, exec_row = family_limits(
            family, features, classes, models_per_call, reserve_bytes, budget
        )
        by_size = (tx_max_bytes - fixed_bytes) // row_bytes
        fixed_gas = TX_BASE_GAS + reserve_gas + CALLDATA_GAS_PER_BYTE * fixed_bytes + exec_fixed
        row_gas = CALLDATA_GAS_PER_BYTE * row_bytes + exec_row
    rows = min(by_size, (gas_cap - fixed_gas) // row_gas, MAX_ROWS)
    if rows < 1:
        raise DataValidationError(
            f"Not even one row of {features} features fits one evaluation call with "
            f"{models_per_call} model(s) of {model_bytes} bytes; score fewer models per call."
        )
    return int(rows)


_fitting_rows = rows_per_chunk  # TestSet.from_data's argument of the same name shadows it


@dataclass(frozen=True)
class TestSet:
    """A quantised test set cut into chunks, with a salted positional Merkle commitment.

    Publish :meth:`commitment` (the root) when the competition opens; keep ``salt``
    and the chunks secret until evaluation, then reveal chunk ``i`` with ``proof(i)``.
    The public training data is cut the same way with a zero salt
    (:data:`TRAINING_SALT`): it stands in for the test set if the creator defaults.

    Example:
        >>> ts = TestSet.from_quantised([[1, 2], [3, 4], [5, 6]], [0, 1, 1], classes=2,
        ...                             rows_per_chunk=2, salt=bytes(32))
        >>> len(ts), ts.rows, ts.verify(1, ts.chunks[1], ts.proof(1))
        (2, 3, True)
    """

    __test__ = False  # tells pytest this is not a test class

    chunks: tuple[bytes, ...]
    salt: bytes
    features: int
    classes: int
    rows_per_chunk: int
    row_counts: tuple[int, ...]
    tree: MerkleTree = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.salt) != 32:
            raise DataValidationError(f"The salt must be 32 bytes; got {len(self.salt)}.")
        leaves = [chunk_leaf(self.salt, i, chunk) for i, chunk in enumerate(self.chunks)]
        object.__setattr__(self, "tree", MerkleTree(leaves))

    @classmethod
    def from_quantised(
        cls,
        features: npt.ArrayLike,
        labels: npt.ArrayLike,
        *,
        classes: int,
        rows_per_chunk: int,
        salt: bytes | None = None,
    ) -> TestSet:
        """Chunk int8 ``features`` and encoded ``labels`` (class indices or int32)."""
        matrix = np.asarray(features)
        values = np.asarray(labels)
        if matrix.ndim != 2 or len(matrix) == 0 or values.shape != (len(matrix),):
            raise DataValidationError("Need a non-empty 2-D feature array and one label per row.")
        check_arguments(int(matrix.shape[1]), classes)
        if classes and (values.min() < 0 or values.max() >= classes):
            raise DataValidationError(f"Class labels must be indices 0..{classes - 1}.")
        if rows_per_chunk < 1:
            raise DataValidationError(f"rows_per_chunk must be positive; got {rows_per_chunk}.")
        starts = range(0, len(matrix), rows_per_chunk)
        chunks = tuple(
            encode_chunk(matrix[s : s + rows_per_chunk], values[s : s + rows_per_chunk],
                         regression=classes == 0)
            for s in starts
        )  # fmt: skip
        counts = tuple(min(rows_per_chunk, len(matrix) - s) for s in starts)
        chosen = secrets.token_bytes(32) if salt is None else bytes(salt)
        return cls(chunks, chosen, int(matrix.shape[1]), classes, rows_per_chunk, counts)

    @classmethod
    def from_data(
        cls,
        X: Any,
        y: Any,
        quantizer: Quantizer,
        *,
        models_per_call: int = 1,
        rows_per_chunk: int | None = None,
        salt: bytes | None = None,
        family: str = "linear",
        budget: ModelBudget | None = None,
    ) -> TestSet:
        """Quantise float ``X``/``y`` with ``quantizer`` and chunk them for ``models_per_call``
        models of ``family`` within ``budget`` per evaluation call."""
        rows = rows_per_chunk or _fitting_rows(
            quantizer.features, quantizer.n_classes, models_per_call=models_per_call,
            family=family, budget=budget,
        )  # fmt: skip
        return cls.from_quantised(
            quantizer.transform(X),
            quantizer.encode_labels(y),
            classes=quantizer.n_classes,
            rows_per_chunk=rows,
            salt=salt,
        )

    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def rows(self) -> int:
        """Total number of rows over all chunks."""
        return sum(self.row_counts)

    @property
    def root(self) -> bytes:
        return self.tree.root

    def leaf(self, index: int) -> bytes:
        return self.tree.leaves[index]

    @property
    def depth(self) -> int:
        """Levels of the positional tree: every proof has this many elements."""
        return self.tree.depth

    def proof(self, index: int) -> list[bytes]:
        """Positional Merkle proof of chunk ``index`` (``PositionalMerkle.verify``)."""
        return self.tree.proof(index)

    def verify(self, index: int, chunk: bytes, proof: list[bytes]) -> bool:
        """Whether ``chunk`` is chunk ``index`` of this commitment."""
        leaf = chunk_leaf(self.salt, index, chunk)
        return verify_proof(proof, self.root, leaf, index, self.depth)

    def labels(self) -> npt.NDArray[np.int64]:
        """Every row's encoded label, in order (class indices, or int32 fixed point)."""
        parts = [decode_chunk(c, self.features, self.classes).labels for c in self.chunks]
        return np.concatenate(parts).astype(np.int64)

    def baseline(self, metric: str | None = None) -> int:
        """The score of the best constant prediction on these rows, in ``metric``'s units
        (default: accuracy, or MSE for a regression; :func:`mlmarket.ml.metrics.baseline`)."""
        if metric is None:
            return baseline_score(self.labels(), self.classes)
        return baseline(metric, self.labels(), self.classes)

    def commitment(self) -> dict[str, Any]:
        """What a competition publishes up front (the salt stays secret)."""
        return {
            "root": "0x" + self.root.hex(),
            "chunks": len(self),
            "rows": self.rows,
            "rows_per_chunk": self.rows_per_chunk,
            "features": self.features,
            "classes": self.classes,
        }


TRAINING_SALT = bytes(32)
"""The salt of training-chunk leaves: the training data is public, so nothing to hide."""


def baseline_score(labels: npt.ArrayLike, classes: int) -> int:
    """The score of the best constant prediction, in the contract's units.

    Classification: the count of the most frequent class (a model predicting it
    everywhere scores exactly this). Regression: the least sum of squared errors of
    an integer constant in the label's fixed point (the floor or the ceiling of the
    mean). A competition's ``trainingBaseline``: after a default, only models strictly
    better than it take a place.

    Example:
        >>> baseline_score([0, 1, 1, 2], 3)
        2
        >>> baseline_score([0, 10, 11], 0)  # constant 7: 49 + 9 + 16
        74
    """
    values = [int(v) for v in np.asarray(labels).ravel()]
    if not values:
        raise DataValidationError("A baseline needs at least one label.")
    if classes:
        return max(values.count(c) for c in range(classes))
    low = sum(values) // len(values)
    return min(sum((v - c) ** 2 for v in values) for c in (low, low + 1))
