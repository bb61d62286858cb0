"""Teams and mergers on the real EVM: Competition.proposeTeam / acceptTeam, run by the linked
CompetitionTeams library (docs/competition-protocol.md, "Teams").

A team forms when its last member accepts; from then on it commits as one entrant (a
keccak-derived address bound into every commitment), with one cap, one set of finals and
one prize place, and each member claims its share of the team's prize. Forming merges each
member's current entrant (the account, or its whole team) with its commits, under Kaggle's
rule: the merged commits fit ``entriesPerPeriod x (period + 1)`` and the per-entrant cap.

MockEvaluator scores are in the model bytes (``mock_model(v)`` scores ``v`` on every chunk of
the 3-chunk test set, so a total of ``3 v``). The wall clock is frozen: each transaction is
mined one second after the block before it, so deadlines are hit to the second; a refused
call mines nothing and moves no token (``refused`` checks both).
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from mlmarket.contracts.errors import (
    CompetitionAlreadyClaimed,
    CompetitionCannotAccept,
    CompetitionCommitmentMismatch,
    CompetitionFactoryInvalidMergerDeadline,
    CompetitionInvalidTeam,
    CompetitionMergeOverCap,
    CompetitionMergerClosed,
    CompetitionNothingToClaim,
    CompetitionNotSubmitter,
    CompetitionPeriodCapReached,
    CompetitionSubmissionCapReached,
    CompetitionTeamAlreadyFormed,
    CompetitionTeamFrozen,
    CompetitionTeamsNotAllowed,
    CompetitionTeamSplit,
    CompetitionUnknownTeam,
)
from tests.contracts.test_competition_kit import (
    BPS,
    FINALIZED,
    RANKED,
    SINK,
    TOKEN,
    Competition,
    World,
    commitment,
    events,
    mock_model,
    to_evaluation,
    world_fixture,  # noqa: F401 - the `world` fixture
)
from tests.contracts.test_data_market import freeze_wall_clock
from tests.contracts.test_score_claims import balances, mined, refused

ZERO = "0x" + "00" * 20
STAKE = 10 * TOKEN


@pytest.fixture(autouse=True)
def _frozen_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_wall_clock(monkeypatch)


# --- helpers (shared with the public-board, stake and stateful tests) ------------------------


def team_address(comp: Competition, number: int) -> str:
    """The entrant address of the competition's ``number``-th proposal (1-based)."""
    raw = keccak(encode(["address", "string", "uint256"], [comp.address, "team", number]))
    return to_checksum_address(raw[12:])


def addresses(comp: Competition, names: list[str]) -> list[str]:
    return [comp.chain.address(n) for n in names]


def even_shares(n: int) -> list[int]:
    """``n`` shares summing to 10,000 bps, the remainder on the first."""
    return [BPS // n + BPS % n] + [BPS // n] * (n - 1)


def propose(
    comp: Competition,
    members: list[str],
    shares: list[int] | None = None,
    *,
    who: str | None = None,
    name: str = "team",
) -> str:
    """``who`` (the first member by default) proposes ``members``; returns the team address."""
    shares = even_shares(len(members)) if shares is None else shares
    receipt = comp.send(
        "proposeTeam", name, addresses(comp, members), shares, sender=who or members[0]
    )
    (event,) = events(comp.contract, "TeamProposed", receipt)
    return str(event["args"]["team"])


def accept(comp: Competition, who: str, team: str) -> Any:
    return comp.send("acceptTeam", team, sender=who)


def form(comp: Competition, members: list[str], shares: list[int] | None = None) -> str:
    """Propose ``members`` and have each accept, in order: the last acceptance forms it."""
    team = propose(comp, members, shares)
    for who in members:
        accept(comp, who, team)
    return team


def team_of(comp: Competition, team: str) -> tuple[list[str], list[int], int, bool]:
    members, shares, accepted, formed = comp.call("teamOf", team)
    return list(members), list(shares), accepted, formed


def entrant(comp: Competition, who: str) -> str:
    return str(comp.call("entrantOf", comp.chain.address(who)))


def team_competition(world: World, **overrides: Any) -> Competition:
    """Teams need one place per entrant."""
    return world.create(**{"multiplePlaces": False, **overrides})


def score_all(comp: Competition, ids: list[int]) -> None:
    """Evaluate ``ids`` on every chunk, then move to the end of the evaluation window."""
    comp.evaluate_all(ids)
    if comp.phase() != FINALIZED:
        comp.to_evaluation_end()


def split(amount: int, shares: list[int]) -> list[int]:
    """Each member's part of ``amount``: pro rata, rounded down, the dust to the first."""
    parts = [amount * s // BPS for s in shares]
    parts[0] += amount - sum(parts)
    return parts


# --- proposing, accepting, forming -----------------------------------------------------------


def test_proposeTeam_recordsIt_andNobodyChangesUntilTheLastAcceptance(world: World) -> None:
    comp = team_competition(world)
    names = ["alice", "bob", "dave"]
    members = addresses(comp, names)
    receipt = comp.send("proposeTeam", "abd", members, [5000, 3000, 2000], sender="bob")
    (event,) = events(comp.contract, "TeamProposed", receipt)
    team = team_address(comp, 1)
    assert dict(event["args"]) == {
        "team": team,
        "proposer": comp.chain.address("bob"),
        "name": "abd",
        "members": members,
        "shares": [5000, 3000, 2000],
    }
    assert team_of(comp, team) == (members, [5000, 3000, 2000], 0, False)
    # Proposing is not accepting, not even for the proposer.
    for who in names:
        assert entrant(comp, who) == comp.chain.address(who)
    receipt = accept(comp, "alice", team)
    (accepted,) = events(comp.contract, "TeamAccepted", receipt)
    assert dict(accepted["args"]) == {"team": team, "member": members[0]}
    assert events(comp.contract, "TeamFormed", receipt) == []
    accept(comp, "bob", team)
    assert team_of(comp, team)[2:] == (2, False)
    assert [entrant(comp, who) for who in names] == members
    receipt = accept(comp, "dave", team)
    (formed,) = events(comp.contract, "TeamFormed", receipt)
    assert dict(formed["args"]) == {"team": team, "merged": members, "entries": 0}
    assert team_of(comp, team) == (members, [5000, 3000, 2000], 3, True)
    assert [entrant(comp, who) for who in names] == [team] * 3
    assert entrant(comp, "erin") == comp.chain.address("erin")
    assert comp.call("entrantOf", team) == team
    assert list(comp.call("submissionsOf", team)) == [0, 0]
    # The next proposal gets the next address; a lone member is a team too.
    assert propose(comp, ["erin"], [BPS]) == team_address(comp, 2)


INVALID_TEAMS: dict[str, tuple[list[str], list[int], int]] = {
    # case: (members, shares, the totalBps the error reports: the sum up to the first fault)
    "no members": ([], [], 0),
    "nine members": ([f"0x{i:040x}" for i in range(1, 9)] + ["alice"], [1111] * 8 + [1112], 0),
    "fewer shares than members": (["alice", "bob"], [BPS], 0),
    "the zero address": (["alice", ZERO], [5000, 5000], BPS),
    "the creator": (["alice", "carol"], [5000, 5000], BPS),
    "a zero share": (["alice", "bob"], [BPS, 0], BPS),
    "a member twice": (["alice", "bob", "alice"], [4000, 3000, 3000], BPS),
    "the caller is no member": (["bob", "dave"], [5000, 5000], BPS),
    "shares under 10,000": (["alice", "bob"], [5000, 4999], 9999),
    "shares over 10,000": (["alice", "bob"], [5000, 5001], 10_001),
}


@pytest.mark.parametrize("case", INVALID_TEAMS.values(), ids=INVALID_TEAMS.keys())
def test_proposeTeam_refusesAnInvalidTeam(
    world: World, case: tuple[list[str], list[int], int]
) -> None:
    comp = team_competition(world)
    names, shares, total = case
    members = [n if n.startswith("0x") else comp.chain.address(n) for n in names]
    fn = comp.fn.proposeTeam("bad", members, shares)
    error = refused(comp, CompetitionInvalidTeam, fn, sender="alice")
    assert (error.members, error.totalBps, error.limit) == (len(names), total, 8)
    assert team_of(comp, team_address(comp, 1)) == ([], [], 0, False)


def test_proposeTeam_ofEightMembers_isTheLargest(world: World) -> None:
    comp = team_competition(world)
    names = ["alice", "bob", "dave", "erin", "frank", "grace", "heidi", "ivan"]
    team = form(comp, names)
    assert team_of(comp, team)[2:] == (8, True)
    assert {entrant(comp, who) for who in names} == {team}


def test_teams_needOnePlacePerEntrant(world: World) -> None:
    comp = world.create(multiplePlaces=True)
    fn = comp.fn.proposeTeam("ab", addresses(comp, ["alice", "bob"]), [5000, 5000])
    refused(comp, CompetitionTeamsNotAllowed, fn, sender="alice")


def test_acceptTeam_refusesUnknownTeams_strangers_secondAcceptances_andFormedTeams(
    world: World,
) -> None:
    comp = team_competition(world)
    team = propose(comp, ["alice", "bob"])
    unknown = team_address(comp, 2)
    error = refused(comp, CompetitionUnknownTeam, comp.fn.acceptTeam(unknown), sender="alice")
    assert error.team == unknown
    error = refused(comp, CompetitionCannotAccept, comp.fn.acceptTeam(team), sender="dave")
    assert (error.team, error.account) == (team, comp.chain.address("dave"))
    accept(comp, "alice", team)
    error = refused(comp, CompetitionCannotAccept, comp.fn.acceptTeam(team), sender="alice")
    assert (error.team, error.account) == (team, comp.chain.address("alice"))
    assert team_of(comp, team)[2:] == (1, False)
    accept(comp, "bob", team)
    error = refused(comp, CompetitionTeamAlreadyFormed, comp.fn.acceptTeam(team), sender="bob")
    assert error.team == team


def test_mergerDeadline_closesProposalsAndAcceptances_notCommits(world: World) -> None:
    comp = team_competition(world, mergerDeadline=world.chain.clock.now() + 500)
    deadline = comp.params["mergerDeadline"]
    comp.chain.clock.advance_to(deadline - 3)
    team = propose(comp, ["alice", "bob"])  # mined at deadline - 2
    accept(comp, "alice", team)  # at deadline - 1; bob's, at the deadline, is refused
    fn = comp.fn.acceptTeam(team)
    assert refused(comp, CompetitionMergerClosed, fn, sender="bob").deadline == deadline
    fn = comp.fn.proposeTeam("late", addresses(comp, ["dave"]), [BPS])
    assert refused(comp, CompetitionMergerClosed, fn, sender="dave").deadline == deadline
    assert team_of(comp, team)[2:] == (1, False)
    assert entrant(comp, "alice") == comp.chain.address("alice")
    comp.commit("alice", mock_model(5))  # the Submission phase goes on
    assert list(comp.call("submissionsOf", comp.chain.address("alice"))) == [1, 0]


def test_mergerDeadline_byDefaultIsTheSubmissionDeadline(world: World) -> None:
    comp = team_competition(world)
    end = comp.params["submissionEnd"]
    comp.chain.clock.advance_to(end - 4)
    team = propose(comp, ["alice", "bob"])
    accept(comp, "alice", team)
    accept(comp, "bob", team)  # mined at end - 1: forms
    assert team_of(comp, team)[3] is True
    fn = comp.fn.proposeTeam("late", addresses(comp, ["dave"]), [BPS])
    assert refused(comp, CompetitionMergerClosed, fn, sender="dave").deadline == end


@pytest.mark.parametrize("offset", [0, 1, 1000])
def test_create_refusesAMergerDeadlineAfterTheSubmissionDeadline(world: World, offset: int) -> None:
    end = world.chain.clock.now() + 1000
    if offset == 0:  # the submission deadline itself is the latest allowed
        assert world.create(submissionEnd=end, mergerDeadline=end).params["mergerDeadline"] == end
        return
    block = mined(world)
    with pytest.raises(CompetitionFactoryInvalidMergerDeadline) as caught:
        world.create(submissionEnd=end, mergerDeadline=end + offset)
    assert (caught.value.mergerDeadline, caught.value.submissionEnd) == (end + offset, end)
    assert mined(world) == block + 1  # the approve only


# --- committing, revealing and the stake as a team -------------------------------------------


def test_team_commitsAsOneEntrant_anyMemberReveals_andTheStakeGoesToTheCommitter(
    world: World,
) -> None:
    comp = team_competition(world, entryStake=STAKE)
    team = form(comp, ["alice", "bob"])
    start = balances(comp)
    model = mock_model(7)
    salt = b"\x05" * 32
    comp.approve_stake("bob")
    receipt = comp.send("commit", commitment(comp.address, team, model, salt), sender="bob")
    (event,) = events(comp.contract, "SubmissionCommitted", receipt)
    sub_id = event["args"]["id"]
    assert dict(event["args"]) == {
        "id": sub_id,
        "submitter": team,
        "commitment": commitment(comp.address, team, model, salt),
    }
    assert comp.call("submission", sub_id)[0] == team
    assert list(comp.call("submissionsOf", team)) == [1, 0]
    assert list(comp.call("submissionsOf", comp.chain.address("bob"))) == [0, 0]
    assert balances(comp)["bob"] == start["bob"] - STAKE
    comp.to_reveal()
    # Not a member: the commitment does not bind it, whatever bytes and salt it sends.
    fn = comp.fn.reveal(sub_id, model, salt, "")
    error = refused(comp, CompetitionCommitmentMismatch, fn, sender="dave")
    assert (error.id, error.caller) == (sub_id, comp.chain.address("dave"))
    receipt = comp.send("reveal", sub_id, model, salt, "cid", sender="alice")
    (revealed,) = events(comp.contract, "SubmissionRevealed", receipt)
    assert revealed["args"]["submitter"] == team
    end = balances(comp)
    assert end["bob"] == start["bob"]  # the stake back to the member who paid it
    assert end["alice"] == start["alice"]
    assert end[comp.address] == start[comp.address]
    assert comp.call("revealedCount") == 1


def test_team_commitmentBoundToAMembersOwnAddress_cannotBeRevealed(world: World) -> None:
    """After the team forms a member's commit is the team's: a commitment to the member's own
    address opens for nobody, and its stake stays in the pool."""
    comp = team_competition(world, entryStake=STAKE)
    form(comp, ["alice", "bob"])
    sub_id = comp.commit("alice", mock_model(9))  # bound to alice, committed as the team
    comp.to_reveal()
    for who in ("alice", "bob"):
        fn = comp.fn.reveal(sub_id, comp.models[sub_id], comp.salts[sub_id], "")
        refused(comp, CompetitionCommitmentMismatch, fn, sender=who)
    assert comp.call("prizePool") == comp.params["reward"] + STAKE


def test_team_sharesOneCap(world: World) -> None:
    comp = team_competition(world, maxSubmissionsPerAddress=2)
    team = form(comp, ["alice", "bob"])
    comp.commit("alice", mock_model(1), entrant=team)
    comp.commit("bob", mock_model(2), entrant=team)
    fn = comp.fn.commit(commitment(comp.address, team, mock_model(3), b"\x01" * 32))
    error = refused(comp, CompetitionSubmissionCapReached, fn, sender="alice")
    assert (error.submitter, error.cap) == (team, 2)


def test_mergedSubmission_isRevealedByANewMember_andItsStakeGoesToItsCommitter(
    world: World,
) -> None:
    comp = team_competition(world, entryStake=STAKE)
    start = balances(comp)
    sub_id = comp.commit("alice", mock_model(4))  # alone, before the team
    form(comp, ["alice", "bob"])
    comp.to_reveal()
    comp.reveal("bob", sub_id)  # bob may: alice's entrant is now his team
    end = balances(comp)
    assert end["alice"] == start["alice"] and end["bob"] == start["bob"]
    assert comp.call("submission", sub_id)[0] == comp.chain.address("alice")


# --- places and prizes -------------------------------------------------------------------------


def test_team_takesOnePlace_andItsMembersClaimTheirSharesExactly(world: World) -> None:
    reward = 1000 * TOKEN + 7  # an odd pool: the places and the shares round
    comp = team_competition(world, reward=reward)
    shares = [3333, 3334, 3333]
    team = form(comp, ["alice", "bob", "dave"], shares)
    best = comp.commit("alice", mock_model(90), entrant=team)
    second = comp.commit("bob", mock_model(85), entrant=team)
    erin = comp.commit("erin", mock_model(80))
    frank = comp.commit("frank", mock_model(70))
    to_evaluation(comp, ("dave", best), ("alice", second), ("erin", erin), ("frank", frank))
    score_all(comp, [best, second, erin, frank])
    assert comp.phase() == FINALIZED
    assert comp.call("outcome") == RANKED
    # The team's second model would be second: one place per entrant keeps only its best.
    assert comp.call("ranking") == [best, erin, frank]
    place = [reward * bps // BPS for bps in (6000, 3000, 1000)]
    parts = split(place[0], shares)
    assert parts[0] == place[0] * 3333 // BPS + 1  # the rounding dust to the first member
    expected = {
        "alice": parts[0], "bob": parts[1], "dave": parts[2], "erin": place[1],
        "frank": place[2], "carol": reward - sum(place), "grace": 0,
    }  # fmt: skip
    for who, amount in expected.items():
        assert comp.call("claimable", comp.chain.address(who)) == amount, who
    # The team's own address shows the whole prize; nobody holds its key: its members claim.
    assert comp.call("claimable", team) == place[0]
    start = balances(comp)
    for who in ("alice", "bob", "dave", "erin", "frank", "carol"):
        receipt = comp.send("claim", sender=who)
        (paid,) = events(comp.contract, "PayoutClaimed", receipt)
        assert paid["args"]["amount"] == expected[who]
    end = balances(comp)
    for who, amount in expected.items():
        assert end[who] == start[who] + amount, who
    assert end[comp.address] == 0
    assert sum(parts) == place[0]
    fn = comp.fn.claim()
    refused(comp, CompetitionNothingToClaim, fn, sender="grace")
    (_, submitter, _) = comp.call("winner")
    assert submitter == team


# --- mergers ---------------------------------------------------------------------------------


def test_merger_ofTwoTeamsWithCommits_underTheCap_takesEverything(world: World) -> None:
    comp = team_competition(world, entriesPerPeriod=2, periodLength=200)
    created = comp.call("createdAt")
    first = form(comp, ["alice", "bob"])
    second = form(comp, ["dave", "erin"])
    a = comp.commit("alice", mock_model(10), entrant=first)
    b = comp.commit("bob", mock_model(11), entrant=first)
    comp.chain.clock.advance_to(created + 200)  # period 1: 4 entries allowed so far
    d = comp.commit("dave", mock_model(12), entrant=second)
    merged = propose(comp, ["erin", "alice", "dave", "bob"], [1000, 2000, 3000, 4000])
    for who in ("alice", "bob", "dave"):
        accept(comp, who, merged)
    receipt = accept(comp, "erin", merged)
    (formed,) = events(comp.contract, "TeamFormed", receipt)
    # In the order of the members: erin's team first, then alice's.
    assert dict(formed["args"]) == {"team": merged, "merged": [second, first], "entries": 3}
    assert {entrant(comp, w) for w in ("alice", "bob", "dave", "erin")} == {merged}
    assert comp.call("entrantOf", first) == comp.call("entrantOf", second) == merged
    assert list(comp.call("submissionsOf", merged)) == [3, 0]
    # This period's entries merge too: dave's one leaves one more in period 1.
    assert comp.call("entriesThisPeriod", merged) == 1
    e = comp.commit("bob", mock_model(13), entrant=merged)
    fn = comp.fn.commit(commitment(comp.address, merged, mock_model(14), b"\x02" * 32))
    error = refused(comp, CompetitionPeriodCapReached, fn, sender="alice")
    assert (error.submitter, error.cap, error.nextEntryAt) == (merged, 2, created + 400)
    # Every member reveals any of the merged commits (each bound to the entrant that made it).
    comp.to_reveal()
    comp.reveal("erin", a)
    comp.reveal("dave", b)
    comp.reveal("alice", d)
    comp.reveal("erin", e)
    assert comp.call("revealedCount") == 4


def test_merger_overThePeriodCap_isRefused_andChangesNothing(world: World) -> None:
    comp = team_competition(world, entriesPerPeriod=2, periodLength=200)
    first = form(comp, ["alice", "bob"])
    comp.commit("alice", mock_model(1), entrant=first)
    comp.commit("bob", mock_model(2), entrant=first)
    comp.commit("dave", mock_model(3))  # period 0: 3 merged commits, 2 allowed
    merged = propose(comp, ["alice", "bob", "dave"])
    accept(comp, "alice", merged)
    accept(comp, "bob", merged)
    error = refused(comp, CompetitionMergeOverCap, comp.fn.acceptTeam(merged), sender="dave")
    assert (error.entries, error.allowed) == (3, 2)
    assert team_of(comp, merged)[2:] == (2, False)
    assert entrant(comp, "dave") == comp.chain.address("dave")
    assert entrant(comp, "alice") == first
    # A period later the same merger fits (3 <= 2 x 2).
    comp.chain.clock.advance_to(comp.call("createdAt") + 200)
    accept(comp, "dave", merged)
    assert entrant(comp, "dave") == merged


def test_merger_overTheCapPerEntrant_isRefused(world: World) -> None:
    comp = team_competition(world, maxSubmissionsPerAddress=3)
    for who in ("alice", "alice", "bob", "bob"):
        comp.commit(who, mock_model(len(comp.models) + 1))
    team = propose(comp, ["alice", "bob"])
    accept(comp, "alice", team)
    error = refused(comp, CompetitionMergeOverCap, comp.fn.acceptTeam(team), sender="bob")
    assert (error.entries, error.allowed) == (4, 3)


def test_merger_thatWouldSplitATeam_isRefused(world: World) -> None:
    """Also the attack of a member of two proposals: alice accepted grace's proposal, then
    formed a team with bob; grace's last acceptance would take alice from bob's team."""
    comp = team_competition(world)
    grace_team = propose(comp, ["grace", "alice"], [9000, 1000])
    accept(comp, "alice", grace_team)
    team = form(comp, ["alice", "bob"])
    error = refused(comp, CompetitionTeamSplit, comp.fn.acceptTeam(grace_team), sender="grace")
    assert (error.member, error.entrant) == (comp.chain.address("alice"), team)
    # The same from the side of a new proposal of part of the team.
    part = propose(comp, ["dave", "bob"])
    accept(comp, "bob", part)
    error = refused(comp, CompetitionTeamSplit, comp.fn.acceptTeam(part), sender="dave")
    assert (error.member, error.entrant) == (comp.chain.address("bob"), team)
    assert entrant(comp, "alice") == entrant(comp, "bob") == team
    assert entrant(comp, "grace") == comp.chain.address("grace")


def test_teamThatCommitted_isFrozen_butMayStillMergeWithAnotherEntrant(world: World) -> None:
    comp = team_competition(world)
    team = form(comp, ["alice", "bob"], [5000, 5000])
    # Without commits it may re-form (e.g. new shares): the old team merges into the new.
    reformed = propose(comp, ["alice", "bob"], [9000, 1000])
    accept(comp, "alice", reformed)
    receipt = accept(comp, "bob", reformed)
    (formed,) = events(comp.contract, "TeamFormed", receipt)
    assert list(formed["args"]["merged"]) == [team]
    assert entrant(comp, "alice") == reformed
    comp.commit("bob", mock_model(3), entrant=reformed)
    # Now its members and shares stay: the same members again are refused ...
    again = propose(comp, ["bob", "alice"], [1000, 9000])
    accept(comp, "alice", again)
    error = refused(comp, CompetitionTeamFrozen, comp.fn.acceptTeam(again), sender="bob")
    assert error.entrant == reformed
    assert team_of(comp, reformed)[:2] == (addresses(comp, ["alice", "bob"]), [9000, 1000])
    # ... but with another entrant the merger goes ahead, by everyone's acceptance.
    larger = form(comp, ["alice", "bob", "dave"])
    assert {entrant(comp, w) for w in ("alice", "bob", "dave")} == {larger}
    assert list(comp.call("submissionsOf", larger)) == [1, 0]


def test_soloTeamWithCommits_isFrozenToo(world: World) -> None:
    comp = team_competition(world)
    comp.commit("alice", mock_model(3))
    solo = form(comp, ["alice"])  # one member, its account's commit merged
    assert list(comp.call("submissionsOf", solo)) == [1, 0]
    again = propose(comp, ["alice"])
    error = refused(comp, CompetitionTeamFrozen, comp.fn.acceptTeam(again), sender="alice")
    assert error.entrant == solo


# --- finals after a merger -------------------------------------------------------------------


def test_defaultFinals_afterAMerger_areTheTeamsLastCommits(world: World) -> None:
    """Each entrant numbers its commits 1, 2, ...; a merged team numbers them entrant by
    entrant (in the order of its members), so its default finals are still its last
    ``finals`` commits (a team of two one-commit entrants used to have none)."""
    comp = team_competition(world, finals=2)
    a1 = comp.commit("alice", mock_model(10))
    b1 = comp.commit("bob", mock_model(20))
    a2 = comp.commit("alice", mock_model(30))
    d1 = comp.commit("dave", mock_model(40))
    assert all(comp.call("isFinal", i) for i in (a1, b1, a2, d1))
    team = form(comp, ["bob", "alice"])  # numbered: b1 = 1, then a1 = 2, a2 = 3
    assert [comp.call("isFinal", i) for i in (a1, b1, a2)] == [True, False, True]
    c = comp.commit("alice", mock_model(50), entrant=team)  # 4
    assert [comp.call("isFinal", i) for i in (a1, b1, a2, c)] == [False, False, True, True]
    # Merging again goes on numbering after the team's own commits: team (4), then dave (5).
    larger = form(comp, ["alice", "bob", "dave"])
    finals = [i for i in (a1, b1, a2, c, d1) if comp.call("isFinal", i)]
    assert finals == [c, d1]
    assert list(comp.call("submissionsOf", larger)) == [5, 0]


def test_defaultFinals_ofTwoOneCommitEntrants_keepOneFinal(world: World) -> None:
    comp = team_competition(world, finals=1)
    a = comp.commit("alice", mock_model(90))
    b = comp.commit("bob", mock_model(80))
    form(comp, ["alice", "bob"])
    assert [comp.call("isFinal", a), comp.call("isFinal", b)] == [False, True]
    to_evaluation(comp, ("alice", a), ("bob", b))
    assert comp.call("revealedFinalCount") == 1
    score_all(comp, [b])
    assert comp.call("ranking") == [b]


def test_selectFinals_afterAMerger_choosesAmongAllTheTeamsCommits(world: World) -> None:
    comp = team_competition(world, finals=1)
    a = comp.commit("alice", mock_model(90))
    comp.send("selectFinals", [a], sender="alice")
    b = comp.commit("bob", mock_model(80))
    d = comp.commit("dave", mock_model(70))
    team = form(comp, ["alice", "bob"])
    # alice's earlier choice was her own: the team starts from the default (b, numbered last).
    assert [comp.call("isFinal", i) for i in (a, b)] == [False, True]
    fn = comp.fn.selectFinals([d])
    error = refused(comp, CompetitionNotSubmitter, fn, sender="bob")
    assert (error.id, error.caller) == (d, comp.chain.address("bob"))
    receipt = comp.send("selectFinals", [a], sender="bob")  # any member chooses for the team
    (chosen,) = events(comp.contract, "FinalsSelected", receipt)
    assert dict(chosen["args"]) == {"participant": team, "ids": [a]}
    assert [comp.call("isFinal", i) for i in (a, b, d)] == [True, False, True]
    to_evaluation(comp, ("alice", a), ("bob", b), ("dave", d))
    score_all(comp, [a, d])
    assert comp.call("ranking") == [a, d]


# --- attacks -----------------------------------------------------------------------------------


def test_proposalWithoutConsent_changesNothingForTheVictim(world: World) -> None:
    """grace proposes a team with alice on 90 % for herself and accepts; until alice accepts
    too, alice commits, reveals, ranks and claims alone, and grace cannot act for her."""
    comp = team_competition(world, finals=1)
    team = propose(comp, ["grace", "alice"], [9000, 1000])
    accept(comp, "grace", team)
    a = comp.commit("alice", mock_model(90))
    assert comp.call("submission", a)[0] == comp.chain.address("alice")
    fn = comp.fn.selectFinals([a])
    refused(comp, CompetitionNotSubmitter, fn, sender="grace")
    comp.to_reveal()
    fn = comp.fn.reveal(a, comp.models[a], comp.salts[a], "")
    refused(comp, CompetitionCommitmentMismatch, fn, sender="grace")
    comp.reveal("alice", a)
    comp.to_test_reveal()
    comp.reveal_test_set()
    score_all(comp, [a])
    reward = comp.params["reward"]
    assert comp.call("claimable", comp.chain.address("alice")) == reward * 6000 // BPS
    refused(comp, CompetitionNothingToClaim, comp.fn.claim(), sender="grace")
    assert team_of(comp, team)[2:] == (1, False)


def test_stealingAReveal_withTheRevealedModelAndSalt_fails(world: World) -> None:
    """grace sees alice's reveal (model and salt) and copied alice's commitment bytes while
    commits were open: neither her copy nor alice's submission opens for her."""
    comp = team_competition(world, entryStake=STAKE)
    a = comp.commit("alice", mock_model(90))
    copied = commitment(comp.address, comp.chain.address("alice"), comp.models[a], comp.salts[a])
    comp.approve_stake("grace")
    receipt = comp.send("commit", copied, sender="grace")
    (event,) = events(comp.contract, "SubmissionCommitted", receipt)
    g = event["args"]["id"]
    comp.to_reveal()
    for sub_id in (a, g):  # front-running alice's reveal
        fn = comp.fn.reveal(sub_id, comp.models[a], comp.salts[a], "")
        refused(comp, CompetitionCommitmentMismatch, fn, sender="grace")
    comp.reveal("alice", a)
    fn = comp.fn.reveal(g, comp.models[a], comp.salts[a], "")
    refused(comp, CompetitionCommitmentMismatch, fn, sender="grace")
    assert comp.call("prizePool") == comp.params["reward"] + STAKE  # grace's stake stays
    assert comp.call("submission", g)[2] is False


def test_teamFormedLate_cannotTakeAMembersEarlierPrizeAlone(world: World) -> None:
    """Members' commits before forming are the team's: the prize of alice's early commit is
    split by the team's shares, each member claiming its part once."""
    comp = team_competition(world)
    a = comp.commit("alice", mock_model(90))
    team = form(comp, ["alice", "bob"], [2500, 7500])
    to_evaluation(comp, ("alice", a))
    score_all(comp, [a])
    first = comp.params["reward"] * 6000 // BPS
    assert comp.call("claimable", comp.chain.address("alice")) == first * 2500 // BPS
    assert comp.call("claimable", comp.chain.address("bob")) == first * 7500 // BPS
    start = balances(comp)
    comp.send("claim", sender="bob")
    error = refused(comp, CompetitionAlreadyClaimed, comp.fn.claim(), sender="bob")
    assert error.account == comp.chain.address("bob")
    comp.send("claim", sender="alice")
    end = balances(comp)
    assert end["bob"] - start["bob"] == first * 7500 // BPS
    assert end["alice"] - start["alice"] == first - first * 7500 // BPS
    assert end[SINK] == start[SINK]  # a ranked outcome sends nothing to the sink
    assert comp.call("winner")[1] == comp.chain.address("alice")
    assert entrant(comp, "alice") == team
