"""Read-only views: accounts & balances, the event log, the leaderboard."""

from __future__ import annotations

import pandas as pd
import pytest

from mlmarket.contracts.errors import ERC20InsufficientBalance
from mlmarket.market import Market
from mlmarket.ui import AccountsPanel, EventLogPanel, LeaderboardPanel
from mlmarket.ui.events import counted, priced
from mlmarket.ui.render import amount
from tests.ui.conftest import open_competition, play_to_finalized


def test_balances_tableAndChart_redrawOnlyWhenBalancesChange(market: Market) -> None:
    panel = AccountsPanel(market)
    draws, chart = panel.draws, bytes(panel.chart.value)
    assert '<td class="mlm-text">alice</td>' in panel.table.value

    market.clock.advance(60)
    panel.state.sync()  # a new block, same balances: nothing to redraw
    assert panel.draws == draws

    market.token.transfer("bob", 250, sender="alice")
    assert panel.draws == draws + 1 and bytes(panel.chart.value) != chart
    row = panel.table.value.split('data-key="bob"')[1].split("</tr>")[0]
    assert ">1,250<" in row


def test_eventLog_pricesEveryTransaction_atTheChosenGasAndEthPrice(market: Market) -> None:
    panel = EventLogPanel(market)
    market.token.transfer("bob", 5, sender="alice")
    panel.gwei.value, panel.usd.value = 10.0, 2000.0

    log = panel.log()
    latest = log.iloc[0]
    assert (latest["sender"], latest["action"], latest["events"]) == (
        "alice",
        "transfer",
        "Transfer",
    )
    assert latest["cost_eth"] == pytest.approx(latest["gas"] * 10e-9)
    assert latest["cost_usd"] == pytest.approx(latest["cost_eth"] * 2000)
    assert len(log) == len(market.chain.history)
    assert f"{len(log)} transactions" in panel.totals.value and "at 10 gwei and $2,000/ETH" in (
        panel.totals.value
    )
    assert f">{latest['gas']:,}<" in panel.table.value


def test_eventLog_flagsAFailedTransaction_andLeavesItOutOfTheCost(market: Market) -> None:
    panel = EventLogPanel(market)
    market.token.transfer("bob", 5, sender="alice")
    too_much = market.token.contract.functions.transfer(market.chain.address("bob"), 10**30)
    with pytest.raises(ERC20InsufficientBalance):  # no dry run: mined, and failed
        market.chain.transact(too_much, sender="carol", simulate=False)
    panel.state.sync()

    log = panel.log()
    failed, ok = log[log["status"] == "failed"], log[log["status"] == "ok"]
    assert len(failed) == 1 and len(ok) == len(log) - 1 == len(market.chain.history) - 1
    assert (failed.iloc[0]["sender"], failed.iloc[0]["action"]) == ("carol", "transfer")
    assert failed.iloc[0]["gas"] > 21_000 and failed.iloc[0]["events"] == ""
    totals = panel.totals.value
    assert f"{len(ok)} transactions · {ok['gas'].sum():,} gas" in totals
    assert f"${amount(ok['cost_usd'].sum())}</b>" in totals
    assert f"1 failed: {failed.iloc[0]['gas']:,} gas" in totals and "not counted above" in totals
    row = panel.table.value.split('<tr class="mlm-failed"')
    assert len(row) == 2 and ">failed<" in row[1].split("</tr>")[0]


def test_eventLog_filtersBySender(market: Market) -> None:
    panel = EventLogPanel(market)
    market.token.transfer("bob", 5, sender="alice")
    market.token.transfer("bob", 5, sender="carol")
    assert {"alice", "carol", "deployer"} <= set(panel.sender.options)

    panel.sender.value = "carol"

    assert panel.log()["sender"].tolist() == ["carol"]
    assert "1 transactions" in panel.totals.value


def test_eventLog_negativePrices_areRefused_andKept(market: Market) -> None:
    panel = EventLogPanel(market)
    table = panel.table.value
    panel.gwei.value = -3.0
    assert "Prices cannot be negative" in panel.feedback.value
    assert panel.gwei.value == -3.0 and panel.table.value == table
    panel.gwei.value = 3.0
    assert panel.feedback.value == "" and "at 3 gwei" in panel.totals.value


def test_pricing_andEventCounts() -> None:
    log = pd.DataFrame({"gas": [21_000, 100_000]})
    costs = priced(log, gwei=50, usd=4000)
    assert costs["cost_eth"].tolist() == pytest.approx([0.00105, 0.005])
    assert costs["cost_usd"].tolist() == pytest.approx([4.2, 20.0])
    assert counted(["Transfer", "Approval", "Transfer"]) == "Transfer ×2, Approval"


def test_leaderboard_ranksAndHighlightsTheWinner_withPayouts(market: Market) -> None:
    comp = open_competition(market, "breast_cancer", payout=[0.7, 0.3])
    panel = LeaderboardPanel(market)
    assert "no submissions yet" in panel.table.value

    play_to_finalized(market, comp, {"bob": 1.0, "carol": 0.0005, "dave": 10.0})

    board = comp.leaderboard()
    winner = board[board["winner"]].iloc[0]
    rows = panel.table.value.split("<tr ")[1:]
    assert rows[0].startswith('class="mlm-winner"') and f">{winner['submitter']}<" in rows[0]
    assert sum('class="mlm-winner"' in row for row in rows) == 1
    assert f'class="mlm-winner-name">{winner["submitter"]}<' in panel.summary.value
    assert 'class="mlm-prizes">100<' in panel.summary.value
    assert ">70<" in rows[0] and ">30<" in rows[1]
    assert rows[2].count(">0<") >= 1  # third place gets nothing with a 70/30 payout
