"""revm benchmark: contract compute (Mgas/s) on eth-tester, revm and anvil; revm's overhead.

Run: ``python benchmarks/bench_revm.py [--repeat N]``. Through mlmarket's ``Chain``
(signing, explicit gas, receipt check and history included):

* compute: ``RevertProbe.spin(n)`` and ``LinearEvaluator.scoreBatch`` on a full
  chunk. "marginal Mgas/s" is the extra gas of a heavy ``spin`` over a light one
  divided by the extra wall time (the engine alone); "all-in" divides a heavy
  transaction's gas by its whole wall time (engine plus per-transaction overhead);
* overhead: token transfers per second through ``Chain.transact``, the share of the
  dry run that keeps failing transactions from being mined (on eth-tester: the
  snapshot taken instead, a failure being reverted unmined), and the cost of
  reverting to a snapshot taken before a 200-transaction session (revm replays its
  journal, eth-tester re-imports a block, anvil restores its own snapshot).

Gas figures are exact and the same on every backend.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from mlmarket.chain import Chain, connect
from mlmarket.chain.anvil import find_anvil
from mlmarket.contracts import MarketToken, bind_errors, load_artifact
from mlmarket.errors import ToolNotFoundError
from mlmarket.ml import LinearParams, encode_chunk, encode_model, rows_per_chunk

HEAVY_SPIN = {"eth-tester": 2_500, "revm": 30_000, "anvil": 30_000}  # ~1.2 and ~15.4 Mgas
LIGHT_SPIN = 10
FEATURES = 30


def median_s(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def deploy(chain: Chain, name: str) -> Any:
    artifact = load_artifact(name)
    return chain.deploy(artifact.abi, artifact.bytecode, sender="deployer")[0]


def score_call(evaluator: Any) -> Any:
    rng = np.random.default_rng(0)
    rows = rows_per_chunk(FEATURES, 2, models_per_call=1)
    chunk = encode_chunk(
        rng.integers(-127, 128, (rows, FEATURES)), rng.integers(0, 2, rows), regression=False
    )
    weights = rng.integers(-(2**15), 2**15, (1, FEATURES))
    model = encode_model(LinearParams(0, 2, weights, (12_345,), 2, 4, 0))
    return evaluator.functions.scoreBatch(chunk, [model], FEATURES, 2)


def compute(chain: Chain, backend: str, repeat: int) -> dict[str, float]:
    probe = deploy(chain, "RevertProbe")
    chain.transact(probe.functions.spin(1), sender="alice")  # warm the probe's counter
    heavy, light = probe.functions.spin(HEAVY_SPIN[backend]), probe.functions.spin(LIGHT_SPIN)
    heavy_s = median_s(lambda: chain.transact(heavy, sender="alice"), repeat)
    heavy_gas = chain.history[-1].gas_used
    light_s = median_s(lambda: chain.transact(light, sender="alice"), repeat)
    light_gas = chain.history[-1].gas_used
    results = {
        "spin: gas of the heavy call": heavy_gas,
        "spin: all-in Mgas/s": heavy_gas / heavy_s / 1e6,
        "spin: marginal Mgas/s": (heavy_gas - light_gas) / (heavy_s - light_s) / 1e6,
    }
    score = score_call(deploy(chain, "LinearEvaluator"))
    score_s = median_s(lambda: chain.transact(score, sender="bob"), max(1, repeat // 3))
    results["scoreBatch full chunk: gas"] = chain.history[-1].gas_used
    results["scoreBatch full chunk: ms"] = score_s * 1000
    return results


def overhead(chain: Chain, repeat: int) -> dict[str, float]:
    token = MarketToken.deploy(chain, {who: 1_000 for who in chain.accounts})
    snap = chain.snapshot()
    count = 10 * repeat
    start = time.perf_counter()
    for _ in range(count):
        token.transfer("bob", 1, sender="alice")
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    chain.revert(snap)
    revert_ms = (time.perf_counter() - start) * 1000
    # The dry run before each transaction: the same transfer sent with and without it.
    fn = token.contract.functions.transfer(chain.address("bob"), 1)
    timed = {}
    for simulate in (True, False) * 6:  # alternated, the fastest round of each kept
        start = time.perf_counter()
        for _ in range(count):
            chain.transact(fn, sender="alice", simulate=simulate)
        timed.setdefault(simulate, []).append((time.perf_counter() - start) / count)
    with_dry_run, without = min(timed[True]), min(timed[False])
    return {
        "token transfers per second": count / seconds,
        "ms per transfer": seconds / count * 1000,
        f"revert over {count} transactions (ms)": revert_ms,
        "ms per transfer without the dry run": without * 1000,
        "dry-run overhead per transfer (%)": (with_dry_run / without - 1) * 100,
    }


def measure(backend: str, repeat: int) -> dict[str, float]:
    with connect(backend) as chain:
        bind_errors(chain)
        return {**compute(chain, backend, repeat), **overhead(chain, repeat)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    backends = ["eth-tester", "revm"]
    try:
        find_anvil()
        backends.append("anvil")
    except ToolNotFoundError as missing:
        print(f"(anvil not measured: {missing})")
    table = {backend: measure(backend, args.repeat) for backend in backends}
    print(f"{'measure':42} " + " ".join(f"{b:>12}" for b in backends))
    for key in table["revm"]:
        cells = " ".join(
            f"{int(table[b][key]):12,d}" if "gas" in key and "Mgas" not in key
            else f"{table[b][key]:12.1f}"
            for b in backends
        )  # fmt: skip
        print(f"{key:42} {cells}")


if __name__ == "__main__":
    main()
