"""Positional Merkle commitments to chunk lists, verified by ``PositionalMerkle.sol``.

Leaves are salted: ``keccak256(abi.encode(bytes32 salt, uint256 index, keccak256(chunk)))``
(training chunks use a zero salt). The tree over ``n`` leaves has a fixed depth
``ceil(log2(n))`` (0 for one leaf: the root is the leaf and the proof is empty);
positions ``n .. 2**depth - 1`` hold :data:`PADDING`. Inner nodes hash **ordered**
pairs, ``keccak256(left || right)``, and a proof lists exactly ``depth`` sibling
hashes from the leaf up; bit ``l`` of the index says whether the running node is the
left (0) or right (1) child at level ``l``.

Why not sorted pairs (OpenZeppelin ``MerkleProof``)? A sorted-pair proof says nothing
about a leaf's position, so a committer could put two leaves for one index into the
root (the real chunk and a doctored copy) and prove whichever suits each model. In a
positional tree of fixed depth each index has exactly one leaf.

No leaf can equal :data:`PADDING` (zero): that would be a keccak preimage of zero.
A leaf hashes 96 bytes and an inner node 64, and every proof has the same length, so
an inner node can never be passed off as a leaf either.

Example:
    >>> tree = MerkleTree([chunk_leaf(bytes(32), i, b"chunk %d" % i) for i in range(5)])
    >>> len(tree), tree.depth, len(tree.proof(4)), len(tree.proof(0))
    (5, 3, 3, 3)
    >>> verify_proof(tree.proof(3), tree.root, tree.leaves[3], 3, tree.depth)
    True
    >>> verify_proof(tree.proof(3), tree.root, tree.leaves[3], 2, tree.depth)
    False
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_abi import encode
from eth_utils import keccak

from mlmarket.errors import DataValidationError

__all__ = [
    "PADDING",
    "MerkleTree",
    "chunk_leaf",
    "depth_for",
    "hash_pair",
    "process_proof",
    "verify_proof",
]

PADDING = bytes(32)
"""The leaf at the positions past the last committed one (``PositionalMerkle.PADDING``)."""


def _check_hash(value: bytes, what: str) -> bytes:
    data = bytes(value)
    if len(data) != 32:
        raise DataValidationError(f"{what} must be 32 bytes; got {len(data)}.")
    return data


def chunk_leaf(salt: bytes, index: int, chunk: bytes) -> bytes:
    """The leaf of chunk ``index``: ``keccak256(abi.encode(salt, index, keccak256(chunk)))``.

    Example:
        >>> chunk_leaf(bytes(32), 0, b"").hex()[:16]
        'fb8b8f91fdf6aec9'
    """
    if index < 0:
        raise DataValidationError(f"A chunk index cannot be negative; got {index}.")
    payload = encode(
        ["bytes32", "uint256", "bytes32"], [_check_hash(salt, "salt"), index, keccak(chunk)]
    )
    return keccak(payload)


def depth_for(count: int) -> int:
    """Levels of the tree over ``count`` leaves: ``ceil(log2(count))``, 0 for one leaf.

    Example:
        >>> [depth_for(n) for n in (1, 2, 3, 4, 5, 8, 9)]
        [0, 1, 2, 2, 3, 3, 4]
    """
    if count < 1:
        raise DataValidationError(f"A Merkle tree needs at least one leaf; got {count}.")
    return (count - 1).bit_length()


def hash_pair(left: bytes, right: bytes) -> bytes:
    """An inner node: ``keccak256(left || right)`` (order matters)."""
    return keccak(_check_hash(left, "a node") + _check_hash(right, "a node"))


def process_proof(proof: Sequence[bytes], leaf: bytes, index: int) -> bytes:
    """The root reached from ``leaf`` at position ``index`` through ``proof``."""
    if index < 0:
        raise DataValidationError(f"A leaf index cannot be negative; got {index}.")
    node = _check_hash(leaf, "leaf")
    for level, sibling in enumerate(proof):
        sibling = _check_hash(sibling, "a proof element")
        node = hash_pair(node, sibling) if (index >> level) & 1 == 0 else hash_pair(sibling, node)
    return node


def verify_proof(proof: Sequence[bytes], root: bytes, leaf: bytes, index: int, depth: int) -> bool:
    """Whether ``proof`` links ``leaf`` at ``index`` to ``root`` (``PositionalMerkle.verify``).

    The proof must have exactly ``depth`` elements and ``index`` must fit in ``depth`` bits.
    """
    if len(proof) != depth or not 0 <= index < 1 << depth:
        return False
    return process_proof(proof, leaf, index) == _check_hash(root, "root")


class MerkleTree:
    """A positional Merkle tree over 32-byte leaves, in the given order, padded to ``2**depth``.

    Example:
        >>> leaves = [bytes([i + 1]) * 32 for i in range(3)]
        >>> tree = MerkleTree(leaves)
        >>> tree.root == hash_pair(hash_pair(leaves[0], leaves[1]), hash_pair(leaves[2], PADDING))
        True
        >>> tree.proof(2) == [PADDING, hash_pair(leaves[0], leaves[1])]
        True
        >>> MerkleTree(leaves[:1]).proof(0)
        []
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        if not leaves:
            raise DataValidationError("A Merkle tree needs at least one leaf.")
        checked = [_check_hash(leaf, "leaf") for leaf in leaves]
        if PADDING in checked:
            raise DataValidationError("A leaf cannot be the padding value (32 zero bytes).")
        self._count = len(checked)
        self.depth = depth_for(self._count)
        level = checked + [PADDING] * ((1 << self.depth) - self._count)
        self._levels: list[list[bytes]] = [level]
        while len(level) > 1:
            level = [hash_pair(level[i], level[i + 1]) for i in range(0, len(level), 2)]
            self._levels.append(level)

    def __len__(self) -> int:
        return self._count

    @property
    def leaves(self) -> list[bytes]:
        return list(self._levels[0][: self._count])

    @property
    def root(self) -> bytes:
        return self._levels[-1][0]

    def proof(self, index: int) -> list[bytes]:
        """The ``depth`` sibling hashes from leaf ``index`` up to the root."""
        if not 0 <= index < self._count:
            raise IndexError(f"leaf index {index} is out of range for {self._count} leaves")
        path = []
        for level in self._levels[:-1]:
            path.append(level[index ^ 1])
            index //= 2
        return path

    def verify(self, index: int, proof: Sequence[bytes]) -> bool:
        """Whether ``proof`` proves leaf ``index`` of this tree."""
        return 0 <= index < self._count and verify_proof(
            proof, self.root, self._levels[0][index], index, self.depth
        )
