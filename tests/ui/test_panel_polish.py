"""Panel polish: messages at the top of their panel and cleared when stale, finished phases
that say "ended", readable pickers, ISO dates in the form, CSV exports, an event table that
wraps instead of widening."""

from __future__ import annotations

import base64
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from mlmarket.market import Market
from mlmarket.market.competition import Competition
from mlmarket.ui import (
    ChainPanel,
    CompetitionsPanel,
    Dashboard,
    EventLogPanel,
    LeaderboardPanel,
)
from tests.ui.conftest import open_competition, play_to_finalized, sent

DAY = 86_400


def test_everyPanel_saysThingsRightUnderItsTitle(market: Market) -> None:
    dash = Dashboard(market)
    for key, panel in dash.panels.items():
        assert panel.children[1] is panel.feedback, key


def test_anActionsMessage_isClearedWhenTheChainMovesOn(market: Market) -> None:
    panel = ChainPanel(market)
    panel.day.click()
    assert "Advanced 1 d to" in panel.feedback.value
    market.token.transfer("bob", 1, sender="alice")  # a cell sends a transaction
    assert panel.feedback.value == ""


def test_aRefusal_isClearedWhenTheFieldIsChanged_notBefore(market: Market) -> None:
    panel = CompetitionsPanel(market)
    panel.form.reward.value = "-1"
    panel.create_button.click()
    assert "The reward cannot be negative" in panel.feedback.value
    panel.form.name.value = "Another name"  # another field: the refusal is stale
    assert panel.feedback.value == ""
    panel.create_button.click()
    assert "The reward cannot be negative" in panel.feedback.value  # said again, until fixed


def test_aMessage_isClearedWhenAnotherCompetitionIsSelected(market: Market) -> None:
    open_competition(market)
    open_competition(market, "wine")
    panel = CompetitionsPanel(market)
    panel.picker.widget.value = 0
    panel.reveal_button.click()  # refused in the submission phase
    assert panel.feedback.value != ""
    panel.picker.widget.value = 1
    assert panel.feedback.value == ""


def test_aPanelsOwnWarning_aboutItsForm_staysWhileTheFormIsWrong(market: Market) -> None:
    panel = EventLogPanel(market)
    panel.gwei.value = -5
    assert "Prices cannot be negative" in panel.feedback.value
    market.token.transfer("bob", 1, sender="alice")
    assert "Prices cannot be negative" in panel.feedback.value
    panel.gwei.value = 5
    assert panel.feedback.value == ""


def submitted(market: Market, sample: str = "iris") -> Competition:
    """A competition with bob's model committed (so its phases run their course)."""
    comp = open_competition(market, sample)
    X, y = comp.training_xy()
    comp.submit(LogisticRegression(max_iter=2000).fit(X, y), by="bob")
    return comp


def test_finishedPhases_sayEnded_neverACountdown(market: Market) -> None:
    comp = submitted(market)
    panel, chain = CompetitionsPanel(market), ChainPanel(market)
    chain.to_deadline.click()  # submissions over
    panel.reveal_button.click()
    chain.to_deadline.click()  # reveals over
    comp.reveal_test_set()  # a day before the test-reveal deadline
    panel.state.sync()
    chips = dict(re.findall(r'data-phase="(\w+)">.*?<small>(.*?)</small>', panel.timeline.value))
    assert chips["submission"].startswith("ended 20")
    assert chips["test_reveal"].startswith("ended early (deadline 20")  # not "in 23 h 59 min"
    assert chips["evaluation"].startswith("ends 20") and "(in " in chips["evaluation"]


def test_competitionPickers_readAsPhasesAreNamed(market: Market) -> None:
    submitted(market)
    panel = CompetitionsPanel(market)
    assert panel.picker.widget.label == "#0 iris challenge · Submission"
    ChainPanel(market).to_deadline.click()
    panel.reveal_button.click()
    ChainPanel(market).to_deadline.click()
    assert panel.picker.widget.label == "#0 iris challenge · Test-set reveal"


def test_theEndOfSubmissions_isTypedAsAnIsoDateInUtc(market: Market) -> None:
    panel = CompetitionsPanel(market)
    ends = panel.form.ends
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", ends.text.value)
    ends.text.value = "8/12/26"
    transactions = sent(market)
    panel.create_button.click()
    assert "Submit until must be a UTC date and time like 2026-12-08 20:42, not '8/12/26'." in (
        panel.feedback.value
    )
    assert sent(market) == transactions and ends.text.value == "8/12/26"  # kept as typed
    when = pd.Timestamp(market.clock.now() + 3 * DAY, unit="s", tz="UTC").floor("min")
    ends.text.value = when.strftime("%Y-%m-%d %H:%M")
    panel.create_button.click()
    assert market.competitions.get(0).deadlines()["submission"] == when


def test_theLeaderboard_exportsToAFile_andALink_withExactPrizes(
    market: Market, tmp_path: Path
) -> None:
    comp = open_competition(market, payout=[Decimal("0.6"), Decimal("0.4")])
    play_to_finalized(market, comp, {"bob": 1.0, "carol": 0.01})
    comp.claim_all()
    panel = LeaderboardPanel(market)
    panel.exporter.folder = tmp_path
    panel.exporter.button.click()
    path = tmp_path / "leaderboard-competition-0.csv"
    assert f"Wrote 2 rows to {path}" in panel.feedback.value
    written = pd.read_csv(path)
    assert written.columns.tolist() == ["rank", "id", "submitter", "status", "final",
                                        "evaluated", "score", "metric", "work", "prize",
                                        "winner"]  # fmt: skip
    assert sorted(written["prize"].tolist()) == [40, 60]
    found = r'download="(.+?)" href="data:text/csv;base64,(.+?)"'
    link = re.search(found, panel.exporter.link.value)
    assert link is not None and link.group(1) == path.name
    assert base64.b64decode(link.group(2)).decode() == path.read_text()


def test_theEventLog_exportsAllOfItsRows_andAFailedWriteIsSaid(
    market: Market, tmp_path: Path
) -> None:
    panel = EventLogPanel(market)
    market.token.transfer("bob", 1, sender="alice")
    panel.exporter.folder = tmp_path
    panel.exporter.button.click()
    written = pd.read_csv(tmp_path / "events.csv")
    assert len(written) == len(panel.log()) and "cost_usd_exact" not in written.columns
    assert written["time"].str.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z").all()
    panel.exporter.folder = tmp_path / "missing"
    panel.exporter.button.click()
    assert "Could not write" in panel.feedback.value and "mlm-msg-error" in panel.feedback.value


def test_theEventTable_wrapsItsLongCells(market: Market) -> None:
    open_competition(market)
    html = EventLogPanel(market).table.value
    assert '<td class="mlm-text mlm-wrap">create<wbr>Competition<wbr>With<wbr>Permit</td>' in html
    assert "<th" in html and ">time (UTC)</th>" in html
    assert re.search(r">\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}</td>", html)


@pytest.mark.parametrize("bad", ["2026-13-01 00:00", "tomorrow", ""])
def test_aBadDate_isRefusedWithASentence(market: Market, bad: str) -> None:
    panel = CompetitionsPanel(market)
    panel.form.ends.text.value = bad
    panel.create_button.click()
    said = "Choose when submissions end." if not bad else f"not '{bad}'"
    assert said in panel.feedback.value and len(panel.state.competitions) == 0
