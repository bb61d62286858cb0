"""Teams and mergers through the Market API: forming teams, committing and revealing as a
team, one place per team, prizes split by shares, Kaggle's merger rule and the refusals
(docs/competition-protocol.md, "Teams")."""

from __future__ import annotations

import string
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlmarket as mm
from mlmarket.contracts import load_artifact
from mlmarket.contracts.errors import (
    CompetitionCannotAccept,
    CompetitionInvalidTeam,
    CompetitionMergeOverCap,
    CompetitionMergerClosed,
    CompetitionNotSubmitter,
    CompetitionPeriodCapReached,
    CompetitionTeamAlreadyFormed,
    CompetitionTeamFrozen,
    CompetitionTeamsNotAllowed,
    CompetitionTeamSplit,
    CompetitionUnknownTeam,
)
from mlmarket.errors import ConfigurationError
from mlmarket.market.teams import team_bps
from mlmarket.units import to_units

DAY = 86_400
PERIODS = {"submission": 2 * DAY, "reveal": DAY, "test_reveal": DAY, "evaluation": 2 * DAY}
# 7 units over 100 tokens: every place and every member's part leaves rounding dust.
REWARD = Decimal("100.000000000000000007")
TEAM_ERRORS = (
    "CompetitionTeamsNotAllowed", "CompetitionInvalidTeam", "CompetitionMergerClosed",
    "CompetitionUnknownTeam", "CompetitionCannotAccept", "CompetitionTeamAlreadyFormed",
    "CompetitionTeamSplit", "CompetitionTeamFrozen", "CompetitionMergeOverCap",
)  # fmt: skip


def model(c: float = 1.0) -> Any:
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))


def create(market: mm.Market, data: pd.DataFrame, **rules: Any) -> mm.Competition:
    rules.setdefault("reward", 100)
    return market.competitions.create(
        data=data, target="diagnosis", creator="alice", periods=PERIODS, **rules
    )


def address(market: mm.Market, name: str) -> str:
    return market.accounts[name].address


def raw(market: mm.Market, name: str) -> int:
    return market.token.raw_balance_of(name)


def member_parts(prize: int, bps: list[int]) -> list[int]:
    """The contract's split: each share rounded down, the rest to the first member."""
    parts = [prize * b // 10_000 for b in bps]
    parts[0] += prize - sum(parts)
    return parts


@pytest.fixture
def comp(fresh: mm.Market, cancer: pd.DataFrame) -> mm.Competition:
    return create(fresh, cancer)


def test_teamBps_equalSharesGiveTheRemainderToTheFirstMember() -> None:
    assert team_bps(None, 3) == [3334, 3333, 3333]
    assert team_bps(None, 1) == [10_000]
    assert team_bps([0.6, 0.4], 2) == [6000, 4000]
    assert team_bps(["0.125", "0.875"], 2) == [1250, 8750]
    with pytest.raises(ConfigurationError, match="at most 4 decimals"):
        team_bps([1 / 3, 2 / 3], 2)


def test_threeEntrants_teamsCommitRevealAndSplitTheirPrizesExactlyByShares(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer, reward=REWARD, payout=[0.5, 0.3, 0.2], entry_stake=5)
    red = comp.team("Red", members=["bob", "carol"], shares=[0.6, 0.4])
    blue = comp.team("Blue", ["dave", "erin"])  # equal shares
    assert red.formed and red.members == ("bob", "carol") and red.name == "Red"
    assert red.shares == (Decimal("0.6"), Decimal("0.4")) and blue.bps == (5000, 5000)
    assert "bob 60.00%" in str(red) and "formed" in str(red)
    assert comp.entrant("carol") == red.address and comp.entrant("dave") == blue.address
    assert comp.entrant("frank") == address(fresh, "frank")
    assert comp.team_name(red.address) == "Red"
    assert comp.team_name(address(fresh, "frank")) == "frank"
    assert comp.team_of("erin") == blue and comp.team_of("Blue") == blue
    assert comp.team_of("frank") is None

    X, y = comp.training_xy()
    by_bob = comp.submit(model(1.0).fit(X, y), by="bob")
    by_carol = comp.submit(model(0.01).fit(X, y), by="carol")
    by_erin = comp.submit(model(0.1).fit(X, y), by="erin")
    by_frank = comp.submit(model(0.5).fit(X, y), by="frank")
    assert by_bob.submitter == by_carol.submitter == red.address
    assert by_bob.committer == address(fresh, "bob") and by_frank.submitter == by_frank.committer
    teams = comp.teams().set_index("name")
    assert teams.loc["Red", "commits"] == 2 and teams.loc["Blue", "commits"] == 1
    assert teams.loc["Red", "members"] == ["bob", "carol"]
    assert teams.loc["Red", "shares"] == [0.6, 0.4] and teams.loc["Red", "accepted"] == "2/2"

    fresh.clock.advance_to(comp.deadline("submission"))
    bob, carol = raw(fresh, "bob"), raw(fresh, "carol")
    assert comp.reveal(by_bob, by="carol") == [by_bob.id]  # carol did not commit it
    stake = to_units(5)
    assert raw(fresh, "bob") == bob + stake and raw(fresh, "carol") == carol  # to who paid it
    block = fresh.chain.block_number
    with pytest.raises(ConfigurationError, match="is Blue's: only it"):
        comp.reveal(by_erin, by="frank")
    assert fresh.chain.block_number == block
    assert comp.reveal(by="dave") == [by_erin.id]  # only dave's team's pending submissions
    assert comp.reveal() == [by_carol.id, by_frank.id]
    fresh.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()
    comp.evaluate(by="grace")
    assert comp.finalize() == "ranked"

    prizes = comp.contract.events.PrizeAwarded.get_logs(from_block=0)
    won = {str(log["args"]["submitter"]): int(log["args"]["amount"]) for log in prizes}
    assert len(prizes) == 3 and set(won) == {red.address, blue.address, by_frank.submitter}
    pool = to_units(REWARD)
    assert sorted(won.values()) == sorted(pool * b // 10_000 for b in (5000, 3000, 2000))
    board = comp.leaderboard()
    assert sorted(board["submitter"]) == ["Blue", "Red", "Red", "frank"]
    assert board.groupby("submitter")["prize_exact"].sum()["Red"] == mm.from_units(won[red.address])

    bob_part, carol_part = member_parts(won[red.address], [6000, 4000])
    dave_part, erin_part = member_parts(won[blue.address], [5000, 5000])
    expected = {"bob": bob_part, "carol": carol_part, "dave": dave_part, "erin": erin_part}
    expected["frank"] = won[by_frank.submitter]
    assert expected["bob"] == won[red.address] * 6000 // 10_000 + 1  # the dust goes to bob
    for name, amount in expected.items():
        before = raw(fresh, name)
        assert to_units(comp.claim(by=name)) == amount
        assert raw(fresh, name) - before == amount
    assert expected["bob"] + expected["carol"] == won[red.address]  # conserved
    assert expected["dave"] + expected["erin"] == won[blue.address]
    comp.claim(by="alice")  # unreached places, dust and bond
    assert fresh.token.raw_balance_of(comp.address) == 0


def test_finalsAndCaps_arePerTeam_andAnyMemberChoosesTheTeamsFinals(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer, finals=1, entries_per_period=2, period=DAY)
    red = comp.team("Red", ["bob", "carol"])
    X, y = comp.training_xy()
    first = comp.submit(model(1.0).fit(X, y), by="bob")
    assert comp.entries_left("carol") == 1 and comp.entries_left("dave") == 2
    second = comp.submit(model(0.1).fit(X, y), by="carol")
    assert comp.entries_left("bob") == 0
    with pytest.raises(CompetitionPeriodCapReached, match="Red") as caught:
        comp.submit(model(0.2).fit(X, y), by="bob")
    assert caught.value.submitter == red.address
    theirs = comp.submit(model(0.5).fit(X, y), by="dave")
    assert [comp.is_final(s) for s in (first, second)] == [False, True]
    assert comp.select_finals([first], by="carol") == [first.id]  # bob's commit, carol's choice
    assert [comp.is_final(s) for s in (first, second)] == [True, False]
    with pytest.raises(CompetitionNotSubmitter):
        comp.select_finals([theirs], by="bob")


def test_mergers_withinTheCapAtOnce_overItRefusedUntilItFits(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer, entries_per_period=2, period=DAY)
    red = comp.team("Red", ["bob", "carol"], shares=[0.6, 0.4])
    X, y = comp.training_xy()
    comp.submit(model(1.0).fit(X, y), by="bob")
    comp.submit(model(0.1).fit(X, y), by="carol")
    comp.submit(model(0.5).fit(X, y), by="dave")
    comp.submit(model(0.2).fit(X, y), by="frank")
    duo = comp.merge_teams("Duo", ["erin", "frank"])  # 1 commit: fits period 0's cap of 2
    assert duo.formed and duo.members == ("erin", "frank") and duo.bps == (5000, 5000)
    assert comp.entries_left("erin") == 1  # frank's entry of this period came along

    block = fresh.chain.block_number
    with pytest.raises(CompetitionMergeOverCap, match="It fits from") as caught:
        comp.merge_teams("Purple", [red, "dave"])
    assert isinstance(caught.value, ConfigurationError)
    assert (caught.value.entries, caught.value.allowed) == (3, 2)
    assert "Red and dave made 3 submissions together" in str(caught.value)
    with pytest.raises(CompetitionMergeOverCap):  # the last acceptance is checked too
        proposed = comp.propose_team("Purple", ["bob", "carol", "dave"], by="dave")
        for who in ("bob", "carol"):
            comp.accept_team(proposed, by=who)
        comp.accept_team("Purple", by="dave")
    with pytest.raises(CompetitionMergeOverCap, match="the rules allow 2 by now") as sent:
        fresh.chain.transact(comp.contract.functions.acceptTeam(proposed.address), sender="dave")
    assert not isinstance(sent.value, ConfigurationError)  # the contract's own refusal
    assert comp.team_of(proposed.address).accepted == 2
    assert fresh.chain.block_number == block + 3  # the proposal and two acceptances only

    fresh.clock.advance_to(comp.next_period_at())  # period 1: 2 x 2 entries allowed
    purple = comp.merge_teams("Purple", ["Red", "dave"], shares=[0.5, 0.25, 0.25])
    assert purple.members == ("bob", "carol", "dave") and purple.formed
    assert comp.entrant("carol") == comp.entrant("dave") == purple.address
    assert comp.entries_left("bob") == 2  # a new period
    teams = comp.teams().set_index("team")
    assert teams.loc[red.address, "merged_into"] == "Purple"
    assert teams.loc[purple.address, "commits"] == 3
    assert teams.loc[proposed.address, "accepted"] == "2/3"  # never formed
    last = comp.submit(model(0.3).fit(X, y), by="dave")
    board = comp.leaderboard()
    assert sorted(board["submitter"]) == ["Duo", "Purple", "Purple", "Purple", "Purple"]

    # Reveals follow the mergers: Red's commits (made as Red) are now Purple's to reveal.
    fresh.clock.advance_to(comp.deadline("submission"))
    assert comp.reveal(by="dave") == [1, 2, 3, last.id]
    assert comp.reveal(by="erin") == [4]  # frank's, made alone, now Duo's


def test_merger_overTheCapPerEntrant_neverFits(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    comp = create(fresh, cancer, max_submissions_per_address=2)
    comp.team("Red", ["bob", "carol"])
    X, y = comp.training_xy()
    comp.submit(model(1.0).fit(X, y), by="bob")
    comp.submit(model(0.1).fit(X, y), by="carol")
    comp.submit(model(0.5).fit(X, y), by="dave")
    with pytest.raises(CompetitionMergeOverCap, match="cannot happen"):
        comp.merge_teams("Purple", ["Red", "dave"])
    with pytest.raises(ConfigurationError, match="at least two entrants"):
        comp.merge_teams("Red again", ["bob", "carol"])  # one team: nothing to merge


def test_teamsThatCommitted_areFrozen_andJoinOnlyWhole(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer)
    first = comp.team("Red", ["bob", "carol"])
    again = comp.team("Red 2", ["carol", "bob"], shares=[0.7, 0.3])  # no commit yet: re-forms
    assert comp.entrant("bob") == again.address != first.address
    X, y = comp.training_xy()
    comp.submit(model().fit(X, y), by="bob")
    block = fresh.chain.block_number
    with pytest.raises(CompetitionTeamFrozen, match="members and shares are fixed"):
        comp.team("Red 3", ["bob", "carol"])
    with pytest.raises(CompetitionTeamSplit, match="would lose carol"):
        comp.team("Pair", ["bob", "erin"])
    assert fresh.chain.block_number == block


def test_mergerDeadline_byDefaultTheSubmissionDeadline(comp: mm.Competition) -> None:
    market = comp.market
    market.clock.advance_to(comp.deadline("submission"))
    with pytest.raises(CompetitionMergerClosed, match="formed and merged until") as caught:
        comp.team("Late", ["bob", "carol"])
    assert isinstance(caught.value, ConfigurationError)
    assert caught.value.deadline == comp.deadline("submission")


def test_mergerDeadline_closesTeamsButNotSubmissions(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer, merger_deadline=pd.Timedelta(days=1))
    deadline = comp.params.merger_deadline
    assert deadline and deadline < comp.deadline("submission")
    comp.team("Early", ["bob", "carol"])
    fresh.clock.advance_to(deadline)
    block = fresh.chain.block_number
    with pytest.raises(CompetitionMergerClosed):
        comp.team("Late", ["dave", "erin"])
    with pytest.raises(CompetitionMergerClosed):
        comp.propose_team("Late", ["dave", "erin"], by="dave")
    assert fresh.chain.block_number == block
    with pytest.raises(CompetitionMergerClosed, match="after it every entrant competes as it is"):
        fn = comp.contract.functions.proposeTeam("Late", [address(fresh, "dave")], [10_000])
        fresh.chain.transact(fn, sender="dave")
    X, y = comp.training_xy()
    assert comp.submit(model().fit(X, y), by="carol").submitter == comp.entrant("bob")


@pytest.mark.parametrize(
    ("members", "shares", "says"),
    [
        (["bob", "carol"], [0.5, 0.4], "must sum to 1, not 0.9"),
        (["bob", "carol"], [1.0], "one share per member"),
        (["bob", "carol"], [0.33333, 0.66667], "at most 4 decimals"),
        (["bob", "carol"], [1.0, 0.0], "positive fraction"),
        (["bob", "bob"], None, "bob listed more than once"),
        (["bob", "alice"], None, "alice created"),
        (["deployer", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan"], None,
         "1 to 8 members; 9 were given"),
        ([], None, "at least one member"),
    ],
)  # fmt: skip
def test_team_refusesBadTeams_beforeAnythingIsSent(
    comp: mm.Competition, members: list[str], shares: list[float] | None, says: str
) -> None:
    block = comp.chain.block_number
    with pytest.raises(CompetitionInvalidTeam, match=says) as caught:
        comp.team("Bad", members, shares=shares)
    assert isinstance(caught.value, ConfigurationError)
    assert "A team needs 1 to 8 distinct members" in str(caught.value)  # the contract's sentence
    assert comp.chain.block_number == block


def test_team_refusesWhatIsNotAnAccountOrAName(comp: mm.Competition) -> None:
    with pytest.raises(ConfigurationError, match="mallory"):
        comp.team("Red", ["bob", "mallory"])
    with pytest.raises(ConfigurationError, match="a non-empty string"):
        comp.team("", ["bob", "carol"])
    stranger = "0x" + "ab" * 20
    with pytest.raises(ConfigurationError, match="not a signing account of this session"):
        comp.team("Red", ["bob", stranger])


def test_teams_needOnePlacePerEntrant(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    comp = create(fresh, cancer, multiple_places=True, payout=[0.5, 0.5])
    with pytest.raises(CompetitionTeamsNotAllowed, match="multiple_places"):
        comp.team("Red", ["bob", "carol"])


def test_proposeAndAccept_asMembersOnARealNetworkWould(comp: mm.Competition) -> None:
    stranger = "0x" + "ab" * 20  # a member this session holds no key for
    far = comp.propose_team("Far", ["bob", stranger], by="bob")
    assert not far.formed and far.members[1] == far.addresses[1]
    proposed = comp.propose_team("Red", ["bob", "carol"], shares=[0.6, 0.4], by="carol")
    assert (proposed.formed, proposed.accepted, proposed.name) == (False, 0, "Red")
    block = comp.chain.block_number
    with pytest.raises(CompetitionInvalidTeam, match="dave proposes the team"):
        comp.propose_team("Blue", ["bob", "carol"], by="dave")
    with pytest.raises(CompetitionCannotAccept, match="dave is not a member of 'Red'"):
        comp.accept_team(proposed, by="dave")
    with pytest.raises(CompetitionUnknownTeam, match="comp.teams"):
        comp.accept_team("0x" + "11" * 20, by="bob")
    assert comp.chain.block_number == block
    assert comp.accept_team(proposed.address, by="bob").accepted == 1
    with pytest.raises(CompetitionCannotAccept, match="bob has already accepted 'Red'"):
        comp.accept_team("Red", by="bob")
    formed = comp.accept_team("Red", by="carol")
    assert formed.formed and comp.entrant("bob") == formed.address
    with pytest.raises(CompetitionTeamAlreadyFormed):
        comp.accept_team(formed, by="carol")
    with pytest.raises(CompetitionCannotAccept, match="only its members accept it"):
        fn = comp.contract.functions.acceptTeam(far.address)
        comp.chain.transact(fn, sender="carol")  # the contract's refusal, with its sentence


def test_everyTeamError_hasASentenceUsingItsArguments() -> None:
    from mlmarket.contracts.messages import MESSAGES

    errors = {e["name"]: e for e in load_artifact("ICompetition").abi if e["type"] == "error"}
    for name in TEAM_ERRORS:
        template = MESSAGES[name]
        fields = {field for _, field, _, _ in string.Formatter().parse(template) if field}
        assert fields <= {i["name"] for i in errors[name]["inputs"]}, name
