// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEvaluator} from "./IEvaluator.sol";
import {IEvaluatorErrors} from "./IEvaluatorErrors.sol";

/**
 * @title IMlpEvaluator
 * @notice Custom errors of {MlpEvaluator}, the evaluator of the "mlp" model family (ReLU
 * networks with one or two hidden layers, int16 weights, int64 biases, clamped fixed-point
 * activations).
 * @dev Byte formats: docs/formats.md; arithmetic: docs/fixed-point.md. The checks run in
 * this order, and the Python reference (`mlmarket.ml.mlp`) raises a `FormatError` with the
 * same name and arguments for the same input: arguments, chunk header, chunk length,
 * labels (the family-neutral errors of {IEvaluatorErrors}), then each model in order
 * (header fields from left to right, then its length).
 */
interface IMlpEvaluator is IEvaluator, IEvaluatorErrors {
    /// @dev Model `model` has only `length` bytes, fewer than its 16-byte header.
    error MlpEvaluatorModelTruncated(uint256 model, uint256 length);

    /// @dev Model `model` does not start with the magic "MLM"; `magic` is what it starts with.
    error MlpEvaluatorModelBadMagic(uint256 model, bytes3 magic);

    /// @dev Model `model` has format `version`, not 1.
    error MlpEvaluatorModelUnsupportedVersion(uint256 model, uint8 version);

    /// @dev Model `model` is of `family`, not 2 (mlp).
    error MlpEvaluatorModelWrongFamily(uint256 model, uint8 family);

    /**
     * @dev Model `model` declares `task`, `classes` and `outputs` that do not suit the
     * competition's `expectedClasses`: regression needs task 1, 0 classes, 1 output;
     * classification task 0, the same classes, and K outputs (or 1 output when K = 2).
     */
    error MlpEvaluatorModelShapeMismatch(
        uint256 model, uint8 task, uint8 classes, uint8 outputs, uint256 expectedClasses
    );

    /// @dev Model `model` has `found` features but the competition declared `expected`.
    error MlpEvaluatorModelFeaturesMismatch(uint256 model, uint256 expected, uint256 found);

    /// @dev Model `model` has `layers` not in 1..2, an empty first layer, or `hidden2` nonzero
    /// for one hidden layer (zero for two).
    error MlpEvaluatorModelBadLayers(uint256 model, uint8 layers, uint8 hidden1, uint8 hidden2);

    /// @dev Model `model` has a shift above 63, `shift2` nonzero for one hidden layer, or
    /// `outShift` nonzero for a classifier.
    error MlpEvaluatorModelBadShift(uint256 model, uint8 shift1, uint8 shift2, uint8 outShift);

    /// @dev Model `model` should have `expected` bytes for its header but has `actual`.
    error MlpEvaluatorModelLengthMismatch(uint256 model, uint256 expected, uint256 actual);

    /// @dev The model needs `macs` multiply-accumulates per row and has `units` units, above
    /// the competition's budget of `maxMacs` and `maxUnits`.
    error MlpEvaluatorModelOverBudget(uint256 macs, uint256 units, uint256 maxMacs, uint256 maxUnits);
}
