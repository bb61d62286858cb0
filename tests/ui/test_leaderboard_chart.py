"""The live chart beside the leaderboard: each submission's score as evaluation proceeds,
drawn from the competition's scoring events when (and only when) the scores change."""

from __future__ import annotations

from mlmarket.market import Market
from mlmarket.ui import LeaderboardPanel
from tests.ui.conftest import open_competition, play_to_finalized


def test_theScoreChart_appearsWithScores_andRedrawsOnlyWhenTheyChange(market: Market) -> None:
    comp = open_competition(market)
    panel = LeaderboardPanel(market)
    assert panel.chart.layout.display == "none" and panel.draws == 0  # nothing scored
    play_to_finalized(market, comp, {"bob": 1.0, "carol": 0.01})
    panel.state.sync()
    assert panel.chart.value[:4] == b"\x89PNG" and panel.chart.layout.display is None
    assert panel.draws == 1 and sorted(panel.charted["id"]) == [1, 2]
    comp.claim_all()  # the leaderboard changes (prizes), the scores do not
    panel.state.sync()
    assert panel.draws == 1
    open_competition(market, "wine")
    panel.picker.widget.value = 1  # nothing scored there
    assert panel.chart.layout.display == "none"
    panel.picker.widget.value = 0
    assert panel.chart.layout.display is None and panel.draws == 2
