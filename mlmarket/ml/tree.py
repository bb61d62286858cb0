"""The ``tree`` model family: decision trees and small forests on int8 features, as on chain.

Format (version 1, family byte 3; ``docs/formats.md``): a 10-byte header, then each
tree as a uint16 node count and 6-byte nodes in preorder (a node's left child is
the next node)::

    0  3  magic     "MLM"        6  1  classes K (0 for regression)
    3  1  version   1            7  1  trees T (1..255; 1 for regression)
    4  1  family    3 (tree)     8  2  features d (uint16)
    5  1  task      0 / 1

    node: feature uint16 | threshold int8 | right uint24     (internal: feature < d)
          0xFFFF         | value int32                       (leaf: class index, or label)

A row goes left iff ``q[feature] <= threshold`` (signed), else to node ``right``;
validation requires ``i + 1 < right < count`` so every path ends at a leaf. A
classifier predicts the class most trees vote for (ties to the lowest class
index); a regression tree predicts its leaf value in the label's fixed-point scale.

Thresholds: scikit-learn sends ``x`` left iff ``float32(x) <= t``. The quantised
value ``q`` stands for ``x_q = center + step * q``, and the exporter sets
``t_q = max{q : float32(x_q) <= t}`` over ``q`` in -128..127, so on every grid value
the integer split equals the float one exactly (``float32`` rounding is monotone).
A split no grid value goes left of (``t_q < -128``) or right of (``t_q = 127``) is
replaced by its only reachable subtree. Quantisation changes a decision only for
a float ``x`` within half a step of a threshold (``x`` and ``x_q`` fall on
different sides) or outside the training range (clipped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mlmarket.errors import DataValidationError
from mlmarket.ml.formats import (
    FORMAT_VERSION,
    MODEL_MAGIC,
    TASK_CLASSIFICATION,
    TASK_REGRESSION,
    ModelFormatError,
)

__all__ = [
    "FAMILY_TREE",
    "LEAF",
    "MAX_TREES",
    "RECORD_NODES",
    "TREE_HEADER_BYTES",
    "TreeParams",
    "decode_tree",
    "encode_tree",
    "predict_tree",
    "score_batch_tree",
    "tree_size",
]

FAMILY_TREE = 3
TREE_HEADER_BYTES = 10
NODE_BYTES = 6
LEAF = 0xFFFF
MAX_TREES = 32
"""Largest forest the exporter writes (the format holds 255)."""
MAX_TREE_BYTES = 16_384
"""Largest model the exporter writes: about 2,700 nodes, room for the default budget's 16
trees of depth 6 (2,032 nodes, 12,234 bytes). A competition accepts what its model budget
allows (``submit`` checks it before anything is sent)."""
PREFIX = "TreeEvaluator"
RECORD_NODES = 2048
"""Most nodes a model may have for ``TreeEvaluator`` to write it as records in memory
(``_MAX_NODES``; docs/formats.md, "Tree records in memory"); a larger one is walked in
calldata, to the same predictions."""

Node = tuple[int, int, int]  # (feature or LEAF, threshold, right) or (LEAF, value, 0)


@dataclass(frozen=True)
class TreeParams:
    """Trees as node lists in preorder: ``(feature, threshold, right)`` or ``(LEAF, value, 0)``."""

    task: int
    classes: int
    features: int
    trees: tuple[tuple[Node, ...], ...]

    @property
    def family(self) -> str:
        return "tree"

    @property
    def outputs(self) -> int:
        return 1

    @property
    def nodes(self) -> int:
        return sum(len(t) for t in self.trees)

    def depth(self) -> int:
        """Longest root-to-leaf path (internal nodes visited) over all trees.

        A node's depth is the longest walk to it from node 0 (or from a node no walk
        reaches); a node with two parents takes the deeper one. Below, node 6 is the
        right child of nodes 2 (depth 2) and 4 (depth 1): the walk 0, 1, 2, 6 visits 4.

        Example:
            >>> dag = ((0, 0, 4), (0, 0, 3), (0, 0, 6), (LEAF, 0, 0), (0, 0, 6),
            ...        (LEAF, 0, 0), (0, 0, 8), (LEAF, 0, 0), (LEAF, 1, 0))
            >>> TreeParams(0, 2, 1, (dag,)).depth()
            4
        """
        best = 0
        for tree in self.trees:
            depth = [0] * len(tree)
            for i, (f, _t, right) in enumerate(tree):
                if f != LEAF:
                    for child in (i + 1, right):
                        depth[child] = max(depth[child], depth[i] + 1)
                else:
                    best = max(best, depth[i])
        return best


def tree_size(nodes_per_tree: list[int]) -> int:
    """Bytes of a model with these node counts.

    Example:
        >>> tree_size([3, 7])
        74
    """
    return TREE_HEADER_BYTES + sum(2 + NODE_BYTES * n for n in nodes_per_tree)


def encode_tree(params: TreeParams) -> bytes:
    """Model bytes (node fields must fit; the structure is checked by :func:`decode_tree`)."""
    if not 1 <= len(params.trees) <= 255 or any(not 1 <= len(t) <= 0xFFFF for t in params.trees):
        raise DataValidationError("A tree model needs 1..255 trees of 1..65535 nodes.")
    header = MODEL_MAGIC + bytes(
        [FORMAT_VERSION, FAMILY_TREE, params.task, params.classes, len(params.trees)]
    )
    body = bytearray(header + params.features.to_bytes(2, "big"))
    for tree in params.trees:
        body += len(tree).to_bytes(2, "big")
        for feature, value, right in tree:
            if feature == LEAF:
                body += LEAF.to_bytes(2, "big") + int(value).to_bytes(4, "big", signed=True)
            else:
                body += int(feature).to_bytes(2, "big") + int(value).to_bytes(1, "big", signed=True)
                body += int(right).to_bytes(3, "big")
    return bytes(body)


def _err(name: str, message: str, index: int, **args: Any) -> ModelFormatError:
    return ModelFormatError(PREFIX + name, f"model {index}: {message}", model=index, **args)


def decode_tree(data: bytes, features: int, classes: int, index: int = 0) -> TreeParams:
    """Validate model ``index``'s bytes in ``TreeEvaluator``'s order and decode them."""
    n = len(data)
    if n < TREE_HEADER_BYTES:
        raise _err("ModelTruncated", f"{n} bytes", index, length=n)
    if data[0:3] != MODEL_MAGIC:
        raise _err("ModelBadMagic", "not a model", index, magic=bytes(data[0:3]))
    if data[3] != FORMAT_VERSION:
        raise _err("ModelUnsupportedVersion", f"version {data[3]}", index, version=data[3])
    if data[4] != FAMILY_TREE:
        raise _err("ModelWrongFamily", f"family {data[4]}", index, family=data[4])
    task, k, count = data[5], data[6], data[7]
    ok = (
        (task == TASK_REGRESSION and k == 0 and count == 1)
        if classes == 0
        else (task == TASK_CLASSIFICATION and k == classes and count >= 1)
    )
    if not ok:
        raise _err(
            "ModelShapeMismatch", f"task {task}, {k} classes, {count} trees", index,
            task=task, classes=k, trees=count, expectedClasses=classes,
        )  # fmt: skip
    found = int.from_bytes(data[8:10], "big")
    if found != features:
        raise _err(
            "ModelFeaturesMismatch", f"{found} features, expected {features}", index,
            expected=features, found=found,
        )  # fmt: skip
    p, trees = TREE_HEADER_BYTES, []
    for t in range(count):
        if p + 2 > n:
            raise _err("ModelTreeTruncated", f"tree {t}", index, tree=t)
        nodes = int.from_bytes(data[p : p + 2], "big")
        if nodes == 0:
            raise _err("ModelEmptyTree", f"tree {t}", index, tree=t)
        p += 2
        if p + NODE_BYTES * nodes > n:
            raise _err("ModelTreeTruncated", f"tree {t}", index, tree=t)
        tree = []
        for i in range(nodes):
            raw = data[p + NODE_BYTES * i : p + NODE_BYTES * (i + 1)]
            feature = int.from_bytes(raw[0:2], "big")
            if feature == LEAF:
                value = int.from_bytes(raw[2:6], "big", signed=True)
                good = classes == 0 or 0 <= value < classes
                node = (LEAF, value, 0)
            else:
                right = int.from_bytes(raw[3:6], "big")
                good = feature < features and i + 1 < right < nodes
                node = (feature, int.from_bytes(raw[2:3], "big", signed=True), right)
            if not good:
                raise _err("ModelBadNode", f"tree {t} node {i}", index, tree=t, node=i)
            tree.append(node)
        p += NODE_BYTES * nodes
        trees.append(tuple(tree))
    if p != n:
        raise _err(
            "ModelLengthMismatch", f"expected {p} bytes, got {n}", index, expected=p, actual=n
        )
    return TreeParams(task, k, features, tuple(trees))


# --- the reference ----------------------------------------------------------------------


def _leaf_values(x: npt.NDArray[np.int64], tree: tuple[Node, ...]) -> npt.NDArray[np.int64]:
    """Leaf value reached by every row (vectorised over rows)."""
    at = np.zeros(len(x), dtype=np.int64)
    feature = np.array([f for f, _, _ in tree], dtype=np.int64)
    value = np.array([v for _, v, _ in tree], dtype=np.int64)
    right = np.array([r for _, _, r in tree], dtype=np.int64)
    rows = np.arange(len(x))
    while True:
        inner = feature[at] != LEAF
        if not inner.any():
            return value[at]
        r = rows[inner]
        node = at[inner]
        left = x[r, feature[node]] <= value[node]
        at[r] = np.where(left, node + 1, right[node])


def predict_tree(Xq: npt.ArrayLike, params: TreeParams) -> npt.NDArray[np.int64]:
    """Class indices (majority vote, ties to the lowest class) or fixed-point predictions.

    Example:
        >>> p = TreeParams(0, 2, 1, (((0, 5, 2), (LEAF, 0, 0), (LEAF, 1, 0)),))
        >>> predict_tree([[5], [6], [-128]], p).tolist()
        [0, 1, 0]
    """
    x = np.asarray(Xq).astype(np.int64)
    if x.ndim != 2 or x.shape[1] != params.features:
        raise DataValidationError(
            f"X has {x.shape[-1] if x.ndim else 0} features, but the model is expecting "
            f"{params.features} features as input."
        )
    leaves = [_leaf_values(x, tree) for tree in params.trees]
    if params.classes == 0:
        return leaves[0]
    votes = np.zeros((len(x), params.classes), dtype=np.int64)
    for leaf in leaves:
        votes[np.arange(len(x)), leaf] += 1
    return np.argmax(votes, axis=1).astype(np.int64)  # first maximum: the lowest class


def score_batch_tree(
    chunk: bytes, models: list[bytes], features: int, classes: int
) -> tuple[int, list[int]]:
    """What ``TreeEvaluator.scoreBatch`` returns, or its error."""
    from mlmarket.ml.reference import score_batch

    return score_batch(chunk, models, features, classes, family="tree")
