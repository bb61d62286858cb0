"""Keeping the dashboard current when the chain changes without telling this session.

Two mechanisms, both on the kernel's own thread:

* :func:`on_cell_end` — after every notebook cell, the state compares a cheap
  fingerprint of the chain (time travel, reverts and anything else that sends no
  transaction through the market show up there);
* :class:`Poller` — only for chains other processes can change (any JSON-RPC
  node, or an anvil this session did not start): a task on the kernel's asyncio
  event loop that compares the fingerprint every few seconds. Network reads run
  in the loop's default executor, so a slow node never blocks the kernel; the
  values are applied to the widgets back on the loop. An in-process chain is
  never read from another thread.

Polling is off where there is no running event loop (scripts, headless test
runs) and when ``MLMARKET_UI_POLL=0``.

Example:
    >>> chain_is_shared(market.chain)          # revm lives in this process
    False
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from mlmarket.chain import Chain
    from mlmarket.ui.state import MarketState

POLL_ENV = "MLMARKET_UI_POLL"
"""Set to ``0`` to turn polling off (CI, headless runs)."""
DEFAULT_INTERVAL = 2.0
T = TypeVar("T")


def chain_is_shared(chain: Chain) -> bool:
    """Whether another process can change ``chain``: a remote node or an anvil we did not start."""
    if not chain.is_local:
        return True
    return chain.kind == "anvil" and getattr(chain.backend, "process", None) is None


def polling_allowed() -> bool:
    """False when ``MLMARKET_UI_POLL`` is ``0``/``off``/``false``."""
    return os.environ.get(POLL_ENV, "1").strip().lower() not in ("0", "off", "false", "no")


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running this code (a Jupyter kernel's), or None in a plain script."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def later(delay: float, callback: Callable[[], Any]) -> bool:
    """Run ``callback`` on the running loop after ``delay`` seconds; False if no loop runs."""
    loop = running_loop()
    if loop is None:
        return False
    loop.call_later(delay, callback)
    return True


def on_cell_end(callback: Callable[[], Any]) -> bool:
    """Call ``callback`` after every IPython cell; False outside IPython."""
    shell = _shell()
    if shell is None:
        return False
    shell.events.register("post_execute", callback)
    return True


def off_cell_end(callback: Callable[[], Any]) -> None:
    """Undo :func:`on_cell_end`."""
    shell = _shell()
    if shell is not None:
        try:
            shell.events.unregister("post_execute", callback)
        except ValueError:
            pass


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return None
    return get_ipython()


class Poller:
    """Watches a state's chain from the kernel's event loop.

    Example:
        >>> poller = Poller(state, interval=2.0)
        >>> poller.start()          # False in a plain script: there is no running loop
        False
    """

    def __init__(self, state: MarketState, interval: float = DEFAULT_INTERVAL) -> None:
        self.state = state
        self.interval = interval
        self.checks = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> bool:
        """Start polling on the running loop; False (and nothing started) if it cannot."""
        loop = running_loop()
        if loop is None or not polling_allowed():
            return False
        if not self.running:
            self._task = loop.create_task(self._run())
        return True

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def check_soon(self) -> bool:
        """Schedule one check on the running loop; False if no loop runs here."""
        loop = running_loop()
        if loop is None:
            return False
        loop.create_task(self.check())
        return True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.check()

    async def check(self) -> bool:
        """Compare the fingerprint; on a change read everything and apply it. Say if it changed."""
        state = self.state
        market = state.market
        self.checks += 1
        try:
            seen = await self._off_loop(state.peek)
            if seen == state.seen and not state.dirty:
                return False
            reading = await self._off_loop(state.read)
        except state.errors as error:
            state.error = f"Could not read the chain: {error}"
            return False
        if state.market is market:  # a session loaded meanwhile makes this reading stale
            state.commit(reading)
        return True

    async def _off_loop(self, read: Callable[[], T]) -> T:
        """Run a read in the executor for remote chains; inline for the in-process one."""
        if self.state.market.chain.in_process:
            return read()
        future: Awaitable[T] = asyncio.get_running_loop().run_in_executor(None, read)
        return await future
