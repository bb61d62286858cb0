// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Evaluator} from "./Evaluator.sol";
import {IEvaluator} from "./interfaces/IEvaluator.sol";
import {ITreeEvaluator} from "./interfaces/ITreeEvaluator.sol";
import {EvaluatorChunks} from "./libraries/EvaluatorChunks.sol";

/**
 * @title TreeEvaluator
 * @notice Scores decision trees and small forests on a test-set chunk (chunk format v1, the
 * same as every family): a row goes left at a node iff `q[feature] <= threshold` (int8,
 * signed); a forest predicts the class most trees vote for (ties to the lowest class); a
 * regression tree predicts its leaf's int32 value. Stateless.
 * @dev {Evaluator} checks the chunk and scores the predictions (correct ones, squared
 * errors, or {tallyBatch}'s counts); this contract checks each model ({_prepare}) and
 * predicts blocks of rows ({_predict}). Formats are in docs/formats.md ("Model (tree
 * family)"); `mlmarket.ml.tree` returns the same numbers. A node whose feature field is
 * 0xFFFF is a leaf. Bounds used by every `unchecked` block and assembly below (T1-T4):
 *  T1 `features <= 4096`, trees <= 255, nodes per tree <= 65535 (6 bytes each), rows < 2^32:
 *     every size product is below 2^40 and every calldata pointer stays inside its `bytes`
 *     argument, whose end the ABI decoder checked against `calldatasize()`.
 *  T2 validation guarantees, for every internal node i of a tree of n nodes,
 *     `i + 1 < right < n` and `feature < features`; so a walk from the root visits strictly
 *     increasing indices below n, reads only features of the current row, and ends at a
 *     leaf after at most n - 1 steps.
 *  T3 a classifier's leaf holds a class `< classes <= 255`, so a vote indexes the votes array
 *     in bounds; votes per class <= 255.
 *  T4 regression: a prediction is a leaf's int32 (`|leaf| <= 2^31`), well inside the
 *     bounds of {EvaluatorChunks} (C3).
 */
contract TreeEvaluator is ITreeEvaluator, Evaluator {
    /// @dev Bytes of the model header: magic(3) version family task classes trees features(2).
    uint256 private constant _MODEL_HEADER = 10;
    uint256 private constant _NODE = 6;
    uint8 private constant _FAMILY_TREE = 3;
    bytes32 private constant _FAMILY = keccak256("tree");

    /// @dev A validated model for {_predict}; {_prepare}'s handle is its address.
    struct Forest {
        uint256[] roots; // calldata offset of each tree's node 0
        uint256[] votes; // one vote word per class (forests of more than 32 classes), else empty
        uint256 width; // features per row
        uint256 classes; // 0 for regression
    }

    /// @inheritdoc IEvaluator
    function family() external pure returns (bytes32) {
        return _FAMILY;
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
        EvaluatorChunks.checkArguments(features, classes);
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

    /// @dev Checks model `index`'s header and every tree; returns each tree's node 0 offset.
    function _readModel(uint256 index, bytes calldata model, uint256 features, uint256 classes)
        private
        pure
        returns (uint256[] memory roots)
    {
        if (model.length < _MODEL_HEADER) revert TreeEvaluatorModelTruncated(index, model.length);
        bytes10 head = bytes10(model[0:_MODEL_HEADER]);
        if (bytes3(head) != EvaluatorChunks.MODEL_MAGIC) revert TreeEvaluatorModelBadMagic(index, bytes3(head));
        if (uint8(head[3]) != EvaluatorChunks.VERSION) {
            revert TreeEvaluatorModelUnsupportedVersion(index, uint8(head[3]));
        }
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
                roots[t] = EvaluatorChunks.offset(model) + p;
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

    // --- prediction -------------------------------------------------------------------

    /// @dev Checks model `index` ({_readModel}); the handle is the address of its {Forest}.
    function _prepare(uint256 index, bytes calldata model, EvaluatorChunks.Chunk memory c, uint256 classes)
        internal
        pure
        override
        returns (uint256 handle)
    {
        Forest memory forest = Forest(
            _readModel(index, model, c.width, classes), new uint256[](classes > 32 ? classes : 0), c.width, classes
        );
        // Reads the address of `forest`, which stays allocated until the model is scored.
        assembly ("memory-safe") {
            handle := forest
        }
    }

    /**
     * @dev Predictions of the trees of `handle` for `rows` rows from calldata `firstRow`, to
     * `predictions`: the leaf's class (one tree), the class most trees vote for, or the
     * leaf's int32 value (regression). One assembly loop over the rows (no call per row or tree). A forest of
     * at most 32 classes keeps its votes in the bytes of one word (byte k = class k; T3: at
     * most 255 trees, so a count fits its byte and never carries), reset by one assignment
     * per row; more classes count in the memory array `votes`. Argmax keeps the first
     * maximum.
     */
    function _predict(uint256 handle, uint256 firstRow, uint256 predictions, uint256 rows) internal pure override {
        // `handle` is the address of the Forest that {_prepare} allocated for this model; the
        // assembly reads its fields: roots (0x00), votes (0x20), width (0x40), classes (0x60).
        // Memory-safe: reads the roots, writes only the votes, the `rows` predictions at
        // `predictions` (the buffer of {Evaluator}: class bytes, each < classes by T3, or int32
        // leaves as words) and the scratch word 0x00. Calldata reads: each row's features at
        // firstRow + r * width (r < rows, T1) and the validated trees (T2). A vote count <= 255
        // (T3).
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
            function regress(x, out, end, root0) {
                for {} lt(out, end) { out := add(out, 0x20) } {
                    mstore(out, signextend(3, walk(root0, x)))
                    x := add(x, mload(0)) // the row width, in scratch space
                }
            }
            function single(x, out, end, root0) {
                for {} lt(out, end) { out := add(out, 1) } {
                    mstore8(out, walk(root0, x))
                    x := add(x, mload(0)) // the row width, in scratch space
                }
            }
            function forestBytes(x, out, end, from, to, n) {
                for {} lt(out, end) { out := add(out, 1) } {
                    mstore8(out, argmaxBytes(tally(from, to, x), n))
                    x := add(x, mload(0)) // the row width, in scratch space
                }
            }
            // The same with the vote words of the Forest at `forest` (more than 32 classes).
            function forestWords(x, out, end, from, to, forest) {
                let n := mload(add(forest, 0x60)) // Forest.classes
                let base := add(mload(add(forest, 0x20)), 0x20) // Forest.votes
                for {} lt(out, end) { out := add(out, 1) } {
                    mstore8(out, voteWords(base, n, from, to, x))
                    x := add(x, mload(0)) // the row width, in scratch space
                }
            }
            mstore(0, mload(add(handle, 0x40))) // Forest.width, read by the row loops
            let from := add(mload(handle), 0x20) // Forest.roots
            let to := add(from, shl(5, mload(sub(from, 0x20))))
            switch mload(add(handle, 0x60)) // Forest.classes
            case 0 { regress(firstRow, predictions, add(predictions, shl(5, rows)), mload(from)) }
            default {
                rows := add(predictions, rows) // from here on: the end of the predictions
                switch eq(to, add(from, 0x20))
                case 1 { single(firstRow, predictions, rows, mload(from)) }
                default {
                    switch gt(mload(add(handle, 0x60)), 32)
                    case 0 { forestBytes(firstRow, predictions, rows, from, to, mload(add(handle, 0x60))) }
                    default { forestWords(firstRow, predictions, rows, from, to, handle) }
                }
            }
        }
    }
}
