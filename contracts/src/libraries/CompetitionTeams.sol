// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ICompetition} from "../interfaces/ICompetition.sol";
import {CompetitionScoring} from "./CompetitionScoring.sol";

/**
 * @title CompetitionTeams
 * @notice Teams and mergers of a {Competition} (docs/competition-protocol.md, "Teams"):
 * a team is proposed with its members and payout shares, forms when every member has
 * accepted, and then commits as one entrant. Forming merges each member's current entrant
 * (the member itself, or its whole team) into the new team, with its commits, under
 * Kaggle's rule: the merged commits must fit the cap per period times the periods so far.
 * @dev An external library like {CompetitionScoring}: linked into Competition and run by
 * DELEGATECALL on the clone's {CompetitionScoring-Scoring} storage; its events and errors
 * are {ICompetition}'s. Gas: {propose} and {accept} are O(members²) with at most
 * {MAX_TEAM_SIZE} members.
 */
library CompetitionTeams {
    /// @notice Most members of a team.
    uint256 internal constant MAX_TEAM_SIZE = 8;

    uint256 private constant _BPS = 10_000;

    /// @notice {ICompetition-proposeTeam}: `creator` may not be a member.
    function propose(
        CompetitionScoring.Scoring storage s,
        ICompetition.Params storage p,
        address creator,
        string calldata name,
        address[] calldata members,
        uint16[] calldata shares
    ) external returns (address team) {
        _requireOpen(p);
        uint256 n = members.length;
        uint256 total = 0;
        bool valid = n != 0 && n <= MAX_TEAM_SIZE && shares.length == n;
        bool caller = false;
        for (uint256 i = 0; valid && i < n; ++i) {
            address member = members[i];
            if (member == address(0) || member == creator || shares[i] == 0) valid = false;
            for (uint256 j = 0; j < i; ++j) {
                if (members[j] == member) valid = false;
            }
            total += shares[i];
            if (member == msg.sender) caller = true;
        }
        if (!valid || !caller || total != _BPS) revert ICompetition.CompetitionInvalidTeam(n, total, MAX_TEAM_SIZE);
        // A keccak-derived address: nobody holds its key, so it never collides with an account.
        team = address(uint160(uint256(keccak256(abi.encode(address(this), "team", ++s.teamCount)))));
        ICompetition.Team storage t = s.teams[team];
        t.members = members;
        t.shares = shares;
        emit ICompetition.TeamProposed(team, msg.sender, name, members, shares);
    }

    /// @notice {ICompetition-acceptTeam}; `period` is the current entry period.
    function accept(CompetitionScoring.Scoring storage s, ICompetition.Params storage p, uint256 period, address team)
        external
    {
        _requireOpen(p);
        ICompetition.Team storage t = s.teams[team];
        uint256 n = t.members.length;
        if (n == 0) revert ICompetition.CompetitionUnknownTeam(team);
        if (t.formed) revert ICompetition.CompetitionTeamAlreadyFormed(team);
        if (!_isMember(t, msg.sender) || s.accepted[team][msg.sender]) {
            revert ICompetition.CompetitionCannotAccept(team, msg.sender);
        }
        s.accepted[team][msg.sender] = true;
        emit ICompetition.TeamAccepted(team, msg.sender);
        t.accepted += 1;
        if (t.accepted == n) _form(s, p, period, team, t);
    }

    /// @dev Merge every member's entrant into `team`, checking the rules, and record it formed.
    function _form(
        CompetitionScoring.Scoring storage s,
        ICompetition.Params storage p,
        uint256 period,
        address team,
        ICompetition.Team storage t
    ) private {
        uint256 n = t.members.length;
        address[] memory merged = new address[](n);
        uint256 count = 0;
        uint256 commits = 0;
        uint256 periodEntries = 0;
        for (uint256 i = 0; i < n; ++i) {
            address member = t.members[i];
            address e = CompetitionScoring.entrant(s, member);
            bool seen = false;
            for (uint256 j = 0; j < count; ++j) {
                if (merged[j] == e) seen = true;
            }
            if (seen) continue;
            if (e != member) {
                // A team joins whole: splitting it would move its commits to some members only.
                address[] storage others = s.teams[e].members;
                for (uint256 j = 0; j < others.length; ++j) {
                    if (!_isMember(t, others[j])) revert ICompetition.CompetitionTeamSplit(member, e);
                }
            }
            merged[count++] = e;
            CompetitionScoring.Participant storage q = s.participants[e];
            // The team numbers e's commits after those merged before it, so that its default
            // finals are its last `finals` commits (each entrant's own numbers would overlap).
            if (commits != 0) s.ordinalBase[e] = uint64(commits);
            commits += q.commits;
            if (q.period == period) periodEntries += q.periodEntries;
        }
        // A team that committed keeps its members and shares: it may only merge with another entrant.
        if (count == 1 && s.teams[merged[0]].formed && s.participants[merged[0]].commits != 0) {
            revert ICompetition.CompetitionTeamFrozen(merged[0]);
        }
        _checkCaps(p, period, commits);
        for (uint256 i = 0; i < count; ++i) {
            s.mergedInto[merged[i]] = team;
        }
        for (uint256 i = 0; i < n; ++i) {
            s.memberOf[t.members[i]] = team;
        }
        t.formed = true;
        CompetitionScoring.Participant storage joint = s.participants[team];
        // At most 8 entrants' counters, each below 2^64 commits (2^32 per period): no overflow in practice;
        // a cap, if any, bounds them far below.
        joint.commits = uint64(commits);
        joint.period = uint40(period);
        joint.periodEntries = uint32(periodEntries);
        assembly ("memory-safe") {
            mstore(merged, count)
        }
        emit ICompetition.TeamFormed(team, merged, commits);
    }

    /// @dev Kaggle's merger rule: the merged commits fit the cap per period times the periods
    /// so far (period + 1), and the cap per entrant.
    function _checkCaps(ICompetition.Params storage p, uint256 period, uint256 commits) private view {
        uint256 perPeriod = p.entriesPerPeriod;
        if (perPeriod != 0 && commits > perPeriod * (period + 1)) {
            revert ICompetition.CompetitionMergeOverCap(commits, perPeriod * (period + 1));
        }
        uint256 cap = p.maxSubmissionsPerAddress;
        if (cap != 0 && commits > cap) revert ICompetition.CompetitionMergeOverCap(commits, cap);
    }

    /// @dev Reverts after the merger deadline (the submission deadline unless set earlier), or
    /// when one address may hold several places (teams need one place per entrant).
    function _requireOpen(ICompetition.Params storage p) private view {
        if (p.multiplePlaces) revert ICompetition.CompetitionTeamsNotAllowed();
        uint256 deadline = p.mergerDeadline == 0 ? p.submissionEnd : p.mergerDeadline;
        if (block.timestamp >= deadline) revert ICompetition.CompetitionMergerClosed(deadline);
    }

    function _isMember(ICompetition.Team storage t, address account) private view returns (bool) {
        address[] storage members = t.members;
        for (uint256 i = 0; i < members.length; ++i) {
            if (members[i] == account) return true;
        }
        return false;
    }
}
