"""The mechanism lab: agents on the real contracts, seeded Monte Carlo runs and sweeps.

Agents (:mod:`mlmarket.sim.agents`) act on a seeded local market — the real contracts,
exact gas — following a scenario's schedule (:mod:`mlmarket.sim.scenario`); :func:`run`
and :func:`sweep` return one tidy pandas frame with radCAD's columns (``simulation``,
``subset``, ``run``, ``timestep``, ``substep``), each agent's profit, the winner's
quality on the hidden test set and the gas of each action. Sweeps run in processes
(joblib) or on a Dask cluster (``executor=`` a ``dask.distributed.Client``; the
``mlmarket[sim]`` extra). Tokens are checked after every timestep
(:mod:`mlmarket.sim.ledger`). ``sim`` imports ``market``, never the reverse.

Example:
    >>> from mlmarket import sim
    >>> frame = sim.run("honest", runs=2, seed=7)                       # doctest: +SKIP
    >>> frame.groupby("run")["winner_quality"].last()                   # doctest: +SKIP
    >>> grid = sim.sweep("sybil_default", {"bond": [0.5, 1]}, runs=3, seed=1)  # doctest: +SKIP
"""

from mlmarket.sim import agents, scenarios
from mlmarket.sim.ledger import SimulationInvariantError
from mlmarket.sim.scenario import Context, Scenario, Step
from mlmarket.sim.sweep import MissingExtraError, load, run, save, sweep

__all__ = [
    "Context",
    "MissingExtraError",
    "Scenario",
    "SimulationInvariantError",
    "Step",
    "agents",
    "load",
    "run",
    "save",
    "scenarios",
    "sweep",
]
