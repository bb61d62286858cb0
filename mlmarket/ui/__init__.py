"""The Jupyter dashboard: ipywidgets panels over one live model of the market.

* :class:`MarketState` — the model: block, time, balances, listings,
  competitions, leaderboards, transactions; refreshed by every transaction the
  market sends, after every cell, and by polling on shared chains.
* Panels, each usable on its own (``ChainPanel(market)``) or together in
  :class:`Dashboard`: chain & clock, accounts, datasets, competitions, train &
  submit, leaderboard, event log.
* :class:`LabPanel` (``lab_panel()``) — the mechanism lab: pick a scenario, sweep a
  param with progress, plot a metric (:mod:`mlmarket.sim`).

Example:
    >>> import mlmarket as mm
    >>> from mlmarket.ui import dashboard
    >>> market = mm.Market.local()
    >>> dash = dashboard(market)                 # display it: the last line of a cell
    >>> sorted(dash.panels)[:3]
    ['accounts', 'chain', 'competitions']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlmarket.ui.accounts import AccountsPanel
from mlmarket.ui.base import InputError, Panel
from mlmarket.ui.chain_panel import ChainPanel
from mlmarket.ui.competitions import CompetitionsPanel
from mlmarket.ui.dashboard import Dashboard
from mlmarket.ui.datasets import DatasetsPanel
from mlmarket.ui.events import EventLogPanel
from mlmarket.ui.lab import LabPanel, lab_panel
from mlmarket.ui.leaderboard import LeaderboardPanel
from mlmarket.ui.state import MarketState
from mlmarket.ui.training import TrainPanel

if TYPE_CHECKING:
    from mlmarket.market import Market

__all__ = [
    "AccountsPanel",
    "ChainPanel",
    "CompetitionsPanel",
    "Dashboard",
    "DatasetsPanel",
    "EventLogPanel",
    "InputError",
    "LabPanel",
    "LeaderboardPanel",
    "MarketState",
    "Panel",
    "TrainPanel",
    "dashboard",
    "lab_panel",
]


def dashboard(market: Market) -> Dashboard:
    """The whole dashboard for ``market`` (what ``market.dashboard()`` returns)."""
    return Dashboard(market)
