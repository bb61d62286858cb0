// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IEvaluatorErrors
 * @notice Custom errors every evaluator family shares: the checks of the arguments and of
 * the test-set chunk (format v1, docs/formats.md), which are the same for every family.
 * @dev Raised by {EvaluatorChunks}; each family's interface inherits them and adds its own
 * model errors. The checks run in this order (arguments, chunk header, chunk length,
 * labels), and the Python reference (`mlmarket.ml.formats`) raises a `FormatError` with
 * the same name and arguments for the same input.
 */
interface IEvaluatorErrors {
    /// @dev `features` is not in 1..4096, or `classes` is neither 0 (regression) nor in 2..255.
    error EvaluatorInvalidArguments(uint256 features, uint256 classes);

    /// @dev The chunk has only `length` bytes, fewer than its 11-byte header.
    error EvaluatorChunkTruncated(uint256 length);

    /// @dev The chunk does not start with the magic "MLC"; `magic` is what it starts with.
    error EvaluatorChunkBadMagic(bytes3 magic);

    /// @dev The chunk format `version` is not 1, the only version the evaluators read.
    error EvaluatorChunkUnsupportedVersion(uint8 version);

    /// @dev The chunk has `found` features per row but the competition declared `expected`.
    error EvaluatorChunkFeaturesMismatch(uint256 expected, uint256 found);

    /// @dev The chunk's `labelKind` (0 class index, 1 int32) does not suit `classes`.
    error EvaluatorChunkLabelKindMismatch(uint256 classes, uint8 labelKind);

    /// @dev The chunk should have `expected` bytes for its header's row count but has `actual`.
    error EvaluatorChunkLengthMismatch(uint256 expected, uint256 actual);

    /// @dev Row `row` of the chunk has class `label`, but there are only `classes` classes.
    error EvaluatorLabelOutOfRange(uint256 row, uint256 label, uint256 classes);
}
