"""Rendering helpers: HTML tables, matplotlib figures as PNG, times and amounts.

Widgets are updated in place (``html.value = table(...)``, ``image.value =
png(figure)``), so nothing is rebuilt and nothing flickers.

Example:
    >>> import pandas as pd
    >>> html = table(pd.DataFrame({"a": [1, 2]}), css="mlm-demo")
    >>> html.startswith('<table class="mlm-table mlm-demo">')
    True
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from decimal import Decimal
from html import escape
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from mlmarket.market.phases import duration, moment  # noqa: F401 - duration: for the panels
from mlmarket.market.tables import twins

STYLE = """<style>
.mlm-table { border-collapse: collapse; font-size: 12px; margin: 4px 0; line-height: 1.5; }
.mlm-table th, .mlm-table td { padding: 2px 6px; border-bottom: 1px solid #ddd; text-align: right;
  white-space: nowrap; }
.mlm-table th { background: #f4f4f6; }
.mlm-table td.mlm-text, .mlm-table th.mlm-text { text-align: left; }
.mlm-table td.mlm-wrap { white-space: normal; min-width: 7em; max-width: 16em; }
.mlm-feedback:empty { display: none; }
.mlm-feedback { margin: 2px 0 4px 0; }
a.mlm-download { font-size: 12px; margin-left: 6px; }
.mlm-table tr.mlm-winner td { background: #fff3c4; font-weight: bold; }
.mlm-table tr.mlm-ineligible td { color: #888; }
.mlm-table tr.mlm-failed td { color: #a40000; }
.mlm-failed-total { color: #a40000; }
.mlm-table tr.mlm-total td { border-top: 2px solid #999; font-weight: bold; }
.mlm-empty { color: #777; font-style: italic; }
.mlm-msg-error { color: #a40000; }
.mlm-msg-ok { color: #1d6b1d; }
.mlm-phase { display: inline-block; padding: 2px 8px; margin: 1px; border-radius: 3px;
  background: #eee; color: #555; font-size: 12px; }
.mlm-phase.mlm-current { background: #2a6ebb; color: white; font-weight: bold; }
.mlm-phase.mlm-done { background: #cfe3cf; color: #333; }
.mlm-phase.mlm-skipped { background: #f4f4f4; color: #999; text-decoration: line-through; }
.mlm-burned { color: #a40000; font-weight: bold; }
.mlm-table td.mlm-rise { color: #1d6b1d; font-weight: bold; }
.mlm-table td.mlm-fall { color: #a40000; font-weight: bold; }
.mlm-board-heading { font-size: 12px; margin-top: 4px; }
.mlm-boards > .widget-vbox, .mlm-boards > .widget-html { margin-right: 12px; }
</style>"""

RowClass = Callable[[Any, pd.Series], str]
CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def table(
    frame: pd.DataFrame,
    *,
    css: str = "",
    index: bool = True,
    formats: Mapping[str, Callable[[Any], str]] | None = None,
    row_class: RowClass | None = None,
    empty: str = "nothing yet",
    limit: int | None = None,
    wrap: Collection[str] = (),
    cell_class: Mapping[str, Callable[[Any], str]] | None = None,
) -> str:
    """An HTML table of ``frame``: escaped, numbers right-aligned, rows optionally tagged.

    ``row_class(index, row)`` returns CSS classes for a row (e.g. ``"mlm-winner"``);
    ``formats`` maps column names to formatters; ``limit`` keeps the first rows; the text of
    the ``wrap`` columns wraps, between words and ``camelCase`` parts (to keep a wide table
    narrow). An amount column with an
    exact twin (``<name>_exact``) shows the exact value, rounded by :func:`amount`; the
    twin is not shown. ``cell_class`` maps column names to a function of the cell's value
    giving CSS classes for its cell (e.g. ``"mlm-rise"``, a rank change coloured).

    Example:
        >>> html = table(pd.DataFrame({"change": [2, -1]}), index=False,
        ...              cell_class={"change": lambda v: "mlm-rise" if v > 0 else "mlm-fall"})
        >>> html.count("mlm-rise"), html.count("mlm-fall")
        (1, 1)
    """
    if frame is None or len(frame) == 0:
        return f'<div class="mlm-empty {css}">{escape(empty)}</div>'
    formats = formats or {}
    classes = cell_class or {}
    shown = frame if limit is None else frame.head(limit)
    exact = twins(shown)
    columns = [c for c in shown.columns if c not in exact.values()]
    names = ([shown.index.name or ""] if index else []) + [str(c) for c in columns]
    head = "".join(f'<th class="{_align(None)}">{escape(n)}</th>' for n in names)
    rows = []
    for key, row in shown.iterrows():
        cells: list[tuple[Any, Callable[[Any], str] | None, str, str]] = (
            [(key, None, "", "")] if index else []
        )
        cells += [(row[exact.get(c, c)], formats.get(str(c)), " mlm-wrap" * (str(c) in wrap),
                   _extra(classes.get(str(c)), row[exact.get(c, c)]))
                  for c in columns]  # fmt: skip
        tds = "".join(
            f'<td class="{_align(v)}{w}{x}">{_breakable(escape(_show(v, f), quote=False), w)}</td>'
            for v, f, w, x in cells
        )
        tag = row_class(key, row) if row_class else ""
        rows.append(f'<tr class="{tag}" data-key="{escape(str(key))}">{tds}</tr>')
    body = "".join(rows)
    return (
        f'<table class="mlm-table {css}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def _extra(classes: Callable[[Any], str] | None, value: Any) -> str:
    """A cell's extra CSS classes (with a leading space), from its column's ``cell_class``."""
    said = classes(value) if classes is not None else ""
    return f" {escape(said)}" if said else ""


def _breakable(text: str, wrap: str) -> str:
    """In a wrapping cell, let ``camelCase`` names break between words (``<wbr>``)."""
    return CAMEL.sub("<wbr>", text) if wrap else text


def _align(value: Any) -> str:
    numeric = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    return "mlm-num" if numeric else "mlm-text"


def _show(value: Any, formatter: Callable[[Any], str] | None) -> str:
    if formatter is not None:
        return formatter(value)
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, Decimal):
        return amount(value)
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, datetime):
        return when(value)
    return str(value)


def amount(value: Decimal | float | int, places: int = 2) -> str:
    """Tokens or ETH for people: thousands separators, at most ``places`` decimals.

    Example:
        >>> amount(Decimal("1234.5"))
        '1,234.5'
    """
    text = f"{Decimal(str(value)):,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def when(timestamp: datetime | int | float | None) -> str:
    """A Unix time or a ``Timestamp`` as ``YYYY-MM-DD HH:MM:SS UTC``.

    Example:
        >>> when(0), when(pd.Timestamp(60, unit="s", tz="UTC"))
        ('1970-01-01 00:00:00 UTC', '1970-01-01 00:01:00 UTC')
    """
    if timestamp is None or timestamp is pd.NaT:
        return "–"
    return moment(timestamp)


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes for an ``ipywidgets.Image`` (no pyplot, no global state)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue()


def download_link(text: str, name: str, label: str = "download CSV") -> str:
    """An HTML link that saves ``text`` as the file ``name`` in the browser (a data URI: it
    works in JupyterLab, the classic notebook and Voila alike).

    Example:
        >>> download_link("a,b\\n1,2\\n", "t.csv")  # doctest: +ELLIPSIS
        '<a class="mlm-download" download="t.csv" href="data:text/csv;base64,YSxiCjEsMgo=">...'
    """
    data = base64.b64encode(text.encode()).decode()
    return (
        f'<a class="mlm-download" download="{escape(name)}" '
        f'href="data:text/csv;base64,{data}">{escape(label)}</a>'
    )


def message(text: str, *, error: bool = False) -> str:
    """A one-line message for a panel's feedback area (escaped)."""
    kind = "mlm-msg-error" if error else "mlm-msg-ok"
    return f'<span class="{kind}">{escape(text, quote=False)}</span>'


def show(output: Any, obj: Any) -> None:
    """Replace what an ``ipywidgets.Output`` shows with ``obj`` (HTML if it has some), in place.

    Works with and without a kernel (``with output:`` needs one to capture), and
    creates no IPython shell.
    """
    data = {"text/plain": repr(obj)}
    html = getattr(obj, "_repr_html_", None)
    if callable(html) and (rendered := html()) is not None:
        data["text/html"] = rendered
    output.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)
