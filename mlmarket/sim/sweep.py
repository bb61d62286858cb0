"""Run and sweep scenarios: Monte Carlo runs × a Cartesian product of params, in
processes (joblib) or on a Dask cluster; save and load the results.

:func:`sweep` takes ``params`` as lists of values (a scalar counts as one value); every
combination is a *subset*, each played ``runs`` times with seeds drawn from ``seed``
(:func:`mlmarket.sim.runner.run_seed`): the same ``seed`` gives the same frame. The runs are
cut into chunks; each worker process builds its market once and plays its chunks,
reverting to a snapshot between runs. ``executor``:

- ``None`` (default): processes with joblib, ``n_jobs`` of them (default: every core);
  ``"serial"`` plays everything in this process (as :func:`run` does by default);
- a ``dask.distributed.Client``: the chunks go to the cluster's workers (the optional
  extra ``mlmarket[sim]``; ``executor="dask"`` starts a local cluster). Without Dask
  installed, :class:`MissingExtraError` says what to install.

A progress bar counts finished runs (``progress=None``: in a notebook, or a terminal).
The frame's ``attrs["mlmarket"]`` records the scenario, its params, the grid, runs, seed
and package version; :func:`save` writes frame and record to one JSON file
(gzip-compressed if the name ends in ``.gz``) and :func:`load` reads it back.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mlmarket.errors import ConfigurationError, MlmarketError
from mlmarket.progress import bar, track, wanted
from mlmarket.sim import scenarios
from mlmarket.sim.runner import Worker, frame_of
from mlmarket.sim.scenario import Scenario

__all__ = ["MissingExtraError", "grid", "load", "run", "save", "sweep"]

FORMAT = "mlmarket.sweep/1"


class MissingExtraError(MlmarketError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


def grid(params: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Every combination of ``params`` (lists of values; a scalar is one value), in order.

    Example:
        >>> grid({"bond": [0, 1], "entry_stake": 2})
        [{'bond': 0, 'entry_stake': 2}, {'bond': 1, 'entry_stake': 2}]
    """
    if not params:
        return [{}]
    names = list(params)
    values = [_values(params[n]) for n in names]
    for name, options in zip(names, values, strict=True):
        if not options:
            raise ConfigurationError(f"Param {name!r} has no values to sweep; give at least one.")
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def _values(value: Any) -> list[Any]:
    if isinstance(value, list | range) or (isinstance(value, tuple) and _is_grid_tuple(value)):
        return list(value)
    return [value]


def _is_grid_tuple(value: tuple[Any, ...]) -> bool:
    """A tuple of tuples/lists is a list of values (payout splits); a flat tuple is one value."""
    return bool(value) and all(isinstance(v, tuple | list) for v in value)


# --- workers -----------------------------------------------------------------------------

_WORKERS: dict[str | None, Worker] = {}


def _worker(backend: str | None) -> Worker:
    """This process's worker for ``backend``, built once."""
    if backend not in _WORKERS:
        _WORKERS[backend] = Worker(backend)
    return _WORKERS[backend]


def _play_chunk(
    scenario: Scenario, tasks: list[tuple[int, int, dict[str, Any]]], seed: int,
    backend: str | None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Play ``tasks`` (subset, run, params) on this process's worker."""
    worker = _worker(backend)
    rows: list[dict[str, Any]] = []
    for subset, run, params in tasks:
        rows += worker.play(scenario, params, subset=subset, run=run, seed=seed)
    return rows


def _chunks(tasks: list[Any], pieces: int, group: int = 1) -> list[list[Any]]:
    """``tasks`` cut into about ``pieces`` chunks of whole groups of ``group`` tasks (the
    subsets of one run, which share their fits), at least one group each."""
    groups = -(-len(tasks) // max(1, group))
    size = max(1, groups // max(1, pieces)) * max(1, group)
    return [tasks[i : i + size] for i in range(0, len(tasks), size)]


# --- executors ---------------------------------------------------------------------------


def _dask_client(executor: Any) -> Any:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise MissingExtraError(
            "Sweeping on Dask needs the optional extra: pip install 'mlmarket[sim]' "
            "(dask[distributed]); or leave executor=None for local processes."
        ) from None
    if executor == "dask":
        return Client(LocalCluster(processes=True, threads_per_worker=1))
    if not isinstance(executor, Client):
        raise ConfigurationError(
            f"executor must be None, 'serial', 'dask' or a dask.distributed.Client, "
            f"not {executor!r}."
        )
    return executor


def _is_dask(executor: Any) -> bool:
    if executor == "dask":
        return True
    module = type(executor).__module__ or ""
    return module.startswith("distributed")


def _execute(
    scenario: Scenario, tasks: list[tuple[int, int, dict[str, Any]]], *, seed: int,
    backend: str | None, executor: Any, n_jobs: int | None, progress: bool | None,
) -> list[dict[str, Any]]:  # fmt: skip
    label = f"Sweeping {scenario.name}"
    if executor == "serial" or (executor is None and (n_jobs == 1 or len(tasks) == 1)):
        rows: list[dict[str, Any]] = []
        for task in track(tasks, show=progress, label=label, unit="run"):
            rows += _play_chunk(scenario, [task], seed, backend)
        return rows
    if executor is not None and _is_dask(executor):
        return _on_dask(scenario, tasks, seed, backend, executor, progress, label)
    if executor is not None:
        raise ConfigurationError(
            f"executor must be None, 'serial', 'dask' or a dask.distributed.Client, "
            f"not {executor!r}."
        )
    from joblib import Parallel, delayed

    jobs = n_jobs or os.cpu_count() or 1
    # a few chunks per process (even load, few markets), each of whole runs
    pieces = _chunks(tasks, jobs * 4, _subsets(tasks))
    parallel = Parallel(n_jobs=jobs, return_as="generator_unordered")
    results = parallel(delayed(_play_chunk)(scenario, p, seed, backend) for p in pieces)
    rows = []
    counter = _bar(progress, label, len(tasks))
    for chunk_rows in results:
        rows += chunk_rows
        counter.update(len({(r["subset"], r["run"]) for r in chunk_rows}))
    counter.close()
    return rows


def _subsets(tasks: list[tuple[int, int, dict[str, Any]]]) -> int:
    return len({subset for subset, _run, _params in tasks})


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(progress: bool | None, label: str, total: int) -> Any:
    """A bar of finished runs, or nothing."""
    return bar(total=total, label=label, unit="run") if wanted(progress) else _NoBar()


def _on_dask(
    scenario: Scenario, tasks: list[Any], seed: int, backend: str | None, executor: Any,
    progress: bool | None, label: str,
) -> list[dict[str, Any]]:  # fmt: skip
    client = _dask_client(executor)  # first: it says what to install if Dask is missing
    from dask.distributed import as_completed

    own = executor == "dask"
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        futures = [
            client.submit(_play_chunk, scenario, piece, seed, backend, pure=False)
            for piece in _chunks(tasks, workers * 4, _subsets(tasks))
        ]
        rows: list[dict[str, Any]] = []
        counter = _bar(progress, label, len(tasks))
        for future in as_completed(futures):
            chunk_rows = future.result()
            rows += chunk_rows
            counter.update(len({(r["subset"], r["run"]) for r in chunk_rows}))
        counter.close()
        return rows
    finally:
        if own:
            cluster = client.cluster
            client.close()
            cluster.close()


# --- the API -----------------------------------------------------------------------------


def sweep(
    scenario: Scenario | str, params: Mapping[str, Any] | None = None, *, runs: int = 1,
    seed: int | None = None, executor: Any = None, n_jobs: int | None = None,
    backend: str | None = None, progress: bool | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Play every combination of ``params`` × ``runs`` Monte Carlo runs; one tidy frame.

    ``params`` override the scenario's own (lists are swept; a scalar is fixed).
    ``seed`` fixes every run's randomness (None: a fresh seed, recorded in
    ``frame.attrs``). See the module docstring for ``executor`` and ``n_jobs``.
    """
    chosen = scenarios.get(scenario)
    if not isinstance(runs, int) or runs < 1:
        raise ConfigurationError(f"runs must be a whole number ≥ 1, got {runs!r}.")
    unknown = sorted(set(params or {}) - set(chosen.params))
    if unknown:
        raise ConfigurationError(
            f"Scenario {chosen.name!r} has no param {', '.join(map(repr, unknown))}; "
            f"its params: {', '.join(chosen.params) or 'none'}."
        )
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ConfigurationError(f"seed must be a whole number ≥ 0 or None, not {seed!r}.")
    base = secrets.randbits(32) if seed is None else int(seed)
    subsets = grid(params)
    # Run-major: a chunk of tasks holds the same runs of neighbouring subsets, whose
    # agents draw the same random numbers (Context.stream), so one process fits each
    # model once and the other subsets find it in its fit cache.
    tasks = [
        (subset, run, {**chosen.params, **combo})
        for run in range(runs)
        for subset, combo in enumerate(subsets)
    ]
    rows = _execute(chosen, tasks, seed=base, backend=backend, executor=executor,
                    n_jobs=n_jobs, progress=progress)  # fmt: skip
    frame = frame_of(rows)
    frame.attrs["mlmarket"] = _record(chosen, params, subsets, runs, base)
    return frame


def run(
    scenario: Scenario | str, *, runs: int = 1, seed: int | None = None,
    params: Mapping[str, Any] | None = None, executor: Any = "serial",
    backend: str | None = None, progress: bool | None = False,
) -> pd.DataFrame:  # fmt: skip
    """``runs`` Monte Carlo runs of one scenario (params fixed; in this process by default)."""
    swept = [name for name, value in (params or {}).items() if len(_values(value)) > 1]
    if swept:
        raise ConfigurationError(
            f"run() takes one value per param; {', '.join(swept)} has several: use sweep()."
        )
    return sweep(scenario, params, runs=runs, seed=seed, executor=executor, backend=backend,
                 progress=progress)  # fmt: skip


def _record(
    scenario: Scenario, params: Mapping[str, Any] | None, subsets: list[dict[str, Any]],
    runs: int, seed: int,
) -> dict[str, Any]:  # fmt: skip
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("mlmarket")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        package = "unknown"
    return {
        "format": FORMAT, "version": package, "scenario": scenario.name,
        "scenario_params": _jsonable(dict(scenario.params)),
        "swept": _jsonable(dict(params or {})), "subsets": _jsonable(subsets),
        "runs": runs, "seed": seed,
    }  # fmt: skip


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | range):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def save(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a sweep's frame and its record (scenario, params, runs, seed, version) to one
    JSON file; ``.gz`` at the end compresses it. Columns are stored with their dtypes and
    floats exactly (``load`` gives back an equal frame)."""
    target = Path(path)
    columns: dict[str, list[Any]] = {}
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype) or column.dtype.kind == "M":
            columns[name] = [None if pd.isna(t) else t.isoformat() for t in column]
        else:
            columns[name] = [_jsonable(v) for v in column.tolist()]
    document = {
        "format": FORMAT,
        "record": frame.attrs.get("mlmarket", {}),
        "dtypes": {name: str(frame[name].dtype) for name in frame.columns},
        "columns": columns,
    }
    data = json.dumps(document).encode()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gzip.compress(data) if target.suffix == ".gz" else data)
    return target


def load(path: str | Path) -> pd.DataFrame:
    """Read back what :func:`save` wrote: the frame, with its record in ``attrs``."""
    source = Path(path)
    raw = source.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"{source} is not a saved sweep (not JSON: {error}).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ConfigurationError(
            f"{source} is not a saved sweep (expected format {FORMAT!r}); "
            "write one with mlmarket.sim.save(frame, path)."
        )
    frame = pd.DataFrame(document["columns"])
    for name, dtype in document["dtypes"].items():
        if dtype.startswith("datetime64"):
            unit = dtype.split("[")[1].split(",")[0].rstrip("]")
            frame[name] = pd.to_datetime(frame[name], utc="UTC" in dtype).dt.as_unit(unit)
        elif dtype == "object":  # lists (payout splits) back to the tuples they were
            frame[name] = frame[name].map(lambda v: tuple(v) if isinstance(v, list) else v)
        else:
            frame[name] = frame[name].astype(dtype)
    frame.attrs["mlmarket"] = document["record"]
    return frame
