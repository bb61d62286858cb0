// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/**
 * @title MerkleProbe
 * @notice Test-only window onto OpenZeppelin's {MerkleProof}, so the Python tests can
 * check test-set commitments (`mlmarket.ml.merkle`) against the verifier competitions use.
 * @dev Never deployed outside tests. Leaves follow docs/formats.md:
 * `keccak256(abi.encode(salt, index, keccak256(chunk)))`.
 */
contract MerkleProbe {
    /// @notice `MerkleProof.verify`: whether `proof` links `leaf` to `root` (sorted-pair keccak).
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leaf) external pure returns (bool) {
        return MerkleProof.verify(proof, root, leaf);
    }

    /// @notice `MerkleProof.processProof`: the root that `proof` and `leaf` lead to.
    function processProof(bytes32[] calldata proof, bytes32 leaf) external pure returns (bytes32) {
        return MerkleProof.processProof(proof, leaf);
    }

    /// @notice The salted leaf of chunk number `index`.
    function chunkLeaf(bytes32 salt, uint256 index, bytes calldata chunk) external pure returns (bytes32) {
        return keccak256(abi.encode(salt, index, keccak256(chunk)));
    }

    /// @notice `verify` applied to the leaf of `chunk`, as a competition checks a revealed chunk.
    function verifyChunk(bytes32[] calldata proof, bytes32 root, bytes32 salt, uint256 index, bytes calldata chunk)
        external
        pure
        returns (bool)
    {
        return MerkleProof.verify(proof, root, keccak256(abi.encode(salt, index, keccak256(chunk))));
    }
}
