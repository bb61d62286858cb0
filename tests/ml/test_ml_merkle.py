"""Test-set commitments: Python Merkle proofs against OpenZeppelin's MerkleProof on chain."""

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
from mlmarket.ml.merkle import hash_pair

SALT = bytes.fromhex("5a" * 32)


def chunks(count: int) -> list[bytes]:
    return [os.urandom(13 + 7 * i) for i in range(count)]


def test_leaf_isKeccakOfAbiEncodedSaltIndexAndChunkHash(chain: Any, probe: Any) -> None:
    chunk = b"\x00\x01chunk bytes"
    expected = keccak(encode(["bytes32", "uint256", "bytes32"], [SALT, 7, keccak(chunk)]))
    assert chunk_leaf(SALT, 7, chunk) == expected
    assert chain.call(probe.functions.chunkLeaf(SALT, 7, chunk)) == expected


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13])
def test_everyProof_verifiesWithOpenZeppelin(chain: Any, probe: Any, count: int) -> None:
    data = chunks(count)
    tree = MerkleTree([chunk_leaf(SALT, i, chunk) for i, chunk in enumerate(data)])
    for i, chunk in enumerate(data):
        proof, leaf = tree.proof(i), tree.leaves[i]
        assert chain.call(probe.functions.processProof(proof, leaf)) == tree.root
        assert chain.call(probe.functions.verify(proof, tree.root, leaf)) is True
        assert chain.call(probe.functions.verifyChunk(proof, tree.root, SALT, i, chunk)) is True
        assert verify_proof(proof, tree.root, leaf) and tree.verify(i, proof)
    if count == 1:
        assert tree.root == tree.leaves[0] and tree.proof(0) == []


@pytest.mark.parametrize("count", [2, 5, 13])
def test_forgedProofs_failInPythonAndOnChain(chain: Any, probe: Any, count: int) -> None:
    data = chunks(count)
    test = TestSet(tuple(data), SALT, 3, 2, 1, (1,) * count)
    root = test.root
    for i, chunk in enumerate(data):
        proof = test.proof(i)
        forged = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
        other = (i + 1) % count
        attempts = [
            (forged, SALT, i, chunk),  # a flipped bit in the proof
            (proof, SALT, other, chunk),  # the right chunk claimed at another index
            (proof, bytes(32), i, chunk),  # the wrong salt
            (proof, SALT, i, chunk + b"\x00"),  # a different chunk
            (test.proof(other), SALT, i, chunk),  # another leaf's proof
        ]
        for bad_proof, salt, index, body in attempts:
            assert not verify_proof(bad_proof, root, chunk_leaf(salt, index, body))
            assert (
                chain.call(probe.functions.verifyChunk(bad_proof, root, salt, index, body)) is False
            )
        assert not test.tree.verify(i, forged) and not test.tree.verify(count, proof)


@given(count=st.integers(1, 64), salt=st.binary(min_size=32, max_size=32))
def test_everyIndex_provesToTheRoot(count: int, salt: bytes) -> None:
    tree = MerkleTree([chunk_leaf(salt, i, b"%d" % i) for i in range(count)])
    depth = (count - 1).bit_length()
    for i in range(count):
        proof = tree.proof(i)
        assert len(proof) <= depth
        assert process_proof(proof, tree.leaves[i]) == tree.root


def test_hashPair_isCommutativeAndSorted() -> None:
    a, b = keccak(b"a"), keccak(b"b")
    low, high = sorted([a, b])
    assert hash_pair(a, b) == hash_pair(b, a) == keccak(low + high)


def test_badInput_isRefused() -> None:
    with pytest.raises(DataValidationError, match="at least one leaf"):
        MerkleTree([])
    with pytest.raises(DataValidationError, match="32 bytes"):
        MerkleTree([b"short"])
    with pytest.raises(IndexError):
        MerkleTree([bytes(32)]).proof(1)
    with pytest.raises(DataValidationError, match="negative"):
        chunk_leaf(SALT, -1, b"")
    with pytest.raises(DataValidationError, match="salt"):
        chunk_leaf(b"salt", 0, b"")
