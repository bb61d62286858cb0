// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BitMaps} from "@openzeppelin/contracts/utils/structs/BitMaps.sol";
import {ICompetition} from "../interfaces/ICompetition.sol";
import {IEvaluator} from "../interfaces/IEvaluator.sol";
import {PositionalMerkle} from "./PositionalMerkle.sol";

/**
 * @title CompetitionScoring
 * @notice The evaluation path of {Competition}: the chunk proof, the evaluator call, the
 * per-class counts, the metric and the ranking (docs/competition-protocol.md, "Contract
 * size and the split plan", step 1).
 * @dev An external library: deployed once, linked into the Competition implementation,
 * and run by DELEGATECALL on the calling clone's storage (a {Scoring} struct the clone
 * holds; the library has no storage of its own). Its events and errors are those of
 * {ICompetition}, so they appear in every clone's log and ABI as before. The internal
 * functions are compiled into Competition too, where it needs them.
 */
library CompetitionScoring {
    using BitMaps for BitMaps.BitMap;

    /// @dev Key of the test support in `lanes`; ids are below 2^64, so no submission key reaches it.
    uint256 internal constant SUPPORT = 1 << 255;

    /// @dev Per-account bookkeeping (one slot).
    struct Participant {
        uint64 commits;
        uint64 reveals;
        bool claimed;
        uint40 period; // the entry period `periodEntries` counts
        uint32 periodEntries;
        uint32 selection; // number of {selectFinals} calls; 0 = the default finals
    }

    /// @dev Where a submission stands among its submitter's finals.
    struct Entry {
        uint64 ordinal; // 1-based commit number of its submitter
        uint32 selection; // the submitter's selection that chose it (0 = none)
        address committer; // the team member who committed (zero: the submitter itself)
    }

    /// @dev A submission's progress on the training chunks (after a default).
    struct TrainingScore {
        uint64 evaluatedChunks;
        uint256 score;
    }

    /// @dev The committed chunk list {evaluate} works on in the current phase.
    struct ChunkSet {
        bool training;
        uint256 chunks;
        uint256 samples;
        uint256 depth;
        bytes32 root;
        bytes32 salt;
    }

    /// @dev The state of a competition that scoring reads or writes (the rest stays in Competition).
    struct Scoring {
        address evaluator;
        uint64 chunkCount;
        uint8 testDepth;
        uint8 trainingDepth;
        // The four counters share one slot.
        uint64 submissionCount;
        uint64 revealedCount;
        uint64 completedCount;
        uint64 trainingCompletedCount;
        uint64 trainingChunkCount;
        /// @dev The revealed test salt (zero before the test reveal).
        bytes32 testSalt;
        /// @dev Fully evaluated ids in paid places, best first; at most `payoutBps.length` long.
        /// Filled from the test scores, or (only after a default, when it is still empty) the training scores.
        uint256[] ranking;
        mapping(uint256 id => ICompetition.Submission) submissions;
        mapping(uint256 id => TrainingScore) trainingScores;
        mapping(address account => Participant) participants;
        /// @dev Lowest revealed id per model hash: a copy of a revealed model never takes a place.
        mapping(bytes32 modelHash => uint256 id) originals;
        /// @dev Bit `(id << 64) | chunkIndex` is set once submission `id` was scored on that test chunk.
        BitMaps.BitMap evaluated;
        /// @dev The same for training chunks.
        BitMaps.BitMap evaluatedOnTraining;
        /// @dev Finals bookkeeping per submission (only when `finals` is set).
        mapping(uint256 id => Entry) entries;
        /// @dev Per-class counts in 64-bit lanes, 4 per word, for per-class metrics: key
        /// `id << 1 | training` holds tp_0..tp_{K-1} then predicted_0..predicted_{K-1};
        /// keys `SUPPORT` and `SUPPORT + 1` the test and training support (labels per class).
        /// A lane never carries: it counts rows of one set, fewer than 2^64 (`samples` is a uint64).
        mapping(uint256 key => mapping(uint256 word => uint256)) lanes;
        // --- teams (library CompetitionTeams) ---
        /// @dev Teams by entrant address, with who has accepted each.
        mapping(address team => ICompetition.Team) teams;
        mapping(address team => mapping(address member => bool)) accepted;
        /// @dev The team an account last joined (zero: none); {entrant} follows `mergedInto` from it.
        mapping(address account => address team) memberOf;
        /// @dev The team an entrant (account or team) merged into (zero: none).
        mapping(address entrant => address team) mergedInto;
        uint64 teamCount;
        /// @dev Stamps of {ICompetition-selectFinals}, unique across entrants (so a merger mixes none).
        uint32 selectionNonce;
        // --- performance stakes ---
        /// @dev Completed finals whose test score beat, or did not beat, `stakeThreshold`.
        uint64 stakesAbove;
        uint64 stakesBelow;
        /// @dev Ids whose held stake was withdrawn.
        BitMaps.BitMap stakeWithdrawn;
        /// @dev Ids disqualified by a voided public claim: never ranked.
        BitMaps.BitMap disqualified;
        /// @dev Commits of the entrants merged before `entrant` into its team: the team numbers
        /// the merged commits entrant by entrant (for its default finals, the last ones).
        mapping(address entrant => uint64 commits) ordinalBase;
    }

    // --- entry points (DELEGATECALL from Competition) --------------------------------

    /**
     * @notice {ICompetition-evaluate} in phase `actual`: test chunks in Evaluation,
     * training chunks in DefaultEvaluation. Checks the phase, the chunk index, the proof and
     * the batch, marks every id scored on the chunk, asks the evaluator and adds the values
     * (ranking what completes).
     */
    function evaluate(
        Scoring storage s,
        ICompetition.Params storage p,
        ICompetition.Phase actual,
        uint256 chunkIndex,
        bytes calldata chunk,
        bytes32[] calldata proof,
        uint256[] calldata ids,
        bytes[] calldata models
    ) external {
        ChunkSet memory set = _chunkSet(s, p, actual);
        _checkChunk(set, chunkIndex, chunk, proof);
        if (ids.length == 0 || ids.length != models.length) {
            revert ICompetition.CompetitionInvalidBatch(ids.length, models.length);
        }
        _markEvaluated(s, p, set.training ? s.evaluatedOnTraining : s.evaluated, chunkIndex, ids, models);

        ICompetition.Metric m = p.metric;
        uint256[] memory values = m == ICompetition.Metric.Accuracy || m == ICompetition.Metric.SumOfSquaredErrors
            ? _scoreChunk(s, p, set, chunkIndex, chunk, models)
            : _tallyChunk(s, p, set, chunkIndex, chunk, ids, models);
        if (set.training) _addTrainingScores(s, p, chunkIndex, set.chunks, ids, values);
        else _addScores(s, p, chunkIndex, set.chunks, ids, values);
    }

    /// @notice {ICompetition-completeByClaim} after the caller and phase checks.
    function completeByClaim(Scoring storage s, ICompetition.Params storage p, uint256 id, uint256 score) external {
        ICompetition.Submission storage sub = submission(s, id);
        uint64 chunks = s.chunkCount;
        if (sub.evaluatedChunks == chunks) revert ICompetition.CompetitionAlreadyCompleted(id);
        sub.score = score;
        sub.evaluatedChunks = chunks;
        s.completedCount += 1;
        emit ICompetition.SubmissionCompleted(id, score);
        _countStake(s, p, id, score);
        _insertRanked(s, p, id, score, false);
    }

    // --- shared with Competition (internal: compiled into both) ----------------------

    /// @dev Submission `id`; reverts for an unknown id.
    function submission(Scoring storage s, uint256 id) internal view returns (ICompetition.Submission storage) {
        requireSubmission(s, id);
        return s.submissions[id];
    }

    /// @dev Reverts unless submission `id` exists (ids start at 1).
    function requireSubmission(Scoring storage s, uint256 id) internal view {
        if (id == 0 || id > s.submissionCount) revert ICompetition.CompetitionUnknownSubmission(id);
    }

    /// @dev Whether submission `id` (a valid id) is one of its entrant's finals (`limit`: the `finals` parameter).
    function isFinal(Scoring storage s, uint256 limit, uint256 id) internal view returns (bool) {
        if (limit == 0) return true;
        Entry storage entry = s.entries[id];
        // Its commit number among its entrant's commits: through each merger since the commit,
        // after the commits of the entrants merged before its own (the path reaches {entrant}).
        uint256 ordinal = entry.ordinal;
        address e = s.submissions[id].submitter;
        for (address next = s.mergedInto[e]; next != address(0); next = s.mergedInto[e]) {
            ordinal += s.ordinalBase[e];
            e = next;
        }
        Participant storage participant = s.participants[e];
        uint256 selection = participant.selection;
        return selection == 0 ? ordinal + limit > participant.commits : entry.selection == selection;
    }

    /**
     * @dev The entrant `account` commits as: the team it last joined, followed through the
     * mergers since (each merger of a team that committed adds a member, so at most
     * {CompetitionTeams-MAX_TEAM_SIZE} steps), or the account itself.
     */
    function entrant(Scoring storage s, address account) internal view returns (address e) {
        e = s.memberOf[account];
        if (e == address(0)) e = account;
        for (address next = s.mergedInto[e]; next != address(0); next = s.mergedInto[e]) {
            e = next;
        }
    }

    /**
     * @dev Whether submission `id`, completed with test `score`, counts above the
     * performance-stake threshold: its score beats it (strictly), and no voided public claim
     * disqualified it (a disqualified entry forfeits its standing: its stake is slashed).
     */
    function stakeAbove(Scoring storage s, ICompetition.Params storage p, uint256 id, uint256 score)
        internal
        view
        returns (bool)
    {
        if (s.disqualified.get(id)) return false;
        return _lowerIsBetter(p) ? score < p.stakeThreshold : score > p.stakeThreshold;
    }

    // --- internals ------------------------------------------------------------------

    /// @dev Count a completed final's held stake above or below the threshold (performance stakes only).
    function _countStake(Scoring storage s, ICompetition.Params storage p, uint256 id, uint256 score) private {
        if (p.slashBps == 0) return;
        if (stakeAbove(s, p, id, score)) s.stakesAbove += 1;
        else s.stakesBelow += 1;
    }

    /// @dev The chunks {evaluate} accepts in phase `actual`; reverts in any other phase.
    function _chunkSet(Scoring storage s, ICompetition.Params storage p, ICompetition.Phase actual)
        private
        view
        returns (ChunkSet memory)
    {
        if (actual == ICompetition.Phase.Evaluation) {
            return ChunkSet(false, s.chunkCount, p.samples, s.testDepth, p.testRoot, s.testSalt);
        }
        if (actual != ICompetition.Phase.DefaultEvaluation) {
            revert ICompetition.CompetitionNotInPhase(ICompetition.Phase.Evaluation, actual);
        }
        return ChunkSet(true, s.trainingChunkCount, p.trainingSamples, s.trainingDepth, p.trainingRoot, bytes32(0));
    }

    /// @dev Reverts unless `chunk` is chunk `chunkIndex` of `set`, proved by `proof`.
    function _checkChunk(ChunkSet memory set, uint256 chunkIndex, bytes calldata chunk, bytes32[] calldata proof)
        private
        pure
    {
        if (chunkIndex >= set.chunks) revert ICompetition.CompetitionChunkOutOfRange(chunkIndex, set.chunks);
        bytes32 leaf = keccak256(abi.encode(set.salt, chunkIndex, keccak256(chunk)));
        if (!PositionalMerkle.verify(proof, set.root, leaf, chunkIndex, set.depth)) {
            revert ICompetition.CompetitionInvalidChunkProof(chunkIndex);
        }
    }

    /**
     * @dev Checks and effects on every id of a batch before the (static) evaluator
     * call; marking the chunk done here also rejects an id repeated within the batch.
     */
    function _markEvaluated(
        Scoring storage s,
        ICompetition.Params storage p,
        BitMaps.BitMap storage bits,
        uint256 chunkIndex,
        uint256[] calldata ids,
        bytes[] calldata models
    ) private {
        uint256 count = ids.length;
        uint256 limit = p.finals;
        uint64 chunks = s.chunkCount;
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = ids[i];
            ICompetition.Submission storage sub = submission(s, id);
            if (!sub.revealed) revert ICompetition.CompetitionNotRevealed(id);
            if (!isFinal(s, limit, id)) revert ICompetition.CompetitionNotFinal(id);
            if (keccak256(models[i]) != sub.hash) revert ICompetition.CompetitionModelMismatch(id);
            // id <= submissionCount < 2**64 and chunkIndex < chunk count < 2**64: no overlap.
            uint256 bit = (id << 64) | chunkIndex;
            if (bits.get(bit)) revert ICompetition.CompetitionChunkAlreadyEvaluated(id, chunkIndex);
            // A submission completed by a claim keeps its claimed score.
            if (sub.evaluatedChunks == chunks) revert ICompetition.CompetitionAlreadyCompleted(id);
            bits.set(bit);
        }
    }

    /**
     * @dev The evaluator's value per model on chunk `chunkIndex` of `set` for Accuracy
     * (correct predictions) and SumOfSquaredErrors (squared errors).
     */
    function _scoreChunk(
        Scoring storage s,
        ICompetition.Params storage p,
        ChunkSet memory set,
        uint256 chunkIndex,
        bytes calldata chunk,
        bytes[] calldata models
    ) private view returns (uint256[] memory values) {
        uint256 rows;
        (rows, values) = IEvaluator(s.evaluator).scoreBatch(chunk, models, p.features, p.classes);
        _checkResult(p, set, chunkIndex, rows, models.length, values.length);
    }

    /**
     * @dev The same for the metrics the evaluator tallies (BalancedAccuracy and MacroF1:
     * correct predictions; SumOfAbsoluteErrors: absolute errors). For the per-class metrics
     * it also adds the per-class counts to `lanes`, and the chunk's support the first time
     * the chunk is scored (bit `chunkIndex` of id 0 in the set's bitmap).
     */
    function _tallyChunk(
        Scoring storage s,
        ICompetition.Params storage p,
        ChunkSet memory set,
        uint256 chunkIndex,
        bytes calldata chunk,
        uint256[] calldata ids,
        bytes[] calldata models
    ) private returns (uint256[] memory) {
        (uint256 rows, uint256[] memory support, uint256[][] memory tallies) = _tallyBatch(s, p, chunk, models);
        _checkResult(p, set, chunkIndex, rows, ids.length, tallies.length);
        return _addTallies(s, p, set.training, chunkIndex, ids, support, tallies);
    }

    /// @dev The evaluator's tallies of `models` on `chunk`.
    function _tallyBatch(
        Scoring storage s,
        ICompetition.Params storage p,
        bytes calldata chunk,
        bytes[] calldata models
    ) private view returns (uint256, uint256[] memory, uint256[][] memory) {
        return IEvaluator(s.evaluator).tallyBatch(chunk, models, p.features, p.classes);
    }

    /// @dev Reverts unless the evaluator read the chunk's rows and gave one result per id.
    function _checkResult(
        ICompetition.Params storage p,
        ChunkSet memory set,
        uint256 chunkIndex,
        uint256 rows,
        uint256 expected,
        uint256 results
    ) private view {
        uint256 expectedRows = _rowsOf(p, chunkIndex, set.chunks, set.samples);
        if (rows != expectedRows) revert ICompetition.CompetitionChunkRowsMismatch(chunkIndex, expectedRows, rows);
        if (results != expected) revert ICompetition.CompetitionEvaluatorResultMismatch(expected, results);
    }

    /// @dev The values of {_tallyChunk} from the evaluator's tallies, keeping the per-class counts.
    function _addTallies(
        Scoring storage s,
        ICompetition.Params storage p,
        bool training,
        uint256 chunkIndex,
        uint256[] calldata ids,
        uint256[] memory support,
        uint256[][] memory tallies
    ) private returns (uint256[] memory values) {
        uint256 k = p.classes;
        bool perClass = p.metric != ICompetition.Metric.SumOfAbsoluteErrors;
        values = new uint256[](ids.length);
        BitMaps.BitMap storage bits = training ? s.evaluatedOnTraining : s.evaluated;
        if (perClass && !bits.get(chunkIndex)) {
            bits.set(chunkIndex);
            _addLanes(s, training ? SUPPORT + 1 : SUPPORT, support, 0, k);
        }
        for (uint256 i = 0; i < ids.length; ++i) {
            // Accuracy-style value first; the sum of absolute errors second (docs/formats.md, "Tallies").
            values[i] = tallies[i][perClass ? 0 : 1];
            if (perClass) _addLanes(s, _laneKey(ids[i], training), tallies[i], 1, 2 * k);
        }
    }

    /// @dev Adds `counts[from .. from + n)` to the lanes of `key` (each count is below 2^32:
    /// at most a chunk's rows), 4 per word, skipping words that add nothing.
    function _addLanes(Scoring storage s, uint256 key, uint256[] memory counts, uint256 from, uint256 n) private {
        mapping(uint256 word => uint256) storage lanes = s.lanes[key];
        for (uint256 w = 0; 4 * w < n; ++w) {
            uint256 word = 0;
            for (uint256 l = 0; l < 4 && 4 * w + l < n; ++l) {
                word |= counts[from + 4 * w + l] << (64 * l);
            }
            if (word != 0) lanes[w] += word;
        }
    }

    function _laneKey(uint256 id, bool training) private pure returns (uint256) {
        return (id << 1) | (training ? 1 : 0);
    }

    function _lane(Scoring storage s, uint256 key, uint256 i) private view returns (uint256) {
        return uint64(s.lanes[key][i >> 2] >> ((i & 3) << 6));
    }

    /**
     * @dev The per-class metric of a submission scored on every chunk of a set:
     * BalancedAccuracy sums floor(tp_c 2^64 / support_c) over classes with support, MacroF1
     * floor(2 tp_c 2^64 / (support_c + predicted_c)) over classes present or predicted.
     * Each term is at most 2^64 (tp_c <= support_c, 2 tp_c <= support_c + predicted_c),
     * so the sum stays below 2^70 (at most {Competition-MAX_METRIC_CLASSES} classes).
     */
    function _classScore(Scoring storage s, ICompetition.Params storage p, uint256 id, bool training)
        private
        view
        returns (uint256 score)
    {
        uint256 k = p.classes;
        bool balanced = p.metric == ICompetition.Metric.BalancedAccuracy;
        uint256 key = _laneKey(id, training);
        uint256 supportKey = training ? SUPPORT + 1 : SUPPORT;
        for (uint256 c = 0; c < k; ++c) {
            uint256 tp = _lane(s, key, c);
            uint256 denominator = balanced ? _lane(s, supportKey, c) : _lane(s, supportKey, c) + _lane(s, key, k + c);
            if (denominator != 0) score += (tp << (balanced ? 64 : 65)) / denominator;
        }
    }

    /// @dev Whether the metric keeps per-class counts.
    function _perClassMetric(ICompetition.Params storage p) private view returns (bool) {
        ICompetition.Metric m = p.metric;
        return m == ICompetition.Metric.BalancedAccuracy || m == ICompetition.Metric.MacroF1;
    }

    /// @dev Whether lower scores rank first (the error sums).
    function _lowerIsBetter(ICompetition.Params storage p) private view returns (bool) {
        ICompetition.Metric m = p.metric;
        return m == ICompetition.Metric.SumOfSquaredErrors || m == ICompetition.Metric.SumOfAbsoluteErrors;
    }

    /// @dev Add the evaluator's values; rank each submission that has now been scored on every chunk.
    function _addScores(
        Scoring storage s,
        ICompetition.Params storage p,
        uint256 chunkIndex,
        uint256 chunks,
        uint256[] calldata ids,
        uint256[] memory values
    ) private {
        uint256 count = ids.length;
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = ids[i];
            ICompetition.Submission storage sub = s.submissions[id];
            uint256 total = sub.score + values[i];
            uint64 done = sub.evaluatedChunks + 1;
            sub.score = total;
            sub.evaluatedChunks = done;
            emit ICompetition.SubmissionScored(id, chunkIndex, values[i], total);
            if (done == chunks) {
                if (_perClassMetric(p)) sub.score = total = _classScore(s, p, id, false);
                s.completedCount += 1;
                emit ICompetition.SubmissionCompleted(id, total);
                _countStake(s, p, id, total);
                _insertRanked(s, p, id, total, false);
            }
        }
    }

    /// @dev As {_addScores} on training chunks; only models beating the baseline are ranked.
    function _addTrainingScores(
        Scoring storage s,
        ICompetition.Params storage p,
        uint256 chunkIndex,
        uint256 chunks,
        uint256[] calldata ids,
        uint256[] memory values
    ) private {
        uint256 count = ids.length;
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = ids[i];
            TrainingScore storage entry = s.trainingScores[id];
            uint256 total = entry.score + values[i];
            uint64 done = entry.evaluatedChunks + 1;
            entry.score = total;
            entry.evaluatedChunks = done;
            emit ICompetition.SubmissionScoredOnTraining(id, chunkIndex, values[i], total);
            if (done == chunks) {
                if (_perClassMetric(p)) entry.score = total = _classScore(s, p, id, true);
                s.trainingCompletedCount += 1;
                uint256 baseline = p.trainingBaseline;
                bool beats = _lowerIsBetter(p) ? total < baseline : total > baseline;
                emit ICompetition.SubmissionCompletedOnTraining(id, total, beats);
                if (beats) _insertRanked(s, p, id, total, true);
            }
        }
    }

    /// @dev Rows of chunk `chunkIndex` (< `chunks`): chunkSize, the last one the remainder.
    function _rowsOf(ICompetition.Params storage p, uint256 chunkIndex, uint256 chunks, uint256 samples)
        private
        view
        returns (uint256)
    {
        uint256 size = p.chunkSize;
        // chunkIndex < chunks = ceil(samples / size), so size * chunkIndex < samples.
        return chunkIndex + 1 < chunks ? size : samples - size * chunkIndex;
    }

    /// @dev Whether (scoreA, idA) ranks before (scoreB, idB): better score, ties to the earlier commit.
    function _before(uint256 scoreA, uint256 idA, uint256 scoreB, uint256 idB, bool lowerIsBetter)
        private
        pure
        returns (bool)
    {
        if (scoreA == scoreB) return idA < idB;
        return lowerIsBetter ? scoreA < scoreB : scoreA > scoreB;
    }

    function _scoreOf(Scoring storage s, uint256 id, bool training) private view returns (uint256) {
        return training ? s.trainingScores[id].score : s.submissions[id].score;
    }

    /**
     * @dev Insert a completed submission into the sorted top-k list (at most
     * {Competition-MAX_PLACES} steps). A later copy of a revealed model (same bytes) never takes a place.
     */
    function _insertRanked(Scoring storage s, ICompetition.Params storage p, uint256 id, uint256 score, bool training)
        private
    {
        if (s.originals[s.submissions[id].hash] != id || s.disqualified.get(id)) return;
        bool lowerIsBetter = _lowerIsBetter(p);
        uint256 places = p.payoutBps.length;
        uint256[] storage ranking = s.ranking;
        uint256 length = ranking.length;
        if (!p.multiplePlaces) {
            // One place per entrant: a ranked entry of the same entrant stays if it is better,
            // else it leaves and the new one is inserted below (an entrant's best only improves).
            // Entrants are fixed by now: mergers end before the submission deadline.
            address submitter = entrant(s, s.submissions[id].submitter);
            for (uint256 i = 0; i < length; ++i) {
                uint256 other = ranking[i];
                if (entrant(s, s.submissions[other].submitter) != submitter) continue;
                if (!_before(score, id, _scoreOf(s, other, training), other, lowerIsBetter)) return;
                for (uint256 j = i + 1; j < length; ++j) {
                    ranking[j - 1] = ranking[j];
                }
                ranking.pop();
                --length;
                break;
            }
        }
        uint256 pos;
        if (length < places) {
            ranking.push(id);
            pos = length;
        } else {
            uint256 last = ranking[length - 1];
            if (!_before(score, id, _scoreOf(s, last, training), last, lowerIsBetter)) return;
            pos = length - 1;
        }
        while (pos > 0) {
            uint256 above = ranking[pos - 1];
            if (!_before(score, id, _scoreOf(s, above, training), above, lowerIsBetter)) break;
            ranking[pos] = above;
            --pos;
        }
        ranking[pos] = id;
    }
}
