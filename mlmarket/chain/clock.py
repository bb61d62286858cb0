"""The session clock: block time on local chains, with time travel."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from mlmarket.errors import BackendNotSupportedError, ConfigurationError

if TYPE_CHECKING:
    from mlmarket.chain.core import Chain


class Clock:
    """Chain time in Unix seconds.

    On local chains time runs with the wall clock plus an offset that
    :meth:`advance` and :meth:`advance_to` move forward; every transaction's block
    is stamped with it, on eth-tester and anvil alike. On other networks time is
    the network's own and cannot move.

    A **simulated** clock (``wall``: a function that always returns the genesis time, as
    a seeded :meth:`mlmarket.Market.local` gives it) does not follow the wall clock at all:
    each block is one second after the last, and only :meth:`advance` and
    :meth:`advance_to` move time further, so two runs stamp the same blocks alike.

    Example:
        >>> start = chain.clock.now()
        >>> chain.clock.advance(86_400)             # a day later
        >>> chain.clock.now() - start >= 86_400
        True
    """

    def __init__(
        self, chain: Chain, offset: int = 0, wall: Callable[[], int] | None = None
    ) -> None:
        self._chain = chain
        self.offset = offset
        self._wall = wall or _wall_clock
        self.simulated = wall is not None

    def wall(self) -> int:
        """What the clock counts from: the wall clock, or a simulated clock's fixed start."""
        return self._wall()

    def latest_block_time(self) -> int:
        return self._chain.backend.latest_block()[0]

    def now(self) -> int:
        """The time the next block would carry, at least the latest block's time."""
        latest = self.latest_block_time()
        if not self._chain.is_local:
            return max(latest, int(time.time()))
        return max(latest, self._wall() + self.offset)

    def next_block_timestamp(self, latest: int | None = None) -> int:
        """The time the next block gets (``latest``: the latest block's, if known)."""
        if latest is None:
            latest = self.latest_block_time()
        return max(latest + 1, self._wall() + self.offset)

    def advance(self, seconds: int) -> int:
        """Move time forward by ``seconds`` and mine a block there; return the new time."""
        if seconds < 0:
            raise ConfigurationError(
                f"Time only moves forward (got {seconds} s); use chain.revert() to go back."
            )
        return self.advance_to(self.now() + int(seconds))

    def advance_to(self, timestamp: int | datetime) -> int:
        """Move time forward to ``timestamp`` (Unix seconds, or a timezone-aware
        ``datetime`` / ``pandas.Timestamp``, as the tables show) and mine a block there."""
        if not self._chain.is_local:
            raise BackendNotSupportedError(
                f"Time cannot be moved on a {self._chain.kind} network; use a local chain."
            )
        timestamp = _unix(timestamp)
        latest = self.latest_block_time()
        if timestamp <= latest:
            raise ConfigurationError(
                f"Cannot move the clock to {timestamp}: the latest block is already at {latest}. "
                "Time only moves forward; use chain.revert() to go back."
            )
        self.offset = timestamp - self._wall()
        self._chain.mine(timestamp)
        return timestamp


def _wall_clock() -> int:
    return int(time.time())


def _unix(moment: int | datetime) -> int:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ConfigurationError(
                f"{moment} has no time zone, so the chain time it means is ambiguous; "
                "give it one (e.g. pandas.Timestamp(..., tz='UTC')) or Unix seconds."
            )
        return int(moment.timestamp())
    return int(moment)
