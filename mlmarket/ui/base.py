"""The panel base class: a VBox bound to a :class:`MarketState`, with a feedback line.

Every action a panel offers runs through :meth:`Panel.act`: inside
``state.batch()`` (one refresh at the end), with its buttons disabled while it
runs, and with any :class:`~mlmarket.errors.MlmarketError` — a contract revert,
a bad file, a form the panel refused — shown as its sentence in the panel
instead of a traceback. Form values are never cleared by a failure.

What an action says appears at the top of its panel, under the title, and is
cleared once it is stale: when the chain moves on (a new block, a revert, a
loaded session), another competition is selected, or a field of the panel is
changed.

Example:
    >>> from mlmarket.ui import ChainPanel
    >>> panel = ChainPanel(market)               # any panel, on its own
    >>> panel.folder.value = ""
    >>> panel.save.click()                       # refused in the panel, not raised
    >>> panel.feedback.value
    '<span class="mlm-msg-error">Give the folder to save the session to; it cannot be empty.</span>'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import ipywidgets as widgets
import pandas as pd
from traitlets import Instance, observe

from mlmarket.errors import ConfigurationError, MlmarketError
from mlmarket.market.tables import csv_text
from mlmarket.ui.phases import LABELS
from mlmarket.ui.render import STYLE, download_link, message
from mlmarket.ui.state import MarketState

if TYPE_CHECKING:
    from mlmarket.market import Market

T = TypeVar("T")


class InputError(ConfigurationError):
    """A form value the panel refuses before sending anything."""


INPUTS = (widgets.Text, widgets.Textarea, widgets.Dropdown, widgets.Checkbox, widgets.FileUpload,
          widgets.DatetimePicker, widgets.FloatText, widgets.IntText, widgets.IntSlider,
          widgets.FloatSlider, widgets.FloatLogSlider, widgets.SelectMultiple)  # fmt: skip
"""The widgets a person types into or picks from: changing one makes a message stale."""
MOVED_ON = ("block", "market", "selected_competition")
"""State traits whose change makes what an action said stale."""


def inputs(widget: widgets.Widget) -> Iterator[widgets.Widget]:
    """``widget`` and every widget inside it that takes input (see :data:`INPUTS`)."""
    if isinstance(widget, INPUTS):
        yield widget
    for child in getattr(widget, "children", ()):
        yield from inputs(child)


class Panel(widgets.VBox):
    """A dashboard panel: a view of a :class:`MarketState` plus the actions it offers.

    Subclasses build their widgets in ``__init__``, list the state traits they show
    in ``watches`` and draw them in :meth:`render` (called once, then on changes).
    """

    title = "Panel"
    css = "mlm-panel"
    watches: Sequence[str] = ()

    def __init__(self, source: Market | MarketState, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = MarketState.of(source)
        self.feedback = widgets.HTML(value="")
        self.feedback.add_class("mlm-feedback")
        self.add_class("mlm-panel")
        self.add_class(self.css)
        self._actions: list[widgets.Button] = []
        self._acting = False
        self._news: str | None = None
        self._from_action = False

    def _ready(self, *children: widgets.Widget) -> None:
        """Lay out the children under a title and the feedback line, and start rendering
        the state."""
        heading = widgets.HTML(f"{STYLE}<b>{self.title}</b>")
        self.children = (heading, self.feedback, *children)
        if self.watches:
            self.state.observe(self._on_state, names=list(self.watches))
        self.state.observe(self._stale, names=list(MOVED_ON))
        for child in children:
            for field in inputs(child):
                field.observe(self._stale, names="value")
        self.render()

    def _stale(self, change: dict[str, Any]) -> None:
        """Clear what the last action said once the chain, the selection or a field changed
        (a message a panel says outside an action, about its form, is its own to clear)."""
        if not self._acting and self._from_action:
            self.feedback.value = ""
            self._from_action = False

    def _on_state(self, change: dict[str, Any]) -> None:
        self.render()

    def render(self) -> None:
        """Draw the state into the widgets (in place); override."""

    def enable(self) -> None:
        """Enable exactly the actions valid now; override where some depend on state."""
        for button in self._actions:
            button.disabled = False

    @property
    def market(self) -> Market:
        return self.state.market

    # --- actions ---------------------------------------------------------------------

    def button(
        self, label: str, css: str, action: Callable[[], Any], *, style: str = "", tip: str = ""
    ) -> widgets.Button:
        """A button whose click runs ``action`` through :meth:`act`."""
        button = widgets.Button(description=label, button_style=style, tooltip=tip or label)
        button.add_class(css)
        button.on_click(lambda _: self.act(action))
        self._actions.append(button)
        return button

    def act(self, action: Callable[[], T]) -> T | None:
        """Run ``action``: one refresh at the end, errors shown as sentences, buttons idle.

        The outcome's message appears last, once the state is refreshed and the
        buttons valid now are enabled again (so what it says is what the panel shows).
        """
        for button in self._actions:
            button.disabled = True
        self._acting, self._news = True, None
        self.feedback.value, self._from_action = "", False  # the last outcome is stale now
        try:
            with self.state.batch():
                result = action()
        except MlmarketError as error:
            self.fail(str(error))
            return None
        except Exception as error:  # a bug: say so in the panel, and let the kernel log it
            self.fail(f"Unexpected {type(error).__name__}: {error}")
            raise
        finally:
            self._acting = False
            self.enable()
            if self._news is not None:
                self.feedback.value, self._from_action = self._news, True
        return result

    def ok(self, text: str) -> None:
        """Say that an action worked (shown when the action is over)."""
        self._say(message(text))

    def fail(self, text: str) -> None:
        """Say why an action was refused (shown when the action is over)."""
        self._say(message(text, error=True))

    def _say(self, html: str) -> None:
        if self._acting:
            self._news = html
        else:
            self.feedback.value, self._from_action = html, False

    def export(self, frame: pd.DataFrame, name: str, folder: str | Path = ".") -> Path:
        """Write ``frame`` as CSV (:func:`~mlmarket.market.tables.csv_text`) to ``folder``/``name``
        and say where."""
        path = Path(folder) / name
        try:
            path.write_text(csv_text(frame))
        except OSError as error:
            raise InputError(f"Could not write {path}: {error.strerror or error}.") from None
        self.ok(f"Wrote {len(frame)} rows to {path.resolve()}.")
        return path


# --- form helpers -------------------------------------------------------------------


def dropdown(label: str, css: str, options: Iterable[Any] = (), **kwargs: Any) -> widgets.Dropdown:
    """A labelled dropdown with a stable CSS class, wide enough for its longest option."""
    kwargs.setdefault("layout", widgets.Layout(width="max-content", min_width="200px"))
    widget = widgets.Dropdown(description=label, options=list(options), **kwargs)
    widget.add_class(css)
    return widget


EXPORT_TIP = "write the table as a CSV file in the kernel's working folder (the notebook's)"


class Exporter(widgets.HBox):
    """A table's export: ``button`` writes the CSV to ``folder`` (the kernel's working
    folder by default), ``link`` downloads it in the browser. ``update(frame, name)``
    keeps both on the table shown."""

    def __init__(self, panel: Panel, css: str, folder: str | Path = ".") -> None:
        super().__init__()
        self.folder = Path(folder)
        self.frame, self.name = pd.DataFrame(), "table.csv"
        self.panel = panel
        self.button = panel.button("Export CSV", css, self._write, tip=EXPORT_TIP)
        self.link = widgets.HTML()
        self.link.add_class(f"{css}-link")
        self.children = (self.button, self.link)

    def _write(self) -> Path:
        return self.panel.export(self.frame, self.name, self.folder)

    def update(self, frame: pd.DataFrame, name: str) -> None:
        """Offer ``frame`` as ``name``."""
        self.frame, self.name = frame, name
        self.link.value = download_link(csv_text(frame), name) if len(frame) else ""


class IsoDatetime(widgets.HBox):
    """A date and time typed as ``YYYY-MM-DD HH:MM`` in UTC (the chain's time zone), shown
    the same in every browser (a native date picker follows the browser's locale).

    ``value`` is the aware ``datetime`` (or None while the text is not a date);
    :meth:`checked` gives it or raises :class:`InputError` with the sentence.

    Example:
        >>> field = IsoDatetime("Ends", "mlm-demo-when")
        >>> field.text.value = "2026-12-08 20:42"
        >>> field.value
        datetime.datetime(2026, 12, 8, 20, 42, tzinfo=datetime.timezone.utc)
        >>> field.text.value = "8/12/26"
        >>> field.checked()
        Traceback (most recent call last):
        ...
        mlmarket.ui.base.InputError: Ends must be a UTC date and time like 2026-12-08 20:42, not...
    """

    FORMAT = "%Y-%m-%d %H:%M"
    value = Instance(datetime, allow_none=True)

    def __init__(self, label: str, css: str) -> None:
        super().__init__()
        self.label = label
        self.text = widgets.Text(description=f"{label} (UTC)", placeholder="YYYY-MM-DD HH:MM",
                                 style={"description_width": "initial"})  # fmt: skip
        self.text.observe(self._typed, names="value")
        self.add_class(css)
        self.children = (self.text,)

    def _typed(self, change: dict[str, Any]) -> None:
        self.value = self._read(change["new"])

    @observe("value")
    def _show(self, change: dict[str, Any]) -> None:
        """Show a value set from code (to the second), unless the text already says it."""
        moment = change["new"]
        if moment is not None and self._read(self.text.value) != moment:
            moment = moment.astimezone(UTC)
            self.text.value = moment.strftime(f"{self.FORMAT}:%S" if moment.second else self.FORMAT)

    def _read(self, typed: str) -> datetime | None:
        try:
            return self.parse(typed)
        except InputError:
            return None

    def parse(self, typed: str) -> datetime:
        """``typed`` as an aware datetime (UTC unless it names its offset), or
        :class:`InputError` saying what to type."""
        try:
            parsed = datetime.fromisoformat(typed.strip())
        except ValueError:
            example = datetime(2026, 12, 8, 20, 42).strftime(self.FORMAT)
            raise InputError(
                f"{self.label} must be a UTC date and time like {example}, not {typed!r}."
            ) from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed

    def checked(self) -> datetime:
        """The typed date and time, or :class:`InputError` saying what to type."""
        return self.parse(self.text.value)


def text(label: str, css: str, value: str = "", **kwargs: Any) -> widgets.Text:
    widget = widgets.Text(description=label, value=value, **kwargs)
    widget.add_class(css)
    return widget


def set_options(widget: widgets.Dropdown, options: Sequence[Any]) -> None:
    """Replace a dropdown's options in place, keeping the selection when it still exists."""
    options = list(options)
    current = widget.value
    if list(widget.options) == options:
        return
    values = [o[1] if isinstance(o, tuple) else o for o in options]
    widget.options = options
    if current in values and widget.value != current:
        widget.value = current


def positive_amount(value: str | float | int, what: str, *, allow_zero: bool = True) -> Decimal:
    """A token amount from a form field: a number, not negative (nor zero unless allowed).

    Example:
        >>> positive_amount("2.5", "price")
        Decimal('2.5')
        >>> positive_amount("-1", "price")
        Traceback (most recent call last):
        ...
        mlmarket.ui.base.InputError: The price cannot be negative (got -1).
    """
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InputError(f"The {what} must be a number, not {str(value)!r}.") from None
    if not number.is_finite():
        raise InputError(f"The {what} must be a finite number, not {value}.")
    if number < 0:
        raise InputError(f"The {what} cannot be negative (got {value}).")
    if number == 0 and not allow_zero:
        raise InputError(f"The {what} must be more than zero.")
    return number


def whole_number(value: str | int, what: str, *, low: int = 0, high: int | None = None) -> int:
    """A whole number from a form field or slider, from ``low`` (to ``high`` if given).

    Example:
        >>> whole_number(" 3 ", "number of trees", low=1, high=32)
        3
        >>> whole_number("2.5", "seed")
        Traceback (most recent call last):
        ...
        mlmarket.ui.base.InputError: The seed must be a whole number of at least 0 (got '2.5').
    """
    try:
        number: int | None = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or number < low or (high is not None and number > high):
        bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise InputError(f"The {what} must be a whole number {bound} (got {value!r}).")
    return number


def required(value: str, what: str) -> str:
    """A non-blank text field, stripped.

    Example:
        >>> required("  Cancer data ", "name")
        'Cancer data'
    """
    stripped = value.strip()
    if not stripped:
        raise InputError(f"Give the {what}; it cannot be empty.")
    return stripped


def account_names(market: Market) -> list[str]:
    """The market's named accounts, in order."""
    return list(market.accounts)


def picker_label(index: int, row: pd.Series) -> str:
    """How a competition reads in a picker: ``#0 Diagnosis challenge · Test-set reveal``.

    Example:
        >>> picker_label(0, pd.Series({"name": "Diagnosis", "phase": "test_reveal"}))
        '#0 Diagnosis · Test-set reveal'
    """
    phase = str(row["phase"])
    return f"#{index} {row['name']} · {LABELS.get(phase, phase)}"


class CompetitionPicker:
    """A dropdown of the market's competitions, bound both ways to
    ``state.selected_competition`` (so every panel acts on the same one).

    Example:
        >>> picker = CompetitionPicker(state, "mlm-demo-competition")
        >>> picker.widget.value == state.selected_competition
        True
    """

    def __init__(self, state: MarketState, css: str) -> None:
        self.state = state
        self.widget = dropdown("Competition", css, layout=widgets.Layout(width="360px"))
        self._syncing = False
        self.widget.observe(self._chosen, names="value")
        state.observe(lambda _: self.sync(), names=["competitions", "selected_competition"])
        self.sync()

    @property
    def value(self) -> int | None:
        return self.widget.value

    def _chosen(self, change: dict[str, Any]) -> None:
        if not self._syncing and change["new"] is not None:
            self.state.selected_competition = change["new"]

    def sync(self) -> None:
        """Offer the state's competitions, and show the selected one."""
        table = self.state.competitions
        options = [(picker_label(int(i), row), int(i)) for i, row in table.iterrows()]
        self._syncing = True
        try:
            set_options(self.widget, options)
            chosen = self.state.selected_competition
            if chosen is not None and self.widget.value != chosen:
                self.widget.value = chosen
        finally:
            self._syncing = False
