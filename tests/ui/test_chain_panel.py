"""Chain & clock panel: time travel, phase deadlines, snapshots, save and load."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from mlmarket.market import Market
from mlmarket.ui import AccountsPanel, ChainPanel
from mlmarket.ui.chain_panel import DAY, HOUR
from tests.ui.conftest import open_competition, sent


def test_advanceButtons_moveTheClock_andTheViewFollows(market: Market) -> None:
    panel = ChainPanel(market)
    start = market.clock.now()

    panel.hour.click()
    panel.day.click()

    assert market.clock.now() >= start + HOUR + DAY
    assert f'<b class="mlm-block">{market.chain.block_number}</b>' in panel.info.value
    assert "Advanced 1 d to" in panel.feedback.value
    assert panel.state.time >= start + HOUR + DAY


def test_toDeadline_walksACompetitionThroughItsPhases(market: Market) -> None:
    comp = open_competition(market)
    panel = ChainPanel(market)
    assert panel.competition.value == 0 and not panel.to_deadline.disabled

    panel.to_deadline.click()
    assert comp.phase == "reveal"
    assert "the submission phase is over" in panel.feedback.value
    panel.to_deadline.click()
    assert comp.phase == "finalized"  # nothing was revealed: the competition is over


def test_toDeadline_afterADefault_endsTheDefaultEvaluation_nobodyScoredBurnsAll(
    market: Market,
) -> None:
    from sklearn.linear_model import LogisticRegression

    from mlmarket.contracts import SINK
    from mlmarket.ui import CompetitionsPanel

    comp = open_competition(market)
    X, y = comp.training_xy()
    comp.submit(LogisticRegression(max_iter=5000).fit(X, y), by="bob")
    panel, competitions = ChainPanel(market), CompetitionsPanel(market)
    panel.to_deadline.click()
    comp.reveal()
    panel.to_deadline.click()
    panel.to_deadline.click()  # the creator did not reveal the test set
    assert comp.phase == "default_evaluation"

    panel.to_deadline.click()  # and nobody scored the models on the training data
    assert "the default evaluation phase is over" in panel.feedback.value
    assert comp.phase == "finalized" and comp.outcome == "defaulted"
    assert "Defaulted" in competitions.info.value
    assert "200 tokens to be burned at finalization" in competitions.info.value  # pool + bond
    comp.finalize()
    competitions.state.refresh()
    assert "200 tokens burned" in competitions.info.value
    assert market.token.balance_of(SINK) == Decimal(200)
    assert "has no deadline ahead" in (panel.to_deadline.click() or panel.feedback.value)


def test_toDeadline_withoutACompetition_isDisabled(market: Market) -> None:
    panel = ChainPanel(market)
    assert panel.competition.options == () and panel.to_deadline.disabled
    before = market.clock.now()

    panel.to_deadline.click()  # a script can still click it: refused with a sentence

    assert "Choose a competition first" in panel.feedback.value
    assert market.clock.now() - before < 60


def test_snapshotAndRevert_restoreBalancesAndTheLog(market: Market) -> None:
    panel, accounts = ChainPanel(market), AccountsPanel(market)
    assert panel.revert.disabled  # nothing to revert to yet
    transactions = sent(market)

    panel.snap.click()
    market.token.transfer("bob", 50, sender="alice")
    assert ">1,050<" in accounts.table.value
    panel.revert.click()

    assert panel.snapshots.value == 1 and "Reverted to snapshot #1" in panel.feedback.value
    assert ">1,050<" not in accounts.table.value
    assert panel.state.balances.loc["bob", "tokens"] == Decimal(1000)
    assert sent(market) == transactions


def test_saveAndLoad_bringBackTheSession_inEveryPanel(market: Market, tmp_path: Path) -> None:
    panel, accounts = ChainPanel(market), AccountsPanel(market)
    market.token.transfer("bob", 50, sender="alice")
    panel.folder.value = str(tmp_path / "session")
    panel.save.click()
    assert "Saved the session" in panel.feedback.value
    market.token.transfer("bob", 50, sender="alice")

    panel.load.click()

    assert "Loaded the session" in panel.feedback.value
    assert panel.market is not market and accounts.market is panel.market
    assert panel.state.balances.loc["bob", "tokens"] == Decimal(1050)
    assert ">1,050<" in accounts.table.value
    panel.market.token.transfer("bob", 1, sender="alice")  # the loaded market is live
    assert panel.state.balances.loc["bob", "tokens"] == Decimal(1051)


@pytest.mark.parametrize(
    ("folder", "button", "says"),
    [
        ("", "save", "Give the folder to save the session to"),
        ("  ", "load", "Give the folder to load the session from"),
        ("missing", "load", "There is no folder"),
        ("empty", "load", "holds no saved market"),
        ("a-file", "save", "is a file; choose a folder"),
    ],
)
def test_badFolders_areRefused_inThePanel(
    market: Market, tmp_path: Path, folder: str, button: str, says: str
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "a-file").write_text("not a folder")
    panel = ChainPanel(market)
    value = str(tmp_path / folder) if folder.strip() else folder
    panel.folder.value = value
    transactions, block = sent(market), market.chain.block_number

    getattr(panel, button).click()

    assert says in panel.feedback.value and "mlm-msg-error" in panel.feedback.value
    assert panel.folder.value == value  # the form keeps what was typed
    assert panel.market is market
    assert (sent(market), market.chain.block_number) == (transactions, block)


def test_onANetworkWithoutTimeTravel_theButtonsAreOff(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = ChainPanel(market)
    monkeypatch.setattr(market.chain.backend, "is_local", False)
    panel.render()
    assert panel.hour.disabled and panel.day.disabled and panel.snap.disabled
    assert panel.save.disabled and not panel.load.disabled


def test_resume_bringsBackAnotherJournaledSession_whereItStopped(tmp_path: Path) -> None:
    with Market.local(home=tmp_path) as first:
        first.token.transfer("bob", 9, sender="alice")
    with Market.local(home=tmp_path) as second:
        panel = ChainPanel(second)
        assert f"journaled to {tmp_path / 'sessions' / second.chain.identity}" in panel.info.value
        assert panel.sessions.value == str(tmp_path / "sessions" / first.chain.identity)
        panel.resume.click()
        resumed = panel.market
        try:
            assert resumed.chain.identity == first.chain.identity
            assert resumed.token.balance_of("bob") == Decimal(1009)
            assert "Resumed the session" in panel.feedback.value
            assert panel.sessions.value == str(tmp_path / "sessions" / second.chain.identity)
        finally:
            resumed.close()
