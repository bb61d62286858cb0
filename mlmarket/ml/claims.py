"""Score claims for optimistic evaluation: per-chunk leaf vectors and their Merkle sum tree.

The Python twin of ``ScoreClaims.sol`` (format: ``IScoreClaims``). A claim lists, for one
submission, every test chunk's **leaf vector**: the evaluator's value for metrics that add
up per chunk (``accuracy``: correct predictions; ``mse``/``mae``: the sum of squared or
absolute errors), and for the per-class metrics (``balanced_accuracy``, ``macro_f1``) the
tallies ``[correct, tp_0..tp_{K-1}, predicted_0..predicted_{K-1}]`` followed by the chunk's
support ``[support_0..support_{K-1}]`` (3K + 1 words). The contract builds the tree over
``2**depth`` positions (depth as for the test set): leaf ``i`` is
``keccak(id ‖ i ‖ v_i)`` with sum ``v_i``; a position past the last chunk is hash 0 with a
zero sum; an inner node is ``keccak(left ‖ right ‖ sum)`` with ``sum = sumLeft + sumRight``
(every value one 32-byte word). The root's sum is the total; its score is what the
competition would compute after scoring every chunk.

Example:
    >>> tree = SumTree(7, [[3], [5], [2]])
    >>> tree.total, tree.depth
    ([10], 2)
    >>> siblings, sums = tree.opening(2)
    >>> tree.opens(2, [2], siblings, sums)
    True
    >>> tree.opens(2, [3], siblings, sums)
    False
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils import keccak

from mlmarket.errors import DataValidationError
from mlmarket.ml.merkle import depth_for
from mlmarket.ml.metrics import PER_CLASS, score_from_counts
from mlmarket.ml.reference import score_batch, tally_batch

__all__ = ["SumTree", "claim_score", "chunk_leaf_vector", "leaf_length", "leaf_vectors"]

_WORD = 1 << 256


def _words(*values: int | bytes) -> bytes:
    out = bytearray()
    for value in values:
        if isinstance(value, bytes):
            if len(value) != 32:
                raise DataValidationError(f"A hash is 32 bytes, not {len(value)}.")
            out += value
        else:
            if not 0 <= value < _WORD:
                raise DataValidationError(f"{value} does not fit in one 256-bit word.")
            out += value.to_bytes(32, "big")
    return bytes(out)


def leaf_length(metric: str, classes: int) -> int:
    """Words per leaf: 3K + 1 for the per-class metrics, else 1."""
    return 3 * classes + 1 if metric in PER_CLASS else 1


def chunk_leaf_vector(
    chunk: bytes, model: bytes, *, features: int, classes: int, metric: str, family: str
) -> list[int]:
    """One chunk's leaf vector for one model, exactly as ``ScoreClaims.challenge`` computes it."""
    if metric in ("accuracy", "mse"):
        return [score_batch(chunk, [model], features, classes, family=family)[1][0]]
    _rows, support, tallies = tally_batch(chunk, [model], features, classes, family=family)
    if metric == "mae":
        return [tallies[0][1]]
    return list(tallies[0]) + list(support)


def leaf_vectors(
    chunks: Sequence[bytes], model: bytes, *, features: int, classes: int, metric: str,
    family: str,
) -> list[list[int]]:  # fmt: skip
    """Every chunk's leaf vector for ``model``, in chunk order."""
    return [
        chunk_leaf_vector(
            c, model, features=features, classes=classes, metric=metric, family=family
        )  # fmt: skip
        for c in chunks
    ]


def claim_score(metric: str, classes: int, total: Sequence[int]) -> int:
    """The competition's score of a total leaf vector (the root's sum)."""
    if len(total) == 1:
        return int(total[0])
    k = classes
    tp, predicted, support = total[1 : 1 + k], total[1 + k : 1 + 2 * k], total[1 + 2 * k :]
    return score_from_counts(metric, support, tp, predicted)


class SumTree:
    """The Merkle sum tree of one claim: submission ``sub_id``'s leaf vectors, chunk by chunk."""

    def __init__(self, sub_id: int, leaves: Sequence[Sequence[int]]) -> None:
        if not leaves:
            raise DataValidationError("A claim needs the leaf vector of at least one chunk.")
        width = len(leaves[0])
        if width == 0 or any(len(leaf) != width for leaf in leaves):
            raise DataValidationError("Every leaf vector of a claim has the same, non-zero length.")
        self.id = sub_id
        self.width = width
        self.count = len(leaves)
        self.depth = depth_for(self.count)
        zero = [0] * width
        level = [(keccak(_words(sub_id, i, *leaf)), [int(v) for v in leaf])
                 for i, leaf in enumerate(leaves)]  # fmt: skip
        level += [(bytes(32), zero)] * ((1 << self.depth) - self.count)
        self._levels = [level]
        while len(level) > 1:
            level = [self._parent(level[i], level[i + 1]) for i in range(0, len(level), 2)]
            self._levels.append(level)

    @staticmethod
    def _parent(
        left: tuple[bytes, list[int]], right: tuple[bytes, list[int]]
    ) -> tuple[bytes, list[int]]:
        sums = [a + b for a, b in zip(left[1], right[1], strict=True)]
        return keccak(_words(left[0], right[0], *sums)), sums

    @property
    def root(self) -> bytes:
        return self._levels[-1][0][0]

    @property
    def total(self) -> list[int]:
        return list(self._levels[-1][0][1])

    @property
    def leaves(self) -> list[list[int]]:
        return [list(s) for _h, s in self._levels[0][: self.count]]

    def flat_leaves(self) -> list[int]:
        """The leaves as ``postClaim`` takes them: one list, chunk after chunk."""
        return [v for leaf in self.leaves for v in leaf]

    def opening(self, index: int) -> tuple[list[bytes], list[int]]:
        """``(siblings, siblingSums)`` of leaf ``index``, from the leaf up (sums flattened)."""
        if not 0 <= index < self.count:
            raise IndexError(f"chunk {index} is out of range for {self.count} chunks")
        siblings: list[bytes] = []
        sums: list[int] = []
        for level in self._levels[:-1]:
            node_hash, node_sums = level[index ^ 1]
            siblings.append(node_hash)
            sums += node_sums
            index //= 2
        return siblings, sums

    def opens(
        self,
        index: int,
        leaf: Sequence[int],
        siblings: Sequence[bytes],
        sibling_sums: Sequence[int],
    ) -> bool:
        """Whether an opening leads to this tree's root, as the contract checks it."""
        width = self.width
        if (
            len(leaf) != width
            or len(siblings) != self.depth
            or len(sibling_sums) != self.depth * width
        ):
            return False
        node = keccak(_words(self.id, index, *leaf))
        sums = list(leaf)
        for level, sibling in enumerate(siblings):
            sums = [a + b for a, b in zip(sums, sibling_sums[level * width : (level + 1) * width],
                                          strict=True)]  # fmt: skip
            if any(s >= _WORD for s in sums):
                return False
            pair = (node, sibling) if (index >> level) & 1 == 0 else (sibling, node)
            node = keccak(_words(*pair, *sums))
        return node == self.root
