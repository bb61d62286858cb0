"""Scenarios: agents, market parameters and a schedule on the chain clock.

A :class:`Scenario` names its agents (a tuple, or a module-level function of the params
that returns them, so that a sweep can change who takes part), default ``params`` (what
a sweep varies), the data (a sample dataset split into public training rows and a
hidden test set) and a ``schedule``: a tuple of :class:`Step`. Each step is one
*timestep* of the results: the clock moves (to a competition deadline, then ``after``
seconds more), then each agent acts once, in order (each action a *substep*).

Example:
    >>> from mlmarket.sim.agents import Creator, Evaluator, Participant
    >>> s = Scenario("two", agents=(Creator("alice"), Participant("bob"), Evaluator("erin")),
    ...              params={"reward": 100}, schedule=COMPETITION_SCHEDULE)
    >>> [step.name for step in s.schedule][:3]
    ['open', 'submit', 'reveal']
    >>> s.with_params(reward=50).params["reward"]
    50
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from mlmarket.market import Market
    from mlmarket.market.collections import Collection
    from mlmarket.market.competition import Competition
    from mlmarket.sim.agents import Agent

__all__ = [
    "COLLECTION_SCHEDULE",
    "COMPETITION_SCHEDULE",
    "OPTIMISTIC_SCHEDULE",
    "Context",
    "Scenario",
    "Step",
]

HOUR = 3_600
DAY = 86_400


@dataclass(frozen=True)
class Step:
    """One timestep: move the clock to the end of competition phase ``until`` (if it is
    later), then ``after`` seconds more; then every agent acts once at step ``name``."""

    name: str
    until: str | None = None
    after: int = 0


COMPETITION_SCHEDULE = (
    Step("open"),
    Step("submit", after=HOUR),
    Step("reveal", until="submission"),
    Step("reveal_test", until="reveal"),
    Step("evaluate", until="test_reveal"),
    Step("finalize", until="evaluation"),
    Step("claim"),
)
"""A competition from creation to payout: the steps competition agents act at."""

OPTIMISTIC_SCHEDULE = (
    *COMPETITION_SCHEDULE[:5],
    Step("watch", after=HOUR),
    Step("settle", after=DAY),
    *COMPETITION_SCHEDULE[5:],
)
"""An optimistic competition: claims are posted at ``evaluate``, checked at ``watch`` and
settled at ``settle``, once their challenge window (12 hours by default) is over."""

COLLECTION_SCHEDULE = (
    Step("open"),
    Step("contribute", after=HOUR),
    Step("review", after=DAY),
    Step("settle", after=3 * DAY),
    Step("claim"),
)
"""A crowdsourced collection: contributions, a review a day later, settling after three
more days (batches the curator left alone count as accepted once their window passed)."""


@dataclass(frozen=True)
class Scenario:
    """Agents + params + schedule + data: what :func:`mlmarket.sim.run` plays."""

    name: str
    agents: Sequence[Agent] | Callable[[Mapping[str, Any]], Sequence[Agent]]
    params: Mapping[str, Any] = field(default_factory=dict)
    schedule: Sequence[Step] = COMPETITION_SCHEDULE
    data: str = "breast_cancer"
    target: str = "diagnosis"
    test_size: float = 0.3
    split_seed: int = 0
    description: str = ""

    def agents_for(self, params: Mapping[str, Any]) -> list[Agent]:
        """The agents that play with ``params``."""
        agents = self.agents(params) if callable(self.agents) else self.agents
        agents = list(agents)
        names = [a.name for a in agents]
        if len(set(names)) != len(names):
            raise ValueError(f"Agent names must be unique in a scenario; got {names}.")
        return agents

    def with_params(self, **params: Any) -> Scenario:
        """This scenario with some params changed."""
        return replace(self, params={**self.params, **params})

    def split(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Public training rows and the hidden test set (the same for every run)."""
        from sklearn.model_selection import train_test_split

        from mlmarket.datasets import load_sample

        frame = load_sample(self.data)
        train, test = train_test_split(
            frame, test_size=self.test_size, random_state=self.split_seed,
            stratify=frame[self.target],
        )  # fmt: skip
        return train, test


@dataclass
class Context:
    """What agents see while a run plays: the market, the run's params and random
    stream, the data, and what earlier actions made (the competition, the collection,
    ``notes`` agents leave each other)."""

    market: Market
    params: Mapping[str, Any]
    rng: np.random.Generator
    train: pd.DataFrame
    test: pd.DataFrame
    target: str
    scenario_name: str
    competition: Competition | None = None
    collection: Collection | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    run: int = 0
    _streams: dict[str, np.random.Generator] = field(default_factory=dict, repr=False)

    def param(self, name: str, default: Any = None) -> Any:
        """The run's value of param ``name`` (``default`` if the scenario has none)."""
        return self.params.get(name, default)

    def stream(self, name: str) -> np.random.Generator:
        """Agent ``name``'s random stream in this run: the same in every subset of a sweep
        (it depends on the sweep's seed, the run and the name, not on the params), so that
        subsets differ by their params alone — common random numbers: a participant draws
        the same training rows, a curator the same coin flips, whatever the bond or the
        window. ``rng`` is the run's own stream, different in every subset."""
        if name not in self._streams:
            key = [int(b) for b in name.encode()]
            entropy = np.random.SeedSequence([self.seed, self.run, *key])
            self._streams[name] = np.random.default_rng(entropy)
        return self._streams[name]
