// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Evaluator} from "../Evaluator.sol";
import {IEvaluator} from "../interfaces/IEvaluator.sol";
import {ILinearEvaluator} from "../interfaces/ILinearEvaluator.sol";
import {EvaluatorChunks} from "../libraries/EvaluatorChunks.sol";

/**
 * @title LinearEvaluatorUnrolled
 * @notice The previous (version-1, eight-wide unrolled) kernel of {LinearEvaluator}, kept as a
 * benchmark baseline; the Market deploys {LinearEvaluator}. Like it, it predicts through
 * {Evaluator} (shared chunk checks and scoring), so only the kernels differ. Scores linear
 * models on a test-set chunk: accuracy of `argmax(W q + b)` for classification, sum of
 * squared errors of `(W q + b + 2^shift / 2) >> shift` for regression. Stateless; every
 * input arrives in calldata.
 * @dev Formats (version 1) are in docs/formats.md and the arithmetic with its overflow
 * proofs in docs/fixed-point.md; `mlmarket.ml.reference` returns the same numbers.
 * Bounds used by every `unchecked` block below (B1-B5):
 *  B1 `features <= 4096`, `rows < 2^32`, `outputs <= 255`, widths <= 8 bytes, so every
 *     size product below 2^64 and every calldata pointer stays inside its `bytes`
 *     argument, whose end the ABI decoder has checked against `calldatasize()`.
 *  B2 a feature is an int8: `|q| <= 2^7`; a weight is at most int32: `|w| <= 2^31`.
 *  B3 `|sum_j w_j q_j| <= 4096 * 2^31 * 2^7 = 2^50`; a bias is at most int64, so an
 *     accumulator `|acc| < 2^63 + 2^50 < 2^64`.
 *  B4 regression: `|y_hat| <= |acc| + 2^62 < 2^65`, `|y| <= 2^31`, `|e| < 2^66`,
 *     `e^2 < 2^132`, and the sum over `< 2^32` rows stays below 2^164.
 *  B5 EVM `add`/`mul` are exact on two's complement words whenever the true result lies
 *     in [-2^255, 2^255), which B3-B4 guarantee with a wide margin.
 * Ties in argmax go to the lowest class index (only a strictly greater score replaces
 * the best so far); a single-output classifier predicts class 1 iff its score is > 0.
 */
contract LinearEvaluatorUnrolled is ILinearEvaluator, Evaluator {
    /// @dev Bytes of the model header: magic(3) version family task classes outputs
    /// features(2) weightBytes biasBytes shift.
    uint256 private constant _MODEL_HEADER = 13;
    uint256 private constant _MAX_SHIFT = 63;
    uint8 private constant _FAMILY_LINEAR = 1;
    bytes32 private constant _FAMILY = keccak256("linear");

    /// @dev Where the parameters of a validated model are in calldata, and how to read them.
    struct Model {
        uint256 weights; // absolute calldata offset of W[0][0]
        uint256 biases; // absolute calldata offset of b[0]
        uint256 outputs;
        uint256 weightBytes;
        uint256 weightShift; // 256 - 8 * weightBytes: `sar` by it sign-extends a loaded word
        uint256 biasBytes;
        uint256 biasShift; // 256 - 8 * biasBytes
        uint256 rowStride; // features * weightBytes: bytes of one output's weights
        uint256 shift; // regression output shift
    }

    /// @dev A checked model for {_predict}; {_prepare}'s handle is its address.
    struct Prepared {
        int256[] biases; // corrected biases ({_biases}), the regression half folded in
        uint256 weights; // absolute calldata offset of W[0][0]
        uint256 weightBytes;
        uint256 shift;
        uint256 width;
        uint256 classes;
    }

    /// @inheritdoc IEvaluator
    function family() external pure returns (bytes32) {
        return _FAMILY;
    }

    /// @inheritdoc IEvaluator
    /// @dev As {LinearEvaluator.checkModel}: budget = widest weights in bytes; work = MACs.
    function checkModel(bytes calldata model, uint256 features, uint256 classes, uint256 budget)
        external
        pure
        returns (uint256 work)
    {
        EvaluatorChunks.checkArguments(features, classes);
        Model memory m = _readModel(0, model, features, classes);
        if (m.weightBytes > budget) revert LinearEvaluatorModelOverBudget(m.weightBytes, budget);
        work = m.outputs * features;
    }

    // --- validation -------------------------------------------------------------------

    /// @dev Checks model `index`'s header and length; returns where its parameters are.
    function _readModel(uint256 index, bytes calldata model, uint256 features, uint256 classes)
        private
        pure
        returns (Model memory m)
    {
        if (model.length < _MODEL_HEADER) revert LinearEvaluatorModelTruncated(index, model.length);
        bytes13 head = bytes13(model[0:_MODEL_HEADER]);
        if (bytes3(head) != EvaluatorChunks.MODEL_MAGIC) revert LinearEvaluatorModelBadMagic(index, bytes3(head));
        if (uint8(head[3]) != EvaluatorChunks.VERSION) {
            revert LinearEvaluatorModelUnsupportedVersion(index, uint8(head[3]));
        }
        if (uint8(head[4]) != _FAMILY_LINEAR) revert LinearEvaluatorModelWrongFamily(index, uint8(head[4]));
        _checkShape(index, uint8(head[5]), uint8(head[6]), uint8(head[7]), classes);
        uint256 found = uint16(bytes2(head << 64));
        if (found != features) revert LinearEvaluatorModelFeaturesMismatch(index, features, found);
        uint8 wb = uint8(head[10]);
        uint8 bb = uint8(head[11]);
        if (wb == 0 || wb > 4 || bb == 0 || bb > 8) revert LinearEvaluatorModelBadWidth(index, wb, bb);
        uint8 shift = uint8(head[12]);
        if (shift > _MAX_SHIFT || (classes != 0 && shift != 0)) revert LinearEvaluatorModelBadShift(index, shift);
        m.outputs = uint8(head[7]);
        m.weightBytes = wb;
        m.biasBytes = bb;
        m.shift = shift;
        unchecked {
            // B1: outputs <= 255, features <= 4096, wb <= 4, bb <= 8: all products < 2^23.
            m.rowStride = features * wb;
            uint256 expected = _MODEL_HEADER + m.outputs * (m.rowStride + bb);
            if (model.length != expected) revert LinearEvaluatorModelLengthMismatch(index, expected, model.length);
            // B1: inside `model`, whose length was just checked; 8 * wb <= 32, 8 * bb <= 64.
            m.weights = EvaluatorChunks.offset(model) + _MODEL_HEADER;
            m.biases = m.weights + m.outputs * m.rowStride;
            m.weightShift = 256 - 8 * uint256(wb);
            m.biasShift = 256 - 8 * uint256(bb);
        }
    }

    /// @dev Reverts with {LinearEvaluatorModelShapeMismatch} unless task/classes/outputs suit `classes`.
    function _checkShape(uint256 index, uint8 task, uint8 k, uint8 outputs, uint256 classes) private pure {
        bool ok = classes == 0
            ? task == 1 && k == 0 && outputs == 1
            : task == 0 && k == classes && (outputs == classes || (classes == 2 && outputs == 1));
        if (!ok) revert LinearEvaluatorModelShapeMismatch(index, task, k, outputs, classes);
    }

    // --- prediction -------------------------------------------------------------------

    /**
     * @dev Per output k, the bias minus the correction for {_score}'s unsigned features:
     * `b[k] - 128 * sum_j W[k][j]`, because the kernel multiplies by `u = q + 128` (the
     * feature byte xor 0x80, extracted with `byte`) instead of the signed `q`. Read once per
     * model and kept in memory.
     */
    function _biases(Model memory m, uint256 width) private pure returns (int256[] memory b) {
        b = new int256[](m.outputs);
        uint256 w = m.weights;
        uint256 outputs = m.outputs;
        uint256 wb = m.weightBytes;
        uint256 ws = m.weightShift;
        uint256 bias = m.biases;
        uint256 bb = m.biasBytes;
        uint256 biasShift = m.biasShift;
        // Memory-safe: writes only the `outputs` words of the freshly allocated `b`. Reads stay
        // inside the model (B1): weights w + (k * width + j) * wb for j < width, which run
        // contiguously over the weight block, and biases bias + k * bb. Exact by B5:
        // |sum| <= 4096 * 2^31 = 2^43, |128 * sum| <= 2^50, |bias| <= 2^63.
        assembly ("memory-safe") {
            let rowBytes := mul(width, wb)
            for { let k := 0 } lt(k, outputs) { k := add(k, 1) } {
                let sum := 0
                for { let end := add(w, rowBytes) } lt(w, end) { w := add(w, wb) } {
                    sum := add(sum, sar(ws, calldataload(w)))
                }
                let value := sar(biasShift, calldataload(add(bias, mul(k, bb))))
                mstore(add(b, shl(5, add(k, 1))), sub(value, shl(7, sum)))
            }
        }
    }

    /// @dev Checks model `index` and reads its corrected biases; the handle is the address of
    /// its {Prepared}.
    function _prepare(uint256 index, bytes calldata model, EvaluatorChunks.Chunk memory c, uint256 classes)
        internal
        pure
        override
        returns (uint256 handle)
    {
        Model memory m = _readModel(index, model, c.width, classes);
        int256[] memory b = _biases(m, c.width);
        unchecked {
            // Regression rounds half up: fold 2^shift / 2 (<= 2^62, shift <= 63) into the bias;
            // |b[0]| < 2^63 + 2^50, so the sum stays below 2^64 (B3).
            if (classes == 0) b[0] += int256((uint256(1) << m.shift) >> 1);
        }
        Prepared memory p = Prepared(b, m.weights, m.weightBytes, m.shift, c.width, classes);
        // Reads the address of `p`, which stays allocated until the model is scored.
        assembly ("memory-safe") {
            handle := p
        }
    }

    /**
     * @dev Predictions of the prepared model for `rows` rows from calldata `x`, to `out`
     * (class bytes, or regression words).
     *
     * Kernel: `dot` returns `sum_j u_j * W[j]` for one row and one output, where
     * `u_j = q_j + 128` is the feature byte xor 0x80, so `b[k] + dot = bias + W . q`
     * with the corrected biases of {_biases}. Features are read eight at a time with one
     * `calldataload` and `byte(i, .)`; weights one at a time with `sar(ws, calldataload(.))`,
     * which sign-extends the leading `wb` bytes (`ws = 256 - 8 wb`). Argmax keeps the first
     * maximum (only a strictly greater score replaces it); one output means class 1 iff > 0.
     * Regression rounds half up: `(acc + 2^shift / 2) >> shift`, arithmetic shift.
     */
    function _predict(uint256 handle, uint256 x, uint256 out, uint256 rows) internal pure override {
        int256[] memory b;
        uint256 w;
        uint256 wb;
        uint256 shift;
        uint256 width;
        uint256 classes;
        // `handle` is the address of the Prepared that {_prepare} allocated for this model:
        // reads its six fields.
        assembly ("memory-safe") {
            b := mload(handle)
            w := mload(add(handle, 0x20))
            wb := mload(add(handle, 0x40))
            shift := mload(add(handle, 0x60))
            width := mload(add(handle, 0x80))
            classes := mload(add(handle, 0xa0))
        }
        unchecked {
            // rows <= BLOCK_ROWS: from here on, `rows` is the end of the predictions.
            rows = classes == 0 ? out + (rows << 5) : out + rows;
        }
        // Memory-safe: reads `b`, writes only the `rows` predictions at `out`. Bounds (B1):
        // rows r < rows span x + r * width .. + width inside the chunk; output k's weights
        // w + k * width * wb .. + width * wb lie inside the model. Loads of 32 bytes may run
        // past a row or a weight block, but only their leading bytes (< 8 features, 1..4
        // weight bytes) are used, and those are in bounds. Exact arithmetic (B5):
        // |dot| <= 4096 * 2^8 * 2^31 = 2^51, |b[k]| < 2^63 + 2^50, so |score| < 2^64 (B3).
        assembly ("memory-safe") {
            function dot(p, end, q, size) -> acc {
                let ws := sub(256, shl(3, size))
                let size2 := add(size, size)
                let size3 := add(size2, size)
                let size4 := add(size2, size2)
                for { let end8 := sub(end, and(sub(end, p), 7)) } lt(p, end8) {} {
                    let u := xor(calldataload(p), 0x8080808080808080808080808080808080808080808080808080808080808080)
                    let q4 := add(q, size4)
                    acc := add(
                        acc,
                        add(
                            add(
                                add(
                                    mul(byte(0, u), sar(ws, calldataload(q))),
                                    mul(byte(1, u), sar(ws, calldataload(add(q, size))))
                                ),
                                add(
                                    mul(byte(2, u), sar(ws, calldataload(add(q, size2)))),
                                    mul(byte(3, u), sar(ws, calldataload(add(q, size3))))
                                )
                            ),
                            add(
                                add(
                                    mul(byte(4, u), sar(ws, calldataload(q4))),
                                    mul(byte(5, u), sar(ws, calldataload(add(q4, size))))
                                ),
                                add(
                                    mul(byte(6, u), sar(ws, calldataload(add(q4, size2)))),
                                    mul(byte(7, u), sar(ws, calldataload(add(q4, size3))))
                                )
                            )
                        )
                    )
                    p := add(p, 8)
                    q := add(q4, size4)
                }
                if lt(p, end) {
                    // 1..7 features left: at most one four-wide step, then one at a time.
                    let u := xor(calldataload(p), 0x8080808080808080808080808080808080808080808080808080808080808080)
                    if gt(sub(end, p), 3) {
                        acc := add(
                            acc,
                            add(
                                add(
                                    mul(byte(0, u), sar(ws, calldataload(q))),
                                    mul(byte(1, u), sar(ws, calldataload(add(q, size))))
                                ),
                                add(
                                    mul(byte(2, u), sar(ws, calldataload(add(q, size2)))),
                                    mul(byte(3, u), sar(ws, calldataload(add(q, size3))))
                                )
                            )
                        )
                        u := shl(32, u)
                        p := add(p, 4)
                        q := add(q, size4)
                    }
                    for {} lt(p, end) {} {
                        acc := add(acc, mul(byte(0, u), sar(ws, calldataload(q))))
                        u := shl(8, u)
                        p := add(p, 1)
                        q := add(q, size)
                    }
                }
            }
            function predict(p, end, biases, q, size) -> best {
                let outputs := mload(biases)
                let top := add(mload(add(biases, 0x20)), dot(p, end, q, size))
                switch outputs
                case 1 { best := sgt(top, 0) }
                default {
                    let stride := mul(sub(end, p), size)
                    for { let k := 1 } lt(k, outputs) { k := add(k, 1) } {
                        q := add(q, stride)
                        let s := add(mload(add(biases, shl(5, add(k, 1)))), dot(p, end, q, size))
                        if sgt(s, top) {
                            top := s
                            best := k
                        }
                    }
                }
            }
            switch classes
            case 0 {
                let bias := mload(add(b, 0x20))
                for {} lt(out, rows) { out := add(out, 0x20) } {
                    let end := add(x, width)
                    mstore(out, sar(shift, add(bias, dot(x, end, w, wb))))
                    x := end
                }
            }
            default {
                for {} lt(out, rows) { out := add(out, 1) } {
                    let end := add(x, width)
                    mstore8(out, predict(x, end, b, w, wb))
                    x := end
                }
            }
        }
    }
}
