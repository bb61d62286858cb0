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
import {CompetitionScoring} from "./libraries/CompetitionScoring.sol";
import {CompetitionTeams} from "./libraries/CompetitionTeams.sol";
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
 * The evaluation path ({evaluate} after the phase, {completeByClaim} after the caller
 * and phase checks) is the external library {CompetitionScoring}, run by DELEGATECALL
 * on this storage; its address is linked into this contract's code at deployment.
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

    Params private _params;
    // {phase} reads the next four from one slot.
    address private _creator;
    bool private _testRevealed;
    /// @dev Set by {finalize} (or the first {claim}); the outcome itself is fixed by the Finalized phase.
    bool private _finalized;
    uint64 private _revealedFinals;
    address private _factory;
    uint64 private _createdAt;
    address private _scoreClaims;
    string private _testDataCid;
    /// @dev Submissions, participants, counters, bitmaps, chunk sets, per-class counts and the
    /// ranking: everything {CompetitionScoring} reads or writes when it runs on this storage
    /// (by DELEGATECALL from {evaluate} and {completeByClaim}).
    CompetitionScoring.Scoring private _scoring;

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
        _scoring.evaluator = evaluatorContract;
        _scoreClaims = scoreClaims_;
        _factory = msg.sender;
        _createdAt = uint64(block.timestamp);
        // samples < 2**64 and chunkSize < 2**32: the sums cannot overflow 256 bits, and
        // the quotients are at most the sample counts, so they fit in 64 bits.
        uint256 chunks = (uint256(p.samples) + p.chunkSize - 1) / p.chunkSize;
        uint256 trainingChunks = (uint256(p.trainingSamples) + p.chunkSize - 1) / p.chunkSize;
        _scoring.chunkCount = uint64(chunks);
        _scoring.trainingChunkCount = uint64(trainingChunks);
        _scoring.testDepth = PositionalMerkle.depthFor(chunks);
        _scoring.trainingDepth = PositionalMerkle.depthFor(trainingChunks);
        emit CompetitionInitialized(creatorAccount, evaluatorContract, p.token, p.reward);
    }

    /// @inheritdoc ICompetition
    function commit(bytes32 commitment) external nonReentrant returns (uint256 id) {
        _requirePhase(Phase.Submission);
        if (msg.sender == _creator) revert CompetitionCreatorCannotCommit(msg.sender);
        // A team commits as one entrant: its caps, its finals, its single place.
        address entrant = CompetitionScoring.entrant(_scoring, msg.sender);
        CompetitionScoring.Participant storage participant = _scoring.participants[entrant];
        uint256 cap = _params.maxSubmissionsPerAddress;
        if (cap != 0 && participant.commits >= cap) revert CompetitionSubmissionCapReached(entrant, cap);
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
                    entrant, perPeriod, _createdAt + (current + 1) * _params.periodLength
                );
            }
            participant.periodEntries += 1;
        }

        uint64 ordinal = participant.commits + 1;
        participant.commits = ordinal;
        id = ++_scoring.submissionCount;
        Submission storage sub = _scoring.submissions[id];
        sub.submitter = entrant;
        sub.hash = commitment;
        CompetitionScoring.Entry storage entry = _scoring.entries[id];
        if (_params.finals != 0) entry.ordinal = ordinal;
        // The stake comes back to the member who paid it.
        if (entrant != msg.sender) entry.committer = msg.sender;
        emit SubmissionCommitted(id, entrant, commitment);

        uint256 stake = _params.entryStake;
        if (stake != 0) IERC20(_params.token).safeTransferFrom(msg.sender, address(this), stake);
    }

    /// @inheritdoc ICompetition
    function reveal(uint256 id, bytes calldata modelBytes, bytes32 salt, string calldata artifactCid)
        external
        nonReentrant
    {
        _requirePhase(Phase.Reveal);
        Submission storage sub = CompetitionScoring.submission(_scoring, id);
        if (sub.revealed) revert CompetitionAlreadyRevealed(id);
        uint256 maxSize = _params.maxModelSize;
        if (modelBytes.length > maxSize) revert CompetitionModelTooLarge(id, modelBytes.length, maxSize);
        bytes32 modelHash = keccak256(modelBytes);
        // The commitment binds the entrant (account or team): a copied commitment cannot be
        // revealed by the copier, and only the entrant's members may reveal.
        _checkRevealer(id, sub, modelHash, salt);
        // A malformed model, or one above the creator's budget, reverts with the evaluator's
        // named error: the chunks were sized for models within the budget.
        uint256 work = IEvaluator(_scoring.evaluator)
            .checkModel(modelBytes, _params.features, _params.classes, _params.modelBudget);

        sub.revealed = true;
        sub.hash = modelHash;
        _scoring.participants[sub.submitter].reveals += 1;
        _scoring.revealedCount += 1;
        emit SubmissionRevealed(id, sub.submitter, modelHash, artifactCid, modelBytes, work);
        _recordReveal(id, modelHash);
    }

    /// @inheritdoc ICompetition
    function selectFinals(uint256[] calldata ids) external {
        _requirePhase(Phase.Submission);
        uint256 limit = _params.finals;
        if (limit == 0 || ids.length == 0 || ids.length > limit) revert CompetitionInvalidFinals(ids.length, limit);
        address entrant = CompetitionScoring.entrant(_scoring, msg.sender);
        // Stamps are unique across entrants, so a merger never mixes two entrants' choices.
        uint32 selection = ++_scoring.selectionNonce;
        _scoring.participants[entrant].selection = selection;
        for (uint256 i = 0; i < ids.length; ++i) {
            uint256 id = ids[i];
            if (CompetitionScoring.entrant(_scoring, CompetitionScoring.submission(_scoring, id).submitter) != entrant) {
                revert CompetitionNotSubmitter(id, msg.sender);
            }
            CompetitionScoring.Entry storage entry = _scoring.entries[id];
            if (entry.selection == selection) revert CompetitionDuplicateFinal(id);
            entry.selection = selection;
        }
        emit FinalsSelected(entrant, ids);
    }

    /// @inheritdoc ICompetition
    function revealTestSet(bytes32 salt, string calldata cid) external {
        _requirePhase(Phase.TestReveal);
        if (msg.sender != _creator) revert CompetitionNotCreator(msg.sender);
        if (_params.publicRoot != bytes32(0)) {
            // Public claims stay challengeable for the public window after the reveal deadline.
            uint256 opensAt = uint256(_params.revealEnd) + _params.publicWindow;
            if (block.timestamp < opensAt) revert CompetitionPublicChecksOpen(opensAt);
        }
        _testRevealed = true;
        _scoring.testSalt = salt;
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
        CompetitionScoring.evaluate(_scoring, _params, phase(), chunkIndex, chunk, proof, ids, models);
    }

    /// @inheritdoc ICompetition
    function completeByClaim(uint256 id, uint256 score) external nonReentrant {
        if (msg.sender != _scoreClaims || msg.sender == address(0)) revert CompetitionNotScoreClaims(msg.sender);
        _requirePhase(Phase.Evaluation);
        CompetitionScoring.completeByClaim(_scoring, _params, id, score);
    }

    /// @inheritdoc ICompetition
    function disqualify(uint256 id) external {
        if (msg.sender != _scoreClaims || msg.sender == address(0)) revert CompetitionNotScoreClaims(msg.sender);
        CompetitionScoring.requireSubmission(_scoring, id);
        _scoring.disqualified.set(id);
        emit SubmissionDisqualified(id);
    }

    /// @inheritdoc ICompetition
    function proposeTeam(string calldata name, address[] calldata members, uint16[] calldata shares)
        external
        returns (address team)
    {
        return CompetitionTeams.propose(_scoring, _params, _creator, name, members, shares);
    }

    /// @inheritdoc ICompetition
    function acceptTeam(address team) external {
        CompetitionTeams.accept(_scoring, _params, currentPeriod(), team);
    }

    /// @inheritdoc ICompetition
    function withdrawStake(uint256 id) external nonReentrant returns (uint256 amount) {
        _requirePhase(Phase.Finalized);
        if (!_finalized) _finalize();
        amount = stakeOf(id);
        if (amount == 0) revert CompetitionNoStakeHeld(id);
        _scoring.stakeWithdrawn.set(id);
        address staker = _stakerOf(id);
        emit StakeWithdrawn(id, staker, amount);
        IERC20(_params.token).safeTransfer(staker, amount);
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
        CompetitionScoring.Participant storage participant = _scoring.participants[msg.sender];
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
            if (t < _params.evaluationEnd && _scoring.completedCount < revealed) return Phase.Evaluation;
            if (_scoring.completedCount != 0) return Phase.Finalized;
        }
        // The creator defaulted: the training chunks stand in for the test set for one window.
        if (t < defaultEvaluationEnd() && _scoring.trainingCompletedCount < revealed) return Phase.DefaultEvaluation;
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
        return _scoring.evaluator;
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
        CompetitionScoring.requireSubmission(_scoring, id);
        return CompetitionScoring.isFinal(_scoring, _params.finals, id);
    }

    /// @inheritdoc ICompetition
    function isDisqualified(uint256 id) external view returns (bool) {
        return _scoring.disqualified.get(id);
    }

    /// @inheritdoc ICompetition
    function entrantOf(address account) external view returns (address) {
        return CompetitionScoring.entrant(_scoring, account);
    }

    /// @inheritdoc ICompetition
    function teamOf(address team) external view returns (Team memory) {
        return _scoring.teams[team];
    }

    /// @inheritdoc ICompetition
    function stakeOf(uint256 id) public view returns (uint256) {
        uint256 slashBps = _params.slashBps;
        if (slashBps == 0 || id == 0 || id > _scoring.submissionCount || _scoring.stakeWithdrawn.get(id)) return 0;
        Submission storage sub = _scoring.submissions[id];
        Outcome result = outcome();
        if (result == Outcome.Pending || !sub.revealed || !CompetitionScoring.isFinal(_scoring, _params.finals, id)) {
            return 0;
        }
        uint256 stake = _params.entryStake;
        // Judged only on a final test score; otherwise (not scored, or a default) returned whole.
        if (result != Outcome.Ranked || sub.evaluatedChunks != _scoring.chunkCount) return stake;
        // Each stake's slash is rounded down on its own: the stakes below lose exactly
        // below * slash, which the shares and {_finalize}'s remainder then add up to.
        // slither-disable-next-line divide-before-multiply
        uint256 slash = stake * slashBps / BPS;
        if (!CompetitionScoring.stakeAbove(_scoring, _params, id, sub.score)) return stake - slash;
        return stake + slash * _scoring.stakesBelow / _scoring.stakesAbove;
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
        CompetitionScoring.Participant storage participant = _scoring.participants[account];
        // The stored period is never ahead of the current one (it is set to it at a commit).
        return participant.period < currentPeriod() ? 0 : participant.periodEntries;
    }

    /// @inheritdoc ICompetition
    function chunkCount() external view returns (uint256) {
        return _scoring.chunkCount;
    }

    /// @inheritdoc ICompetition
    function trainingChunkCount() external view returns (uint256) {
        return _scoring.trainingChunkCount;
    }

    /// @inheritdoc ICompetition
    function commitmentFor(address submitter, bytes32 modelHash, bytes32 salt) public view returns (bytes32) {
        return keccak256(abi.encode(address(this), submitter, modelHash, salt));
    }

    /// @inheritdoc ICompetition
    function submissionCount() external view returns (uint256) {
        return _scoring.submissionCount;
    }

    /// @inheritdoc ICompetition
    function revealedCount() external view returns (uint256) {
        return _scoring.revealedCount;
    }

    /// @inheritdoc ICompetition
    function completedCount() external view returns (uint256) {
        return _scoring.completedCount;
    }

    /// @inheritdoc ICompetition
    function submission(uint256 id) external view returns (Submission memory) {
        return CompetitionScoring.submission(_scoring, id);
    }

    /// @inheritdoc ICompetition
    function trainingScore(uint256 id) external view returns (uint256 evaluatedChunks, uint256 score) {
        CompetitionScoring.TrainingScore storage entry = _scoring.trainingScores[id];
        return (entry.evaluatedChunks, entry.score);
    }

    /// @inheritdoc ICompetition
    function originalOf(bytes32 modelHash) external view returns (uint256) {
        return _scoring.originals[modelHash];
    }

    /// @inheritdoc ICompetition
    function submissionsOf(address account) external view returns (uint256 commits, uint256 reveals) {
        CompetitionScoring.Participant storage participant = _scoring.participants[account];
        return (participant.commits, participant.reveals);
    }

    /// @inheritdoc ICompetition
    function isEvaluated(uint256 id, uint256 chunkIndex) external view returns (bool) {
        return _isSet(_scoring.evaluated, id, chunkIndex);
    }

    /// @inheritdoc ICompetition
    function isEvaluatedOnTraining(uint256 id, uint256 chunkIndex) external view returns (bool) {
        return _isSet(_scoring.evaluatedOnTraining, id, chunkIndex);
    }

    /// @inheritdoc ICompetition
    function ranking() external view returns (uint256[] memory) {
        return _scoring.ranking;
    }

    /// @inheritdoc ICompetition
    function testSetRevealed() external view returns (bool) {
        return _testRevealed;
    }

    /// @inheritdoc ICompetition
    function testSalt() external view returns (bytes32) {
        return _scoring.testSalt;
    }

    /// @inheritdoc ICompetition
    function testDataCid() external view returns (string memory) {
        return _testDataCid;
    }

    /// @inheritdoc ICompetition
    function prizePool() public view returns (uint256) {
        return _params.reward + _params.entryStake * (_scoring.submissionCount - _scoring.revealedCount);
    }

    /// @inheritdoc ICompetition
    function outcome() public view returns (Outcome) {
        if (phase() != Phase.Finalized) return Outcome.Pending;
        if (_revealedFinals == 0) return Outcome.ReturnedToCreator;
        return _testRevealed && _scoring.completedCount != 0 ? Outcome.Ranked : Outcome.Defaulted;
    }

    /// @inheritdoc ICompetition
    function finalized() external view returns (bool) {
        return _finalized;
    }

    /// @inheritdoc ICompetition
    function claimable(address account) external view returns (uint256) {
        return _scoring.participants[account].claimed ? 0 : _payoutOf(account);
    }

    /// @inheritdoc ICompetition
    function hasClaimed(address account) external view returns (bool) {
        return _scoring.participants[account].claimed;
    }

    /// @inheritdoc ICompetition
    function winner() external view returns (uint256 id, address submitter, bytes32 modelHash) {
        if (outcome() == Outcome.Pending || _scoring.ranking.length == 0) return (0, address(0), bytes32(0));
        id = _scoring.ranking[0];
        Submission storage sub = _scoring.submissions[id];
        return (id, sub.submitter, sub.hash);
    }

    /// @inheritdoc ICompetition
    function licensee() external view returns (address) {
        return outcome() == Outcome.Ranked && _scoring.ranking.length != 0 ? _creator : address(0);
    }

    // --- internals ------------------------------------------------------------------

    function _requirePhase(Phase expected) private view {
        Phase actual = phase();
        if (actual != expected) revert CompetitionNotInPhase(expected, actual);
    }

    function _isSet(BitMaps.BitMap storage bits, uint256 id, uint256 chunkIndex) private view returns (bool) {
        // Id 0 (no submission) marks the chunks whose support was counted.
        return id != 0 && id <= type(uint64).max && chunkIndex <= type(uint64).max && bits.get((id << 64) | chunkIndex);
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

    /// @dev Mark the competition finalized, log the outcome and burn what a default forfeits (at most MAX_PLACES steps).
    function _finalize() private {
        _finalized = true;
        Outcome result = outcome();
        uint256 pool = prizePool();
        uint256 places = _scoring.ranking.length;
        uint256 paid = 0;
        for (uint256 i = 0; i < places; ++i) {
            uint256 id = _scoring.ranking[i];
            uint256 amount = _placeShare(pool, i);
            paid += amount;
            emit PrizeAwarded(i + 1, id, _scoring.submissions[id].submitter, amount);
        }
        // The place shares sum to at most pool * 10,000 / 10,000: no underflow.
        uint256 rest = pool - paid + _params.creatorBond;
        bool defaulted = result == Outcome.Defaulted;
        emit CompetitionFinalized(result, pool, defaulted ? 0 : rest, defaulted ? rest : 0);
        // Ranked with an empty ranking: only copies completed; nobody is licensed.
        if (result == Outcome.Ranked && places != 0) {
            uint256 best = _scoring.ranking[0];
            emit WinnerLicensed(best, _scoring.submissions[best].submitter, _creator, _scoring.submissions[best].hash);
        }
        if (defaulted && rest != 0) IERC20(_params.token).safeTransfer(SINK, rest);
        // Slashed stakes the stakes above the threshold do not share out (the division's
        // remainder, or all of them when none is above) go to the sink.
        uint256 below = _scoring.stakesBelow;
        if (result == Outcome.Ranked && below != 0) {
            // The slash of each stake below, rounded down on its own as {stakeOf} takes it.
            // slither-disable-next-line divide-before-multiply
            uint256 slashed = below * (_params.entryStake * _params.slashBps / BPS);
            uint256 above = _scoring.stakesAbove;
            uint256 unshared = above == 0 ? slashed : slashed % above;
            if (unshared != 0) IERC20(_params.token).safeTransfer(SINK, unshared);
        }
    }

    /// @dev The submitter of `sub` (submission `id`) after checking that the caller is one of
    /// its entrant's members and that the model hash and salt open its commitment.
    function _checkRevealer(uint256 id, Submission storage sub, bytes32 modelHash, bytes32 salt) private view {
        address submitter = sub.submitter;
        if (
            CompetitionScoring.entrant(_scoring, msg.sender) != CompetitionScoring.entrant(_scoring, submitter)
                || commitmentFor(submitter, modelHash, salt) != sub.hash
        ) revert CompetitionCommitmentMismatch(id, msg.sender);
    }

    /**
     * @dev After a reveal: count a final and its bytes (only finals can rank, so only finals
     * count as originals: a final repeating the bytes of an earlier non-final, a participant
     * re-committing its best model, still ranks); the entry stake goes back to whoever paid
     * it, unless performance stakes hold a final's stake until finalization ({withdrawStake}).
     */
    function _recordReveal(uint256 id, bytes32 modelHash) private {
        bool isFinal_ = CompetitionScoring.isFinal(_scoring, _params.finals, id);
        if (isFinal_) {
            _revealedFinals += 1;
            uint256 original = _scoring.originals[modelHash];
            if (original == 0 || id < original) _scoring.originals[modelHash] = id;
        }
        uint256 stake = _params.entryStake;
        if (stake != 0 && !(isFinal_ && _params.slashBps != 0)) {
            IERC20(_params.token).safeTransfer(_stakerOf(id), stake);
        }
    }

    /// @dev Who paid submission `id`'s stake: the committing member of a team, else the submitter.
    function _stakerOf(uint256 id) private view returns (address) {
        address committer = _scoring.entries[id].committer;
        return committer != address(0) ? committer : _scoring.submissions[id].submitter;
    }

    /// @dev Pool share of place `i` (0-based): rounded down, the dust stays with the creator (or the sink).
    function _placeShare(uint256 pool, uint256 i) private view returns (uint256) {
        return pool * _params.payoutBps[i] / BPS;
    }

    /// @dev `account`'s part of `amount` won by team `team` (at most {CompetitionTeams-MAX_TEAM_SIZE} steps).
    function _memberPart(address team, address account, uint256 amount) private view returns (uint256 part) {
        Team storage t = _scoring.teams[team];
        uint256 rest = amount;
        for (uint256 i = 0; i < t.members.length; ++i) {
            uint256 each = amount * t.shares[i] / BPS;
            rest -= each;
            if (t.members[i] == account) part = each;
        }
        if (t.members[0] == account) part += rest;
    }

    /**
     * @dev Total payout of `account` in the Finalized phase (0 before), whether or not
     * it claimed: a pure function of the state frozen by that phase (at most MAX_PLACES steps).
     */
    function _payoutOf(address account) private view returns (uint256 amount) {
        Outcome result = outcome();
        if (result == Outcome.Pending) return 0;
        uint256 pool = prizePool();
        uint256 places = _scoring.ranking.length;
        uint256 paid = 0;
        address entrant = CompetitionScoring.entrant(_scoring, account);
        for (uint256 i = 0; i < places; ++i) {
            uint256 share = _placeShare(pool, i);
            paid += share;
            address submitter = _scoring.submissions[_scoring.ranking[i]].submitter;
            if (CompetitionScoring.entrant(_scoring, submitter) == entrant) amount += share;
        }
        // A member's part of its team's prize: pro rata to its share, the rounding to the first member.
        if (entrant != account && amount != 0) amount = _memberPart(entrant, account, amount);
        // Places nobody reached, the rounding dust and the bond: the creator's, unless it defaulted.
        if (account == _creator && result != Outcome.Defaulted) amount += pool - paid + _params.creatorBond;
    }
}
