"""Chunk commitments: Python positional Merkle proofs against PositionalMerkle.sol on chain."""

from __future__ import annotations

import os
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from mlmarket.errors import DataValidationError
from mlmarket.ml import MerkleTree, TestSet, chunk_leaf, process_proof, verify_proof
from mlmarket.ml.merkle import PADDING, depth_for, hash_pair

SALT = bytes.fromhex("5a" * 32)


def chunks(count: int) -> list[bytes]:
    return [os.urandom(13 + 7 * i) for i in range(count)]


def test_leaf_isKeccakOfAbiEncodedSaltIndexAndChunkHash(chain: Any, probe: Any) -> None:
    chunk = b"\x00\x01chunk bytes"
    expected = keccak(encode(["bytes32", "uint256", "bytes32"], [SALT, 7, keccak(chunk)]))
    assert chunk_leaf(SALT, 7, chunk) == expected
    assert chain.call(probe.functions.chunkLeaf(SALT, 7, chunk)) == expected


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 8, 9, 13, 16, 17])
def test_everyProof_verifiesOnChain(chain: Any, probe: Any, count: int) -> None:
    data = chunks(count)
    tree = MerkleTree([chunk_leaf(SALT, i, chunk) for i, chunk in enumerate(data)])
    assert tree.depth == depth_for(count) == chain.call(probe.functions.depthFor(count))
    for i, chunk in enumerate(data):
        proof, leaf = tree.proof(i), tree.leaves[i]
        assert len(proof) == tree.depth
        assert chain.call(probe.functions.verify(proof, tree.root, leaf, i, tree.depth)) is True
        assert (
            chain.call(probe.functions.verifyChunk(proof, tree.root, SALT, i, tree.depth, chunk))
            is True
        )
        assert verify_proof(proof, tree.root, leaf, i, tree.depth) and tree.verify(i, proof)
    if count == 1:  # the breast-cancer case: depth 0, the root is the leaf, the proof is empty
        assert tree.depth == 0 and tree.root == tree.leaves[0] and tree.proof(0) == []


@pytest.mark.parametrize("count", [2, 5, 13])
def test_forgedProofs_failInPythonAndOnChain(chain: Any, probe: Any, count: int) -> None:
    data = chunks(count)
    test = TestSet(tuple(data), SALT, 3, 2, 1, (1,) * count)
    root, depth = test.root, test.depth
    for i, chunk in enumerate(data):
        proof = test.proof(i)
        forged = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
        other = (i + 1) % count
        attempts = [
            (forged, SALT, i, i, chunk),  # a flipped bit in the proof
            (proof, SALT, other, other, chunk),  # the right chunk claimed at another index
            (proof, SALT, i, other, chunk),  # the right leaf verified at another position
            (proof, bytes(32), i, i, chunk),  # the wrong salt
            (proof, SALT, i, i, chunk + b"\x00"),  # a different chunk
            (test.proof(other), SALT, i, i, chunk),  # another leaf's proof
            (proof[:-1], SALT, i, i, chunk),  # one level short
            ([*proof, PADDING], SALT, i, i, chunk),  # one level too many
        ]
        for bad_proof, salt, leaf_index, position, body in attempts:
            leaf = chunk_leaf(salt, leaf_index, body)
            assert not verify_proof(bad_proof, root, leaf, position, depth)
            on_chain = chain.call(probe.functions.verify(bad_proof, root, leaf, position, depth))
            assert on_chain is False
        assert not test.tree.verify(i, forged) and not test.tree.verify(count, proof)


def test_twoLeavesForOneIndex_cannotBothProve(chain: Any, probe: Any) -> None:
    """The double-leaf attack: a root over the real chunk 0 and a doctored chunk 0.

    With sorted pairs both leaves proved into one root. Positionally, a tree whose
    leaves are [real0, doctored0] commits the doctored leaf at position 1, and a
    leaf of index 0 proves only at position 0.
    """
    real, doctored = b"real chunk 0", b"doctored chunk 0"
    leaves = [chunk_leaf(SALT, 0, real), chunk_leaf(SALT, 0, doctored)]
    tree = MerkleTree(leaves)
    assert verify_proof(tree.proof(0), tree.root, leaves[0], 0, tree.depth)
    for proof in (tree.proof(0), tree.proof(1)):
        assert not verify_proof(proof, tree.root, leaves[1], 0, tree.depth)
        assert (
            chain.call(probe.functions.verifyChunk(proof, tree.root, SALT, 0, tree.depth, doctored))
            is False
        )


@given(count=st.integers(1, 64), salt=st.binary(min_size=32, max_size=32))
def test_everyIndex_provesToTheRoot_atItsPositionOnly(count: int, salt: bytes) -> None:
    tree = MerkleTree([chunk_leaf(salt, i, b"%d" % i) for i in range(count)])
    assert tree.depth == (count - 1).bit_length()
    for i in range(count):
        proof = tree.proof(i)
        assert len(proof) == tree.depth
        assert process_proof(proof, tree.leaves[i], i) == tree.root
        if count > 1:
            assert process_proof(proof, tree.leaves[i], i ^ 1) != tree.root


def test_hashPair_isOrdered() -> None:
    a, b = keccak(b"a"), keccak(b"b")
    assert hash_pair(a, b) == keccak(a + b) != hash_pair(b, a) == keccak(b + a)


def test_padding_isNeverALeaf() -> None:
    with pytest.raises(DataValidationError, match="padding"):
        MerkleTree([keccak(b"a"), PADDING])
    tree = MerkleTree([keccak(b"a"), keccak(b"b"), keccak(b"c")])
    assert tree.root == hash_pair(
        hash_pair(keccak(b"a"), keccak(b"b")), hash_pair(keccak(b"c"), PADDING)
    )


def test_badInput_isRefused() -> None:
    with pytest.raises(DataValidationError, match="at least one leaf"):
        MerkleTree([])
    with pytest.raises(DataValidationError, match="32 bytes"):
        MerkleTree([b"short"])
    with pytest.raises(IndexError):
        MerkleTree([keccak(b"a")]).proof(1)
    with pytest.raises(DataValidationError, match="negative"):
        chunk_leaf(SALT, -1, b"")
    with pytest.raises(DataValidationError, match="salt"):
        chunk_leaf(b"salt", 0, b"")
