// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IEvaluator} from "./interfaces/IEvaluator.sol";
import {ITreeEvaluator} from "./interfaces/ITreeEvaluator.sol";

/**
 * @title TreeEvaluator
 * @notice Scores decision trees and small forests on a test-set chunk (chunk format v1, the
 * same as every family): a row goes left at a node iff `q[feature] <= threshold` (int8,
 * signed); a forest predicts the class most trees vote for (ties to the lowest class); a
 * regression tree predicts its leaf's int32 value. Stateless.
 * @dev Formats are in docs/formats.md ("Model (tree family)"); `mlmarket.ml.tree` returns the
 * same numbers. A node whose feature field is 0xFFFF is a leaf. Bounds used by every `unchecked` block and assembly below (T1-T4):
 *  T1 `features <= 4096`, trees <= 255, nodes per tree <= 65535 (6 bytes each), rows < 2^32:
 *     every size product is below 2^40 and every calldata pointer stays inside its `bytes`
 *     argument, whose end the ABI decoder checked against `calldatasize()`.
 *  T2 validation guarantees, for every internal node i of a tree of n nodes,
 *     `i + 1 < right < n` and `feature < features`; so a walk from the root visits strictly
 *     increasing indices below n, reads only features of the current row, and ends at a
 *     leaf after at most n - 1 steps.
 *  T3 a classifier's leaf holds a class `< classes <= 255`, so a vote indexes the votes array
 *     in bounds; votes per class <= 255.
 *  T4 regression: `|leaf| <= 2^31`, `|y| <= 2^31`, `e^2 <= 2^64`, a chunk's sum < 2^96.
 */
contract TreeEvaluator is ITreeEvaluator {
    /// @dev Bytes of the chunk header: magic(3) version(1) labelKind(1) features(2) rows(4).
    uint256 private constant _CHUNK_HEADER = 11;
    /// @dev Bytes of the model header: magic(3) version family task classes trees features(2).
    uint256 private constant _MODEL_HEADER = 10;
    uint256 private constant _NODE = 6;
    uint256 private constant _MAX_FEATURES = 4096;
    uint256 private constant _MAX_CLASSES = 255;
    uint8 private constant _VERSION = 1;
    uint8 private constant _FAMILY_TREE = 3;
    uint8 private constant _LABEL_CLASS = 0;
    uint8 private constant _LABEL_FIXED32 = 1;
    bytes3 private constant _CHUNK_MAGIC = "MLC";
    bytes3 private constant _MODEL_MAGIC = "MLM";
    bytes32 private constant _FAMILY = keccak256("tree");

    /// @dev Where the rows of a validated chunk are in calldata.
    struct Chunk {
        uint256 features; // absolute calldata offset of row 0, feature 0
        uint256 labels; // absolute calldata offset of label 0
        uint256 rows;
        uint256 width; // features per row
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
        _checkArguments(features, classes);
        Chunk memory c = _readChunk(chunk, features, classes);
        rows = c.rows;
        values = new uint256[](models.length);
        for (uint256 i = 0; i < models.length; ++i) {
            uint256[] memory roots = _readModel(i, models[i], features, classes);
            values[i] = _score(c, roots, classes);
        }
    }

    /// @inheritdoc IEvaluator
    /// @dev Budget: `maxTrees | maxDepth << 8 | maxNodes << 16` (trees, internal nodes on the
    /// deepest root-to-leaf walk, nodes of all trees). Work: node visits per row at most,
    /// trees x depth.
    function checkModel(bytes calldata model, uint256 features, uint256 classes, uint256 budget)
        external
        pure
        returns (uint256 work)
    {
        _checkArguments(features, classes);
        uint256[] memory roots = _readModel(0, model, features, classes);
        uint256 maxTrees = uint8(budget);
        uint256 maxDepth = uint8(budget >> 8);
        uint256 maxNodes = uint32(budget >> 16);
        uint256 nodes;
        unchecked {
            // T1: the model's length bounds the node count; 2 header bytes per tree.
            nodes = (model.length - _MODEL_HEADER - 2 * roots.length) / _NODE;
        }
        // Counts first: the depth pass allocates memory per node.
        if (roots.length > maxTrees || nodes > maxNodes) {
            revert TreeEvaluatorModelOverBudget(roots.length, 0, nodes, maxTrees, maxDepth, maxNodes);
        }
        uint256 depth = 0;
        for (uint256 t = 0; t < roots.length; ++t) {
            uint256 d = _depth(roots[t]);
            if (d > depth) depth = d;
        }
        if (depth > maxDepth) revert TreeEvaluatorModelOverBudget(roots.length, depth, nodes, maxTrees, maxDepth, maxNodes);
        unchecked {
            work = roots.length * depth; // T1: <= 255 * 65535
        }
    }

    /**
     * @dev Internal nodes on the deepest walk of the validated tree at calldata `root`. Its
     * node count is the 2 bytes before `root`. By T2 a node's children (i + 1 and `right`)
     * come after it, so one pass in index order knows each node's depth before its children.
     */
    function _depth(uint256 root) private pure returns (uint256 deepest) {
        uint256 nodes;
        // In bounds: {_readTrees} read the count at root - 2 and checked every node.
        assembly ("memory-safe") {
            nodes := shr(240, calldataload(sub(root, 2)))
        }
        uint256[] memory depth = new uint256[](nodes);
        assembly ("memory-safe") {
            let base := add(depth, 0x20)
            for { let i := 0 } lt(i, nodes) { i := add(i, 1) } {
                let word := calldataload(add(root, mul(i, 6)))
                let d := mload(add(base, shl(5, i)))
                switch eq(shr(240, word), 0xffff)
                case 1 { if gt(d, deepest) { deepest := d } }
                default {
                    let right := and(shr(208, word), 0xffffff)
                    mstore(add(base, shl(5, add(i, 1))), add(d, 1))
                    mstore(add(base, shl(5, right)), add(d, 1))
                }
            }
        }
    }

    // --- validation -------------------------------------------------------------------

    /// @dev Reverts with {TreeEvaluatorInvalidArguments} unless 1 <= features <= 4096 and classes is 0
    /// (regression) or in 2..255: the checks {scoreBatch} and {checkModel} start with.
    function _checkArguments(uint256 features, uint256 classes) private pure {
        if (features == 0 || features > _MAX_FEATURES || classes == 1 || classes > _MAX_CLASSES) {
            revert TreeEvaluatorInvalidArguments(features, classes);
        }
    }

    /// @dev Checks the chunk header, length and labels; returns where its rows are.
    function _readChunk(bytes calldata chunk, uint256 features, uint256 classes)
        private
        pure
        returns (Chunk memory c)
    {
        if (chunk.length < _CHUNK_HEADER) revert TreeEvaluatorChunkTruncated(chunk.length);
        bytes11 head = bytes11(chunk[0:_CHUNK_HEADER]);
        if (bytes3(head) != _CHUNK_MAGIC) revert TreeEvaluatorChunkBadMagic(bytes3(head));
        if (uint8(head[3]) != _VERSION) revert TreeEvaluatorChunkUnsupportedVersion(uint8(head[3]));
        uint256 found = uint16(bytes2(head << 40));
        if (found != features) revert TreeEvaluatorChunkFeaturesMismatch(features, found);
        uint8 kind = uint8(head[4]);
        if (kind != (classes == 0 ? _LABEL_FIXED32 : _LABEL_CLASS)) {
            revert TreeEvaluatorChunkLabelKindMismatch(classes, kind);
        }
        c.rows = uint32(bytes4(head << 56));
        c.width = features;
        unchecked {
            // B1: rows < 2^32 and features + 4 <= 4100, so the product is below 2^45.
            uint256 expected = _CHUNK_HEADER + c.rows * (features + (classes == 0 ? 4 : 1));
            if (chunk.length != expected) revert TreeEvaluatorChunkLengthMismatch(expected, chunk.length);
            // B1: both offsets lie inside `chunk`, which lies inside calldata.
            c.features = _offset(chunk) + _CHUNK_HEADER;
            c.labels = c.features + c.rows * features;
        }
        if (classes != 0) _checkLabels(c.labels, c.rows, classes);
    }

    /// @dev Reverts with {TreeEvaluatorLabelOutOfRange} at the first label `>= classes`.
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
            revert TreeEvaluatorLabelOutOfRange(bad, label, classes);
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

    /// @dev Checks model `index`'s header and every tree; returns each tree's node 0 offset.
    function _readModel(uint256 index, bytes calldata model, uint256 features, uint256 classes)
        private
        pure
        returns (uint256[] memory roots)
    {
        if (model.length < _MODEL_HEADER) revert TreeEvaluatorModelTruncated(index, model.length);
        bytes10 head = bytes10(model[0:_MODEL_HEADER]);
        if (bytes3(head) != _MODEL_MAGIC) revert TreeEvaluatorModelBadMagic(index, bytes3(head));
        if (uint8(head[3]) != _VERSION) revert TreeEvaluatorModelUnsupportedVersion(index, uint8(head[3]));
        if (uint8(head[4]) != _FAMILY_TREE) revert TreeEvaluatorModelWrongFamily(index, uint8(head[4]));
        uint8 task = uint8(head[5]);
        uint8 k = uint8(head[6]);
        uint8 count = uint8(head[7]);
        bool ok = classes == 0 ? task == 1 && k == 0 && count == 1 : task == 0 && k == classes && count >= 1;
        if (!ok) revert TreeEvaluatorModelShapeMismatch(index, task, k, count, classes);
        uint256 found = uint16(bytes2(head << 64));
        if (found != features) revert TreeEvaluatorModelFeaturesMismatch(index, features, found);
        roots = _readTrees(index, model, count, features, classes);
    }

    /// @dev Checks each tree's node count and nodes, then the total length; returns the roots.
    function _readTrees(uint256 index, bytes calldata model, uint256 count, uint256 features, uint256 classes)
        private
        pure
        returns (uint256[] memory roots)
    {
        roots = new uint256[](count);
        uint256 p = _MODEL_HEADER;
        for (uint256 t = 0; t < count; ++t) {
            unchecked {
                // T1: p < 2^32 (bounded by the model's length plus one tree), no overflow.
                if (p + 2 > model.length) revert TreeEvaluatorModelTreeTruncated(index, t);
                uint256 nodes = uint16(bytes2(model[p:p + 2]));
                if (nodes == 0) revert TreeEvaluatorModelEmptyTree(index, t);
                p += 2;
                if (p + nodes * _NODE > model.length) revert TreeEvaluatorModelTreeTruncated(index, t);
                roots[t] = _offset(model) + p;
                uint256 bad = _firstBadNode(roots[t], nodes, features, classes);
                if (bad < nodes) revert TreeEvaluatorModelBadNode(index, t, bad);
                p += nodes * _NODE;
            }
        }
        if (p != model.length) revert TreeEvaluatorModelLengthMismatch(index, p, model.length);
    }

    /**
     * @dev Index of the first node of the tree at calldata `start` (`nodes` nodes) that breaks
     * T2/T3, or `nodes` if all are fine. Reads only the tree's nodes (checked to be inside
     * the model by the caller); each 32-byte load uses its leading 6 bytes.
     */
    function _firstBadNode(uint256 start, uint256 nodes, uint256 features, uint256 classes)
        private
        pure
        returns (uint256 bad)
    {
        bad = nodes;
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, nodes) { i := add(i, 1) } {
                let word := calldataload(add(start, mul(i, 6)))
                let f := shr(240, word)
                let good := 0
                switch eq(f, 0xffff)
                case 1 {
                    // leaf: any int32 for regression, a class index below `classes` otherwise
                    let v := and(shr(208, word), 0xffffffff)
                    good := or(iszero(classes), lt(v, classes))
                }
                default {
                    let right := and(shr(208, word), 0xffffff)
                    good := and(lt(f, features), and(gt(right, add(i, 1)), lt(right, nodes)))
                }
                if iszero(good) {
                    bad := i
                    break
                }
            }
        }
    }

    // --- scoring ----------------------------------------------------------------------

    /**
     * @dev Correct predictions of the trees at `roots` on chunk `c`, or the sum of squared
     * errors. One assembly loop over the rows (no call per row or tree). A forest of at most
     * 32 classes keeps its votes in the bytes of one word (byte k = class k; T3: at most 255
     * trees, so a count fits its byte and never carries), reset by one assignment per row;
     * more classes count in the memory array `votes`. Argmax keeps the first maximum.
     */
    function _score(Chunk memory c, uint256[] memory roots, uint256 classes) private pure returns (uint256 value) {
        uint256[] memory votes = new uint256[](classes > 32 ? classes : 0);
        // Memory-safe: reads `c`, `roots`, writes only `votes` and the scratch word 0x00. Calldata reads: each row's
        // features at x = features + r * width (r < rows, T1), labels at labels + r (class
        // bytes) or + 4 r (int32), and the validated trees (T2). Arithmetic: a vote count
        // <= 255 (T3), correct predictions <= rows < 2^32, squared errors as T4.
        assembly ("memory-safe") {
            // The leaf's 32-bit field reached from node 0 at `node0` by the row at `x` (T2):
            // left (the next node) iff the feature byte <= the threshold byte, both signed; as
            // unsigned bytes after xor 0x80 the order is the same.
            function walk(node0, row) -> leaf {
                let p := node0
                for {} 1 {} {
                    let word := calldataload(p)
                    let f := shr(240, word)
                    if eq(f, 0xffff) {
                        leaf := and(shr(208, word), 0xffffffff)
                        break
                    }
                    switch gt(xor(byte(0, calldataload(add(row, f))), 0x80), xor(byte(2, word), 0x80))
                    case 0 { p := add(p, 6) }
                    default { p := add(node0, mul(and(shr(208, word), 0xffffff), 6)) }
                }
            }
            // Votes of the trees whose roots are the words [first, end) for the row at x, one
            // byte per class (byte k = class k).
            function tally(from, to, row) -> counts {
                for { let t := from } lt(t, to) { t := add(t, 0x20) } {
                    counts := add(counts, shl(shl(3, sub(31, walk(mload(t), row))), 1))
                }
            }
            function argmaxBytes(counts, n) -> best {
                let top := byte(0, counts)
                for { let k := 1 } lt(k, n) { k := add(k, 1) } {
                    let v := byte(k, counts)
                    if gt(v, top) {
                        top := v
                        best := k
                    }
                }
            }
            // The same with one memory word per class at [base, base + 32 classes).
            function voteWords(base, n, from, to, row) -> best {
                let last := add(base, shl(5, n))
                for { let p := base } lt(p, last) { p := add(p, 0x20) } { mstore(p, 0) }
                for { let t := from } lt(t, to) { t := add(t, 0x20) } {
                    let slot := add(base, shl(5, walk(mload(t), row)))
                    mstore(slot, add(mload(slot), 1))
                }
                let top := mload(base)
                for { let k := 1 } lt(k, n) { k := add(k, 1) } {
                    let v := mload(add(base, shl(5, k)))
                    if gt(v, top) {
                        top := v
                        best := k
                    }
                }
            }
            function regress(x, lp, lend, root0) -> total {
                for {} lt(lp, lend) { lp := add(lp, 4) } {
                    let e := sub(signextend(3, walk(root0, x)), sar(224, calldataload(lp)))
                    total := add(total, mul(e, e))
                    x := add(x, mload(0)) // the row width, in scratch space
                }
            }
            function single(x, lp, lend, root0) -> total {
                for {} lt(lp, lend) { lp := add(lp, 1) } {
                    total := add(total, eq(walk(root0, x), byte(0, calldataload(lp))))
                    x := add(x, mload(0)) // the row width, in scratch space
                }
            }
            function forestBytes(x, lp, lend, from, to, n) -> total {
                for {} lt(lp, lend) { lp := add(lp, 1) } {
                    total := add(total, eq(argmaxBytes(tally(from, to, x), n), byte(0, calldataload(lp))))
                    x := add(x, mload(0)) // the row width, in scratch space
                }
            }
            function forestWords(x, lp, lend, from, to, n, base) -> total {
                for {} lt(lp, lend) { lp := add(lp, 1) } {
                    total := add(total, eq(voteWords(base, n, from, to, x), byte(0, calldataload(lp))))
                    x := add(x, mload(0)) // the row width, in scratch space
                }
            }
            let x := mload(c) // Chunk.features
            let lp := mload(add(c, 0x20)) // Chunk.labels
            let rows := mload(add(c, 0x40)) // Chunk.rows
            mstore(0, mload(add(c, 0x60))) // Chunk.width, read by the row loops
            let from := add(roots, 0x20)
            let to := add(from, shl(5, mload(roots)))
            switch classes
            case 0 { value := regress(x, lp, add(lp, shl(2, rows)), mload(from)) }
            default {
                switch eq(to, add(from, 0x20))
                case 1 { value := single(x, lp, add(lp, rows), mload(from)) }
                default {
                    switch gt(classes, 32)
                    case 0 { value := forestBytes(x, lp, add(lp, rows), from, to, classes) }
                    default { value := forestWords(x, lp, add(lp, rows), from, to, classes, add(votes, 0x20)) }
                }
            }
        }
    }
}
