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
 * SWAR kernel (docs/fixed-point.md, "SWAR kernel"): each 32-byte block of a row becomes four
 * words of eight 32-bit lanes, lane T of word r holding feature byte `31 - 4 T - r` as `u = q +
 * 128`; an output's four weight words hold the same features' values in lane `7 - T`, so the
 * top lane of `sum_r U_r V_r` is the block's dot product. A value has at most 16 bits: weights
 * wider than that are split, `w = 2^16 hi + lo`, `hi = w >> 16`, `lo = w & 0xffff`, into two
 * sets of words. One output, signed layout (values `w`, `hi`, `lo`), per block and set
 * `sar(224, init + sum_r U_r V_r) = sum_j v_j q_j` exactly, because:
 *  S1 with `q = u - 128` and `init = OFF - 128 ONES sum_r V_r`, `init + sum U V = OFF + sum Q V`,
 *     whose lane sums `c_t` have at most 32 terms `|q v| <= 2^23`: `|c_t| <= 2^28 < 2^31`;
 *  S2 lanes >= 8 vanish mod 2^256; `OFF` lifts each lower lane into [1, 2^32), so they never
 *     borrow from or carry into the top lane, which is `c_7` (|.| < 2^31);
 *  S3 the top lane pairs each feature of the block with its own value once; bytes read past a
 *     row meet zero values there and are bounded bytes elsewhere (S1);
 *  S4 `|score| <= 2^50 + 2^63 + 2^62 < 2^64` (B3, B4);
 *  S5 `sum_j q_j w_j = 2^16 sum_j q_j hi_j + sum_j q_j lo_j`, both exact by S1-S3.
 * Several outputs, unsigned layout (values `w + 2^15`, or `hi + 2^15` and `lo`, all in [0,
 * 2^16)), no init:
 *  U1 every lane sum has at most 32 terms `u v <= 255 * 65535`, below 2^29: no lane carries,
 *     and `shr(224, sum_r U_r V_r)` is the top lane's sum exactly;
 *  U2 as S3, the top lane is `sum_j u_j v_j` over the block (values 0 past the row);
 *  U3 summed over blocks, `B_k + sum = b_k + sum_j W[k][j] q_j + C` with `B_k = b_k - 128
 *     sum_j W[k][j]` and `C = 2^15 sum_j u_j` (split: `2^31 sum_j u_j`), the same for every
 *     output: the argmax, ties included, is the reference's;
 *  U4 a block's sum is below 2^45 + 2^29, a row's below 2^53, `|B_k| <= 2^63 + 2^50`.
 * Ties in argmax go to the lowest class index; a single-output classifier predicts class 1
 * iff its score is > 0.
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

    /// @dev Kernels, by shape ({_prepare}, {_predict}).
    uint256 private constant _PATH_ARGMAX = 0; // {LinearKernel}: d <= 32, 2..16 outputs, weights <= 16 bits
    uint256 private constant _PATH_ONE = 1; // {_one}: d <= 32, one output
    uint256 private constant _PATH_BLOCK = 2; // {_block}: d <= 32, other outputs
    uint256 private constant _PATH_WIDE_ONE = 3; // {_wideOne}: d > 32, one output
    uint256 private constant _PATH_WIDE_ARGMAX = 4; // {_wideArgmax}: d > 32, several outputs

    /// @dev A model packed for its kernel ({_prepare}); {_prepare}'s handle is its address.
    struct Packed {
        uint256 records; // memory address of the first record word
        uint256 width; // features per row
        uint256 shift; // regression output shift
        uint256 outputs;
        uint256 path; // _PATH_*
        bool split; // weights wider than 16 bits: two sets of weight words
        bool regression;
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

    /// @inheritdoc Evaluator
    /// @dev The records of {LinearKernel} (16 outputs of five words) or of {_one} (one
    /// output, at most 11 words).
    function _fixedMemory() internal pure override returns (uint256) {
        return LinearKernel.RECORD_BYTES * LinearKernel.MAX_OUTPUTS;
    }

    /**
     * @dev Checks model `index` ({_readModel}) and packs it for its kernel (docs/fixed-point.md,
     * "SWAR kernel"): per row, each 32-byte block of features is xored with 0x80.. (`u = q +
     * 128`, unsigned bytes) and spread by masks and shifts into four words of eight 32-bit
     * lanes (no per-feature work); one `mul` of a feature word by a weight word multiplies
     * eight features by their weights and adds the products in the top lane. Weights wider
     * than 16 bits are split, `w = 2^16 hi + lo`, into two sets of weight words (`split`).
     * Kernels ({_predict}) by shape: one output ({_packOne}: {_one} for rows of at most 32
     * features, {_wideOne} for longer rows), or several ({_packArgmax}: {LinearKernel} for rows
     * of at most 32 features, 2..16 outputs and weights of at most 16 bits, {_block} for the
     * other rows of at most 32 features, {_wideArgmax} for longer rows). Regression rounds
     * half up: `(acc + 2^shift / 2) >> shift`, arithmetic shift, the half folded into the bias.
     */
    function _prepare(uint256 index, bytes calldata model, EvaluatorChunks.Chunk memory c, uint256 classes)
        internal
        pure
        override
        returns (uint256 handle)
    {
        Model memory m = _readModel(index, model, c.width, classes);
        Packed memory p;
        p.width = c.width;
        p.shift = m.shift;
        p.outputs = m.outputs;
        p.split = m.weightBytes > 2;
        p.regression = classes == 0;
        unchecked {
            // B1: width <= 4096, outputs <= 255: at most 128 blocks and 255 * 128 * 8 + 510
            // record words; 2^shift / 2 <= 2^62 (shift <= 63) and |bias| <= 2^63, so the
            // regression bias plus the half stays below 2^64 (B3).
            uint256 blocks = (c.width + 31) >> 5;
            uint256 sets = p.split ? 2 : 1;
            if (m.outputs == 1) {
                p.path = c.width <= 32 ? _PATH_ONE : _PATH_WIDE_ONE;
                p.records = c.width <= 32 ? LinearKernel.RECORDS : _allocate(blocks * 5 * sets + 1);
                _packOne(m, c.width, p.records, classes == 0 ? (uint256(1) << m.shift) >> 1 : 0, p.split);
            } else if (c.width <= 32) {
                if (!p.split && m.outputs <= LinearKernel.MAX_OUTPUTS) {
                    p.path = _PATH_ARGMAX;
                    p.records = LinearKernel.RECORDS;
                } else {
                    p.path = _PATH_BLOCK;
                    p.records = _allocate(m.outputs * (4 * sets + 1));
                }
                _packArgmax(m, c.width, p.records, p.split, false);
            } else {
                p.path = _PATH_WIDE_ARGMAX;
                p.records = _allocate(blocks * m.outputs * 4 * sets + 2 * m.outputs);
                _packArgmax(m, c.width, p.records, p.split, true);
            }
        }
        // Reads the address of `p`, which stays allocated until the model is scored.
        assembly ("memory-safe") {
            handle := p
        }
    }

    /// @dev The address of `words` fresh zero words (a new array's data), released with the model.
    function _allocate(uint256 words) private pure returns (uint256 start) {
        uint256[] memory a = new uint256[](words);
        // Reads the address of the array's first word.
        assembly ("memory-safe") {
            start := add(a, 0x20)
        }
    }

    /**
     * @dev Adds the weights of one output (`width` weights of `m.weightBytes` bytes from
     * calldata `row`) to weight words in memory: feature j's weight goes to block `j >> 5`'s
     * words, at `set + (j >> 5) * perBlock`, word `r` and lane `7 - T` where `31 - (j & 31) = 4 T
     * + r` (so that it meets the feature's lane T of feature word r in the top lane). The
     * value is `w + offset`, or for `split` weights `(w >> 16) + offset` in the four words at
     * the set and `w & 0xffff` in the four after them. Returns the sum of the weights.
     */
    function _place(Model memory m, uint256 row, uint256 width, uint256 set, uint256 perBlock, bool split, uint256 offset)
        private
        pure
        returns (uint256 sum)
    {
        uint256 wb = m.weightBytes;
        uint256 ws = m.weightShift;
        // Memory-safe: writes only the weight words of the caller's records (set + (width - 1 >>
        // 5) * perBlock + 0x100 at most, inside them). Reads `width` weights from `row` inside
        // the model (B1). |w| <= 2^31, the sum's magnitude below 2^43 (two's complement). A
        // value `v` is added as `v * 2^(224 - 32 T)` mod 2^256: a negative one borrows from the
        // lanes above, the word stays the exact sum of its lanes' values mod 2^256 (S1, U1).
        assembly ("memory-safe") {
            // feature j: word 3 - (j & 3) of block j >> 5, lane 7 - T at bit 8 (j & 28), where
            // 31 - (j & 31) = 4 T + r
            switch split
            case 0 {
                for { let j := 0 } lt(j, width) { j := add(j, 1) } {
                    let w := sar(ws, calldataload(add(row, mul(j, wb))))
                    sum := add(sum, w)
                    let slot := add(add(set, mul(shr(5, j), perBlock)), sub(0x60, shl(5, and(j, 3))))
                    mstore(slot, add(mload(slot), shl(shl(3, and(j, 28)), add(w, offset))))
                }
            }
            default {
                for { let j := 0 } lt(j, width) { j := add(j, 1) } {
                    let w := sar(ws, calldataload(add(row, mul(j, wb))))
                    sum := add(sum, w)
                    let slot := add(add(set, mul(shr(5, j), perBlock)), sub(0x60, shl(5, and(j, 3))))
                    let at := shl(3, and(j, 28))
                    mstore(slot, add(mload(slot), shl(at, add(sar(16, w), offset))))
                    slot := add(slot, 0x80)
                    mstore(slot, add(mload(slot), shl(at, and(w, 0xffff))))
                }
            }
        }
    }

    /**
     * @dev {_place} for one output of rows of at most 32 features with weights of at most 16
     * bits, four features per `calldataload`: group g holds features `4 g .. 4 g + 3`, whose
     * values `w + 2^15` (all in [0, 2^16)) go to lane g of words 3, 2, 1, 0 at `set`. Weights
     * are read four at a time (bytes past the row's last weight belong to the model or lie past
     * calldata); the lanes of features `>= width` are then cleared, which is exact
     * because every lane holds a value in [0, 2^16) (no borrow). Returns the sum of the weights,
     * from the lanes: `sum_j (w_j + 2^15) - 2^15 width`. Only the `ceil(width / 4)` groups of
     * the row are read: the lanes of the others stay 0.
     */
    function _placeBlock(uint256 row, uint256 width, uint256 wb, uint256 ws, uint256 set)
        private
        pure
        returns (uint256 sum)
    {
        // Memory-safe: writes the four words at `set` (the caller's records). Reads at most 8
        // words of calldata from `row`, inside calldata or past its end (zeros). Lane sums: each word's
        // lanes are below 2^16, the four words' lanes below 2^18, and the sum of all 32 lanes
        // below 2^21: `mul` by ONES adds them into the top lane without a carry (U1).
        assembly ("memory-safe") {
            let step := shl(3, wb) // bits per weight
            let v0 := 0
            let v1 := 0
            let v2 := 0
            let v3 := 0
            // the groups of the row (lane g / 32 of each word): ceil(width / 4)
            let groups := shl(5, shr(2, add(width, 3)))
            for { let g := 0 } lt(g, groups) { g := add(g, 32) } {
                let c := calldataload(add(row, mul(shr(3, g), wb))) // features g / 8 ..
                v3 := add(v3, shl(g, add(sar(ws, c), 0x8000)))
                c := shl(step, c)
                v2 := add(v2, shl(g, add(sar(ws, c), 0x8000)))
                c := shl(step, c)
                v1 := add(v1, shl(g, add(sar(ws, c), 0x8000)))
                c := shl(step, c)
                v0 := add(v0, shl(g, add(sar(ws, c), 0x8000)))
            }
            // Word 3 - s holds features 4 g + s: the lanes below g = width / 4 are the row's, and
            // lane width / 4 in the words of s < width % 4.
            // slither-disable-next-line incorrect-shift // shl(amount, value) in Yul
            let full := sub(shl(shl(5, shr(2, width)), 1), 1)
            // slither-disable-next-line incorrect-shift // shl(amount, value) in Yul
            let part := shl(shl(5, shr(2, width)), 0xffffffff)
            let rest := and(width, 3)
            v0 := and(v0, full)
            v1 := and(v1, or(full, mul(part, gt(rest, 2))))
            v2 := and(v2, or(full, mul(part, gt(rest, 1))))
            v3 := and(v3, or(full, mul(part, gt(rest, 0))))
            mstore(set, v0)
            mstore(add(set, 0x20), v1)
            mstore(add(set, 0x40), v2)
            mstore(add(set, 0x60), v3)
            let lanesSum := shr(224, mul(add(add(v0, v1), add(v2, v3)), 0x0000000100000001000000010000000100000001000000010000000100000001))
            sum := sub(lanesSum, shl(15, width))
        }
    }

    /// @dev Zeroes the memory words from `start` to `end`.
    function _zero(uint256 start, uint256 end) private pure {
        // Memory-safe: the caller's records.
        assembly ("memory-safe") {
            for {} lt(start, end) { start := add(start, 0x20) } { mstore(start, 0) }
        }
    }

    /// @dev Model `m`'s bias `k`, sign-extended.
    function _bias(Model memory m, uint256 k) private pure returns (uint256 b) {
        uint256 at = m.biases;
        uint256 bytes_ = m.biasBytes;
        uint256 shift = m.biasShift;
        // Reads bias k inside the model (B1).
        assembly ("memory-safe") {
            b := sar(shift, calldataload(add(at, mul(k, bytes_))))
        }
    }

    /**
     * @dev Packs the one output of model `m` at memory `base` in the signed layout (S1-S5):
     * per block of 32 features, four weight words (lane `7 - T` of word `r` holding the weight
     * of the block's feature `31 - 4 T - r`, 0 past the row) and their `init`, or with `split`
     * weights (`w = 2^16 hi + lo`, `hi = w >> 16`, `lo = w & 0xffff`) the four words of `hi`, the
     * four of `lo` and the init of each; after the last block, the bias plus `half`.
     */
    function _packOne(Model memory m, uint256 width, uint256 base, uint256 half, bool split) private pure {
        unchecked {
            // B1: at most 128 blocks of 10 words.
            uint256 stride = split ? 0x140 : 0xa0; // bytes per block: 4 words and init, or 4 + 4 + 2
            uint256 end = base + ((width + 31) >> 5) * stride;
            _zero(base, end);
            _place(m, m.weights, width, base, stride, split, 0);
            // Memory-safe: writes the init words of the blocks from `base` to `end` and the bias
            // at `end`, inside the records; |bias| <= 2^63, half <= 2^62 (B3).
            assembly ("memory-safe") {
                // init = OFF - 128 ONES sum(the four words at set) (mod 2^256), 32-bit lanes (S2).
                function init(set) -> i {
                    let sum := add(add(mload(set), mload(add(set, 0x20))), add(mload(add(set, 0x40)), mload(add(set, 0x60))))
                    i := sub(
                        0x0000000080000000800000008000000080000000800000008000000080000000,
                        mul(0x0000008000000080000000800000008000000080000000800000008000000080, sum)
                    )
                }
                for { let set := base } lt(set, end) { set := add(set, stride) } {
                    switch split
                    case 0 { mstore(add(set, 0x80), init(set)) }
                    default {
                        mstore(add(set, 0x100), init(set))
                        mstore(add(set, 0x120), init(add(set, 0x80)))
                    }
                }
            }
            _store(end, _bias(m, 0) + half);
        }
    }

    /// @dev Writes `value` to the memory word at `at` (inside the caller's records).
    function _store(uint256 at, uint256 value) private pure {
        // Memory-safe: the caller's records.
        assembly ("memory-safe") {
            mstore(at, value)
        }
    }

    /**
     * @dev Packs the weights and biases of model `m` (several outputs) at memory `base` in the
     * unsigned layout (U1-U4): the weight words of output k for a block of 32 features, lane
     * `7 - T` of word `r` holding `w + 2^15` (in [0, 2^16)) of the block's feature `31 - 4 T -
     * r` (0 past the row), or with `split` weights (`w = 2^16 hi + lo`) four words of `hi +
     * 2^15` and four of `lo` (both in [0, 2^16)); and `B_k = b_k - 128 sum_j w_kj`. Rows of
     * at most 32 features (`wide` false): output k's record is its words and then `B_k`. Longer
     * rows: the words of every output for block 0, then for block 1, ..., then the pairs
     * `(B_k, B_k)` (the bias and the accumulator {_wideArgmax} starts from).
     */
    function _packArgmax(Model memory m, uint256 width, uint256 base, bool split, bool wide) private pure {
        unchecked {
            // B1: outputs <= 255, at most 128 blocks of 8 words per output. |B_k| <= 2^63 +
            // 2^7 * 4096 * 2^31 (B3), in two's complement.
            uint256 words = split ? 0x100 : 0x80; // bytes of one output's words per block
            uint256 record = wide ? words : words + 0x20; // from output k to k + 1 in block 0
            uint256 perBlock = wide ? m.outputs * words : 0; // from block b to b + 1
            uint256 biases = wide ? base + ((width + 31) >> 5) * perBlock : 0;
            _zero(base, wide ? biases : base + m.outputs * record);
            for (uint256 k = 0; k < m.outputs; ++k) {
                uint256 set = base + k * record;
                uint256 sum = wide || split
                    ? _place(m, m.weights + k * m.rowStride, width, set, perBlock, split, 0x8000)
                    : _placeBlock(m.weights + k * m.rowStride, width, m.weightBytes, m.weightShift, set);
                uint256 b = _bias(m, k) - (sum << 7);
                if (wide) {
                    _store(biases + (k << 6), b);
                    _store(biases + (k << 6) + 0x20, b);
                } else {
                    _store(set + words, b);
                }
            }
        }
    }

    /**
     * @dev The row loop of the model's kernel ({_prepare}), for `rows` rows from calldata `x`:
     * class bytes (argmax; one output: class 1 iff the score is above 0) or regression words
     * from `out`. Ties in argmax go to the lowest index.
     */
    function _predict(uint256 handle, uint256 x, uint256 out, uint256 rows) internal pure override {
        Packed memory p;
        // `handle` is the address of the Packed that {_prepare} allocated for this model.
        assembly ("memory-safe") {
            p := handle
        }
        uint256 path = p.path;
        unchecked {
            // rows <= BLOCK_ROWS: the ends lie inside the prediction buffer.
            if (path == _PATH_ARGMAX) LinearKernel.argmax(p.outputs, x, out, out + rows, p.width);
            else if (path == _PATH_ONE) _one(x, out, rows, p);
            else if (path == _PATH_BLOCK) _block(x, out, out + rows, p);
            else if (path == _PATH_WIDE_ONE) _wideOne(x, out, rows, p);
            else _wideArgmax(x, out, out + rows, p);
        }
    }

    /**
     * @dev One output, rows of at most 32 features ({_packOne}, in the fixed memory): class 1
     * iff the score is above 0 (one byte per row) or the regression prediction `score >> shift`
     * (one word per row), for the rows from calldata `x`, written from `out` to `end`. `score =
     * bias + sar(224, init + sum_r u_r V_r)`, or with split weights `bias + (sar(224, init_hi +
     * sum_r u_r H_r) << 16) + sar(224, init_lo + sum_r u_r L_r)` (S1-S5).
     */
    function _one(uint256 x, uint256 out, uint256 rows, Packed memory p) private pure {
        uint256 width = p.width;
        uint256 sh = p.shift;
        uint256 variant = (p.regression ? 2 : 0) + (p.split ? 1 : 0);
        uint256 end = out + (p.regression ? rows << 5 : rows);
        // Memory-safe: reads the fixed memory, writes the predictions from `out` to `end` (the
        // buffer of {Evaluator}). Reads 32 calldata bytes per row from x: bytes past the row
        // meet zero weights in the top lane (S3). Exact by S1-S5 and B3-B5. Lane t of u_r holds
        // the byte at position 31 - 4 t - r of the row xored with 0x80.. (u = q + 128).
        assembly ("memory-safe") {
            let m := 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff
            let h := 0x8080808080808080808080808080808080808080808080808080808080808080
            switch variant
            case 0 {
                for {} lt(out, end) { out := add(out, 1) } {
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
                for {} lt(out, end) { out := add(out, 1) } {
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
                for {} lt(out, end) { out := add(out, 0x20) } {
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
                for {} lt(out, end) { out := add(out, 0x20) } {
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
     * @dev Argmax of rows of at most 32 features whose records ({_packArgmax}) are at
     * `p.records`: more than 16 outputs, or split weights (score `B_k + (shr(224, sum_r u_r
     * H_r) << 16) + shr(224, sum_r u_r L_r)`). One loop over the outputs; a strictly greater
     * score replaces the best, so ties go to the lowest index. Writes the class of the rows
     * from calldata `x` as bytes from `out` to `end`.
     */
    function _block(uint256 x, uint256 out, uint256 end, Packed memory p) private pure {
        bool split = p.split;
        // Memory-safe: reads the records and writes the prediction bytes from `out` to `end` (the
        // buffer of {Evaluator}) and the scratch space (0x00: the row width). Reads 32 calldata
        // bytes per row from x: bytes past the row meet zero weights in the top lane (U2).
        // Exact by U1-U4.
        assembly ("memory-safe") {
            let m := 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff
            let h := 0x8080808080808080808080808080808080808080808080808080808080808080
            let rec := mload(p) // Packed.records
            mstore(0x00, mload(add(p, 0x20))) // Packed.width
            switch split
            case 0 {
                let recEnd := add(rec, mul(mload(add(p, 0x60)), 0xa0)) // Packed.outputs
                for {} lt(out, end) { out := add(out, 1) } {
                    let f := xor(calldataload(x), h)
                    let u0 := and(f, m)
                    let u1 := and(shr(8, f), m)
                    let u2 := and(shr(16, f), m)
                    let u3 := and(shr(24, f), m)
                    let s := add(mload(add(rec, 0x80)), shr(224, add(
                        add(mul(u0, mload(rec)), mul(u1, mload(add(rec, 0x20)))),
                        add(mul(u2, mload(add(rec, 0x40))), mul(u3, mload(add(rec, 0x60))))
                    )))
                    let at := rec
                    for { let q := add(rec, 0xa0) } lt(q, recEnd) { q := add(q, 0xa0) } {
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
                let recEnd := add(rec, mul(mload(add(p, 0x60)), 0x120)) // Packed.outputs
                for {} lt(out, end) { out := add(out, 1) } {
                    let f := xor(calldataload(x), h)
                    let u0 := and(f, m)
                    let u1 := and(shr(8, f), m)
                    let u2 := and(shr(16, f), m)
                    let u3 := and(shr(24, f), m)
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
                    for { let q := add(rec, 0x120) } lt(q, recEnd) { q := add(q, 0x120) } {
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

    /**
     * @dev One output, rows of more than 32 features ({_packOne}): per row the sum over its
     * blocks of `sar(224, init_b + sum_r u_r V_r)` (split weights: `(sar(.. H ..) << 16) +
     * sar(.. L ..)`), plus the bias: class 1 iff above 0, or the regression prediction `>>
     * shift`, for the rows from calldata `x`, written from `out` to `end`.
     */
    function _wideOne(uint256 x, uint256 out, uint256 rows, Packed memory p) private pure {
        bool split = p.split;
        uint256 end = out + (p.regression ? rows << 5 : rows);
        // Memory-safe: reads the records, writes the predictions from `out` to `end` (the buffer
        // of {Evaluator}), the scratch space (0x00: the row width, 0x20: 32 bytes per block) and
        // the first words of the fixed memory (0x80: regression or not, 0xa0: bytes per
        // prediction). Reads the row's blocks from x: bytes past the row meet zero weights in
        // the top lane (S3). Each block's sum is exact (S1-S5, at most 32 terms); |acc| <= 2^50
        // (B3).
        assembly ("memory-safe") {
            let m := 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff
            let h := 0x8080808080808080808080808080808080808080808080808080808080808080
            mstore(0x00, mload(add(p, 0x20))) // Packed.width
            mstore(0x20, shl(5, shr(5, add(mload(add(p, 0x20)), 31))))
            mstore(0x80, mload(add(p, 0xc0))) // Packed.regression
            mstore(0xa0, add(1, mul(31, mload(0x80))))
            switch split
            case 0 {
                for {} lt(out, end) { out := add(out, mload(0xa0)) } {
                    let acc := 0
                    let q := mload(p) // Packed.records
                    for { let b := x let xe := add(x, mload(0x20)) } lt(b, xe) { b := add(b, 32) } {
                        let f := xor(calldataload(b), h)
                        let u0 := and(f, m)
                        let u1 := and(shr(8, f), m)
                        let u2 := and(shr(16, f), m)
                        let u3 := and(shr(24, f), m)
                        acc := add(acc, sar(224, add(mload(add(q, 0x80)), add(
                            add(mul(u0, mload(q)), mul(u1, mload(add(q, 0x20)))),
                            add(mul(u2, mload(add(q, 0x40))), mul(u3, mload(add(q, 0x60))))
                        ))))
                        q := add(q, 0xa0)
                    }
                    let score := add(acc, mload(q))
                    switch mload(0x80)
                    case 0 { mstore8(out, sgt(score, 0)) }
                    default { mstore(out, sar(mload(add(p, 0x40)), score)) } // Packed.shift
                    x := add(x, mload(0x00))
                }
            }
            default {
                for {} lt(out, end) { out := add(out, mload(0xa0)) } {
                    let acc := 0
                    let q := mload(p) // Packed.records
                    for { let b := x let xe := add(x, mload(0x20)) } lt(b, xe) { b := add(b, 32) } {
                        let f := xor(calldataload(b), h)
                        let u0 := and(f, m)
                        let u1 := and(shr(8, f), m)
                        let u2 := and(shr(16, f), m)
                        let u3 := and(shr(24, f), m)
                        acc := add(acc, add(
                            shl(16, sar(224, add(mload(add(q, 0x100)), add(
                                add(mul(u0, mload(q)), mul(u1, mload(add(q, 0x20)))),
                                add(mul(u2, mload(add(q, 0x40))), mul(u3, mload(add(q, 0x60))))
                            )))),
                            sar(224, add(mload(add(q, 0x120)), add(
                                add(mul(u0, mload(add(q, 0x80))), mul(u1, mload(add(q, 0xa0)))),
                                add(mul(u2, mload(add(q, 0xc0))), mul(u3, mload(add(q, 0xe0))))
                            )))
                        ))
                        q := add(q, 0x140)
                    }
                    let score := add(acc, mload(q))
                    switch mload(0x80)
                    case 0 { mstore8(out, sgt(score, 0)) }
                    default { mstore(out, sar(mload(add(p, 0x40)), score)) } // Packed.shift
                    x := add(x, mload(0x00))
                }
            }
        }
    }

    /**
     * @dev Argmax of rows of more than 32 features ({_packArgmax}, `wide`): per row and block,
     * the block is spread once and every output's accumulator gets its sum `shr(224, sum_r u_r
     * V_r)` (split weights: `(shr(.. H ..) << 16) + shr(.. L ..)`): the first block sets it to
     * `B_k` plus the sum, the next ones add theirs, and the last one's gives the score, whose
     * argmax is taken on the way (a strictly greater score replaces the best, so ties go to the
     * lowest index). Writes the class of the rows from calldata `x` as bytes from `out` to `end`.
     */
    function _wideArgmax(uint256 x, uint256 out, uint256 end, Packed memory p) private pure {
        bool split = p.split;
        // Memory-safe: writes the scratch space (0x00: the row width, 0x20: 32 bytes per block)
        // and the first words of the fixed memory (0x80: where the (bias, acc) pairs start, 0xa0:
        // where they end, 0xc0: where the records start).
        assembly ("memory-safe") {
            let width := mload(add(p, 0x20)) // Packed.width
            let outputs := mload(add(p, 0x60)) // Packed.outputs
            let blocks := shr(5, add(width, 31))
            let words := 0x80
            if split { words := 0x100 }
            mstore(0x00, width)
            mstore(0x20, shl(5, blocks))
            mstore(0xc0, mload(p)) // Packed.records
            mstore(0x80, add(mload(p), mul(mul(blocks, outputs), words)))
            mstore(0xa0, add(mload(0x80), shl(6, outputs)))
        }
        _wideRows(x, out, end, split);
    }

    /// @dev The row loop of {_wideArgmax}, whose parameters are in the scratch space and the
    /// fixed memory.
    function _wideRows(uint256 x, uint256 out, uint256 end, bool split) private pure {
        // Memory-safe: reads the records and writes their accumulators (the second word of each
        // (bias, acc) pair), the prediction bytes from `out` to `end` (the buffer of
        // {Evaluator}). Reads the row's blocks from x (at least two: width > 32): bytes past the
        // row meet zero weights in the top lane (U2). Each block's sum is exact (U1-U4);
        // accumulators stay below 2^63 + 2^50 + 2^53 in magnitude.
        assembly ("memory-safe") {
            let m := 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff
            let h := 0x8080808080808080808080808080808080808080808080808080808080808080
            switch split
            case 0 {
                for {} lt(out, end) { out := add(out, 1) } {
                    let q := mload(0xc0) // the records
                    // block 0: acc_k = B_k + its sum
                    {
                        let f := xor(calldataload(x), h)
                        let u0 := and(f, m)
                        let u1 := and(shr(8, f), m)
                        let u2 := and(shr(16, f), m)
                        let u3 := and(shr(24, f), m)
                        for { let a := add(mload(0x80), 0x20) } lt(a, mload(0xa0)) { a := add(a, 0x40) } {
                            mstore(a, add(mload(sub(a, 0x20)), shr(224, add(
                                add(mul(u0, mload(q)), mul(u1, mload(add(q, 0x20)))),
                                add(mul(u2, mload(add(q, 0x40))), mul(u3, mload(add(q, 0x60))))
                            ))))
                            q := add(q, 0x80)
                        }
                    }
                    // the blocks between the first and the last: acc_k += its sum
                    let last := add(x, sub(mload(0x20), 32))
                    for { let b := add(x, 32) } lt(b, last) { b := add(b, 32) } {
                        let f := xor(calldataload(b), h)
                        let u0 := and(f, m)
                        let u1 := and(shr(8, f), m)
                        let u2 := and(shr(16, f), m)
                        let u3 := and(shr(24, f), m)
                        for { let a := add(mload(0x80), 0x20) } lt(a, mload(0xa0)) { a := add(a, 0x40) } {
                            mstore(a, add(mload(a), shr(224, add(
                                add(mul(u0, mload(q)), mul(u1, mload(add(q, 0x20)))),
                                add(mul(u2, mload(add(q, 0x40))), mul(u3, mload(add(q, 0x60))))
                            ))))
                            q := add(q, 0x80)
                        }
                    }
                    // the last block: score_k = acc_k + its sum, and the argmax
                    let f := xor(calldataload(last), h)
                    let u0 := and(f, m)
                    let u1 := and(shr(8, f), m)
                    let u2 := and(shr(16, f), m)
                    let u3 := and(shr(24, f), m)
                    let a := add(mload(0x80), 0x20)
                    let s := add(mload(a), shr(224, add(
                        add(mul(u0, mload(q)), mul(u1, mload(add(q, 0x20)))),
                        add(mul(u2, mload(add(q, 0x40))), mul(u3, mload(add(q, 0x60))))
                    )))
                    let at := a
                    for { a := add(a, 0x40) } lt(a, mload(0xa0)) { a := add(a, 0x40) } {
                        q := add(q, 0x80)
                        let t := add(mload(a), shr(224, add(
                            add(mul(u0, mload(q)), mul(u1, mload(add(q, 0x20)))),
                            add(mul(u2, mload(add(q, 0x40))), mul(u3, mload(add(q, 0x60))))
                        )))
                        if sgt(t, s) {
                            s := t
                            at := a
                        }
                    }
                    mstore8(out, shr(6, sub(at, mload(0x80))))
                    x := add(x, mload(0x00))
                }
            }
            default {
                for {} lt(out, end) { out := add(out, 1) } {
                    let q := mload(0xc0) // the records
                    // block 0: acc_k = B_k + its sum
                    {
                        let f := xor(calldataload(x), h)
                        let u0 := and(f, m)
                        let u1 := and(shr(8, f), m)
                        let u2 := and(shr(16, f), m)
                        let u3 := and(shr(24, f), m)
                        for { let a := add(mload(0x80), 0x20) } lt(a, mload(0xa0)) { a := add(a, 0x40) } {
                            mstore(a, add(mload(sub(a, 0x20)), add(
                                shl(16, shr(224, add(
                                    add(mul(u0, mload(q)), mul(u1, mload(add(q, 0x20)))),
                                    add(mul(u2, mload(add(q, 0x40))), mul(u3, mload(add(q, 0x60))))
                                ))),
                                shr(224, add(
                                    add(mul(u0, mload(add(q, 0x80))), mul(u1, mload(add(q, 0xa0)))),
                                    add(mul(u2, mload(add(q, 0xc0))), mul(u3, mload(add(q, 0xe0))))
                                ))
                            )))
                            q := add(q, 0x100)
                        }
                    }
                    // the blocks between the first and the last: acc_k += its sum
                    let last := add(x, sub(mload(0x20), 32))
                    for { let b := add(x, 32) } lt(b, last) { b := add(b, 32) } {
                        let f := xor(calldataload(b), h)
                        let u0 := and(f, m)
                        let u1 := and(shr(8, f), m)
                        let u2 := and(shr(16, f), m)
                        let u3 := and(shr(24, f), m)
                        for { let a := add(mload(0x80), 0x20) } lt(a, mload(0xa0)) { a := add(a, 0x40) } {
                            mstore(a, add(mload(a), add(
                                shl(16, shr(224, add(
                                    add(mul(u0, mload(q)), mul(u1, mload(add(q, 0x20)))),
                                    add(mul(u2, mload(add(q, 0x40))), mul(u3, mload(add(q, 0x60))))
                                ))),
                                shr(224, add(
                                    add(mul(u0, mload(add(q, 0x80))), mul(u1, mload(add(q, 0xa0)))),
                                    add(mul(u2, mload(add(q, 0xc0))), mul(u3, mload(add(q, 0xe0))))
                                ))
                            )))
                            q := add(q, 0x100)
                        }
                    }
                    // the last block: score_k = acc_k + its sum, and the argmax
                    let f := xor(calldataload(last), h)
                    let u0 := and(f, m)
                    let u1 := and(shr(8, f), m)
                    let u2 := and(shr(16, f), m)
                    let u3 := and(shr(24, f), m)
                    let a := add(mload(0x80), 0x20)
                    let s := add(mload(a), add(
                        shl(16, shr(224, add(
                            add(mul(u0, mload(q)), mul(u1, mload(add(q, 0x20)))),
                            add(mul(u2, mload(add(q, 0x40))), mul(u3, mload(add(q, 0x60))))
                        ))),
                        shr(224, add(
                            add(mul(u0, mload(add(q, 0x80))), mul(u1, mload(add(q, 0xa0)))),
                            add(mul(u2, mload(add(q, 0xc0))), mul(u3, mload(add(q, 0xe0))))
                        ))
                    ))
                    let at := a
                    for { a := add(a, 0x40) } lt(a, mload(0xa0)) { a := add(a, 0x40) } {
                        q := add(q, 0x100)
                        let t := add(mload(a), add(
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
                            at := a
                        }
                    }
                    mstore8(out, shr(6, sub(at, mload(0x80))))
                    x := add(x, mload(0x00))
                }
            }
        }
    }
}
