// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Evaluator} from "./Evaluator.sol";
import {IEvaluator} from "./interfaces/IEvaluator.sol";
import {ILinearEvaluator} from "./interfaces/ILinearEvaluator.sol";
import {EvaluatorChunks} from "./libraries/EvaluatorChunks.sol";

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

    /// @dev A model packed for the kernel ({_pack}); {_prepare}'s handle is its address.
    struct Packed {
        uint256[] records; // per output: weight words, init, bias (+ half for regression)
        uint256[] u; // scratch for one row's feature words
        uint256 width; // features per row
        uint256 shift; // regression output shift
        uint256 classes; // 0 for regression
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

    /**
     * @dev Checks model `index` ({_readModel}) and packs it for the SWAR kernel
     * (docs/fixed-point.md, S1-S4): per row, each 32-byte block of features is xored with
     * 0x80.. (`u = q + 128`, unsigned bytes) and spread by masks and shifts into `R` words of
     * `n` lanes (no per-feature work); per output, `acc = init_k + sum_i U_i * V_k,i` over the
     * row's `words` feature words, and `sar(256 - lane, acc)` is exactly `sum_j W[k][j] q_j`.
     * One `mul` does 8 (32-bit lanes) or 4 (64-bit lanes) multiply-accumulates. Regression
     * rounds half up: `(acc + 2^shift / 2) >> shift`, arithmetic shift, with the half folded
     * into the bias here.
     */
    function _prepare(uint256 index, bytes calldata model, EvaluatorChunks.Chunk memory c, uint256 classes)
        internal
        pure
        override
        returns (uint256 handle)
    {
        Model memory m = _readModel(index, model, c.width, classes);
        uint256 lane = _lane(c.width, m.weightBytes);
        uint256 words;
        unchecked {
            // B1: width <= 4096, so at most 128 blocks of 8 words.
            words = ((c.width + 31) >> 5) * (lane >> 3);
        }
        uint256[] memory records = _pack(m, c.width, lane, words);
        if (classes == 0) {
            // Regression rounds half up: fold 2^shift / 2 (<= 2^62, shift <= 63) into the bias
            // (record word words + 1); |bias| <= 2^63, so the sum stays below 2^64 (B3).
            unchecked {
                records[words + 1] = uint256(int256(records[words + 1]) + int256((uint256(1) << m.shift) >> 1));
            }
        }
        Packed memory p = Packed(records, new uint256[](words), c.width, m.shift, classes);
        // Reads the address of `p`, which stays allocated until the model is scored.
        assembly ("memory-safe") {
            handle := p
        }
    }

    /**
     * @dev The row loop. Rows of at most 32 features with 32-bit lanes (one block, four
     * words: the common case) keep their four feature words on the stack; one block with
     * 64-bit lanes uses 8 words at `u`; other shapes loop over the blocks of each row,
     * unpacked into `u`. Argmax keeps the first maximum (only a strictly greater score
     * replaces it); one output means class 1 iff > 0.
     */
    function _predict(uint256 handle, uint256 x, uint256 out, uint256 rows) internal pure override {
        Packed memory p;
        // `handle` is the address of the Packed that {_prepare} allocated for this model.
        assembly ("memory-safe") {
            p := handle
        }
        unchecked {
            // rows <= BLOCK_ROWS: the ends lie inside the prediction buffer.
            if (p.classes == 0) _regress(x, out, out + (rows << 5), p);
            else _classify(x, out, out + rows, p);
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
            // Predicted classes, one-block rows with 32-bit lanes: words on the stack.
            function classify1(x, out, end, rec) {
                for {} lt(out, end) { out := add(out, 1) } {
                    let u0, u1, u2, u3 := spread(x)
                    let pk := rec
                    // Record: 4 weight words, init, bias (0xc0 bytes).
                    let score := add(
                        mload(add(pk, 0xa0)),
                        sar(224, add(mload(add(pk, 0x80)), add(
                            add(mul(u0, mload(pk)), mul(u1, mload(add(pk, 0x20)))),
                            add(mul(u2, mload(add(pk, 0x40))), mul(u3, mload(add(pk, 0x60))))
                        )))
                    )
                    let at := rec
                    for { pk := add(pk, 0xc0) } lt(pk, mload(0x20)) { pk := add(pk, 0xc0) } {
                            let s := add(
                                mload(add(pk, 0xa0)),
                                sar(224, add(mload(add(pk, 0x80)), add(
                            add(mul(u0, mload(pk)), mul(u1, mload(add(pk, 0x20)))),
                            add(mul(u2, mload(add(pk, 0x40))), mul(u3, mload(add(pk, 0x60))))
                        )))
                            )
                            if sgt(s, score) {
                                score := s
                                at := pk
                            }
                    }
                    // argmax (first maximum), or the sign rule for one output
                    let best := div(sub(at, rec), 0xc0)
                    if eq(mload(0x20), add(rec, 0xc0)) { best := sgt(score, 0) }
                    mstore8(out, best)
                    x := add(x, mload(0x00))
                }
            }
            // Predicted classes, one-block rows with 64-bit lanes: 8 words at q (record: 8
            // weight words, init, bias = 0x140 bytes).
            function classify8(x, out, end, rec, q) {
                for {} lt(out, end) { out := add(out, 1) } {
                    unpack(x, q, add(q, 0x100), 1)
                    let pk := rec
                    let score := add(mload(add(pk, 0x100)), add(add(mul(mload(q), mload(pk)), mul(mload(add(q, 0x20)), mload(add(pk, 0x20)))), add(mul(mload(add(q, 0x40)), mload(add(pk, 0x40))), mul(mload(add(q, 0x60)), mload(add(pk, 0x60))))))
                    score := add(score, add(add(mul(mload(add(q, 0x80)), mload(add(pk, 0x80))), mul(mload(add(q, 0xa0)), mload(add(pk, 0xa0)))), add(mul(mload(add(q, 0xc0)), mload(add(pk, 0xc0))), mul(mload(add(q, 0xe0)), mload(add(pk, 0xe0))))))
                    score := add(mload(add(pk, 0x120)), sar(192, score))
                    let at := rec
                    for { pk := add(pk, 0x140) } lt(pk, mload(0x20)) { pk := add(pk, 0x140) } {
                            let s := add(mload(add(pk, 0x100)), add(add(mul(mload(q), mload(pk)), mul(mload(add(q, 0x20)), mload(add(pk, 0x20)))), add(mul(mload(add(q, 0x40)), mload(add(pk, 0x40))), mul(mload(add(q, 0x60)), mload(add(pk, 0x60))))))
                            s := add(s, add(add(mul(mload(add(q, 0x80)), mload(add(pk, 0x80))), mul(mload(add(q, 0xa0)), mload(add(pk, 0xa0)))), add(mul(mload(add(q, 0xc0)), mload(add(pk, 0xc0))), mul(mload(add(q, 0xe0)), mload(add(pk, 0xe0))))))
                            s := add(mload(add(pk, 0x120)), sar(192, s))
                            if sgt(s, score) {
                                score := s
                                at := pk
                            }
                    }
                    // argmax (first maximum), or the sign rule for one output
                    let best := div(sub(at, rec), 0x140)
                    if eq(mload(0x20), add(rec, 0x140)) { best := sgt(score, 0) }
                    mstore8(out, best)
                    x := add(x, mload(0x00))
                }
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
            switch mload(u)
            case 4 { classify1(firstRow, predictions, predictionsEnd, add(records, 0x20)) } // one block, 32-bit lanes
            default {
                // 64-bit lanes iff 8 words per block: one block of 64-bit lanes
                switch eq(mload(u), shl(3, shr(5, add(mload(0x00), 31))))
                case 1 {
                    switch eq(mload(u), 8)
                    case 1 { classify8(firstRow, predictions, predictionsEnd, add(records, 0x20), add(u, 0x20)) }
                    default { classifyN(firstRow, predictions, predictionsEnd, records, u) }
                }
                default { classifyN(firstRow, predictions, predictionsEnd, records, u) }
            }
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
            // Predictions, one-block rows with 32-bit lanes: words on the stack.
            function regress1(x, out, end, rec, sh) {
                let init := mload(add(rec, 0x80))
                let bias := mload(add(rec, 0xa0))
                for {} lt(out, end) { out := add(out, 0x20) } {
                    let u0, u1, u2, u3 := spread(x)
                    let score := add(bias, sar(224, add(init, add(
                            add(mul(u0, mload(rec)), mul(u1, mload(add(rec, 0x20)))),
                            add(mul(u2, mload(add(rec, 0x40))), mul(u3, mload(add(rec, 0x60))))
                        ))))
                    mstore(out, sar(sh, score))
                    x := add(x, mload(0x00))
                }
            }
            // Predictions, one-block rows with 64-bit lanes: 8 words at q.
            function regress8(x, out, end, rec, sh, q) {
                let init := mload(add(rec, 0x100))
                let bias := mload(add(rec, 0x120))
                for {} lt(out, end) { out := add(out, 0x20) } {
                    unpack(x, q, add(q, 0x100), 1)
                    let score := add(init, add(add(mul(mload(q), mload(rec)), mul(mload(add(q, 0x20)), mload(add(rec, 0x20)))), add(mul(mload(add(q, 0x40)), mload(add(rec, 0x40))), mul(mload(add(q, 0x60)), mload(add(rec, 0x60))))))
                    score := add(score, add(add(mul(mload(add(q, 0x80)), mload(add(rec, 0x80))), mul(mload(add(q, 0xa0)), mload(add(rec, 0xa0)))), add(mul(mload(add(q, 0xc0)), mload(add(rec, 0xc0))), mul(mload(add(q, 0xe0)), mload(add(rec, 0xe0))))))
                    score := add(bias, sar(192, score))
                    mstore(out, sar(sh, score))
                    x := add(x, mload(0x00))
                }
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
            switch mload(u)
            case 4 { regress1(firstRow, predictions, predictionsEnd, add(records, 0x20), shift) } // one block, 32-bit lanes
            default {
                switch eq(mload(u), shl(3, shr(5, add(mload(0x00), 31))))
                case 1 {
                    switch eq(mload(u), 8)
                    case 1 { regress8(firstRow, predictions, predictionsEnd, add(records, 0x20), shift, add(u, 0x20)) }
                    default { regress(firstRow, predictions, predictionsEnd, records, u, shift) }
                }
                default { regress(firstRow, predictions, predictionsEnd, records, u, shift) }
            }
        }
    }
}
