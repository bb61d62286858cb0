// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEvaluator} from "./IEvaluator.sol";
import {IEvaluatorErrors} from "./IEvaluatorErrors.sol";

/**
 * @title ITreeEvaluator
 * @notice Custom errors of {TreeEvaluator}, the evaluator of the "tree" model family
 * (decision trees on int8 features; a forest votes, ties to the lowest class).
 * @dev Byte formats: docs/formats.md. The checks run in this order, and the Python
 * reference (`mlmarket.ml.tree`) raises a `FormatError` with the same name and arguments
 * for the same input: arguments, chunk header, chunk length, labels (the family-neutral
 * errors of {IEvaluatorErrors}), then each model in order (header fields from left to
 * right, then each tree's count and nodes in order, then the total length).
 */
interface ITreeEvaluator is IEvaluator, IEvaluatorErrors {
    /// @dev Model `model` has only `length` bytes, fewer than its 10-byte header.
    error TreeEvaluatorModelTruncated(uint256 model, uint256 length);

    /// @dev Model `model` does not start with the magic "MLM"; `magic` is what it starts with.
    error TreeEvaluatorModelBadMagic(uint256 model, bytes3 magic);

    /// @dev Model `model` has format `version`, not 1.
    error TreeEvaluatorModelUnsupportedVersion(uint256 model, uint8 version);

    /// @dev Model `model` is of `family`, not 3 (tree).
    error TreeEvaluatorModelWrongFamily(uint256 model, uint8 family);

    /**
     * @dev Model `model` declares `task`, `classes` and `trees` that do not suit the
     * competition's `expectedClasses`: regression needs task 1, 0 classes, 1 tree;
     * classification task 0, the same classes, and at least one tree.
     */
    error TreeEvaluatorModelShapeMismatch(
        uint256 model, uint8 task, uint8 classes, uint8 trees, uint256 expectedClasses
    );

    /// @dev Model `model` has `found` features but the competition declared `expected`.
    error TreeEvaluatorModelFeaturesMismatch(uint256 model, uint256 expected, uint256 found);

    /// @dev Model `model` ends inside tree `tree`'s node count or nodes.
    error TreeEvaluatorModelTreeTruncated(uint256 model, uint256 tree);

    /// @dev Tree `tree` of model `model` has no nodes.
    error TreeEvaluatorModelEmptyTree(uint256 model, uint256 tree);

    /// @dev Node `node` of tree `tree` of model `model` tests a feature `>= features`, has a
    /// right child outside (node + 1, count), or is a leaf with a class `>= classes`.
    error TreeEvaluatorModelBadNode(uint256 model, uint256 tree, uint256 node);

    /// @dev Model `model`'s trees end at `expected` bytes but it has `actual`.
    error TreeEvaluatorModelLengthMismatch(uint256 model, uint256 expected, uint256 actual);

    /// @dev The model has `trees` trees, `nodes` nodes and a deepest walk of `depth` internal
    /// nodes, above the competition's budget of `maxTrees`, `maxNodes` and `maxDepth`.
    error TreeEvaluatorModelOverBudget(
        uint256 trees, uint256 depth, uint256 nodes, uint256 maxTrees, uint256 maxDepth, uint256 maxNodes
    );
}
