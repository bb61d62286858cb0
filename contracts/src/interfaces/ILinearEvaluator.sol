// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEvaluator} from "./IEvaluator.sol";
import {IEvaluatorErrors} from "./IEvaluatorErrors.sol";

/**
 * @title ILinearEvaluator
 * @notice Custom errors of {LinearEvaluator}, the evaluator of the "linear" model
 * family (argmax of `W q + b` for classification, `(W q + b) >> shift` for regression).
 * @dev Byte formats: docs/formats.md; arithmetic: docs/fixed-point.md. The checks run
 * in this order, and the Python reference (`mlmarket.ml.formats`) raises a
 * `FormatError` with the same name and arguments for the same input:
 * arguments, chunk header, chunk length, labels (the family-neutral errors of
 * {IEvaluatorErrors}), then each model in order (header fields from left to right, then
 * its length).
 */
interface ILinearEvaluator is IEvaluator, IEvaluatorErrors {
    /// @dev Model `model` has only `length` bytes, fewer than its 13-byte header.
    error LinearEvaluatorModelTruncated(uint256 model, uint256 length);

    /// @dev Model `model` does not start with the magic "MLM"; `magic` is what it starts with.
    error LinearEvaluatorModelBadMagic(uint256 model, bytes3 magic);

    /// @dev Model `model` has format `version`, not 1.
    error LinearEvaluatorModelUnsupportedVersion(uint256 model, uint8 version);

    /// @dev Model `model` is of `family`, not 1 (linear).
    error LinearEvaluatorModelWrongFamily(uint256 model, uint8 family);

    /**
     * @dev Model `model` declares `task`, `classes` and `outputs` that do not suit the
     * competition's `expectedClasses`: regression needs task 1, 0 classes, 1 output;
     * classification task 0, the same classes, and K outputs (or 1 output when K = 2).
     */
    error LinearEvaluatorModelShapeMismatch(
        uint256 model, uint8 task, uint8 classes, uint8 outputs, uint256 expectedClasses
    );

    /// @dev Model `model` has `found` features but the competition declared `expected`.
    error LinearEvaluatorModelFeaturesMismatch(uint256 model, uint256 expected, uint256 found);

    /// @dev Model `model` has weights of `weightBytes` (1..4 allowed) or biases of `biasBytes` (1..8).
    error LinearEvaluatorModelBadWidth(uint256 model, uint8 weightBytes, uint8 biasBytes);

    /// @dev Model `model` has `shift` above 63, or nonzero for a classifier.
    error LinearEvaluatorModelBadShift(uint256 model, uint8 shift);

    /// @dev Model `model` should have `expected` bytes for its header but has `actual`.
    error LinearEvaluatorModelLengthMismatch(uint256 model, uint256 expected, uint256 actual);

    /// @dev The model's weights are `weightBytes` wide, above the competition's budget of
    /// `maxWeightBytes`.
    error LinearEvaluatorModelOverBudget(uint256 weightBytes, uint256 maxWeightBytes);
}
