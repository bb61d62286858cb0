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
that is not is "not a final", never evaluated or ranked, and shown greyed. A team's
submissions show the team's name as submitter.

With a public leaderboard (``public_size=`` at creation) the panel shows two tables side
by side: the **public board** (the claimed scores on the public rows, ranked during the
submission phase while no model is revealed; live as new public claims arrive) and the
**private board** (the final one: the hidden rows decide the prizes), whose ``shake-up``
column says how many places each submission gained (▲, green) or lost (▼, red) from its
public rank. A submission whose public claim was shown false is "disqualified" and greyed
like the other rows that cannot place. Once the competition is finalized the chart area
shows the shake-up (:func:`~mlmarket.market.plots.draw_shakeup`) beside the scores.
Competitions without a public board show the private board alone, as before.

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
from mlmarket.market.plots import draw_scores, draw_shakeup
from mlmarket.market.tables import competition_label
from mlmarket.ml.metrics import LOWER_IS_BETTER
from mlmarket.ui.base import CompetitionPicker, Exporter, Panel
from mlmarket.ui.phases import outcome_label
from mlmarket.ui.reading import shakeup
from mlmarket.ui.render import amount, png, table, when

if TYPE_CHECKING:
    from mlmarket.market import Market
    from mlmarket.ui.state import MarketState

SHOWN = ["rank", "id", "submitter", "status", "final", "evaluated", "score", "work", "prize"]
PRIVATE_SHOWN = ["rank", "rank_change", "id", "submitter", "status", "final", "evaluated",
                 "score", "work", "prize"]  # fmt: skip
"""The private board's columns (a competition with a public board): the rank change too."""
PUBLIC_SHOWN = ["rank", "id", "entrant", "score", "claim", "status"]
CLAIMED = "claimed score"
"""The public board's score heading (the metric and its direction are in its heading)."""
SHAKE_UP = "shake-up"
"""The private board's heading of ``rank_change``: places gained from the public board."""
CHART_LAYOUT = widgets.Layout(width="480px", height="auto", object_fit="contain",
                              align_self="flex-start")  # fmt: skip
SHAKEUP_LAYOUT = widgets.Layout(width="420px", height="auto", object_fit="contain",
                                align_self="flex-start", display="none")  # fmt: skip


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
    return status in ("below baseline", "not a final", "disqualified") or status.startswith(
        "copy of #"
    )


def rank_change(value: Any) -> str:
    """A rank change from the public to the private board: ``▲ 2`` (gained), ``▼ 1``
    (lost), ``=`` (kept), ``–`` (not ranked on both).

    Example:
        >>> [rank_change(v) for v in (2, -1, 0, pd.NA)]
        ['▲ 2', '▼ 1', '=', '–']
    """
    if value is None or pd.isna(value):
        return "–"
    change = int(value)
    return f"▲ {change}" if change > 0 else f"▼ {-change}" if change < 0 else "="


def change_class(value: Any) -> str:
    """``mlm-rise`` for a gain, ``mlm-fall`` for a loss (the shake-up column's colours)."""
    if value is None or pd.isna(value) or int(value) == 0:
        return ""
    return "mlm-rise" if int(value) > 0 else "mlm-fall"


def public_row_class(row: pd.Series) -> str:
    """A public board's row: ``mlm-ineligible`` for a claim shown false (the submission is
    disqualified) or forfeited (never revealed, so never checked)."""
    out = bool(row.get("disqualified")) or row.get("status") in ("voided", "forfeited")
    return "mlm-ineligible" if out else ""


def public_status(row: pd.Series) -> str:
    """A public claim's status as shown: ``open`` (not checked yet), ``stood``, ``voided ·
    disqualified``, ``forfeited``."""
    status = str(row["status"])
    return f"{status} · disqualified" if bool(row.get("disqualified")) else status


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
    download link of the leaderboard). With a public board: ``public_view`` (shown) with
    ``public_table`` (the public board) beside ``private_heading`` and ``table`` (the
    private board, with its ``shake-up`` column), and once finalized ``shakeup_chart`` (an
    Image of the shake-up; ``shaken`` is the table it shows)."""

    title = "Leaderboard"
    css = "mlm-leaderboard-panel"
    watches = ("leaderboards", "public_boards", "competitions", "selected_competition")

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
        self.public_heading = widgets.HTML()
        self.public_heading.add_class("mlm-public-heading")
        self.public_table = widgets.HTML()
        self.public_table.add_class("mlm-public-board")
        self.public_view = widgets.VBox([self.public_heading, self.public_table],
                                        layout=widgets.Layout(display="none"))  # fmt: skip
        self.private_heading = widgets.HTML(layout=widgets.Layout(display="none"))
        self.private_heading.add_class("mlm-private-heading")
        self.shakeup_chart = widgets.Image(format="png", layout=SHAKEUP_LAYOUT)
        self.shakeup_chart.add_class("mlm-shakeup-chart")
        self.shaken: pd.DataFrame | None = None
        self._handles: dict[str, Any] = {}
        self.exporter = Exporter(self, "mlm-export-leaderboard")
        wrap = widgets.Layout(flex_flow="row wrap")
        boards = widgets.HBox(
            [self.public_view, widgets.VBox([self.private_heading, self.table]),
             widgets.HBox([self.chart, self.shakeup_chart], layout=wrap)],
            layout=wrap,
        )  # fmt: skip
        boards.add_class("mlm-boards")
        self._ready(self.picker.widget, self.summary, self.exporter, boards)

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
            self._public(None, None, "")
            self._chart(None)
            self._shakeup(None)
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
        direction = str(row.get("metric") or "")
        heading = score_heading(str(metric), direction)
        public = self.state.public_board(chosen)
        columns = PRIVATE_SHOWN if public is not None and "rank_change" in board else SHOWN
        renamed = {"score": heading, "rank_change": SHAKE_UP}
        shown = board[columns].rename(columns=renamed) if len(board) else board
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
                SHAKE_UP: rank_change,
            },  # fmt: skip
            row_class=lambda key, _: row_class(board, key),
            empty="no submissions yet",
            cell_class={SHAKE_UP: change_class},
        )
        self.exporter.update(board, f"leaderboard-competition-{chosen}.csv")
        self._public(row, public, direction)
        self._chart(self.scores(chosen, str(row["address"])))
        finalized = public is not None and row["phase"] == "finalized"
        self._shakeup(shakeup(public, board) if finalized else None)

    def _public(self, row: pd.Series | None, public: pd.DataFrame | None, direction: str) -> None:
        """Show the public board beside the private one (hidden without a public board)."""
        if row is None or public is None:
            self.public_view.layout.display = self.private_heading.layout.display = "none"
            self.public_heading.value = self.public_table.value = self.private_heading.value = ""
            return
        rows = int(row.get("public_rows") or 0)
        checks = row.get("public_checks_end")
        label = str(public["metric"].iloc[0]) if len(public) else str(row.get("metric") or "")
        better = score_heading(label, direction).removeprefix("score (").removesuffix(")")
        self.public_heading.value = (
            f'<div class="mlm-board-heading"><b>Public board</b> · scores claimed on '
            f'<span class="mlm-public-rows">{rows}</span> public rows '
            f'(<span class="mlm-public-metric">{better}</span>),<br>each checked once its '
            f"model is revealed (until {when(checks)})</div>"
        )
        self.private_heading.value = (
            '<div class="mlm-board-heading"><b>Private board</b> · final: the hidden test rows '
            "decide the prizes; shake-up: places gained (▲) or lost (▼) from the public "
            "board</div>"
        )
        heading = CLAIMED
        shown = public.assign(status=public.apply(public_status, axis=1)) if len(public) else public
        shown = shown[PUBLIC_SHOWN].rename(columns={"score": heading}) if len(public) else shown
        self.public_table.value = table(
            shown,
            css="mlm-public-board-table",
            index=False,
            formats={
                heading: score_text,
                "rank": lambda v: "–" if pd.isna(v) else str(v),
                "claim": lambda v: f"#{int(v)}",
            },  # fmt: skip
            row_class=lambda key, _: public_row_class(public.loc[key]),
            empty="no public claim yet",
        )
        self.public_view.layout.display = self.private_heading.layout.display = None

    def scores(self, index: int, address: str) -> pd.DataFrame:
        """The score history of competition ``index`` (at ``address``) from the state's events."""
        handle = self._handles.get(address)
        if handle is None:  # one handle per competition: its parameters are read once
            handle = self._handles[address] = self.state.competition(index)
        events = self.state.events
        history = score_history(handle, events[events["contract"] == competition_label(index)])
        teams = self.state.team_table(index)
        if teams is not None and len(teams) and len(history):  # a team's name, not its address
            names = dict(zip(teams["team"], teams["name"], strict=True))
            history["submitter"] = history["submitter"].map(lambda s: names.get(s, s))
        return history

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

    def _shakeup(self, table: pd.DataFrame | None) -> None:
        """Show the shake-up chart once finalized (redrawn only when its table changed)."""
        if table is None or len(table) == 0:
            if self.shaken is None or len(self.shaken):
                self.shakeup_chart.value, self.shakeup_chart.layout.display = b"", "none"
                self.shaken = pd.DataFrame()
            return
        if self.shaken is not None and self.shaken.equals(table):
            return
        figure = Figure(figsize=(4.6, 2.9))
        # a submission ranked on neither board (a voided claim, disqualified) has no place
        # on the chart: draw_shakeup draws a rank on at least one side
        ranked = table[table["public_rank"].notna() | table["private_rank"].notna()]
        draw_shakeup(ranked, figure.subplots())
        self.shakeup_chart.value, self.shakeup_chart.layout.display = png(figure), None
        self.shaken = table
