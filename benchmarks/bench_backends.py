"""What a user waits for, per backend: evaluation at research size, the README's first
session, every notebook, and the Python overhead around each revm transaction.

Run: ``python benchmarks/bench_backends.py [--backends revm,anvil,eth-tester] [--skip ...]``.
Parts (``--skip`` any of them):

* ``linear``: 10,000 hidden test rows (d = 30, K = 10), 4 ``LogisticRegression``
  models, 4 models per call: the wall time of ``comp.evaluate()`` alone;
* ``mlp``: 1,000 hidden test rows, 4 ``MLPClassifier(hidden_layer_sizes=(16,))``
  models at the default MLP budget: ``comp.evaluate()`` alone;
* ``mlp10k`` (revm only): 10,000 rows, the same 4 MLPs, a budget of exactly hidden 16:
  rows per chunk, evaluation transactions and total gas;
* ``readme``: the README's Python blocks run top to bottom in a fresh process;
* ``notebooks``: every notebook executed with nbclient (``$MLMARKET_BACKEND`` picks
  the backend of ``Market.local()`` in the kernel);
* ``overhead`` (revm only): ms per token transfer through ``Chain.transact`` next to
  the node alone (the same signed raw transactions replayed straight into it), and a
  whole competition lifecycle's transactions timed the same two ways.

Sessions run with ``journal=False`` so the figures are the chain's; the journal's
own cost (one fsynced append per block) is measured in ``overhead``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlmarket as mm
from mlmarket.chain.revm_node import RevmNode
from mlmarket.ml.budgets import MlpBudget

ROOT = Path(__file__).resolve().parent.parent
FEATURES, CLASSES, TRAIN_ROWS = 30, 10, 2_000


def dataset(test_rows: int) -> tuple[pd.DataFrame, float]:
    X, y = make_classification(
        n_samples=TRAIN_ROWS + test_rows, n_features=FEATURES, n_informative=12,
        n_classes=CLASSES, random_state=0,
    )  # fmt: skip
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(FEATURES)]).assign(label=y)
    return frame, test_rows / (TRAIN_ROWS + test_rows)


def evaluate_time(
    backend: str, test_rows: int, family: str, models: list[Any], budget: Any = None
) -> dict:
    data, test_size = dataset(test_rows)
    with mm.Market.local(backend, journal=False) as market:
        comp = market.competitions.create(
            data=data, target="label", creator="alice", reward=100, test_size=test_size,
            model_family=family, payout=[0.5, 0.3, 0.2], model_budget=budget,
        )  # fmt: skip
        X, y = comp.training_xy()
        for model, who in zip(models, ("bob", "carol", "dave", "erin"), strict=True):
            comp.submit(model.fit(X, y), by=who)
        market.clock.advance_to(comp.deadline("submission"))
        comp.reveal()
        market.clock.advance_to(comp.deadline("reveal"))
        comp.reveal_test_set()
        first = len(market.chain.history)
        start = time.perf_counter()
        comp.evaluate()
        seconds = time.perf_counter() - start
        sent = market.chain.history[first:]
        return {
            "rows per chunk": comp.params.chunk_size,
            "evaluate (s)": seconds,
            "transactions": len(sent),
            "Mgas": sum(r.gas_used for r in sent) / 1e6,
        }


def linear(backend: str) -> dict:
    models = [make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
              for c in (1.0, 0.1, 0.01, 0.001)]  # fmt: skip
    return evaluate_time(backend, 10_000, "linear", models)


def mlp(backend: str) -> dict:
    models = [make_pipeline(StandardScaler(), MLPClassifier((16,), max_iter=300, random_state=s))
              for s in range(4)]  # fmt: skip
    return evaluate_time(backend, 1_000, "mlp", models)


def mlp_10k(backend: str) -> dict:
    """10,000 rows x 4 MLPs (hidden 16) in a competition whose budget is exactly hidden 16."""
    if backend != "revm":
        return {}
    models = [make_pipeline(StandardScaler(), MLPClassifier((16,), max_iter=300, random_state=s))
              for s in range(4)]  # fmt: skip
    budget = MlpBudget(max_macs=16 * (FEATURES + CLASSES), max_units=16 + CLASSES)
    return evaluate_time(backend, 10_000, "mlp", models, budget)


def in_subprocess(backend: str, code: str) -> float:
    env = dict(os.environ, MLMARKET_BACKEND=backend, MLMARKET_HOME=str(Path.cwd() / ".bench-home"))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=1800)  # fmt: skip
    return time.perf_counter() - start


def readme(backend: str) -> dict:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    code = "\n".join(b for b in blocks if "http" not in b)  # remote nodes are not benchmarked
    return {"README first session (s)": in_subprocess(backend, code)}


def notebooks(backend: str) -> dict:
    results = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        code = (
            "import nbformat; from nbclient import NotebookClient;"
            f"nb = nbformat.read({str(path)!r}, as_version=4);"
            "NotebookClient(nb, timeout=1800, kernel_name='python3').execute()"
        )
        results[f"{path.stem} (s)"] = in_subprocess(backend, code)
    return results


def timed_transactions(market: mm.Market, play: Callable[[mm.Market], None]) -> float:
    """Seconds spent inside ``Chain.transact`` while ``play`` runs."""
    spent = [0.0]
    transact = market.chain.transact

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return transact(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start

    market.chain.transact = timed  # type: ignore[method-assign]
    try:
        play(market)
    finally:
        del market.chain.transact
    return spent[0]


def replay_seconds(market: mm.Market) -> tuple[float, int]:
    """Replay the session's raw transactions into a fresh node with the same genesis."""
    backend = market.chain.backend
    entries = backend.session_state()["journal"]
    node = RevmNode(backend.node.genesis)  # type: ignore[attr-defined]
    start = time.perf_counter()
    node.replay(entries)
    return time.perf_counter() - start, sum(1 for e in entries if e["raw"] is not None)


def transfers(market: mm.Market) -> None:
    for _ in range(300):
        market.token.transfer("bob", 1, sender="alice")


def lifecycle(market: mm.Market) -> None:
    data, test_size = dataset(1_000)
    comp = market.competitions.create(data=data, target="label", creator="alice", reward=100,
                                      test_size=test_size, payout=[0.7, 0.3])  # fmt: skip
    X, y = comp.training_xy()
    for who, c in (("bob", 1.0), ("carol", 0.1), ("dave", 0.01)):
        comp.submit(make_pipeline(StandardScaler(), LogisticRegression(C=c)).fit(X, y), by=who)
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    market.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()
    comp.evaluate()
    comp.finalize()
    comp.claim_all()


def overhead(backend: str) -> dict:
    if backend != "revm":
        return {}
    results = {}
    for name, play in (("transfer", transfers), ("lifecycle", lifecycle)):
        with mm.Market.local("revm", journal=False) as market:
            first = market.chain.block_number
            chain_s = timed_transactions(market, play)
            replay_s, count = replay_seconds(market)
            sent = market.chain.block_number - first
            results[f"{name}: ms per tx through Chain.transact"] = chain_s / sent * 1000
            results[f"{name}: ms per tx replayed into the node"] = replay_s / count * 1000
            results[f"{name}: ratio"] = (chain_s / sent) / (replay_s / count)
    with mm.Market.local("revm", home=Path.cwd() / ".bench-home") as market:
        start = time.perf_counter()
        transfers(market)
        results["transfer: ms per tx with the session journal"] = (
            (time.perf_counter() - start) / 300 * 1000
        )
    return results


PARTS = {"linear": linear, "mlp": mlp, "mlp10k": mlp_10k, "readme": readme,
         "notebooks": notebooks, "overhead": overhead}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="revm,anvil,eth-tester")
    parser.add_argument("--skip", default="", help="comma-separated parts to leave out")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    for backend in args.backends.split(","):
        for name, part in PARTS.items():
            if name in skip:
                continue
            for key, value in part(backend).items():
                print(f"{backend:10} {name:9} {key:52} {value:10.3f}", flush=True)


if __name__ == "__main__":
    main()
