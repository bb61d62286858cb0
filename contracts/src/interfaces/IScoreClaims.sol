// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICompetition} from "./ICompetition.sol";

/// @dev Seconds a claim's window must end before the evaluation deadline, left to settle it
/// (a block must fall between the two on a real chain).
uint256 constant CLAIM_SETTLE_MARGIN = 10 minutes;

/**
 * @title IScoreClaims
 * @notice Optimistic evaluation: instead of scoring a submission on every test chunk,
 * anyone posts a claim of its per-chunk results with a bond; the contract builds a
 * Merkle sum tree over them, and during a challenge window anyone may name one chunk,
 * which is then scored on chain with the competition's evaluator. A wrong leaf voids the
 * claim (its bond goes to the challenger, a part to the sink); a claim whose window
 * ends unchallenged gives the submission its score ({ICompetition-completeByClaim}).
 * @dev One contract serves every optimistic competition of its factory. The claimer's
 * leaves travel in calldata and in {ClaimPosted}, so every watcher can open any path
 * (a root alone could be withheld and never challenged); the contract builds the tree
 * itself, so a claim's inner sums are right by construction and only a leaf can lie.
 *
 * Leaf vector of a chunk (`leafLength` words): Accuracy and SumOfSquaredErrors, the
 * evaluator's `scoreBatch` value; SumOfAbsoluteErrors, `tallyBatch`'s absolute-error
 * sum; BalancedAccuracy and MacroF1, `tallyBatch`'s tallies (correct, tp_0..tp_{K-1},
 * predicted_0..predicted_{K-1}) followed by the chunk's support (K counts): 3K + 1 words.
 *
 * Tree over the `2^depth` positions of the competition's test chunks (`depth` as for the
 * test-set root): leaf `i < chunks` is `keccak256(id ‖ i ‖ v_i)` with sum `v_i`, a position
 * past the last chunk is hash 0 with a zero sum, an inner node is
 * `keccak256(left ‖ right ‖ sumLeft + sumRight)` (every value a 32-byte word). Python
 * twin: `mlmarket.ml.claims`; protocol: docs/competition-protocol.md, "Optimistic evaluation".
 */
interface IScoreClaims {
    enum ClaimStatus {
        None,
        Open, // posted; challengeable until `windowEnd` (inclusive)
        Voided, // a challenge showed a wrong leaf
        Final, // its window ended unchallenged and it gave the submission its score
        Closed // its window ended after the submission was completed otherwise; bond returned
    }

    /**
     * @notice One score claim.
     * @param competition The competition (an optimistic one of this contract's factory).
     * @param windowEnd Last second (inclusive) a challenge is accepted.
     * @param claimer Who posted it and locked `bond`.
     * @param status See {ClaimStatus}.
     * @param id The submission it scores.
     * @param root The Merkle sum tree's root over the claimed leaves.
     * @param score The metric of the root's sum, as {ICompetition} would compute it.
     * @param bond Tokens locked (the competition's `claimBond` when posted, `publicClaimBond` for a public claim).
     * @param onPublic A public-score claim ({postPublicClaim}): over the public test chunks, posted in the
     * Submission phase, challengeable once its model is revealed until the private test set is.
     */
    struct Claim {
        address competition;
        uint64 windowEnd;
        address claimer;
        ClaimStatus status;
        bool onPublic;
        uint256 id;
        bytes32 root;
        uint256 score;
        uint256 bond;
    }

    /**
     * @notice What a challenger sends: one leaf of the claim with its path, and the
     * chunk and the model to score it.
     * @param chunkIndex The chunk (a position below the competition's chunk count).
     * @param leaf The claimed leaf vector at that position.
     * @param siblings The sibling hashes from the leaf up (`depth` of them).
     * @param siblingSums Their sums, `leafLength` words per level, lowest level first.
     * @param chunk The test chunk's bytes (as in {ICompetition-evaluate}).
     * @param chunkProof Its positional proof against the competition's test root.
     * @param model The submission's revealed model bytes.
     */
    struct Opening {
        uint256 chunkIndex;
        uint256[] leaf;
        bytes32[] siblings;
        uint256[] siblingSums;
        bytes chunk;
        bytes32[] chunkProof;
        bytes model;
    }

    /// @dev `competition` is not an optimistic competition of this contract's factory.
    error ScoreClaimsNotOptimistic(address competition);
    /// @dev Claims are posted only in the Evaluation phase (the test set revealed).
    error ScoreClaimsNotInEvaluation(ICompetition.Phase actual);
    /// @dev Submission `id` is not a revealed final, so it is never scored.
    error ScoreClaimsNotEvaluable(uint256 id);
    /// @dev Submission `id` already has its final score.
    error ScoreClaimsAlreadyCompleted(uint256 id);
    /// @dev A claim posted now would stay open until `windowEnd`, not {CLAIM_SETTLE_MARGIN} before the evaluation
    /// deadline `evaluationEnd`.
    error ScoreClaimsTooLate(uint256 windowEnd, uint256 evaluationEnd);
    /// @dev The claim needs `expected` leaf words (leaf length × chunks); it has `actual`.
    error ScoreClaimsInvalidLeaves(uint256 expected, uint256 actual);
    /// @dev No claim `claimId`.
    error ScoreClaimsUnknownClaim(uint256 claimId);
    /// @dev Claim `claimId` is no longer open (status `status`).
    error ScoreClaimsNotOpen(uint256 claimId, ClaimStatus status);
    /// @dev Claim `claimId`'s challenge window closed at `windowEnd`.
    error ScoreClaimsWindowClosed(uint256 claimId, uint256 windowEnd);
    /// @dev Claim `claimId`'s challenge window is open until `windowEnd` (inclusive).
    error ScoreClaimsWindowOpen(uint256 claimId, uint256 windowEnd);
    /// @dev Claim `earlier`, posted before claim `claimId` for the same submission, is still open: it settles first.
    error ScoreClaimsNotFirst(uint256 claimId, uint256 earlier);
    /// @dev The opening of chunk `chunkIndex` does not lead to claim `claimId`'s root (wrong leaf, path or position).
    error ScoreClaimsInvalidOpening(uint256 claimId, uint256 chunkIndex);
    /// @dev The chunk's bytes or proof do not match the competition's test root at `chunkIndex`.
    error ScoreClaimsInvalidChunk(uint256 chunkIndex);
    /// @dev The model bytes are not submission `id`'s revealed model.
    error ScoreClaimsModelMismatch(uint256 id);
    /// @dev The evaluator call failed with too little gas left to tell a refusal from starvation; send more gas.
    error ScoreClaimsOutOfGas();

    /// @dev `competition` has no public board (its `publicRoot` is zero).
    error ScoreClaimsNoPublicBoard(address competition);
    /// @dev Public claims are posted in the Submission phase, with the commit.
    error ScoreClaimsNotInSubmission(ICompetition.Phase actual);
    /// @dev `caller` is not a member of submission `id`'s entrant.
    error ScoreClaimsNotEntrant(uint256 id, address caller);
    /// @dev Submission `id` already has public claim `claimId` (one per submission).
    error ScoreClaimsPublicClaimExists(uint256 id, uint256 claimId);
    /// @dev Submission `id`'s model is not revealed yet: its public claim cannot be checked before.
    error ScoreClaimsNotRevealed(uint256 id);

    /// @dev A public-score claim was posted with submission `id`'s commit (`leaves` over the public chunks).
    event PublicClaimPosted(
        uint256 indexed claimId,
        address indexed competition,
        uint256 indexed id,
        address claimer,
        bytes32 root,
        uint256 score,
        uint256 bond,
        uint256[] leaves
    );

    /// @dev A public claim whose model was never revealed: its bond went to the sink.
    event PublicClaimForfeited(uint256 indexed claimId, uint256 burned);

    /// @dev A claim was posted; `leaves` are its leaf vectors, chunk by chunk (for watchers).
    event ClaimPosted(
        uint256 indexed claimId,
        address indexed competition,
        uint256 indexed id,
        address claimer,
        bytes32 root,
        uint256 score,
        uint256 bond,
        uint64 windowEnd,
        uint256[] leaves
    );
    /// @dev A challenge showed that chunk `chunkIndex`'s leaf is wrong: `challenger` gets `reward`, the sink `burned`.
    event ClaimVoided(
        uint256 indexed claimId, address indexed challenger, uint256 chunkIndex, uint256 reward, uint256 burned
    );
    /// @dev A challenge of chunk `chunkIndex` found the leaf right: its bond went to the sink.
    event ChallengeFailed(uint256 indexed claimId, address indexed challenger, uint256 chunkIndex, uint256 forfeited);
    /// @dev The claim's window ended unchallenged: submission `id` got `score`; the bond went back.
    event ClaimFinalized(uint256 indexed claimId, address indexed competition, uint256 indexed id, uint256 score);
    /// @dev The claim's window ended after its submission was completed otherwise; the bond went back.
    event ClaimClosed(uint256 indexed claimId);

    /**
     * @notice Claim submission `id`'s results on every test chunk of `competition`, locking
     * the competition's claim bond (approve it first); the window ends `challengeWindow` seconds from now.
     * @param leaves Every chunk's leaf vector in chunk order, `leafLength` words each.
     */
    function postClaim(address competition, uint256 id, uint256[] calldata leaves) external returns (uint256 claimId);

    /**
     * @notice Claim submission `id`'s results on the public test chunks of `competition` (a
     * competition with a public board), in the Submission phase, as a member of the
     * submission's entrant, locking `publicClaimBond`; one per submission. Nothing about the
     * model is revealed: the public board shows these scores until the deadline.
     * Once the model is revealed, anyone may {challenge} it on one public chunk until the
     * private test set is revealed (the Reveal and TestReveal phases): a wrong leaf voids it
     * and disqualifies the submission ({ICompetition-disqualify}). After that, {settle}
     * returns the bond if the model was revealed, or sends it to the sink if not.
     * @param leaves Every public chunk's leaf vector in chunk order, `leafLength` words each.
     */
    function postPublicClaim(address competition, uint256 id, uint256[] calldata leaves)
        external
        returns (uint256 claimId);

    /// @notice The public claim of submission `id` in `competition` (0 = none).
    function publicClaimOf(address competition, uint256 id) external view returns (uint256);

    /**
     * @notice Challenge claim `claimId` on one chunk (a public chunk for a public claim), locking the competition's challenge
     * bond (approve it first). Reverts, taking nothing, unless the opening leads to the
     * claim's root and the chunk and model are the committed ones. The chunk is then
     * scored: a leaf that differs, or a committed chunk the evaluator cannot score (as
     * `evaluate` could not either), voids the claim (the bond goes to the caller, a fifth
     * to the sink, and the challenge bond comes back); a right leaf forfeits the challenge bond to the sink.
     * @return voided Whether the claim was voided.
     */
    function challenge(uint256 claimId, Opening calldata opening) external returns (bool voided);

    /**
     * @notice After claim `claimId`'s window: give its submission the claimed score if
     * the submission is still unscored (earlier open claims of it settle first), else
     * close it; either way the bond goes back to the claimer. A public claim settles once
     * the private test set is revealed (or can no longer be): its bond goes back if its
     * model was revealed, else to the sink; its status becomes Final or Voided.
     */
    function settle(uint256 claimId) external;

    /// @notice Claim `claimId`.
    function claimOf(uint256 claimId) external view returns (Claim memory);

    /// @notice Claims posted so far (ids 1 ..= claimCount).
    function claimCount() external view returns (uint256);

    /// @notice The claims posted for submission `id` of `competition`, oldest first.
    function claimsFor(address competition, uint256 id) external view returns (uint256[] memory);

    /// @notice Words per leaf for `competition`'s metric (1, or 3K + 1 for the per-class metrics).
    function leafLength(address competition) external view returns (uint256);

    /// @notice The factory whose optimistic competitions this contract serves.
    function factory() external view returns (address);
}
