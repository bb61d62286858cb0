// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PositionalMerkle} from "../libraries/PositionalMerkle.sol";

/**
 * @title MerkleProbe
 * @notice Test-only window onto {PositionalMerkle}, so the Python tests can check
 * chunk commitments (`mlmarket.ml.merkle`) against the verifier competitions use.
 * @dev Never deployed outside tests. Leaves follow docs/formats.md:
 * `keccak256(abi.encode(salt, index, keccak256(chunk)))`.
 */
contract MerkleProbe {
    /// @notice `PositionalMerkle.depthFor`: the levels of the tree over `count` leaves.
    function depthFor(uint256 count) external pure returns (uint8) {
        return PositionalMerkle.depthFor(count);
    }

    /// @notice `PositionalMerkle.verify`: whether `proof` links `leaf` at `index` to `root`.
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leaf, uint256 index, uint256 depth)
        external
        pure
        returns (bool)
    {
        return PositionalMerkle.verify(proof, root, leaf, index, depth);
    }

    /// @notice The salted leaf of chunk number `index`.
    function chunkLeaf(bytes32 salt, uint256 index, bytes calldata chunk) external pure returns (bytes32) {
        return keccak256(abi.encode(salt, index, keccak256(chunk)));
    }

    /// @notice `verify` applied to the leaf of `chunk`, as a competition checks a revealed chunk.
    function verifyChunk(
        bytes32[] calldata proof,
        bytes32 root,
        bytes32 salt,
        uint256 index,
        uint256 depth,
        bytes calldata chunk
    ) external pure returns (bool) {
        return PositionalMerkle.verify(proof, root, keccak256(abi.encode(salt, index, keccak256(chunk))), index, depth);
    }
}
