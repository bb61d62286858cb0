"""Charts of what happened: token balances over time, scores as evaluation proceeds, gas by
action, a collection's revenue per contributor.

Each chart has two forms: one that reads what it needs (``token_balances(market)``) and a
``draw_*`` one that draws a table of :mod:`mlmarket.market.history` on given axes — what
the dashboard does, with matplotlib's object API and no pyplot state. Without ``ax`` a
new pyplot figure is made (in a notebook it shows under the cell); every function returns
the axes it drew on. Times are UTC, ticks in ISO order (year-month-day).

Example:
    >>> from mlmarket.market import plots
    >>> ax = plots.token_balances(market)                    # doctest: +SKIP
    >>> ax = plots.scores(competition)                        # doctest: +SKIP
    >>> ax = plots.gas_by_action(market)                      # doctest: +SKIP
    >>> ax = plots.collection_revenue(market.data.collections, cohort)  # doctest: +SKIP
    >>> ax = plots.shakeup(competition)                       # doctest: +SKIP
    >>> from matplotlib.figure import Figure
    >>> ax = draw_gas(history.gas_by_action(market.chain.history), Figure().subplots())
    >>> [label.get_text() for label in ax.get_yticklabels()][-1]
    'deploy'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator

from mlmarket.errors import ConfigurationError
from mlmarket.market import history

if TYPE_CHECKING:
    from mlmarket.chain import Chain
    from mlmarket.chain.core import TxRecord
    from mlmarket.market.collections import Collection, CollectionService
    from mlmarket.market.competition import Competition
    from mlmarket.market.market import Market

__all__ = [
    "collection_revenue", "draw_gas", "draw_revenue", "draw_scores", "draw_shakeup",
    "draw_token_balances", "gas_by_action", "scores", "shakeup", "token_balances",
]  # fmt: skip

BLUE, ORANGE, RED, GREY = "#2a6ebb", "#e08a1e", "#a40000", "#777777"
ISO_TICKS = ["%Y", "%Y-%m", "%m-%d", "%H:%M", "%H:%M", "%S.%f"]
ISO_OFFSETS = ["", "%Y", "%Y-%m", "%Y-%m-%d", "%Y-%m-%d", "%Y-%m-%d %H:%M"]
AXES = ("time", "block")


def axes(ax: Axes | None, size: tuple[float, float] = (8, 3.5)) -> Axes:
    """``ax``, or the axes of a new pyplot figure of ``size`` inches."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size, layout="constrained")
        return ax
    if not isinstance(ax, Axes):
        raise ConfigurationError(f"ax must be matplotlib Axes to draw on, not {type(ax).__name__}.")
    return ax


def _nothing(ax: Axes, text: str) -> Axes:
    ax.text(0.5, 0.5, text, ha="center", va="center", color=GREY, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _plain(ax: Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)


def iso_dates(ax: Axes) -> None:
    """Date ticks on the x axis as ISO fragments (``2026-12-06``, ``14:05``), UTC."""
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(
        mdates.ConciseDateFormatter(locator, formats=ISO_TICKS, offset_formats=ISO_OFFSETS)
    )


# --- token balances -------------------------------------------------------------------------


def token_balances(
    market: Market, *, accounts: Sequence[str] | None = None, x: str = "block",
    ax: Axes | None = None,
) -> Axes:  # fmt: skip
    """Token balance of each account over time, from the token's ``Transfer`` events.

    ``accounts``: the holders to draw (named accounts, contract labels such as
    ``"DataMarket"``, ``"sink (burned)"``); by default every named account whose balance
    changed after it was funded. ``x``: ``"block"`` (every transfer apart) or ``"time"``
    (UTC: what happened within seconds shares one step).
    """
    return draw_token_balances(history.token_history(market), axes(ax), accounts=accounts, x=x)


def draw_token_balances(
    table: pd.DataFrame, ax: Axes, *, accounts: Sequence[str] | None = None, x: str = "block"
) -> Axes:
    """Draw a :func:`~mlmarket.market.history.token_history` table: a step line per holder."""
    if x not in AXES:
        raise ConfigurationError(f"x must be 'time' or 'block', not {x!r}.")
    holders = list(dict.fromkeys(table["holder"]))
    if accounts is None:
        counts = table[table["kind"] == "account"].groupby("holder").size()
        chosen = [h for h in holders if counts.get(h, 0) > 1]
    else:
        chosen = [str(a) for a in accounts]
        unknown = [a for a in chosen if a not in holders]
        if unknown:
            raise ConfigurationError(
                f"No token transfers of {', '.join(map(repr, unknown))}; holders: "
                f"{', '.join(holders) or 'none yet'}."
            )
    if not chosen:
        return _nothing(ax, "no transfers between accounts yet")
    end = table[x].max()
    for holder in chosen:
        rows = table[table["holder"] == holder].drop_duplicates(x, keep="last")
        where = [*rows[x], end]
        if x == "time":
            where = [pd.Timestamp(t).tz_convert(None) for t in where]
        ax.step(where, [*rows["tokens"], rows["tokens"].iloc[-1]], where="post", label=holder)
    ax.set_ylabel("tokens")
    ax.set_xlabel("time (UTC)" if x == "time" else "block")
    if x == "time":
        iso_dates(ax)
    ax.set_title("Token balances", fontsize=10)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    _plain(ax)
    return ax


# --- scores as evaluation proceeds ------------------------------------------------------------


def scores(competition: Competition, *, ax: Axes | None = None) -> Axes:
    """Each submission's score on the rows scored so far, as the evaluation proceeds (from the
    competition's scoring events): a line per submission over the evaluation calls, ending
    at its leaderboard score — or, scored in one call each (a one-chunk test set), a bar per
    submission."""
    return draw_scores(history.score_history(competition), axes(ax))


def draw_scores(table: pd.DataFrame, ax: Axes, *, title: str = "") -> Axes:
    """Draw a :func:`~mlmarket.market.history.score_history` table.

    When a submission was scored over several calls (a test set of several chunks), x is
    the evaluation call (in order) and y each submission's score on the rows scored so
    far: a step line from its first scored chunk on, the legend giving the latest score.
    When every submission was scored at once (one chunk), a bar per submission.
    """
    if len(table) == 0:
        return _nothing(ax, "nothing scored yet")
    on = "training" if (table["on"] == "training").any() else "test"
    shown = table[table["on"] == on]
    metric = str(shown["metric"].iloc[0])
    if shown.groupby("id").size().max() == 1:
        _score_bars(shown.set_index("id").sort_index(), ax, metric)
    else:
        _score_lines(shown, ax, on)
        ax.set_ylabel(metric)
    ax.set_title(title or "Scores as evaluation proceeds", fontsize=10)
    _plain(ax)
    return ax


def _score_lines(shown: pd.DataFrame, ax: Axes, on: str) -> None:
    calls = {block: number for number, block in enumerate(sorted(set(shown["block"])), start=1)}
    last = len(calls)
    for (sub_id, submitter), rows in shown.groupby(["id", "submitter"], sort=True):
        steps = [calls[b] for b in rows["block"]]
        values = list(rows["score"])
        line = ax.step([*steps, last], [*values, values[-1]], where="post",
                       label=f"#{sub_id} {submitter}: {values[-1]:.4g}")  # fmt: skip
        ax.plot(steps, values, "o", markersize=3, color=line[0].get_color())
    ax.set_xlabel(f"evaluation calls ({on} set)")
    ax.set_xlim(0.5, last + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)


def _score_bars(shown: pd.DataFrame, ax: Axes, metric: str) -> None:
    names = [f"#{sub_id} {who}" for sub_id, who in zip(shown.index, shown["submitter"],
                                                        strict=True)][::-1]  # fmt: skip
    values = shown["score"].tolist()[::-1]
    bars = ax.barh(names, values, color=BLUE)
    ax.bar_label(bars, labels=[f"{v:.4g}" for v in values], fontsize=8, padding=3)
    top = max(values) if values else 1.0
    ax.set_xlim(0, 1.12 if metric.startswith("accuracy") else top * 1.25)
    ax.set_xlabel(metric)


# --- the shake-up: public board against the private final -------------------------------------


def shakeup(competition: Competition, *, ax: Axes | None = None) -> Axes:
    """The shake-up of a competition with a public board: each submission's rank on the
    public board (its claimed public score) against its rank in the private final, a line
    from one to the other (``comp.shakeup()`` is the table)."""
    return draw_shakeup(competition.shakeup(), axes(ax, (6, 4)))


def draw_shakeup(table: pd.DataFrame, ax: Axes, *, title: str = "") -> Axes:
    """Draw a ``comp.shakeup()`` table (``id``, ``entrant``, ``public_rank``,
    ``private_rank``, ``rank_change``): rank 1 on top, public on the left, private on the
    right; a line per submission ranked on both boards, green when it rose, red when it
    fell, grey when it kept its rank; one ranked on one board only is a dot with a cross on
    the other side (no public claim, or no private place: not a final, unscored or
    disqualified).

    Example:
        >>> from matplotlib.figure import Figure
        >>> table = pd.DataFrame({"id": [1, 2, 3], "entrant": ["bob", "Lab", "erin"],
        ...     "public_rank": [1, 2, 3], "private_rank": [3, 1, 2], "rank_change": [-2, 1, 1]})
        >>> ax = draw_shakeup(table, Figure().subplots())
        >>> [t.get_text() for t in ax.get_xticklabels()]
        ['public board', 'private final']
        >>> voided = table.assign(public_rank=pd.array([None, 1, 2], dtype="Int64"),
        ...                       private_rank=pd.array([None, 1, 2], dtype="Int64"))
        >>> len(draw_shakeup(voided, Figure().subplots()).lines)   # #1: neither board, no line
        2
    """
    if len(table) == 0:
        return _nothing(ax, "no public claims yet")
    # A submission ranked on neither board (a voided public claim, never placed) has no line.
    table = table[table["public_rank"].notna() | table["private_rank"].notna()]
    if len(table) == 0:
        return _nothing(ax, "nothing ranked yet")
    ranks = pd.concat([table["public_rank"], table["private_rank"]]).dropna()
    bottom = int(ranks.max()) + 1 if len(ranks) else 1
    for row in table.itertuples():
        public, private = row.public_rank, row.private_rank
        label = f"#{row.id} {row.entrant}"
        if pd.notna(public) and pd.notna(private):
            change = int(public) - int(private)
            color = "#2e8b57" if change > 0 else RED if change < 0 else GREY
            ax.plot([0, 1], [int(public), int(private)], "-o", color=color, linewidth=1.5)
            text = f"{label} ({change:+d})" if change else label
            ax.annotate(text, (1, int(private)), xytext=(6, 0), textcoords="offset points",
                        va="center", fontsize=8)  # fmt: skip
        else:
            side = 0 if pd.notna(public) else 1
            rank = int(public) if pd.notna(public) else int(private)
            ax.plot([side], [rank], "o", color=BLUE)
            ax.plot([1 - side], [bottom], "x", color=GREY)
            ax.annotate(label, (side, rank), xytext=(6 if side else -6, 0), fontsize=8,
                        textcoords="offset points", va="center",
                        ha="left" if side else "right")  # fmt: skip
    ax.set_xlim(-0.6, 1.9)
    ax.set_ylim(bottom + 0.5, 0.5)
    ax.set_xticks([0, 1], ["public board", "private final"])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("rank")
    ax.set_title(title or "Shake-up: public board → private final", fontsize=10)
    _plain(ax)
    return ax


# --- gas by action ------------------------------------------------------------------------------


def gas_by_action(
    source: Market | Chain | Sequence[TxRecord], *, setup: bool = False, ax: Axes | None = None
) -> Axes:
    """Gas of the session's transactions by action (a market's, a chain's, or given records).
    ``setup=True`` includes the deployment's transactions."""
    chain = getattr(source, "chain", source)
    records = getattr(chain, "history", chain)
    if isinstance(records, str) or not hasattr(records, "__iter__"):
        raise ConfigurationError(
            f"gas_by_action takes a Market, a Chain or transaction records, not "
            f"{type(source).__name__}."
        )
    return draw_gas(history.gas_by_action(records, setup=setup), axes(ax))


def draw_gas(table: pd.DataFrame, ax: Axes) -> Axes:
    """Draw a :func:`~mlmarket.market.history.gas_by_action` table: a bar per action (gas of
    what succeeded; gas burned by failures in red beside it), count and mean as labels."""
    if len(table) == 0:
        return _nothing(ax, "no transactions yet")
    ordered = table.iloc[::-1]  # most gas on top
    names = [str(action) for action in ordered.index]
    bars = ax.barh(names, ordered["gas"], color=BLUE, label="succeeded")
    if ordered["failed_gas"].any():
        ax.barh(names, ordered["failed_gas"], left=ordered["gas"], color=RED,
                label="failed (burned)")  # fmt: skip
        ax.legend(fontsize=8, frameon=False)
    labels = [
        f"{int(n)}× · {mean:,.0f} each" if n else ""
        for n, mean in zip(ordered["transactions"], ordered["gas_per_transaction"], strict=True)
    ]
    ax.bar_label(bars, labels=labels, fontsize=7, padding=3)
    ax.set_xlabel("gas")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    ax.set_xlim(0, float((ordered["gas"] + ordered["failed_gas"]).max()) * 1.35)
    ax.set_title("Gas by action", fontsize=10)
    _plain(ax)
    return ax


# --- collection revenue --------------------------------------------------------------------------


def collection_revenue(
    collections: CollectionService, collection: Collection | int, *, ax: Axes | None = None
) -> Axes:
    """What a collection paid its curator (the cut of each sale) and each contributor (their
    share of the sales, and bounties), claimed or not."""
    table = history.collection_revenue(collections, collection)
    col = collections.get(collection)
    return draw_revenue(table, axes(ax, (7, 3.5)), title=f"Revenue of {col.schema['name']!r}")


def draw_revenue(table: pd.DataFrame, ax: Axes, *, title: str = "") -> Axes:
    """Draw a :func:`~mlmarket.market.history.collection_revenue` table: stacked bars of sales
    and bounty per account, the total on top."""
    if len(table) == 0:
        return _nothing(ax, "no revenue yet")
    names = [f"{who}\n({role})" if role == "curator" else str(who)
             for who, role in zip(table.index, table["role"], strict=True)]  # fmt: skip
    ax.bar(names, table["sales"], color=BLUE, label="share of sales")
    top = ax.bar(names, table["bounty"], bottom=table["sales"], color=ORANGE, label="bounty")
    ax.bar_label(top, labels=[_tokens(v) for v in table["revenue"]], fontsize=8, padding=2)
    ax.set_ylabel("tokens")
    ax.set_ylim(0, max(1.0, float(table["revenue"].max())) * 1.2)
    ax.set_title(title or "Collection revenue", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    _plain(ax)
    return ax


def _tokens(value: Any) -> str:
    return f"{float(value):,.2f}".rstrip("0").rstrip(".")
