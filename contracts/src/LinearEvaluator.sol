// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Evaluator} from "./Evaluator.sol";
import {IEvaluator} from "./interfaces/IEvaluator.sol";
import {ILinearEvaluator} from "./interfaces/ILinearEvaluator.sol";
import {EvaluatorChunks} from "./libraries/EvaluatorChunks.sol";
import {LinearKernel} from "./libraries/LinearKernel.sol";

/**
 * @title LinearEvaluator
 * @notice Scores linear models on a test-set chunk: accuracy of `argmax(W q + b)` for
 * classification, sum of squared errors of `(W q + b + 2^shift / 2) >> shift` for
 * regression. Stateless; every input arrives in calldata.
 * @dev {Evaluator} checks the chunk and scores the predictions (correct ones, squared
 * errors, or {tallyBatch}'s counts); this contract checks and packs each model
 * ({_prepare}) and predicts blocks of rows ({_predict}). Formats (version 1) are in
 * docs/formats.md and the arithmetic with its overflow proofs in docs/fixed-point.md;
 * `mlmarket.ml.reference` returns the same numbers.
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
 * SWAR kernel (docs/fixed-point.md, "SWAR kernel"): a row's 32-byte blocks become words of
 * `n = 256 / lane` lanes (lane 32 or 64 bits), lane T of word r holding feature byte
 * `31 - (lane / 8) T - r` as `u = q + 128`; output k's weight word holds the same feature's
 * weight in lane `n - 1 - T`. `acc = init_k + sum U * V (mod 2^256)`, then
 * `sar(256 - lane, acc) = sum_j W[k][j] q_j` exactly, because:
 *  S1 every lane sum `c_t` of `sum Q * V` (q = u - 128) has at most `d` nonzero terms
 *     `|q w| <= 2^(8 wb + 6)`, and `d * 2^(8 wb + 6) < 2^(lane - 1)` by the choice of lane
 *     (32 bits iff that holds for 32, else 64: `4096 * 2^38 = 2^50 < 2^63`);
 *  S2 lanes >= n vanish mod 2^256; `OFF` lifts each lower lane into [1, 2^lane), so they
 *     never borrow from or carry into the top lane, which is `c_{n-1}` (|.| < 2^(lane-1));
 *  S3 the top lane pairs each feature with its own weight once: `c_{n-1} = sum_j W q`;
 *     bytes read past a row meet zero weights there and are bounded bytes elsewhere (S1);
 *  S4 `|score| <= 2^50 + 2^63 + 2^62 < 2^64` (B3, B4).
 * Ties in argmax go to the lowest class index (only a strictly greater score replaces
 * the best so far); a single-output classifier predicts class 1 iff its score is > 0.
 */
contract LinearEvaluator is ILinearEvaluator, Evaluator {
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

    /// @dev Kernels ({_predict}): rows of at most 32 features with one output ({_one}), or
    /// with 2..16 outputs and weights of at most 16 bits ({LinearKernel}), read their records
    /// from the fixed memory; every other shape takes the general loops over `records`.
    uint256 private constant _PATH_GENERAL = 0;
    uint256 private constant _PATH_ARGMAX = 1;
    uint256 private constant _PATH_ONE = 2;
    uint256 private constant _PATH_ONE_SPLIT = 3;
    uint256 private constant _PATH_BLOCK = 4;
    uint256 private constant _PATH_BLOCK_SPLIT = 5;

    /// @dev A model packed for the kernel ({_prepare}); {_prepare}'s handle is its address.
    struct Packed {
        uint256[] records; // general path: per output weight words, init, bias (+ half)
        uint256[] u; // general path: scratch for one row's feature words
        uint256 width; // features per row
        uint256 shift; // regression output shift
        uint256 classes; // 0 for regression
        uint256 path; // _PATH_*
        uint256 outputs;
    }

    /// @inheritdoc IEvaluator
    function family() external pure returns (bytes32) {
        return _FAMILY;
    }

    /// @inheritdoc IEvaluator
    /// @dev Budget: the widest weights allowed, in bytes (1..4). Work: multiply-accumulates
    /// per row (outputs x features).
    function checkModel(bytes calldata model, uint256 features, uint256 classes, uint256 budget)
        external
        pure
        returns (uint256 work)
    {
        EvaluatorChunks.checkArguments(features, classes);
        Model memory m = _readModel(0, model, features, classes);
        if (m.weightBytes > budget) revert LinearEvaluatorModelOverBudget(m.weightBytes, budget);
        unchecked {
            // B1: outputs <= 255, features <= 4096.
            work = m.outputs * features;
        }
    }

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
     * @dev SWAR lane width for a model: 32 bits when `features * 2^(8 wb + 6) < 2^31` (S1 in
     * docs/fixed-point.md: every lane sum of `d` products `q * w` with `|q * w| <= 2^(8 wb + 6)`
     * is then a signed 32-bit value), else 64 bits (`4096 * 2^38 = 2^50 < 2^63` always holds).
     * int8 weights always get 32-bit lanes, int16 weights for `features <= 511`.
     */
    function _lane(uint256 features, uint256 wb) private pure returns (uint256) {
        return wb < 4 && (features << (8 * wb + 6)) < (1 << 31) ? 32 : 64;
    }

    /**
     * @dev Model `m` as SWAR words (layout and proofs in docs/fixed-point.md, "SWAR kernel").
     * A row is read in blocks of 32 feature bytes; a block becomes `R = lane / 8` words of
     * `n = 256 / lane` lanes, lane `T` of word `r` holding the byte at position
     * `31 - R T - r` of the block. Output k's weight word for (block, r) holds, in lane
     * `n - 1 - T`, the weight of that same feature (0 past `features`), so the top lane of
     * `features word * weight word` is their dot product. One record per output:
     * its `words = blocks * R` weight words, then `init_k = OFF - 128 ONES sum(weight words)`
     * (mod 2^256) with `ONES = sum_{t<n} 2^(lane t)` and `OFF = 2^(lane-1) sum_{t<n-1}
     * 2^(lane t)` (it turns the unsigned feature bytes `u = q + 128` back into `q` and lifts
     * every lower lane into [0, 2^lane)), then the bias `b[k]`.
     */
    function _pack(Model memory m, uint256 width, uint256 lane, uint256 words)
        private
        pure
        returns (uint256[] memory records)
    {
        unchecked {
            // B1: outputs <= 255, words <= 128 * 8: the product is below 2^19.
            records = new uint256[](m.outputs * (words + 2));
        }
        // ONES = sum_{t<n} 2^(lane t) and OFF = 2^(lane-1) (ONES - 2^(256-lane)), n = 256 / lane
        // (lane is 32 or 64, so every shift is below 256).
        uint256 ones;
        for (uint256 t = 0; t < 256; t += lane) {
            ones |= uint256(1) << t;
        }
        uint256 off = (ones - (uint256(1) << (256 - lane))) << (lane - 1);
        // Memory-safe: writes only inside the freshly allocated (zeroed) `records`: slot
        // (j >> 5) * R + (e & (R - 1)) < blocks * R = words for j < width, then init and bias.
        // Reads stay inside the model (B1): weight (k * width + j) * wb, bias k * bb. `shl` of a
        // signed weight is its product by 2^shift modulo 2^256, which is all the lanes need (S2).
        assembly ("memory-safe") {
            // Adds weight j of an output to its word (block j >> 5, r = e & (R - 1)), in lane
            // n - 1 - T (bit offset 256 - lane - lane T), where e = 31 - (j & 31) = R T + r.
            function place(base, j, l, weight) {
                let e := and(not(j), 31)
                let r8 := shr(3, l)
                let slot := add(base, shl(5, add(mul(shr(5, j), r8), and(e, sub(r8, 1)))))
                let at := sub(sub(256, l), mul(l, shr(add(2, gt(l, 32)), e)))
                mstore(slot, add(mload(slot), shl(at, weight)))
            }
            let base := add(records, 0x20)
            for { let k := 0 } lt(k, mload(add(m, 0x40))) { k := add(k, 1) } { // Model.outputs
                let wb := mload(add(m, 0x60)) // Model.weightBytes
                let row := add(mload(m), mul(mul(k, width), wb)) // Model.weights
                for { let j := 0 } lt(j, width) { j := add(j, 1) } {
                    place(base, j, lane, sar(mload(add(m, 0x80)), calldataload(add(row, mul(j, wb)))))
                }
                let sum := 0
                let end := add(base, shl(5, words))
                for { let p := base } lt(p, end) { p := add(p, 0x20) } { sum := add(sum, mload(p)) }
                // init_k = OFF - 128 ONES sum (mod 2^256)
                mstore(end, sub(off, mul(shl(7, ones), sum)))
                // bias_k: Model.biasShift, .biases, .biasBytes
                let bias := calldataload(add(mload(add(m, 0x20)), mul(k, mload(add(m, 0xa0)))))
                mstore(add(end, 0x20), sar(mload(add(m, 0xc0)), bias))
                base := add(end, 0x40)
            }
        }
    }

    /// @inheritdoc Evaluator
    /// @dev The records of {LinearKernel} (16 outputs) or of {_one} (one output, at most 15 words).
    function _fixedMemory() internal pure override returns (uint256) {
        return LinearKernel.RECORD_BYTES * LinearKernel.MAX_OUTPUTS;
    }

    /**
     * @dev Checks model `index` ({_readModel}) and packs it for its kernel (docs/fixed-point.md,
     * "SWAR kernel"): per row, each 32-byte block of features is xored with 0x80.. (`u = q +
     * 128`, unsigned bytes) and spread by masks and shifts into words of lanes (no per-feature
     * work); per output, one `mul` per feature word multiplies 8 (32-bit lanes) or 4 (64-bit
     * lanes) features by their weights and adds the products in the word's top lane.
     * Rows of at most 32 features with one output, and with 2..16 outputs and weights of at
     * most 16 bits, are packed into the fixed memory ({_packOne}, {_packArgmax}); every other
     * shape into `records` ({_pack}). Regression rounds half up: `(acc + 2^shift / 2) >>
     * shift`, arithmetic shift, with the half folded into the bias here.
     */
    function _prepare(uint256 index, bytes calldata model, EvaluatorChunks.Chunk memory c, uint256 classes)
        internal
        pure
        override
        returns (uint256 handle)
    {
        Model memory m = _readModel(index, model, c.width, classes);
        // Regression: 2^shift / 2 <= 2^62 (shift <= 63); |bias| <= 2^63, so the sum stays below
        // 2^64 (B3).
        uint256 half = classes == 0 ? (uint256(1) << m.shift) >> 1 : 0;
        Packed memory p;
        if (c.width <= 32 && m.outputs == 1) {
            _packOne(m, c.width, half);
            p = Packed(new uint256[](0), new uint256[](0), c.width, m.shift, classes, _PATH_ONE, 1);
            if (m.weightBytes > 2) p.path = _PATH_ONE_SPLIT;
        } else if (c.width <= 32 && m.weightBytes <= 2 && m.outputs <= LinearKernel.MAX_OUTPUTS) {
            _packArgmax(m, c.width, LinearKernel.RECORDS, false);
            p = Packed(new uint256[](0), new uint256[](0), c.width, 0, classes, _PATH_ARGMAX, m.outputs);
        } else if (c.width <= 32) {
            bool split = m.weightBytes > 2;
            uint256[] memory records;
            unchecked {
                // B1: outputs <= 255 records of 5 or 9 words.
                records = new uint256[](m.outputs * (split ? 9 : 5));
            }
            uint256 base;
            // Reads the address of the records' first word.
            assembly ("memory-safe") {
                base := add(records, 0x20)
            }
            _packArgmax(m, c.width, base, split);
            p = Packed(records, new uint256[](0), c.width, 0, classes, split ? _PATH_BLOCK_SPLIT : _PATH_BLOCK, m.outputs);
        } else {
            uint256 lane = _lane(c.width, m.weightBytes);
            uint256 words;
            unchecked {
                // B1: width <= 4096, so at most 128 blocks of 8 words.
                words = ((c.width + 31) >> 5) * (lane >> 3);
            }
            uint256[] memory records = _pack(m, c.width, lane, words);
            if (classes == 0) {
                // the bias is record word words + 1
                unchecked {
                    records[words + 1] = uint256(int256(records[words + 1]) + int256(half));
                }
            }
            p = Packed(records, new uint256[](words), c.width, m.shift, classes, _PATH_GENERAL, m.outputs);
        }
        // Reads the address of `p`, which stays allocated until the model is scored.
        assembly ("memory-safe") {
            handle := p
        }
    }

    /**
     * @dev Packs the weights and biases of model `m` (rows of `width <= 32` features, several
     * outputs) at memory `base`, one record per output (docs/fixed-point.md, U1-U4). With
     * weights of at most 16 bits: four weight words, lane `7 - T` of word `r` holding `w +
     * 2^15` (in [0, 2^16)) of the feature in lane T of feature word r, i.e. of feature `j = 31 -
     * 4 T - r` (0 for `j >= width`), then `B_k = b_k - 128 sum_j w_kj`; {LinearKernel} reads
     * them from the fixed memory. With wider weights (`split`), `w = 2^16 hi + lo`: four words
     * of `hi + 2^15` and four of `lo` (both in [0, 2^16)), then `B_k`.
     */
    function _packArgmax(Model memory m, uint256 width, uint256 base, bool split) private pure {
        uint256 wb = m.weightBytes;
        uint256 ws = m.weightShift;
        // Memory-safe: writes only the `outputs` records from `base` (the fixed memory, or the
        // records array allocated for them: 5 or 9 words each). Reads the model's weights
        // (k * width + j) * wb and biases k * bb, inside `model` (B1). Each lane receives one
        // value in [0, 2^16), so the words are exact sums. |B_k| <= 2^63 + 2^7 * 32 * 2^31 (B3).
        assembly ("memory-safe") {
            // Adds v to lane 7 - T of word r of the words at w0, feature j = 31 - (4 T + r).
            function place(w0, j, v) {
                let e := xor(j, 31)
                let slot := add(w0, shl(5, and(e, 3)))
                mstore(slot, add(mload(slot), shl(sub(224, shl(3, and(e, 28))), v)))
            }
            let words := 0x80
            if split { words := 0x100 }
            for { let k := 0 } lt(k, mload(add(m, 0x40))) { k := add(k, 1) } { // Model.outputs
                for { let q := base } lt(q, add(base, words)) { q := add(q, 0x20) } { mstore(q, 0) }
                let row := add(mload(m), mul(mul(k, width), wb)) // Model.weights
                let sum := 0
                for { let j := 0 } lt(j, width) { j := add(j, 1) } {
                    let w := sar(ws, calldataload(add(row, mul(j, wb))))
                    switch split
                    case 0 { place(base, j, add(w, 0x8000)) }
                    default {
                        place(base, j, add(sar(16, w), 0x8000))
                        place(add(base, 0x80), j, and(w, 0xffff))
                    }
                    sum := add(sum, w)
                }
                base := add(base, words)
                // Model.biasShift, .biases, .biasBytes
                let bias := sar(mload(add(m, 0xc0)), calldataload(add(mload(add(m, 0x20)), mul(k, mload(add(m, 0xa0))))))
                mstore(base, sub(bias, shl(7, sum)))
                base := add(base, 0x20)
            }
        }
    }

    /**
     * @dev Packs the one output of model `m` (rows of `width <= 32` features) into the fixed
     * memory for {_one}, in the signed layout of {_pack} (S1-S4): four weight words (lane
     * `7 - T` of word r holding the weight of feature `31 - 4 T - r`), `init` and the bias
     * plus `half`. Weights wider than 16 bits are split, `w = 2^16 hi + lo` with `hi = w >> 16`
     * and `lo = w & 0xffff` (docs/fixed-point.md, S5): the four words of `hi`, the four of
     * `lo`, the init of each, then the bias plus `half`.
     */
    function _packOne(Model memory m, uint256 width, uint256 half) private pure {
        uint256 weights = m.weights;
        uint256 wb = m.weightBytes;
        uint256 ws = m.weightShift;
        uint256 bias = m.biases;
        uint256 bs = m.biasShift;
        // Memory-safe: writes only the fixed memory, words 0x80 .. 0x1c0 ({_fixedMemory}).
        // Reads weights j * wb and the bias inside `model` (B1). Lanes as in {_pack} (S1-S3):
        // |w| <= 2^15 (16-bit weights), |hi| <= 2^15 and 0 <= lo < 2^16 (wider ones).
        assembly ("memory-safe") {
            function place(base, j, v) {
                let e := xor(j, 31)
                let slot := add(base, shl(5, and(e, 3)))
                mstore(slot, add(mload(slot), shl(sub(224, shl(3, and(e, 28))), v)))
            }
            // init = OFF - 128 ONES sum(words) (mod 2^256), lane 32 (S1-S2)
            function init(base) -> i {
                let sum := add(add(mload(base), mload(add(base, 0x20))), add(mload(add(base, 0x40)), mload(add(base, 0x60))))
                i := sub(
                    0x0000000080000000800000008000000080000000800000008000000080000000,
                    mul(0x0000008000000080000000800000008000000080000000800000008000000080, sum)
                )
            }
            for { let p := 0x80 } lt(p, 0x180) { p := add(p, 0x20) } { mstore(p, 0) }
            let split := gt(wb, 2)
            for { let j := 0 } lt(j, width) { j := add(j, 1) } {
                let w := sar(ws, calldataload(add(weights, mul(j, wb))))
                switch split
                case 0 { place(0x80, j, w) }
                default {
                    place(0x80, j, sar(16, w))
                    place(0x100, j, and(w, 0xffff))
                }
            }
            let b := add(sar(bs, calldataload(bias)), half)
            switch split
            case 0 {
                mstore(0x100, init(0x80))
                mstore(0x120, b)
            }
            default {
                mstore(0x180, init(0x80))
                mstore(0x1a0, init(0x100))
                mstore(0x1c0, b)
            }
        }
    }

    /**
     * @dev The row loop. Rows of at most 32 features: one output in {_one}, 2..16 outputs with
     * weights of at most 16 bits in {LinearKernel}. Other shapes: rows of one block with
     * 32-bit lanes keep their four feature words on the stack; one block with 64-bit lanes
     * uses 8 words at `u`; longer rows loop over their blocks, unpacked into `u`. Argmax keeps
     * the first maximum; one output means class 1 iff > 0.
     */
    function _predict(uint256 handle, uint256 x, uint256 out, uint256 rows) internal pure override {
        Packed memory p;
        // `handle` is the address of the Packed that {_prepare} allocated for this model.
        assembly ("memory-safe") {
            p := handle
        }
        unchecked {
            // rows <= BLOCK_ROWS: the ends lie inside the prediction buffer.
            uint256 path = p.path;
            if (path == _PATH_ARGMAX) LinearKernel.argmax(p.outputs, x, out, out + rows, p.width);
            else if (path == _PATH_ONE || path == _PATH_ONE_SPLIT) _one(x, out, rows, p);
            else if (path != _PATH_GENERAL) _block(x, out, out + rows, p);
            else if (p.classes == 0) _regress(x, out, out + (rows << 5), p);
            else _classify(x, out, out + rows, p);
        }
    }

    /**
     * @dev One output, rows of at most 32 features ({_packOne}): class 1 iff the score is
     * above 0 (one byte per row), or the regression prediction `score >> shift` (one word per
     * row), for `rows` rows from calldata `x`, written from `out`. `score = bias + sar(224,
     * init + sum_r u_r V_r)`, or with split weights `bias + (sar(224, init_hi + sum_r u_r
     * H_r) << 16) + sar(224, init_lo + sum_r u_r L_r)` (S1-S5).
     */
    function _one(uint256 x, uint256 out, uint256 rows, Packed memory p) private pure {
        uint256 width = p.width;
        uint256 sh = p.shift;
        uint256 variant = (p.classes == 0 ? 2 : 0) + (p.path == _PATH_ONE_SPLIT ? 1 : 0);
        // Memory-safe: reads the fixed memory, writes the `rows` predictions from `out` (the
        // buffer of {Evaluator}). Reads 32 calldata bytes per row from x: bytes past the row
        // meet zero weights in the top lane (S3). Exact by S1-S5 and B3-B5.
        assembly ("memory-safe") {
            // lane t of u_r: the byte at position 31 - 4 t - r (of the row's 32 bytes f xored
            // with h = 0x80.., u = q + 128), kept by m = 0x000000ff..
            let m := 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff
            let h := 0x8080808080808080808080808080808080808080808080808080808080808080
            switch variant
            case 0 {
                for { let end := add(out, rows) } lt(out, end) { out := add(out, 1) } {
                    let f := xor(calldataload(x), h)
                    let u0 := and(f, m)
                    let u1 := and(shr(8, f), m)
                    let u2 := and(shr(16, f), m)
                    let u3 := and(shr(24, f), m)
                    let s := add(mload(0x120), sar(224, add(mload(0x100), add(
                        add(mul(u0, mload(0x80)), mul(u1, mload(0xa0))),
                        add(mul(u2, mload(0xc0)), mul(u3, mload(0xe0)))
                    ))))
                    mstore8(out, sgt(s, 0))
                    x := add(x, width)
                }
            }
            case 1 {
                for { let end := add(out, rows) } lt(out, end) { out := add(out, 1) } {
                    let f := xor(calldataload(x), h)
                    let u0 := and(f, m)
                    let u1 := and(shr(8, f), m)
                    let u2 := and(shr(16, f), m)
                    let u3 := and(shr(24, f), m)
                    let s := add(mload(0x1c0), add(
                        shl(16, sar(224, add(mload(0x180), add(
                            add(mul(u0, mload(0x80)), mul(u1, mload(0xa0))),
                            add(mul(u2, mload(0xc0)), mul(u3, mload(0xe0)))
                        )))),
                        sar(224, add(mload(0x1a0), add(
                            add(mul(u0, mload(0x100)), mul(u1, mload(0x120))),
                            add(mul(u2, mload(0x140)), mul(u3, mload(0x160)))
                        )))
                    ))
                    mstore8(out, sgt(s, 0))
                    x := add(x, width)
                }
            }
            case 2 {
                for { let end := add(out, shl(5, rows)) } lt(out, end) { out := add(out, 0x20) } {
                    let f := xor(calldataload(x), h)
                    let u0 := and(f, m)
                    let u1 := and(shr(8, f), m)
                    let u2 := and(shr(16, f), m)
                    let u3 := and(shr(24, f), m)
                    let s := add(mload(0x120), sar(224, add(mload(0x100), add(
                        add(mul(u0, mload(0x80)), mul(u1, mload(0xa0))),
                        add(mul(u2, mload(0xc0)), mul(u3, mload(0xe0)))
                    ))))
                    mstore(out, sar(sh, s))
                    x := add(x, width)
                }
            }
            default {
                for { let end := add(out, shl(5, rows)) } lt(out, end) { out := add(out, 0x20) } {
                    let f := xor(calldataload(x), h)
                    let u0 := and(f, m)
                    let u1 := and(shr(8, f), m)
                    let u2 := and(shr(16, f), m)
                    let u3 := and(shr(24, f), m)
                    let s := add(mload(0x1c0), add(
                        shl(16, sar(224, add(mload(0x180), add(
                            add(mul(u0, mload(0x80)), mul(u1, mload(0xa0))),
                            add(mul(u2, mload(0xc0)), mul(u3, mload(0xe0)))
                        )))),
                        sar(224, add(mload(0x1a0), add(
                            add(mul(u0, mload(0x100)), mul(u1, mload(0x120))),
                            add(mul(u2, mload(0x140)), mul(u3, mload(0x160)))
                        )))
                    ))
                    mstore(out, sar(sh, s))
                    x := add(x, width)
                }
            }
        }
    }

    /**
     * @dev Argmax of rows of at most 32 features whose records ({_packArgmax}) are in `records`:
     * more than 16 outputs, or weights wider than 16 bits (`w = 2^16 hi + lo`, score
     * `B_k + (shr(224, sum_r u_r H_r) << 16) + shr(224, sum_r u_r L_r)`). One loop over the
     * outputs; a strictly greater score replaces the best, so ties go to the lowest index.
     * Writes the class of the rows from calldata `x` as bytes from `out` to `end`.
     */
    function _block(uint256 x, uint256 out, uint256 end, Packed memory p) private pure {
        bool split = p.path == _PATH_BLOCK_SPLIT;
        // Memory-safe: reads the records and writes the prediction bytes from `out` to `end` (the
        // buffer of {Evaluator}) and the scratch space 0x00-0x3f. Reads 32 calldata bytes per row
        // from x: bytes past the row meet zero weights in the top lane (U2). Exact by U1-U4.
        assembly ("memory-safe") {
            let rec := add(mload(p), 0x20) // Packed.records
            mstore(0x00, mload(add(p, 0x40))) // Packed.width
            mstore(0x20, add(rec, shl(5, mload(mload(p))))) // end of the records
            switch split
            case 0 {
                for {} lt(out, end) { out := add(out, 1) } {
                    let f := xor(calldataload(x), 0x8080808080808080808080808080808080808080808080808080808080808080)
                    let u0 := and(f, 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                    let u1 := and(shr(8, f), 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                    let u2 := and(shr(16, f), 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                    let u3 := and(shr(24, f), 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                    let s := add(mload(add(rec, 0x80)), shr(224, add(
                        add(mul(u0, mload(rec)), mul(u1, mload(add(rec, 0x20)))),
                        add(mul(u2, mload(add(rec, 0x40))), mul(u3, mload(add(rec, 0x60))))
                    )))
                    let at := rec
                    for { let q := add(rec, 0xa0) } lt(q, mload(0x20)) { q := add(q, 0xa0) } {
                        let t := add(mload(add(q, 0x80)), shr(224, add(
                            add(mul(u0, mload(q)), mul(u1, mload(add(q, 0x20)))),
                            add(mul(u2, mload(add(q, 0x40))), mul(u3, mload(add(q, 0x60))))
                        )))
                        if sgt(t, s) {
                            s := t
                            at := q
                        }
                    }
                    mstore8(out, div(sub(at, rec), 0xa0))
                    x := add(x, mload(0x00))
                }
            }
            default {
                for {} lt(out, end) { out := add(out, 1) } {
                    let f := xor(calldataload(x), 0x8080808080808080808080808080808080808080808080808080808080808080)
                    let u0 := and(f, 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                    let u1 := and(shr(8, f), 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                    let u2 := and(shr(16, f), 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                    let u3 := and(shr(24, f), 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                    let s := add(mload(add(rec, 0x100)), add(
                        shl(16, shr(224, add(
                            add(mul(u0, mload(rec)), mul(u1, mload(add(rec, 0x20)))),
                            add(mul(u2, mload(add(rec, 0x40))), mul(u3, mload(add(rec, 0x60))))
                        ))),
                        shr(224, add(
                            add(mul(u0, mload(add(rec, 0x80))), mul(u1, mload(add(rec, 0xa0)))),
                            add(mul(u2, mload(add(rec, 0xc0))), mul(u3, mload(add(rec, 0xe0))))
                        ))
                    ))
                    let at := rec
                    for { let q := add(rec, 0x120) } lt(q, mload(0x20)) { q := add(q, 0x120) } {
                        let t := add(mload(add(q, 0x100)), add(
                            shl(16, shr(224, add(
                                add(mul(u0, mload(q)), mul(u1, mload(add(q, 0x20)))),
                                add(mul(u2, mload(add(q, 0x40))), mul(u3, mload(add(q, 0x60))))
                            ))),
                            shr(224, add(
                                add(mul(u0, mload(add(q, 0x80))), mul(u1, mload(add(q, 0xa0)))),
                                add(mul(u2, mload(add(q, 0xc0))), mul(u3, mload(add(q, 0xe0))))
                            ))
                        ))
                        if sgt(t, s) {
                            s := t
                            at := q
                        }
                    }
                    mstore8(out, div(sub(at, rec), 0x120))
                    x := add(x, mload(0x00))
                }
            }
        }
    }

    /// @dev Predicted classes of the packed model `p` for the rows from calldata `firstRow`,
    /// one byte each from `predictions` to `predictionsEnd` (see {_predict}).
    function _classify(uint256 firstRow, uint256 predictions, uint256 predictionsEnd, Packed memory p)
        private
        pure
    {
        // Memory-safe: writes only `u`, the prediction bytes from `predictions` to `predictionsEnd` (the buffer of
        // {Evaluator}) and the scratch space (0x00-0x3f); reads `p` and its records.
        // Bounds (B1): row r's blocks are read at x + r * width + 32 b, b < blocks; bytes past
        // the row (the next row, the labels, or zeros past calldata) land only in lanes whose
        // weight is 0 in the top lane's sum, and are bounded bytes in the other lanes (S3).
        // Exact arithmetic (S2-S4, B5): sar(256 - lane, acc) = sum_j W[k][j] q_j, |.| <= 2^50;
        // |bias| < 2^63 + 2^62, |score| < 2^64. A predicted class is below `outputs`
        // (argmax) or 0/1 (the sign rule), so below `classes`.
        // Masks: 0x00ff.. keeps the bytes at bit offsets 16 s, 0x000000ff.. those at 32 t and
        // 0x00000000000000ff.. those at 64 T; 0x80.. flips each feature's sign bit (u = q + 128).
        assembly ("memory-safe") {
            // The four words of a one-block row with 32-bit lanes: lane t of word r holds the
            // byte at position 31 - 4 t - r.
            function spread(x) -> u0, u1, u2, u3 {
                let f := xor(calldataload(x), 0x8080808080808080808080808080808080808080808080808080808080808080)
                let a := and(f, 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff)
                let b := and(shr(8, f), 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff)
                u0 := and(a, 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                u1 := and(b, 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                u2 := and(shr(16, a), 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                u3 := and(shr(16, b), 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
            }
            // All words of a row into memory at q .. end: per block 4 words (32-bit lanes) or 8
            // (64-bit lanes: word r < 4 keeps lanes t = 2 T of the 32-bit word r, word 4 + r the
            // lanes t = 2 T + 1), so lane T of word r holds the byte at position 31 - R T - r.
            function unpack(x, q, end, wide) {
                for {} lt(q, end) { x := add(x, 32) } {
                    let u0, u1, u2, u3 := spread(x)
                    switch wide
                    case 0 {
                        mstore(q, u0)
                        mstore(add(q, 0x20), u1)
                        mstore(add(q, 0x40), u2)
                        mstore(add(q, 0x60), u3)
                        q := add(q, 0x80)
                    }
                    default {
                        mstore(q, and(u0, 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        mstore(add(q, 0x20), and(u1, 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        mstore(add(q, 0x40), and(u2, 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        mstore(add(q, 0x60), and(u3, 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        mstore(add(q, 0x80), and(shr(32, u0), 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        mstore(add(q, 0xa0), and(shr(32, u1), 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        mstore(add(q, 0xc0), and(shr(32, u2), 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        mstore(add(q, 0xe0), and(shr(32, u3), 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        q := add(q, 0x100)
                    }
                }
            }
            // Score of the output whose record starts at pk, from the row's words at q .. end
            // (a multiple of 4 words); returns the score and the next record.
            function scoreN(q, end, pk, top) -> s, next {
                let acc := 0
                for {} lt(q, end) {
                    q := add(q, 0x80)
                    pk := add(pk, 0x80)
                } {
                    acc := add(acc, add(
                            add(mul(mload(q), mload(pk)), mul(mload(add(q, 0x20)), mload(add(pk, 0x20)))),
                            add(mul(mload(add(q, 0x40)), mload(add(pk, 0x40))), mul(mload(add(q, 0x60)), mload(add(pk, 0x60))))
                        ))
                }
                s := add(mload(add(pk, 0x20)), sar(top, add(mload(pk), acc)))
                next := add(pk, 0x40)
            }
            // Predicted class of a row unpacked at q .. end (records from rec to recEnd).
            function predictN(us, rs, wide) -> best {
                let q := add(us, 0x20)
                let end := add(q, shl(5, mload(us)))
                let rec := add(rs, 0x20)
                let score, pk := scoreN(q, end, rec, sub(224, shl(5, wide)))
                let at := rec
                for {} lt(pk, add(rec, shl(5, mload(rs)))) {} {
                    let s, next := scoreN(q, end, pk, sub(224, shl(5, wide)))
                    if sgt(s, score) {
                        score := s
                        at := pk
                    }
                    pk := next
                }
                // argmax (first maximum; rs of words + 2 words), or the sign rule
                best := div(sub(at, rec), add(sub(end, q), 0x40))
                if eq(pk, add(add(rec, sub(end, q)), 0x40)) { best := sgt(score, 0) }
            }
            // Predicted classes, any shape: each row unpacked into memory at q.
            function classifyN(x, out, end, rs, us) {
                let wide := eq(mload(us), shl(3, shr(5, add(mload(0x00), 31))))
                for {} lt(out, end) { out := add(out, 1) } {
                    unpack(x, add(us, 0x20), add(add(us, 0x20), shl(5, mload(us))), wide)
                    mstore8(out, predictN(us, rs, wide))
                    x := add(x, mload(0x00))
                }
            }
            let records := mload(p) // Packed.records
            let u := mload(add(p, 0x20)) // Packed.u
            // Scratch space: 0x00 = the row width, 0x20 = end of the records (read by the functions).
            mstore(0x00, mload(add(p, 0x40))) // Packed.width
            mstore(0x20, add(add(records, 0x20), shl(5, mload(records))))
            classifyN(firstRow, predictions, predictionsEnd, records, u) // rows of several blocks
        }
    }

    /// @dev Regression predictions `score >> shift` of the packed model `p` for the rows from
    /// calldata `firstRow`, one word each from `predictions` to `predictionsEnd` (see {_predict}).
    function _regress(uint256 firstRow, uint256 predictions, uint256 predictionsEnd, Packed memory p)
        private
        pure
    {
        // Memory-safe: writes only `u`, the prediction words from `predictions` to `predictionsEnd` (the buffer of
        // {Evaluator}) and the scratch space (0x00-0x3f); reads `p` and its records.
        // Bounds (B1): row r's blocks are read at x + r * width + 32 b, b < blocks; bytes past
        // the row (the next row, the labels, or zeros past calldata) land only in lanes whose
        // weight is 0 in the top lane's sum, and are bounded bytes in the other lanes (S3).
        // Exact arithmetic (S2-S4, B5): sar(256 - lane, acc) = sum_j W[k][j] q_j, |.| <= 2^50;
        // |bias| < 2^63 + 2^62, |score| < 2^64, so |prediction| < 2^64 (B4).
        // Masks: 0x00ff.. keeps the bytes at bit offsets 16 s, 0x000000ff.. those at 32 t and
        // 0x00000000000000ff.. those at 64 T; 0x80.. flips each feature's sign bit (u = q + 128).
        assembly ("memory-safe") {
            // The four words of a one-block row with 32-bit lanes: lane t of word r holds the
            // byte at position 31 - 4 t - r.
            function spread(x) -> u0, u1, u2, u3 {
                let f := xor(calldataload(x), 0x8080808080808080808080808080808080808080808080808080808080808080)
                let a := and(f, 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff)
                let b := and(shr(8, f), 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff)
                u0 := and(a, 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                u1 := and(b, 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                u2 := and(shr(16, a), 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
                u3 := and(shr(16, b), 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff)
            }
            // All words of a row into memory at q .. end: per block 4 words (32-bit lanes) or 8
            // (64-bit lanes: word r < 4 keeps lanes t = 2 T of the 32-bit word r, word 4 + r the
            // lanes t = 2 T + 1), so lane T of word r holds the byte at position 31 - R T - r.
            function unpack(x, q, end, wide) {
                for {} lt(q, end) { x := add(x, 32) } {
                    let u0, u1, u2, u3 := spread(x)
                    switch wide
                    case 0 {
                        mstore(q, u0)
                        mstore(add(q, 0x20), u1)
                        mstore(add(q, 0x40), u2)
                        mstore(add(q, 0x60), u3)
                        q := add(q, 0x80)
                    }
                    default {
                        mstore(q, and(u0, 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        mstore(add(q, 0x20), and(u1, 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        mstore(add(q, 0x40), and(u2, 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        mstore(add(q, 0x60), and(u3, 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        mstore(add(q, 0x80), and(shr(32, u0), 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        mstore(add(q, 0xa0), and(shr(32, u1), 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        mstore(add(q, 0xc0), and(shr(32, u2), 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        mstore(add(q, 0xe0), and(shr(32, u3), 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff))
                        q := add(q, 0x100)
                    }
                }
            }
            // Score of the output whose record starts at pk, from the row's words at q .. end
            // (a multiple of 4 words); returns the score and the next record.
            function scoreN(q, end, pk, top) -> s, next {
                let acc := 0
                for {} lt(q, end) {
                    q := add(q, 0x80)
                    pk := add(pk, 0x80)
                } {
                    acc := add(acc, add(
                            add(mul(mload(q), mload(pk)), mul(mload(add(q, 0x20)), mload(add(pk, 0x20)))),
                            add(mul(mload(add(q, 0x40)), mload(add(pk, 0x40))), mul(mload(add(q, 0x60)), mload(add(pk, 0x60))))
                        ))
                }
                s := add(mload(add(pk, 0x20)), sar(top, add(mload(pk), acc)))
                next := add(pk, 0x40)
            }
            // Predictions (score >> shift), any shape.
            function regress(x, out, end, rs, us, sh) {
                let wide := eq(mload(us), shl(3, shr(5, add(mload(0x00), 31))))
                for {} lt(out, end) { out := add(out, 0x20) } {
                    let q := add(us, 0x20)
                    unpack(x, q, add(q, shl(5, mload(us))), wide)
                    let score, next := scoreN(q, add(q, shl(5, mload(us))), add(rs, 0x20), sub(224, shl(5, wide)))
                    mstore(out, sar(sh, score))
                    x := add(x, mload(0x00))
                }
            }
            let records := mload(p) // Packed.records
            let u := mload(add(p, 0x20)) // Packed.u
            let shift := mload(add(p, 0x60)) // Packed.shift
            // Scratch space: 0x00 = the row width (read by the functions).
            mstore(0x00, mload(add(p, 0x40))) // Packed.width
            regress(firstRow, predictions, predictionsEnd, records, u, shift) // rows of several blocks
        }
    }
}
