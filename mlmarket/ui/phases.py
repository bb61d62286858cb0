"""Competition phases as the dashboard shows them: order, next deadline, timeline.

The ``default_evaluation`` phase exists only for a competition whose creator
defaulted (no test set revealed in time, or nothing scored on it by the end of
the evaluation): the models are then scored on the committed training data.
Timelines show it only there.

Example:
    >>> timeline({"submission": 100, "reveal": 200}, "reveal", now=150)  # doctest: +ELLIPSIS
    '<div class="mlm-timeline">...'
    >>> shown_phases({"submission": 100}, "reveal")
    ('submission', 'reveal', 'test_reveal', 'evaluation', 'finalized')
    >>> shown_phases({"default_evaluation": 300}, "finalized")[-2:]
    ('default_evaluation', 'finalized')
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from html import escape
from typing import Any

from mlmarket.market.tables import unix
from mlmarket.ui.render import duration, when

DEFAULT_EVALUATION = "default_evaluation"
"""The phase after a creator default (scoring on the training data)."""

PHASES = ("submission", "reveal", "test_reveal", "evaluation", DEFAULT_EVALUATION, "finalized")
"""Every phase of a competition, in order (as ``Competition.phase`` names them)."""

LABELS = {
    "submission": "Submission",
    "reveal": "Reveal",
    "test_reveal": "Test-set reveal",
    "evaluation": "Evaluation",
    DEFAULT_EVALUATION: "Default evaluation",
    "finalized": "Finalized",
}

PUBLIC_WINDOW = "public_window"
"""Not a phase: the first part of the test-reveal phase of a competition with a public board,
while public claims can still be challenged (the private test set waits for its end)."""

OUTCOMES = {
    "pending": "Pending",
    "ranked": "Ranked",
    "defaulted": "Defaulted",
    "returned_to_creator": "Returned to creator",
}
"""How each ``Competition.outcome`` reads in the panels (the contract's ``Outcome`` names)."""


def outcome_label(outcome: str) -> str:
    """The outcome as the panels show it.

    Example:
        >>> outcome_label("defaulted"), outcome_label("returned_to_creator")
        ('Defaulted', 'Returned to creator')
    """
    return OUTCOMES.get(outcome, outcome.replace("_", " ").capitalize())


def shown_phases(deadlines: Mapping[str, Any], phase: str) -> tuple[str, ...]:
    """The phases a timeline lists: ``default_evaluation`` only after a default
    (it has a deadline then, or is the current phase)."""
    defaulted = phase == DEFAULT_EVALUATION or deadlines.get(DEFAULT_EVALUATION) is not None
    return tuple(p for p in PHASES if p != DEFAULT_EVALUATION or defaulted)


def next_deadline(competition: Any, now: int) -> tuple[str, int] | None:
    """The end of the competition's current phase as ``(phase, timestamp)``, else the
    first phase deadline after ``now``, or None.

    Phases run ``[previous end, end)``: at its deadline a phase is already over. After
    a default the evaluation phase is skipped, so the current phase's deadline comes
    first (a default at the test-reveal deadline ends when the evaluation would have).

    With a public board, the test-reveal phase stops first at the end of its public window
    (:data:`PUBLIC_WINDOW`: from then the private test set can be revealed; its deadline
    would be the creator's default).

    Example:
        >>> class Comp:
        ...     def deadlines(self): return {"submission": 100, "reveal": 200}
        >>> next_deadline(Comp(), 150)
        ('reveal', 200)
        >>> Comp.phase, Comp.public_checks_end = "test_reveal", 250
        >>> next_deadline(Comp(), 210)
        ('public_window', 250)
    """
    ends = {phase: unix(ts) for phase, ts in competition.deadlines().items()}
    current = getattr(competition, "phase", None)
    checks = getattr(competition, "public_checks_end", None)
    if current == "test_reveal" and checks is not None and now < int(checks):
        return PUBLIC_WINDOW, int(checks)
    if current in ends and ends[current] > now:
        return current, ends[current]
    ahead = sorted((ts, phase) for phase, ts in ends.items() if ts > now)
    if not ahead:
        return None
    timestamp, phase = ahead[0]
    return phase, timestamp


def deadline_said(deadline: Any, now: int, *, done: bool = False) -> str:
    """A phase's deadline for its chip: ``ends … (in 5 h)`` ahead, ``ended …`` once past, and
    for a phase that is over before its deadline (the test set revealed, every model
    scored) ``ended early (deadline …)`` — never a countdown for what is finished.

    Example:
        >>> deadline_said(7_200, now=0), deadline_said(0, now=60)
        ('ends 1970-01-01 02:00:00 UTC (in 2 h)', 'ended 1970-01-01 00:00:00 UTC')
        >>> deadline_said(7_200, now=0, done=True)
        'ended early (deadline 1970-01-01 02:00:00 UTC)'
    """
    left = unix(deadline) - now
    if left <= 0:
        return f"ended {when(deadline)}"
    if done:
        return f"ended early (deadline {when(deadline)})"
    return f"ends {when(deadline)} (in {duration(left)})"


def timeline(
    deadlines: Mapping[str, Any], phase: str, *, now: int, skipped: Collection[str] = ()
) -> str:
    """HTML: every phase as a chip (done, current, to come, skipped) with its deadline
    (Unix seconds or Timestamps).

    ``skipped`` phases never ran (the evaluation, when the creator defaulted by not
    revealing the test set): they show "skipped" instead of a deadline. A finished phase
    says "ended" (see :func:`deadline_said`).
    """
    phases = shown_phases(deadlines, phase)
    current = phases.index(phase) if phase in phases else -1
    chips = []
    for index, name in enumerate(phases):
        state = "mlm-done" if index < current else "mlm-current" if index == current else ""
        deadline = deadlines.get(name)
        detail = ""
        if name in skipped:
            state, detail = "mlm-skipped", "<br><small>skipped</small>"
        elif deadline is not None:
            detail = f"<br><small>{deadline_said(deadline, now, done=index < current)}</small>"
        chips.append(
            f'<span class="mlm-phase {state}" data-phase="{name}">'
            f"{escape(LABELS.get(name, name))}{detail}</span>"
        )
    return f'<div class="mlm-timeline">{"".join(chips)}</div>'
