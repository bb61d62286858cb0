// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ICompetition} from "./interfaces/ICompetition.sol";
import {ICompetitionFactory} from "./interfaces/ICompetitionFactory.sol";
import {IEvaluator} from "./interfaces/IEvaluator.sol";
import {CLAIM_SETTLE_MARGIN, IScoreClaims} from "./interfaces/IScoreClaims.sol";
import {PositionalMerkle} from "./libraries/PositionalMerkle.sol";
import {SINK} from "./libraries/Sink.sol";

/**
 * @title ScoreClaims
 * @notice Optimistic evaluation for the competitions of one factory: bonded claims of
 * per-chunk results over a Merkle sum tree, each challengeable on one chunk during its
 * window. See {IScoreClaims} for the formats and docs/competition-protocol.md for the rules.
 * @dev Gas: {postClaim} is linear in the leaf words (it builds the tree over 2^depth
 * positions), {challenge} scores one chunk with one model plus `depth` levels of path,
 * {settle} is O(1) amortised (it skips the submission's earlier voided claims once).
 */
contract ScoreClaims is IScoreClaims, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Part of a voided claim's bond sent to the sink, in basis points (the rest
    /// goes to the challenger), so that challenging one's own wrong claim is not free.
    uint256 public constant SINK_SHARE_BPS = 2_000;

    uint256 private constant _BPS = 10_000;

    address private immutable _factory;
    uint256 private _claimCount;
    mapping(uint256 claimId => Claim) private _claims;
    mapping(address competition => mapping(uint256 id => uint256[] claimIds)) private _claimsFor;
    /// @dev Claims of a submission before this position are no longer open.
    mapping(address competition => mapping(uint256 id => uint256 position)) private _firstOpen;
    mapping(address competition => mapping(uint256 id => uint256 claimId)) private _publicClaims;

    /// @dev The chunks a claim is over: the test set's, or the public set's (zero salt).
    struct ChunkSet {
        bytes32 root;
        bytes32 salt;
        uint256 chunks;
        uint256 samples;
    }

    constructor(address factory_) {
        _factory = factory_;
    }

    /// @inheritdoc IScoreClaims
    function postClaim(address competition, uint256 id, uint256[] calldata leaves)
        external
        nonReentrant
        returns (uint256 claimId)
    {
        (ICompetition.Params memory p, uint256 chunks) = _claimable(competition, id);
        uint256 windowEnd = block.timestamp + p.challengeWindow;
        // The settle margin after the window is left to settle before the deadline.
        if (windowEnd + CLAIM_SETTLE_MARGIN >= p.evaluationEnd) revert ScoreClaimsTooLate(windowEnd, p.evaluationEnd);
        uint256 width = _leafLength(p);
        if (leaves.length != width * chunks) revert ScoreClaimsInvalidLeaves(width * chunks, leaves.length);

        (bytes32 root, uint256[] memory total) = _build(id, leaves, width, chunks);
        claimId = ++_claimCount;
        Claim storage claim = _claims[claimId];
        claim.competition = competition;
        claim.windowEnd = uint64(windowEnd);
        claim.claimer = msg.sender;
        claim.status = ClaimStatus.Open;
        claim.id = id;
        claim.root = root;
        claim.score = _score(p, total);
        claim.bond = p.claimBond;
        _claimsFor[competition][id].push(claimId);
        _logPosted(claimId, claim, leaves);
        IERC20(p.token).safeTransferFrom(msg.sender, address(this), p.claimBond);
    }

    /// @inheritdoc IScoreClaims
    function postPublicClaim(address competition, uint256 id, uint256[] calldata leaves)
        external
        nonReentrant
        returns (uint256 claimId)
    {
        ICompetition.Params memory p = _publicClaimable(competition, id);
        uint256 chunks = _publicSet(p).chunks;
        uint256 width = _leafLength(p);
        if (leaves.length != width * chunks) revert ScoreClaimsInvalidLeaves(width * chunks, leaves.length);
        (bytes32 root, uint256[] memory total) = _build(id, leaves, width, chunks);
        claimId = _recordPublic(competition, id, root, _score(p, total), p);
        emit PublicClaimPosted(claimId, competition, id, msg.sender, root, _claims[claimId].score, p.publicClaimBond, leaves);
        IERC20(p.token).safeTransferFrom(msg.sender, address(this), p.publicClaimBond);
    }

    /// @inheritdoc IScoreClaims
    function challenge(uint256 claimId, Opening calldata opening) external nonReentrant returns (bool voided) {
        Claim storage claim = _openClaim(claimId);
        ICompetition c = ICompetition(claim.competition);
        if (claim.onPublic ? !_publicChecksOpen(c) : block.timestamp > claim.windowEnd) {
            revert ScoreClaimsWindowClosed(claimId, claim.windowEnd);
        }
        ICompetition.Params memory p = c.params();
        ChunkSet memory set = _checkOpening(claim, claimId, c, p, opening);

        IERC20 token = IERC20(p.token);
        uint256 stake = p.challengeBond;
        token.safeTransferFrom(msg.sender, address(this), stake);
        (bool scorable, uint256[] memory actual) = _chunkLeaf(c, p, opening, set);
        voided = !scorable || !_equal(actual, opening.leaf);
        if (!voided) {
            emit ChallengeFailed(claimId, msg.sender, opening.chunkIndex, stake);
            token.safeTransfer(SINK, stake);
            return false;
        }
        // A false public score forfeits the entry as well as the bond.
        if (claim.onPublic) c.disqualify(claim.id);
        _void(claim, claimId, opening.chunkIndex, token, stake);
    }

    /// @inheritdoc IScoreClaims
    function settle(uint256 claimId) external nonReentrant {
        Claim storage claim = _openClaim(claimId);
        if (claim.onPublic) return _settlePublic(claim, claimId);
        uint256 windowEnd = claim.windowEnd;
        if (block.timestamp <= windowEnd) revert ScoreClaimsWindowOpen(claimId, windowEnd);
        ICompetition c = ICompetition(claim.competition);
        uint256 id = claim.id;
        bool completed = c.phase() != ICompetition.Phase.Evaluation || c.submission(id).evaluatedChunks == c.chunkCount();
        if (completed) {
            claim.status = ClaimStatus.Closed;
            emit ClaimClosed(claimId);
        } else {
            uint256 earlier = _firstOpenClaim(address(c), id);
            if (earlier != claimId) revert ScoreClaimsNotFirst(claimId, earlier);
            claim.status = ClaimStatus.Final;
            emit ClaimFinalized(claimId, address(c), id, claim.score);
            c.completeByClaim(id, claim.score);
        }
        IERC20(c.params().token).safeTransfer(claim.claimer, claim.bond);
    }

    // --- views ----------------------------------------------------------------------

    /// @inheritdoc IScoreClaims
    function claimOf(uint256 claimId) external view returns (Claim memory) {
        if (claimId == 0 || claimId > _claimCount) revert ScoreClaimsUnknownClaim(claimId);
        return _claims[claimId];
    }

    /// @inheritdoc IScoreClaims
    function claimCount() external view returns (uint256) {
        return _claimCount;
    }

    /// @inheritdoc IScoreClaims
    function claimsFor(address competition, uint256 id) external view returns (uint256[] memory) {
        return _claimsFor[competition][id];
    }

    /// @inheritdoc IScoreClaims
    function publicClaimOf(address competition, uint256 id) external view returns (uint256) {
        return _publicClaims[competition][id];
    }

    /// @inheritdoc IScoreClaims
    function leafLength(address competition) external view returns (uint256) {
        return _leafLength(ICompetition(competition).params());
    }

    /// @inheritdoc IScoreClaims
    function factory() external view returns (address) {
        return _factory;
    }

    // --- internals ------------------------------------------------------------------

    /// @dev The parameters and chunk count of `competition` after checking that submission
    /// `id` may be claimed there now.
    function _claimable(address competition, uint256 id)
        private
        view
        returns (ICompetition.Params memory p, uint256 chunks)
    {
        ICompetition c = _served(competition);
        p = c.params();
        if (p.challengeWindow == 0) revert ScoreClaimsNotOptimistic(competition);
        ICompetition.Phase actual = c.phase();
        if (actual != ICompetition.Phase.Evaluation) revert ScoreClaimsNotInEvaluation(actual);
        ICompetition.Submission memory sub = c.submission(id);
        if (!sub.revealed || !c.isFinal(id)) revert ScoreClaimsNotEvaluable(id);
        chunks = c.chunkCount();
        if (sub.evaluatedChunks == chunks) revert ScoreClaimsAlreadyCompleted(id);
    }

    /// @dev The parameters of `competition` after checking that the caller may post a public
    /// claim of submission `id` there now.
    function _publicClaimable(address competition, uint256 id) private view returns (ICompetition.Params memory p) {
        ICompetition c = _served(competition);
        p = c.params();
        if (p.publicRoot == bytes32(0)) revert ScoreClaimsNoPublicBoard(competition);
        ICompetition.Phase actual = c.phase();
        if (actual != ICompetition.Phase.Submission) revert ScoreClaimsNotInSubmission(actual);
        if (c.entrantOf(msg.sender) != c.entrantOf(c.submission(id).submitter)) {
            revert ScoreClaimsNotEntrant(id, msg.sender);
        }
        uint256 existing = _publicClaims[competition][id];
        if (existing != 0) revert ScoreClaimsPublicClaimExists(id, existing);
    }

    /// @dev Store a new open public claim; challenges close when the private test set is
    /// revealed, at the latest at `testRevealEnd` (its `windowEnd`).
    function _recordPublic(
        address competition,
        uint256 id,
        bytes32 root,
        uint256 score,
        ICompetition.Params memory p
    ) private returns (uint256 claimId) {
        claimId = ++_claimCount;
        Claim storage claim = _claims[claimId];
        claim.competition = competition;
        claim.windowEnd = p.testRevealEnd;
        claim.claimer = msg.sender;
        claim.status = ClaimStatus.Open;
        claim.onPublic = true;
        claim.id = id;
        claim.root = root;
        claim.score = score;
        claim.bond = p.publicClaimBond;
        _publicClaims[competition][id] = claimId;
    }

    /// @dev `competition` after checking that it is one of the factory's and uses this contract.
    function _served(address competition) private view returns (ICompetition c) {
        c = ICompetition(competition);
        if (!ICompetitionFactory(_factory).isCompetition(competition) || c.scoreClaims() != address(this)) {
            revert ScoreClaimsNotOptimistic(competition);
        }
    }

    /// @dev The public test chunks: zero salt, the test chunk size.
    function _publicSet(ICompetition.Params memory p) private pure returns (ChunkSet memory) {
        uint256 samples = p.publicSamples;
        return ChunkSet(p.publicRoot, bytes32(0), (samples + p.chunkSize - 1) / p.chunkSize, samples);
    }

    /// @dev Whether public claims of `c` can still be challenged: models are revealed and the
    /// private test set is not yet (it waits for the public window after the reveal deadline).
    function _publicChecksOpen(ICompetition c) private view returns (bool) {
        ICompetition.Phase actual = c.phase();
        return actual == ICompetition.Phase.Reveal || actual == ICompetition.Phase.TestReveal;
    }

    /// @dev {settle} of a public claim: once checks are closed, the bond goes back if the model
    /// was revealed (the score stood), else to the sink (an unrevealed claim could not be checked).
    function _settlePublic(Claim storage claim, uint256 claimId) private {
        ICompetition c = ICompetition(claim.competition);
        ICompetition.Phase actual = c.phase();
        if (actual == ICompetition.Phase.Submission || _publicChecksOpen(c)) {
            revert ScoreClaimsWindowOpen(claimId, claim.windowEnd);
        }
        IERC20 token = IERC20(c.params().token);
        uint256 bond = claim.bond;
        if (c.submission(claim.id).revealed) {
            claim.status = ClaimStatus.Final;
            emit ClaimFinalized(claimId, address(c), claim.id, claim.score);
            token.safeTransfer(claim.claimer, bond);
        } else {
            claim.status = ClaimStatus.Voided;
            emit PublicClaimForfeited(claimId, bond);
            token.safeTransfer(SINK, bond);
        }
    }

    /**
     * @dev Reverts unless `opening` leads to `claim`'s root at a chunk's position, its chunk
     * is the committed one and its model the submission's; returns the chunk count.
     */
    function _checkOpening(
        Claim storage claim,
        uint256 claimId,
        ICompetition c,
        ICompetition.Params memory p,
        Opening calldata opening
    ) private view returns (ChunkSet memory set) {
        set = claim.onPublic ? _publicSet(p) : ChunkSet(p.testRoot, c.testSalt(), c.chunkCount(), p.samples);
        uint256 index = opening.chunkIndex;
        uint256 depth = PositionalMerkle.depthFor(set.chunks);
        if (index >= set.chunks || !_opens(claim, opening, _leafLength(p), depth)) {
            revert ScoreClaimsInvalidOpening(claimId, index);
        }
        bytes32 chunkLeaf = keccak256(abi.encode(set.salt, index, keccak256(opening.chunk)));
        if (!PositionalMerkle.verify(opening.chunkProof, set.root, chunkLeaf, index, depth)) {
            revert ScoreClaimsInvalidChunk(index);
        }
        uint256 id = claim.id;
        ICompetition.Submission memory sub = c.submission(id);
        // Before its reveal a submission's hash is its commitment: no bytes can match it.
        if (!sub.revealed) revert ScoreClaimsNotRevealed(id);
        if (keccak256(opening.model) != sub.hash) revert ScoreClaimsModelMismatch(id);
    }

    function _logPosted(uint256 claimId, Claim storage claim, uint256[] calldata leaves) private {
        emit ClaimPosted(
            claimId, claim.competition, claim.id, claim.claimer, claim.root, claim.score, claim.bond, claim.windowEnd,
            leaves
        );
    }

    /// @dev Void `claim`: its bond to the challenger (less the sink's share) with the challenge bond `stake`.
    function _void(Claim storage claim, uint256 claimId, uint256 index, IERC20 token, uint256 stake) private {
        claim.status = ClaimStatus.Voided;
        uint256 bond = claim.bond;
        uint256 burned = bond * SINK_SHARE_BPS / _BPS;
        emit ClaimVoided(claimId, msg.sender, index, bond - burned, burned);
        token.safeTransfer(msg.sender, bond - burned + stake);
        if (burned != 0) token.safeTransfer(SINK, burned);
    }

    function _openClaim(uint256 claimId) private view returns (Claim storage claim) {
        if (claimId == 0 || claimId > _claimCount) revert ScoreClaimsUnknownClaim(claimId);
        claim = _claims[claimId];
        if (claim.status != ClaimStatus.Open) revert ScoreClaimsNotOpen(claimId, claim.status);
    }

    /// @dev The oldest open claim of submission `id`, skipping (for good) the ones before it.
    function _firstOpenClaim(address competition, uint256 id) private returns (uint256) {
        uint256[] storage list = _claimsFor[competition][id];
        uint256 position = _firstOpen[competition][id];
        while (_claims[list[position]].status != ClaimStatus.Open) {
            ++position;
        }
        _firstOpen[competition][id] = position;
        return list[position];
    }

    /// @dev Words per leaf: the per-class metrics keep tallies and support (3K + 1), the others one value.
    function _leafLength(ICompetition.Params memory p) private pure returns (uint256) {
        ICompetition.Metric m = p.metric;
        bool perClass = m == ICompetition.Metric.BalancedAccuracy || m == ICompetition.Metric.MacroF1;
        return perClass ? 3 * uint256(p.classes) + 1 : 1;
    }

    /**
     * @dev The metric of a total leaf vector, as {Competition} computes it from its counts:
     * the value itself, or for the per-class metrics the sum over classes of
     * floor(tp_c 2^64 / support_c) (balanced accuracy) or floor(tp_c 2^65 / (support_c +
     * predicted_c)) (macro F1), classes with a zero denominator adding nothing.
     */
    function _score(ICompetition.Params memory p, uint256[] memory total) private pure returns (uint256 score) {
        if (total.length == 1) return total[0];
        uint256 k = p.classes;
        bool balanced = p.metric == ICompetition.Metric.BalancedAccuracy;
        for (uint256 cls = 0; cls < k; ++cls) {
            uint256 tp = total[1 + cls];
            uint256 support = total[1 + 2 * k + cls];
            uint256 denominator = balanced ? support : support + total[1 + k + cls];
            if (denominator != 0) score += (tp << (balanced ? 64 : 65)) / denominator;
        }
    }

    /**
     * @dev The root and the total of the sum tree over `chunks` leaves of `width` words
     * (positions up to 2^depth past them are hash 0, sum 0), built level by level in place:
     * node i of a level replaces node i of the level below, which its parent i/2 <= i has read.
     */
    function _build(uint256 id, uint256[] calldata leaves, uint256 width, uint256 chunks)
        private
        pure
        returns (bytes32 root, uint256[] memory total)
    {
        uint256 count = uint256(1) << PositionalMerkle.depthFor(chunks);
        bytes32[] memory hashes = new bytes32[](count);
        uint256[] memory sums = new uint256[](count * width);
        for (uint256 i = 0; i < chunks; ++i) {
            for (uint256 j = 0; j < width; ++j) {
                sums[i * width + j] = leaves[i * width + j];
            }
            hashes[i] = _leafHash(id, i, leaves[i * width:(i + 1) * width]);
        }
        for (; count > 1; count >>= 1) {
            for (uint256 i = 0; 2 * i < count; ++i) {
                uint256 left = 2 * i * width;
                for (uint256 j = 0; j < width; ++j) {
                    // Checked: a total above 2^256 is refused (it could not be a count or an error sum).
                    sums[i * width + j] = sums[left + j] + sums[left + width + j];
                }
                hashes[i] = _nodeHash(hashes[2 * i], hashes[2 * i + 1], sums, i * width, width);
            }
        }
        total = new uint256[](width);
        for (uint256 j = 0; j < width; ++j) {
            total[j] = sums[j];
        }
        root = hashes[0];
    }

    /// @dev Whether `opening`'s leaf and path lead to `claim`'s root at the opening's position.
    function _opens(Claim storage claim, Opening calldata opening, uint256 width, uint256 depth)
        private
        view
        returns (bool)
    {
        if (
            opening.leaf.length != width || opening.siblings.length != depth
                || opening.siblingSums.length != depth * width
        ) return false;
        uint256 index = opening.chunkIndex;
        bytes32 node = _leafHash(claim.id, index, opening.leaf);
        uint256[] memory sums = opening.leaf;
        for (uint256 level = 0; level < depth; ++level) {
            for (uint256 j = 0; j < width; ++j) {
                uint256 a = sums[j];
                uint256 sum;
                unchecked {
                    sum = a + opening.siblingSums[level * width + j];
                }
                // The claim's tree has no sum above 2^256; a path that overflows is not its path.
                if (sum < a) return false;
                sums[j] = sum;
            }
            bytes32 sibling = opening.siblings[level];
            node = (index >> level) & 1 == 0
                ? _nodeHash(node, sibling, sums, 0, width)
                : _nodeHash(sibling, node, sums, 0, width);
        }
        return node == claim.root;
    }

    /**
     * @dev The leaf vector of `opening`'s chunk for the submission's model, scored by the
     * competition's evaluator, or `scorable = false` when the committed chunk cannot be
     * scored on chain (the evaluator refuses it, gives no value, or reads another row count
     * than the chunk must hold): then no model can be scored on it by `evaluate` either, and
     * no claim of it can stand. An evaluator call that fails for want of gas reverts instead
     * (a challenger cannot starve it to void an honest claim).
     */
    function _chunkLeaf(ICompetition c, ICompetition.Params memory p, Opening calldata opening, ChunkSet memory set)
        private
        view
        returns (bool scorable, uint256[] memory leaf)
    {
        bytes[] memory models = new bytes[](1);
        models[0] = opening.model;
        IEvaluator evaluator = IEvaluator(c.evaluator());
        ICompetition.Metric m = p.metric;
        leaf = new uint256[](_leafLength(p));
        uint256 rows = 0; // set by the evaluator call below, or the chunk is not scorable
        uint256 before = gasleft();
        if (m == ICompetition.Metric.Accuracy || m == ICompetition.Metric.SumOfSquaredErrors) {
            try evaluator.scoreBatch(opening.chunk, models, p.features, p.classes) returns (
                uint256 read, uint256[] memory values
            ) {
                if (values.length != 1) return (false, leaf);
                (rows, leaf[0]) = (read, values[0]);
            } catch {
                _requireGasLeft(before);
                return (false, leaf);
            }
        } else {
            try evaluator.tallyBatch(opening.chunk, models, p.features, p.classes) returns (
                uint256 read, uint256[] memory support, uint256[][] memory tallies
            ) {
                rows = read;
                if (!_fillTallies(leaf, m, p.classes, support, tallies)) return (false, leaf);
            } catch {
                _requireGasLeft(before);
                return (false, leaf);
            }
        }
        // The committed chunk holds chunkSize rows (the last one the remainder); `evaluate` checks the same.
        uint256 index = opening.chunkIndex;
        uint256 size = p.chunkSize;
        scorable = rows == (index + 1 < set.chunks ? size : set.samples - size * index);
    }

    /// @dev Copies `tallyBatch`'s result for one model into `leaf`; false if it has the wrong shape.
    function _fillTallies(
        uint256[] memory leaf,
        ICompetition.Metric m,
        uint256 k,
        uint256[] memory support,
        uint256[][] memory tallies
    ) private pure returns (bool) {
        if (tallies.length != 1) return false;
        uint256[] memory tally = tallies[0];
        if (m == ICompetition.Metric.SumOfAbsoluteErrors) {
            if (tally.length < 2) return false;
            leaf[0] = tally[1];
            return true;
        }
        if (tally.length != 2 * k + 1 || support.length != k) return false;
        for (uint256 j = 0; j <= 2 * k; ++j) {
            leaf[j] = tally[j];
        }
        for (uint256 j = 0; j < k; ++j) {
            leaf[2 * k + 1 + j] = support[j];
        }
        return true;
    }

    /// @dev Reverts if a failed evaluator call may have run out of gas: it had at most 63/64
    /// of `before` and then left the caller about 1/64 (EIP-150).
    function _requireGasLeft(uint256 before) private view {
        if (gasleft() <= before / 63) revert ScoreClaimsOutOfGas();
    }

    function _equal(uint256[] memory a, uint256[] calldata b) private pure returns (bool) {
        for (uint256 j = 0; j < a.length; ++j) {
            if (a[j] != b[j]) return false;
        }
        return true;
    }

    /// @dev keccak256(id ‖ index ‖ value_0 ‖ ... ‖ value_{n-1}), in memory past the free pointer.
    function _leafHash(uint256 id, uint256 index, uint256[] calldata values) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, id)
            mstore(add(ptr, 0x20), index)
            let size := shl(5, values.length)
            calldatacopy(add(ptr, 0x40), values.offset, size)
            h := keccak256(ptr, add(size, 0x40))
        }
    }

    /// @dev keccak256(left ‖ right ‖ sums[from] ‖ ... ‖ sums[from + width - 1]), in memory past the free pointer.
    function _nodeHash(bytes32 left, bytes32 right, uint256[] memory sums, uint256 from, uint256 width)
        private
        pure
        returns (bytes32 h)
    {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, left)
            mstore(add(ptr, 0x20), right)
            let src := add(add(sums, 0x20), shl(5, from))
            let size := shl(5, width)
            mcopy(add(ptr, 0x40), src, size)
            h := keccak256(ptr, add(size, 0x40))
        }
    }
}
