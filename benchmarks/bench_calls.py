"""Read-only calls: ``Chain.call`` against web3's own ``ContractFunction.call``.

Run: ``python benchmarks/bench_calls.py [--backend revm] [--repeat N]``. For each view it
prints calls per second through web3's contract layer (``fn.call(params)``, what
``Chain.call`` did before it learned the fast path) and through ``Chain.call``, and the
ratio. Both return the same value (checked here before timing).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from mlmarket import Market
from mlmarket.datasets import load_sample


def rates(actions: list[Callable[[], object]], repeat: int, rounds: int = 7) -> list[float]:
    """Calls per second of each action: the median over ``rounds`` of ``repeat`` calls, the
    actions taking turns within each round so that a busy machine slows them alike."""
    samples: list[list[float]] = [[] for _ in actions]
    for _ in range(rounds):
        for action, sample in zip(actions, samples, strict=True):
            start = time.perf_counter()
            for _ in range(repeat):
                action()
            sample.append(repeat / (time.perf_counter() - start))
    return [statistics.median(sample) for sample in samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=None, help="revm (default), eth-tester or anvil")
    parser.add_argument("--repeat", type=int, default=200, help="calls per timed round")
    options = parser.parse_args()

    with Market.local(options.backend, journal=False) as market:
        chain = market.chain
        comp = market.competitions.create(
            data=load_sample("breast_cancer"), target="diagnosis", creator="alice",
            reward=10, name="bench", payout=[0.6, 0.3, 0.1],
        )  # fmt: skip
        views = {
            "token.balanceOf(alice)": market.token.contract.functions.balanceOf(
                chain.address("alice")
            ),
            "Competition.params()": comp.contract.functions.params(),
            "Competition.winner()": comp.contract.functions.winner(),
        }
        params = {"from": chain.address(next(iter(chain.accounts)))}
        print(f"backend: {chain.kind}, {options.repeat} calls per round, median of 7 rounds")
        print(f"{'view':<26} {'web3 fn.call/s':>15} {'Chain.call/s':>13} {'ratio':>7}")
        for name, fn in views.items():
            assert chain.call(fn) == fn.call(params), name

            def slow(fn=fn) -> object:  # noqa: ANN001 - bound per view
                return fn.call(params)

            def fast(fn=fn) -> object:  # noqa: ANN001 - bound per view
                return chain.call(fn)

            before, after = rates([slow, fast], options.repeat)
            print(f"{name:<26} {before:>15,.0f} {after:>13,.0f} {after / before:>6.1f}x")


if __name__ == "__main__":
    main()
