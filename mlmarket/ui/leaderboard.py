"""Leaderboard panel: the selected competition's submissions, ranked, winner highlighted,
and beside them a chart of the scores as evaluation proceeds.

Live: it redraws when the state's leaderboards change (a reveal, each evaluation
transaction batch, finalize, claims); the chart is redrawn only when its scores changed
(from the competition's scoring events, :func:`~mlmarket.market.history.score_history`).
The table exports to CSV: a file next to the notebook, or a download link.

After a creator default the scores are on the committed training data (the metric
reads "… on training"), and the statuses say which models cannot take a place:
"below baseline" (no better than the best constant prediction) and "copy of #n"
(a later commit of a revealed model); those rows have class ``mlm-ineligible``.
The summary shows the outcome "Defaulted" and the tokens burned.

The score column is headed by the competition's metric and its direction (``score
(MAE, lower is better)``): the rows come ranked as the leaderboard ranks them, lowest
error first for MSE and MAE. ``final`` says whether a submission is one of its
submitter's finals (always, when the competition evaluates every submission); one
that is not is "not a final", never evaluated or ranked, and shown greyed.

Example:
    >>> panel = LeaderboardPanel(market)
    >>> panel.summary.value                           # before any competition
    '<span class="mlm-empty">no competition yet</span>'
    >>> 'class="mlm-winner"' in panel.table.value      # doctest: +SKIP
    True
    >>> panel.chart.value[:4]                          # doctest: +SKIP
    b'\x89PNG'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure

from mlmarket.market.history import score_history
from mlmarket.market.plots import draw_scores
from mlmarket.market.tables import competition_label
from mlmarket.ml.metrics import LOWER_IS_BETTER
from mlmarket.ui.base import CompetitionPicker, Exporter, Panel
from mlmarket.ui.phases import outcome_label
from mlmarket.ui.render import amount, png, table

if TYPE_CHECKING:
    from mlmarket.market import Market
    from mlmarket.ui.state import MarketState

SHOWN = ["rank", "id", "submitter", "status", "final", "evaluated", "score", "work", "prize"]
CHART_LAYOUT = widgets.Layout(width="480px", height="auto", object_fit="contain",
                              align_self="flex-start")  # fmt: skip


def score_text(value: Any) -> str:
    """A score as shown: four significant digits, or a dash before scoring."""
    return "–" if value is None or pd.isna(value) else f"{float(value):.4g}"


def ineligible(status: str) -> bool:
    """Whether a leaderboard status rules out a place (after a default, a copy, or a
    submission its submitter did not make a final).

    Example:
        >>> [ineligible(s) for s in ("scored", "below baseline", "copy of #1", "not a final")]
        [False, True, True, True]
    """
    return status in ("below baseline", "not a final") or status.startswith("copy of #")


def score_heading(label: str, metric: str) -> str:
    """The score column's heading: the metric as the leaderboard names it (``label``) and
    which way is better (``metric``: its name, :data:`mlmarket.ml.metrics.METRICS`).

    Example:
        >>> score_heading("MAE", "mae"), score_heading("accuracy on training", "accuracy")
        ('score (MAE, lower is better)', 'score (accuracy on training, higher is better)')
    """
    better = "lower" if metric in LOWER_IS_BETTER else "higher"
    return f"score ({label}, {better} is better)" if label else "score"


def row_class(board: pd.DataFrame, key: object) -> str:
    """``mlm-winner`` for the winner, ``mlm-ineligible`` for a model that cannot place."""
    if bool(board.loc[key, "winner"]):
        return "mlm-winner"
    return "mlm-ineligible" if ineligible(str(board.loc[key, "status"])) else ""


class LeaderboardPanel(Panel):
    """``picker`` (shared selection), ``summary`` (phase, outcome, winner, prizes),
    ``table`` (ranked submissions; the winner's row has class ``mlm-winner``), ``chart``
    (an Image: each submission's score as evaluation proceeds; ``charted`` is the score
    history it shows, ``draws`` counts its redraws), ``exporter`` (``Export CSV`` and a
    download link of the leaderboard)."""

    title = "Leaderboard"
    css = "mlm-leaderboard-panel"
    watches = ("leaderboards", "competitions", "selected_competition")

    def __init__(self, source: Market | MarketState, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self.picker = CompetitionPicker(self.state, "mlm-board-competition")
        self.summary = widgets.HTML()
        self.summary.add_class("mlm-board-summary")
        self.table = widgets.HTML()
        self.table.add_class("mlm-leaderboard")
        self.chart = widgets.Image(format="png", layout=CHART_LAYOUT)
        self.chart.add_class("mlm-score-chart")
        self.charted: pd.DataFrame | None = None
        self.draws = 0
        self._handles: dict[str, Any] = {}
        self.exporter = Exporter(self, "mlm-export-leaderboard")
        self._ready(self.picker.widget, self.summary, self.exporter,
                    widgets.HBox([self.table, self.chart]))  # fmt: skip

    def board(self) -> pd.DataFrame:
        """The selected competition's leaderboard (empty without one)."""
        board = self.state.board()
        return pd.DataFrame() if board is None else board

    def render(self) -> None:
        board = self.board()
        chosen, competitions = self.state.selected_competition, self.state.competitions
        if chosen is None or chosen not in competitions.index:
            self.summary.value = '<span class="mlm-empty">no competition yet</span>'
            self.table.value = ""
            self.exporter.update(pd.DataFrame(), "leaderboard.csv")
            self._chart(None)
            return
        row = competitions.loc[chosen]
        metric = board["metric"].iloc[0] if len(board) else ""
        winners = board[board["winner"]] if len(board) else board
        winner = (
            f' · winner <b class="mlm-winner-name">{winners.iloc[0]["submitter"]}</b>'
            if len(winners) else ""
        )  # fmt: skip
        paid = sum(board["prize_exact"]) if len(board) else 0
        lost = ""
        if row["outcome"] == "defaulted":
            lost = f' · burned <b class="mlm-burned">{amount(row.get("burned", 0))}</b> tokens'
        self.summary.value = (
            f"<b>{row['name']}</b> · phase {row['phase']} · outcome "
            f'<b class="mlm-board-outcome">{outcome_label(str(row["outcome"]))}</b>{winner} · '
            f"reward {amount(row['reward'])} · prizes awarded "
            f'<b class="mlm-prizes">{amount(paid)}</b> tokens{lost} · score: {metric} · '
            f"work per row within {row.get('model_budget', '')}"
        )
        heading = score_heading(str(metric), str(row.get("metric") or ""))
        shown = board[SHOWN].rename(columns={"score": heading}) if len(board) else board
        self.table.value = table(
            shown,
            css="mlm-leaderboard-table",
            index=False,
            formats={
                heading: score_text,
                "final": lambda v: "yes" if v else "no",
                "prize": amount,
                "rank": lambda v: "–" if pd.isna(v) else str(v),
                "work": lambda v: "–" if pd.isna(v) else f"{int(v):,}",
            },  # fmt: skip
            row_class=lambda key, _: row_class(board, key),
            empty="no submissions yet",
        )
        self.exporter.update(board, f"leaderboard-competition-{chosen}.csv")
        self._chart(self.scores(chosen, str(row["address"])))

    def scores(self, index: int, address: str) -> pd.DataFrame:
        """The score history of competition ``index`` (at ``address``) from the state's events."""
        handle = self._handles.get(address)
        if handle is None:  # one handle per competition: its parameters are read once
            handle = self._handles[address] = self.state.competition(index)
        events = self.state.events
        return score_history(handle, events[events["contract"] == competition_label(index)])

    def _chart(self, scores: pd.DataFrame | None) -> None:
        """Redraw the chart if the scores it shows changed."""
        if scores is None or len(scores) == 0:
            if self.charted is None or len(self.charted):
                self.chart.value, self.chart.layout.display = b"", "none"
                self.charted = pd.DataFrame() if scores is None else scores
            return
        if self.charted is not None and self.charted.equals(scores):
            return
        figure = Figure(figsize=(5.4, 2.6))
        draw_scores(scores, figure.subplots())
        self.chart.value, self.chart.layout.display = png(figure), None
        self.charted = scores
        self.draws += 1
