"""Mechanism lab throughput: full competition lifecycles per minute, and where the time goes.

Run: ``python benchmarks/bench_sim.py [--runs 20] [--split-runs 10] [--sweep-runs 40]
[--repeat 1] [--jobs 2,cpu] [--eth-tester-runs 3] [--profile-runs 5] [--blas-threads N]
[--skip part,...]`` (1-1.5 minutes with the defaults on 2 cores). One lifecycle is one
run of the ``"honest"`` scenario with all five participants entering
(``payout=(0.4, 0.3, 0.2, 0.1)``, ``participation_cost=0``; checked: every run ends with
``entries == 5`` and a ranked competition): create -> 5 scikit-learn fits and commits ->
reveals -> test-set reveal -> on-chain evaluation -> finalize -> claims, with the ledger
checked after every timestep.

Parts (``--skip`` any of them):

* ``serial``: one process, revm. Imports and the worker's one-time market build (and its
  first run, which pays lazy imports and caches) are reported apart; then ``--runs``
  lifecycles with the fit cache cold (``clear_cache()``: every run fits its 5 models, as
  in a sweep, where each run has its own seed), then the same runs again with it warm
  (fits are cached per model, data and seed: the replay fits nothing).
* ``split``: the same, instrumented (``--split-runs``, cold then warm): time inside
  ``Chain.transact``, ``Chain.send`` and ``Chain.call`` (wrapped by monkeypatching the
  class), scikit-learn fits (``mlmarket.sim.models.FIT_SECONDS``), the fit cache's lookups
  (and the row draw), the content store
  (``market.store.add``/``get``), the ledger checks (``Ledger.check``) and the rest
  (Python: market API, agents, the recorder's rows). Times are exclusive: a timed region
  inside another is counted once, in the inner one.
* ``sweep``: ``mlmarket.sim.sweep(..., n_jobs=k)`` (joblib processes), wall clock with
  fresh worker processes (their start, imports and market build included), then again on
  the warm pool (new seeds: fits stay cold), for each k in ``--jobs`` (``cpu`` =
  ``os.cpu_count()``; duplicates are measured once). ``--repeat N`` measures each
  warm-pool sweep N times: the best rate is reported (and used for the goal), with the
  median and the slowest, as ``timeit`` reports its best (a shared machine only slows a run).
* ``eth-tester``: the serial measurement on the pure-Python py-evm backend
  (``--eth-tester-runs``, fits cold).
* ``profile``: cProfile over ``--profile-runs`` revm lifecycles (fits cold): self time
  by library, and the top functions by cumulative and by self time.

The machine may be shared: the load average is printed with each part.
"""

from __future__ import annotations

import time

_START = time.perf_counter()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import hashlib  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import ExitStack, contextmanager  # noqa: E402
from functools import partial, wraps  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pandas as pd  # noqa: E402

from mlmarket import sim  # noqa: E402
from mlmarket.chain.core import Chain  # noqa: E402
from mlmarket.market.competition import Competition  # noqa: E402
from mlmarket.market.competitions import CompetitionService  # noqa: E402
from mlmarket.sim import agents as sim_agents  # noqa: E402
from mlmarket.sim import models as sim_models  # noqa: E402
from mlmarket.sim import runner, scenarios  # noqa: E402
from mlmarket.sim.ledger import Ledger  # noqa: E402
from mlmarket.sim.sweep import grid  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - _START
ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "honest"
PARAMS = {"payout": (0.4, 0.3, 0.2, 0.1), "participation_cost": 0}
ENTRIES = 5
PARAM_SWEEP = {"bond": [0.5, 1.0, 1.5, 2.0]}
GOAL_PER_MINUTE = 1_000
RESULTS: dict[str, Any] = {}


def say(text: str) -> None:
    print(text, flush=True)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}"


def per_minute(runs: int, seconds: float) -> float:
    return 60.0 * runs / seconds


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def source_state(relative: str) -> str:
    """Git state and content hash of a source file (read-only git commands)."""
    path = ROOT / relative
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    try:
        status = git("status", "--porcelain", "--", relative)
        head = git("rev-parse", "--short", "HEAD")
    except (OSError, subprocess.CalledProcessError):
        return f"sha256 {digest} (no git)"
    state = "modified in the working tree" if status else "as committed"
    return f"{state} (HEAD {head}), sha256 {digest}"


def check_frame(frame: pd.DataFrame, runs: int) -> None:
    """Every run played the whole lifecycle with all five participants entering."""
    last = frame.groupby(["subset", "run"]).last()
    if len(last) != runs:
        raise SystemExit(f"expected {runs} runs, the frame has {len(last)}")
    bad = last[(last["entries"] != ENTRIES) | (last["outcome"] != "ranked")]
    if len(bad):
        raise SystemExit(f"runs without {ENTRIES} entries or a ranked outcome:\n{bad}")


def scenario() -> sim.Scenario:
    return scenarios.get(SCENARIO)


def play(worker: runner.Worker, runs: int, seed: int) -> tuple[float, float, pd.DataFrame]:
    """Wall seconds, this process's CPU seconds (every thread) and the frame of ``runs``."""
    start, cpu = time.perf_counter(), time.process_time()
    frame = runner.play(scenario(), PARAMS, runs=runs, seed=seed, worker=worker)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    check_frame(frame, runs)
    return seconds, cpu, frame


def lifecycle_counts(frame: pd.DataFrame, runs: int) -> tuple[float, float]:
    """Transactions and Mgas per lifecycle."""
    return frame["txs"].sum() / runs, frame["gas"].sum() / runs / 1e6


def make_worker(backend: str) -> runner.Worker:
    worker = runner.Worker(backend)
    _patch_reader(worker)
    return worker


def _patch_reader(worker: runner.Worker) -> None:
    """An older ledger reader (``mlmarket.sim.ledger.Reader``) sent ``eth_call`` without
    ``from``, which eth-tester refuses (it charges gas for calls): add the sender
    ``Chain.call`` uses. Only if the ledger's first read fails that way."""
    try:
        worker.ledger.holders()
        return
    except Exception as error:  # noqa: BLE001 - eth_tester's ValidationError
        provider = getattr(worker.ledger.read, "provider", None)
        if "from" not in str(error) or provider is None:
            raise
    sender = next(iter(worker.market.chain.accounts.values())).address

    class WithSender:
        def make_request(self, method: str, params: Any) -> Any:
            if method == "eth_call" and "from" not in params[0]:
                params = [{**params[0], "from": sender}, *params[1:]]
            return provider.make_request(method, params)

    worker.ledger.read.provider = WithSender()
    worker.ledger.holders()
    RESULTS.setdefault("notes", []).append(
        f"{worker.market.chain.backend.__class__.__name__}: the ledger's Reader sends eth_call "
        "without 'from', which eth-tester refuses; the benchmark adds Chain.call's sender."
    )


# --- serial -------------------------------------------------------------------------------


def warm_worker(backend: str, seed: int) -> tuple[runner.Worker, float, float]:
    """A worker for ``backend``: its build time and its first lifecycle's (apart from the
    rates: lazy imports and caches), with the fit cache emptied after it."""
    start = time.perf_counter()
    worker = make_worker(backend)
    build = time.perf_counter() - start
    first, _, _ = play(worker, 1, seed + 1000)
    sim_models.clear_cache()
    return worker, build, first


def part_serial(args: argparse.Namespace) -> None:
    from threadpoolctl import threadpool_limits

    say(f"== serial, revm, one process ({load()})")
    worker, build, first = warm_worker("revm", args.seed)
    fits = sim_models.FIT_SECONDS[0]
    cold, cold_cpu, frame = play(worker, args.runs, args.seed)
    cold_fits = sim_models.FIT_SECONDS[0] - fits
    warm, warm_cpu, _ = play(worker, args.runs, args.seed)  # the same runs: all fits cached
    passes = [("fits cold", cold, cold_cpu, cold_fits), ("fits warm", warm, warm_cpu, 0.0)]
    if args.blas_threads != 1:  # as joblib's workers run: one BLAS/OpenMP thread each
        sim_models.clear_cache()
        fits = sim_models.FIT_SECONDS[0]
        with threadpool_limits(1):
            one, one_cpu, _ = play(worker, args.runs, args.seed + 5)
        passes.insert(1, ("fits cold, 1 BLAS thread", one, one_cpu,
                          sim_models.FIT_SECONDS[0] - fits))  # fmt: skip
    worker.close()
    txs, mgas = lifecycle_counts(frame, args.runs)
    RESULTS["serial"] = dict(build=build, first=first, runs=args.runs, passes=passes,
                             txs=txs, mgas=mgas)  # fmt: skip
    say(f"import mlmarket.sim (+ sklearn, web3, pandas)  {IMPORT_SECONDS:8.2f} s")
    say(f"Worker('revm'): market build + snapshot        {build:8.2f} s")
    say(f"first lifecycle (lazy imports, caches)         {first:8.2f} s")
    for label, seconds, cpu, fit in passes:
        each, cpu_each, fit_each = (x / args.runs * 1000 for x in (seconds, cpu, fit))
        say(f"{args.runs} lifecycles, {label:26} {seconds:7.2f} s {each:6.0f} ms each "
            f"{per_minute(args.runs, seconds):6.1f}/min (CPU {cpu_each:.0f} ms, fits "
            f"{fit_each:.0f} ms each)")  # fmt: skip
    say(f"per lifecycle: {txs:.0f} transactions, {mgas:.2f} Mgas")


# --- split --------------------------------------------------------------------------------


class Timers:
    """Exclusive seconds and calls per category; a timed region inside another timed region
    is counted once, in the innermost category."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.inclusive: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._stack: list[list[float]] = []

    def wrap(self, category: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            inner = [0.0]
            self._stack.append(inner)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                self._stack.pop()
                self.seconds[category] += elapsed - inner[0]
                self.inclusive[category] += elapsed
                self.calls[category] += 1
                if self._stack:
                    self._stack[-1][0] += elapsed

        return timed


@contextmanager
def patched(owner: Any, name: str, replacement: Callable[..., Any]) -> Iterator[None]:
    """``owner.name`` (a class, module or instance attribute) replaced for a while."""
    own = name in vars(owner)  # else inherited, or a method looked up on the class
    original = vars(owner)[name] if own else getattr(owner, name)
    setattr(owner, name, replacement(getattr(owner, name)))
    try:
        yield
    finally:
        if own:
            setattr(owner, name, original)
        else:
            delattr(owner, name)


def instrumented(worker: runner.Worker, runs: int, seed: int) -> dict[str, Any]:
    """Play ``runs`` lifecycles with every category timed; seconds and calls by category."""
    timers = Timers()
    store = type(worker.market.store)  # the class: a worker replaces its store every run
    fits = sim_models.FIT_SECONDS[0]
    patches = [
        (Chain, "transact", "Chain.transact"), (Chain, "call", "Chain.call"),
        (store, "add", "storage"), (store, "get", "storage"),
        (Ledger, "check", "Ledger.check"),
        (sim_agents, "fit_model", "fit_model"), (sim_agents, "junk_model", "fit_model"),
        (runner.Worker, "reset", "reset"),
        (runner._Recorder, "row", "recorder"), (runner._Recorder, "measure", "recorder"),
        (CompetitionService, "create", "market API"),
        *((Competition, name, "market API") for name in MARKET_API),
    ]  # fmt: skip
    if hasattr(Chain, "read"):  # views by name (the ledger's and the recorder's reads)
        patches.append((Chain, "read", "Chain.read"))
    if hasattr(Chain, "send"):  # transactions by name (the market API's): with transact
        patches.append((Chain, "send", "Chain.transact"))
    # The ledger keeps its reader (a bound ``Chain.read``, or an older fast reader) as an
    # attribute: the class patch does not reach it, so it is wrapped where it is kept.
    patches.append((worker.ledger, "read", "Chain.read"))
    with ExitStack() as stack:
        for owner, name, category in patches:
            stack.enter_context(patched(owner, name, partial(timers.wrap, category)))
        total, _, _ = play(worker, runs, seed)
    out = dict(timers.seconds)
    out["sklearn fits"] = sim_models.FIT_SECONDS[0] - fits
    # fit_model's exclusive time includes the fit itself: what is left is the cache lookup
    # (a fingerprint of the training frame, pandas hashing) and the row sampling.
    out["fit cache lookup"] = out.pop("fit_model", 0.0) - out["sklearn fits"]
    out["total"] = total
    out["other"] = total - sum(v for k, v in out.items() if k != "total")
    out["rest"] = sum(out.get(k, 0.0) for k in REST)
    return {"seconds": out, "inclusive": dict(timers.inclusive), "calls": dict(timers.calls),
            "runs": runs}  # fmt: skip


MARKET_API = ("submit", "reveal", "reveal_test_set", "evaluate", "finalize", "claim",
              "withdraw_stakes")  # fmt: skip
"""``Competition`` methods the agents call (with ``CompetitionService.create``): their own
Python, the chain and storage inside them excluded, is the "market API" row."""
REST = ("market API", "recorder", "reset", "other")
CHAIN = ("Chain.transact", "Chain.call", "Chain.read")

SPLIT_ROWS = [
    ("Chain.transact", "chain: `Chain.transact` and `Chain.send`"),
    ("Chain.call", "chain: `Chain.call`"),
    ("Chain.read", "chain: `Chain.read` (the ledger's and recorder's views)"),
    ("sklearn fits", "scikit-learn fits (`FIT_SECONDS`)"),
    ("fit cache lookup", "fit cache lookups (frame fingerprint)"),
    ("storage", "storage: `market.store.add`/`get`"),
    ("Ledger.check", "ledger checks: `Ledger.check`"),
    ("rest", "rest: Python (market API, agents, recorder)"),
    ("market API", "&nbsp;&nbsp;of which the market API's own Python"),
    ("recorder", "&nbsp;&nbsp;of which the recorder (rows, profit reads, measures)"),
    ("reset", "&nbsp;&nbsp;of which `Worker.reset` (revert, vault)"),
    ("other", "&nbsp;&nbsp;of which other (agents, runner, clock)"),
    ("total", "total"),
]


def part_split(args: argparse.Namespace) -> None:
    say(f"== split of one process's time, revm ({load()})")
    worker = make_worker("revm")
    play(worker, 1, args.seed + 1000)  # the first run's lazy costs out of the way
    sim_models.clear_cache()
    cold = instrumented(worker, args.split_runs, args.seed + 1)
    warm = instrumented(worker, args.split_runs, args.seed + 1)
    worker.close()
    RESULTS["split"] = {"cold": cold, "warm": warm}
    print_split(cold, warm)


def print_split(cold: dict[str, Any], warm: dict[str, Any]) -> None:
    runs = cold["runs"]
    say("| part | fits cold: ms/lifecycle | share | fits warm: ms/lifecycle | share |")
    say("| --- | ---: | ---: | ---: | ---: |")
    for key, label in SPLIT_ROWS:
        cells = []
        for part in (cold, warm):
            seconds = part["seconds"].get(key, 0.0)
            cells += [f"{seconds / runs * 1000:.0f}", f"{seconds / part['seconds']['total']:.0%}"]
        say(f"| {label} | {' | '.join(cells)} |")
    for name, part in (("cold", cold), ("warm", warm)):
        sec = part["seconds"]
        chain = sum(sec.get(k, 0.0) for k in CHAIN)
        say(f"chain total (fits {name}): {chain / runs * 1000:.0f} ms/lifecycle, "
            f"{chain / sec['total']:.0%}")  # fmt: skip
    for name, part in (("cold", cold), ("warm", warm)):
        checks = part["inclusive"].get("Ledger.check", 0.0)
        share = checks / part["seconds"]["total"]
        say(f"ledger checks with their reads (`Ledger.check` inclusive, fits {name}): "
            f"{checks / runs * 1000:.0f} ms/lifecycle, {share:.0%}")  # fmt: skip
    calls = cold["calls"]
    for key in (*CHAIN, "storage", "Ledger.check"):
        n = calls.get(key, 0) / runs
        each = cold["seconds"].get(key, 0.0) / max(1, calls.get(key, 0)) * 1000
        say(f"  {key}: {n:.0f} per lifecycle, {each:.2f} ms each (own time)")


# --- sweep --------------------------------------------------------------------------------


def shutdown_pool() -> None:
    """Stop joblib's reusable worker processes, so the next sweep starts fresh ones."""
    from joblib.externals.loky import reusable_executor

    executor = reusable_executor._executor
    if executor is not None:
        executor.shutdown(wait=True, kill_workers=True)


def timed_sweep(runs: int, seed: int, n_jobs: int, swept: dict[str, Any] | None = None) -> float:
    """Seconds for a sweep of ``runs`` runs of each subset of ``swept`` (none: one subset)."""
    params = {**PARAMS, **(swept or {})}
    start = time.perf_counter()
    frame = sim.sweep(SCENARIO, params, runs=runs, seed=seed, n_jobs=n_jobs, progress=False)
    seconds = time.perf_counter() - start
    check_frame(frame, runs * len(grid(swept or {})))
    return seconds


def part_sweep(args: argparse.Namespace) -> None:
    cpus = os.cpu_count() or 1
    jobs = list(dict.fromkeys(cpus if j == "cpu" else int(j) for j in args.jobs.split(",")))
    RESULTS["sweep"] = []
    for n in jobs:
        say(f"== sweep, n_jobs={n} (os.cpu_count() = {cpus}), revm ({load()})")
        if n == 1:
            say("note: sweep plays n_jobs=1 in this process (no worker processes to start)")
        shutdown_pool()
        fresh = timed_sweep(args.sweep_runs, args.seed + 2, n)
        # On the warm pool, each measured --repeat times with new seeds (fits stay cold):
        # the best is the machine's speed, the median shows how much it wanders.
        warms = [timed_sweep(args.sweep_runs, args.seed + 3 + 10 * i, n)
                 for i in range(args.repeat)]  # fmt: skip
        # A research sweep: PARAM_SWEEP's values × runs, on the warm pool with new seeds.
        # The subsets of a run draw the same rows (common random numbers) and one process
        # plays them all, so each participant's model is fitted once per run, not per subset.
        values = len(grid(PARAM_SWEEP))
        per_value = max(1, args.sweep_runs // values)
        swepts = [timed_sweep(per_value, args.seed + 4 + 10 * i, n, PARAM_SWEEP)
                  for i in range(args.repeat)]  # fmt: skip
        shutdown_pool()
        lifecycles = per_value * values
        warm, swept = min(warms), min(swepts)
        RESULTS["sweep"].append(dict(n_jobs=n, fresh=fresh, warm=warm, runs=args.sweep_runs,
                                     swept=swept, swept_runs=lifecycles, warms=warms,
                                     swepts=swepts))  # fmt: skip
        say(f"{args.sweep_runs} lifecycles, fresh processes (start + import + build) "
            f"{fresh:7.2f} s  {per_minute(args.sweep_runs, fresh):6.1f}/min")  # fmt: skip
        say(f"{args.sweep_runs} lifecycles, warm pool                            "
            f"{warm:7.2f} s  {per_minute(args.sweep_runs, warm):6.1f}/min"
            f"{spread(args.sweep_runs, warms)}")  # fmt: skip
        say(f"{lifecycles} lifecycles, warm pool, {values}-value sweep of bond (fits shared) "
            f"{swept:7.2f} s  {per_minute(lifecycles, swept):6.1f}/min"
            f"{spread(lifecycles, swepts)}")  # fmt: skip


def spread(runs: int, seconds: list[float]) -> str:
    """`` (best of N; median M/min, slowest S/min)`` for repeated measurements."""
    if len(seconds) < 2:
        return ""
    rates = sorted(per_minute(runs, s) for s in seconds)
    return (f" (best of {len(rates)}; median {statistics.median(rates):.0f}/min, "
            f"slowest {rates[0]:.0f}/min)")  # fmt: skip


# --- eth-tester ---------------------------------------------------------------------------


def part_eth_tester(args: argparse.Namespace) -> None:
    say(f"== serial, eth-tester (py-evm), one process ({load()})")
    worker, build, first = warm_worker("eth-tester", args.seed)
    seconds, cpu, _ = play(worker, args.eth_tester_runs, args.seed)
    worker.close()
    runs = args.eth_tester_runs
    RESULTS["eth-tester"] = dict(build=build, first=first, seconds=seconds, cpu=cpu, runs=runs)
    say(f"Worker('eth-tester'): market build              {build:8.2f} s")
    say(f"first lifecycle                                 {first:8.2f} s")
    say(f"{runs} lifecycles, fit cache cold                {seconds:8.2f} s  "
        f"{seconds / runs * 1000:7.0f} ms each  {per_minute(runs, seconds):6.1f}/min  "
        f"(CPU {cpu / runs * 1000:.0f} ms each)")  # fmt: skip
    for note in RESULTS.get("notes", []):
        say(f"note: {note}")


# --- profile ------------------------------------------------------------------------------

LIBRARIES = [  # (substring of the file path, label); the first match wins
    ("/web3/", "web3"),
    ("/eth_utils/", "eth-utils/eth-abi/eth-hash/pycryptodome (ABI, keccak)"),
    ("/eth_abi/", "eth-utils/eth-abi/eth-hash/pycryptodome (ABI, keccak)"),
    ("/eth_hash/", "eth-utils/eth-abi/eth-hash/pycryptodome (ABI, keccak)"),
    ("/Crypto/", "eth-utils/eth-abi/eth-hash/pycryptodome (ABI, keccak)"),
    ("/cffi/", "eth-utils/eth-abi/eth-hash/pycryptodome (ABI, keccak)"),
    ("/eth_account/", "eth-account/eth-keys/coincurve/rlp (signing)"),
    ("/eth_keys/", "eth-account/eth-keys/coincurve/rlp (signing)"),
    ("/coincurve/", "eth-account/eth-keys/coincurve/rlp (signing)"),
    ("/rlp/", "eth-account/eth-keys/coincurve/rlp (signing)"),
    ("/eth_rlp/", "eth-account/eth-keys/coincurve/rlp (signing)"),
    ("/toolz/", "toolz/cytoolz (web3's formatters)"),
    ("/cytoolz/", "toolz/cytoolz (web3's formatters)"),
    ("/sklearn/", "scikit-learn/scipy/numpy"),
    ("/scipy/", "scikit-learn/scipy/numpy"),
    ("/numpy/", "scikit-learn/scipy/numpy"),
    ("/pandas/", "pandas"),
    ("/mlmarket/chain/revm", "mlmarket.chain.revm_* (node, Python side)"),
    ("/mlmarket/chain/", "mlmarket.chain (Chain)"),
    ("/mlmarket/sim/", "mlmarket.sim (runner, agents, ledger)"),
    ("/mlmarket/market/", "mlmarket.market (market API)"),
    ("/mlmarket/ml/", "mlmarket.ml (quantise, encode, Merkle)"),
    ("/mlmarket/storage/", "mlmarket.storage"),
    ("/mlmarket/", "mlmarket (other)"),
    ("/inspect.py", "stdlib inspect (signature binding: web3/toolz arg checks)"),
]


def library_of(key: tuple[str, int, str]) -> str:
    path, _, name = key
    if path == "~":
        if "EVM" in name:
            return "pyrevm (native EVM)"
        if "_lbfgsb" in name or "liblinear" in name or "numpy" in name:
            return "scikit-learn/scipy/numpy"
        return "builtins (isinstance, len, hashing...)"
    for needle, label in LIBRARIES:
        if needle in path:
            return label
    if "/site-packages/" in path:
        return path.split("/site-packages/")[1].split("/")[0]
    return "stdlib (other)"


def short(key: tuple[str, int, str]) -> str:
    path, line, name = key
    if path == "~":
        return name
    for marker in ("/site-packages/", "/work/main/", "/lib/python3."):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{line}({name})"


def part_profile(args: argparse.Namespace) -> None:
    say(f"== cProfile, revm, {args.profile_runs} lifecycles, fits cold ({load()})")
    worker = make_worker("revm")
    play(worker, 1, args.seed + 1000)
    sim_models.clear_cache()
    profiler = cProfile.Profile()
    profiler.enable()
    seconds, _, _ = play(worker, args.profile_runs, args.seed + 4)
    profiler.disable()
    worker.close()
    stats = pstats.Stats(profiler)
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    runs = args.profile_runs
    by_library: defaultdict[str, float] = defaultdict(float)
    for key, (_, _, tottime, _, _) in raw.items():
        by_library[library_of(key)] += tottime
    say(f"profiled: {seconds:.2f} s ({seconds / runs * 1000:.0f} ms per lifecycle under cProfile)")
    say("| self time by library | ms/lifecycle | share |")
    say("| --- | ---: | ---: |")
    ranked = sorted(by_library.items(), key=lambda kv: -kv[1])
    for label, tottime in ranked:
        if tottime / total >= 0.005:
            say(f"| {label} | {tottime / runs * 1000:.0f} | {tottime / total:.1%} |")
    say(f"top {args.top} by cumulative time (below the runner):")
    skip = ("runner.py", "sweep.py", "cProfile", "bench_sim.py")
    cumulative = sorted(raw.items(), key=lambda kv: -kv[1][3])
    shown = 0
    for key, (_, ncalls, _, cumtime, _) in cumulative:
        if any(s in key[0] for s in skip) or key[2] in ("act", "<lambda>"):
            continue
        say(f"  {cumtime / runs * 1000:7.1f} ms/lifecycle {cumtime / total:6.1%}  "
            f"{ncalls / runs:7.0f} calls/lifecycle  {short(key)}")  # fmt: skip
        shown += 1
        if shown >= args.top:
            break
    say(f"top {args.top} by self time:")
    by_self = sorted(raw.items(), key=lambda kv: -kv[1][2])
    for key, (_, ncalls, tottime, _, _) in by_self[: args.top]:
        say(f"  {tottime / runs * 1000:7.1f} ms/lifecycle {tottime / total:6.1%}  "
            f"{ncalls / runs:7.0f} calls/lifecycle  {short(key)}")  # fmt: skip
    RESULTS["profile"] = {"seconds": seconds, "runs": runs, "by_library": dict(by_library)}


# --- summary ------------------------------------------------------------------------------


def summary() -> None:
    say("== summary")
    say("| what | lifecycles | seconds | ms / lifecycle | CPU ms / lifecycle | lifecycles / min "
        "| vs 1 process |")  # fmt: skip
    say("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    serial, eth = RESULTS.get("serial"), RESULTS.get("eth-tester")
    rows: list[tuple[str, int, float, float | None]] = []
    base = None
    if serial:
        for label, seconds, cpu, _ in serial["passes"]:
            rows.append((f"1 process, revm, {label}", serial["runs"], seconds, cpu))
        # The reference: fits cold with one BLAS thread, as in joblib's workers.
        ref = [p for p in serial["passes"] if "1 BLAS" in p[0]] or serial["passes"][:1]
        base = per_minute(serial["runs"], ref[0][1])
    for row in RESULTS.get("sweep", []):
        rows.append((f"sweep n_jobs={row['n_jobs']}, fresh processes", row["runs"],
                     row["fresh"], None))  # fmt: skip
        rows.append((f"sweep n_jobs={row['n_jobs']}, warm pool", row["runs"], row["warm"], None))
        rows.append((f"sweep n_jobs={row['n_jobs']}, warm pool, bond swept (fits shared)",
                     row["swept_runs"], row["swept"], None))  # fmt: skip
    if eth:
        rows.append(("1 process, eth-tester, fits cold", eth["runs"], eth["seconds"], eth["cpu"]))
    for label, runs, seconds, cpu in rows:
        rate = per_minute(runs, seconds)
        cpu_ms = f"{cpu / runs * 1000:.0f}" if cpu is not None else "-"
        ratio = f"{rate / base:.2f}x" if base else "-"
        say(f"| {label} | {runs} | {seconds:.1f} | {seconds / runs * 1000:.0f} | {cpu_ms} | "
            f"{rate:.1f} | {ratio} |")  # fmt: skip
    if serial and eth:
        _, cold, cold_cpu, _ = serial["passes"][0]
        wall = (eth["seconds"] / eth["runs"]) / (cold / serial["runs"])
        cpu = (eth["cpu"] / eth["runs"]) / (cold_cpu / serial["runs"])
        say(f"eth-tester / revm time per lifecycle (fits cold): {wall:.1f}x wall, {cpu:.1f}x CPU")
    if base:
        say("vs 1 process: against 1 process, revm, fits cold with 1 BLAS thread (as in the "
            "sweep's workers)")  # fmt: skip
    rates = [per_minute(r["runs"], r["warm"]) for r in RESULTS.get("sweep", [])]
    shared = [per_minute(r["swept_runs"], r["swept"]) for r in RESULTS.get("sweep", [])]
    if serial:
        best = max([per_minute(serial["runs"], p[1]) for p in serial["passes"][:-1]] + rates)
        say(f"goal {GOAL_PER_MINUTE}/min on revm: best measured with every fit cold "
            f"{best:.0f}/min ({best / GOAL_PER_MINUTE:.2f} of the goal; it needs <= "
            f"{60_000 * (os.cpu_count() or 1) / GOAL_PER_MINUTE:.0f} ms per lifecycle per "
            f"process on all {os.cpu_count()} cores)")  # fmt: skip
    if shared:
        say(f"goal {GOAL_PER_MINUTE}/min on revm: a bond sweep with fits shared by the subsets "
            f"of a run (cached per model, data and seed) {max(shared):.0f}/min "
            f"({max(shared) / GOAL_PER_MINUTE:.2f} of the goal)")  # fmt: skip
    if "split" in RESULTS:
        cold = RESULTS["split"]["cold"]["seconds"]
        top = max((k for k in cold if k != "total"), key=cold.get)
        share = cold[top] / cold["total"]
        say(f"largest part of one process's time (fits cold): {top} ({share:.0%})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20, help="serial revm lifecycles per pass")
    parser.add_argument("--split-runs", type=int, default=10, help="instrumented lifecycles")
    parser.add_argument("--sweep-runs", type=int, default=40, help="lifecycles per sweep")
    parser.add_argument("--jobs", default="2,cpu", help="n_jobs values ('cpu' = os.cpu_count())")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure each warm-pool sweep this many times (best and median)",
    )
    parser.add_argument("--eth-tester-runs", type=int, default=3)
    parser.add_argument("--profile-runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=15, help="functions listed by the profile")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit this process's BLAS/OpenMP threads (threadpoolctl); "
                        "joblib's workers get cpu_count // n_jobs each anyway")  # fmt: skip
    parser.add_argument("--skip", default="", help="comma-separated parts to leave out: "
                        "serial,split,sweep,eth-tester,profile")  # fmt: skip
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    from threadpoolctl import threadpool_info, threadpool_limits

    if args.blas_threads is not None:
        threadpool_limits(args.blas_threads)
    pools = ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info())
    say(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {load()}; "
        f"threads in this process: {pools or 'none'}")  # fmt: skip
    say(f"mlmarket/chain/core.py: {source_state('mlmarket/chain/core.py')}")
    say(f"scenario {SCENARIO!r}, params {PARAMS}")
    parts = {"serial": part_serial, "split": part_split, "sweep": part_sweep,
             "eth-tester": part_eth_tester, "profile": part_profile}  # fmt: skip
    start = time.perf_counter()
    for name, part in parts.items():
        if name not in skip:
            part(args)
    summary()
    say(f"benchmark wall time {time.perf_counter() - start:.0f} s ({load()})")


if __name__ == "__main__":
    main()
