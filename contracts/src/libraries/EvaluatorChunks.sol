// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEvaluatorErrors} from "../interfaces/IEvaluatorErrors.sol";

/**
 * @title EvaluatorChunks
 * @notice What every evaluator family shares: the test-set chunk format v1 (its checks, and
 * where its rows and labels are in calldata) and the scoring of per-row predictions
 * against the labels, for {IEvaluator.scoreBatch} (correct predictions, or the sum of
 * squared errors) and {IEvaluator.tallyBatch} (per-class counts, or squared and absolute
 * errors). {Evaluator} drives it; each family only predicts.
 * @dev Every function is `internal`: the compiler inlines or jumps to them inside each
 * evaluator contract, so there is nothing to deploy or link and no DELEGATECALL. Formats
 * are in docs/formats.md ("Chunk", "Tallies"); the Python reference is
 * `mlmarket.ml.formats.decode_chunk` and `mlmarket.ml.reference.tally_batch`.
 *
 * Predictions: a family writes the predictions of `n` consecutive rows into a memory
 * buffer, one byte per row for classification (a class index `< classes`) or one signed
 * word per row for regression (the prediction in the label's fixed-point scale), and the
 * functions below compare them with the labels. Bounds used by the `unchecked` blocks and
 * assembly below (C1-C3):
 *  C1 `features <= 4096`, `rows < 2^32`, labels of 1 or 4 bytes: every size product below
 *     2^45, and every calldata pointer stays inside the chunk, whose end the ABI decoder
 *     checked against `calldatasize()` (a 32-byte load past the last label reads the bytes
 *     after it, or zeros past calldata; only the label's own bytes are used).
 *  C2 counts are at most `rows < 2^32`.
 *  C3 a regression prediction is below 2^65 in magnitude (linear and MLP: B4/M4 of their
 *     contracts; tree: a leaf's int32), a label below 2^31, so an error `|e| < 2^66`,
 *     `e^2 < 2^132`, and sums over `< 2^32` rows stay below 2^164 (squares) and 2^98
 *     (absolute values): no overflow in 256-bit words, signed or not.
 */
library EvaluatorChunks {
    /// @dev Bytes of the chunk header: magic(3) version(1) labelKind(1) features(2) rows(4).
    uint256 internal constant CHUNK_HEADER = 11;
    uint256 internal constant MAX_FEATURES = 4096;
    uint256 internal constant MAX_CLASSES = 255;
    /// @dev Chunk and model format version: the only one the evaluators read.
    uint8 internal constant VERSION = 1;
    uint8 internal constant LABEL_CLASS = 0;
    uint8 internal constant LABEL_FIXED32 = 1;
    bytes3 internal constant CHUNK_MAGIC = "MLC";
    /// @dev The magic of a model of any family (docs/formats.md).
    bytes3 internal constant MODEL_MAGIC = "MLM";
    /**
     * @dev Rows predicted per call of a family's kernel: the prediction buffer holds this
     * many (512 bytes of classes, or 16 KiB of regression words), so memory does not grow
     * with the chunk, and a kernel's set-up is paid once per 512 rows. A multiple of 32
     * (class bytes are compared a word at a time).
     */
    uint256 internal constant BLOCK_ROWS = 512;
    /**
     * @dev Where a family's fixed memory starts ({allocateFixed}): the first address Solidity
     * allocates, 0x80 (after the scratch space, the free memory pointer and the zero slot).
     */
    uint256 internal constant FIXED_MEMORY = 0x80;

    /// @dev Where the rows of a validated chunk are in calldata.
    struct Chunk {
        uint256 features; // absolute calldata offset of row 0, feature 0
        uint256 labels; // absolute calldata offset of label 0
        uint256 rows;
        uint256 width; // features per row
    }

    // --- checks -----------------------------------------------------------------------

    /// @dev Reverts with {IEvaluatorErrors.EvaluatorInvalidArguments} unless
    /// 1 <= features <= 4096 and classes is 0 (regression) or in 2..255.
    function checkArguments(uint256 features, uint256 classes) internal pure {
        if (features == 0 || features > MAX_FEATURES || classes == 1 || classes > MAX_CLASSES) {
            revert IEvaluatorErrors.EvaluatorInvalidArguments(features, classes);
        }
    }

    /// @dev Checks the arguments, then the chunk's header, length and labels; returns where
    /// its rows are.
    function read(bytes calldata chunk, uint256 features, uint256 classes) internal pure returns (Chunk memory c) {
        checkArguments(features, classes);
        if (chunk.length < CHUNK_HEADER) revert IEvaluatorErrors.EvaluatorChunkTruncated(chunk.length);
        bytes11 head = bytes11(chunk[0:CHUNK_HEADER]);
        if (bytes3(head) != CHUNK_MAGIC) revert IEvaluatorErrors.EvaluatorChunkBadMagic(bytes3(head));
        if (uint8(head[3]) != VERSION) revert IEvaluatorErrors.EvaluatorChunkUnsupportedVersion(uint8(head[3]));
        uint256 found = uint16(bytes2(head << 40));
        if (found != features) revert IEvaluatorErrors.EvaluatorChunkFeaturesMismatch(features, found);
        uint8 kind = uint8(head[4]);
        if (kind != (classes == 0 ? LABEL_FIXED32 : LABEL_CLASS)) {
            revert IEvaluatorErrors.EvaluatorChunkLabelKindMismatch(classes, kind);
        }
        c.rows = uint32(bytes4(head << 56));
        c.width = features;
        unchecked {
            // C1: rows < 2^32 and features + 4 <= 4100, so the product is below 2^45.
            uint256 expected = CHUNK_HEADER + c.rows * (features + (classes == 0 ? 4 : 1));
            if (chunk.length != expected) revert IEvaluatorErrors.EvaluatorChunkLengthMismatch(expected, chunk.length);
            // C1: both offsets lie inside `chunk`, which lies inside calldata.
            c.features = offset(chunk) + CHUNK_HEADER;
            c.labels = c.features + c.rows * features;
        }
        if (classes != 0) _checkLabels(c.labels, c.rows, classes);
    }

    /**
     * @dev Reverts with {IEvaluatorErrors.EvaluatorLabelOutOfRange} at the first label `>= classes`.
     * Up to 128 classes, 32 labels at a time: a byte `b` exceeds `K - 1 <= 127` iff the high bit
     * of `b | (b + 128 - K)` is set (`b + 128 - K <= 254`: no carry into the next byte); the
     * first bad label is then looked for one byte at a time.
     */
    function _checkLabels(uint256 labels, uint256 rows, uint256 classes) private pure {
        uint256 bad = rows;
        // Reads the bytes at `labels + r` for r < rows: inside the chunk (its length was
        // checked); a word's bytes past the last label are masked off.
        assembly ("memory-safe") {
            let from := 0
            if lt(classes, 129) {
                let lift := mul(0x0101010101010101010101010101010101010101010101010101010101010101, sub(128, classes))
                for {} lt(from, rows) { from := add(from, 32) } {
                    let y := calldataload(add(labels, from))
                    let high := and(or(add(y, lift), y), 0x8080808080808080808080808080808080808080808080808080808080808080)
                    if lt(sub(rows, from), 32) { high := and(high, not(shr(shl(3, sub(rows, from)), not(0)))) }
                    if high { break }
                }
            }
            for { let r := from } lt(r, rows) { r := add(r, 1) } {
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
            revert IEvaluatorErrors.EvaluatorLabelOutOfRange(bad, label, classes);
        }
    }

    /// @dev Absolute calldata offset of the first byte of `data`.
    function offset(bytes calldata data) internal pure returns (uint256 start) {
        // Reads the offset the ABI decoder already validated; no memory is touched.
        assembly ("memory-safe") {
            start := data.offset
        }
    }

    // --- predictions ------------------------------------------------------------------

    /**
     * @dev Allocates `size` bytes at {FIXED_MEMORY}, for a kernel that addresses them with
     * constants. Must be the call's first allocation: the free memory pointer must still be at
     * 0x80, where Solidity starts (calldata arguments allocate nothing); otherwise it reverts.
     */
    function allocateFixed(uint256 size) internal pure {
        // Memory-safe: moves the free memory pointer over [0x80, 0x80 + size), which nothing
        // has allocated (checked), so the bytes belong to the caller from now on.
        assembly ("memory-safe") {
            if iszero(eq(mload(0x40), FIXED_MEMORY)) { revert(0, 0) }
            mstore(0x40, add(FIXED_MEMORY, size))
        }
    }

    /// @dev Allocates the prediction buffer for a chunk of `rows` rows: the predictions of
    /// `min(rows, BLOCK_ROWS)` rows, class bytes (rounded up to whole words) or words.
    function buffer(uint256 rows, uint256 classes) internal pure returns (uint256 start) {
        uint256 n = rows < BLOCK_ROWS ? rows : BLOCK_ROWS;
        unchecked {
            // n <= 512: at most 16 KiB.
            uint256 size = classes == 0 ? n << 5 : ((n + 31) >> 5) << 5;
            // Allocates `size` bytes at the free memory pointer (and moves it past them).
            assembly ("memory-safe") {
                start := mload(0x40)
                mstore(0x40, add(start, size))
            }
        }
    }

    /// @dev Rows of the block starting at row `start` of a chunk of `rows` rows.
    function blockRows(uint256 start, uint256 rows) internal pure returns (uint256) {
        unchecked {
            // start < rows.
            uint256 left = rows - start;
            return left < BLOCK_ROWS ? left : BLOCK_ROWS;
        }
    }

    /// @dev The free memory pointer, to release a model's scratch with {release}.
    function freeMemory() internal pure returns (uint256 free) {
        // Reads the free memory pointer; touches nothing else.
        assembly ("memory-safe") {
            free := mload(0x40)
        }
    }

    /// @dev Resets the free memory pointer to `free`, from {freeMemory}: the memory allocated
    /// since then must no longer be referenced (a model's scratch, once it was scored).
    function release(uint256 free) internal pure {
        // Memory-safe: moves the pointer back over memory nothing references any more.
        assembly ("memory-safe") {
            mstore(0x40, free)
        }
    }

    // --- scoring ----------------------------------------------------------------------

    /**
     * @dev Rows whose predicted class (one byte each at `predictions`) equals their label
     * (one byte each at calldata `labels`), for `n` rows. Word-wise: 32 predictions xor 32
     * labels leave a zero byte where they agree; or-folding each byte onto its lowest bit
     * (shifts by 4, 2, 1 stay inside the byte for bit 0) and multiplying by `ONES =
     * 0x0101..01` sums the 32 bits into the top byte (each partial sum <= 32, no carries).
     */
    function countCorrect(uint256 predictions, uint256 labels, uint256 n) internal pure returns (uint256 correct) {
        // Reads `n` prediction bytes (whole words of the buffer, which {buffer} rounds up) and
        // `n` labels (C1); bytes past the n-th are masked off. Writes nothing. C2: correct <= n.
        assembly ("memory-safe") {
            let ones := 0x0101010101010101010101010101010101010101010101010101010101010101
            let p := predictions
            let end := add(predictions, n)
            for { let whole := sub(end, and(n, 31)) } lt(p, whole) {
                p := add(p, 32)
                labels := add(labels, 32)
            } {
                let x := xor(mload(p), calldataload(labels))
                x := or(x, shr(4, x))
                x := or(x, shr(2, x))
                x := or(x, shr(1, x))
                correct := add(correct, sub(32, shr(248, mul(and(x, ones), ones))))
            }
            let m := sub(end, p)
            if m {
                // the first m bytes: not(shr(8 m, not(0))) keeps them
                let x := and(xor(mload(p), calldataload(labels)), not(shr(shl(3, m), not(0))))
                x := or(x, shr(4, x))
                x := or(x, shr(2, x))
                x := or(x, shr(1, x))
                correct := add(correct, sub(m, shr(248, mul(and(x, ones), ones))))
            }
        }
    }

    /**
     * @dev Sum of `(prediction - label)^2` over `n` rows: signed prediction words at
     * `predictions`, int32 labels at calldata `labels`. Eight rows per step: one
     * `calldataload` holds their eight labels (label k is `sar(224, shl(32 k, word))`).
     */
    function sumSquaredErrors(uint256 predictions, uint256 labels, uint256 n) internal pure returns (uint256 sum) {
        // Reads n words of the buffer and n labels (C1; a step's load of eight labels lies
        // inside the chunk); writes nothing. Exact by C3.
        assembly ("memory-safe") {
            let end := add(predictions, shl(5, n))
            for { let whole := sub(end, shl(5, and(n, 7))) } lt(predictions, whole) {
                predictions := add(predictions, 0x100)
                labels := add(labels, 32)
            } {
                let y := calldataload(labels)
                let e := sub(mload(predictions), sar(224, y))
                sum := add(sum, mul(e, e))
                e := sub(mload(add(predictions, 0x20)), sar(224, shl(32, y)))
                sum := add(sum, mul(e, e))
                e := sub(mload(add(predictions, 0x40)), sar(224, shl(64, y)))
                sum := add(sum, mul(e, e))
                e := sub(mload(add(predictions, 0x60)), sar(224, shl(96, y)))
                sum := add(sum, mul(e, e))
                e := sub(mload(add(predictions, 0x80)), sar(224, shl(128, y)))
                sum := add(sum, mul(e, e))
                e := sub(mload(add(predictions, 0xa0)), sar(224, shl(160, y)))
                sum := add(sum, mul(e, e))
                e := sub(mload(add(predictions, 0xc0)), sar(224, shl(192, y)))
                sum := add(sum, mul(e, e))
                e := sub(mload(add(predictions, 0xe0)), sar(224, shl(224, y)))
                sum := add(sum, mul(e, e))
            }
            for {} lt(predictions, end) {
                predictions := add(predictions, 0x20)
                labels := add(labels, 4)
            } {
                let e := sub(mload(predictions), sar(224, calldataload(labels)))
                sum := add(sum, mul(e, e))
            }
        }
    }

    /**
     * @dev Labels per class of a validated classification chunk: `support[c]` is the number
     * of rows labelled `c` (`classes` entries). Two classes: the byte sum of 32 labels at a
     * time; up to 32 classes, a histogram of 32 labels at a time ({_lanes}); more classes, one
     * memory counter per class.
     */
    function support(Chunk memory c, uint256 classes) internal pure returns (uint256[] memory counts) {
        counts = new uint256[](classes);
        uint256 labels = c.labels;
        uint256 rows = c.rows;
        if (classes == 2) {
            // Memory-safe: writes the two words of `counts`; reads the chunk's `rows` labels (C1),
            // bytes 0 or 1 (checked by {read}), bytes past the last masked off. A word's byte sum
            // is at most 32: `mul` by 0x0101..01 adds them into the top byte without a carry.
            assembly ("memory-safe") {
                let ones := 0x0101010101010101010101010101010101010101010101010101010101010101
                let n1 := 0
                for { let i := 0 } lt(i, rows) { i := add(i, 32) } {
                    let y := calldataload(add(labels, i))
                    if lt(sub(rows, i), 32) { y := and(y, not(shr(shl(3, sub(rows, i)), not(0)))) }
                    n1 := add(n1, shr(248, mul(y, ones)))
                }
                mstore(add(counts, 0x20), sub(rows, n1))
                mstore(add(counts, 0x40), n1)
            }
            return counts;
        }
        if (classes <= 32) {
            unchecked {
                // C1: every label of the chunk is read; per block of BLOCK_ROWS rows the 16-bit
                // lanes count at most 512 (C2), flushed into `counts` once per block.
                for (uint256 start = 0; start < rows; start += BLOCK_ROWS) {
                    (uint256 even, uint256 odd) = _lanes(0, labels + start, blockRows(start, rows), 0);
                    // Memory-safe: adds lane k to counts[k], k < classes.
                    assembly ("memory-safe") {
                        for { let k := 0 } lt(k, classes) { k := add(k, 1) } {
                            let w := even
                            if and(k, 1) { w := odd }
                            let slot := add(counts, shl(5, add(k, 1)))
                            mstore(slot, add(mload(slot), and(shr(shl(3, and(k, 30)), w), 0xffff)))
                        }
                    }
                }
            }
            return counts;
        }
        // Memory-safe: writes only the words of `counts` (every label < classes: checked by
        // {read}); reads the chunk's `rows` labels (C1). C2: counts <= rows.
        assembly ("memory-safe") {
            let base := add(counts, 0x20)
            for { let end := add(labels, rows) } lt(labels, end) { labels := add(labels, 1) } {
                let slot := add(base, shl(5, byte(0, calldataload(labels))))
                mstore(slot, add(mload(slot), 1))
            }
        }
    }

    /**
     * @dev Adds the counts of `n <= BLOCK_ROWS` rows to `tally` = `[correct, tp_0 .. tp_{K-1},
     * predicted_0 .. predicted_{K-1}]` (`K = classes`, 1 + 2K words): class bytes at
     * `predictions` (each `< classes`, as every family guarantees), labels at calldata `labels`
     * (each `< classes`, checked by {read}). Two classes: 32 rows at a time by byte sums
     * ({_tallyBinary}); up to 32: 32 rows at a time into the lanes of histograms
     * ({_tallyLanes}), added to `tally` once per call; more, one memory counter update per row.
     */
    function tallyClasses(uint256 predictions, uint256 labels, uint256 n, uint256[] memory tally, uint256 classes)
        internal
        pure
    {
        if (classes == 2) return _tallyBinary(predictions, labels, n, tally);
        if (classes <= 32) return _tallyLanes(predictions, labels, n, tally, classes);
        // Memory-safe: writes only words of `tally` (1 + 2K words): tp at 1 + label, predicted
        // at 1 + K + prediction, both < 1 + 2K. Reads n buffer bytes and n labels (C1). C2.
        assembly ("memory-safe") {
            let tp := add(tally, 0x40)
            let predicted := add(tp, shl(5, classes))
            let correct := mload(add(tally, 0x20))
            for { let end := add(predictions, n) } lt(predictions, end) {
                predictions := add(predictions, 1)
                labels := add(labels, 1)
            } {
                let p := byte(0, mload(predictions))
                let slot := add(predicted, shl(5, p))
                mstore(slot, add(mload(slot), 1))
                if eq(p, byte(0, calldataload(labels))) {
                    slot := add(tp, shl(5, p))
                    mstore(slot, add(mload(slot), 1))
                    correct := add(correct, 1)
                }
            }
            mstore(add(tally, 0x20), correct)
        }
    }

    /**
     * @dev {tallyClasses} for two classes, 32 rows per word: with prediction and label bytes
     * 0 or 1, the rows predicted 1 are the byte sum of the predictions, the hits of class 1 the
     * byte sum of `predictions & labels`, the misses the byte sum of `predictions ^ labels`
     * (each sum at most 32, so `mul` by 0x0101..01 adds them without a carry into the top byte).
     */
    function _tallyBinary(uint256 predictions, uint256 labels, uint256 n, uint256[] memory tally) private pure {
        // Memory-safe: writes only the five words of `tally`; reads n buffer bytes (whole words
        // of the buffer) and n labels (C1); bytes past the n-th are masked off. C2.
        assembly ("memory-safe") {
            let ones := 0x0101010101010101010101010101010101010101010101010101010101010101
            let p1 := 0 // rows predicted 1
            let t1 := 0 // rows labelled and predicted 1
            let miss := 0
            for { let end := add(predictions, n) } lt(predictions, end) {
                predictions := add(predictions, 32)
                labels := add(labels, 32)
            } {
                let keep := not(0)
                if lt(sub(end, predictions), 32) { keep := not(shr(shl(3, sub(end, predictions)), not(0))) }
                let p := and(mload(predictions), keep)
                let y := and(calldataload(labels), keep)
                p1 := add(p1, shr(248, mul(p, ones)))
                t1 := add(t1, shr(248, mul(and(p, y), ones)))
                miss := add(miss, shr(248, mul(xor(p, y), ones)))
            }
            let correct := sub(n, miss)
            mstore(add(tally, 0x20), add(mload(add(tally, 0x20)), correct))
            mstore(add(tally, 0x40), add(mload(add(tally, 0x40)), sub(correct, t1))) // tp_0
            mstore(add(tally, 0x60), add(mload(add(tally, 0x60)), t1)) // tp_1
            mstore(add(tally, 0x80), add(mload(add(tally, 0x80)), sub(n, p1))) // predicted_0
            mstore(add(tally, 0xa0), add(mload(add(tally, 0xa0)), p1)) // predicted_1
        }
    }

    /**
     * @dev {tallyClasses} for up to 32 classes, 32 rows per word ({_lanes}). Up to 16 classes,
     * one histogram of `p + 16 hit`: lane c counts the rows predicted c that miss, lane `16 + c`
     * the hits of class c (16 is even: both in the same word, 128 bits apart). Up to 32, one
     * histogram of the predictions and one of the hits.
     */
    function _tallyLanes(uint256 predictions, uint256 labels, uint256 n, uint256[] memory tally, uint256 classes)
        private
        pure
    {
        uint256 predictedEven;
        uint256 predictedOdd;
        uint256 hitEven;
        uint256 hitOdd;
        if (classes <= 16) {
            (hitEven, hitOdd) = _lanes(predictions, labels, n, 1);
            unchecked {
                // lanes of at most n <= 512: no carry
                predictedEven = (hitEven & type(uint128).max) + (hitEven >> 128);
                predictedOdd = (hitOdd & type(uint128).max) + (hitOdd >> 128);
            }
            hitEven >>= 128;
            hitOdd >>= 128;
        } else {
            (predictedEven, predictedOdd) = _lanes(predictions, labels, n, 2);
            (hitEven, hitOdd) = _lanes(predictions, labels, n, 3);
        }
        // Memory-safe: writes only words of `tally` (1 + 2K words): tp at 1 + c, predicted at 1 +
        // K + c, c < K. C2: each count at most n <= 512 per block.
        assembly ("memory-safe") {
            let tp := add(tally, 0x40)
            let predicted := add(tp, shl(5, classes))
            let correct := 0
            for { let k := 0 } lt(k, classes) { k := add(k, 1) } {
                let h := hitEven
                let q := predictedEven
                if and(k, 1) {
                    h := hitOdd
                    q := predictedOdd
                }
                let at := shl(3, and(k, 30))
                h := and(shr(at, h), 0xffff)
                let slot := add(tp, shl(5, k))
                mstore(slot, add(mload(slot), h))
                slot := add(predicted, shl(5, k))
                mstore(slot, add(mload(slot), and(shr(at, q), 0xffff)))
                correct := add(correct, h)
            }
            mstore(add(tally, 0x20), add(mload(add(tally, 0x20)), correct))
        }
    }

    /**
     * @dev A histogram of `n <= BLOCK_ROWS` rows, 32 rows a word, in 32 lanes of 16 bits: lane v
     * (bit `8 v` of `even` for even v, bit `8 (v - 1)` of `odd` for odd v) counts the rows of
     * value v (< 32): by `mode`, 0: the label at calldata `labels`; 1: the prediction byte at
     * `predictions` plus 16 if it equals the label (both < 16); 2: the prediction; 3: the
     * prediction of the rows that hit their label (the others are not counted). Per word, the
     * 32 values are counted in 8-bit lanes (at most 32 each), split into the even and odd
     * lanes, which count at most n <= 512 (no carry). Rows not counted (past the n-th, or
     * misses in mode 3) are given value 0 and taken off lane 0 again.
     */
    function _lanes(uint256 predictions, uint256 labels, uint256 n, uint256 mode)
        private
        pure
        returns (uint256 even, uint256 odd)
    {
        // Reads n labels and (modes 1-3) n buffer bytes, whole words (C1); writes nothing.
        // Or-folding the xor of a prediction and its label onto bit 0 of each byte leaves 1
        // where they differ. Each value is below 32, so `8 v` fits its byte and `shl(8 v, 1)` is
        // lane v's 1: the sum of the 32 of a word is its histogram in 8-bit lanes (at most 32).
        assembly ("memory-safe") {
            let ones := 0x0101010101010101010101010101010101010101010101010101010101010101
            for { let i := 0 } lt(i, n) { i := add(i, 32) } {
                let q := calldataload(add(labels, i))
                let keep := not(0)
                let dropped := 0
                if lt(sub(n, i), 32) {
                    keep := not(shr(shl(3, sub(n, i)), not(0))) // the first n - i bytes
                    dropped := sub(32, sub(n, i))
                }
                if mode {
                    let p := mload(add(predictions, i))
                    let z := xor(p, q)
                    z := or(z, shr(4, z))
                    z := or(z, shr(2, z))
                    z := or(z, shr(1, z))
                    let miss := and(z, ones) // 1 in each byte where p != label
                    switch mode
                    case 1 { q := add(p, shl(4, xor(miss, ones))) } // p + 16 hit, < 32
                    case 2 { q := p }
                    default {
                        q := and(p, mul(xor(miss, ones), 0xff))
                        dropped := add(dropped, shr(248, mul(and(miss, keep), ones)))
                    }
                }
                q := shl(3, and(q, keep))
                // slither-disable-next-line incorrect-shift // shl(amount, value) in Yul
                let w := add(
                    add(add(add(add(shl(byte(0, q), 1), shl(byte(1, q), 1)), add(shl(byte(2, q), 1), shl(byte(3, q), 1))), add(add(shl(byte(4, q), 1), shl(byte(5, q), 1)), add(shl(byte(6, q), 1), shl(byte(7, q), 1)))), add(add(add(shl(byte(8, q), 1), shl(byte(9, q), 1)), add(shl(byte(10, q), 1), shl(byte(11, q), 1))), add(add(shl(byte(12, q), 1), shl(byte(13, q), 1)), add(shl(byte(14, q), 1), shl(byte(15, q), 1))))),
                    add(add(add(add(shl(byte(16, q), 1), shl(byte(17, q), 1)), add(shl(byte(18, q), 1), shl(byte(19, q), 1))), add(add(shl(byte(20, q), 1), shl(byte(21, q), 1)), add(shl(byte(22, q), 1), shl(byte(23, q), 1)))), add(add(add(shl(byte(24, q), 1), shl(byte(25, q), 1)), add(shl(byte(26, q), 1), shl(byte(27, q), 1))), add(add(shl(byte(28, q), 1), shl(byte(29, q), 1)), add(shl(byte(30, q), 1), shl(byte(31, q), 1)))))
                )
                even := add(sub(even, dropped), and(w, 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff))
                odd := add(odd, and(shr(8, w), 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff))
            }
        }
    }

    /// @dev Adds the errors of `n` rows to `tally` = `[sse, sae]`: signed prediction words at
    /// `predictions`, int32 labels at calldata `labels`.
    function tallyErrors(uint256 predictions, uint256 labels, uint256 n, uint256[] memory tally) internal pure {
        // Memory-safe: writes only the two words of `tally`; reads n buffer words and n labels
        // (C1). Exact by C3 (|e| < 2^66).
        assembly ("memory-safe") {
            let sse := mload(add(tally, 0x20))
            let sae := mload(add(tally, 0x40))
            for { let end := add(predictions, shl(5, n)) } lt(predictions, end) {
                predictions := add(predictions, 0x20)
                labels := add(labels, 4)
            } {
                let e := sub(mload(predictions), sar(224, calldataload(labels)))
                sse := add(sse, mul(e, e))
                let sign := sar(255, e) // 0 or -1: |e| = (e xor sign) - sign
                sae := add(sae, sub(xor(e, sign), sign))
            }
            mstore(add(tally, 0x20), sse)
            mstore(add(tally, 0x40), sae)
        }
    }
}
