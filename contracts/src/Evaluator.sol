// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEvaluator} from "./interfaces/IEvaluator.sol";
import {EvaluatorChunks} from "./libraries/EvaluatorChunks.sol";

/**
 * @title Evaluator
 * @notice {IEvaluator.scoreBatch} and {IEvaluator.tallyBatch} once for every model family:
 * the checks of the arguments and the chunk ({EvaluatorChunks}), then per model the
 * family's {_prepare} (the model's checks, in order, and its packing), then per block of
 * at most {EvaluatorChunks.BLOCK_ROWS} rows the family's {_predict} and the shared scoring.
 * @dev A family contract inherits this and implements the two hooks; they are internal,
 * so calling them is a jump inside the family's own code (no linking, no external call).
 * Memory: a family's fixed memory ({_fixedMemory}) is allocated first, at
 * {EvaluatorChunks.FIXED_MEMORY}, so that its kernel can address it with constants; then the
 * results and the prediction buffer; everything a model allocates after that (its scratch)
 * is released once it is scored, so memory does not grow with the number of models.
 */
abstract contract Evaluator is IEvaluator {
    /**
     * @dev Checks model `index` (the family's model errors, in the documented order) for a
     * competition of `c.width` features and `classes` classes, and prepares it for
     * {_predict}: returns a handle (typically the memory address of the family's packed
     * model) that {_predict} reads. It may allocate memory; all of it is released after the
     * model is scored.
     */
    function _prepare(uint256 index, bytes calldata model, EvaluatorChunks.Chunk memory c, uint256 classes)
        internal
        pure
        virtual
        returns (uint256 handle);

    /**
     * @dev Writes the predictions of the prepared model `handle` for `rows` consecutive rows
     * (`1 <= rows <= BLOCK_ROWS`) whose features start at calldata offset `x` (`c.width`
     * int8 features each) to memory at `out`: for classification one byte per row, the
     * predicted class (`< classes`); for regression one word per row, the signed prediction
     * in the label's fixed-point scale (below 2^65 in magnitude). Writes nothing else but
     * the model's scratch and the scratch space (0x00-0x3f).
     */
    function _predict(uint256 handle, uint256 x, uint256 out, uint256 rows) internal pure virtual;

    /**
     * @dev Bytes of memory at the constant address {EvaluatorChunks.FIXED_MEMORY} that the
     * family keeps for the whole call (none by default): a kernel that reads its packed model
     * from there addresses every word with a constant. {_prepare} may overwrite it for each
     * model; nothing else uses it.
     */
    function _fixedMemory() internal pure virtual returns (uint256) {
        return 0;
    }

    /// @inheritdoc IEvaluator
    function scoreBatch(bytes calldata chunk, bytes[] calldata models, uint256 features, uint256 classes)
        external
        pure
        returns (uint256 rows, uint256[] memory values)
    {
        EvaluatorChunks.allocateFixed(_fixedMemory());
        EvaluatorChunks.Chunk memory c = EvaluatorChunks.read(chunk, features, classes);
        rows = c.rows;
        values = new uint256[](models.length);
        uint256 out = EvaluatorChunks.buffer(rows, classes);
        uint256 free = EvaluatorChunks.freeMemory();
        for (uint256 i = 0; i < models.length; ++i) {
            values[i] = _scoreModel(_prepare(i, models[i], c, classes), c, out, classes);
            EvaluatorChunks.release(free);
        }
    }

    /// @inheritdoc IEvaluator
    function tallyBatch(bytes calldata chunk, bytes[] calldata models, uint256 features, uint256 classes)
        external
        pure
        returns (uint256 rows, uint256[] memory support, uint256[][] memory tallies)
    {
        EvaluatorChunks.allocateFixed(_fixedMemory());
        EvaluatorChunks.Chunk memory c = EvaluatorChunks.read(chunk, features, classes);
        rows = c.rows;
        support = classes == 0 ? new uint256[](0) : EvaluatorChunks.support(c, classes);
        tallies = new uint256[][](models.length);
        for (uint256 i = 0; i < models.length; ++i) {
            tallies[i] = new uint256[](classes == 0 ? 2 : 1 + 2 * classes);
        }
        uint256 out = EvaluatorChunks.buffer(rows, classes);
        uint256 free = EvaluatorChunks.freeMemory();
        for (uint256 i = 0; i < models.length; ++i) {
            _tallyModel(_prepare(i, models[i], c, classes), c, out, tallies[i], classes);
            EvaluatorChunks.release(free);
        }
    }

    /// @dev The value of the prepared model `handle` on chunk `c`, block by block through the
    /// prediction buffer `out`: correct predictions, or the sum of squared errors.
    function _scoreModel(uint256 handle, EvaluatorChunks.Chunk memory c, uint256 out, uint256 classes)
        private
        pure
        returns (uint256 value)
    {
        uint256 rows = c.rows;
        unchecked {
            // C1-C3 of EvaluatorChunks: every offset inside the chunk, the value below 2^164.
            for (uint256 start = 0; start < rows; start += EvaluatorChunks.BLOCK_ROWS) {
                uint256 n = EvaluatorChunks.blockRows(start, rows);
                _predict(handle, c.features + start * c.width, out, n);
                value += classes == 0
                    ? EvaluatorChunks.sumSquaredErrors(out, c.labels + (start << 2), n)
                    : EvaluatorChunks.countCorrect(out, c.labels + start, n);
            }
        }
    }

    /// @dev Adds the counts of the prepared model `handle` on chunk `c` to `tally`, block by
    /// block through the prediction buffer `out` (layout: {IEvaluator.tallyBatch}).
    function _tallyModel(
        uint256 handle,
        EvaluatorChunks.Chunk memory c,
        uint256 out,
        uint256[] memory tally,
        uint256 classes
    ) private pure {
        uint256 rows = c.rows;
        unchecked {
            // C1 of EvaluatorChunks: every offset inside the chunk.
            for (uint256 start = 0; start < rows; start += EvaluatorChunks.BLOCK_ROWS) {
                uint256 n = EvaluatorChunks.blockRows(start, rows);
                _predict(handle, c.features + start * c.width, out, n);
                if (classes == 0) EvaluatorChunks.tallyErrors(out, c.labels + (start << 2), n, tally);
                else EvaluatorChunks.tallyClasses(out, c.labels + start, n, tally, classes);
            }
        }
    }
}
