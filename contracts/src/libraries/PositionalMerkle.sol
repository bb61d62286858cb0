// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title PositionalMerkle
 * @notice Merkle proofs that fix a leaf's position: every committed list in the
 * project (test chunks, training chunks) is a binary tree of fixed depth whose
 * leaf `i` sits at the path given by the bits of `i`.
 * @dev OpenZeppelin's {MerkleProof} hashes sorted pairs, so a proof says nothing
 * about where its leaf is: a committer could put two leaves for one index into a
 * root and choose per verifier which one to prove. Here the proof of leaf `index`
 * must have exactly `depth` elements, and at level `l` the running node is the
 * left child when bit `l` of `index` is 0, the right child when it is 1. The tree
 * over `count` leaves has `depth = ceil(log2(count))` (0 for one leaf: the root is
 * the leaf and the proof is empty); positions `count .. 2^depth - 1` hold
 * {PADDING}, which no leaf can equal (a leaf is a keccak-256 output, and finding
 * an input that hashes to zero is a preimage attack). Python twin:
 * `mlmarket.ml.merkle`; format: docs/formats.md.
 */
library PositionalMerkle {
    /// @notice The leaf at positions past the last committed one.
    bytes32 internal constant PADDING = bytes32(0);

    /// @notice Levels of the tree over `count` leaves: ceil(log2(count)), 0 for 0 or 1 leaf.
    function depthFor(uint256 count) internal pure returns (uint8 depth) {
        // count <= 2^64 in every caller, so depth <= 64 and the loop ends.
        while ((uint256(1) << depth) < count) {
            ++depth;
        }
    }

    /**
     * @notice Whether `proof` links `leaf`, at position `index`, to `root` in a tree of `depth` levels.
     * @dev `index < 2^depth` is the caller's check (a competition checks `index < count`).
     */
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leaf, uint256 index, uint256 depth)
        internal
        pure
        returns (bool)
    {
        if (proof.length != depth) return false;
        bytes32 node = leaf;
        for (uint256 level = 0; level < depth; ++level) {
            bytes32 sibling = proof[level];
            node = (index >> level) & 1 == 0 ? _hash(node, sibling) : _hash(sibling, node);
        }
        return node == root;
    }

    /// @dev keccak256(left ‖ right) in scratch space.
    function _hash(bytes32 left, bytes32 right) private pure returns (bytes32 value) {
        // Writes only the scratch space 0x00-0x3f, which Solidity leaves free for this.
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            value := keccak256(0x00, 0x40)
        }
    }
}
