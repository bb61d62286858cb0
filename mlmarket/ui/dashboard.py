"""The dashboard: every panel over one :class:`MarketState`.

Example:
    >>> dash = Dashboard(market)
    >>> dash                                   # doctest: +SKIP
    >>> dash.panels["datasets"].publish_button.click()
    >>> dash.state.listings.shape[0]
    1
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from mlmarket.ui.accounts import AccountsPanel
from mlmarket.ui.base import Panel
from mlmarket.ui.chain_panel import ChainPanel
from mlmarket.ui.competitions import CompetitionsPanel
from mlmarket.ui.datasets import DatasetsPanel
from mlmarket.ui.events import EventLogPanel
from mlmarket.ui.leaderboard import LeaderboardPanel
from mlmarket.ui.state import MarketState
from mlmarket.ui.training import TrainPanel

if TYPE_CHECKING:
    from mlmarket.market import Market

TABS: tuple[tuple[str, str, type[Panel]], ...] = (
    ("accounts", "Accounts", AccountsPanel),
    ("datasets", "Datasets", DatasetsPanel),
    ("competitions", "Competitions", CompetitionsPanel),
    ("training", "Train & submit", TrainPanel),
    ("leaderboard", "Leaderboard", LeaderboardPanel),
    ("events", "Event log", EventLogPanel),
)
"""(key, tab title, panel class) in the order the tabs appear."""


class Dashboard(widgets.VBox):
    """The chain panel on top and a tab per panel below, all views of one state.

    ``panels`` maps keys (``"chain"``, ``"accounts"``, ``"datasets"``,
    ``"competitions"``, ``"training"``, ``"leaderboard"``, ``"events"``) to panels;
    ``market`` is the market shown (a loaded session replaces it).
    """

    def __init__(self, source: Market | MarketState, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = MarketState.of(source)
        self.panels: dict[str, Panel] = {"chain": ChainPanel(self.state)}
        for key, _, panel in TABS:
            self.panels[key] = panel(self.state)
        self.tabs = widgets.Tab(
            children=[self.panels[key] for key, _, _ in TABS],
            titles=[title for _, title, _ in TABS],
        )
        self.tabs.add_class("mlm-tabs")
        header = widgets.HTML("<h3 style='margin:4px 0'>mlmarket</h3>")
        self.children = (header, self.panels["chain"], self.tabs)
        self.add_class("mlm-dashboard")

    @property
    def market(self) -> Market:
        """The market shown now."""
        return self.state.market

    def show(self, key: str) -> Panel:
        """Select the tab of panel ``key`` and return the panel."""
        keys = [k for k, _, _ in TABS]
        self.tabs.selected_index = keys.index(key)
        return self.panels[key]

    def refresh(self) -> None:
        """Re-read everything (normally automatic)."""
        self.state.refresh()

    def close(self) -> None:
        """Stop listening to the chain and close every widget."""
        self.state.close()
        super().close()
