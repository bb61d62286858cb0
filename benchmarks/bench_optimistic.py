"""Optimistic evaluation against full on-chain scoring: gas, transactions, break-even size.

Run: ``python benchmarks/bench_optimistic.py [--backend revm|eth-tester|anvil]
[--rows 100000] [--models 8]`` (``--rows 5000`` for a quick run).

Part 1, measured: one competition through the Market API on the chosen backend (the
default chain, revm, unless told), with the real ``LinearEvaluator`` and ``ScoreClaims``:
synthetic data (``sklearn.datasets.make_classification``, d = 30 features, K = 10 classes,
``n_informative=20``), 5,000 training rows and a separate hidden test set of ``--rows``
rows (``competitions.create(test=...)``), ``--models`` ``LogisticRegression`` participants
(``StandardScaler`` first, different ``C``), accuracy, four models per ``evaluate`` call
(the default). From one chain snapshot taken right after the test reveal, three
scenarios, each rolled back before the next:

* **optimistic, honest**: ``comp.claim_scores(by=...)`` posts one claim per model (after
  one ``approve`` of every bond), the clock passes the challenge window, then
  ``comp.settle_claims()`` (one ``settle`` per claim) and ``comp.finalize()``;
* **optimistic, one successful challenge**: the same, plus one wrong claim posted with
  ``comp.post_claim`` (the first model's true leaves from ``comp.chunk_results`` with the
  middle chunk's count of hits + 1; its own ``approve`` and ``postClaim``) and
  ``comp.watch(by=...)`` challenging it during the window (the contract scores that one
  chunk with that one model and voids the claim);
* **on chain**: ``comp.evaluate(by=...)`` scores every chunk of every model, then
  ``comp.finalize()``.

Gas is the receipts' (``market.chain.history``), summed by action; "scoring" is every
transaction after the test reveal except ``finalize`` (the same in every scenario and
reported apart). The leaderboards of both optimistic runs are checked against the
on-chain run's (rank, id, score, prize, and each submission's raw on-chain score): part 1
prints the result, part 2 stops at a difference.

Part 2, break-even test-set size per family (linear, MLP, tree; K = 10, d = 30, each at
its default model budget and chunk size; ``--models`` ``LogisticRegression``,
``MLPClassifier`` (hidden 16-30) or ``RandomForestClassifier`` (12-16 trees of depth 6)
models, fitted once per family on 5,000 training rows; the test sets are the first rows
of one pool of 10,000, whatever ``--rows``): the same three scenarios *measured* on
small competitions of 1/8, 1/2, 1, 2 and 4 chunks of test rows (``--points``). The
break-even size is first *computed*: each scenario's measured scoring gas is interpolated
linearly in the test rows between those points, and the smallest size where on-chain
scoring costs at least as much as the optimistic one is taken (honest; with one
challenge, counting the wrong claim's ``approve`` and ``postClaim``, the watcher's
``approve`` and the ``challenge``). Then competitions of that size and the sizes next to
it are *measured*, a row at a time (at most 20), down to the smallest size where on-chain
scoring costs at least as much as the optimistic one and less a row below: the measured
break-even. ``postClaim`` per model at 1, 2 and 4 chunks comes from the same runs (and at
part 1's chunk count from part 1).

Wall times are printed for every step (one run; the machine is whatever runs it).
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlmarket as mm

DAY = 86_400
PERIODS = {"submission": DAY, "reveal": DAY, "test_reveal": DAY, "evaluation": 7 * DAY}
WINDOW = DAY
FEATURES, CLASSES = 30, 10
TRAIN_ROWS = 5_000
PEOPLE = ("bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan")
CREATOR, CLAIMER, CHEAT, WATCHER, EVALUATOR = "alice", "bob", "carol", "dave", "frank"
POINTS = "0.125,0.5,1,2,4"
MAX_STEPS = 20  # rows tried around a computed break-even
PART2_POOL = 10_000  # test rows part 2 slices its test sets from


class Data:
    """One synthetic task: 5,000 training rows and a pool of hidden test rows to slice."""

    def __init__(self, test_rows: int) -> None:
        X, y = make_classification(
            n_samples=TRAIN_ROWS + test_rows, n_features=FEATURES, n_informative=20,
            n_classes=CLASSES, random_state=0,
        )  # fmt: skip
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(FEATURES)])
        frame["label"] = y
        self.train = frame.iloc[:TRAIN_ROWS].reset_index(drop=True)
        self.pool = frame.iloc[TRAIN_ROWS:].reset_index(drop=True)
        self._fitted: dict[str, list[Any]] = {}

    def test(self, rows: int) -> pd.DataFrame:
        if rows > len(self.pool):
            raise ValueError(f"{rows} test rows asked, {len(self.pool)} in the pool")
        return self.pool.iloc[:rows].reset_index(drop=True)

    def models(self, family: str, count: int, X: pd.DataFrame, y: pd.Series) -> list[Any]:
        """``count`` fitted models of ``family`` (fitted once: the training rows never change)."""
        fitted = self._fitted.setdefault(family, [])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            while len(fitted) < count:
                fitted.append(estimator(family, len(fitted)).fit(X, y))
        return fitted[:count]


def estimator(family: str, i: int) -> Any:
    """The ``i``-th participant's model of ``family`` (each a little different)."""
    if family == "linear":
        return make_pipeline(
            StandardScaler(), LogisticRegression(C=10.0 ** (1 - i / 2), max_iter=3000)
        )
    if family == "mlp":  # within the default budget (one hidden layer of up to 32 units)
        return make_pipeline(StandardScaler(), MLPClassifier(
            hidden_layer_sizes=(16 + 2 * (i % 9),), max_iter=300, random_state=i))  # fmt: skip
    # 12-16 trees of depth 6: within the default budget (16 trees of depth 6)
    return RandomForestClassifier(n_estimators=12 + i % 5, max_depth=6, random_state=i)


class Timer:
    """Prints the wall time of named steps."""

    @contextmanager
    def __call__(self, label: str, quiet: bool = False) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            if not quiet:
                print(f"  [{time.perf_counter() - start:7.2f} s] {label}", flush=True)


@dataclass
class Run:
    """What one scenario sent (every transaction after the test reveal)."""

    label: str
    txs: list[Any] = field(default_factory=list)
    seconds: float = 0.0
    leaderboard: pd.DataFrame | None = None
    raw_scores: dict[int, int] = field(default_factory=dict)

    def gas(self, action: str, sender: str | None = None) -> list[int]:
        return [t.gas_used for t in self.txs if t.action == action and t.status == 1
                and (sender is None or t.sender == sender)]  # fmt: skip

    @property
    def scoring(self) -> list[Any]:
        """Every successful transaction but ``finalize`` (the same in every scenario)."""
        return [t for t in self.txs if t.action != "finalize" and t.status == 1]

    def total(self) -> int:
        return sum(t.gas_used for t in self.scoring)

    def failed(self) -> int:
        return sum(1 for t in self.txs if t.status != 1)


class Competition:
    """One optimistic competition up to its test reveal, and the three scenarios from there."""

    def __init__(self, market: mm.Market, data: Data, family: str, test_rows: int, models: int,
                 timer: Timer, quiet: bool = False) -> None:  # fmt: skip
        self.market = market
        self.timer = timer
        self.quiet = quiet
        self.models = models
        self.rows = test_rows
        with timer(f"{family}: create ({test_rows:,} test rows)", quiet):
            self.comp = market.competitions.create(
                data=data.train, test=data.test(test_rows), target="label", creator=CREATOR,
                reward=1000, periods=PERIODS, model_family=family, payout=[0.5, 0.3, 0.2],
                multiple_places=True, evaluation="optimistic", challenge_window=WINDOW,
            )  # fmt: skip
        self.chunks = int(market.chain.call(self.comp.contract.functions.chunkCount()))
        self.chunk_size = self.comp.params.chunk_size
        X, y = self.comp.training_xy()
        with timer(f"{family}: fit (once per family) and submit {models} models", quiet):
            for i, model in enumerate(data.models(family, models, X, y)):
                self.comp.submit(model, by=PEOPLE[i % len(PEOPLE)])
        market.clock.advance_to(self.comp.deadline("submission"))
        with timer(f"{family}: reveal {models} models", quiet):
            self.comp.reveal()
        market.clock.advance_to(self.comp.deadline("reveal"))
        self.comp.reveal_test_set()
        self.snapshot = market.chain.snapshot()

    @contextmanager
    def scenario(self, label: str) -> Iterator[Run]:
        """Run a scenario from the snapshot after the test reveal; record its transactions."""
        chain = self.market.chain
        chain.revert(self.snapshot)
        start = len(chain.history)
        run = Run(label)
        began = time.perf_counter()
        yield run
        run.seconds = time.perf_counter() - began
        run.txs = list(chain.history[start:])
        run.leaderboard = self.comp.leaderboard()
        fns = self.comp.contract.functions
        for sub_id in run.leaderboard["id"]:
            run.raw_scores[int(sub_id)] = int(chain.call(fns.submission(int(sub_id)))[4])
        chain.revert(self.snapshot)

    def step(self, label: str) -> Any:
        return self.timer(label, self.quiet)

    def honest(self) -> Run:
        with self.scenario("optimistic, honest") as run:
            with self.step(f"claim_scores (1 approve + {self.models} postClaim)"):
                self.comp.claim_scores(by=CLAIMER)
            self.market.clock.advance(WINDOW + 1)
            with self.step("settle_claims"):
                self.comp.settle_claims(by=CLAIMER)
            with self.step("finalize"):
                self.comp.finalize(by=CLAIMER)
        return run

    def challenged(self) -> Run:
        with self.scenario("optimistic, one successful challenge") as run:
            with self.step("claim_scores"):
                self.comp.claim_scores(by=CLAIMER)
            with self.step("post one wrong claim (raw calls)"):
                self.post_wrong_claim()
            with self.step("watch (challenges the wrong claim)"):
                actions = self.comp.watch(by=WATCHER)
            if list(actions["result"]) != ["voided"]:
                raise AssertionError(f"the watcher should void exactly one claim:\n{actions}")
            self.market.clock.advance(WINDOW + 1)
            with self.step("settle_claims"):
                self.comp.settle_claims(by=CLAIMER)
            with self.step("finalize"):
                self.comp.finalize(by=CLAIMER)
            statuses = Counter(self.comp.claims()["status"])
            if statuses != {"final": self.models, "voided": 1}:
                raise AssertionError(f"unexpected claim statuses after settling: {statuses}")
        return run

    def post_wrong_claim(self) -> None:
        """The first model's true leaves with the middle chunk's count of hits one higher."""
        comp = self.comp
        sub_id = min(comp.scorable_models())
        leaves = comp.chunk_results(sub_id)  # the exact reference's leaf vectors
        wrong = len(leaves) // 2
        leaves[wrong] = [leaves[wrong][0] + 1, *leaves[wrong][1:]]
        comp.post_claim(sub_id, leaves, by=CHEAT)  # an approve of the bond, then postClaim

    def wrong_chunk_rows(self) -> int:
        wrong = self.chunks // 2
        return min(self.chunk_size, self.rows - wrong * self.chunk_size)

    def onchain(self) -> Run:
        with self.scenario("on chain") as run:
            with self.step("evaluate"):
                self.comp.evaluate(by=EVALUATOR, progress=False)
            with self.step("finalize"):
                self.comp.finalize(by=EVALUATOR)
        return run

    def all(self) -> tuple[Run, Run, Run]:
        """The three scenarios, the optimistic leaderboards checked against the on-chain one."""
        runs = self.honest(), self.challenged(), self.onchain()
        problems = same_leaderboard(runs[0], runs[2]) + same_leaderboard(runs[1], runs[2])
        if problems:
            raise AssertionError("\n".join(problems))
        return runs


def same_leaderboard(a: Run, b: Run) -> list[str]:
    """Differences between two runs' leaderboards (rank, id, score, prize; raw scores)."""
    cols = ["rank", "id", "score", "prize"]
    la = a.leaderboard[cols].reset_index(drop=True)  # type: ignore[index]
    lb = b.leaderboard[cols].reset_index(drop=True)  # type: ignore[index]
    problems = []
    if not la.equals(lb):
        problems.append(f"leaderboards differ:\n{a.label}:\n{la}\n{b.label}:\n{lb}")
    if a.raw_scores != b.raw_scores:
        problems.append(f"raw scores differ: {a.raw_scores} vs {b.raw_scores}")
    return problems


def fmt(gas: float) -> str:
    return f"{gas:,.0f}"


def mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else float("nan")


def spread(values: list[int]) -> str:
    if min(values) == max(values):
        return fmt(values[0])
    return f"{fmt(mean(values))} ({fmt(min(values))}-{fmt(max(values))})"


def scenario_table(comp: Competition, runs: tuple[Run, Run, Run]) -> None:
    address = {name: comp.market.chain.address(name) for name in (CLAIMER, CHEAT, WATCHER)}
    honest, challenged, onchain = runs
    print(f"\n{comp.rows:,} test rows in {comp.chunks} chunks of {comp.chunk_size:,} rows, "
          f"{comp.models} models\n")  # fmt: skip
    print("| scenario | transactions | scoring gas | on chain / this | wall s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for run in runs:
        print(f"| {run.label} | {len(run.scoring)} | {fmt(run.total())} | "
              f"{onchain.total() / run.total():,.1f}x | {run.seconds:.2f} |")  # fmt: skip
    print("\n| step | transactions | gas each: mean (min-max) | gas in total |")
    print("| --- | ---: | ---: | ---: |")
    rows = [
        ("honest: approve (claim bond)", honest.gas("approve", address[CLAIMER])),
        ("honest: postClaim, one per model", honest.gas("postClaim", address[CLAIMER])),
        ("honest: settle, one per claim (scores the model)", honest.gas("settle")),
        ("challenge: the wrong claim's approve", challenged.gas("approve", address[CHEAT])),
        ("challenge: the wrong claim's postClaim", challenged.gas("postClaim", address[CHEAT])),
        ("challenge: the watcher's approve (challenge bond)",
         challenged.gas("approve", address[WATCHER])),
        (f"challenge: challenge (one chunk of {comp.wrong_chunk_rows():,} rows, one model; voids)",
         challenged.gas("challenge")),
        ("on chain: evaluate, per call (4 models, one chunk)", onchain.gas("evaluate")),
        ("finalize (the same in every scenario; not in the totals)", honest.gas("finalize")),
    ]  # fmt: skip
    for label, values in rows:
        if values:
            print(f"| {label} | {len(values)} | {spread(values)} | {fmt(sum(values))} |")
    for run in runs:
        if run.failed():
            print(f"({run.label}: {run.failed()} failed transactions, not counted)")


# --- part 2: break-even ------------------------------------------------------------------


@dataclass
class Point:
    """The measured scoring gas of the three scenarios on one test-set size."""

    rows: int
    chunks: int
    honest: int
    challenged: int
    onchain: int
    post: list[int]
    settle: list[int]
    challenge: int
    challenge_rows: int


def measure(market: mm.Market, data: Data, family: str, rows: int, models: int,
            timer: Timer) -> Point:  # fmt: skip
    comp = Competition(market, data, family, rows, models, timer, quiet=True)
    honest, challenged, onchain = comp.all()
    claimer = market.chain.address(CLAIMER)
    point = Point(
        rows, comp.chunks, honest.total(), challenged.total(), onchain.total(),
        honest.gas("postClaim", claimer), honest.gas("settle"), challenged.gas("challenge")[0],
        comp.wrong_chunk_rows(),
    )  # fmt: skip
    market.chain.revert(comp.snapshot)
    return point


def interpolate(points: list[Point], attribute: str, rows: int) -> float:
    """``attribute`` of the points, linear in rows between them (the end segments beyond)."""
    xs = [p.rows for p in points]
    ys = [getattr(p, attribute) for p in points]
    i = max(0, min(len(xs) - 2, int(np.searchsorted(xs, rows)) - 1))
    return ys[i] + (ys[i + 1] - ys[i]) * (rows - xs[i]) / (xs[i + 1] - xs[i])


def crossing(points: list[Point], optimistic: str) -> int | None:
    """Smallest test-set size (rows) whose interpolated on-chain gas reaches ``optimistic``'s."""
    for rows in range(1, points[-1].rows + 1):
        if interpolate(points, "onchain", rows) >= interpolate(points, optimistic, rows):
            return rows
    return None


def break_even(market: mm.Market, data: Data, family: str, models: int, fractions: list[float],
               timer: Timer) -> dict[str, Any]:  # fmt: skip
    probe = Competition(market, data, family, 100, 1, timer, quiet=True)
    size = probe.chunk_size
    market.chain.revert(probe.snapshot)
    points = []
    for fraction in fractions:
        rows = max(1, round(fraction * size))
        with timer(f"{family}: measure {rows:,} test rows"):
            points.append(measure(market, data, family, rows, models, timer))
    result: dict[str, Any] = {"family": family, "chunk_size": size, "points": points}
    checks: dict[int, Point] = {p.rows: p for p in points}

    def at(rows: int) -> Point:
        if rows not in checks:
            with timer(f"{family}: check at {rows:,} test rows"):
                checks[rows] = measure(market, data, family, rows, models, timer)
        return checks[rows]

    for optimistic in ("honest", "challenged"):
        computed = crossing(points, optimistic)
        result[optimistic] = computed
        if computed is None:
            continue

        # The measured break-even near the computed one: on chain >= optimistic there, < a row less.
        def crosses(rows: int, kind: str = optimistic) -> bool:
            point = at(rows)
            return point.onchain >= getattr(point, kind)

        rows = computed
        for _ in range(MAX_STEPS):
            if rows > 1 and crosses(rows - 1):
                rows -= 1
            elif not crosses(rows):
                rows += 1
            else:
                result[f"{optimistic}_measured"] = rows
                break
        result[f"{optimistic}_checks"] = [at(n) for n in (rows - 1, rows) if n >= 1]
    return result


def print_break_even(results: list[dict[str, Any]], models: int) -> None:
    print("\n| family | chunk rows | test rows (chunks) | on chain | optimistic, honest "
          "| optimistic, one challenge | postClaim per model | settle per claim | challenge |"
          "\n| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")  # fmt: skip
    for r in results:
        for p in r["points"]:
            print(
                f"| {r['family']} | {r['chunk_size']:,} | {p.rows:,} ({p.chunks}) | "
                f"{fmt(p.onchain)} | {fmt(p.honest)} | {fmt(p.challenged)} | {spread(p.post)} | "
                f"{spread(p.settle)} | {fmt(p.challenge)} ({p.challenge_rows:,} rows) |"
            )
    print(f"\n| family | scenario ({models} models) | break-even rows: computed | measured | "
          "measured one row below: on chain / optimistic | measured at it: on chain / "
          "optimistic |\n| --- | --- | ---: | ---: | ---: | ---: |")  # fmt: skip
    for r in results:
        for kind, label in (("honest", "honest"), ("challenged", "one challenge")):
            computed, measured = r[kind], r.get(f"{kind}_measured")
            cells = [r["family"], label, f"{computed:,}" if computed else "beyond the points",
                     f"{measured:,}" if measured else "not found"]  # fmt: skip
            for check in r.get(f"{kind}_checks", []):
                sign = ">=" if check.onchain >= getattr(check, kind) else "<"
                cells.append(f"{check.rows:,}: {fmt(check.onchain)} {sign} "
                             f"{fmt(getattr(check, kind))}")  # fmt: skip
            print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--backend", default=None, help="revm (the default chain), eth-tester or anvil"
    )
    parser.add_argument("--rows", type=int, default=100_000, help="hidden test rows of part 1")
    parser.add_argument("--models", type=int, default=8, help="participants' models")
    parser.add_argument(
        "--families",
        default="linear,mlp,tree",
        help="families of part 2, comma-separated ('' skips part 2)",
    )
    parser.add_argument(
        "--points", default=POINTS, help=f"part 2's test-set sizes, in chunks (default {POINTS})"
    )
    parser.add_argument("--skip-main", action="store_true", help="skip part 1")
    args = parser.parse_args()
    started = time.perf_counter()
    timer = Timer()
    market = mm.Market.local(args.backend, journal=False, tokens_per_account=1_000_000)
    print(f"backend: {market.chain.kind}; {args.models} models; part 1: {args.rows:,} test rows")
    fractions = [float(f) for f in args.points.split(",")]
    if not args.skip_main:
        data = Data(args.rows)
        print(f"\n## Part 1: {args.rows:,} test rows x {args.models} linear K={CLASSES} models")
        comp = Competition(market, data, "linear", args.rows, args.models, timer)
        runs = comp.honest(), comp.challenged(), comp.onchain()
        problems = same_leaderboard(runs[0], runs[2]) + same_leaderboard(runs[1], runs[2])
        scenario_table(comp, runs)
        verdict = "equal" if not problems else "DIFFERENT"
        print("\nleaderboards of both optimistic runs and the on-chain run (rank, id, score, "
              f"prize, raw on-chain score): {verdict}")  # fmt: skip
        print(runs[0].leaderboard[["rank", "id", "submitter", "score", "prize"]]
              .to_string(index=False))  # type: ignore[index]  # fmt: skip
        for problem in problems:
            print("PROBLEM:", problem)
        market.chain.revert(comp.snapshot)
    results = []
    data = Data(max(PART2_POOL, round(max(fractions) * 1_100)))  # the same whatever --rows
    for family in [f for f in args.families.split(",") if f]:
        print(f"\n## Part 2: break-even, {family}")
        results.append(break_even(market, data, family, args.models, fractions, timer))
    if results:
        print_break_even(results, args.models)
    market.close()
    print(f"\ntotal wall time: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
