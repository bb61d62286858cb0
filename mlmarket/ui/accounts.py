"""Accounts & balances panel: a table and a bar chart of tokens per account.

Both are redrawn in place (HTML value, PNG bytes) only when the balances change.

Example:
    >>> panel = AccountsPanel(market)
    >>> "alice" in panel.table.value
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure

from mlmarket.ui.base import Panel
from mlmarket.ui.render import amount, png, table

if TYPE_CHECKING:
    from mlmarket.market import Market
    from mlmarket.ui.state import MarketState


CHART_LAYOUT = widgets.Layout(width="600px", height="auto", object_fit="contain",
                              align_self="flex-start")  # fmt: skip


def short_address(address: str) -> str:
    """``0x70997970…79C8``.

    Example:
        >>> short_address("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
        '0x709979…79C8'
    """
    return f"{address[:8]}…{address[-4:]}" if len(address) > 14 else address


def balances_view(balances: pd.DataFrame) -> pd.DataFrame:
    """The balances table as shown: short addresses, ETH and tokens."""
    if len(balances) == 0:
        return balances
    view = balances.copy()
    view["address"] = view["address"].map(short_address)
    return view[["address", "eth", "tokens"]]


def tokens_chart(balances: pd.DataFrame) -> bytes:
    """A bar chart of tokens per account, as PNG."""
    figure = Figure(figsize=(7, 2.4))
    axes = figure.subplots()
    if len(balances):
        values = [float(v) for v in balances["tokens"]]
        bars = axes.bar(list(balances.index), values, color="#2a6ebb")
        axes.bar_label(bars, labels=[amount(v, 0) for v in balances["tokens"]], fontsize=7)
        axes.set_ylim(0, max(values + [1.0]) * 1.18)
    axes.set_ylabel("tokens")
    axes.tick_params(axis="x", labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    return png(figure)


class AccountsPanel(Panel):
    """Every named account's ETH and tokens: ``table`` (HTML) and ``chart`` (Image)."""

    title = "Accounts & balances"
    css = "mlm-accounts-panel"
    watches = ("balances",)

    def __init__(self, source: Market | MarketState, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self.table = widgets.HTML()
        self.table.add_class("mlm-balances")
        self.chart = widgets.Image(format="png", layout=CHART_LAYOUT)
        self.chart.add_class("mlm-balances-chart")
        self.draws = 0
        self._ready(widgets.HBox([self.table, self.chart]))

    def render(self) -> None:
        balances = self.state.balances
        self.table.value = table(
            balances_view(balances),
            css="mlm-balances-table",
            formats={"eth": lambda v: amount(v, 4), "tokens": lambda v: amount(v, 4)},
        )
        self.chart.value = tokens_chart(balances)
        self.draws += 1
