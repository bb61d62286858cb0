// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Evaluator} from "./Evaluator.sol";
import {IEvaluator} from "./interfaces/IEvaluator.sol";
import {IMlpEvaluator} from "./interfaces/IMlpEvaluator.sol";
import {EvaluatorChunks} from "./libraries/EvaluatorChunks.sol";

/**
 * @title MlpEvaluator
 * @notice Scores ReLU networks with one or two hidden layers on a test-set chunk (chunk
 * format v1, the same as every family): accuracy of the argmax of the output layer, or the
 * sum of squared errors of `(acc + 2^s / 2) >> s` for regression. Stateless.
 * @dev {Evaluator} checks the chunk and scores the predictions (correct ones, squared
 * errors, or {tallyBatch}'s counts); this contract checks and packs each network
 * ({_prepare}) and predicts blocks of rows ({_predict}). Formats are in docs/formats.md
 * ("Model (mlp family)"), the arithmetic and its overflow proofs in docs/fixed-point.md
 * ("MLP family", "MLP kernel"); `mlmarket.ml.mlp` returns the same numbers.
 * A hidden unit computes `acc = b + sum_j W_j x_j` and outputs
 * `h = min(max((acc + 2^s / 2) >> s, 0), 2^32 - 1)` (round half up, arithmetic shift).
 * Bounds used by every `unchecked` block and assembly below (M1-M9):
 *  M1 `features <= 4096`, hidden layers and outputs <= 255, rows < 2^32: every size product
 *     is below 2^40 and every calldata pointer stays inside its `bytes` argument, whose end
 *     the ABI decoder checked against `calldatasize()`.
 *  M2 an input is an int8 feature (`|q| <= 2^7`) or a hidden activation (`0 <= h < 2^32`);
 *     a weight is an int16 (`|w| <= 2^15`); a bias an int64 (`|b| <= 2^63`).
 *  M3 first layer `|sum| <= 2^12 * 2^15 * 2^7 = 2^34`; later layers
 *     `|sum| <= 2^8 * 2^15 * 2^32 = 2^55`; so `|acc| < 2^63 + 2^55 < 2^64`, and with the
 *     rounding term (<= 2^62) below 2^65.
 *  M4 regression: `|y_hat| < 2^65` (the prediction {_predict} writes), so the errors of
 *     {EvaluatorChunks} (C3) stay exact.
 *  M5 EVM `add`/`mul` are exact on two's complement words whenever the true result lies in
 *     [-2^255, 2^255), which M3-M4 guarantee with a wide margin.
 * SWAR kernel (docs/fixed-point.md, "MLP kernel"): one `mul` of two words multiplies lanes
 * pairwise and adds them by lane position; with one operand's lanes reversed, the top lane
 * of the product is a dot product. `acc = OFF + sum_s X_s V_s (mod 2^256)` and
 * `sar(256 - lane, acc)` is the exact sum, because:
 *  M6 first layer (LinearEvaluator's layout and S1-S3 with int16 weights): lane = 32 bits
 *     iff `features * 2^22 < 2^31` (up to 511 features), else 64; feature words have signed
 *     lanes (`Q = U - 128 ONES`), so every lane sum of `sum Q V` has at most `features`
 *     terms `|q w| <= 2^22`: `|c_t| <= 2^31 - 2^22` (32-bit lanes) or `<= 2^34` (64-bit);
 *     `OFF = 2^(lane-1) sum_{t<n-1} 2^(lane t)` keeps the lower lanes in [1, 2^lane), so
 *     they never carry into or borrow from the top lane, which is `c_{n-1} = sum_j W_j q_j`.
 *  M7 a hidden layer's activations are 64-bit lanes of `g = 4 ceil(units / 16)` words
 *     ending at `e`: unit i in the 8 bytes ending at `e - 8 i` (lane i mod 4 of word
 *     i / 4 counted from `e`), written by `mstore(e - 32 - 8 i, h)` in increasing i: its 24
 *     leading zero bytes fall on units not yet written or on the slack word below; lanes
 *     of absent units are 0 (the scratch is zeroed per model). So every lane is in [0, 2^32).
 *  M8 later layers: input 4j + T sits in lane T of its activation word and its weight in
 *     lane 3 - T of the paired weight word (absent inputs: 0 and 0); a lane sum has at
 *     most 4 g <= 256 terms `|h w| < 2^47`, `|c_t| < 2^55`; `OFF64 = 2^63 (1 + 2^64 +
 *     2^128)` keeps lanes 0-2 in (0, 2^64), and `sar(192, acc) = c_3 = sum_i W_i h_i`.
 *  M9 a unit's score `b + half + c`: `|b + half| <= 2^63 + 2^62`, `|c| <= 2^55`, below 2^64
 *     (M3); `h = sar(shift, score)` is the reference's `(acc + 2^s / 2) >> s`, and
 *     `gt(h, 2^32 - 1)` (unsigned) holds iff h < 0 or h >= 2^32, when the clamp sets
 *     `h = (2^32 - 1) * (h > 0)`.
 * Ties in argmax go to the lowest class index; a single output predicts class 1 iff > 0.
 */
contract MlpEvaluator is IMlpEvaluator, Evaluator {
    /// @dev Bytes of the model header: magic(3) version family task classes outputs
    /// features(2) layers hidden1 hidden2 shift1 shift2 outShift.
    uint256 private constant _MODEL_HEADER = 16;
    uint256 private constant _MAX_SHIFT = 63;
    uint8 private constant _FAMILY_MLP = 2;
    bytes32 private constant _FAMILY = keccak256("mlp");

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
    /// @dev Budget: `maxMacs | maxUnits << 32` (multiply-accumulates per row, units of all
    /// layers, the output layer included). Work: multiply-accumulates per row.
    function checkModel(bytes calldata model, uint256 features, uint256 classes, uint256 budget)
        external
        pure
        returns (uint256 work)
    {
        EvaluatorChunks.checkArguments(features, classes);
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

    /// @dev Checks model `index`'s header and length; returns its layers (hidden..., output).
    function _readModel(uint256 index, bytes calldata model, uint256 features, uint256 classes)
        private
        pure
        returns (Layer[] memory layers)
    {
        if (model.length < _MODEL_HEADER) revert MlpEvaluatorModelTruncated(index, model.length);
        bytes16 head = bytes16(model[0:_MODEL_HEADER]);
        if (bytes3(head) != EvaluatorChunks.MODEL_MAGIC) revert MlpEvaluatorModelBadMagic(index, bytes3(head));
        if (uint8(head[3]) != EvaluatorChunks.VERSION) {
            revert MlpEvaluatorModelUnsupportedVersion(index, uint8(head[3]));
        }
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
        uint256 p = EvaluatorChunks.offset(model) + _MODEL_HEADER;
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
            uint256 expected = p - EvaluatorChunks.offset(model);
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

    // --- prediction -------------------------------------------------------------------

    /**
     * @dev A network packed for the SWAR kernel, and where the row loop finds it: absolute
     * calldata offsets and memory addresses (layout and proofs in docs/fixed-point.md, "MLP
     * kernel", M6-M9). A first-layer record is `words` weight words and `bias + half`;
     * a later layer's record is `g` weight words and `bias + half`, where `g` is the
     * activation words of its input layer; a hidden layer's activations are `g` words
     * ending at `e`, unit `i` in the 8 bytes ending at `e - 8 i`.
     */
    struct Net {
        uint256 classes; // 0x000 0 for regression
        uint256 width; // 0x020 features per row
        uint256 q; // 0x040 memory for the row's feature words (unless one block of 32-bit lanes)
        uint256 words; // 0x060 feature words per row (4: one block of 32-bit lanes, on the stack)
        uint256 wide; // 0x080 1 iff the first layer uses 64-bit lanes
        uint256 rec1; // 0x0a0 first layer's records ..
        uint256 end1; // 0x0c0 .. and their end
        uint256 shift1; // 0x0e0
        uint256 e1; // 0x100 the first layer's activation words [a1, e1)
        uint256 a1; // 0x120
        uint256 rec2; // 0x140 second hidden layer's records (0: one hidden layer)
        uint256 end2; // 0x160
        uint256 shift2; // 0x180
        uint256 e2; // 0x1a0 end of the second hidden layer's activation words
        uint256 a; // 0x1c0 the output layer's input: activation words [a, e)
        uint256 e; // 0x1e0
        uint256 recO; // 0x200 output layer's records ..
        uint256 endO; // 0x220 .. and their end
        uint256 shiftO; // 0x240 regression output shift (0 for classifiers)
    }

    /**
     * @dev Checks network `index` ({_readModel}) and packs it once into one zeroed scratch
     * array (feature words, records, activation words; see {Net}) for {_predict}; the handle
     * is the address of its {Net}.
     */
    function _prepare(uint256 index, bytes calldata model, EvaluatorChunks.Chunk memory c, uint256 classes)
        internal
        pure
        override
        returns (uint256 handle)
    {
        Layer[] memory layers = _readModel(index, model, c.width, classes);
        Net memory n;
        n.classes = classes;
        n.width = c.width;
        uint256 lane = _lane(c.width);
        uint256 count = layers.length; // 2 or 3
        uint256[] memory scratch;
        unchecked {
            // M1: width <= 4096, <= 255 units per layer: every size below 2^21 words.
            n.wide = lane >> 6;
            n.words = ((c.width + 31) >> 5) * (lane >> 3);
            uint256 size = n.words + layers[0].units * (n.words + 1);
            for (uint256 l = 1; l < count; ++l) {
                uint256 g = _groups(layers[l - 1].units);
                size += 1 + g + layers[l].units * (g + 1);
            }
            scratch = new uint256[](size);
        }
        uint256 p;
        // Reads the address of the (zeroed) scratch words; touches nothing.
        assembly ("memory-safe") {
            p := add(scratch, 0x20)
        }
        unchecked {
            // M1: every address below lies inside `scratch` (sizes as counted above).
            n.q = p;
            n.rec1 = p + (n.words << 5);
            n.end1 = _packFirst(layers[0], c.width, lane, n.words, n.rec1);
            n.shift1 = layers[0].shift;
            uint256 g = _groups(layers[0].units);
            n.e1 = n.end1 + ((1 + g) << 5);
            n.a1 = n.e1 - (g << 5);
            n.e = n.e1;
            p = n.e1;
            if (count == 3) {
                n.rec2 = p;
                n.end2 = _packDense(layers[1], layers[0].units, g, p);
                n.shift2 = layers[1].shift;
                g = _groups(layers[1].units);
                n.e2 = n.end2 + ((1 + g) << 5);
                n.e = n.e2;
                p = n.e2;
            }
            n.a = n.e - (g << 5);
            n.recO = p;
            n.endO = _packDense(layers[count - 1], layers[count - 2].units, g, p);
            n.shiftO = layers[count - 1].shift;
        }
        // Reads the address of `n`, which stays allocated until the model is scored.
        assembly ("memory-safe") {
            handle := n
        }
    }

    /**
     * @dev First-layer lane width (M6): 32 bits when `width * 2^22 < 2^31` (int8 features
     * times int16 weights, `|q w| <= 2^22`), i.e. up to 511 features, else 64 bits.
     */
    function _lane(uint256 width) private pure returns (uint256) {
        return width < 512 ? 32 : 64;
    }

    /// @dev Activation words of a hidden layer of `units` (4 per word), a multiple of 4 (M7).
    function _groups(uint256 units) private pure returns (uint256) {
        unchecked {
            // M1: units <= 255.
            return ((units + 15) >> 4) << 2;
        }
    }

    /**
     * @dev Writes the first layer's records at `rec` (zeroed memory) and returns their end:
     * per unit `k` its `words` weight words, then `b_k + half`. The layout is
     * LinearEvaluator's `_pack` with int16 weights (docs/fixed-point.md, "SWAR kernel"):
     * feature `j = 32 b + R m + i` (`R = lane / 8` words per block, `n = 256 / lane` lanes,
     * `m < n`, `i < R`) is in lane `n - 1 - m` of word `R - 1 - i` of block `b`, so its
     * weight goes to lane `m` of that word; weights past `width` are 0.
     */
    function _packFirst(Layer memory layer, uint256 width, uint256 lane, uint256 words, uint256 rec)
        private
        pure
        returns (uint256 end)
    {
        // Memory-safe: writes `units * (words + 1)` words from `rec`, inside the scratch array
        // {_score} allocated for them. Reads (M1): the layer's `units * width` int16 weights
        // (contiguous, unit major; four per load, the loaded bytes past the unit's `width`
        // weights masked to 0) and `units` int64 biases, inside the model. `shl` of a signed
        // weight is its product by 2^at modulo 2^256, and a word is the sum of its lanes'
        // weights times their place values (a negative weight borrows from the lanes above):
        // exactly what M6 needs. |b + half| <= 2^63 + 2^62.
        assembly ("memory-safe") {
            // Lane m (m < n) of four words, from the weights j + R m .. j + R m + 3 of the unit
            // at calldata p (0 past d: the loop stops at d, a partial load is masked).
            function gather(p, j, d, r8, l) -> a0, a1, a2, a3 {
                for { let at := 0 } and(lt(at, 256), lt(j, d)) {
                    at := add(at, l)
                    j := add(j, r8)
                } {
                    let x := calldataload(add(p, shl(1, j)))
                    let rem := sub(d, j)
                    if lt(rem, 4) { x := and(x, not(shr(shl(4, rem), not(0)))) }
                    a0 := add(a0, shl(at, sar(240, x)))
                    a1 := add(a1, shl(at, sar(240, shl(16, x))))
                    a2 := add(a2, shl(at, sar(240, shl(32, x))))
                    a3 := add(a3, shl(at, sar(240, shl(48, x))))
                }
            }
            let r8 := shr(3, lane)
            let w := mload(layer) // Layer.weights
            for { let k := 0 } lt(k, mload(add(layer, 0x40))) { k := add(k, 1) } { // Layer.units
                // Per block (j0 = 32 b) and pass (j0 & 31 = 4 p, p < R / 4): weights
                // j = j0 + R m + i' (i' < 4) go to lane m of the block's words R - 1 - 4 p - i'
                // (slot .. slot - 0x60). Words whose weights all lie past width stay 0.
                for { let j0 := 0 } lt(j0, width) {} {
                    let a0, a1, a2, a3 := gather(w, j0, width, r8, lane)
                    let slot := add(rec, shl(5, sub(add(mul(shr(5, j0), r8), sub(r8, 1)), and(j0, 31))))
                    mstore(slot, a0)
                    mstore(sub(slot, 0x20), a1)
                    mstore(sub(slot, 0x40), a2)
                    mstore(sub(slot, 0x60), a3)
                    j0 := add(j0, 4)
                    if eq(and(j0, 31), r8) { j0 := add(sub(j0, r8), 32) }
                }
                end := add(rec, shl(5, words))
                // Layer.biases, Layer.half
                let bias := sar(192, calldataload(add(mload(add(layer, 0x20)), shl(3, k))))
                mstore(end, add(bias, mload(add(layer, 0x60))))
                rec := add(end, 0x20)
                w := add(w, shl(1, width))
            }
            end := rec
        }
    }

    /**
     * @dev Writes the records of a later layer on `inputs` activations (`g` activation words,
     * {_groups}) at `rec` (zeroed memory) and returns their end: per unit its `g` weight
     * words, then `b_k + half`. Record word `s` pairs with activation word `s` (M7): it holds
     * weights `4 j .. 4 j + 3` with `j = g - 1 - s`, weight `4 j + T` in lane `3 - T` of 64
     * bits; words past the inputs stay 0.
     */
    function _packDense(Layer memory layer, uint256 inputs, uint256 g, uint256 rec)
        private
        pure
        returns (uint256 end)
    {
        // Memory-safe: writes `units * (g + 1)` words from `rec`, inside the scratch array.
        // Reads (M1): 8 bytes per group of 4 weights from the unit's `inputs` int16 weights;
        // the last group's bytes past the unit's weights are masked to 0 before use. Spread:
        // `x` holds weights 4j..4j+3 as 16-bit fields (4j on top); xor 0x8000.. makes each
        // field `u = w + 2^15` (0..2^16 - 1), the masks move field f to bit 64 (3 - f), and
        // subtracting `2^15` per lane leaves `sum_f w_f 2^(64 (3 - f))` modulo 2^256.
        assembly ("memory-safe") {
            let w := mload(layer) // Layer.weights
            let b := mload(add(layer, 0x20)) // Layer.biases
            let half := mload(add(layer, 0x60)) // Layer.half
            let groups := shr(2, add(inputs, 3))
            for { let k := 0 } lt(k, mload(add(layer, 0x40))) { k := add(k, 1) } { // Layer.units
                for { let j := 0 } lt(j, groups) { j := add(j, 1) } {
                    let x := calldataload(add(w, shl(3, j)))
                    let rem := sub(inputs, shl(2, j))
                    if lt(rem, 4) { x := and(x, not(shr(shl(4, rem), not(0)))) }
                    x := xor(shr(192, x), 0x8000800080008000)
                    x := or(and(x, 0xffffffff), shl(96, and(x, 0xffffffff00000000)))
                    x := or(
                        and(x, 0x0000000000000000000000000000ffff0000000000000000000000000000ffff),
                        shl(48, and(x, 0x000000000000000000000000ffff0000000000000000000000000000ffff0000))
                    )
                    mstore(
                        add(rec, shl(5, sub(sub(g, 1), j))),
                        sub(x, 0x0000000000008000000000000000800000000000000080000000000000008000)
                    )
                }
                mstore(add(rec, shl(5, g)), add(sar(192, calldataload(add(b, shl(3, k)))), half))
                rec := add(rec, shl(5, add(g, 1)))
                w := add(w, shl(1, inputs))
            }
            end := rec
        }
    }

    /**
     * @dev The row loop: per row the first layer (SWAR on the int8 features, M6), the second
     * hidden layer if any and the output layer (SWAR on the activation words, M7-M8), then
     * the output rule: argmax (first maximum), the sign rule for one output, or the
     * regression prediction `(acc + 2^s / 2) >> s` (the half folded into the bias). A hidden unit's
     * `h = min(max((b + half + sum) >> s, 0), 2^32 - 1)` is stored as the 8 bytes ending at
     * `e - 8 i`: one `mstore` of the word `h` at `e - 32 - 8 i`, units in increasing order, so
     * each store's 24 leading zero bytes only clear units not yet written (M7).
     */
    function _predict(uint256 handle, uint256 firstRow, uint256 out, uint256 rows) internal pure override {
        Net memory n;
        // `handle` is the address of the Net that {_prepare} allocated for this model.
        assembly ("memory-safe") {
            n := handle
        }
        // Memory-safe: writes only the scratch array of {_prepare} (feature words at n.q, the
        // activation words below n.e1 and n.e2, never below their slack word), the `rows`
        // predictions at `out` (the buffer of {Evaluator}: bytes, a class below `outputs` or
        // 0/1 by the sign rule, or regression words) and the scratch space word 0x00
        // (predict4/predict8: their first record). Calldata reads (M1): row r's 32-byte blocks
        // at firstRow + r * width + 32 b; bytes past the row meet zero weights in the top lane (S3)
        // and are bytes elsewhere (M6). Exact by M6-M9: the top lanes are the exact sums, the
        // scores below 2^64, the regression predictions as in M4. Masks as in LinearEvaluator: 0x80.. flips each feature's
        // sign bit (u = q + 128), 0x00ff.. keeps bytes at 16 s, 0x000000ff.. bytes at 32 t,
        // 0x00000000000000ff.. bytes at 64 T. OFF = 2^31 sum_{t<7} 2^(32 t) (32-bit lanes) or
        // OFF64 = 2^63 (1 + 2^64 + 2^128) (64-bit lanes).
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
            // The same words with signed lanes: Q = U - 128 ONES32 (mod 2^256), whose lanes are
            // the features q = u - 128 (M6).
            function spreadq(x) -> q0, q1, q2, q3 {
                let u0, u1, u2, u3 := spread(x)
                q0 := sub(u0, 0x0000008000000080000000800000008000000080000000800000008000000080)
                q1 := sub(u1, 0x0000008000000080000000800000008000000080000000800000008000000080)
                q2 := sub(u2, 0x0000008000000080000000800000008000000080000000800000008000000080)
                q3 := sub(u3, 0x0000008000000080000000800000008000000080000000800000008000000080)
            }
            // All words of a row into memory at q .. end, signed (Q = U - 128 ONES): per block 4
            // words (32-bit lanes) or 8 (64-bit lanes: word r < 4 keeps lanes t = 2 T of the
            // 32-bit word r, word 4 + r the lanes t = 2 T + 1), so lane T of word r holds the
            // feature at position 31 - R T - r of the block.
            function unpack(x, q, end, wide) {
                for {} lt(q, end) { x := add(x, 32) } {
                    let u0, u1, u2, u3 := spread(x)
                    switch wide
                    case 0 {
                        mstore(q, sub(u0, 0x0000008000000080000000800000008000000080000000800000008000000080))
                        mstore(add(q, 0x20), sub(u1, 0x0000008000000080000000800000008000000080000000800000008000000080))
                        mstore(add(q, 0x40), sub(u2, 0x0000008000000080000000800000008000000080000000800000008000000080))
                        mstore(add(q, 0x60), sub(u3, 0x0000008000000080000000800000008000000080000000800000008000000080))
                        q := add(q, 0x80)
                    }
                    default {
                        mstore(q, sub(and(u0, 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff), 0x0000000000000080000000000000008000000000000000800000000000000080))
                        mstore(add(q, 0x20), sub(and(u1, 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff), 0x0000000000000080000000000000008000000000000000800000000000000080))
                        mstore(add(q, 0x40), sub(and(u2, 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff), 0x0000000000000080000000000000008000000000000000800000000000000080))
                        mstore(add(q, 0x60), sub(and(u3, 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff), 0x0000000000000080000000000000008000000000000000800000000000000080))
                        mstore(add(q, 0x80), sub(and(shr(32, u0), 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff), 0x0000000000000080000000000000008000000000000000800000000000000080))
                        mstore(add(q, 0xa0), sub(and(shr(32, u1), 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff), 0x0000000000000080000000000000008000000000000000800000000000000080))
                        mstore(add(q, 0xc0), sub(and(shr(32, u2), 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff), 0x0000000000000080000000000000008000000000000000800000000000000080))
                        mstore(add(q, 0xe0), sub(and(shr(32, u3), 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff), 0x0000000000000080000000000000008000000000000000800000000000000080))
                        q := add(q, 0x100)
                    }
                }
            }
            // First layer, one block of 32-bit lanes: the row's four words on the stack
            // (record: 4 weight words, bias + half = 0xa0 bytes), two units per step. Stores
            // unit k's clamped ReLU at `at - 8 k`: `if gt(h, 2^32 - 1)` catches both h < 0 (two's
            // complement) and h >= 2^32, and `mul(2^32 - 1, sgt(h, 0))` picks the bound.
            function first4(x, rec, end, sh, at) {
                let q0, q1, q2, q3 := spreadq(x)
                for {} lt(add(rec, 0xa0), end) {
                    rec := add(rec, 0x140)
                    at := sub(at, 16)
                } {
                    let h := sar(sh, add(mload(add(rec, 0x80)), sar(224, add(0x80000000800000008000000080000000800000008000000080000000, add(
                        add(mul(q0, mload(rec)), mul(q1, mload(add(rec, 0x20)))),
                        add(mul(q2, mload(add(rec, 0x40))), mul(q3, mload(add(rec, 0x60))))
                    )))))
                    if gt(h, 0xffffffff) { h := mul(0xffffffff, sgt(h, 0)) }
                    mstore(at, h)
                    h := sar(sh, add(mload(add(rec, 0x120)), sar(224, add(0x80000000800000008000000080000000800000008000000080000000, add(
                        add(mul(q0, mload(add(rec, 0xa0))), mul(q1, mload(add(rec, 0xc0)))),
                        add(mul(q2, mload(add(rec, 0xe0))), mul(q3, mload(add(rec, 0x100))))
                    )))))
                    if gt(h, 0xffffffff) { h := mul(0xffffffff, sgt(h, 0)) }
                    mstore(sub(at, 8), h)
                }
                if lt(rec, end) {
                    let h := sar(sh, add(mload(add(rec, 0x80)), sar(224, add(0x80000000800000008000000080000000800000008000000080000000, add(
                        add(mul(q0, mload(rec)), mul(q1, mload(add(rec, 0x20)))),
                        add(mul(q2, mload(add(rec, 0x40))), mul(q3, mload(add(rec, 0x60))))
                    )))))
                    if gt(h, 0xffffffff) { h := mul(0xffffffff, sgt(h, 0)) }
                    mstore(at, h)
                }
            }
            // First layer, any shape: the row's words at q .. qEnd (a multiple of 4); `off` is
            // OFF for the lane width, `top` = 256 - lane.
            function firstN(q, qEnd, rec, end, off, top, sh, at) {
                for {} lt(rec, end) { at := sub(at, 8) } {
                    let acc := off
                    for { let p := q } lt(p, qEnd) {
                        p := add(p, 0x80)
                        rec := add(rec, 0x80)
                    } {
                        acc := add(acc, add(
                            add(mul(mload(p), mload(rec)), mul(mload(add(p, 0x20)), mload(add(rec, 0x20)))),
                            add(mul(mload(add(p, 0x40)), mload(add(rec, 0x40))), mul(mload(add(p, 0x60)), mload(add(rec, 0x60))))
                        ))
                    }
                    let h := sar(sh, add(mload(rec), sar(top, acc)))
                    if gt(h, 0xffffffff) { h := mul(0xffffffff, sgt(h, 0)) }
                    mstore(at, h)
                    rec := add(rec, 0x20)
                }
            }
            // Score of the later-layer record at rec on the activation words a .. e (a multiple
            // of 4): b + half + sar(192, OFF64 + sum_s A_s V_s) (M8); returns the record's end.
            function score(a, e, rec) -> s, next {
                let acc := 0x800000000000000080000000000000008000000000000000
                for {} lt(a, e) {
                    a := add(a, 0x80)
                    rec := add(rec, 0x80)
                } {
                    acc := add(acc, add(
                        add(mul(mload(a), mload(rec)), mul(mload(add(a, 0x20)), mload(add(rec, 0x20)))),
                        add(mul(mload(add(a, 0x40)), mload(add(rec, 0x40))), mul(mload(add(a, 0x60)), mload(add(rec, 0x60))))
                    ))
                }
                s := add(mload(rec), sar(192, acc))
                next := add(rec, 0x20)
            }
            // Second hidden layer on the activation words a .. e (the dot product inline).
            function hidden(a, e, rec, end, sh, at) {
                for {} lt(rec, end) {
                    rec := add(rec, 0x20)
                    at := sub(at, 8)
                } {
                    let acc := 0x800000000000000080000000000000008000000000000000
                    for { let p := a } lt(p, e) {
                        p := add(p, 0x80)
                        rec := add(rec, 0x80)
                    } {
                        acc := add(acc, add(
                            add(mul(mload(p), mload(rec)), mul(mload(add(p, 0x20)), mload(add(rec, 0x20)))),
                            add(mul(mload(add(p, 0x40)), mload(add(rec, 0x40))), mul(mload(add(p, 0x60)), mload(add(rec, 0x60))))
                        ))
                    }
                    let h := sar(sh, add(mload(rec), sar(192, acc)))
                    if gt(h, 0xffffffff) { h := mul(0xffffffff, sgt(h, 0)) }
                    mstore(at, h)
                }
            }
            // Second hidden layer on 4 activation words held on the stack (at most 16 inputs;
            // record: 4 weight words, bias + half = 0xa0 bytes).
            function hidden4(a, rec, end, sh, at) {
                let a0 := mload(a)
                let a1 := mload(add(a, 0x20))
                let a2 := mload(add(a, 0x40))
                let a3 := mload(add(a, 0x60))
                for {} lt(rec, end) {
                    rec := add(rec, 0xa0)
                    at := sub(at, 8)
                } {
                    let h := sar(sh, add(mload(add(rec, 0x80)), sar(192, add(0x800000000000000080000000000000008000000000000000, add(add(mul(a0, mload(rec)), mul(a1, mload(add(rec, 0x20)))), add(mul(a2, mload(add(rec, 0x40))), mul(a3, mload(add(rec, 0x60)))))))))
                    if gt(h, 0xffffffff) { h := mul(0xffffffff, sgt(h, 0)) }
                    mstore(at, h)
                }
            }
            // Second hidden layer on 8 activation words held on the stack (at most 32 inputs;
            // record: 8 weight words, bias + half = 0x120 bytes).
            function hidden8(a, rec, end, sh, at) {
                let a0 := mload(a)
                let a1 := mload(add(a, 0x20))
                let a2 := mload(add(a, 0x40))
                let a3 := mload(add(a, 0x60))
                let a4 := mload(add(a, 0x80))
                let a5 := mload(add(a, 0xa0))
                let a6 := mload(add(a, 0xc0))
                let a7 := mload(add(a, 0xe0))
                for {} lt(rec, end) {
                    rec := add(rec, 0x120)
                    at := sub(at, 8)
                } {
                    let h := sar(sh, add(mload(add(rec, 0x100)), sar(192, add(0x800000000000000080000000000000008000000000000000, add(add(add(mul(a0, mload(rec)), mul(a1, mload(add(rec, 0x20)))), add(mul(a2, mload(add(rec, 0x40))), mul(a3, mload(add(rec, 0x60))))), add(add(mul(a4, mload(add(rec, 0x80))), mul(a5, mload(add(rec, 0xa0)))), add(mul(a6, mload(add(rec, 0xc0))), mul(a7, mload(add(rec, 0xe0))))))))))
                    if gt(h, 0xffffffff) { h := mul(0xffffffff, sgt(h, 0)) }
                    mstore(at, h)
                }
            }
            // The hidden layers of the row at x.
            function forward(net, x) {
                switch eq(mload(add(net, 0x60)), 4)
                case 1 { first4(x, mload(add(net, 0xa0)), mload(add(net, 0xc0)), mload(add(net, 0xe0)), sub(mload(add(net, 0x100)), 32)) }
                default {
                    let q := mload(add(net, 0x40))
                    let qEnd := add(q, shl(5, mload(add(net, 0x60))))
                    let wide := mload(add(net, 0x80))
                    unpack(x, q, qEnd, wide)
                    let off := 0x80000000800000008000000080000000800000008000000080000000
                    if wide { off := 0x800000000000000080000000000000008000000000000000 }
                    firstN(q, qEnd, mload(add(net, 0xa0)), mload(add(net, 0xc0)), off, sub(224, shl(5, wide)), mload(add(net, 0xe0)), sub(mload(add(net, 0x100)), 32))
                }
                let rec2 := mload(add(net, 0x140))
                if rec2 {
                    let a1 := mload(add(net, 0x120))
                    let e1 := mload(add(net, 0x100))
                    switch sub(e1, a1)
                    case 0x80 { hidden4(a1, rec2, mload(add(net, 0x160)), mload(add(net, 0x180)), sub(mload(add(net, 0x1a0)), 32)) }
                    case 0x100 { hidden8(a1, rec2, mload(add(net, 0x160)), mload(add(net, 0x180)), sub(mload(add(net, 0x1a0)), 32)) }
                    default { hidden(a1, e1, rec2, mload(add(net, 0x160)), mload(add(net, 0x180)), sub(mload(add(net, 0x1a0)), 32)) }
                }
            }
            // Predicted class from the output records rec .. end on 4 activation words at a, held
            // on the stack (at most 16 inputs; record: 4 weight words, bias = 0xa0 bytes):
            // argmax (first maximum: top starts at -2^255, below every score), or the sign rule
            // for one output. Scratch word 0x00 keeps the first record.
            function predict4(a, rec, end) -> best {
                let a0 := mload(a)
                let a1 := mload(add(a, 0x20))
                let a2 := mload(add(a, 0x40))
                let a3 := mload(add(a, 0x60))
                mstore(0x00, rec)
                let top := shl(255, 1)
                let at := rec
                for {} lt(rec, end) { rec := add(rec, 0xa0) } {
                    let s := add(mload(add(rec, 0x80)), sar(192, add(0x800000000000000080000000000000008000000000000000, add(add(mul(a0, mload(rec)), mul(a1, mload(add(rec, 0x20)))), add(mul(a2, mload(add(rec, 0x40))), mul(a3, mload(add(rec, 0x60))))))))
                    if sgt(s, top) {
                        top := s
                        at := rec
                    }
                }
                best := div(sub(at, mload(0x00)), 0xa0)
                if eq(end, add(mload(0x00), 0xa0)) { best := sgt(top, 0) }
            }
            // Predicted class from the output records rec .. end on 8 activation words at a, held
            // on the stack (at most 32 inputs; record: 8 weight words, bias = 0x120 bytes):
            // argmax (first maximum: top starts at -2^255, below every score), or the sign rule
            // for one output. Scratch word 0x00 keeps the first record.
            function predict8(a, rec, end) -> best {
                let a0 := mload(a)
                let a1 := mload(add(a, 0x20))
                let a2 := mload(add(a, 0x40))
                let a3 := mload(add(a, 0x60))
                let a4 := mload(add(a, 0x80))
                let a5 := mload(add(a, 0xa0))
                let a6 := mload(add(a, 0xc0))
                let a7 := mload(add(a, 0xe0))
                mstore(0x00, rec)
                let top := shl(255, 1)
                let at := rec
                for {} lt(rec, end) { rec := add(rec, 0x120) } {
                    let s := add(mload(add(rec, 0x100)), sar(192, add(0x800000000000000080000000000000008000000000000000, add(add(add(mul(a0, mload(rec)), mul(a1, mload(add(rec, 0x20)))), add(mul(a2, mload(add(rec, 0x40))), mul(a3, mload(add(rec, 0x60))))), add(add(mul(a4, mload(add(rec, 0x80))), mul(a5, mload(add(rec, 0xa0)))), add(mul(a6, mload(add(rec, 0xc0))), mul(a7, mload(add(rec, 0xe0)))))))))
                    if sgt(s, top) {
                        top := s
                        at := rec
                    }
                }
                best := div(sub(at, mload(0x00)), 0x120)
                if eq(end, add(mload(0x00), 0x120)) { best := sgt(top, 0) }
            }
            // Predicted class, any number of activation words (records of (e - a) + 0x20 bytes).
            // top starts at -2^255, below every score, so output 0 is the first maximum.
            function predictN(a, e, rec, end) -> best {
                let first := rec
                let at := rec
                let top := shl(255, 1)
                for {} lt(rec, end) { rec := add(rec, 0x20) } {
                    let start := rec
                    let acc := 0x800000000000000080000000000000008000000000000000
                    for { let p := a } lt(p, e) {
                        p := add(p, 0x80)
                        rec := add(rec, 0x80)
                    } {
                        acc := add(acc, add(
                            add(mul(mload(p), mload(rec)), mul(mload(add(p, 0x20)), mload(add(rec, 0x20)))),
                            add(mul(mload(add(p, 0x40)), mload(add(rec, 0x40))), mul(mload(add(p, 0x60)), mload(add(rec, 0x60))))
                        ))
                    }
                    let s := add(mload(rec), sar(192, acc))
                    if sgt(s, top) {
                        top := s
                        at := start
                    }
                }
                let stride := add(sub(e, a), 0x20)
                best := div(sub(at, first), stride)
                if eq(end, add(first, stride)) { best := sgt(top, 0) }
            }
            let x := firstRow
            let classes := mload(n)
            let a := mload(add(n, 0x1c0))
            let e := mload(add(n, 0x1e0))
            let rec := mload(add(n, 0x200))
            let end := mload(add(n, 0x220))
            switch classes
            case 0 {
                let sh := mload(add(n, 0x240))
                for { let outEnd := add(out, shl(5, rows)) } lt(out, outEnd) { out := add(out, 0x20) } {
                    forward(n, x)
                    let s, next := score(a, e, rec)
                    mstore(out, sar(sh, s))
                    x := add(x, mload(add(n, 0x20)))
                }
            }
            default {
                let outEnd := add(out, rows)
                switch sub(e, a)
                case 0x80 {
                    for {} lt(out, outEnd) { out := add(out, 1) } {
                        forward(n, x)
                        mstore8(out, predict4(a, rec, end))
                        x := add(x, mload(add(n, 0x20)))
                    }
                }
                case 0x100 {
                    for {} lt(out, outEnd) { out := add(out, 1) } {
                        forward(n, x)
                        mstore8(out, predict8(a, rec, end))
                        x := add(x, mload(add(n, 0x20)))
                    }
                }
                default {
                    for {} lt(out, outEnd) { out := add(out, 1) } {
                        forward(n, x)
                        mstore8(out, predictN(a, e, rec, end))
                        x := add(x, mload(add(n, 0x20)))
                    }
                }
            }
        }
    }
}
