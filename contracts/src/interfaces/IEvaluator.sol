// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IEvaluator
 * @notice Scores models on a chunk of a test set, entirely on chain.
 * @dev One evaluator contract per model family (linear, MLP, tree, ...). Byte
 * formats of chunks and models are versioned and documented in docs/formats.md;
 * the Python reference evaluator in `mlmarket.ml` gives exactly the same numbers.
 *
 * A chunk holds `rows` samples with `features` fixed-point features each and
 * their labels. For classification (`classes >= 2`) a model's value is the
 * number of rows it predicts correctly (higher is better). For regression
 * (`classes == 0`) it is the sum of squared errors in the label's fixed-point
 * scale (lower is better). Totals over all chunks decide the ranking.
 */
interface IEvaluator {
    /**
     * @notice Score every model in `models` on `chunk`.
     * @param chunk A test-set chunk in the evaluator's chunk format.
     * @param models Models in the evaluator's model format.
     * @param features Number of features the competition declared.
     * @param classes Number of classes (>= 2), or 0 for regression.
     * @return rows Number of samples in the chunk.
     * @return values Per model: correct predictions, or sum of squared errors.
     */
    function scoreBatch(bytes calldata chunk, bytes[] calldata models, uint256 features, uint256 classes)
        external
        view
        returns (uint256 rows, uint256[] memory values);

    /**
     * @notice Score every model in `models` on `chunk` and count per class, for metrics
     * beyond accuracy (balanced accuracy, macro F1) and regression's absolute error.
     * @dev The same checks, errors and predictions as {scoreBatch}. Layout (docs/formats.md,
     * "Tallies"): for classification (`classes = K >= 2`) `support[c]` is the number of rows
     * labelled c (K entries, the same for every model) and `tallies[i]` is
     * `[correct, tp_0 .. tp_{K-1}, predicted_0 .. predicted_{K-1}]` (1 + 2K entries: rows
     * predicted correctly, rows of class c predicted c, rows predicted c). For regression
     * (`classes == 0`) `support` is empty and `tallies[i]` is `[sse, sae]`, the sums of
     * squared and absolute errors in the label's fixed-point scale.
     * @return rows Number of samples in the chunk.
     * @return support Per class: rows with that label (classification), else empty.
     * @return tallies Per model: the counts above.
     */
    function tallyBatch(bytes calldata chunk, bytes[] calldata models, uint256 features, uint256 classes)
        external
        view
        returns (uint256 rows, uint256[] memory support, uint256[][] memory tallies);

    /**
     * @notice Check one model in full (as {scoreBatch} would) and against a model budget.
     * @dev {Competition.reveal} calls it, so a malformed model or one above the budget the
     * creator chose is refused at reveal, and chunks can be sized for the budget. The
     * budget's encoding is the family's (docs/formats.md, "Model budgets").
     * @param model A model in the evaluator's model format.
     * @param features Number of features the competition declared.
     * @param classes Number of classes (>= 2), or 0 for regression.
     * @param budget The competition's model budget.
     * @return work The model's work per row in the family's unit (multiply-accumulates for
     * linear and MLP models, node visits per row for trees).
     */
    function checkModel(bytes calldata model, uint256 features, uint256 classes, uint256 budget)
        external
        view
        returns (uint256 work);

    /// @notice Model family this evaluator scores, e.g. keccak256("linear").
    function family() external pure returns (bytes32);
}
