"""Gas of the competition rules: metrics per class, period caps, finals, one place per address.

Run: ``python benchmarks/bench_rules.py``. Every number is exact EVM gas from the
transactions the Market API sends (``market.chain.history``) on the default backend,
with the real linear evaluator: synthetic data (``sklearn.datasets.make_classification``,
d = 30 features, K classes, 1,000 rows of which 400 are the hidden test set), four
``LogisticRegression`` participants, one competition per (K, metric).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlmarket as mm

DAY = 86_400
PERIODS = {"submission": 2 * DAY, "reveal": DAY, "test_reveal": DAY, "evaluation": 2 * DAY}
PEOPLE = ("bob", "carol", "dave", "erin")


def data(classes: int, rows: int = 1_000, features: int = 30) -> pd.DataFrame:
    X, y = make_classification(
        n_samples=rows, n_features=features, n_informative=20, n_classes=classes,
        n_clusters_per_class=1, random_state=classes,
    )  # fmt: skip
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(features)])
    frame["label"] = y
    return frame


def gas(market: mm.Market, action: str, since: int) -> list[int]:
    return [
        r.gas_used for r in market.chain.history[since:] if r.action == action and r.status == 1
    ]


def play(market: mm.Market, frame: pd.DataFrame, **rules: Any) -> dict[str, Any]:
    """One competition; the gas of each action, and the evaluate calls' shape."""
    start = len(market.chain.history)
    comp = market.competitions.create(
        data=frame, target="label", creator="alice", reward=100, periods=PERIODS,
        test_size=0.4, payout=[0.5, 0.3, 0.2], models_per_call=4, **rules,
    )  # fmt: skip
    X, y = comp.training_xy()
    for i, who in enumerate(PEOPLE):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=10.0**-i, max_iter=3000))
        comp.submit(model.fit(X, y), by=who)
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    market.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()
    calls = comp.evaluate(by="frank")
    chunks = int(market.chain.call(comp.contract.functions.chunkCount()))
    return {
        "evaluator": evaluator_gas(market, comp),
        "create": gas(market, "createCompetitionWithPermit", start),
        "commit": gas(market, "commit", start),
        "reveal": gas(market, "reveal", start),
        "evaluate": gas(market, "evaluate", start),
        "calls": calls,
        "chunks": chunks,
    }


def evaluator_gas(market: mm.Market, comp: mm.Competition) -> dict[str, int]:
    """Gas of the evaluator alone on the first test chunk with every model: ``scoreBatch``
    and ``tallyBatch`` (eth_estimateGas of a direct call; the calldata is the same)."""
    chunk = comp._revealed_test_set()[0][0]
    models = list(comp.scorable_models().values())
    evaluator = market.chain.contract(
        market.chain.call(comp.contract.functions.evaluator()), mm.contracts.load_artifact(
            "IEvaluator").abi,
    )  # fmt: skip
    p = comp.params
    out = {"rows": comp.params.chunk_size if p.samples > p.chunk_size else p.samples}
    for name in ("scoreBatch", "tallyBatch"):
        fn = getattr(evaluator.functions, name)(chunk, models, p.features, p.classes)
        out[name] = int(fn.estimate_gas({"from": market.chain.address("frank")}))
    out["models"] = len(models)
    return out


def run() -> dict[str, Any]:
    market = mm.Market.local(journal=False)
    results: dict[str, Any] = {"metrics": []}
    for classes in (2, 10, 32):
        frame = data(classes)
        by_metric = {}
        for metric in ("accuracy", "balanced_accuracy", "macro_f1"):
            with market.chain.rollback():
                by_metric[metric] = play(market, frame, metric=metric)
        base = by_metric["accuracy"]
        for metric, r in by_metric.items():
            evaluations = r["calls"] * 4  # (model, chunk) pairs: 4 models per call
            extra = (sum(r["evaluate"]) - sum(base["evaluate"])) / evaluations
            e = r["evaluator"]
            in_evaluator = (e["tallyBatch"] - e["scoreBatch"]) / (e["models"] * e["rows"])
            results["metrics"].append(
                {
                    "classes": classes, "metric": metric, "chunks": r["chunks"],
                    "evaluate_calls": r["calls"], "evaluate_gas": sum(r["evaluate"]),
                    "extra_per_model_chunk": round(extra),
                    "extra_per_class": round(extra / classes),
                    "tally_per_row": round(in_evaluator, 1),
                }
            )  # fmt: skip
    frame = data(2)
    with market.chain.rollback():
        plain = play(market, frame, multiple_places=True)
    with market.chain.rollback():
        capped = play(market, frame, entries_per_period=2, period=DAY, multiple_places=True)
    with market.chain.rollback():
        one_place = play(market, frame)
    with market.chain.rollback():
        finals = play(market, frame, finals=1, multiple_places=True)
    results["steps"] = {
        "commit, no rules (later commit)": plain["commit"][-1],
        "commit with a per-period cap": capped["commit"][-1],
        "commit with finals (records the commit's number)": finals["commit"][-1],
        "reveal, no rules": plain["reveal"][-1],
        "reveal with finals (counts revealed finals)": finals["reveal"][-1],
        "evaluate (last chunk, completes and ranks 4), several places per address": plain[
            "evaluate"
        ][-1],
        "evaluate (same), one place per address": one_place["evaluate"][-1],
    }
    with market.chain.rollback():
        comp = market.competitions.create(
            data=frame, target="label", creator="alice", reward=100, periods=PERIODS, finals=2
        )
        X, y = comp.training_xy()
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000)).fit(X, y)
        subs = [comp.submit(model, by="bob") for _ in range(3)]
        start = len(market.chain.history)
        comp.select_finals(subs[:1], by="bob")
        comp.select_finals(subs[:2], by="bob")
        one, two = gas(market, "selectFinals", start)
        results["steps"]["selectFinals, 1 id (first selection)"] = one
        results["steps"]["selectFinals, 2 ids (replacing it)"] = two
    market.close()
    return results


def main() -> None:
    """Print Markdown tables (as in benchmarks/README.md)."""
    results = run()
    print("| classes | metric | chunks | evaluate calls | evaluate gas | extra per (model, chunk) "
          "| extra per class | of which the evaluator, per (model, row) |"
          "\n| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")  # fmt: skip
    for r in results["metrics"]:
        print(f"| {r['classes']} | {r['metric']} | {r['chunks']} | {r['evaluate_calls']} | "
              f"{r['evaluate_gas']:,} | {r['extra_per_model_chunk']:,} | "
              f"{r['extra_per_class']:,} | {r['tally_per_row']} |")  # fmt: skip
    print("\n| step | gas |\n| --- | ---: |")
    for label, value in results["steps"].items():
        print(f"| {label} | {value:,} |")


if __name__ == "__main__":
    main()
