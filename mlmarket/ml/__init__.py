"""On-chain evaluation of scikit-learn models: quantisation, export, formats, commitments.

Three model families, each scored by its own evaluator contract over the same chunk
format: ``linear`` (linear models), ``mlp`` (ReLU networks, :mod:`mlmarket.ml.mlp`)
and ``tree`` (decision trees and small forests, :mod:`mlmarket.ml.tree`).

The pieces a competition needs, none of which touches the chain:

* :class:`Quantizer` — fitted on the training data, published as JSON; maps float
  features to int8 and labels to class indices or int32 fixed point.
* :func:`export` — a fitted estimator (or ``Pipeline([StandardScaler, ...])``) to an
  :class:`ExportedModel`, the bytes its family's evaluator scores (:func:`family_of`).
* :func:`score_chunk` / :func:`score_batch` — exactly what the contract returns;
  :func:`tally_batch` — its per-class counts (or absolute errors) for other metrics.
* :func:`agreement` — how closely the exported model follows the float one.
* :class:`TestSet`, :func:`rows_per_chunk`, :class:`MerkleTree` — chunks that fit one
  transaction, and a salted Merkle commitment OpenZeppelin's ``MerkleProof`` verifies.

Example:
    >>> from sklearn.datasets import load_wine
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from mlmarket.ml import Quantizer, TestSet, export, score_chunk
    >>> X, y = load_wine(return_X_y=True)
    >>> quantizer = Quantizer.fit(X, y)
    >>> model = export(make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y), quantizer)
    >>> test = TestSet.from_data(X, y, quantizer, salt=bytes(32))
    >>> rows, correct = score_chunk(test.chunks[0], model.to_bytes(), 13, 3)
    >>> rows, correct >= 170
    (178, True)
"""

from mlmarket.errors import DataValidationError, UnsupportedModelError
from mlmarket.ml.costs import FAMILIES, MlpCost, TreeCost
from mlmarket.ml.export import SUPPORTED, SUPPORTED_FAMILIES, ModelNotFittedError, export, family_of
from mlmarket.ml.formats import (
    Chunk,
    ChunkFormatError,
    FormatError,
    LinearParams,
    ModelFormatError,
    decode_chunk,
    decode_model,
    encode_chunk,
    encode_model,
    model_size,
)
from mlmarket.ml.merkle import MerkleTree, chunk_leaf, process_proof, verify_proof
from mlmarket.ml.mlp import MlpParams
from mlmarket.ml.model import ExportedModel
from mlmarket.ml.quantize import Quantizer
from mlmarket.ml.reference import Agreement, agreement, score_batch, score_chunk, tally_batch
from mlmarket.ml.testset import (
    GAS_CAP,
    TRAINING_SALT,
    TX_MAX_BYTES,
    EvaluationCost,
    TestSet,
    baseline_score,
    call_bytes,
    evaluation_gas,
    rows_per_chunk,
)
from mlmarket.ml.tree import TreeParams

FAMILY = "linear"
"""The default model family: ``LinearEvaluator.family() == keccak256("linear")``; see
``FAMILIES`` for all (``MlpEvaluator``: ``keccak256("mlp")``, ``TreeEvaluator``:
``keccak256("tree")``)."""

__all__ = [
    "FAMILIES",
    "FAMILY",
    "GAS_CAP",
    "SUPPORTED",
    "SUPPORTED_FAMILIES",
    "TRAINING_SALT",
    "TX_MAX_BYTES",
    "Agreement",
    "Chunk",
    "ChunkFormatError",
    "DataValidationError",
    "EvaluationCost",
    "ExportedModel",
    "FormatError",
    "LinearParams",
    "MerkleTree",
    "MlpCost",
    "MlpParams",
    "ModelFormatError",
    "ModelNotFittedError",
    "Quantizer",
    "TestSet",
    "TreeCost",
    "TreeParams",
    "UnsupportedModelError",
    "agreement",
    "baseline_score",
    "call_bytes",
    "chunk_leaf",
    "decode_chunk",
    "decode_model",
    "encode_chunk",
    "encode_model",
    "evaluation_gas",
    "export",
    "family_of",
    "model_size",
    "process_proof",
    "rows_per_chunk",
    "score_batch",
    "score_chunk",
    "tally_batch",
    "verify_proof",
]
