"""Play a scenario on a seeded local market and return one tidy frame (radCAD's columns).

A :class:`Worker` builds its market once (``Market.local(seed=...)``: a fixed genesis, a
simulated clock, its own temporary home in memory, no journal, no fsync) and takes a
snapshot; every run reverts to it, empties the vault and reseeds the salts, so runs are
independent and a run with a given seed sends the same transactions every time.

Each row of the frame is one agent action (or, in a timestep where nobody acts, the
clock moving): ``simulation``, ``subset``, ``run``, ``timestep``, ``substep`` (radCAD's
columns: a timestep is a step of the schedule, a substep one action), then ``step``,
``agent``, ``side``, ``action``, ``error`` (the named error of a refused action, ``""``
otherwise), ``gas`` and ``txs`` (of that action), the chain ``time``, the run's params
(one column each), every agent's ``balance_<agent>`` and ``profit_<agent>`` in tokens
(float; its accounts' balance, and its change since the run began), ``profit_honest``
and ``profit_attacker`` (by side), and the measures: ``winner_quality`` (the winning
model's accuracy on the hidden test set, once the competition is finalized: ranked, or
after a default, where the winner was ranked on the training data),
``entries`` (submissions committed), ``outcome``, ``collection_quality`` (a logistic
regression trained on the accepted rows, scored on the hidden test set) and
``poisoned_share`` (poisoned rows among accepted).
Timestep 0 is the state before anything happens.

After every timestep tokens are checked (:mod:`mlmarket.sim.ledger`): a broken
invariant raises :class:`~mlmarket.sim.ledger.SimulationInvariantError`.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from mlmarket.crypto import Randomness
from mlmarket.errors import ConfigurationError, ContractRevertError, TransactionFailedError
from mlmarket.market import Market
from mlmarket.sim.agents import Agent
from mlmarket.sim.ledger import Ledger
from mlmarket.sim.scenario import Context, Scenario
from mlmarket.storage import LocalStore
from mlmarket.units import from_units

__all__ = ["WORKER_SEED", "Worker", "play", "run_seed"]

WORKER_SEED = 20_260_101
"""The seed every worker's market is built with: runs differ by their own seeds only."""

KEY_COLUMNS = ["simulation", "subset", "run", "timestep", "substep"]

REFUSALS = (ContractRevertError, TransactionFailedError)
"""What an action may end in and the run goes on: the contract refused it (or the package
predicted that refusal and sent nothing). Any other error is a mistake in the scenario or
its params and stops the run."""


def run_seed(seed: int | None, subset: int, run: int) -> int:
    """The seed of run ``run`` of subset ``subset`` (a stream of its own per run)."""
    base = 0 if seed is None else int(seed)
    return int(np.random.SeedSequence([base, subset, run]).generate_state(1)[0])


class Worker:
    """One market, reused run after run (reverted to its snapshot in between)."""

    def __init__(self, backend: str | None = None) -> None:
        self.market = Market.local(backend, seed=WORKER_SEED)
        self.base = self.market.chain.snapshot()
        self.ledger = Ledger(self.market)
        self._splits: dict[tuple[Any, ...], tuple[pd.DataFrame, pd.DataFrame]] = {}

    def close(self) -> None:
        self.market.close()  # its temporary home goes with it

    def reset(self, seed: int) -> None:
        """Back to the freshly deployed market — an empty vault and content store (a
        deployment stores nothing), salts from ``seed`` — so a worker's home does not grow
        with the runs it plays."""
        market = self.market
        market.chain.revert(self.base)
        shutil.rmtree(market.vault.folder, ignore_errors=True)
        if isinstance(market.store, LocalStore):
            shutil.rmtree(market.store.root, ignore_errors=True)
            market.store = LocalStore(market.store.root, fsync=False)
        market._content.clear()
        market.random = Randomness(seed)

    def split(self, scenario: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
        key = (scenario.data, scenario.target, scenario.test_size, scenario.split_seed)
        if key not in self._splits:  # consolidated: one block of floats to slice per run
            self._splits[key] = tuple(part.copy() for part in scenario.split())  # type: ignore[assignment]
        return self._splits[key]

    def play(
        self, scenario: Scenario, params: Mapping[str, Any], *, simulation: int = 0,
        subset: int = 0, run: int = 0, seed: int | None = None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Play one run; its rows (see the module's docstring)."""
        seed_value = run_seed(seed, subset, run)
        self.reset(seed_value)
        market = self.market
        agents = scenario.agents_for(params)
        _check_accounts(market, agents)
        train, test = self.split(scenario)
        ctx = Context(
            market=market, params=dict(params), rng=np.random.default_rng(seed_value),
            train=train, test=test, target=scenario.target, scenario_name=scenario.name,
            seed=0 if seed is None else int(seed), run=run,
        )  # fmt: skip
        start = self.ledger.start()
        keys = {"simulation": simulation, "subset": subset, "run": run}
        recorder = _Recorder(ctx, self.ledger, agents, start, keys, params)
        recorder.row(0, 0, step="start", agent="", side="", action="", error="", gas=0, txs=0)
        for timestep, step in enumerate(scenario.schedule, start=1):
            _advance(ctx, step.until, step.after)
            substep = 0
            for agent in agents:
                before = len(market.chain.history)
                error = ""
                try:
                    action = agent.act(ctx, step.name)
                except REFUSALS as refused:
                    if step.name == "open":  # no market to play in: the params are wrong
                        raise ConfigurationError(
                            f"Scenario {scenario.name!r} could not open with {dict(params)}: "
                            f"{agent.name}'s {agent.intent(step.name)} was refused ({refused})"
                        ) from refused
                    action, error = agent.intent(step.name), type(refused).__name__
                if action is None:
                    continue
                records = market.chain.history[before:]
                substep += 1
                recorder.row(
                    timestep, substep, step=step.name, agent=agent.name, side=agent.side,
                    action=action, error=error, gas=sum(r.gas_used for r in records),
                    txs=len(records),
                )  # fmt: skip
            if substep == 0:
                recorder.row(timestep, 1, step=step.name, agent="", side="", action="advance",
                             error="", gas=0, txs=0)  # fmt: skip
            self.ledger.check(start)  # conservation and obligations, or raise
            recorder.measure(timestep)
        return recorder.rows


def _check_accounts(market: Market, agents: list[Agent]) -> None:
    known = set(market.chain.accounts)
    for agent in agents:
        missing = [a for a in agent.accounts if a not in known]
        if missing:
            raise ConfigurationError(
                f"Agent {agent.name!r} signs as {missing}, which this market does not have; "
                f"use the local accounts: {', '.join(sorted(known - {'deployer'}))}."
            )


def _advance(ctx: Context, until: str | None, after: int) -> None:
    clock = ctx.market.chain.clock
    if until is not None:
        if ctx.competition is None:
            raise ConfigurationError(
                f"The schedule waits for the end of phase {until!r}, but no competition is "
                "open: put a Creator in the scenario, or drop until= from the step."
            )
        target = ctx.competition.deadline(until)
        if target > clock.now():
            clock.advance_to(target)
    if after:
        clock.advance(after)


class _Recorder:
    """Builds the rows of one run: keys, action, state (profits) and measures."""

    def __init__(
        self, ctx: Context, ledger: Ledger, agents: list[Agent], start: dict[str, int],
        keys: dict[str, int], params: Mapping[str, Any],
    ) -> None:  # fmt: skip
        self.ctx, self.ledger, self.agents, self.start, self.keys = ctx, ledger, agents, start, keys
        self.params = {name: _cell(value) for name, value in params.items()}
        self.rows: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []
        self.addresses = {
            name: ctx.market.chain.address(name) for a in agents for name in a.accounts
        }
        self._profits: tuple[int, dict[str, float]] | None = None
        self.measures: dict[str, Any] = {
            "winner_quality": math.nan, "entries": 0, "outcome": "",
            "collection_quality": math.nan, "poisoned_share": math.nan,
        }  # fmt: skip

    def profits(self) -> dict[str, float]:
        """Each agent's balance and profit, and the profit of each side (tokens, float);
        from the token's Transfer events (:meth:`Ledger.observe`, checked against the
        chain after every timestep), worked out again only after a transaction."""
        mined = len(self.ctx.market.chain.history)
        if self._profits is not None and self._profits[0] == mined:
            return self._profits[1]
        tracked = self.ledger.observe()
        balance = {name: tracked.get(a.lower(), 0) for name, a in self.addresses.items()}
        out: dict[str, float] = {}
        sides = {"honest": Decimal(0), "attacker": Decimal(0)}
        for agent in self.agents:
            units = sum(balance[a] - self.start[a] for a in agent.accounts)
            profit = from_units(units)
            sides[agent.side] += profit
            out[f"balance_{agent.name}"] = float(
                from_units(sum(balance[a] for a in agent.accounts))
            )
            out[f"profit_{agent.name}"] = float(profit)
        out["profit_honest"], out["profit_attacker"] = (float(v) for v in sides.values())
        self._profits = (mined, out)
        return out

    def row(self, timestep: int, substep: int, **action: Any) -> None:
        row = {**self.keys, "timestep": timestep, "substep": substep, **action}
        row["time"] = pd.Timestamp(self.ctx.market.chain.clock.now(), unit="s", tz="UTC")
        row.update(self.params)
        row.update(self.profits())
        self.pending.append(row)
        if timestep == 0:
            self.measure(0)

    def measure(self, timestep: int) -> None:
        """The measures after ``timestep``, written into its rows."""
        self.measures.update(measures(self.ctx))
        for row in self.pending:
            row.update(self.measures)
        self.rows += self.pending
        self.pending = []


def measures(ctx: Context) -> dict[str, Any]:
    """Winner quality, entries and outcome of the competition; quality of the collection."""
    found: dict[str, Any] = {}
    comp = ctx.competition
    if comp is not None:
        read = ctx.market.chain.read
        found["entries"] = int(read(comp.contract, "submissionCount"))
        found["outcome"] = outcome = comp.outcome
        if outcome in ("ranked", "defaulted") and "winner_quality" not in ctx.notes:
            winner = int(read(comp.contract, "winner")[0])
            if winner:
                model = comp.winning_model()
                X, y = ctx.test.drop(columns=[ctx.target]), ctx.test[ctx.target].to_numpy()
                ctx.notes["winner_quality"] = float(np.mean(model.predict(X) == y))
        found["winner_quality"] = ctx.notes.get("winner_quality", math.nan)
    if ctx.collection is not None and ctx.notes.get("batches"):
        found.update(_collection_quality(ctx))
    return found


def _collection_quality(ctx: Context) -> dict[str, float]:
    from mlmarket.sim.models import fit_model

    service = ctx.market.data.collections
    accepted = [b for b in service.batch_list(ctx.collection) if b.status == "accepted"]
    frames = [ctx.notes["batches"][b.id] for b in accepted if b.id in ctx.notes["batches"]]
    if not frames:
        return {"collection_quality": math.nan, "poisoned_share": math.nan}
    rows = pd.concat(frames)
    poisoned = sum(ctx.notes.get("poisoned", {}).get(b.id, 0) for b in accepted)
    quality = math.nan
    if rows[ctx.target].nunique() > 1:
        model = fit_model("logistic", rows, ctx.target, 1.0, 1.0, 0)
        X, y = ctx.test.drop(columns=[ctx.target]), ctx.test[ctx.target].to_numpy()
        quality = float(np.mean(model.predict(X) == y))
    return {"collection_quality": quality, "poisoned_share": poisoned / len(rows)}


def _cell(value: Any) -> Any:
    """A param as a frame cell: lists become tuples (hashable, so the frame groups by it)."""
    return tuple(value) if isinstance(value, list) else value


def play(
    scenario: Scenario, params: Mapping[str, Any] | None = None, *, runs: int = 1,
    seed: int | None = None, backend: str | None = None, worker: Worker | None = None,
) -> pd.DataFrame:  # fmt: skip
    """``runs`` Monte Carlo runs of ``scenario`` in this process, as one frame."""
    own = worker is None
    worker = worker or Worker(backend)
    try:
        rows: list[dict[str, Any]] = []
        for run in range(runs):
            rows += worker.play(scenario, {**scenario.params, **(params or {})}, run=run, seed=seed)
    finally:
        if own:
            worker.close()
    return frame_of(rows)


def frame_of(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows to the tidy frame, sorted by radCAD's key columns."""
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values(KEY_COLUMNS, kind="stable").reset_index(drop=True)
