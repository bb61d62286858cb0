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
 * errors, or {tallyBatch}'s counts); this contract checks each model and writes its trees
 * as records in memory in the same pass ({_prepare}), and predicts blocks of rows
 * ({_predict}). Formats are in docs/formats.md ("Model (tree family)", "Tree records in
 * memory"); `mlmarket.ml.tree` returns the same numbers. A node whose feature field is
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
 * Records (models of at most {_MAX_NODES} nodes; R1-R4, docs/fixed-point.md, "Tree kernel"):
 *  R1 node i's record (A, T, L, R) is 4 words at `h = base + 128 i`. An internal node: A =
 *     `row + feature`, the address of its feature in the row's copy; T = `t << 248 |
 *     (2^248 - 1)`; L = `h + 128` (node i + 1), R = `base + 128 right`. A level is
 *     `p := mload(p + 64 + 32 sgt(mload(A), T))`: the loaded word is the feature byte `x`
 *     then 31 more bytes `r`, and as signed words `x 2^248 + r > t 2^248 + 2^248 - 1` iff
 *     `x > t` (`0 <= r < 2^248`): right iff `x > t`, the format's rule.
 *  R2 a leaf: T = 2^255 - 1 (nothing is greater), L = `h`: a level leaves the walk where it
 *     is, so walking every tree as deep as the deepest (`levels`, T2: the longest walk)
 *     ends on each row's leaf. Its A is the class (one tree), the address of its R word
 *     (R = the int32 sign-extended, or the class's vote increment), or the class's vote
 *     entry (more than 16 classes).
 *  R3 every record a walk reads was written: L and R point to records of the same tree
 *     (T2); a load at A stays in memory the call expanded: the row's copy (`feature <
 *     width`, the copy holds at least width + 31 bytes), a leaf's own R word or vote entry,
 *     or for one tree the class (a load below 0x120).
 *  R4 votes: a lane of 16 bits holds `16 votes + 15 - k` (at most 16 classes), of 32 bits
 *     `256 votes + 255 - k` (more): distinct per class, below 2^12 and 2^16, the largest
 *     has the most votes and then the lowest class; argmax keeps the largest lane.
 */
contract TreeEvaluator is ITreeEvaluator, Evaluator {
    /// @dev Bytes of the model header: magic(3) version family task classes trees features(2).
    uint256 private constant _MODEL_HEADER = 10;
    uint256 private constant _NODE = 6;
    uint8 private constant _FAMILY_TREE = 3;
    bytes32 private constant _FAMILY = keccak256("tree");

    /// @dev Most nodes {_checkAndWrite} writes records for (4 words each); a model with more
    /// is walked in calldata.
    uint256 private constant _MAX_NODES = 2048;

    /// @dev A validated model for {_predict}; {_prepare}'s handle is its address. The
    /// assembly reads the fields at their offsets (0x00, 0x20, ...).
    struct Forest {
        uint256[] roots; // 0x000 calldata offset of each tree's node 0
        uint256[] votes; // 0x020 calldata walk: one vote word per class (more than 32 classes)
        uint256 width; // 0x040 features per row
        uint256 classes; // 0x060 0 for regression
        uint256 row; // 0x080 records: memory copy of the row being predicted; 0: calldata walk
        uint256 levels; // 0x0a0 records: levels walked per tree and row (the deepest walk)
        uint256[] slots; // 0x0c0 records: memory address of each tree's root record
        uint256 init; // 0x0e0 records, forests: initial vote word (<= 16 classes) or its address
        uint256 counts; // 0x100 records, forests of more than 16 classes: the vote words
        uint256 steps; // 0x120 records, forests: lane halvings (<= 16 classes) or vote words
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
     * come after it, so one pass in index order knows each node's depth (the longest walk to
     * it from node 0, or from a node no walk reaches) before its children.
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
                    d := add(d, 1)
                    let left := add(base, shl(5, add(i, 1)))
                    if gt(d, mload(left)) { mstore(left, d) }
                    let right := add(base, shl(5, and(shr(208, word), 0xffffff)))
                    if gt(d, mload(right)) { mstore(right, d) }
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
        roots = new uint256[](_readHeader(index, model, features, classes));
        _readTrees(index, model, roots, features, classes, Records(0, 0, 0, new uint256[](0)));
    }

    /// @dev Checks model `index`'s header (in the order of {ITreeEvaluator}); returns its trees.
    function _readHeader(uint256 index, bytes calldata model, uint256 features, uint256 classes)
        private
        pure
        returns (uint256 count)
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
        count = uint8(head[7]);
        bool ok = classes == 0 ? task == 1 && k == 0 && count == 1 : task == 0 && k == classes && count >= 1;
        if (!ok) revert TreeEvaluatorModelShapeMismatch(index, task, k, uint8(count), classes);
        uint256 found = uint16(bytes2(head << 64));
        if (found != features) revert TreeEvaluatorModelFeaturesMismatch(index, features, found);
    }

    /// @dev Where {_readTrees} writes the records (`base` 0: nowhere, a check only): from
    /// `base`, with the row copy at `row` and leaves written as `mode` says ({_tables});
    /// node 0's record of each tree goes to `slots`.
    struct Records {
        uint256 base;
        uint256 row;
        uint256 mode;
        uint256[] slots;
    }

    /**
     * @dev Checks each tree's node count and nodes, then the total length; writes each
     * tree's node 0 offset to `roots`. With `out.base` nonzero it also writes the records
     * ({_checkAndWrite}) and returns their end and the deepest walk.
     */
    function _readTrees(
        uint256 index,
        bytes calldata model,
        uint256[] memory roots,
        uint256 features,
        uint256 classes,
        Records memory out
    ) private pure returns (uint256 end, uint256 deepest) {
        uint256 p = _MODEL_HEADER;
        end = out.base;
        for (uint256 t = 0; t < roots.length; ++t) {
            unchecked {
                // T1: p < 2^32 (bounded by the model's length plus one tree), no overflow.
                if (p + 2 > model.length) revert TreeEvaluatorModelTreeTruncated(index, t);
                uint256 nodes = uint16(bytes2(model[p:p + 2]));
                if (nodes == 0) revert TreeEvaluatorModelEmptyTree(index, t);
                p += 2;
                if (p + nodes * _NODE > model.length) revert TreeEvaluatorModelTreeTruncated(index, t);
                roots[t] = EvaluatorChunks.offset(model) + p;
                uint256 bad;
                if (end == 0) {
                    bad = _firstBadNode(roots[t], nodes, features, classes);
                } else {
                    out.slots[t] = end;
                    uint256 depth;
                    (bad, depth) = _checkAndWrite(roots[t], nodes, features, classes, end, out);
                    if (depth > deepest) deepest = depth;
                    end += nodes << 7;
                }
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

    /**
     * @dev {_firstBadNode}, and the record of each good node (docs/formats.md, "Tree records
     * in memory"): node i's at `h = base + 128 i`, (A, T, L, R) = an internal node's row
     * byte `row + feature`, its threshold word `t << 248 | (2^248 - 1)` and its children's
     * records `h + 128` and `base + 128 right`; a leaf's A ({_tables}: the class, its vote
     * entry, or `h + 96`), 2^255 - 1 (so the walk stays), `h` itself and its value (the
     * class, int32, or vote increment). Until node i's record is written its R word holds
     * its depth: zeroed first and raised by each parent, all of which come before it (T2).
     * Returns the deepest walk too. Memory: 128 `nodes` bytes from `base`, past the free
     * memory pointer ({_prepare} moves it after the last tree).
     */
    function _checkAndWrite(
        uint256 start,
        uint256 nodes,
        uint256 features,
        uint256 classes,
        uint256 base,
        Records memory out
    ) private pure returns (uint256 bad, uint256 depth) {
        bad = nodes;
        uint256 row = out.row;
        uint256 mode = out.mode;
        // Memory-safe: writes [base, base + 128 nodes), which lies past the free memory
        // pointer, and the scratch words 0x00-0x3f (`row` and `mode`, fewer stack slots).
        // Calldata reads: the tree's nodes (as in {_firstBadNode}); a child's record is
        // written only after its parent is checked (right < nodes).
        assembly ("memory-safe") {
            mstore(0x00, row)
            mstore(0x20, mode)
            let end := add(base, shl(7, nodes))
            calldatacopy(base, calldatasize(), shl(7, nodes)) // zeroes: no depths yet
            for { let h := base } lt(h, end) {
                h := add(h, 128)
                start := add(start, 6)
            } {
                let w := calldataload(start)
                switch eq(shr(240, w), 0xffff)
                case 0 {
                    // i + 1 < right < nodes, as record addresses
                    let right := add(base, shl(7, and(shr(208, w), 0xffffff)))
                    if iszero(and(lt(shr(240, w), features), and(gt(right, add(h, 128)), lt(right, end)))) {
                        bad := shr(7, sub(h, base))
                        break
                    }
                    let d := add(mload(add(h, 96)), 1) // the depth of its children
                    if gt(d, depth) { depth := d }
                    if gt(d, mload(add(h, 224))) { mstore(add(h, 224), d) } // left: h + 128
                    if gt(d, mload(add(right, 96))) { mstore(add(right, 96), d) }
                    mstore(h, add(mload(0x00), shr(240, w)))
                    mstore(add(h, 32), or(shl(16, w), shr(8, not(0)))) // the threshold byte on top
                    mstore(add(h, 64), add(h, 128))
                    mstore(add(h, 96), right)
                }
                default {
                    let v := and(shr(208, w), 0xffffffff)
                    if iszero(or(iszero(classes), lt(v, classes))) {
                        bad := shr(7, sub(h, base))
                        break
                    }
                    switch mload(0x20)
                    case 0 {
                        // regression: R holds the value
                        mstore(h, add(h, 96))
                        v := signextend(3, v)
                    }
                    case 1 { mstore(h, v) } // one tree: A is the class
                    case 2 {
                        // at most 16 classes: R holds the class's vote increment, 16 (a vote:
                        // bit 4 of a lane) in lane v
                        mstore(h, add(h, 96))
                        let vote := 16
                        v := shl(shl(4, v), vote)
                    }
                    default { mstore(h, add(mload(0x20), shl(6, v))) } // the class's vote entry
                    mstore(add(h, 32), shr(1, not(0)))
                    mstore(add(h, 64), h)
                    mstore(add(h, 96), v)
                }
            }
        }
    }

    // --- prediction -------------------------------------------------------------------

    /**
     * @dev Checks model `index` and, unless it has more than {_MAX_NODES} nodes (then
     * {_predict} walks the calldata nodes), writes its trees as records in memory in the
     * same pass ({_checkAndWrite}). The handle is the address of the {Forest}.
     */
    function _prepare(uint256 index, bytes calldata model, EvaluatorChunks.Chunk memory c, uint256 classes)
        internal
        pure
        override
        returns (uint256 handle)
    {
        uint256 count = _readHeader(index, model, c.width, classes);
        Forest memory forest;
        forest.roots = new uint256[](count);
        forest.width = c.width;
        forest.classes = classes;
        uint256 nodes;
        unchecked {
            // The nodes of a valid model (T1: its length bounds them; 2 header bytes per
            // tree); for an invalid one any number, and the checks revert.
            nodes = (model.length - _MODEL_HEADER - 2 * count) / _NODE;
        }
        Records memory out;
        if (model.length >= _MODEL_HEADER + 2 * count && nodes <= _MAX_NODES) {
            forest.slots = new uint256[](count);
            out.slots = forest.slots;
            _tables(forest, out); // allocates last: the records follow
        }
        (uint256 end, uint256 deepest) = _readTrees(index, model, forest.roots, c.width, classes, out);
        if (end == 0) {
            forest.votes = new uint256[](classes > 32 ? classes : 0);
        } else {
            forest.levels = deepest;
            // Allocates the records, written past the free memory pointer.
            assembly ("memory-safe") {
                mstore(0x40, end)
            }
        }
        // Reads the address of `forest`, which stays allocated until the model is scored.
        assembly ("memory-safe") {
            handle := forest
        }
    }

    /**
     * @dev Allocates the row copy and the vote tables of `forest` and sets its `row`, `init`,
     * `counts` and `steps`; sets in `out` where the records start (the free memory pointer
     * after them), the row copy, and how {_checkAndWrite} writes a leaf's A: `mode` 0
     * regression, 1 one tree, 2 a forest of at most 16 classes, else the address of the
     * vote entries.
     */
    function _tables(Forest memory forest, Records memory out) private pure {
        uint256 classes = forest.classes;
        uint256 width = forest.width;
        uint256 count = forest.roots.length;
        uint256 ptr;
        uint256 mode;
        // Memory-safe: allocates what it writes (row copy, tables) at the free memory
        // pointer, and moves the pointer past them.
        assembly ("memory-safe") {
            ptr := mload(0x40)
            // the row copy: width bytes and the 31 a load at the last feature reads
            let row := ptr
            ptr := add(row, shl(5, add(shr(5, add(width, 31)), 1)))
            mstore(add(forest, 0x80), row) // Forest.row
            mode := iszero(iszero(classes)) // regression 0, one tree 1
            if gt(count, 1) {
                switch gt(classes, 16)
                case 0 {
                    // one vote word: class k's lane (bits 16 k ..) holds votes * 16 + 15 - k
                    let init := 0
                    for { let k := 0 } lt(k, classes) { k := add(k, 1) } {
                        init := or(init, shl(shl(4, k), sub(15, k)))
                    }
                    mstore(add(forest, 0xe0), init) // Forest.init
                    // lane halvings: log2 of the next power of two >= classes
                    let steps := 1
                    for { let lanes := 2 } lt(lanes, classes) { lanes := add(lanes, lanes) } { steps := add(steps, 1) }
                    mstore(add(forest, 0x120), steps) // Forest.steps
                    mode := 2
                }
                default {
                    // vote words of 8 lanes of 32 bits: votes * 256 + 255 - k in lane k mod 8
                    // of word k / 8; entry k = (its word, its increment)
                    let words := shr(3, add(classes, 7))
                    let tab := ptr
                    let counts := add(tab, shl(6, classes))
                    let init := add(counts, shl(5, words))
                    calldatacopy(init, calldatasize(), shl(5, words))
                    let vote := 0x100 // one vote in a lane: its bit 8
                    for { let k := 0 } lt(k, classes) { k := add(k, 1) } {
                        let entry := add(tab, shl(6, k))
                        let word := shl(5, shr(3, k))
                        mstore(entry, add(counts, word))
                        mstore(add(entry, 0x20), shl(shl(5, and(k, 7)), vote))
                        mstore(add(init, word), or(mload(add(init, word)), shl(shl(5, and(k, 7)), sub(255, k))))
                    }
                    ptr := add(init, shl(5, words))
                    mstore(add(forest, 0xe0), init) // Forest.init
                    mstore(add(forest, 0x100), counts) // Forest.counts
                    mstore(add(forest, 0x120), words) // Forest.steps: here the vote words
                    mode := tab
                }
            }
            mstore(0x40, ptr)
        }
        out.base = ptr;
        out.row = forest.row;
        out.mode = mode;
    }

    /**
     * @dev Predictions of the trees of `handle` for `rows` rows from calldata `firstRow`, to
     * `predictions`: the leaf's class (one tree), the class most trees vote for, or the
     * leaf's int32 value (regression).
     */
    function _predict(uint256 handle, uint256 firstRow, uint256 predictions, uint256 rows) internal pure override {
        // `handle` is the address of the Forest of {_prepare}. Memory-safe: writes the row
        // copy, the vote words (more than 16 classes) and the `rows` predictions at
        // `predictions` (class bytes < classes by T3, or int32 leaves as words), and for
        // the calldata walk the votes and the scratch word 0x00; reads the records.
        assembly ("memory-safe") {
            switch mload(add(handle, 0x80)) // Forest.row
            case 0 { calldataWalk(handle, firstRow, predictions, rows) }
            default {
                switch mload(add(handle, 0x60)) // Forest.classes
                case 0 { regression(firstRow, predictions, add(predictions, shl(5, rows)), handle) }
                default {
                    switch mload(mload(add(handle, 0xc0))) // trees
                    case 1 { single(firstRow, predictions, add(predictions, rows), handle) }
                    default {
                        switch gt(mload(add(handle, 0x60)), 16)
                        case 0 { forest16(firstRow, predictions, add(predictions, rows), handle) }
                        default { forestWords(firstRow, predictions, add(predictions, rows), handle) }
                    }
                }
            }

            // Each kernel writes the predictions of the rows from calldata x to [out, end)
            // for the Forest at h; it reads the fields it needs into its own variables.
            // The slot reached after n levels from the record at p.
            function walk(p, n) -> q {
                for {} gt(n, 3) { n := sub(n, 4) } {
                    p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                    p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                    p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                    p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                }
                switch n
                case 1 {
                    p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                }
                case 2 {
                    p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                    p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                }
                case 3 {
                    p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                    p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                    p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                }
                q := p
            }
            // One tree, classes: two rows per iteration (one first if their count is odd);
            // a leaf's A is its class. The loops that test at their end run at least once:
            // `rows >= 1`, and here an even count >= 2; a forest has at least 2 trees.
            function single(x, out, end, h) {
                mstore(0x00, mload(add(h, 0x80))) // the row copy
                mstore(0x20, mload(add(h, 0x40))) // the width
                let levels := mload(add(h, 0xa0))
                let root := mload(add(mload(add(h, 0xc0)), 0x20))
                if and(sub(end, out), 1) {
                    calldatacopy(mload(0x00), x, mload(0x20))
                    x := add(x, mload(0x20))
                    mstore8(out, mload(walk(root, levels)))
                    out := add(out, 1)
                }
                if lt(out, end) {
                    let a0 := mload(root)
                    let t0 := mload(add(root, 32))
                    let c0 := add(root, 64)
                    switch levels
                    case 0 { for {} lt(out, end) { out := add(out, 1) } { mstore8(out, a0) } }
                    case 1 {
                        for {} 1 {} {
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            mstore8(out, mload(p))
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            mstore8(add(out, 1), mload(p))
                            out := add(out, 2)
                            if eq(out, end) { break }
                        }
                    }
                    case 2 {
                        for {} 1 {} {
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            mstore8(out, mload(p))
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            mstore8(add(out, 1), mload(p))
                            out := add(out, 2)
                            if eq(out, end) { break }
                        }
                    }
                    case 3 {
                        for {} 1 {} {
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            mstore8(out, mload(p))
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            mstore8(add(out, 1), mload(p))
                            out := add(out, 2)
                            if eq(out, end) { break }
                        }
                    }
                    case 4 {
                        for {} 1 {} {
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            mstore8(out, mload(p))
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            mstore8(add(out, 1), mload(p))
                            out := add(out, 2)
                            if eq(out, end) { break }
                        }
                    }
                    case 5 {
                        for {} 1 {} {
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            mstore8(out, mload(p))
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            mstore8(add(out, 1), mload(p))
                            out := add(out, 2)
                            if eq(out, end) { break }
                        }
                    }
                    case 6 {
                        for {} 1 {} {
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            mstore8(out, mload(p))
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            mstore8(add(out, 1), mload(p))
                            out := add(out, 2)
                            if eq(out, end) { break }
                        }
                    }
                    case 7 {
                        for {} 1 {} {
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            mstore8(out, mload(p))
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            mstore8(add(out, 1), mload(p))
                            out := add(out, 2)
                            if eq(out, end) { break }
                        }
                    }
                    case 8 {
                        for {} 1 {} {
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            mstore8(out, mload(p))
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            mstore8(add(out, 1), mload(p))
                            out := add(out, 2)
                            if eq(out, end) { break }
                        }
                    }
                    default {
                        for {} lt(out, end) { out := add(out, 1) } {
                            calldatacopy(mload(0x00), x, mload(0x20))
                            x := add(x, mload(0x20))
                            mstore8(out, mload(walk(root, levels)))
                        }
                    }
                }
            }
            // Regression: a leaf's first word is the address of its value.
            function regression(x, out, end, h) {
                mstore(0x00, mload(add(h, 0x80))) // the row copy
                mstore(0x20, mload(add(h, 0x40))) // the width
                let levels := mload(add(h, 0xa0))
                let root := mload(add(mload(add(h, 0xc0)), 0x20))
                let a0 := mload(root)
                let t0 := mload(add(root, 32))
                let c0 := add(root, 64)
                switch levels
                case 0 { for {} lt(out, end) { out := add(out, 0x20) } { mstore(out, mload(a0)) } }
                case 1 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                        mstore(out, mload(mload(p)))
                        out := add(out, 0x20)
                        if eq(out, end) { break }
                    }
                }
                case 2 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        mstore(out, mload(mload(p)))
                        out := add(out, 0x20)
                        if eq(out, end) { break }
                    }
                }
                case 3 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        mstore(out, mload(mload(p)))
                        out := add(out, 0x20)
                        if eq(out, end) { break }
                    }
                }
                case 4 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        mstore(out, mload(mload(p)))
                        out := add(out, 0x20)
                        if eq(out, end) { break }
                    }
                }
                case 5 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        mstore(out, mload(mload(p)))
                        out := add(out, 0x20)
                        if eq(out, end) { break }
                    }
                }
                case 6 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        mstore(out, mload(mload(p)))
                        out := add(out, 0x20)
                        if eq(out, end) { break }
                    }
                }
                case 7 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        mstore(out, mload(mload(p)))
                        out := add(out, 0x20)
                        if eq(out, end) { break }
                    }
                }
                case 8 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let p := mload(add(c0, shl(5, slt(t0, mload(a0)))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                        mstore(out, mload(mload(p)))
                        out := add(out, 0x20)
                        if eq(out, end) { break }
                    }
                }
                default {
                    for {} lt(out, end) { out := add(out, 0x20) } {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        mstore(out, mload(mload(walk(root, levels))))
                    }
                }
            }
            // Forests of at most 16 classes: a leaf's first word points to its class's
            // increment of the vote word (lane k = bits 16 k .. 16 k + 15).
            function forest16(x, out, end, h) {
                // the row copy and the width in the scratch words 0x00 and 0x20, the initial
                // vote word and the halvings read per row (fewer stack slots)
                mstore(0x00, mload(add(h, 0x80)))
                mstore(0x20, mload(add(h, 0x40)))
                let levels := mload(add(h, 0xa0))
                let from := add(mload(add(h, 0xc0)), 0x20) // Forest.slots
                let to := add(from, shl(5, mload(sub(from, 0x20))))
                switch levels
                case 0 {
                    for {} lt(out, end) { out := add(out, 1) } {
                        let counts := mload(add(h, 0xe0))
                        for { let t := from } lt(t, to) { t := add(t, 0x20) } {
                            counts := add(counts, mload(mload(mload(t))))
                        }
                        mstore8(out, best16(counts, mload(add(h, 0x60))))
                    }
                }
                case 1 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let counts := mload(add(h, 0xe0))
                        let t := from
                        for {} 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            counts := add(counts, mload(mload(p)))
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                        mstore8(out, best16(counts, mload(add(h, 0x60))))
                        out := add(out, 1)
                        if eq(out, end) { break }
                    }
                }
                case 2 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let counts := mload(add(h, 0xe0))
                        let t := from
                        for {} 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            counts := add(counts, mload(mload(p)))
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                        mstore8(out, best16(counts, mload(add(h, 0x60))))
                        out := add(out, 1)
                        if eq(out, end) { break }
                    }
                }
                case 3 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let counts := mload(add(h, 0xe0))
                        let t := from
                        for {} 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            counts := add(counts, mload(mload(p)))
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                        mstore8(out, best16(counts, mload(add(h, 0x60))))
                        out := add(out, 1)
                        if eq(out, end) { break }
                    }
                }
                case 4 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let counts := mload(add(h, 0xe0))
                        let t := from
                        for {} 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            counts := add(counts, mload(mload(p)))
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                        mstore8(out, best16(counts, mload(add(h, 0x60))))
                        out := add(out, 1)
                        if eq(out, end) { break }
                    }
                }
                case 5 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let counts := mload(add(h, 0xe0))
                        let t := from
                        for {} 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            counts := add(counts, mload(mload(p)))
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                        mstore8(out, best16(counts, mload(add(h, 0x60))))
                        out := add(out, 1)
                        if eq(out, end) { break }
                    }
                }
                case 6 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let counts := mload(add(h, 0xe0))
                        let t := from
                        for {} 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            counts := add(counts, mload(mload(p)))
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                        mstore8(out, best16(counts, mload(add(h, 0x60))))
                        out := add(out, 1)
                        if eq(out, end) { break }
                    }
                }
                case 7 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let counts := mload(add(h, 0xe0))
                        let t := from
                        for {} 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            counts := add(counts, mload(mload(p)))
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                        mstore8(out, best16(counts, mload(add(h, 0x60))))
                        out := add(out, 1)
                        if eq(out, end) { break }
                    }
                }
                case 8 {
                    for {} 1 {} {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let counts := mload(add(h, 0xe0))
                        let t := from
                        for {} 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            counts := add(counts, mload(mload(p)))
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                        mstore8(out, best16(counts, mload(add(h, 0x60))))
                        out := add(out, 1)
                        if eq(out, end) { break }
                    }
                }
                default {
                    for {} lt(out, end) { out := add(out, 1) } {
                        calldatacopy(mload(0x00), x, mload(0x20))
                        x := add(x, mload(0x20))
                        let counts := mload(add(h, 0xe0))
                        for { let t := from } lt(t, to) { t := add(t, 0x20) } {
                            counts := add(counts, mload(mload(walk(mload(t), levels))))
                        }
                        mstore8(out, best16(counts, mload(add(h, 0x60))))
                    }
                }
            }
            // The class of the largest lane of `w` (lanes of 16 bits, each below 2^15 and
            // distinct; lane k belongs to class k, lanes from `classes` on are 0). Two
            // classes: class 1 iff its lane is the larger; three: the largest lane as a
            // number; the class is then 15 - (lane & 15). More: the upper half of the lanes
            // against the lower half, lane by lane, until two remain (16, 8 or 4 lanes to
            // start with). With a and w (the lower half) below 2^15 per lane, each lane
            // 2^15 + a - w of `(a | 2^15) - w` has bit 15 iff a >= w, and then its low 15
            // bits are a - w: w + (a - w) [a >= w] is the larger (bit 15 moved to bit 0
            // and times 2^15 - 1: a mask that never carries into the next lane).
            function best16(w, classes) -> class {
                switch lt(classes, 4)
                case 1 {
                    switch classes
                    case 2 { class := gt(shr(16, w), and(w, 0xffff)) }
                    default {
                        let m := and(w, 0xffff)
                        let v := and(shr(16, w), 0xffff)
                        m := xor(m, mul(xor(v, m), gt(v, m)))
                        v := shr(32, w)
                        class := and(not(xor(m, mul(xor(v, m), gt(v, m)))), 15)
                    }
                }
                default {
                    let h := 0x8000800080008000800080008000800080008000800080008000800080008000
                    let a := 0
                    switch gt(classes, 8)
                    case 1 {
                        a := shr(128, w)
                        w := and(w, 0xffffffffffffffffffffffffffffffff)
                        a := sub(or(a, h), w)
                        w := add(w, and(a, mul(shr(15, and(a, h)), 0x7fff)))
                        a := shr(64, w)
                        w := and(w, 0xffffffffffffffff)
                        a := sub(or(a, h), w)
                        w := add(w, and(a, mul(shr(15, and(a, h)), 0x7fff)))
                        a := shr(32, w)
                        w := and(w, 0xffffffff)
                        a := sub(or(a, h), w)
                        w := add(w, and(a, mul(shr(15, and(a, h)), 0x7fff)))
                        a := shr(16, w)
                        w := and(w, 0xffff)
                        class := and(not(xor(w, mul(xor(a, w), gt(a, w)))), 15)
                    }
                    default {
                        switch gt(classes, 4)
                        case 1 {
                            a := shr(64, w)
                            w := and(w, 0xffffffffffffffff)
                            a := sub(or(a, h), w)
                            w := add(w, and(a, mul(shr(15, and(a, h)), 0x7fff)))
                            a := shr(32, w)
                            w := and(w, 0xffffffff)
                            a := sub(or(a, h), w)
                            w := add(w, and(a, mul(shr(15, and(a, h)), 0x7fff)))
                            a := shr(16, w)
                            w := and(w, 0xffff)
                            class := and(not(xor(w, mul(xor(a, w), gt(a, w)))), 15)
                        }
                        default {
                            a := shr(32, w)
                            w := and(w, 0xffffffff)
                            a := sub(or(a, h), w)
                            w := add(w, and(a, mul(shr(15, and(a, h)), 0x7fff)))
                            a := shr(16, w)
                            w := and(w, 0xffff)
                            class := and(not(xor(w, mul(xor(a, w), gt(a, w)))), 15)
                        }
                    }
                }
            }
            // Forests of more than 16 classes: a leaf's A is its class's entry (vote word,
            // increment); the vote words at Forest.counts are reset per row from Forest.init.
            function forestWords(x, out, end, h) {
                let width := mload(add(h, 0x40))
                let row := mload(add(h, 0x80))
                let levels := mload(add(h, 0xa0))
                let from := add(mload(add(h, 0xc0)), 0x20) // Forest.slots
                let to := add(from, shl(5, mload(sub(from, 0x20))))
                for {} lt(out, end) { out := add(out, 1) } {
                    calldatacopy(row, x, width)
                    x := add(x, width)
                    mcopy(mload(add(h, 0x100)), mload(add(h, 0xe0)), shl(5, mload(add(h, 0x120))))
                    switch levels
                    case 0 { for { let t := from } lt(t, to) { t := add(t, 0x20) } { vote(mload(mload(t))) } }
                    case 1 {
                        for { let t := from } 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            vote(mload(p)) // the class's vote entry
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                    }
                    case 2 {
                        for { let t := from } 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            vote(mload(p)) // the class's vote entry
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                    }
                    case 3 {
                        for { let t := from } 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            vote(mload(p)) // the class's vote entry
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                    }
                    case 4 {
                        for { let t := from } 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            vote(mload(p)) // the class's vote entry
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                    }
                    case 5 {
                        for { let t := from } 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            vote(mload(p)) // the class's vote entry
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                    }
                    case 6 {
                        for { let t := from } 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            vote(mload(p)) // the class's vote entry
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                    }
                    case 7 {
                        for { let t := from } 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            vote(mload(p)) // the class's vote entry
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                    }
                    case 8 {
                        for { let t := from } 1 {} {
                            let p := mload(t)
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            p := mload(add(add(p, 64), shl(5, slt(mload(add(p, 32)), mload(mload(p))))))
                            vote(mload(p)) // the class's vote entry
                            t := add(t, 0x20)
                            if eq(t, to) { break }
                        }
                    }
                    default {
                        for { let t := from } lt(t, to) { t := add(t, 0x20) } { vote(mload(walk(mload(t), levels))) }
                    }
                    mstore8(out, bestWords(h))
                }
            }
            // Adds the increment of the vote entry at e to its vote word.
            function vote(e) {
                let slot := mload(e)
                mstore(slot, add(mload(slot), mload(add(e, 0x20))))
            }
            // The class of the largest lane of the vote words of the Forest at h (lanes of 32
            // bits below 2^16, distinct): the words lane by lane, then three halvings.
            function bestWords(h) -> class {
                let counts := mload(add(h, 0x100))
                let last := add(counts, shl(5, mload(add(h, 0x120))))
                let w := mload(counts)
                for { let p := add(counts, 0x20) } lt(p, last) { p := add(p, 0x20) } { w := m32(w, mload(p)) }
                w := m32(shr(128, w), and(w, 0xffffffffffffffffffffffffffffffff))
                w := m32(shr(64, w), and(w, 0xffffffffffffffff))
                w := m32(shr(32, w), and(w, 0xffffffff))
                class := sub(255, and(w, 255))
            }
            // Lane-wise maximum of a and b (lanes of 32 bits below 2^31), as in best16.
            function m32(a, b) -> c {
                let h := 0x8000000080000000800000008000000080000000800000008000000080000000
                let d := sub(or(a, h), b)
                let ge := and(d, h)
                c := add(b, and(d, sub(ge, shr(31, ge))))
            }
            // The walk over the calldata nodes (models above _MAX_BLOCKS blocks): per row and
            // tree from node 0 to a leaf; a forest of at most 32 classes counts its votes in
            // the bytes of one word (byte k = class k; T3: at most 255 trees, so a count fits
            // its byte), more classes in the memory array `votes`. Argmax keeps the first
            // maximum. The row width is kept in the scratch word 0x00.
            function calldataWalk(h, x0, out0, n0) {
                mstore(0, mload(add(h, 0x40))) // Forest.width
                let from := add(mload(h), 0x20) // Forest.roots
                let to := add(from, shl(5, mload(sub(from, 0x20))))
                switch mload(add(h, 0x60)) // Forest.classes
                case 0 { cdRegress(x0, out0, add(out0, shl(5, n0)), mload(from)) }
                default {
                    n0 := add(out0, n0) // from here on: the end of the out0
                    switch eq(to, add(from, 0x20))
                    case 1 { cdSingle(x0, out0, n0, mload(from)) }
                    default {
                        switch gt(mload(add(h, 0x60)), 32)
                        case 0 { cdForestBytes(x0, out0, n0, from, to, mload(add(h, 0x60))) }
                        default { cdForestWords(x0, out0, n0, from, to, h) }
                    }
                }
            }
            // The leaf's 32-bit field reached from node 0 at `node0` by the row at `row`
            // (T2): left (the next node) iff the feature byte <= the threshold byte, both
            // signed; as unsigned bytes after xor 0x80 the order is the same.
            function cdWalk(node0, row) -> leaf {
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
            // Votes of the trees whose roots are the words [from, to) for the row at
            // `row`, one byte per class (byte k = class k).
            function cdTally(from, to, row) -> counts {
                for { let t := from } lt(t, to) { t := add(t, 0x20) } {
                    counts := add(counts, shl(shl(3, sub(31, cdWalk(mload(t), row))), 1))
                }
            }
            function cdArgmax(counts, n) -> best {
                let top := byte(0, counts)
                for { let k := 1 } lt(k, n) { k := add(k, 1) } {
                    let v := byte(k, counts)
                    if gt(v, top) {
                        top := v
                        best := k
                    }
                }
            }
            // The same with one memory word per class at [base, base + 32 n).
            function cdVoteWords(base, n, from, to, row) -> best {
                let last := add(base, shl(5, n))
                for { let p := base } lt(p, last) { p := add(p, 0x20) } { mstore(p, 0) }
                for { let t := from } lt(t, to) { t := add(t, 0x20) } {
                    let slot := add(base, shl(5, cdWalk(mload(t), row)))
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
            function cdRegress(x, out, end, root0) {
                for {} lt(out, end) { out := add(out, 0x20) } {
                    mstore(out, signextend(3, cdWalk(root0, x)))
                    x := add(x, mload(0))
                }
            }
            function cdSingle(x, out, end, root0) {
                for {} lt(out, end) { out := add(out, 1) } {
                    mstore8(out, cdWalk(root0, x))
                    x := add(x, mload(0))
                }
            }
            function cdForestBytes(x, out, end, from, to, n) {
                for {} lt(out, end) { out := add(out, 1) } {
                    mstore8(out, cdArgmax(cdTally(from, to, x), n))
                    x := add(x, mload(0))
                }
            }
            // With the vote words of the Forest at `forest` (more than 32 classes).
            function cdForestWords(x, out, end, from, to, forest) {
                let n := mload(add(forest, 0x60)) // Forest.classes
                let base := add(mload(add(forest, 0x20)), 0x20) // Forest.votes
                for {} lt(out, end) { out := add(out, 1) } {
                    mstore8(out, cdVoteWords(base, n, from, to, x))
                    x := add(x, mload(0))
                }
            }
        }
    }
}
