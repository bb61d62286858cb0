// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICompetition} from "./ICompetition.sol";

/**
 * @title ICompetitionFactory
 * @notice Creates competitions as EIP-1167 clones of one locked {Competition}
 * implementation, escrows each reward and creator bond in its clone, and keeps a registry of
 * evaluators by model family plus a list of every competition it created.
 */
interface ICompetitionFactory {
    /// @dev The implementation address `implementation` holds no code.
    error CompetitionFactoryInvalidImplementation(address implementation);

    /// @dev No evaluator is registered for model family `family`.
    error CompetitionFactoryUnknownFamily(bytes32 family);

    /// @dev The evaluator reports family `actual`, not the family `expected` it is registered for.
    error CompetitionFactoryFamilyMismatch(bytes32 expected, bytes32 actual);

    /// @dev There is no competition at index `index`; the factory created `count`.
    error CompetitionFactoryIndexOutOfRange(uint256 index, uint256 count);

    /// @dev `scoreClaims` serves another factory (its `factory()` is not this one).
    error CompetitionFactoryScoreClaimsMismatch(address scoreClaims);

    /// @dev An optimistic competition (`challengeWindow` set) needs a score-claims contract; none is registered.
    error CompetitionFactoryNoScoreClaims();

    /**
     * @dev Optimistic evaluation needs a challenge window of at least {MIN_CHALLENGE_WINDOW}
     * seconds ending {CLAIM_SETTLE_MARGIN} before the evaluation deadline when the test set is
     * revealed at its deadline (`testRevealEnd + challengeWindow + CLAIM_SETTLE_MARGIN <
     * evaluationEnd`), a claim bond of at least 1 % of the
     * reward (and not zero) and a non-zero challenge bond.
     */
    error CompetitionFactoryInvalidOptimistic(uint256 challengeWindow, uint256 claimBond, uint256 challengeBond);

    /// @dev A public board needs public rows, a public-claim bond above zero, and a window of
    /// at least an hour that ends (`revealEnd + publicWindow`) before `testRevealEnd`; without
    /// a public root all three are zero.
    error CompetitionFactoryInvalidPublicBoard(uint256 publicSamples, uint256 publicWindow, uint256 publicClaimBond);

    /// @dev The merger deadline is after the submission deadline.
    error CompetitionFactoryInvalidMergerDeadline(uint256 mergerDeadline, uint256 submissionEnd);

    /// @dev Performance stakes need an entry stake and a slash of at most 10,000 basis points.
    error CompetitionFactoryInvalidStakes(uint256 slashBps, uint256 entryStake);

    /// @dev Emitted when the owner registers (or, with the zero address, removes) the score-claims contract.
    event ScoreClaimsSet(address indexed scoreClaims);

    /// @dev Emitted when the owner registers (or, with the zero address, removes) an evaluator.
    event EvaluatorSet(bytes32 indexed family, address indexed evaluator);

    /// @dev Emitted for every new competition; `index` is its position in {competitionAt}.
    event CompetitionCreated(
        uint256 indexed index,
        address indexed competition,
        address indexed creator,
        bytes32 family,
        address evaluator,
        address token,
        uint256 reward
    );

    /**
     * @notice Register `evaluator` for `family` (owner only); the zero address removes it.
     * @dev Existing competitions keep the evaluator they were created with.
     */
    function setEvaluator(bytes32 family, address evaluator) external;

    /**
     * @notice Register the score-claims contract that optimistic competitions use (owner
     * only; the zero address stops new optimistic competitions).
     * @dev Existing competitions keep the one they were created with.
     */
    function setScoreClaims(address scoreClaims_) external;

    /// @notice The score-claims contract new optimistic competitions get.
    function scoreClaims() external view returns (address);

    /**
     * @notice Create a competition: clone, initialize, and pull `p.reward + p.creatorBond` of `p.token`
     * from the caller (approve the factory first). The caller becomes the creator.
     * @return competition The new clone's address.
     */
    function createCompetition(ICompetition.Params calldata p) external returns (address competition);

    /**
     * @notice {createCompetition} with an ERC-2612 permit for `p.reward + p.creatorBond`, in one transaction.
     * @dev A permit that fails (e.g. because someone submitted it first) is ignored;
     * the transfer then needs the allowance to be in place.
     */
    function createCompetitionWithPermit(
        ICompetition.Params calldata p,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (address competition);

    /// @notice The locked implementation every competition clones.
    function implementation() external view returns (address);

    /// @notice The evaluator registered for `family` (zero if none).
    function evaluatorOf(bytes32 family) external view returns (address);

    /// @notice Number of competitions created.
    function competitionCount() external view returns (uint256);

    /// @notice The competition at `index` (0-based, creation order).
    function competitionAt(uint256 index) external view returns (address);

    /// @notice Whether `competition` was created by this factory.
    function isCompetition(address competition) external view returns (bool);
}
