"""Competition phases as the dashboard shows them: order, next deadline, timeline.

Example:
    >>> timeline({"submission": 100, "reveal": 200}, "reveal", now=150)  # doctest: +ELLIPSIS
    '<div class="mlm-timeline">...'
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from mlmarket.ui.render import duration, when

PHASES = ("submission", "reveal", "test_reveal", "evaluation", "finalized")
"""Every phase of a competition, in order."""

LABELS = {
    "submission": "Submission",
    "reveal": "Reveal",
    "test_reveal": "Test-set reveal",
    "evaluation": "Evaluation",
    "finalized": "Finalized",
}


def next_deadline(competition: Any, now: int) -> tuple[str, int] | None:
    """The first phase deadline after ``now`` as ``(phase, timestamp)``, or None.

    Phases run ``[previous end, end)``: at its deadline a phase is already over.

    Example:
        >>> class Comp:
        ...     def deadlines(self): return {"submission": 100, "reveal": 200}
        >>> next_deadline(Comp(), 150)
        ('reveal', 200)
    """
    ahead = sorted(
        (int(ts), phase) for phase, ts in competition.deadlines().items() if int(ts) > now
    )
    if not ahead:
        return None
    timestamp, phase = ahead[0]
    return phase, timestamp


def timeline(deadlines: Mapping[str, int], phase: str, *, now: int) -> str:
    """HTML: every phase as a chip (done, current, to come) with its deadline."""
    current = PHASES.index(phase) if phase in PHASES else -1
    chips = []
    for index, name in enumerate(PHASES):
        state = "mlm-done" if index < current else "mlm-current" if index == current else ""
        deadline = deadlines.get(name)
        detail = ""
        if deadline is not None:
            left = int(deadline) - now
            detail = f"<br><small>ends {when(deadline)}"
            detail += f" (in {duration(left)})</small>" if left > 0 else "</small>"
        chips.append(
            f'<span class="mlm-phase {state}" data-phase="{name}">'
            f"{escape(LABELS.get(name, name))}{detail}</span>"
        )
    return f'<div class="mlm-timeline">{"".join(chips)}</div>'
