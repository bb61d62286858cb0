// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ICompetition} from "./interfaces/ICompetition.sol";
import {ICompetitionFactory} from "./interfaces/ICompetitionFactory.sol";
import {IEvaluator} from "./interfaces/IEvaluator.sol";
import {CLAIM_SETTLE_MARGIN, IScoreClaims} from "./interfaces/IScoreClaims.sol";

/**
 * @title CompetitionFactory
 * @notice Creates each competition as an EIP-1167 clone of one locked
 * {Competition} implementation and escrows its reward and creator bond in the clone.
 * @dev The owner keeps the registry of evaluators by model family; a competition
 * records its evaluator at creation, so later registry changes never affect it.
 * Every function is O(1) apart from copying the caller's parameters (bounded by
 * calldata, at most 10 payout places).
 */
contract CompetitionFactory is ICompetitionFactory, Ownable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    address private immutable _implementation;
    mapping(bytes32 family => address) private _evaluators;
    address private _scoreClaims;

    /// @notice Shortest challenge window an optimistic competition may choose.
    uint256 public constant MIN_CHALLENGE_WINDOW = 1 hours;

    /// @notice A claim bond is at least the reward divided by this (1 %).
    uint256 public constant CLAIM_BOND_DIVISOR = 100;
    address[] private _competitions;
    mapping(address competition => bool) private _created;

    /**
     * @param implementation_ A deployed {Competition} (its constructor locks it).
     * @param initialOwner The account that manages the evaluator registry.
     */
    constructor(address implementation_, address initialOwner) Ownable(initialOwner) {
        if (implementation_.code.length == 0) revert CompetitionFactoryInvalidImplementation(implementation_);
        _implementation = implementation_;
    }

    /// @inheritdoc ICompetitionFactory
    function setEvaluator(bytes32 family, address evaluator) external onlyOwner {
        if (evaluator != address(0)) {
            bytes32 actual = IEvaluator(evaluator).family();
            if (actual != family) revert CompetitionFactoryFamilyMismatch(family, actual);
        }
        _evaluators[family] = evaluator;
        emit EvaluatorSet(family, evaluator);
    }

    /// @inheritdoc ICompetitionFactory
    function createCompetition(ICompetition.Params calldata p) external nonReentrant returns (address competition) {
        competition = _create(p);
        IERC20(p.token).safeTransferFrom(msg.sender, competition, p.reward + p.creatorBond);
    }

    /// @inheritdoc ICompetitionFactory
    function createCompetitionWithPermit(
        ICompetition.Params calldata p,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant returns (address competition) {
        competition = _create(p);
        uint256 escrow = p.reward + p.creatorBond;
        // A front-run permit has already set the allowance; the transfer below is the real check.
        try IERC20Permit(p.token).permit(msg.sender, address(this), escrow, deadline, v, r, s) {} catch {}
        IERC20(p.token).safeTransferFrom(msg.sender, competition, escrow);
    }

    /// @inheritdoc ICompetitionFactory
    function setScoreClaims(address scoreClaims_) external onlyOwner {
        if (scoreClaims_ != address(0) && IScoreClaims(scoreClaims_).factory() != address(this)) {
            revert CompetitionFactoryScoreClaimsMismatch(scoreClaims_);
        }
        _scoreClaims = scoreClaims_;
        emit ScoreClaimsSet(scoreClaims_);
    }

    /// @inheritdoc ICompetitionFactory
    function scoreClaims() external view returns (address) {
        return _scoreClaims;
    }

    /// @inheritdoc ICompetitionFactory
    function implementation() external view returns (address) {
        return _implementation;
    }

    /// @inheritdoc ICompetitionFactory
    function evaluatorOf(bytes32 family) external view returns (address) {
        return _evaluators[family];
    }

    /// @inheritdoc ICompetitionFactory
    function competitionCount() external view returns (uint256) {
        return _competitions.length;
    }

    /// @inheritdoc ICompetitionFactory
    function competitionAt(uint256 index) external view returns (address) {
        uint256 count = _competitions.length;
        if (index >= count) revert CompetitionFactoryIndexOutOfRange(index, count);
        return _competitions[index];
    }

    /// @inheritdoc ICompetitionFactory
    function isCompetition(address competition) external view returns (bool) {
        return _created[competition];
    }

    /// @dev Clone, record and initialize (which validates `p`); the caller then pulls the reward into the clone.
    function _create(ICompetition.Params calldata p) private returns (address competition) {
        address evaluator = _evaluators[p.family];
        if (evaluator == address(0)) revert CompetitionFactoryUnknownFamily(p.family);

        competition = Clones.clone(_implementation);
        uint256 index = _competitions.length;
        _competitions.push(competition);
        _created[competition] = true;
        emit CompetitionCreated(index, competition, msg.sender, p.family, evaluator, p.token, p.reward);

        _checkRules(p);
        ICompetition(competition).initialize(p, msg.sender, evaluator, _claimsContract(p));
    }

    /// @dev Reverts unless the merger deadline and the performance stakes are consistent.
    function _checkRules(ICompetition.Params calldata p) private pure {
        if (p.mergerDeadline > p.submissionEnd) {
            revert CompetitionFactoryInvalidMergerDeadline(p.mergerDeadline, p.submissionEnd);
        }
        if (p.slashBps > 10_000 || (p.slashBps != 0 && p.entryStake == 0)) {
            revert CompetitionFactoryInvalidStakes(p.slashBps, p.entryStake);
        }
    }

    /// @dev The score-claims contract of an optimistic competition or one with a public board,
    /// after checking their parameters (zero for neither).
    function _claimsContract(ICompetition.Params calldata p) private view returns (address claims) {
        bool board = _publicBoard(p);
        if (p.challengeWindow == 0 && !board) return address(0);
        claims = _scoreClaims;
        if (claims == address(0)) revert CompetitionFactoryNoScoreClaims();
        _optimistic(p);
    }

    /// @dev Whether `p` has a public board, after checking it.
    function _publicBoard(ICompetition.Params calldata p) private pure returns (bool) {
        uint256 window = p.publicWindow;
        if (p.publicRoot == bytes32(0)) {
            if (p.publicSamples != 0 || window != 0 || p.publicClaimBond != 0) {
                revert CompetitionFactoryInvalidPublicBoard(p.publicSamples, window, p.publicClaimBond);
            }
            return false;
        }
        // initialize checks revealEnd < testRevealEnd; a window this long is refused either way.
        if (
            p.publicSamples == 0 || p.publicClaimBond == 0 || window < MIN_CHALLENGE_WINDOW
                || uint256(p.revealEnd) + window >= p.testRevealEnd
        ) {
            revert CompetitionFactoryInvalidPublicBoard(p.publicSamples, window, p.publicClaimBond);
        }
        return true;
    }

    /// @dev Reverts unless the optimistic-evaluation parameters are valid (all zero: on-chain only).
    function _optimistic(ICompetition.Params calldata p) private pure {
        uint256 window = p.challengeWindow;
        if (window == 0) return;
        // initialize checks testRevealEnd < evaluationEnd; a window this long is refused either way.
        if (
            window < MIN_CHALLENGE_WINDOW || uint256(p.testRevealEnd) + window + CLAIM_SETTLE_MARGIN >= p.evaluationEnd
                || p.claimBond == 0 || p.claimBond < p.reward / CLAIM_BOND_DIVISOR || p.challengeBond == 0
        ) {
            revert CompetitionFactoryInvalidOptimistic(window, p.claimBond, p.challengeBond);
        }
    }
}
