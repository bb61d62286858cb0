// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title ICompetition
 * @notice One machine-learning competition: participants commit to models,
 * reveal them, the creator reveals the hidden test set, anyone evaluates every
 * revealed model on chain chunk by chunk, and the best models are paid.
 * @dev Deployed as an EIP-1167 clone by {ICompetitionFactory}; the protocol is
 * described in docs/competition-protocol.md. Amounts are in the smallest unit
 * of the competition's token. Submission ids are 1-based, in commit order.
 *
 * Phases (see {phase}), by block timestamp `t`:
 * - Submission: `t < submissionEnd`: {commit}.
 * - Reveal: `submissionEnd <= t < revealEnd`: {reveal}.
 * - TestReveal: `revealEnd <= t < testRevealEnd`, something revealed, test set
 *   not yet revealed: {revealTestSet}.
 * - Evaluation: from the test reveal until `evaluationEnd`, while some revealed
 *   submission is not fully evaluated: {evaluate} on the test chunks.
 * - DefaultEvaluation: the creator defaulted (no test reveal by `testRevealEnd`,
 *   or nothing fully evaluated by `evaluationEnd`): for one more evaluation
 *   window (`evaluationEnd - testRevealEnd` seconds from the default), {evaluate}
 *   scores the revealed models on the committed public training chunks instead.
 * - Finalized: the outcome can no longer change: {finalize}, {claim}.
 *
 * Creator default never pays: the creator's bond and every prize place that no
 * model beating the training baseline earned go to the sink (see
 * docs/trust-model.md), so junk or copied submissions from the creator's other
 * addresses take nothing, and the creator ends with less than if it had revealed.
 */
interface ICompetition {
    /// @notice Stages of a competition, in order; see {phase}.
    enum Phase {
        Submission,
        Reveal,
        TestReveal,
        Evaluation,
        DefaultEvaluation,
        Finalized
    }

    /**
     * @notice How the models are ranked, chosen by the creator (docs/competition-protocol.md,
     * "Metrics"). Scores are exact integers: fixed point with 64 fractional bits where a
     * ratio is involved, each term rounded down. Ties go to the earlier commit.
     */
    enum Metric {
        /// @dev `classes >= 2`: number of correct predictions, higher is better.
        Accuracy,
        /// @dev `classes == 0` (regression): sum of squared errors, lower is better.
        SumOfSquaredErrors,
        /// @dev `2 <= classes <= 32`: sum over classes c with support of
        /// floor(tp_c * 2^64 / support_c) (K times the balanced accuracy), higher is better.
        BalancedAccuracy,
        /// @dev `2 <= classes <= 32`: sum over classes of floor(2 tp_c * 2^64 / (support_c +
        /// predicted_c)), 0 for a class neither present nor predicted (K times the macro F1).
        MacroF1,
        /// @dev `classes == 0`: sum of absolute errors, lower is better.
        SumOfAbsoluteErrors
    }

    /// @notice How the prize pool was settled; `Pending` until {finalize} (or the first {claim}).
    enum Outcome {
        Pending,
        /// @dev At least one revealed submission was fully evaluated on the test set:
        /// top-k places are paid, the rest and the bond go back to the creator.
        Ranked,
        /// @dev Creator default (no test reveal in time, or nothing fully evaluated on the
        /// test set): places are paid by the scores on the training chunks, only to models
        /// that beat `trainingBaseline`; the rest of the pool and the bond go to the sink.
        Defaulted,
        /// @dev Nothing was revealed: the pool and the bond go back to the creator.
        ReturnedToCreator
    }

    /**
     * @notice Everything a creator chooses; recorded unchanged by {initialize}
     * and returned by {params}.
     * @param token ERC-20 the reward and stakes are paid in (a plain ERC-20 without
     * transfer fees, e.g. MarketToken).
     * @param reward Amount escrowed from the creator at creation (> 0).
     * @param creatorBond Further amount escrowed from the creator: returned unless the
     * creator defaults, then sent to the sink (0 = none; at least `reward` makes
     * defaulting cost more than any outcome of revealing).
     * @param family Model family, e.g. keccak256("linear"); selects the evaluator.
     * @param trainingDataCid IPFS CID of the training data ("" if given by listing id).
     * @param trainingListingId DataMarket listing id of the training data (0 if given by CID).
     * @param trainingRoot Positional Merkle root over the training data's chunks, in the
     * test chunks' format and size, with a zero salt: the fallback test set if the
     * creator defaults. Anyone can check it against the published training data.
     * @param trainingSamples Number of training samples the root commits to (> 0).
     * @param trainingBaseline Score of the best constant prediction on those chunks, in
     * the metric's units (e.g. the most frequent class count for Accuracy, the least sum of
     * squared errors of a constant for SumOfSquaredErrors): under default, only models
     * strictly better than it earn a place.
     * @param testRoot Merkle root over the test-set chunks (leaf format: {evaluate}).
     * @param samples Number of test samples (> 0).
     * @param chunkSize Samples per chunk (> 0); the last chunk holds the remainder.
     * @param features Features per sample (> 0).
     * @param classes Number of classes (>= 2), or 0 for regression.
     * @param maxModelSize Largest model accepted by {reveal}, in bytes (1 ..= 256 KiB).
     * @param payoutBps Share of the pool per place, best first, in basis points;
     * 1 to 10 places summing to 10,000.
     * @param submissionEnd End of the Submission phase (exclusive), Unix seconds, in the future.
     * @param revealEnd End of the Reveal phase (> submissionEnd).
     * @param testRevealEnd Deadline for the creator's test reveal (> revealEnd).
     * @param evaluationEnd End of the Evaluation phase (> testRevealEnd).
     * @param entryStake Stake pulled by {commit} and returned by {reveal} (0 = none).
     * @param maxSubmissionsPerAddress Commits allowed per address (0 = unlimited).
     * @param metadataCid IPFS CID of the description (task, quantiser, formats).
     * @param modelBudget The largest model {reveal} accepts, in the family's encoding
     * (docs/formats.md, "Model budgets"), checked by the evaluator's `checkModel`; the
     * chunks are sized for the most expensive model within it. Not zero.
     * @param metric How models are ranked: Accuracy, BalancedAccuracy or MacroF1 for
     * classification (the last two need at most {MAX_METRIC_CLASSES} classes),
     * SumOfSquaredErrors or SumOfAbsoluteErrors for regression. `trainingBaseline` is in
     * this metric's units.
     * @param entriesPerPeriod Commits allowed per address in each period (0 = no cap).
     * @param periodLength Seconds per period (> 0 when `entriesPerPeriod` is set): period
     * p = floor((t - creation time) / periodLength).
     * @param finals Submissions per address that are evaluated and ranked (0 = all): each
     * address may choose them with {selectFinals} before the submission deadline; by
     * default its last `finals` commits (a team's merged commits count entrant by entrant,
     * in the order of its members, before the team's own).
     * @param multiplePlaces Whether one address may hold several prize places (false: only
     * its best submission is ranked).
     * @param challengeWindow Optimistic evaluation (0 = on-chain only): seconds a score
     * claim of {IScoreClaims} stays open to challenges; checked by the factory (at least
     * an hour, shorter than the evaluation window).
     * @param claimBond Tokens a score claim locks (at least 1 % of the reward, not zero).
     * @param challengeBond Tokens a challenge locks (not zero); forfeited if it fails.
     * @param publicRoot Public leaderboard (zero = none): positional Merkle root, with a zero
     * salt, over the public test chunks (same format and chunk size as the private ones),
     * published at creation. Participants post bonded claims of their public score with
     * each commit ({IScoreClaims-postPublicClaim}); no model is revealed before the deadline.
     * @param publicSamples Rows of the public test set (> 0 with a public board, else 0).
     * @param publicWindow Seconds after `revealEnd` during which public claims can still be
     * challenged before the private test set may be revealed (at least an hour; checked by the factory).
     * @param publicClaimBond Tokens a public claim locks (> 0 with a public board): lost to a
     * successful challenger, or to the sink if the model is never revealed.
     * @param mergerDeadline Last second (exclusive) teams may form or merge (0 = the submission deadline; at most it).
     * @param slashBps Performance stakes (0 = none): the entry stake of a revealed final is held
     * until finalization; below `stakeThreshold` this share of it (basis points) is slashed and
     * shared by the stakes above the threshold (the sink takes it when none is).
     * @param stakeThreshold The private score a staked final must beat (strictly), in the metric's units.
     */
    struct Params {
        address token;
        uint256 reward;
        uint256 creatorBond;
        bytes32 family;
        string trainingDataCid;
        uint256 trainingListingId;
        bytes32 trainingRoot;
        uint64 trainingSamples;
        uint256 trainingBaseline;
        bytes32 testRoot;
        uint64 samples;
        uint32 chunkSize;
        uint32 features;
        uint32 classes;
        uint32 maxModelSize;
        uint16[] payoutBps;
        uint64 submissionEnd;
        uint64 revealEnd;
        uint64 testRevealEnd;
        uint64 evaluationEnd;
        uint256 entryStake;
        uint32 maxSubmissionsPerAddress;
        string metadataCid;
        uint256 modelBudget;
        Metric metric;
        uint32 entriesPerPeriod;
        uint64 periodLength;
        uint8 finals;
        bool multiplePlaces;
        uint64 challengeWindow;
        uint256 claimBond;
        uint256 challengeBond;
        bytes32 publicRoot;
        uint64 publicSamples;
        uint64 publicWindow;
        uint256 publicClaimBond;
        uint64 mergerDeadline;
        uint16 slashBps;
        uint256 stakeThreshold;
    }

    /**
     * @notice A team (see {proposeTeam}): its members and payout shares in basis points
     * (summing to 10,000); `accepted` members have agreed; `formed` once all have.
     */
    struct Team {
        address[] members;
        uint16[] shares;
        uint8 accepted;
        bool formed;
    }

    /**
     * @notice One submission.
     * @param submitter The account that committed (and alone can reveal).
     * @param evaluatedChunks Test chunks this model has been scored on so far.
     * @param revealed Whether {reveal} succeeded.
     * @param hash The commitment until revealed, then keccak256 of the model bytes.
     * @param score Total over the evaluated chunks: correct predictions, or sum of squared errors.
     */
    struct Submission {
        address submitter;
        uint64 evaluatedChunks;
        bool revealed;
        bytes32 hash;
        uint256 score;
    }

    // --- errors ---------------------------------------------------------------------

    /// @dev The call needs phase `expected`, but the competition is in phase `actual`.
    error CompetitionNotInPhase(Phase expected, Phase actual);

    /// @dev {initialize} was given a zero reward.
    error CompetitionZeroReward();

    /// @dev The deadlines are not `currentTime < submissionEnd < revealEnd < testRevealEnd < evaluationEnd`.
    error CompetitionInvalidDeadlines(
        uint256 currentTime, uint64 submissionEnd, uint64 revealEnd, uint64 testRevealEnd, uint64 evaluationEnd
    );

    /// @dev The test set needs a non-zero Merkle root, at least one sample and a chunk size of at least 1.
    error CompetitionInvalidTestSet(bytes32 testRoot, uint256 samples, uint256 chunkSize);

    /// @dev The task needs at least one feature and either 0 (regression) or at least 2 classes.
    error CompetitionInvalidTask(uint256 features, uint256 classes);

    /// @dev The maximum model size must be between 1 byte and `limit` bytes.
    error CompetitionInvalidMaxModelSize(uint256 maxModelSize, uint256 limit);

    /// @dev A model budget of zero admits no model; encode one as the family's evaluator reads it.
    error CompetitionInvalidModelBudget();

    /// @dev The payout split needs 1 to 10 places whose basis points sum to 10,000.
    error CompetitionInvalidPayoutSplit(uint256 places, uint256 totalBps);

    /// @dev `metric` does not suit the task: classification (classes >= 2) is ranked by
    /// Accuracy, BalancedAccuracy or MacroF1, regression (classes == 0) by SumOfSquaredErrors
    /// or SumOfAbsoluteErrors.
    error CompetitionInvalidMetric(Metric metric, uint256 classes);
    /// @dev Per-class metrics keep 2 counts per class and submission: at most `limit` classes.
    error CompetitionTooManyClassesForMetric(uint256 classes, uint256 limit);
    /// @dev A cap on entries per period needs a period of at least one second.
    error CompetitionInvalidPeriod(uint256 entriesPerPeriod, uint256 periodLength);
    /// @dev `submitter` made its `cap` commits of this period; the next period opens at `nextEntryAt`.
    error CompetitionPeriodCapReached(address submitter, uint256 cap, uint256 nextEntryAt);
    /// @dev {selectFinals} takes 1 to `limit` submissions; this competition ranks every
    /// submission when `limit` is 0.
    error CompetitionInvalidFinals(uint256 count, uint256 limit);
    /// @dev Submission `id` is not `caller`'s, so `caller` cannot select it.
    error CompetitionNotSubmitter(uint256 id, address caller);
    /// @dev Submission `id` appears twice in one selection of finals.
    error CompetitionDuplicateFinal(uint256 id);
    /// @dev Submission `id` is not one of its submitter's finals, so it is neither evaluated nor ranked.
    error CompetitionNotFinal(uint256 id);
    /// @dev Submission `id` already has its final score (every chunk scored, or a final claim).
    error CompetitionAlreadyCompleted(uint256 id);
    /// @dev Only the competition's score-claims contract may complete a submission by claim.
    error CompetitionNotScoreClaims(address caller);
    /// @dev The private test set waits until public claims had their window: `opensAt`.
    error CompetitionPublicChecksOpen(uint256 opensAt);
    /// @dev Teams need one prize place per entrant: this competition lets one address hold several.
    error CompetitionTeamsNotAllowed();
    /// @dev A team needs 1 to `limit` distinct members (the caller among them, not the creator)
    /// with positive shares summing to 10,000 basis points.
    error CompetitionInvalidTeam(uint256 members, uint256 totalBps, uint256 limit);
    /// @dev Teams form and merge only before `deadline` (the merger deadline).
    error CompetitionMergerClosed(uint256 deadline);
    /// @dev No team `team` was proposed in this competition.
    error CompetitionUnknownTeam(address team);
    /// @dev `account` is not a member of team `team`, or has already accepted it.
    error CompetitionCannotAccept(address team, address account);
    /// @dev Team `team` has already formed.
    error CompetitionTeamAlreadyFormed(address team);
    /// @dev Member `member`'s current team `entrant` would be split: a team merges whole.
    error CompetitionTeamSplit(address member, address entrant);
    /// @dev Team `entrant` has committed, so its members and shares are frozen: it can only merge with another entrant.
    error CompetitionTeamFrozen(address entrant);
    /// @dev The merged entrants made `entries` commits; the rules allow `allowed` by now
    /// (the cap per period times the periods so far, and the cap per entrant).
    error CompetitionMergeOverCap(uint256 entries, uint256 allowed);
    /// @dev Submission `id` holds no stake to withdraw (none held, or already withdrawn).
    error CompetitionNoStakeHeld(uint256 id);
    /// @dev Neither a training-data CID nor a DataMarket listing id was given.
    error CompetitionNoTrainingData();

    /// @dev The training set needs a non-zero positional Merkle root and at least one sample.
    error CompetitionInvalidTrainingSet(bytes32 trainingRoot, uint256 trainingSamples);

    /// @dev The creator tried to commit to their own competition.
    error CompetitionCreatorCannotCommit(address creator);

    /// @dev `submitter` already made `cap` commits, the per-address maximum.
    error CompetitionSubmissionCapReached(address submitter, uint256 cap);

    /// @dev No submission has id `id` (ids start at 1).
    error CompetitionUnknownSubmission(uint256 id);

    /// @dev Submission `id` was already revealed.
    error CompetitionAlreadyRevealed(uint256 id);

    /// @dev The revealed model of submission `id` is `size` bytes, above the maximum `maxModelSize`.
    error CompetitionModelTooLarge(uint256 id, uint256 size, uint256 maxModelSize);

    /// @dev keccak256(abi.encode(competition, caller, keccak256(model), salt)) is not the commitment of `id`.
    error CompetitionCommitmentMismatch(uint256 id, address caller);

    /// @dev Only the creator may do this; `caller` is not the creator.
    error CompetitionNotCreator(address caller);

    /// @dev Chunk `chunkIndex` does not exist; the test set has `chunkCount` chunks.
    error CompetitionChunkOutOfRange(uint256 chunkIndex, uint256 chunkCount);

    /// @dev The chunk bytes and proof do not prove chunk `chunkIndex` at its position under the
    /// root in use (the test root, or the training root in the DefaultEvaluation phase).
    error CompetitionInvalidChunkProof(uint256 chunkIndex);

    /// @dev {evaluate} needs as many models as ids, and at least one.
    error CompetitionInvalidBatch(uint256 ids, uint256 models);

    /// @dev Submission `id` was never revealed, so it cannot be evaluated.
    error CompetitionNotRevealed(uint256 id);

    /// @dev The model bytes given for submission `id` are not the revealed ones.
    error CompetitionModelMismatch(uint256 id);

    /// @dev Submission `id` was already scored on chunk `chunkIndex`.
    error CompetitionChunkAlreadyEvaluated(uint256 id, uint256 chunkIndex);

    /// @dev The evaluator read `actual` rows from chunk `chunkIndex`, which must hold `expected`.
    error CompetitionChunkRowsMismatch(uint256 chunkIndex, uint256 expected, uint256 actual);

    /// @dev The evaluator returned `actual` values for `expected` models.
    error CompetitionEvaluatorResultMismatch(uint256 expected, uint256 actual);

    /// @dev {finalize} was already called (or a claim already settled the competition).
    error CompetitionAlreadyFinalized();

    /// @dev `account` already claimed its payout.
    error CompetitionAlreadyClaimed(address account);

    /// @dev `account` has no payout in this competition.
    error CompetitionNothingToClaim(address account);

    // --- events ---------------------------------------------------------------------

    /// @dev Emitted once by {initialize}.
    event CompetitionInitialized(
        address indexed creator, address indexed evaluator, address indexed token, uint256 reward
    );

    /// @dev Emitted by {commit}.
    event SubmissionCommitted(uint256 indexed id, address indexed submitter, bytes32 commitment);

    /// @dev Emitted by {reveal}; `modelBytes` are kept only here (the contract stores their hash).
    /// `work` is the model's work per row as the evaluator's `checkModel` measured it.
    event SubmissionRevealed(
        uint256 indexed id,
        address indexed submitter,
        bytes32 modelHash,
        string artifactCid,
        bytes modelBytes,
        uint256 work
    );

    /// @dev Emitted by {selectFinals}: `ids` are now `participant`'s finals (replacing any earlier choice).
    event FinalsSelected(address indexed participant, uint256[] ids);

    /// @dev Emitted by {revealTestSet}.
    event TestSetRevealed(bytes32 testSalt, string testDataCid);

    /// @dev Emitted by {evaluate} per submission: its value on the chunk and its new total.
    event SubmissionScored(uint256 indexed id, uint256 indexed chunkIndex, uint256 value, uint256 total);

    /// @dev Emitted when submission `id` has been scored on every chunk; `score` is final.
    event SubmissionCompleted(uint256 indexed id, uint256 score);

    /// @dev Emitted by {evaluate} in the DefaultEvaluation phase: the value on a training chunk and the new total.
    event SubmissionScoredOnTraining(uint256 indexed id, uint256 indexed chunkIndex, uint256 value, uint256 total);

    /// @dev Emitted when submission `id` has been scored on every training chunk; only a model
    /// that `beatsBaseline` and is the first commit of its bytes can take a place.
    event SubmissionCompletedOnTraining(uint256 indexed id, uint256 score, bool beatsBaseline);

    /**
     * @dev Emitted once, when the outcome is recorded. `toCreator` is the creator's
     * payout (unreached places, rounding dust and the bond, unless it defaulted);
     * `burned` what went to the sink (under {Outcome-Defaulted}: those same parts).
     */
    event CompetitionFinalized(Outcome indexed outcome, uint256 pool, uint256 toCreator, uint256 burned);

    /// @dev Emitted at finalization for each paid place (1-based).
    event PrizeAwarded(uint256 indexed place, uint256 indexed id, address indexed submitter, uint256 amount);

    /// @dev Emitted at finalization: the creator becomes licensee of the winning model.
    event WinnerLicensed(uint256 indexed id, address indexed submitter, address indexed licensee, bytes32 modelHash);

    /// @dev Emitted by {claim}.
    event PayoutClaimed(address indexed account, uint256 amount);

    /// @dev Emitted by {proposeTeam}: `team` is the entrant address the team commits as.
    event TeamProposed(address indexed team, address indexed proposer, string name, address[] members, uint16[] shares);

    /// @dev Emitted by {acceptTeam}.
    event TeamAccepted(address indexed team, address indexed member);

    /// @dev Emitted when the last member accepts: `merged` are the entrants (accounts or teams)
    /// it absorbed, whose `entries` commits are now the team's.
    event TeamFormed(address indexed team, address[] merged, uint256 entries);

    /// @dev Emitted when a voided public claim disqualifies submission `id`: it can take no place.
    event SubmissionDisqualified(uint256 indexed id);

    /// @dev Emitted by {withdrawStake}: `amount` went to `staker` (held stake, less a slash or plus a share).
    event StakeWithdrawn(uint256 indexed id, address indexed staker, uint256 amount);

    // --- lifecycle ------------------------------------------------------------------

    /**
     * @notice Record the parameters; callable once, by the factory right after cloning.
     * @dev Validates `p`; the factory escrows `p.reward` in the same transaction.
     */
    function initialize(Params calldata p, address creatorAccount, address evaluatorContract, address scoreClaims_)
        external;

    /**
     * @notice Give submission `id` its final test score from a score claim that stood
     * unchallenged through its window (optimistic evaluation): it counts as completed and
     * is ranked as if scored on every chunk.
     * @dev Only the score-claims contract fixed at creation, in the Evaluation phase, for a
     * submission not yet completed; that contract checks that `id` is a revealed final.
     */
    function completeByClaim(uint256 id, uint256 score) external;

    /// @notice The score-claims contract of an optimistic competition or one with a public
    /// board (zero: on-chain evaluation only, no public board).
    function scoreClaims() external view returns (address);

    /**
     * @notice Mark submission `id` disqualified: it is never ranked. Only the score-claims
     * contract calls it, when a challenge voids the submission's public-score claim (before
     * the private test set is revealed, so nothing is ranked yet).
     */
    function disqualify(uint256 id) external;

    /// @notice Whether a voided public claim disqualified submission `id`.
    function isDisqualified(uint256 id) external view returns (bool);

    /**
     * @notice Propose a team of `members` (the caller among them) with payout `shares` in basis
     * points, before the merger deadline; returns the team's entrant address. It forms when
     * every member has called {acceptTeam}: each member's current entrant (itself, or its
     * team, which must join whole) merges into it, with its commits; the merged commits must
     * fit the caps (Kaggle's rule: entries per period × periods so far). A team that has
     * committed cannot change except by merging with another entrant. Needs `multiplePlaces` off.
     */
    function proposeTeam(string calldata name, address[] calldata members, uint16[] calldata shares)
        external
        returns (address team);

    /// @notice Accept team `team` (a member, once); the last acceptance forms it.
    function acceptTeam(address team) external;

    /// @notice The entrant `account` commits as: its team (after any mergers), or itself.
    function entrantOf(address account) external view returns (address);

    /// @notice Team `team`'s members, shares and acceptance.
    function teamOf(address team) external view returns (Team memory);

    /**
     * @notice Pay submission `id`'s held performance stake to the account that committed it,
     * in the Finalized phase (anyone may call): the stake, less `slashBps` of it if the
     * submission's private score does not beat `stakeThreshold` or a voided public claim
     * disqualified it, plus an equal share of the
     * slashed stakes if it does; the whole stake if it was not scored or the creator defaulted.
     */
    function withdrawStake(uint256 id) external returns (uint256 amount);

    /// @notice What {withdrawStake} pays for `id` (0 before the Finalized phase, for no held stake, or once withdrawn).
    function stakeOf(uint256 id) external view returns (uint256);

    /**
     * @notice Commit to a model during the Submission phase; pulls the entry stake if any.
     * @param commitment keccak256(abi.encode(address(this), msg.sender, keccak256(modelBytes), salt)),
     * see {commitmentFor}.
     * @return id The new submission's id (1-based, in commit order).
     */
    function commit(bytes32 commitment) external returns (uint256 id);

    /**
     * @notice Reveal the model of submission `id` during the Reveal phase (from the
     * committing account); returns the entry stake.
     * @param artifactCid IPFS CID of the model's artifact (e.g. its training notebook), may be "".
     */
    function reveal(uint256 id, bytes calldata modelBytes, bytes32 salt, string calldata artifactCid) external;

    /**
     * @notice Choose which of the caller's submissions are its finals (1 to `finals` of
     * them), in the Submission phase; a later call replaces the choice. Only finals are
     * evaluated and ranked; without a choice they are the caller's last `finals` commits.
     */
    function selectFinals(uint256[] calldata ids) external;

    /**
     * @notice The creator reveals the test set during the TestReveal phase; evaluation starts at once.
     * @param salt The salt in every chunk leaf of the test root.
     * @param cid IPFS CID of the test data (the chunks), for evaluators to fetch.
     */
    function revealTestSet(bytes32 salt, string calldata cid) external;

    /**
     * @notice Score revealed submissions on one chunk (anyone): a test chunk in the
     * Evaluation phase, a training chunk in the DefaultEvaluation phase.
     * @dev The chunk is proved by the leaf keccak256(abi.encode(salt, chunkIndex,
     * keccak256(chunk))) — salt = the test salt, or zero for training chunks — and
     * `proof`: exactly `depth` sibling hashes of a positional tree (bit `l` of
     * `chunkIndex` 0 = the node is the left child at level `l`), see {PositionalMerkle}.
     * `models[i]` must be the revealed bytes of submission `ids[i]`; no submission
     * may be scored twice on the same chunk (the call reverts instead).
     */
    function evaluate(
        uint256 chunkIndex,
        bytes calldata chunk,
        bytes32[] calldata proof,
        uint256[] calldata ids,
        bytes[] calldata models
    ) external;

    /**
     * @notice Log the outcome (events with every place and the licence); once, in the
     * Finalized phase, O(k). Optional: the first {claim} does it too.
     * @dev Payouts are a function of the state the Finalized phase freezes; this only records them.
     */
    function finalize() external;

    /**
     * @notice Withdraw the caller's payout (finalizing first if needed).
     * @return amount What was transferred to the caller.
     */
    function claim() external returns (uint256 amount);

    // --- views ----------------------------------------------------------------------

    /// @notice The current phase.
    function phase() external view returns (Phase);

    /// @notice The parameters the competition was created with.
    function params() external view returns (Params memory);

    /// @notice The account that created (and funded) the competition.
    function creator() external view returns (address);

    /// @notice The evaluator contract scoring the models.
    function evaluator() external view returns (address);

    /// @notice The factory that initialized this competition.
    function factory() external view returns (address);

    /// @notice The ranking metric the creator chose.
    function metric() external view returns (Metric);

    /// @notice Whether submission `id` is one of its submitter's finals (always true when
    /// `finals` is 0); fixed once the Submission phase ends.
    function isFinal(uint256 id) external view returns (bool);

    /// @notice Number of revealed finals: evaluation ends early once all are scored.
    function revealedFinalCount() external view returns (uint256);

    /// @notice The current entry period, floor((t - createdAt) / periodLength) (0 without a cap).
    function currentPeriod() external view returns (uint256);

    /// @notice Block time of {initialize}: period 0 starts then.
    function createdAt() external view returns (uint256);

    /// @notice Commits `account` made in the current period (counted only under a cap).
    function entriesThisPeriod(address account) external view returns (uint256);

    /// @notice Number of test chunks: ceil(samples / chunkSize).
    function chunkCount() external view returns (uint256);

    /// @notice Number of training chunks: ceil(trainingSamples / chunkSize).
    function trainingChunkCount() external view returns (uint256);

    /// @notice End of the DefaultEvaluation window (the creator may still avoid it before then).
    function defaultEvaluationEnd() external view returns (uint256);

    /// @notice Submission `id`'s progress on the training chunks (used only after a default).
    function trainingScore(uint256 id) external view returns (uint256 evaluatedChunks, uint256 score);

    /// @notice Whether submission `id` has been scored on training chunk `chunkIndex`.
    function isEvaluatedOnTraining(uint256 id, uint256 chunkIndex) external view returns (bool);

    /// @notice The lowest revealed final id with model hash `modelHash` (0 if none): only it can
    /// take a place (every submission is a final when `finals` is 0).
    function originalOf(bytes32 modelHash) external view returns (uint256);

    /// @notice The commitment {commit} expects from `submitter` for a model hash and salt.
    function commitmentFor(address submitter, bytes32 modelHash, bytes32 salt) external view returns (bytes32);

    /// @notice Number of commits (= the highest submission id).
    function submissionCount() external view returns (uint256);

    /// @notice Number of revealed submissions.
    function revealedCount() external view returns (uint256);

    /// @notice Number of revealed submissions scored on every chunk.
    function completedCount() external view returns (uint256);

    /// @notice Submission `id`; reverts for an unknown id.
    function submission(uint256 id) external view returns (Submission memory);

    /// @notice Commits and reveals made by `account`.
    function submissionsOf(address account) external view returns (uint256 commits, uint256 reveals);

    /// @notice Whether submission `id` has been scored on chunk `chunkIndex`.
    function isEvaluated(uint256 id, uint256 chunkIndex) external view returns (bool);

    /// @notice Fully evaluated submissions in paid places, best first (at most k ids); after a
    /// default, by training score and only models beating the baseline.
    function ranking() external view returns (uint256[] memory);

    /// @notice Whether the creator revealed the test set.
    function testSetRevealed() external view returns (bool);

    /// @notice The revealed test salt (zero before {revealTestSet}).
    function testSalt() external view returns (bytes32);

    /// @notice The revealed test-data CID ("" before {revealTestSet}).
    function testDataCid() external view returns (string memory);

    /// @notice The reward plus the stakes of submissions not (yet) revealed.
    function prizePool() external view returns (uint256);

    /// @notice How the pool is shared: `Pending` before the Finalized phase, then fixed.
    function outcome() external view returns (Outcome);

    /// @notice Whether {finalize} (or the first {claim}) has logged the outcome.
    function finalized() external view returns (bool);

    /// @notice What `account` can claim: 0 before the Finalized phase and after its claim.
    function claimable(address account) external view returns (uint256);

    /// @notice Whether `account` has claimed.
    function hasClaimed(address account) external view returns (bool);

    /// @notice The first place (all zero unless the outcome is `Ranked` or `Defaulted` with a place paid).
    function winner() external view returns (uint256 id, address submitter, bytes32 modelHash);

    /// @notice The licensee of the winning model: the creator once `Ranked` with a winner, else the zero address.
    function licensee() external view returns (address);
}
