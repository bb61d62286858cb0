"""Progress bars for long work (scoring a competition, uploading to the content store).

``show=None`` means *in a notebook*: a bar appears when a Jupyter kernel runs the code
(a widget under the cell) and never in scripts, tests or the command line; ``True`` and
``False`` force it on or off. A ``delay`` keeps quick work silent: the bar appears only
once the work has run that long.

Example:
    >>> wanted(None)                          # not in a notebook here
    False
    >>> import io
    >>> list(track([1, 2, 3], show=True, label="Counting", unit="item", file=io.StringIO()))
    [1, 2, 3]
    >>> wanted("yes")
    Traceback (most recent call last):
    ...
    mlmarket.errors.ConfigurationError: progress must be True, False or None (notebooks), not 'yes'.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from mlmarket.errors import ConfigurationError

T = TypeVar("T")

__all__ = ["bar", "in_notebook", "track", "wanted"]


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (IPython with a kernel attached)."""
    ipython = sys.modules.get("IPython")  # never imported just to ask
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def wanted(show: bool | None) -> bool:
    """Whether to show a bar: ``show`` itself, or for ``None`` whether we run in a notebook."""
    if show is None:
        return in_notebook()
    if not isinstance(show, bool):
        raise ConfigurationError(f"progress must be True, False or None (notebooks), not {show!r}.")
    return show


def bar(
    *, total: float | None, label: str, unit: str, delay: float = 0.0, file: Any = None,
    unit_scale: bool = False,
) -> Any:  # fmt: skip
    """A tqdm bar (a widget in a notebook, text elsewhere); ``update(n)`` it, ``close()`` it."""
    if file is not None or not in_notebook():
        from tqdm import tqdm

        return tqdm(total=total, desc=label, unit=unit, delay=delay, unit_scale=unit_scale,
                    file=file if file is not None else sys.stderr)  # fmt: skip
    from tqdm.notebook import tqdm as notebook_tqdm

    return notebook_tqdm(total=total, desc=label, unit=unit, delay=delay, unit_scale=unit_scale)


def track(
    items: Iterable[T], *, show: bool | None, label: str, unit: str, delay: float = 0.0,
    file: Any = None,
) -> Iterator[T]:  # fmt: skip
    """``items``, advancing a bar by one per item when :func:`wanted` says so (checked now,
    not when the iteration starts)."""
    if not wanted(show):
        return iter(items)
    total = len(items) if hasattr(items, "__len__") else None
    return _advancing(items, bar(total=total, label=label, unit=unit, delay=delay, file=file))


def _advancing(items: Iterable[T], progress: Any) -> Iterator[T]:
    try:
        for item in items:
            yield item
            progress.update(1)
    finally:
        progress.close()
