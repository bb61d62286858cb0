// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {BitMaps} from "@openzeppelin/contracts/utils/structs/BitMaps.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ICompetition} from "./interfaces/ICompetition.sol";
import {IEvaluator} from "./interfaces/IEvaluator.sol";
import {PositionalMerkle} from "./libraries/PositionalMerkle.sol";
import {SINK} from "./libraries/Sink.sol";

/**
 * @title Competition
 * @notice A decentralised Kaggle competition: commit, reveal, on-chain evaluation
 * on a Merkle-committed hidden test set, and pull payments to the best models;
 * if the creator defaults, the models are scored on the committed training data
 * and the creator's bond is burned.
 * @dev Used only through EIP-1167 clones made by {CompetitionFactory}: the
 * implementation itself is locked by its constructor. See ICompetition for the
 * phases and docs/competition-protocol.md for the rules and their reasons.
 *
 * Gas: every function is O(1) except {reveal} (linear in the model size, capped
 * at {MAX_MODEL_SIZE_LIMIT}), {evaluate} (linear in the batch the caller chooses,
 * plus at most {MAX_PLACES} steps per newly completed submission) and
 * {finalize} / the first {claim} (at most {MAX_PLACES} steps).
 */
contract Competition is ICompetition, Initializable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using BitMaps for BitMaps.BitMap;

    /// @notice Largest `maxModelSize` a creator may choose (256 KiB): a reveal of that
    /// size costs about 10.5 Mgas even at the EIP-7623 calldata floor price.
    uint256 public constant MAX_MODEL_SIZE_LIMIT = 256 * 1024;

    /// @notice Most paid places (length of `payoutBps`).
    uint256 public constant MAX_PLACES = 10;

    /// @notice Basis points in a whole pool.
    uint256 public constant BPS = 10_000;

    /// @notice Most classes a per-class metric (BalancedAccuracy, MacroF1) accepts.
    uint256 public constant MAX_METRIC_CLASSES = 32;

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

    Params private _params;
    address private _creator;
    bool private _testRevealed;
    /// @dev Set by {finalize} (or the first {claim}); the outcome itself is fixed by the Finalized phase.
    bool private _finalized;
    address private _evaluator;
    uint64 private _chunkCount;
    uint64 private _trainingChunkCount;
    uint8 private _testDepth;
    uint8 private _trainingDepth;
    address private _factory;
    bytes32 private _testSalt;
    string private _testDataCid;
    uint64 private _submissionCount;
    uint64 private _revealedCount;
    uint64 private _completedCount;
    uint64 private _trainingCompletedCount;
    uint64 private _revealedFinals;
    uint64 private _createdAt;
    address private _scoreClaims;
    /// @dev Fully evaluated ids in paid places, best first; at most `payoutBps.length` long.
    /// Filled from the test scores, or (only after a default, when it is still empty) the training scores.
    uint256[] private _ranking;
    mapping(uint256 id => Submission) private _submissions;
    mapping(uint256 id => TrainingScore) private _trainingScores;
    mapping(address account => Participant) private _participants;
    /// @dev Lowest revealed id per model hash: a copy of a revealed model never takes a place.
    mapping(bytes32 modelHash => uint256 id) private _originals;
    /// @dev Bit `(id << 64) | chunkIndex` is set once submission `id` was scored on that test chunk.
    BitMaps.BitMap private _evaluated;
    /// @dev The same for training chunks.
    BitMaps.BitMap private _evaluatedOnTraining;
    /// @dev Finals bookkeeping per submission (only when `finals` is set).
    mapping(uint256 id => Entry) private _entries;
    /// @dev Per-class counts in 64-bit lanes, 4 per word, for per-class metrics: key
    /// `id << 1 | training` holds tp_0..tp_{K-1} then predicted_0..predicted_{K-1};
    /// keys `_SUPPORT` and `_SUPPORT + 1` the test and training support (labels per class).
    /// A lane never carries: it counts rows of one set, fewer than 2^64 (`samples` is a uint64).
    mapping(uint256 key => mapping(uint256 word => uint256)) private _lanes;

    /// @dev Key of the test support in `_lanes`; ids are below 2^64, so no submission key reaches it.
    uint256 private constant _SUPPORT = 1 << 255;

    /// @dev Locks the implementation: only clones can be initialized.
    constructor() {
        _disableInitializers();
    }

    // --- lifecycle ------------------------------------------------------------------

    /// @inheritdoc ICompetition
    function initialize(Params calldata p, address creatorAccount, address evaluatorContract, address scoreClaims_)
        external
        initializer
    {
        if (p.reward == 0) revert CompetitionZeroReward();
        if (
            block.timestamp >= p.submissionEnd || p.submissionEnd >= p.revealEnd || p.revealEnd >= p.testRevealEnd
                || p.testRevealEnd >= p.evaluationEnd
        ) {
            revert CompetitionInvalidDeadlines(
                block.timestamp, p.submissionEnd, p.revealEnd, p.testRevealEnd, p.evaluationEnd
            );
        }
        if (p.testRoot == bytes32(0) || p.samples == 0 || p.chunkSize == 0) {
            revert CompetitionInvalidTestSet(p.testRoot, p.samples, p.chunkSize);
        }
        if (p.trainingRoot == bytes32(0) || p.trainingSamples == 0) {
            revert CompetitionInvalidTrainingSet(p.trainingRoot, p.trainingSamples);
        }
        if (p.features == 0 || p.classes == 1) revert CompetitionInvalidTask(p.features, p.classes);
        if (p.maxModelSize == 0 || p.maxModelSize > MAX_MODEL_SIZE_LIMIT) {
            revert CompetitionInvalidMaxModelSize(p.maxModelSize, MAX_MODEL_SIZE_LIMIT);
        }
        if (p.modelBudget == 0) revert CompetitionInvalidModelBudget();
        _checkMetric(p.metric, p.classes);
        if (p.entriesPerPeriod != 0 && p.periodLength == 0) {
            revert CompetitionInvalidPeriod(p.entriesPerPeriod, p.periodLength);
        }
        _checkPayoutSplit(p.payoutBps);
        if (bytes(p.trainingDataCid).length == 0 && p.trainingListingId == 0) revert CompetitionNoTrainingData();

        _params = p;
        _creator = creatorAccount;
        _evaluator = evaluatorContract;
        _scoreClaims = scoreClaims_;
        _factory = msg.sender;
        _createdAt = uint64(block.timestamp);
        // samples < 2**64 and chunkSize < 2**32: the sums cannot overflow 256 bits, and
        // the quotients are at most the sample counts, so they fit in 64 bits.
        uint256 chunks = (uint256(p.samples) + p.chunkSize - 1) / p.chunkSize;
        uint256 trainingChunks = (uint256(p.trainingSamples) + p.chunkSize - 1) / p.chunkSize;
        _chunkCount = uint64(chunks);
        _trainingChunkCount = uint64(trainingChunks);
        _testDepth = PositionalMerkle.depthFor(chunks);
        _trainingDepth = PositionalMerkle.depthFor(trainingChunks);
        emit CompetitionInitialized(creatorAccount, evaluatorContract, p.token, p.reward);
    }

    /// @inheritdoc ICompetition
    function commit(bytes32 commitment) external nonReentrant returns (uint256 id) {
        _requirePhase(Phase.Submission);
        if (msg.sender == _creator) revert CompetitionCreatorCannotCommit(msg.sender);
        Participant storage participant = _participants[msg.sender];
        uint256 cap = _params.maxSubmissionsPerAddress;
        if (cap != 0 && participant.commits >= cap) revert CompetitionSubmissionCapReached(msg.sender, cap);
        uint256 perPeriod = _params.entriesPerPeriod;
        if (perPeriod != 0) {
            uint256 current = currentPeriod();
            if (participant.period != current) {
                // Reaches 2^40 only after 2^40 seconds (34,000 years); SafeCast reverts then.
                participant.period = SafeCast.toUint40(current);
                participant.periodEntries = 0;
            }
            if (participant.periodEntries >= perPeriod) {
                revert CompetitionPeriodCapReached(
                    msg.sender, perPeriod, _createdAt + (current + 1) * _params.periodLength
                );
            }
            participant.periodEntries += 1;
        }

        uint64 ordinal = participant.commits + 1;
        participant.commits = ordinal;
        id = ++_submissionCount;
        Submission storage sub = _submissions[id];
        sub.submitter = msg.sender;
        sub.hash = commitment;
        if (_params.finals != 0) _entries[id].ordinal = ordinal;
        emit SubmissionCommitted(id, msg.sender, commitment);

        uint256 stake = _params.entryStake;
        if (stake != 0) IERC20(_params.token).safeTransferFrom(msg.sender, address(this), stake);
    }

    /// @inheritdoc ICompetition
    function reveal(uint256 id, bytes calldata modelBytes, bytes32 salt, string calldata artifactCid)
        external
        nonReentrant
    {
        _requirePhase(Phase.Reveal);
        Submission storage sub = _submission(id);
        if (sub.revealed) revert CompetitionAlreadyRevealed(id);
        uint256 maxSize = _params.maxModelSize;
        if (modelBytes.length > maxSize) revert CompetitionModelTooLarge(id, modelBytes.length, maxSize);
        bytes32 modelHash = keccak256(modelBytes);
        // The commitment binds the sender: a copied commitment cannot be revealed by the copier.
        if (commitmentFor(msg.sender, modelHash, salt) != sub.hash) revert CompetitionCommitmentMismatch(id, msg.sender);
        // A malformed model, or one above the creator's budget, reverts with the evaluator's
        // named error: the chunks were sized for models within the budget.
        uint256 work =
            IEvaluator(_evaluator).checkModel(modelBytes, _params.features, _params.classes, _params.modelBudget);

        sub.revealed = true;
        sub.hash = modelHash;
        _participants[msg.sender].reveals += 1;
        _revealedCount += 1;
        // Only finals can rank, so only finals count as originals: a final repeating the bytes
        // of an earlier non-final (a participant re-committing its best model) still ranks.
        if (_isFinal(id)) {
            _revealedFinals += 1;
            uint256 original = _originals[modelHash];
            if (original == 0 || id < original) _originals[modelHash] = id;
        }
        emit SubmissionRevealed(id, msg.sender, modelHash, artifactCid, modelBytes, work);

        uint256 stake = _params.entryStake;
        if (stake != 0) IERC20(_params.token).safeTransfer(msg.sender, stake);
    }

    /// @inheritdoc ICompetition
    function selectFinals(uint256[] calldata ids) external {
        _requirePhase(Phase.Submission);
        uint256 limit = _params.finals;
        if (limit == 0 || ids.length == 0 || ids.length > limit) revert CompetitionInvalidFinals(ids.length, limit);
        Participant storage participant = _participants[msg.sender];
        uint32 selection = participant.selection + 1;
        participant.selection = selection;
        for (uint256 i = 0; i < ids.length; ++i) {
            uint256 id = ids[i];
            if (_submission(id).submitter != msg.sender) revert CompetitionNotSubmitter(id, msg.sender);
            Entry storage entry = _entries[id];
            if (entry.selection == selection) revert CompetitionDuplicateFinal(id);
            entry.selection = selection;
        }
        emit FinalsSelected(msg.sender, ids);
    }

    /// @inheritdoc ICompetition
    function revealTestSet(bytes32 salt, string calldata cid) external {
        _requirePhase(Phase.TestReveal);
        if (msg.sender != _creator) revert CompetitionNotCreator(msg.sender);
        _testRevealed = true;
        _testSalt = salt;
        _testDataCid = cid;
        emit TestSetRevealed(salt, cid);
    }

    /// @inheritdoc ICompetition
    function evaluate(
        uint256 chunkIndex,
        bytes calldata chunk,
        bytes32[] calldata proof,
        uint256[] calldata ids,
        bytes[] calldata models
    ) external nonReentrant {
        ChunkSet memory set = _chunkSet();
        if (chunkIndex >= set.chunks) revert CompetitionChunkOutOfRange(chunkIndex, set.chunks);
        bytes32 leaf = keccak256(abi.encode(set.salt, chunkIndex, keccak256(chunk)));
        if (!PositionalMerkle.verify(proof, set.root, leaf, chunkIndex, set.depth)) {
            revert CompetitionInvalidChunkProof(chunkIndex);
        }
        if (ids.length == 0 || ids.length != models.length) revert CompetitionInvalidBatch(ids.length, models.length);
        _markEvaluated(set.training ? _evaluatedOnTraining : _evaluated, chunkIndex, ids, models);

        uint256[] memory values = _scoreChunk(set, chunkIndex, chunk, ids, models);
        if (set.training) _addTrainingScores(chunkIndex, set.chunks, ids, values);
        else _addScores(chunkIndex, set.chunks, ids, values);
    }

    /// @inheritdoc ICompetition
    function completeByClaim(uint256 id, uint256 score) external nonReentrant {
        if (msg.sender != _scoreClaims || msg.sender == address(0)) revert CompetitionNotScoreClaims(msg.sender);
        _requirePhase(Phase.Evaluation);
        Submission storage sub = _submission(id);
        uint64 chunks = _chunkCount;
        if (sub.evaluatedChunks == chunks) revert CompetitionAlreadyCompleted(id);
        sub.score = score;
        sub.evaluatedChunks = chunks;
        _completedCount += 1;
        emit SubmissionCompleted(id, score);
        _insertRanked(id, score, false);
    }

    /// @inheritdoc ICompetition
    function finalize() external nonReentrant {
        _requirePhase(Phase.Finalized);
        if (_finalized) revert CompetitionAlreadyFinalized();
        _finalize();
    }

    /// @inheritdoc ICompetition
    function claim() external nonReentrant returns (uint256 amount) {
        _requirePhase(Phase.Finalized);
        if (!_finalized) _finalize();
        Participant storage participant = _participants[msg.sender];
        if (participant.claimed) revert CompetitionAlreadyClaimed(msg.sender);
        amount = _payoutOf(msg.sender);
        if (amount == 0) revert CompetitionNothingToClaim(msg.sender);

        participant.claimed = true;
        emit PayoutClaimed(msg.sender, amount);
        IERC20(_params.token).safeTransfer(msg.sender, amount);
    }

    // --- views ----------------------------------------------------------------------

    /// @inheritdoc ICompetition
    function phase() public view returns (Phase) {
        if (_finalized) return Phase.Finalized;
        uint256 t = block.timestamp;
        if (t < _params.submissionEnd) return Phase.Submission;
        if (t < _params.revealEnd) return Phase.Reveal;
        uint256 revealed = _revealedFinals;
        // No final revealed: the pool can only go back to the creator.
        if (revealed == 0) return Phase.Finalized;
        if (!_testRevealed) {
            if (t < _params.testRevealEnd) return Phase.TestReveal;
        } else {
            // Evaluation starts at the test reveal and ends early once every revealed model is scored.
            if (t < _params.evaluationEnd && _completedCount < revealed) return Phase.Evaluation;
            if (_completedCount != 0) return Phase.Finalized;
        }
        // The creator defaulted: the training chunks stand in for the test set for one window.
        if (t < defaultEvaluationEnd() && _trainingCompletedCount < revealed) return Phase.DefaultEvaluation;
        return Phase.Finalized;
    }

    /// @inheritdoc ICompetition
    function defaultEvaluationEnd() public view returns (uint256) {
        uint256 evaluationEnd = _params.evaluationEnd;
        // The default is certain at testRevealEnd (no test reveal) or at evaluationEnd (nothing
        // scored); from then the models get as long as an evaluation window (testRevealEnd < evaluationEnd).
        if (!_testRevealed) return evaluationEnd;
        return evaluationEnd + (evaluationEnd - _params.testRevealEnd);
    }

    /// @inheritdoc ICompetition
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc ICompetition
    function creator() external view returns (address) {
        return _creator;
    }

    /// @inheritdoc ICompetition
    function evaluator() external view returns (address) {
        return _evaluator;
    }

    /// @inheritdoc ICompetition
    function scoreClaims() external view returns (address) {
        return _scoreClaims;
    }

    /// @inheritdoc ICompetition
    function factory() external view returns (address) {
        return _factory;
    }

    /// @inheritdoc ICompetition
    function metric() public view returns (Metric) {
        return _params.metric;
    }

    /// @inheritdoc ICompetition
    function isFinal(uint256 id) external view returns (bool) {
        _submission(id);
        return _isFinal(id);
    }

    /// @inheritdoc ICompetition
    function revealedFinalCount() external view returns (uint256) {
        return _revealedFinals;
    }

    /// @inheritdoc ICompetition
    function currentPeriod() public view returns (uint256) {
        uint256 length = _params.periodLength;
        return length == 0 ? 0 : (block.timestamp - _createdAt) / length;
    }

    /// @inheritdoc ICompetition
    function createdAt() external view returns (uint256) {
        return _createdAt;
    }

    /// @inheritdoc ICompetition
    function entriesThisPeriod(address account) external view returns (uint256) {
        Participant storage participant = _participants[account];
        // The stored period is never ahead of the current one (it is set to it at a commit).
        return participant.period < currentPeriod() ? 0 : participant.periodEntries;
    }

    /// @inheritdoc ICompetition
    function chunkCount() external view returns (uint256) {
        return _chunkCount;
    }

    /// @inheritdoc ICompetition
    function trainingChunkCount() external view returns (uint256) {
        return _trainingChunkCount;
    }

    /// @inheritdoc ICompetition
    function commitmentFor(address submitter, bytes32 modelHash, bytes32 salt) public view returns (bytes32) {
        return keccak256(abi.encode(address(this), submitter, modelHash, salt));
    }

    /// @inheritdoc ICompetition
    function submissionCount() external view returns (uint256) {
        return _submissionCount;
    }

    /// @inheritdoc ICompetition
    function revealedCount() external view returns (uint256) {
        return _revealedCount;
    }

    /// @inheritdoc ICompetition
    function completedCount() external view returns (uint256) {
        return _completedCount;
    }

    /// @inheritdoc ICompetition
    function submission(uint256 id) external view returns (Submission memory) {
        return _submission(id);
    }

    /// @inheritdoc ICompetition
    function trainingScore(uint256 id) external view returns (uint256 evaluatedChunks, uint256 score) {
        TrainingScore storage entry = _trainingScores[id];
        return (entry.evaluatedChunks, entry.score);
    }

    /// @inheritdoc ICompetition
    function originalOf(bytes32 modelHash) external view returns (uint256) {
        return _originals[modelHash];
    }

    /// @inheritdoc ICompetition
    function submissionsOf(address account) external view returns (uint256 commits, uint256 reveals) {
        Participant storage participant = _participants[account];
        return (participant.commits, participant.reveals);
    }

    /// @inheritdoc ICompetition
    function isEvaluated(uint256 id, uint256 chunkIndex) external view returns (bool) {
        return _isSet(_evaluated, id, chunkIndex);
    }

    /// @inheritdoc ICompetition
    function isEvaluatedOnTraining(uint256 id, uint256 chunkIndex) external view returns (bool) {
        return _isSet(_evaluatedOnTraining, id, chunkIndex);
    }

    /// @inheritdoc ICompetition
    function ranking() external view returns (uint256[] memory) {
        return _ranking;
    }

    /// @inheritdoc ICompetition
    function testSetRevealed() external view returns (bool) {
        return _testRevealed;
    }

    /// @inheritdoc ICompetition
    function testSalt() external view returns (bytes32) {
        return _testSalt;
    }

    /// @inheritdoc ICompetition
    function testDataCid() external view returns (string memory) {
        return _testDataCid;
    }

    /// @inheritdoc ICompetition
    function prizePool() public view returns (uint256) {
        return _params.reward + _params.entryStake * (_submissionCount - _revealedCount);
    }

    /// @inheritdoc ICompetition
    function outcome() public view returns (Outcome) {
        if (phase() != Phase.Finalized) return Outcome.Pending;
        if (_revealedFinals == 0) return Outcome.ReturnedToCreator;
        return _testRevealed && _completedCount != 0 ? Outcome.Ranked : Outcome.Defaulted;
    }

    /// @inheritdoc ICompetition
    function finalized() external view returns (bool) {
        return _finalized;
    }

    /// @inheritdoc ICompetition
    function claimable(address account) external view returns (uint256) {
        return _participants[account].claimed ? 0 : _payoutOf(account);
    }

    /// @inheritdoc ICompetition
    function hasClaimed(address account) external view returns (bool) {
        return _participants[account].claimed;
    }

    /// @inheritdoc ICompetition
    function winner() external view returns (uint256 id, address submitter, bytes32 modelHash) {
        if (outcome() == Outcome.Pending || _ranking.length == 0) return (0, address(0), bytes32(0));
        id = _ranking[0];
        Submission storage sub = _submissions[id];
        return (id, sub.submitter, sub.hash);
    }

    /// @inheritdoc ICompetition
    function licensee() external view returns (address) {
        return outcome() == Outcome.Ranked && _ranking.length != 0 ? _creator : address(0);
    }

    // --- internals ------------------------------------------------------------------

    function _requirePhase(Phase expected) private view {
        Phase actual = phase();
        if (actual != expected) revert CompetitionNotInPhase(expected, actual);
    }

    function _submission(uint256 id) private view returns (Submission storage sub) {
        if (id == 0 || id > _submissionCount) revert CompetitionUnknownSubmission(id);
        return _submissions[id];
    }

    function _isSet(BitMaps.BitMap storage bits, uint256 id, uint256 chunkIndex) private view returns (bool) {
        // Id 0 (no submission) marks the chunks whose support was counted.
        return id != 0 && id <= type(uint64).max && chunkIndex <= type(uint64).max && bits.get((id << 64) | chunkIndex);
    }

    /// @dev The chunks {evaluate} accepts now: test chunks in Evaluation, training chunks in DefaultEvaluation.
    function _chunkSet() private view returns (ChunkSet memory set) {
        Phase actual = phase();
        if (actual == Phase.Evaluation) {
            return ChunkSet(false, _chunkCount, _params.samples, _testDepth, _params.testRoot, _testSalt);
        }
        if (actual != Phase.DefaultEvaluation) revert CompetitionNotInPhase(Phase.Evaluation, actual);
        return ChunkSet(
            true, _trainingChunkCount, _params.trainingSamples, _trainingDepth, _params.trainingRoot, bytes32(0)
        );
    }

    /**
     * @dev Checks and effects on every id of a batch before the (static) evaluator
     * call; marking the chunk done here also rejects an id repeated within the batch.
     */
    function _markEvaluated(
        BitMaps.BitMap storage bits,
        uint256 chunkIndex,
        uint256[] calldata ids,
        bytes[] calldata models
    ) private {
        uint256 count = ids.length;
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = ids[i];
            Submission storage sub = _submission(id);
            if (!sub.revealed) revert CompetitionNotRevealed(id);
            if (!_isFinal(id)) revert CompetitionNotFinal(id);
            if (keccak256(models[i]) != sub.hash) revert CompetitionModelMismatch(id);
            // id <= _submissionCount < 2**64 and chunkIndex < chunk count < 2**64: no overlap.
            uint256 bit = (id << 64) | chunkIndex;
            if (bits.get(bit)) revert CompetitionChunkAlreadyEvaluated(id, chunkIndex);
            // A submission completed by a claim keeps its claimed score.
            if (sub.evaluatedChunks == _chunkCount) revert CompetitionAlreadyCompleted(id);
            bits.set(bit);
        }
    }

    /**
     * @dev The evaluator's value per model on chunk `chunkIndex` of `set`: correct
     * predictions (Accuracy and the per-class metrics), squared or absolute errors. For
     * the per-class metrics it also adds the per-class counts to `_lanes`, and the chunk's
     * support the first time the chunk is scored (bit `chunkIndex` of id 0 in the set's bitmap).
     */
    function _scoreChunk(
        ChunkSet memory set,
        uint256 chunkIndex,
        bytes calldata chunk,
        uint256[] calldata ids,
        bytes[] calldata models
    ) private returns (uint256[] memory values) {
        Metric m = _params.metric;
        uint256 rows;
        if (m == Metric.Accuracy || m == Metric.SumOfSquaredErrors) {
            (rows, values) = IEvaluator(_evaluator).scoreBatch(chunk, models, _params.features, _params.classes);
            _checkResult(set, chunkIndex, rows, ids.length, values.length);
            return values;
        }
        (uint256 tallied, uint256[] memory support, uint256[][] memory tallies) =
            IEvaluator(_evaluator).tallyBatch(chunk, models, _params.features, _params.classes);
        _checkResult(set, chunkIndex, tallied, ids.length, tallies.length);
        return _addTallies(set.training, chunkIndex, ids, support, tallies);
    }

    /// @dev Reverts unless the evaluator read the chunk's rows and gave one result per id.
    function _checkResult(ChunkSet memory set, uint256 chunkIndex, uint256 rows, uint256 expected, uint256 results)
        private
        view
    {
        uint256 expectedRows = _rowsOf(chunkIndex, set.chunks, set.samples);
        if (rows != expectedRows) revert CompetitionChunkRowsMismatch(chunkIndex, expectedRows, rows);
        if (results != expected) revert CompetitionEvaluatorResultMismatch(expected, results);
    }

    /// @dev The values of {_scoreChunk} from the evaluator's tallies, keeping the per-class counts.
    function _addTallies(
        bool training,
        uint256 chunkIndex,
        uint256[] calldata ids,
        uint256[] memory support,
        uint256[][] memory tallies
    ) private returns (uint256[] memory values) {
        uint256 k = _params.classes;
        bool perClass = _params.metric != Metric.SumOfAbsoluteErrors;
        values = new uint256[](ids.length);
        BitMaps.BitMap storage bits = training ? _evaluatedOnTraining : _evaluated;
        if (perClass && !bits.get(chunkIndex)) {
            bits.set(chunkIndex);
            _addLanes(training ? _SUPPORT + 1 : _SUPPORT, support, 0, k);
        }
        for (uint256 i = 0; i < ids.length; ++i) {
            // Accuracy-style value first; the sum of absolute errors second (docs/formats.md, "Tallies").
            values[i] = tallies[i][perClass ? 0 : 1];
            if (perClass) _addLanes(_laneKey(ids[i], training), tallies[i], 1, 2 * k);
        }
    }

    /// @dev Adds `counts[from .. from + n)` to the lanes of `key` (each count is below 2^32:
    /// at most a chunk's rows), 4 per word, skipping words that add nothing.
    function _addLanes(uint256 key, uint256[] memory counts, uint256 from, uint256 n) private {
        mapping(uint256 word => uint256) storage lanes = _lanes[key];
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

    function _lane(uint256 key, uint256 i) private view returns (uint256) {
        return uint64(_lanes[key][i >> 2] >> ((i & 3) << 6));
    }

    /**
     * @dev The per-class metric of a submission scored on every chunk of a set:
     * BalancedAccuracy sums floor(tp_c 2^64 / support_c) over classes with support, MacroF1
     * floor(2 tp_c 2^64 / (support_c + predicted_c)) over classes present or predicted.
     * Each term is at most 2^64 (tp_c <= support_c, 2 tp_c <= support_c + predicted_c),
     * so the sum stays below 2^70 (at most {MAX_METRIC_CLASSES} classes).
     */
    function _classScore(uint256 id, bool training) private view returns (uint256 score) {
        uint256 k = _params.classes;
        bool balanced = _params.metric == Metric.BalancedAccuracy;
        uint256 key = _laneKey(id, training);
        uint256 supportKey = training ? _SUPPORT + 1 : _SUPPORT;
        for (uint256 c = 0; c < k; ++c) {
            uint256 tp = _lane(key, c);
            uint256 denominator = balanced ? _lane(supportKey, c) : _lane(supportKey, c) + _lane(key, k + c);
            if (denominator != 0) score += (tp << (balanced ? 64 : 65)) / denominator;
        }
    }

    /// @dev Whether the metric keeps per-class counts.
    function _perClassMetric() private view returns (bool) {
        Metric m = _params.metric;
        return m == Metric.BalancedAccuracy || m == Metric.MacroF1;
    }

    /// @dev Whether lower scores rank first (the error sums).
    function _lowerIsBetter() private view returns (bool) {
        Metric m = _params.metric;
        return m == Metric.SumOfSquaredErrors || m == Metric.SumOfAbsoluteErrors;
    }

    /// @dev Reverts unless `m` suits the task (and, per class, has at most MAX_METRIC_CLASSES classes).
    function _checkMetric(Metric m, uint256 classes) private pure {
        bool ok = classes == 0
            ? m == Metric.SumOfSquaredErrors || m == Metric.SumOfAbsoluteErrors
            : m == Metric.Accuracy || m == Metric.BalancedAccuracy || m == Metric.MacroF1;
        if (!ok) revert CompetitionInvalidMetric(m, classes);
        if ((m == Metric.BalancedAccuracy || m == Metric.MacroF1) && classes > MAX_METRIC_CLASSES) {
            revert CompetitionTooManyClassesForMetric(classes, MAX_METRIC_CLASSES);
        }
    }

    /// @dev Reverts unless `bps` has 1 to MAX_PLACES places summing to BPS.
    function _checkPayoutSplit(uint16[] calldata bps) private pure {
        uint256 places = bps.length;
        uint256 totalBps = 0;
        for (uint256 i = 0; i < places; ++i) {
            totalBps += bps[i];
        }
        if (places == 0 || places > MAX_PLACES || totalBps != BPS) {
            revert CompetitionInvalidPayoutSplit(places, totalBps);
        }
    }

    /// @dev Whether submission `id` (a valid id) is one of its submitter's finals.
    function _isFinal(uint256 id) private view returns (bool) {
        uint256 limit = _params.finals;
        if (limit == 0) return true;
        Participant storage participant = _participants[_submissions[id].submitter];
        Entry storage entry = _entries[id];
        uint256 selection = participant.selection;
        return selection == 0 ? entry.ordinal + limit > participant.commits : entry.selection == selection;
    }

    /// @dev Add the evaluator's values; rank each submission that has now been scored on every chunk.
    function _addScores(uint256 chunkIndex, uint256 chunks, uint256[] calldata ids, uint256[] memory values)
        private
    {
        uint256 count = ids.length;
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = ids[i];
            Submission storage sub = _submissions[id];
            uint256 total = sub.score + values[i];
            uint64 done = sub.evaluatedChunks + 1;
            sub.score = total;
            sub.evaluatedChunks = done;
            emit SubmissionScored(id, chunkIndex, values[i], total);
            if (done == chunks) {
                if (_perClassMetric()) sub.score = total = _classScore(id, false);
                _completedCount += 1;
                emit SubmissionCompleted(id, total);
                _insertRanked(id, total, false);
            }
        }
    }

    /// @dev As {_addScores} on training chunks; only models beating the baseline are ranked.
    function _addTrainingScores(uint256 chunkIndex, uint256 chunks, uint256[] calldata ids, uint256[] memory values)
        private
    {
        uint256 count = ids.length;
        for (uint256 i = 0; i < count; ++i) {
            uint256 id = ids[i];
            TrainingScore storage entry = _trainingScores[id];
            uint256 total = entry.score + values[i];
            uint64 done = entry.evaluatedChunks + 1;
            entry.score = total;
            entry.evaluatedChunks = done;
            emit SubmissionScoredOnTraining(id, chunkIndex, values[i], total);
            if (done == chunks) {
                if (_perClassMetric()) entry.score = total = _classScore(id, true);
                _trainingCompletedCount += 1;
                uint256 baseline = _params.trainingBaseline;
                bool beats = _lowerIsBetter() ? total < baseline : total > baseline;
                emit SubmissionCompletedOnTraining(id, total, beats);
                if (beats) _insertRanked(id, total, true);
            }
        }
    }

    /// @dev Rows of chunk `chunkIndex` (< `chunks`): chunkSize, the last one the remainder.
    function _rowsOf(uint256 chunkIndex, uint256 chunks, uint256 samples) private view returns (uint256) {
        uint256 size = _params.chunkSize;
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

    function _scoreOf(uint256 id, bool training) private view returns (uint256) {
        return training ? _trainingScores[id].score : _submissions[id].score;
    }

    /**
     * @dev Insert a completed submission into the sorted top-k list (at most MAX_PLACES
     * steps). A later copy of a revealed model (same bytes) never takes a place.
     */
    function _insertRanked(uint256 id, uint256 score, bool training) private {
        if (_originals[_submissions[id].hash] != id) return;
        bool lowerIsBetter = _lowerIsBetter();
        uint256 places = _params.payoutBps.length;
        uint256 length = _ranking.length;
        if (!_params.multiplePlaces) {
            // One place per address: a ranked entry of the same submitter stays if it is better,
            // else it leaves and the new one is inserted below (an address's best only improves).
            address submitter = _submissions[id].submitter;
            for (uint256 i = 0; i < length; ++i) {
                uint256 other = _ranking[i];
                if (_submissions[other].submitter != submitter) continue;
                if (!_before(score, id, _scoreOf(other, training), other, lowerIsBetter)) return;
                for (uint256 j = i + 1; j < length; ++j) {
                    _ranking[j - 1] = _ranking[j];
                }
                _ranking.pop();
                --length;
                break;
            }
        }
        uint256 pos;
        if (length < places) {
            _ranking.push(id);
            pos = length;
        } else {
            uint256 last = _ranking[length - 1];
            if (!_before(score, id, _scoreOf(last, training), last, lowerIsBetter)) return;
            pos = length - 1;
        }
        while (pos > 0) {
            uint256 above = _ranking[pos - 1];
            if (!_before(score, id, _scoreOf(above, training), above, lowerIsBetter)) break;
            _ranking[pos] = above;
            --pos;
        }
        _ranking[pos] = id;
    }

    /// @dev Mark the competition finalized, log the outcome and burn what a default forfeits (at most MAX_PLACES steps).
    function _finalize() private {
        _finalized = true;
        Outcome result = outcome();
        uint256 pool = prizePool();
        uint256 places = _ranking.length;
        uint256 paid = 0;
        for (uint256 i = 0; i < places; ++i) {
            uint256 id = _ranking[i];
            uint256 amount = _placeShare(pool, i);
            paid += amount;
            emit PrizeAwarded(i + 1, id, _submissions[id].submitter, amount);
        }
        // The place shares sum to at most pool * 10,000 / 10,000: no underflow.
        uint256 rest = pool - paid + _params.creatorBond;
        bool defaulted = result == Outcome.Defaulted;
        emit CompetitionFinalized(result, pool, defaulted ? 0 : rest, defaulted ? rest : 0);
        // Ranked with an empty ranking: only copies completed; nobody is licensed.
        if (result == Outcome.Ranked && places != 0) {
            uint256 best = _ranking[0];
            emit WinnerLicensed(best, _submissions[best].submitter, _creator, _submissions[best].hash);
        }
        if (defaulted && rest != 0) IERC20(_params.token).safeTransfer(SINK, rest);
    }

    /// @dev Pool share of place `i` (0-based): rounded down, the dust stays with the creator (or the sink).
    function _placeShare(uint256 pool, uint256 i) private view returns (uint256) {
        return pool * _params.payoutBps[i] / BPS;
    }

    /**
     * @dev Total payout of `account` in the Finalized phase (0 before), whether or not
     * it claimed: a pure function of the state frozen by that phase (at most MAX_PLACES steps).
     */
    function _payoutOf(address account) private view returns (uint256 amount) {
        Outcome result = outcome();
        if (result == Outcome.Pending) return 0;
        uint256 pool = prizePool();
        uint256 places = _ranking.length;
        uint256 paid = 0;
        for (uint256 i = 0; i < places; ++i) {
            uint256 share = _placeShare(pool, i);
            paid += share;
            if (_submissions[_ranking[i]].submitter == account) amount += share;
        }
        // Places nobody reached, the rounding dust and the bond: the creator's, unless it defaulted.
        if (account == _creator && result != Outcome.Defaulted) amount += pool - paid + _params.creatorBond;
    }
}
