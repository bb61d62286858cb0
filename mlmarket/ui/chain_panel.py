"""Chain & clock panel: backend, block, time; time travel, snapshots, save and load.

Example:
    >>> panel = ChainPanel(market)
    >>> panel.day.click()                        # a day later, on chain
    >>> panel.state.block == market.chain.block_number
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from mlmarket.errors import ConfigurationError
from mlmarket.market import Market
from mlmarket.market.sessions import list_sessions, written_at
from mlmarket.ui.base import (
    CompetitionPicker,
    InputError,
    Panel,
    dropdown,
    required,
    set_options,
    text,
)
from mlmarket.ui.phases import LABELS, PUBLIC_WINDOW, next_deadline
from mlmarket.ui.render import duration, when

if TYPE_CHECKING:
    from mlmarket.ui.state import MarketState

HOUR = 3_600
DAY = 86_400


def session_label(folder: Path) -> str:
    """How a journaled session reads in the dropdown: when its last block was written, and
    the end of its folder's name (``<chain id>-<random>``) to tell sessions apart.

    Example:
        >>> folder = market.chain.journal.path.parent
        >>> session_label(folder).startswith("last block written 20")
        True
    """
    return f"last block written {when(written_at(folder))} · session …{folder.name[-8:]}"


class ChainPanel(Panel):
    """Where the chain stands, and the controls that move it.

    * ``hour`` / ``day``: advance the clock (mines a block there);
    * ``competition`` + ``to_deadline``: advance to the end of the selected
      competition's current phase (with a public board, the test-reveal phase stops first
      at the end of its public window, when the private test set may be revealed);
    * ``snap`` / ``snapshots`` + ``revert``: take and go back to snapshots;
    * ``folder`` + ``save`` / ``load``: the whole session to and from a folder
      (loading replaces the dashboard's market: use ``panel.market`` afterwards);
    * ``sessions`` + ``resume``: go back to another session journaled in the market's
      home, where it stopped (e.g. the one whose kernel died).
    """

    title = "Chain & clock"
    css = "mlm-chain-panel"
    watches = ("backend", "block", "time", "tx_count", "snapshots", "error", "polling", "market")

    def __init__(self, source: Market | MarketState, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self.info = widgets.HTML()
        self.info.add_class("mlm-chain-info")
        self.hour = self.button("+1 hour", "mlm-advance-hour", lambda: self._advance(HOUR))
        self.day = self.button("+1 day", "mlm-advance-day", lambda: self._advance(DAY))
        self.picker = CompetitionPicker(self.state, "mlm-chain-competition")
        self.competition = self.picker.widget
        self.competition.observe(lambda _: self.enable(), names="value")
        self.to_deadline = self.button(
            "→ next deadline", "mlm-advance-deadline", self._to_deadline,
            tip="advance to the end of the selected competition's current phase",
        )  # fmt: skip
        self.snap = self.button("Snapshot", "mlm-snapshot", self._snapshot)
        self.snapshots = dropdown("Snapshot", "mlm-snapshots")
        self.revert = self.button("Revert", "mlm-revert", self._revert, style="warning")
        self.folder = text("Folder", "mlm-folder", placeholder="session folder, e.g. my-session")
        self.save = self.button("Save", "mlm-save", self._save)
        self.load = self.button("Load", "mlm-load", self._load)
        self.sessions = dropdown("Session", "mlm-sessions")
        self.resume = self.button(
            "Resume", "mlm-resume", self._resume,
            tip="go back to this journaled session, where it stopped",
        )  # fmt: skip
        self._ready(
            self.info,
            widgets.HBox([self.hour, self.day, self.competition, self.to_deadline]),
            widgets.HBox([self.snap, self.snapshots, self.revert]),
            widgets.HBox([self.folder, self.save, self.load]),
            widgets.HBox([self.sessions, self.resume]),
        )

    # --- view --------------------------------------------------------------------------

    def render(self) -> None:
        state = self.state
        polling = " · polling for other processes" if state.polling else ""
        journal = self.market.chain.journal
        journal = (
            f'<br><span class="mlm-journal">journaled to {journal.path.parent}</span>'
            if journal is not None
            else ""
        )
        error = f'<br><span class="mlm-msg-error">{state.error}</span>' if state.error else ""
        self.info.value = (
            f"<b>{state.backend}</b>{polling}<br>"
            f'block <b class="mlm-block">{state.block}</b> · '
            f'time <b class="mlm-time">{when(state.time)}</b> · '
            f'<span class="mlm-tx-count">{state.tx_count}</span> transactions{journal}{error}'
        )
        set_options(self.snapshots, [(label, snap_id) for snap_id, label in state.snapshots])
        others = self._other_sessions()
        set_options(self.sessions, others)
        if self.sessions.value is None and others:
            self.sessions.value = others[0][1]  # the most recent other session
        self.enable()

    def _other_sessions(self) -> list[tuple[str, str]]:
        current = self.market.chain.journal
        options = []
        for folder in list_sessions(self.market.home):
            if current is not None and folder == current.path.parent:
                continue
            options.append((session_label(folder), str(folder)))
        return options

    def enable(self) -> None:
        local = self.market.chain.is_local
        for button in (self.hour, self.day, self.snap, self.save):
            button.disabled = not local
        self.to_deadline.disabled = not local or self.competition.value is None
        self.revert.disabled = not local or self.snapshots.value is None
        self.load.disabled = False
        self.resume.disabled = self.sessions.value is None

    # --- actions -----------------------------------------------------------------------

    def _advance(self, seconds: int) -> None:
        self.market.clock.advance(seconds)
        self.state.sync()
        self.ok(f"Advanced {duration(seconds)} to {when(self.state.time)}.")

    def _to_deadline(self) -> None:
        competition = self.state.competition(self.competition.value)
        if competition is None:
            raise InputError("Choose a competition first.")
        found = next_deadline(competition, self.market.clock.now())
        if found is None:
            raise InputError(f"Competition #{self.competition.value} has no deadline ahead.")
        phase, deadline = found
        self.market.clock.advance_to(deadline)
        self.state.sync()
        if phase == PUBLIC_WINDOW:
            self.ok(
                f"Advanced to {when(deadline)}: the public window is over; the private test "
                "set can be revealed."
            )
            return
        self.ok(f"Advanced to {when(deadline)}: the {LABELS[phase].lower()} phase is over.")

    def _snapshot(self) -> None:
        snap_id = self.market.chain.snapshot()
        label = f"#{snap_id} · block {self.state.block} · {when(self.state.time)}"
        self.state.remember_snapshot(snap_id, label)
        self.snapshots.value = snap_id
        self.ok(f"Snapshot {label} taken.")

    def _revert(self) -> None:
        if self.snapshots.value is None:
            raise InputError("Take a snapshot first.")
        self.market.chain.revert(self.snapshots.value)
        self.state.sync()
        self.ok(f"Reverted to snapshot {self.snapshots.label}.")

    def _save(self) -> None:
        folder = Path(required(self.folder.value, "folder to save the session to"))
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{folder} is a file; choose a folder.")
        self.market.save(folder)
        self.ok(f"Saved the session to {folder}.")

    def _load(self) -> None:
        folder = Path(required(self.folder.value, "folder to load the session from"))
        if not folder.is_dir():
            raise InputError(f"There is no folder {folder}.")
        try:
            loaded = Market.load(folder, home=self.market.home)
        except (OSError, ValueError, KeyError) as error:
            if isinstance(error, ConfigurationError):
                raise
            raise InputError(f"{folder} does not hold a readable session: {error}") from None
        self.state.market = loaded
        self.state.refresh()
        self.ok(f"Loaded the session from {folder}: block {self.state.block}.")

    def _resume(self) -> None:
        if self.sessions.value is None:
            raise InputError("No other session is journaled in this market's home.")
        folder = Path(self.sessions.value)
        resumed = Market.load(folder, home=self.market.home)
        self.state.market = resumed
        self.state.refresh()
        self.ok(f"Resumed the session {folder.name} where it stopped: block {self.state.block}.")
