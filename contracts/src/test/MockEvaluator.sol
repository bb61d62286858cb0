// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEvaluator} from "../interfaces/IEvaluator.sol";

/**
 * @title MockEvaluator
 * @notice Test-only evaluator whose scores are written in the bytes, so tests
 * control every value exactly. Never deploy it anywhere that matters.
 * @dev Formats (32-byte big-endian words):
 * - chunk: word 0 = rows, word 1 = slot `j`, optional word 2 = 1 to return one
 *   value too few (a broken evaluator); anything after is ignored padding.
 * - model: word 0 = `n` (>= 1), words 1..n = values; the model's value on a
 *   chunk is value[j % n]; anything after word n is ignored padding.
 */
contract MockEvaluator is IEvaluator {
    /// @dev The chunk is shorter than its two header words.
    error MockEvaluatorBadChunk(uint256 length);

    /// @dev Model `index` of the batch is shorter than its header says, or declares no values.
    error MockEvaluatorBadModel(uint256 index);

    /// @inheritdoc IEvaluator
    function scoreBatch(bytes calldata chunk, bytes[] calldata models, uint256, uint256)
        external
        pure
        returns (uint256 rows, uint256[] memory values)
    {
        if (chunk.length < 64) revert MockEvaluatorBadChunk(chunk.length);
        rows = uint256(bytes32(chunk[0:32]));
        uint256 slot = uint256(bytes32(chunk[32:64]));
        bool short = chunk.length >= 96 && uint256(bytes32(chunk[64:96])) == 1;
        uint256 count = models.length;
        values = new uint256[](short ? count - 1 : count);
        for (uint256 i = 0; i < values.length; ++i) {
            bytes calldata model = models[i];
            if (model.length < 32) revert MockEvaluatorBadModel(i);
            uint256 n = uint256(bytes32(model[0:32]));
            // n <= length / 32 - 1, so the value word offset + 32 <= model.length is in range.
            if (n == 0 || n > model.length / 32 - 1) revert MockEvaluatorBadModel(i);
            uint256 offset = 32 * (1 + slot % n);
            values[i] = uint256(bytes32(model[offset:offset + 32]));
        }
    }

    /// @inheritdoc IEvaluator
    /// @dev Every row is labelled class 0 and each model predicts class 0 on `value` rows:
    /// classification gives `support = [rows, 0, ..]` and `[value, value, 0.., value, 0..]`,
    /// regression `[value, value]` (the value is both the squared and the absolute error).
    function tallyBatch(bytes calldata chunk, bytes[] calldata models, uint256 features, uint256 classes)
        external
        view
        returns (uint256 rows, uint256[] memory support, uint256[][] memory tallies)
    {
        uint256[] memory values;
        (rows, values) = this.scoreBatch(chunk, models, features, classes);
        tallies = new uint256[][](values.length);
        if (classes != 0) {
            support = new uint256[](classes);
            support[0] = rows;
        }
        for (uint256 i = 0; i < values.length; ++i) {
            uint256[] memory tally = new uint256[](classes == 0 ? 2 : 1 + 2 * classes);
            tally[0] = values[i];
            tally[1] = values[i];
            if (classes != 0) tally[1 + classes] = values[i];
            tallies[i] = tally;
        }
    }

    /// @dev Model `index` declares `values` values, more than the budget allows.
    error MockEvaluatorOverBudget(uint256 values, uint256 budget);

    /// @inheritdoc IEvaluator
    /// @dev Budget: the most values a model may declare. Work: the values it declares.
    function checkModel(bytes calldata model, uint256, uint256, uint256 budget)
        external
        pure
        returns (uint256 work)
    {
        if (model.length < 32) revert MockEvaluatorBadModel(0);
        work = uint256(bytes32(model[0:32]));
        if (work == 0 || work > model.length / 32 - 1) revert MockEvaluatorBadModel(0);
        if (work > budget) revert MockEvaluatorOverBudget(work, budget);
    }

    /// @inheritdoc IEvaluator
    function family() external pure returns (bytes32) {
        return keccak256("mock");
    }
}
