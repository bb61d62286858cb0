"""Competition phases in human terms: when an action opens or closed, in chain time.

The contract refuses a step outside its phase with ``CompetitionNotInPhase(expected,
actual)``, two phase numbers. :class:`~mlmarket.market.Competition` turns that into a
:class:`CompetitionPhaseError` (a subclass, so ``except CompetitionNotInPhase`` still
catches it) whose sentence gives the deadline and how far it is from chain time, and the
dashboard says the same in the tooltip of a button the phase does not allow.

Example:
    >>> ends = {"submission": 1_797_123_300, "reveal": 1_797_209_700}
    >>> phase_refusal("submission", "reveal", ends, now=1_797_124_020)
    'Submissions closed at 2026-12-13 00:55:00 UTC, 12 min ago (chain time). The competition is in its reveal phase until 2026-12-14 00:55:00 UTC (in 23 h 48 min).'
    >>> phase_refusal("reveal", "submission", ends, now=1_797_115_800)
    'Reveals open at 2026-12-13 00:55:00 UTC, in 2 h 5 min (chain time). The competition is in its submission phase.'
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from mlmarket.contracts.errors import CompetitionNotInPhase
from mlmarket.market.tables import unix

__all__ = ["PHASES", "CompetitionPhaseError", "duration", "moment", "phase_refusal", "relative"]

PHASES = ("submission", "reveal", "test_reveal", "evaluation", "default_evaluation", "finalized")
"""The phases in order, as ``Competition.phase`` names them (index = the contract's number)."""

STEPS = {
    "submission": "Submissions",
    "reveal": "Reveals",
    "test_reveal": "The test-set reveal",
    "evaluation": "Evaluation",
}
"""What each phase lets people do, as the subject of "… open(s) at" and "… closed at"."""


class CompetitionPhaseError(CompetitionNotInPhase):
    """A step refused because the competition is not in its phase, said in chain time.

    ``needed`` and ``current`` name the phases, ``now`` is the chain time (Unix seconds)
    the sentence was written at; ``expected`` and ``actual`` keep the contract's numbers.
    """

    def __init__(self, message: str, args_dict: dict[str, object], *, now: int) -> None:
        super().__init__(message, args_dict)
        self.needed = PHASES[int(args_dict["expected"])]
        self.current = PHASES[int(args_dict["actual"])]
        self.now = now


def duration(seconds: float) -> str:
    """A span of time in its two largest units: ``2 d 3 h``, ``5 min``, ``59 s``.

    Example:
        >>> duration(2 * 86_400 + 3 * 3_600 + 59), duration(125 * 60), duration(59)
        ('2 d 3 h', '2 h 5 min', '59 s')
    """
    left = int(seconds)
    if left < 0:
        return "-" + duration(-left)
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts[:2]) if parts else f"{left} s"


def moment(when: datetime | float) -> str:
    """A Unix time or a ``Timestamp`` as ``YYYY-MM-DD HH:MM:SS UTC``.

    Example:
        >>> moment(0), moment(pd.Timestamp("2026-12-13 00:55", tz="UTC"))
        ('1970-01-01 00:00:00 UTC', '2026-12-13 00:55:00 UTC')
    """
    return datetime.fromtimestamp(unix(when), tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def relative(when: datetime | float, now: int) -> str:
    """``in 2 h 5 min`` or ``12 min ago``: ``when`` seen from ``now`` (Unix seconds).

    Example:
        >>> relative(1_000, now=280), relative(280, now=1_000)
        ('in 12 min', '12 min ago')
    """
    left = unix(when) - now
    return f"in {duration(left)}" if left > 0 else f"{duration(-left)} ago"


def phase_refusal(
    needed: str,
    current: str,
    ends: Mapping[str, Any],
    now: int,
    *,
    test_revealed: bool = False,
) -> str:
    """Why a step of phase ``needed`` cannot be taken in phase ``current``, in chain time.

    ``ends`` maps phases to their deadlines (Unix seconds or Timestamps; missing ones
    are skipped), as ``Competition.deadlines()`` gives them; ``now`` is chain time;
    ``test_revealed`` whether the creator revealed the test set (it tells a test-set
    reveal that is over from one that never had to happen). ``"evaluation"`` stands for
    both evaluation phases; ``"finalized"`` for finalizing and claiming.
    """
    known = {p: unix(t) for p, t in ends.items() if t is not None and not pd.isna(t)}
    if needed == current or (needed == "evaluation" and current == "default_evaluation"):
        return f"The competition is in its {_label(current)} phase: this step is open."
    if PHASES.index(current) < PHASES.index(needed):
        said, deadline = _not_yet(needed, current, known, now)
    else:
        said, deadline = _over(needed, current, known, now, test_revealed)
    if deadline is not None and deadline == known.get(current):  # said already
        return f"{said} The competition is in its {_label(current)} phase."
    return f"{said} {_now_in(current, known, now)}"


def _label(phase: str) -> str:
    return phase.replace("_", " ")


def _at(deadline: int, now: int) -> str:
    """``at <moment>, <relative> (chain time)``."""
    return f"at {moment(deadline)}, {relative(deadline, now)} (chain time)"


def _not_yet(needed: str, current: str, ends: dict[str, int], now: int) -> tuple[str, int | None]:
    """The step comes in a later phase: when it opens (and the deadline said)."""
    if needed == "reveal":
        return f"Reveals open {_at(ends['submission'], now)}.", ends["submission"]
    if needed == "test_reveal":
        start = _at(ends["reveal"], now)
        return f"The test set can be revealed from the end of the reveals, {start}.", ends["reveal"]
    if needed == "evaluation" and current == "test_reveal":
        latest = _at(ends["test_reveal"], now)
        said = f"Evaluation opens once the creator reveals the test set, at the latest {latest}."
        return said, ends["test_reveal"]
    if needed == "evaluation":
        start = _at(ends["reveal"], now)
        return f"Evaluation opens after the test-set reveal, at the earliest {start}.", ends[
            "reveal"
        ]
    end = ends.get(current)
    early = ", or earlier once every revealed model is scored" if "evaluation" in current else ""
    until = f" {_at(end, now)}{early}" if end is not None else ""
    said = (
        "Prizes can be claimed (and the competition finalized) once it is over: its "
        f"{_label(current)} phase ends{until}."
    )
    return said, end


def _over(
    needed: str, current: str, ends: dict[str, int], now: int, test_revealed: bool
) -> tuple[str, int | None]:
    """The competition is past the step's phase: when it closed, or why it ended early."""
    end = ends.get(needed)
    if needed == "evaluation" and "default_evaluation" in ends:
        end = ends["default_evaluation"]
    if needed == "test_reveal" and test_revealed:
        return "The test set is already revealed.", None
    if needed in ("test_reveal", "evaluation") and end is not None and now < end:
        if needed == "evaluation" and (test_revealed or "default_evaluation" in ends):
            return "Evaluation is over before its deadline: every revealed model is scored.", None
        what = "evaluate" if needed == "evaluation" else "test"
        said = (
            f"No submission was revealed by the end of the reveals ({moment(ends['reveal'])}), "
            f"so there is nothing to {what}."
        )
        return said, None
    step = STEPS.get(needed, _label(needed).capitalize())
    if end is None:
        return f"{step} {'are' if step.endswith('s') else 'is'} over.", None
    return f"{step} closed at {moment(end)}, {relative(min(end, now), now)} (chain time).", end


def _now_in(current: str, ends: dict[str, int], now: int) -> str:
    """``The competition is in its <phase> phase until <moment> (<relative>).``"""
    if current == "finalized":
        return "The competition is finalized."
    end = ends.get(current)
    if end is None or end <= now:
        return f"The competition is in its {_label(current)} phase."
    return (
        f"The competition is in its {_label(current)} phase until {moment(end)} "
        f"({relative(end, now)})."
    )
