"""The public leaderboard, teams and performance stakes in the dashboard: the public board
beside the private one (live during submissions, no model revealed), rank changes and the
shake-up after finalization, team names, the teams table and *Form team*, the stakes table
and *Withdraw stakes*, the form's new options, the reveal-test button's public window, and
the new events in the log (docs/dashboard.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlmarket.market import Market
from mlmarket.market.competition import Competition
from mlmarket.market.phases import moment
from mlmarket.ml.metrics import threshold_score
from mlmarket.ui import (
    ChainPanel,
    CompetitionsPanel,
    EventLogPanel,
    LeaderboardPanel,
    TrainPanel,
)
from mlmarket.ui.reading import shakeup
from tests.ui.conftest import open_competition, sent

STAKES = {"entry_stake": 5, "slash": 0.4, "stake_threshold": 0.95}
C = {"bob": 1.0, "dave": 0.001, "erin": 0.3, "carol": 0.01}
"""Who submits, in order, and the strength of each one's logistic regression: on the
breast cancer data with 40 % of the test rows public, erin's model rises a place on the
private board and bob's (team Red's) falls one."""


def open_board(market: Market, **options: object) -> Competition:
    """A breast cancer competition with a public board (40 % of the hidden test rows)."""
    settings: dict[str, object] = {"public_size": 0.4, **STAKES}
    settings.update(options)
    return open_competition(market, "breast_cancer", **settings)


def model(comp: Competition, strength: float) -> object:
    X, y = comp.training_xy()
    return make_pipeline(StandardScaler(), LogisticRegression(C=strength, max_iter=5000)).fit(X, y)


def submit(comp: Competition, players: dict[str, float]) -> None:
    for who, strength in players.items():
        comp.submit(model(comp, strength), by=who)


def to_finalized(market: Market, comp: Competition) -> None:
    """Reveal, wait out the public window, reveal the test set, evaluate (phase finalized)."""
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    market.clock.advance_to(comp.public_checks_end)
    comp.reveal_test_set()
    comp.evaluate()


def rows(html: str) -> list[str]:
    """An HTML table's body rows (the header row is a bare ``<tr>``)."""
    return html.split("<tr ")[1:]


def cells(row: str) -> list[str]:
    """The text of each cell of a table row."""
    return [cell.split(">", 1)[1].split("</td>")[0] for cell in row.split("<td ")[1:]]


def test_publicBoard_isLiveDuringSubmissions_withNoModelRevealed(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    comp = open_board(market)
    comp.team("Red", ["bob", "carol"])
    board = LeaderboardPanel(market)
    assert board.public_view.layout.display is None  # shown, empty for now
    assert "no public claim yet" in board.public_table.value
    assert '<span class="mlm-public-rows">69</span> public rows' in board.public_heading.value

    def no_models(*_args: object, **_kwargs: object) -> object:
        raise AssertionError("the dashboard read model bytes")

    monkeypatch.setattr(Competition, "revealed_models", no_models)
    monkeypatch.setattr("mlmarket.market.public.model_of", no_models)
    comp.submit(model(comp, C["bob"]), by="bob")  # commit + public claim: the state follows
    assert len(rows(board.public_table.value)) == 1
    submit(comp, {"dave": C["dave"], "erin": C["erin"]})

    public = comp.leaderboard("public")
    pd.testing.assert_frame_equal(board.state.public_board(), public)
    shown = [cells(r) for r in rows(board.public_table.value)]
    assert [r[:3] for r in shown] == [[str(p.rank), str(p.id), p.entrant]
                                      for p in public.itertuples()]  # fmt: skip
    assert shown[0][2] == "Red" and {r[5] for r in shown} == {"open"}
    assert ">claimed score<" in board.public_table.value
    assert '<span class="mlm-public-metric">accuracy, higher is better</span>' in (
        board.public_heading.value
    )
    assert market.events()["event"].eq("SubmissionRevealed").sum() == 0  # nothing revealed
    private = rows(board.table.value)
    assert len(private) == 3 and all(cells(r)[:2] == ["–", "–"] for r in private)
    assert ">shake-up<" in board.table.value and board.shakeup_chart.layout.display == "none"
    changes: list[object] = []
    board.state.observe(changes.append, names=["competitions", "leaderboards", "public_boards",
                                               "teams", "stakes"])  # fmt: skip
    board.state.refresh()  # nothing changed: no table notifies, nothing is redrawn
    assert changes == []


def test_privateBoard_afterFinalization_ranksChangesAndTheShakeup(market: Market) -> None:
    comp = open_board(market)
    comp.team("Red", ["bob", "carol"], shares=[0.6, 0.4])
    comp.team("Blue", ["dave", "erin"])
    submit(comp, C)
    board = LeaderboardPanel(market)
    to_finalized(market, comp)

    private = comp.leaderboard("private")
    pd.testing.assert_frame_equal(board.board(), private)  # read once, joined as the API does
    pd.testing.assert_frame_equal(shakeup(board.state.public_board(), private), comp.shakeup())
    changes = dict(zip(private["id"], private["rank_change"], strict=True))
    assert any(changes.values())  # the hidden rows reorder them
    for row in rows(board.table.value):
        rank, change, sub_id, submitter = cells(row)[:4]
        moved = int(changes[int(sub_id)])
        said = f"▲ {moved}" if moved > 0 else f"▼ {-moved}" if moved < 0 else "="
        assert change == said
        if moved:
            assert f'class="mlm-num mlm-{"rise" if moved > 0 else "fall"}">{said}<' in row
        assert submitter in ("Red", "Blue")  # team names, not the members
    assert board.table.value.count('class="mlm-winner"') == 1
    assert board.shakeup_chart.layout.display is None
    assert bytes(board.shakeup_chart.value[:4]) == b"\x89PNG"
    assert board.chart.layout.display is None  # the scores beside it, by team name
    assert set(board.charted["submitter"]) == {"Red", "Blue"}
    assert "<b>Private board</b>" in board.private_heading.value


def test_aFalsePublicClaim_voidedByWatchNow_isDisqualified_andGreyedOnBothBoards(
    market: Market,
) -> None:
    comp = open_board(market)
    submit(comp, {"bob": 1.0, "dave": 0.3})
    liar = comp.submit(model(comp, 0.1), by="erin", public_claim=False)
    results = comp.public_results(liar)
    results[0] = [results[0][0] + 5]
    comp.post_public_claim(liar, by="erin", results=results)
    panel, board = CompetitionsPanel(market), LeaderboardPanel(market)
    panel.watcher.value = "frank"
    assert panel.watch_button.disabled  # nothing can be checked before the reveals
    assert panel.watch_button.tooltip.startswith(
        "Public claims are checked once their models are revealed. Reveals open at"
    )
    market.clock.advance_to(comp.deadline("submission"))
    for sub_id in (1, liar.id):  # dave never reveals: his claim is forfeited at settlement
        comp.reveal(sub_id)
    panel.state.sync()
    assert not panel.watch_button.disabled

    panel.watch_button.click()

    assert f"frank challenged claim #{liar.id} on chunk 0: voided" in panel.feedback.value
    status = board.board().set_index("id")["status"]
    assert status[liar.id] == "disqualified"
    liar_row = next(r for r in rows(board.table.value) if cells(r)[2] == str(liar.id))
    assert liar_row.startswith('class="mlm-ineligible"') and ">disqualified<" in liar_row
    public_row = next(r for r in rows(board.public_table.value) if cells(r)[1] == str(liar.id))
    assert public_row.startswith('class="mlm-ineligible"')
    assert ">voided · disqualified<" in public_row and cells(public_row)[0] == "–"

    market.clock.advance_to(comp.public_checks_end)
    comp.reveal_test_set()
    comp.evaluate()
    panel.state.sync()
    panel.finalize_button.click()  # settles the public claims: dave's bond to the sink
    assert "Finalized: ranked" in panel.feedback.value
    statuses = board.state.public_board().set_index("id")["status"]
    assert statuses.to_dict() == {1: "stood", 2: "forfeited", liar.id: "voided"}
    log = EventLogPanel(market).log()
    said = " | ".join(log["events"])
    assert f"SubmissionDisqualified (#{liar.id})" in said
    assert "PublicClaimForfeited (claim #2: 1 to the sink)" in said
    assert "PublicClaimPosted (claim #1 on #1 by bob, bond 1)" in said


def test_revealTestSet_waitsForThePublicWindow_andSaysWhy(market: Market) -> None:
    comp = open_board(market)
    submit(comp, {"bob": 1.0})
    panel = CompetitionsPanel(market)
    opens = comp.public_checks_end
    assert panel.reveal_test_button.tooltip.startswith(
        f"The private test set can be revealed from {moment(opens)}, in "
    )
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    market.clock.advance_to(comp.deadline("reveal"))  # test-reveal phase, window still open
    panel.state.sync()
    assert comp.phase == "test_reveal" and panel.reveal_test_button.disabled
    said = panel.reveal_test_button.tooltip
    assert "public claims can still be challenged on the revealed models" in said
    before = sent(market)

    panel.reveal_test_button.click()  # a script clicks it anyway: the API's sentence

    assert sent(market) == before
    assert "mlm-msg-error" in panel.feedback.value and said in panel.feedback.value
    chain = ChainPanel(market)
    chain.to_deadline.click()  # the public window first (its deadline would be a default)
    assert chain.feedback.value == (
        f'<span class="mlm-msg-ok">Advanced to {moment(opens)}: the public window is over; the '
        "private test set can be revealed.</span>"
    )
    assert comp.phase == "test_reveal" and not panel.reveal_test_button.disabled
    panel.reveal_test_button.click()
    assert "revealed the test set" in panel.feedback.value


def test_formATeam_fromThePanel_theTeamsTable_andTheFinalsOfAMember(market: Market) -> None:
    comp = open_board(market, finals=1)
    panel = CompetitionsPanel(market)
    assert "no team yet" in panel.teams_view.value and not panel.team_button.disabled
    panel.team_name.value = "Red"
    panel.team_members.value = ("carol", "bob")  # listed order: bob proposes, then carol
    panel.team_shares.value = "60, 45"
    before = sent(market)
    panel.team_button.click()
    assert "Team shares must add up to 100 % (they add up to 105)." in panel.feedback.value
    assert sent(market) == before and panel.team_shares.value == "60, 45"
    panel.team_shares.value = "60, 40"

    panel.team_button.click()

    assert "Formed team 'Red' (bob 60%, carol 40%)" in panel.feedback.value
    team = comp.team_of("carol")
    assert team is not None and team.name == "Red" and team.bps == (6000, 4000)
    row = cells(rows(panel.teams_view.value)[0])
    assert row == ["Red", "bob 60%, carol 40%", "yes", "0", "–"]
    panel.team_name.value, panel.team_members.value, panel.team_shares.value = (
        "Blue", ("alice", "dave"), "",
    )  # fmt: skip
    before = sent(market)
    panel.team_button.click()  # alice created the competition
    assert "alice created 'breast_cancer challenge' and cannot be in a team" in (
        panel.feedback.value
    )
    assert sent(market) == before

    submit(comp, {"bob": 1.0, "dave": 0.3, "carol": 0.01})
    panel.state.sync()
    assert cells(rows(panel.teams_view.value)[0])[3] == "2"  # the team's commits
    panel.finalist.value = "carol"  # a member sees its team's submissions
    assert [value for _, value in panel.finals_pick.options] == [1, 3]
    assert panel.finals_pick.value == (3,)  # the team's last commit is its final
    panel.finals_pick.value = (1,)
    panel.finals_button.click()
    assert "carol's finals are now #1" in panel.feedback.value
    assert comp.is_final(1) and not comp.is_final(3)

    market.clock.advance_to(comp.deadline("submission"))
    panel.state.sync()
    assert panel.team_button.disabled
    assert panel.team_button.tooltip.startswith(
        "Teams of 'breast_cancer challenge' formed and merged until "
    )
    assert "the merger deadline; after it every entrant competes as it is." in (
        panel.team_button.tooltip
    )


def test_teams_areClosed_withSeveralPlacesPerParticipant(market: Market) -> None:
    open_competition(market, multiple_places=True)
    panel = CompetitionsPanel(market)
    assert panel.teams_view.value == "" and panel.team_button.disabled
    assert "takes no teams" in panel.team_button.tooltip
    assert "no teams (several places per participant)" in panel.info.value


def test_stakesTable_afterFinalization_andWithdrawStakes(market: Market) -> None:
    comp = open_board(market)
    comp.team("Red", ["bob", "carol"])
    submit(comp, C)
    panel = CompetitionsPanel(market)
    assert panel.stakes_view.value == "" and panel.withdraw_button.disabled
    assert panel.withdraw_button.tooltip.startswith("Prizes can be claimed")
    to_finalized(market, comp)
    panel.state.sync()

    stakes = comp.stakes()
    shown = [cells(r) for r in rows(panel.stakes_view.value)]
    assert [r[:2] for r in shown] == [[str(i), s] for i, s in zip(stakes["id"], stakes["staker"],
                                                                   strict=True)]  # fmt: skip
    assert {r[4] for r in shown} == {"yes", "no"}  # some beat 0.95, some do not
    assert [r[5] for r in shown] == [f"{p:g}" for p in stakes["payout"]]
    assert not panel.withdraw_button.disabled
    balances = {who: market.token.balance_of(who) for who in C}
    panel.claimant.value = "frank"  # anyone may send them: each goes to its staker

    panel.withdraw_button.click()

    assert "Finalized first (4 public claim(s) settled). frank withdrew 4 stake(s)" in (
        panel.feedback.value
    )
    for sub_id, who, paid in zip(stakes["id"], stakes["staker"], stakes["payout_exact"],
                                 strict=True):  # fmt: skip
        assert f"#{sub_id}: {paid} to {who}" in panel.feedback.value
    bonds = Decimal(1)  # each public claim's bond came back at settlement
    for who in C:
        paid = sum(stakes.loc[stakes["staker"] == who, "payout_exact"], Decimal(0))
        assert market.token.balance_of(who) == balances[who] + paid + bonds
    assert {r[6] for r in (cells(r) for r in rows(panel.stakes_view.value))} == {"yes"}
    assert panel.withdraw_button.disabled
    assert panel.withdraw_button.tooltip == "Every held stake is withdrawn: nothing is due."


def test_theForm_createsACompetition_withThePublicBoardStakesAndMergerDeadline(
    market: Market,
) -> None:
    panel = CompetitionsPanel(market)
    form = panel.form
    form.public_size.value, form.public_hours.value, form.public_claim_bond.value = (
        "0.4", "6", "2",
    )  # fmt: skip
    form.entry_stake.value, form.slash.value, form.stake_threshold.value = "5", "40", "0.9"
    now = market.clock.now()
    merger = datetime.fromtimestamp(now, tz=UTC).replace(second=0) + timedelta(days=1)
    form.merger_deadline.text.value = merger.strftime("%Y-%m-%d %H:%M")
    request = form.request()
    assert (request["public_size"], request["public_window"], request["public_claim_bond"]) == (
        0.4, 21_600, Decimal(2),
    )  # fmt: skip
    assert (request["slash"], request["stake_threshold"]) == (Decimal("0.4"), Decimal("0.9"))
    assert request["merger_deadline"] == pd.Timestamp(merger)

    panel.create_button.click()

    assert "Opened competition #0" in panel.feedback.value
    comp = market.competitions.get(0)
    p = comp.params
    assert comp.public_board and p.public_samples == 69
    assert (p.public_window, p.public_claim_bond) == (21_600, 2 * 10**18)
    assert (p.entry_stake, p.slash_bps, p.merger_deadline) == (
        5 * 10**18, 4_000, int(merger.timestamp()),
    )  # fmt: skip
    assert p.stake_threshold == threshold_score("accuracy", "0.9", labels=[0] * p.samples,
                                                classes=2)  # over the private rows  # fmt: skip
    info = panel.info.value
    assert ("public board: 69 public test rows, public claim bond 2, private test set revealed "
            f"from {moment(comp.public_checks_end)}") in info  # fmt: skip
    assert f"teams form and merge until {moment(merger)}" in info
    assert "performance stakes: stake 5, 40 % slashed below 0.9 accuracy" in info


REFUSED = [
    ({"public_hours": "6"}, "A public window and a public claim bond are for a public leaderboard"),
    ({"public_claim_bond": "2"}, "are for a public leaderboard: give Public rows"),
    ({"public_size": "1.5"}, "Public rows is a share of the hidden test rows between 0 and 1"),
    ({"public_size": "-3"}, "The number of public rows cannot be negative (got -3)."),
    ({"public_size": "0.4", "public_hours": "0.5"}, "The public window must be at least 1 h"),
    ({"public_size": "0.4", "public_hours": "30"}, "shorter than the test-reveal period (1 d)"),
    ({"public_size": "0.4", "public_claim_bond": "0"}, "The public claim bond must be more"),
    ({"slash": "40", "stake_threshold": "0.9"}, "Performance stakes need an entry stake"),
    ({"slash": "40", "entry_stake": "5"}, "A slash needs a stake threshold"),
    ({"stake_threshold": "0.9"}, "A stake threshold only counts with performance stakes"),
    ({"slash": "150", "entry_stake": "5", "stake_threshold": "0.9"}, "from 0 to 100"),
    ({"slash": "12.345", "entry_stake": "5", "stake_threshold": "0.9"}, "at most two decimals"),
]


@pytest.mark.parametrize(("typed", "says"), REFUSED)
def test_theFormsNewOptions_refuseWhatCreateWouldNot_nothingSent_formKept(
    market: Market, typed: dict[str, str], says: str
) -> None:
    panel = CompetitionsPanel(market)
    for field, value in typed.items():
        getattr(panel.form, field).value = value
    before = sent(market)

    panel.create_button.click()

    assert says in panel.feedback.value and "mlm-msg-error" in panel.feedback.value
    assert sent(market) == before and len(panel.state.competitions) == 0
    assert all(getattr(panel.form, f).value == v for f, v in typed.items())


@pytest.mark.parametrize("days", [-1, 3])
def test_aMergerDeadline_outsideTheSubmissionPhase_isRefused(market: Market, days: int) -> None:
    panel = CompetitionsPanel(market)  # submissions end two days ahead by default
    at = datetime.fromtimestamp(market.clock.now(), tz=UTC) + timedelta(days=days)
    panel.form.merger_deadline.text.value = at.strftime("%Y-%m-%d %H:%M")
    before = sent(market)
    panel.create_button.click()
    assert "Teams until must fall after chain time" in panel.feedback.value
    assert sent(market) == before


def test_eventLog_saysWhatTeamsAndStakesDid(market: Market) -> None:
    comp = open_board(market)
    comp.team("Red", ["bob", "carol"], shares=[0.6, 0.4])
    submit(comp, {"bob": 1.0, "dave": 0.001})
    to_finalized(market, comp)
    comp.withdraw_stakes(by="frank")
    log = EventLogPanel(market)
    said = dict(zip(log.log()["action"], log.log()["events"], strict=False))
    everything = " | ".join(log.log()["events"])
    assert "TeamProposed (Red by bob: bob 60%, carol 40%)" in everything
    assert "TeamAccepted (bob → Red)" in everything
    assert "TeamAccepted (carol → Red), TeamFormed (Red; merged bob, carol with 0 entries)" in (
        everything
    )
    payouts = comp.stakes().set_index("id")["payout_exact"]
    assert f"StakeWithdrawn (#1: {payouts[1]} tokens to bob)" in everything
    assert f"StakeWithdrawn (#2: {payouts[2]} tokens to dave)" in everything
    assert said["postPublicClaim"].startswith("PublicClaimPosted (claim #")
    shown = log.table.value  # long names wrap between their words
    assert "Stake<wbr>Withdrawn (#1: " in shown and "Team<wbr>Formed (Red; " in shown


def test_aCompetitionWithoutAPublicBoard_looksAsBefore(market: Market) -> None:
    comp = open_competition(market, payout=[1])
    submit(comp, {"bob": 1.0})
    board = LeaderboardPanel(market)
    assert board.public_view.layout.display == "none"
    assert board.private_heading.layout.display == "none"
    assert board.state.public_board() is None
    headers = board.table.value.split("<tbody>")[0]
    assert ">shake-up<" not in headers and headers.count("<th ") == 9
    assert "public board" not in CompetitionsPanel(market).info.value


def test_submitFromTheTrainPanel_asATeamMember_postsThePublicClaim(market: Market) -> None:
    comp = open_board(market)
    comp.team("Red", ["bob", "carol"])
    train, board = TrainPanel(market), LeaderboardPanel(market)
    train.participant.value = "carol"
    train.train_button.click()

    train.submit_button.click()

    assert "carol committed submission #1 for team Red" in train.feedback.value
    assert "Its public claim (bond 1) is on the public board." in train.feedback.value
    assert cells(rows(board.public_table.value)[0])[1:3] == ["1", "Red"]
