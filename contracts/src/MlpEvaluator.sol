// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEvaluator} from "./interfaces/IEvaluator.sol";
import {IMlpEvaluator} from "./interfaces/IMlpEvaluator.sol";

/**
 * @title MlpEvaluator
 * @notice Scores ReLU networks with one or two hidden layers on a test-set chunk (chunk
 * format v1, the same as every family): accuracy of the argmax of the output layer, or the
 * sum of squared errors of `(acc + 2^s / 2) >> s` for regression. Stateless.
 * @dev Formats are in docs/formats.md ("Model (mlp family)"), the arithmetic and its
 * overflow proofs in docs/fixed-point.md ("MLP"); `mlmarket.ml.mlp` returns the same numbers.
 * A hidden unit computes `acc = b + sum_j W_j x_j` and outputs
 * `h = min(max((acc + 2^s / 2) >> s, 0), 2^32 - 1)` (round half up, arithmetic shift).
 * Bounds used by every `unchecked` block and assembly below (M1-M5):
 *  M1 `features <= 4096`, hidden layers and outputs <= 255, rows < 2^32: every size product
 *     is below 2^40 and every calldata pointer stays inside its `bytes` argument, whose end
 *     the ABI decoder checked against `calldatasize()`.
 *  M2 an input is an int8 feature (`|q| <= 2^7`) or a hidden activation (`0 <= h < 2^32`);
 *     a weight is an int16 (`|w| <= 2^15`); a bias an int64 (`|b| <= 2^63`).
 *  M3 first layer `|sum| <= 2^12 * 2^15 * 2^7 = 2^34`; later layers
 *     `|sum| <= 2^8 * 2^15 * 2^32 = 2^55`; so `|acc| < 2^63 + 2^55 < 2^64`, and with the
 *     rounding term (<= 2^62) below 2^65.
 *  M4 regression: `|y_hat| < 2^65`, `|y| <= 2^31`, `e^2 < 2^132`, a chunk's sum < 2^164.
 *  M5 EVM `add`/`mul` are exact on two's complement words whenever the true result lies in
 *     [-2^255, 2^255), which M3-M4 guarantee with a wide margin.
 * Ties in argmax go to the lowest class index; a single output predicts class 1 iff > 0.
 */
contract MlpEvaluator is IMlpEvaluator {
    /// @dev Bytes of the chunk header: magic(3) version(1) labelKind(1) features(2) rows(4).
    uint256 private constant _CHUNK_HEADER = 11;
    /// @dev Bytes of the model header: magic(3) version family task classes outputs
    /// features(2) layers hidden1 hidden2 shift1 shift2 outShift.
    uint256 private constant _MODEL_HEADER = 16;
    uint256 private constant _MAX_FEATURES = 4096;
    uint256 private constant _MAX_CLASSES = 255;
    uint256 private constant _MAX_SHIFT = 63;
    uint8 private constant _VERSION = 1;
    uint8 private constant _FAMILY_MLP = 2;
    uint8 private constant _LABEL_CLASS = 0;
    uint8 private constant _LABEL_FIXED32 = 1;
    bytes3 private constant _CHUNK_MAGIC = "MLC";
    bytes3 private constant _MODEL_MAGIC = "MLM";
    bytes32 private constant _FAMILY = keccak256("mlp");

    /// @dev Where the rows of a validated chunk are in calldata.
    struct Chunk {
        uint256 features; // absolute calldata offset of row 0, feature 0
        uint256 labels; // absolute calldata offset of label 0
        uint256 rows;
        uint256 width; // features per row
    }

    /// @dev One dense layer of a validated model: where its weights and biases are.
    struct Layer {
        uint256 weights; // absolute calldata offset of W[0][0] (int16, output-major)
        uint256 biases; // absolute calldata offset of b[0] (int64)
        uint256 units; // outputs of the layer
        uint256 half; // 2^shift / 2: the rounding term (0 for the output of a classifier)
        uint256 shift;
    }

    /// @inheritdoc IEvaluator
    function family() external pure returns (bytes32) {
        return _FAMILY;
    }

    /// @inheritdoc IEvaluator
    function scoreBatch(bytes calldata chunk, bytes[] calldata models, uint256 features, uint256 classes)
        external
        pure
        returns (uint256 rows, uint256[] memory values)
    {
        if (features == 0 || features > _MAX_FEATURES || classes == 1 || classes > _MAX_CLASSES) {
            revert MlpEvaluatorInvalidArguments(features, classes);
        }
        Chunk memory c = _readChunk(chunk, features, classes);
        rows = c.rows;
        values = new uint256[](models.length);
        for (uint256 i = 0; i < models.length; ++i) {
            Layer[] memory layers = _readModel(i, models[i], features, classes);
            values[i] = _score(c, layers, classes);
        }
    }

    /// @inheritdoc IEvaluator
    /// @dev Budget: `maxMacs | maxUnits << 32` (multiply-accumulates per row, units of all
    /// layers, the output layer included). Work: multiply-accumulates per row.
    function checkModel(bytes calldata model, uint256 features, uint256 classes, uint256 budget)
        external
        pure
        returns (uint256 work)
    {
        if (features == 0 || features > _MAX_FEATURES || classes == 1 || classes > _MAX_CLASSES) {
            revert MlpEvaluatorInvalidArguments(features, classes);
        }
        Layer[] memory layers = _readModel(0, model, features, classes);
        uint256 units = 0;
        uint256 inputs = features;
        unchecked {
            // M1: at most 3 layers of <= 255 units on <= 4096 inputs: every sum < 2^22.
            for (uint256 l = 0; l < layers.length; ++l) {
                work += layers[l].units * inputs;
                units += layers[l].units;
                inputs = layers[l].units;
            }
        }
        uint256 maxMacs = uint32(budget);
        uint256 maxUnits = uint16(budget >> 32);
        if (work > maxMacs || units > maxUnits) revert MlpEvaluatorModelOverBudget(work, units, maxMacs, maxUnits);
    }

    // --- validation -------------------------------------------------------------------

    /// @dev Checks the chunk header, length and labels; returns where its rows are.
    function _readChunk(bytes calldata chunk, uint256 features, uint256 classes)
        private
        pure
        returns (Chunk memory c)
    {
        if (chunk.length < _CHUNK_HEADER) revert MlpEvaluatorChunkTruncated(chunk.length);
        bytes11 head = bytes11(chunk[0:_CHUNK_HEADER]);
        if (bytes3(head) != _CHUNK_MAGIC) revert MlpEvaluatorChunkBadMagic(bytes3(head));
        if (uint8(head[3]) != _VERSION) revert MlpEvaluatorChunkUnsupportedVersion(uint8(head[3]));
        uint256 found = uint16(bytes2(head << 40));
        if (found != features) revert MlpEvaluatorChunkFeaturesMismatch(features, found);
        uint8 kind = uint8(head[4]);
        if (kind != (classes == 0 ? _LABEL_FIXED32 : _LABEL_CLASS)) {
            revert MlpEvaluatorChunkLabelKindMismatch(classes, kind);
        }
        c.rows = uint32(bytes4(head << 56));
        c.width = features;
        unchecked {
            // B1: rows < 2^32 and features + 4 <= 4100, so the product is below 2^45.
            uint256 expected = _CHUNK_HEADER + c.rows * (features + (classes == 0 ? 4 : 1));
            if (chunk.length != expected) revert MlpEvaluatorChunkLengthMismatch(expected, chunk.length);
            // B1: both offsets lie inside `chunk`, which lies inside calldata.
            c.features = _offset(chunk) + _CHUNK_HEADER;
            c.labels = c.features + c.rows * features;
        }
        if (classes != 0) _checkLabels(c.labels, c.rows, classes);
    }

    /// @dev Reverts with {MlpEvaluatorLabelOutOfRange} at the first label `>= classes`.
    function _checkLabels(uint256 labels, uint256 rows, uint256 classes) private pure {
        uint256 bad = rows;
        // Reads the byte at `labels + r` for r < rows: inside the chunk (its length was checked).
        assembly ("memory-safe") {
            for { let r := 0 } lt(r, rows) { r := add(r, 1) } {
                if iszero(lt(byte(0, calldataload(add(labels, r))), classes)) {
                    bad := r
                    break
                }
            }
        }
        if (bad < rows) {
            uint256 label;
            // Same in-bounds read as above, for the offending row.
            assembly ("memory-safe") {
                label := byte(0, calldataload(add(labels, bad)))
            }
            revert MlpEvaluatorLabelOutOfRange(bad, label, classes);
        }
    }

    /// @dev Absolute calldata offset of the first byte of `data`.
    function _offset(bytes calldata data) private pure returns (uint256 offset) {
        // Reads the offset the ABI decoder already validated; no memory is touched.
        assembly ("memory-safe") {
            offset := data.offset
        }
    }

    /// @dev Label of row `r` of a validated chunk: class index, or int32 fixed point.
    function _label(Chunk memory c, uint256 r, uint256 classes) private pure returns (int256 y) {
        uint256 labels = c.labels;
        // In bounds: r < rows, and the chunk holds `rows` labels of 1 or 4 bytes at `labels`.
        assembly ("memory-safe") {
            switch classes
            case 0 { y := sar(224, calldataload(add(labels, shl(2, r)))) }
            default { y := byte(0, calldataload(add(labels, r))) }
        }
    }

    /// @dev Checks model `index`'s header and length; returns its layers (hidden..., output).
    function _readModel(uint256 index, bytes calldata model, uint256 features, uint256 classes)
        private
        pure
        returns (Layer[] memory layers)
    {
        if (model.length < _MODEL_HEADER) revert MlpEvaluatorModelTruncated(index, model.length);
        bytes16 head = bytes16(model[0:_MODEL_HEADER]);
        if (bytes3(head) != _MODEL_MAGIC) revert MlpEvaluatorModelBadMagic(index, bytes3(head));
        if (uint8(head[3]) != _VERSION) revert MlpEvaluatorModelUnsupportedVersion(index, uint8(head[3]));
        if (uint8(head[4]) != _FAMILY_MLP) revert MlpEvaluatorModelWrongFamily(index, uint8(head[4]));
        _checkShape(index, uint8(head[5]), uint8(head[6]), uint8(head[7]), classes);
        uint256 found = uint16(bytes2(head << 64));
        if (found != features) revert MlpEvaluatorModelFeaturesMismatch(index, features, found);
        uint8 count = uint8(head[10]);
        uint8 h1 = uint8(head[11]);
        uint8 h2 = uint8(head[12]);
        if (count == 0 || count > 2 || h1 == 0 || (h2 == 0) != (count == 1)) {
            revert MlpEvaluatorModelBadLayers(index, count, h1, h2);
        }
        _checkShifts(index, head, count, classes);
        layers = new Layer[](count + 1);
        uint256 p = _offset(model) + _MODEL_HEADER;
        uint256 inputs = features;
        unchecked {
            // M1: every size below 2^23; the pointers stay inside `model` once its length
            // (checked right after this loop) matches.
            for (uint256 l = 0; l <= count; ++l) {
                uint256 units = l == count ? uint8(head[7]) : (l == 0 ? h1 : h2);
                uint256 shift = l == count ? uint8(head[15]) : uint8(head[13 + l]);
                layers[l] = Layer(p, p + 2 * units * inputs, units, (uint256(1) << shift) >> 1, shift);
                p += units * (2 * inputs + 8);
                inputs = units;
            }
            uint256 expected = p - _offset(model);
            if (model.length != expected) revert MlpEvaluatorModelLengthMismatch(index, expected, model.length);
        }
    }

    /// @dev Reverts with {MlpEvaluatorModelBadShift} unless the three shifts are allowed.
    function _checkShifts(uint256 index, bytes16 head, uint8 count, uint256 classes) private pure {
        uint8 s1 = uint8(head[13]);
        uint8 s2 = uint8(head[14]);
        uint8 so = uint8(head[15]);
        if (
            s1 > _MAX_SHIFT || s2 > _MAX_SHIFT || (count == 1 && s2 != 0) || so > _MAX_SHIFT
                || (classes != 0 && so != 0)
        ) revert MlpEvaluatorModelBadShift(index, s1, s2, so);
    }

    /// @dev Reverts with {MlpEvaluatorModelShapeMismatch} unless task/classes/outputs suit `classes`.
    function _checkShape(uint256 index, uint8 task, uint8 k, uint8 outputs, uint256 classes) private pure {
        bool ok = classes == 0
            ? task == 1 && k == 0 && outputs == 1
            : task == 0 && k == classes && (outputs == classes || (classes == 2 && outputs == 1));
        if (!ok) revert MlpEvaluatorModelShapeMismatch(index, task, k, outputs, classes);
    }

    // --- scoring ----------------------------------------------------------------------

    /**
     * @dev The value of the network `layers` on chunk `c`: correct predictions, or the sum
     * of squared errors (`classes == 0`). Activations live in one memory buffer per layer,
     * reused for every row.
     */
    function _score(Chunk memory c, Layer[] memory layers, uint256 classes) private pure returns (uint256 value) {
        uint256 last = layers.length - 1;
        int256[][] memory acts = new int256[][](layers.length);
        for (uint256 l = 0; l <= last; ++l) {
            acts[l] = new int256[](layers[l].units);
        }
        for (uint256 r = 0; r < c.rows; ++r) {
            unchecked {
                // M1: r < rows, so the row lies inside the chunk.
                _first(c.features + r * c.width, c.width, layers[0], acts[0], last != 0);
            }
            for (uint256 l = 1; l <= last; ++l) {
                _dense(acts[l - 1], layers[l], acts[l], l != last);
            }
            value += _rowValue(acts[last], layers[last], _label(c, r, classes), classes);
        }
    }

    /// @dev Correct (1/0) for a classifier's output accumulators, or the squared error.
    function _rowValue(int256[] memory out, Layer memory layer, int256 y, uint256 classes)
        private
        pure
        returns (uint256)
    {
        if (classes == 0) {
            unchecked {
                // M4: |out[0] + half| < 2^65, so the error and its square are exact (M5).
                int256 e = ((out[0] + int256(layer.half)) >> layer.shift) - y;
                return uint256(e * e);
            }
        }
        uint256 best = 0;
        if (out.length == 1) {
            best = out[0] > 0 ? 1 : 0;
        } else {
            int256 top = out[0];
            for (uint256 k = 1; k < out.length; ++k) {
                if (out[k] > top) {
                    top = out[k];
                    best = k;
                }
            }
        }
        return best == uint256(y) ? 1 : 0;
    }

    /**
     * @dev First layer on the int8 features at calldata `x`: writes each unit's accumulator
     * (or, when `hidden`, its clamped ReLU activation) into `out`.
     */
    function _first(uint256 x, uint256 width, Layer memory layer, int256[] memory out, bool hidden) private pure {
        uint256 w = layer.weights;
        uint256 b = layer.biases;
        uint256 half = layer.half;
        uint256 shift = layer.shift;
        // Memory-safe: writes only the `units` words of `out`. Reads (M1): the row's `width`
        // features at x, the layer's `units * width` int16 weights from w (contiguous, unit
        // major) and `units` int64 biases at b, all inside their calldata arguments. A 32-byte
        // load uses only its leading bytes (8 features, 8 weights, or 1, 2 or 8 bytes in the
        // tails and for biases), which lie before `end` or the end of the unit's weights.
        // Exact by M3/M5.
        assembly ("memory-safe") {
            let units := mload(out)
            for { let k := 0 } lt(k, units) { k := add(k, 1) } {
                let acc := sar(192, calldataload(add(b, shl(3, k))))
                let p := x
                let end := add(x, width)
                // Eight features (one load) times eight int16 weights (one load) per step.
                for { let end8 := sub(end, and(width, 7)) } lt(p, end8) { p := add(p, 8) } {
                    let u := calldataload(p)
                    let v := calldataload(w)
                    acc := add(
                        acc,
                        add(
                            add(
                                add(mul(sar(248, u), sar(240, v)), mul(sar(248, shl(8, u)), sar(240, shl(16, v)))),
                                add(
                                    mul(sar(248, shl(16, u)), sar(240, shl(32, v))),
                                    mul(sar(248, shl(24, u)), sar(240, shl(48, v)))
                                )
                            ),
                            add(
                                add(
                                    mul(sar(248, shl(32, u)), sar(240, shl(64, v))),
                                    mul(sar(248, shl(40, u)), sar(240, shl(80, v)))
                                ),
                                add(
                                    mul(sar(248, shl(48, u)), sar(240, shl(96, v))),
                                    mul(sar(248, shl(56, u)), sar(240, shl(112, v)))
                                )
                            )
                        )
                    )
                    w := add(w, 16)
                }
                for {} lt(p, end) { p := add(p, 1) } {
                    acc := add(acc, mul(sar(248, calldataload(p)), sar(240, calldataload(w))))
                    w := add(w, 2)
                }
                if hidden {
                    acc := sar(shift, add(acc, half))
                    if slt(acc, 0) { acc := 0 }
                    if gt(acc, 0xffffffff) { acc := 0xffffffff }
                }
                mstore(add(out, shl(5, add(k, 1))), acc)
            }
        }
    }

    /// @dev A later layer on the activations `input` (memory): like {_first}.
    function _dense(int256[] memory input, Layer memory layer, int256[] memory out, bool hidden) private pure {
        uint256 w = layer.weights;
        uint256 b = layer.biases;
        uint256 half = layer.half;
        uint256 shift = layer.shift;
        // Memory-safe: reads the words of `input`, writes the words of `out`. Calldata reads
        // as in {_first}: `units * inputs` int16 weights from w (four per load in the main
        // loop, only the leading 8 bytes used) and `units` int64 biases at b.
        // Inputs are activations in [0, 2^32): exact by M3/M5.
        assembly ("memory-safe") {
            let units := mload(out)
            let start := add(input, 0x20)
            let end := add(start, shl(5, mload(input)))
            let end4 := sub(end, shl(5, and(mload(input), 3)))
            for { let k := 0 } lt(k, units) { k := add(k, 1) } {
                let acc := sar(192, calldataload(add(b, shl(3, k))))
                let p := start
                // Four activations times four int16 weights (one load) per step.
                for {} lt(p, end4) { p := add(p, 0x80) } {
                    let v := calldataload(w)
                    acc := add(
                        acc,
                        add(
                            add(mul(mload(p), sar(240, v)), mul(mload(add(p, 0x20)), sar(240, shl(16, v)))),
                            add(
                                mul(mload(add(p, 0x40)), sar(240, shl(32, v))),
                                mul(mload(add(p, 0x60)), sar(240, shl(48, v)))
                            )
                        )
                    )
                    w := add(w, 8)
                }
                for {} lt(p, end) { p := add(p, 0x20) } {
                    acc := add(acc, mul(mload(p), sar(240, calldataload(w))))
                    w := add(w, 2)
                }
                if hidden {
                    acc := sar(shift, add(acc, half))
                    if slt(acc, 0) { acc := 0 }
                    if gt(acc, 0xffffffff) { acc := 0xffffffff }
                }
                mstore(add(out, shl(5, add(k, 1))), acc)
            }
        }
    }
}
