"""Merkle commitments to test-set chunks, verifiable with OpenZeppelin's ``MerkleProof``.

Leaves are salted: ``keccak256(abi.encode(bytes32 salt, uint256 index, keccak256(chunk)))``.
Inner nodes hash sorted pairs (``Hashes.commutativeKeccak256``): ``keccak256(min || max)``
comparing the 32-byte values as unsigned integers, so a proof is just the list of
sibling hashes from the leaf up and ``MerkleProof.verify(proof, root, leaf)`` accepts it.

Tree shape: level by level, nodes ``2i`` and ``2i + 1`` are paired; an unpaired last
node moves up unchanged (it contributes no proof element at that level). A leaf is
a keccak of 96 bytes and an inner node a keccak of 64, so an inner node can never be
passed off as a leaf (that would need a keccak collision across input lengths).

Example:
    >>> tree = MerkleTree([chunk_leaf(bytes(32), i, b"chunk %d" % i) for i in range(5)])
    >>> len(tree), len(tree.proof(4)), len(tree.proof(0))
    (5, 1, 3)
    >>> verify_proof(tree.proof(3), tree.root, tree.leaves[3])
    True
    >>> verify_proof(tree.proof(3), tree.root, tree.leaves[2])
    False
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_abi import encode
from eth_utils import keccak

from mlmarket.errors import DataValidationError

__all__ = ["MerkleTree", "chunk_leaf", "hash_pair", "process_proof", "verify_proof"]


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


def hash_pair(a: bytes, b: bytes) -> bytes:
    """OpenZeppelin's ``Hashes.commutativeKeccak256``: keccak of the sorted pair."""
    return keccak(a + b) if a < b else keccak(b + a)


def process_proof(proof: Sequence[bytes], leaf: bytes) -> bytes:
    """The root reached from ``leaf`` through ``proof`` (``MerkleProof.processProof``)."""
    node = _check_hash(leaf, "leaf")
    for sibling in proof:
        node = hash_pair(node, _check_hash(sibling, "a proof element"))
    return node


def verify_proof(proof: Sequence[bytes], root: bytes, leaf: bytes) -> bool:
    """Whether ``proof`` links ``leaf`` to ``root`` (``MerkleProof.verify``)."""
    return process_proof(proof, leaf) == _check_hash(root, "root")


class MerkleTree:
    """A Merkle tree over 32-byte leaves, in the given order (leaves are not sorted).

    Example:
        >>> tree = MerkleTree([bytes([i]) * 32 for i in range(3)])
        >>> tree.root == hash_pair(hash_pair(bytes(32), bytes([1]) * 32), bytes([2]) * 32)
        True
        >>> tree.proof(2) == [hash_pair(bytes(32), bytes([1]) * 32)]
        True
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        if not leaves:
            raise DataValidationError("A Merkle tree needs at least one leaf.")
        level = [_check_hash(leaf, "leaf") for leaf in leaves]
        self._levels: list[list[bytes]] = [level]
        while len(level) > 1:
            paired = [hash_pair(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            level = paired + ([level[-1]] if len(level) % 2 else [])
            self._levels.append(level)

    def __len__(self) -> int:
        return len(self._levels[0])

    @property
    def leaves(self) -> list[bytes]:
        return list(self._levels[0])

    @property
    def root(self) -> bytes:
        return self._levels[-1][0]

    def proof(self, index: int) -> list[bytes]:
        """Sibling hashes from leaf ``index`` up to the root."""
        if not 0 <= index < len(self):
            raise IndexError(f"leaf index {index} is out of range for {len(self)} leaves")
        path = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            index //= 2
        return path

    def verify(self, index: int, proof: Sequence[bytes]) -> bool:
        """Whether ``proof`` proves leaf ``index`` of this tree."""
        return 0 <= index < len(self) and verify_proof(proof, self.root, self._levels[0][index])
