"""``MarketState``: the one model every dashboard widget is a view of.

Widgets never read the chain themselves. They observe traits of a
:class:`MarketState` and re-render in place when one changes; actions send their
transactions through the market and the state catches up:

* every transaction sent through the market (``chain.on_transaction``) updates
  block, time and the transaction log at once, and re-reads the tables
  (balances, listings, competitions, ...) — right away, or at the end of a
  :meth:`MarketState.batch`, or at most once per ``min_interval`` seconds in a
  long-running cell, with the rest flushed when the cell ends;
* after every notebook cell a cheap fingerprint (block, latest hash, history
  length, clock offset) catches what no transaction announced: time travel,
  reverts, a loaded session;
* on chains other processes can change, a :class:`~mlmarket.ui.polling.Poller`
  compares the fingerprint on the kernel's event loop (see ``polling.py``).

Example:
    >>> state = MarketState.of(market)
    >>> state.block == market.chain.block_number
    True
    >>> market.token.transfer("bob", 5, sender="alice")   # doctest: +SKIP
    >>> state.balances.loc["bob", "tokens"]                  # doctest: +SKIP
    1005.0
"""

from __future__ import annotations

import time as wallclock
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import pandas as pd
from traitlets import Any as AnyTrait
from traitlets import Bool, Dict, HasTraits, Instance, Int, Tuple, Unicode, observe
from web3.exceptions import Web3Exception

from mlmarket.errors import MlmarketError
from mlmarket.ui import polling
from mlmarket.ui.reading import Fingerprint, Reading, fingerprint, read_events, read_tables

if TYPE_CHECKING:
    from mlmarket.chain.core import TxRecord
    from mlmarket.market import Market

REFRESH_ERRORS = (MlmarketError, OSError, Web3Exception)
"""What a refresh may meet on a node that went away; shown, never raised into a widget."""

_STATES: weakref.WeakValueDictionary[int, MarketState] = weakref.WeakValueDictionary()
"""The state of each market by ``id(market)`` (a state keeps its market alive)."""


def _frame() -> Instance:
    return Instance(pd.DataFrame, args=(), allow_none=False)


class MarketState(HasTraits):
    """Everything the dashboard shows, read from one :class:`~mlmarket.market.Market`.

    Use :meth:`of` to get the state of a market (one per market, shared by every
    panel). Traits: ``backend``, ``block``, ``time``, ``tx_count``,
    ``transactions`` (the session's ``TxRecord`` s), ``balances``, ``listings``,
    ``purchases``, ``events``, ``competitions``, ``leaderboards`` (competition
    id → DataFrame; with a public board, the private board), ``public_boards``,
    ``teams`` and ``stakes`` (competition id → DataFrame), ``selected_competition``,
    ``revision`` (bumped by every refresh that changed something), ``error`` (why the
    last refresh failed).

    Example:
        >>> state = MarketState(market, poll=False)
        >>> with state.batch():                      # one refresh at the end
        ...     _ = market.token.transfer("bob", 1, sender="alice")
        ...     _ = market.token.transfer("bob", 1, sender="carol")
        >>> state.tx_count == len(market.chain.history)
        True
    """

    market = AnyTrait(help="the Market shown; replaced by a loaded session")
    backend = Unicode(help="what the chain is: kind, chain id, local or shared")
    block = Int(help="latest block number")
    time = Int(help="chain time (Unix seconds) at the last refresh")
    tx_count = Int(help="transactions this session sent")
    transactions = Tuple(help="the session's TxRecords, oldest first")
    balances = _frame()
    listings = _frame()
    purchases = _frame()
    events = _frame()
    competitions = _frame()
    leaderboards = Dict(
        help="competition id -> leaderboard DataFrame (the private board, "
        "with public_rank and rank_change, where there is a public board)"
    )
    public_boards = Dict(
        help="competition id -> public leaderboard DataFrame (competitions with a public board)"
    )
    teams = Dict(help="competition id -> comp.teams() (competitions that allow teams)")
    stakes = Dict(help="competition id -> comp.stakes() (performance stakes, once finalized)")
    selected_competition = Int(None, allow_none=True, help="the competition panels act on")
    snapshots = Tuple(help="(id, label) of snapshots taken from the dashboard")
    revision = Int(help="bumped by every refresh that changed something")
    error = Unicode(help="why the last refresh failed, or ''")
    polling = Bool(False, help="whether a poller watches the chain for other processes")

    def __init__(
        self, market: Market, *, poll: bool | None = None, min_interval: float | None = None
    ) -> None:
        super().__init__()
        self._hold = 0
        self._dirty = False
        self._last_refresh = 0.0
        self._unsubscribe: Callable[[], None] | None = None
        self._seen: Fingerprint | None = None
        self._events_cursor: tuple[int, bytes] | None = None
        self._hooked = polling.on_cell_end(self._after_cell)
        if min_interval is None:
            min_interval = 1.0 if self._hooked else 0.0  # throttle only where cells end
        self.min_interval = min_interval
        self.poller = polling.Poller(self)
        self.market = market
        self.refresh()
        if poll or (poll is None and polling.chain_is_shared(market.chain)):
            self.polling = self.poller.start()

    @classmethod
    def of(cls, source: Market | MarketState) -> MarketState:
        """The shared state of ``source`` (a Market or a state), made on first use."""
        if isinstance(source, MarketState):
            return source
        state = _STATES.get(id(source))
        return state if state is not None and state.market is source else cls(source)

    # --- subscription ---------------------------------------------------------------

    @observe("market")
    def _market_changed(self, change: dict[str, Any]) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._unsubscribe = change["new"].chain.on_transaction(self._on_transaction)
        self._seen = None
        self._events_cursor = None
        self.snapshots = ()
        self.selected_competition = None
        _STATES[id(change["new"])] = self

    def _on_transaction(self, record: TxRecord) -> None:
        chain = self.market.chain
        self.set_trait("block", record.block)
        self.set_trait("time", max(record.timestamp, self.time))
        self.transactions = tuple(chain.history)
        self.tx_count = len(chain.history)
        self._dirty = True
        recent = wallclock.monotonic() - self._last_refresh < self.min_interval
        if self._hold:
            return
        if recent:
            polling.later(self.min_interval, self.flush)
            return
        self.flush()

    # --- refreshing -------------------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[MarketState]:
        """Defer the table refresh of every transaction inside to one at the end."""
        self._hold += 1
        try:
            yield self
        finally:
            self._hold -= 1
            if not self._hold:
                self.flush()

    def flush(self) -> None:
        """Refresh if a transaction was seen since the last refresh: now, or — on a shared
        node, where reads go over the network — soon, off the kernel's thread."""
        if not self._dirty or self._hold:
            return
        if not (self.polling and self.poller.check_soon()):
            self.refresh()

    errors = REFRESH_ERRORS

    @property
    def seen(self) -> Fingerprint | None:
        """The chain's fingerprint at the last refresh."""
        return self._seen

    @property
    def dirty(self) -> bool:
        """Whether a transaction arrived since the last table refresh."""
        return self._dirty

    def peek(self) -> Fingerprint:
        """The chain's fingerprint now (two cheap reads)."""
        return fingerprint(self.market)

    def sync(self) -> bool:
        """Refresh if the chain changed since the last look (cheap check); say if it did."""
        try:
            changed = self.peek() != self._seen
        except REFRESH_ERRORS as error:
            self.error = f"Could not read the chain: {error}"
            return False
        if changed or self._dirty:
            self.refresh()
        return changed

    def _after_cell(self) -> None:
        if not (self.polling and self.poller.check_soon()):  # remote: read off the thread
            self.sync()

    def refresh(self) -> None:
        """Re-read everything from the market; only traits whose value changed notify."""
        try:
            reading = self.read()
        except REFRESH_ERRORS as error:
            self.error = f"Could not read the chain: {error}"
            return
        self.commit(reading)

    def read(self) -> Reading:
        """Read everything (no trait is touched: safe to run off the kernel's thread)."""
        market = self.market
        seen = fingerprint(market)
        values = read_tables(market)
        cursor, values["events"] = read_events(market, self.events, self._events_cursor)
        return Reading(values, cursor, seen)

    def commit(self, reading: Reading) -> bool:
        """Apply a :meth:`read` to the traits."""
        self._dirty = False
        self._last_refresh = wallclock.monotonic()
        self._events_cursor = reading.cursor
        self._seen = reading.seen
        return self.apply(reading.values)

    def apply(self, values: dict[str, Any]) -> bool:
        """Set the given traits where they differ; bump ``revision`` if any did."""
        changed = False
        with self.hold_trait_notifications():
            for name, value in values.items():
                if not _same(getattr(self, name), value):
                    self.set_trait(name, value)
                    changed = True
            if self.error:
                self.error = ""
            if changed:
                self.revision += 1
            self._keep_selection()
        return changed

    def _keep_selection(self) -> None:
        """Select the newest competition when none (or one that no longer exists) is."""
        indexes = [int(i) for i in self.competitions.index]
        if self.selected_competition not in indexes:
            self.selected_competition = indexes[-1] if indexes else None

    # --- small helpers for panels ------------------------------------------------------

    def remember_snapshot(self, snap_id: int, label: str) -> None:
        """Record a snapshot taken from the dashboard so views can offer it."""
        self.snapshots = (*self.snapshots, (snap_id, label))

    def board(self, competition_id: int | None = None) -> pd.DataFrame | None:
        """The leaderboard of ``competition_id`` (default: the selected one), if known."""
        chosen = self.selected_competition if competition_id is None else competition_id
        boards = cast("dict[int, pd.DataFrame]", self.leaderboards)
        return boards.get(chosen) if chosen is not None else None

    def public_board(self, competition_id: int | None = None) -> pd.DataFrame | None:
        """The public leaderboard of ``competition_id`` (default: the selected one), or None
        (no public board)."""
        return self._table("public_boards", competition_id)

    def team_table(self, competition_id: int | None = None) -> pd.DataFrame | None:
        """The teams of ``competition_id`` (default: the selected one), or None (teams are
        not allowed)."""
        return self._table("teams", competition_id)

    def stake_table(self, competition_id: int | None = None) -> pd.DataFrame | None:
        """The performance stakes of ``competition_id`` (default: the selected one) once it
        is finalized, or None."""
        return self._table("stakes", competition_id)

    def _table(self, trait: str, competition_id: int | None) -> pd.DataFrame | None:
        chosen = self.selected_competition if competition_id is None else competition_id
        tables = cast("dict[int, pd.DataFrame]", getattr(self, trait))
        return tables.get(chosen) if chosen is not None else None

    def competition(self, competition_id: int | None = None) -> Any:
        """The competition handle for ``competition_id`` (default: the selected one)."""
        chosen = self.selected_competition if competition_id is None else competition_id
        if chosen is None:
            return None
        return self.market.competitions.get(chosen)

    def close(self) -> None:
        """Stop listening and polling (the widgets keep their last values)."""
        self.poller.stop()
        self.polling = False
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._hooked:
            polling.off_cell_end(self._after_cell)
            self._hooked = False


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, pd.DataFrame) or isinstance(new, pd.DataFrame):
        return (
            isinstance(old, pd.DataFrame)
            and isinstance(new, pd.DataFrame)
            and old.shape == new.shape
            and list(old.columns) == list(new.columns)
            and (old.equals(new) or _same_cells(old, new))
        )
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    if isinstance(old, list | tuple) and isinstance(new, list | tuple):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    if _missing(old) and _missing(new):
        return True
    try:
        return bool(old == new)
    except (TypeError, ValueError):
        return False


def _same_cells(old: pd.DataFrame, new: pd.DataFrame) -> bool:
    """Whether two frames ``equals`` calls different hold the same values: an object column
    may hold tables (a competition's ``claims``), which ``equals`` never finds equal."""
    if not old.index.equals(new.index) or list(old.dtypes) != list(new.dtypes):
        return False
    for column in old.columns:
        a, b = old[column], new[column]
        if a.dtype != object:
            if not a.equals(b):
                return False
        elif not all(_same(x, y) for x, y in zip(a, b, strict=True)):
            return False
    return True


def _missing(value: Any) -> bool:
    """A scalar missing value (None, NaN, NaT, NA)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and value != value
