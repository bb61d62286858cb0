"""Chain benchmarks: wall time per operation on eth-tester and anvil, and exact gas.

Run: ``python benchmarks/bench_chain.py [--repeat N]``. Prints a table with
medians and the anvil/eth-tester speed ratio. Gas figures are exact (EVM).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from mlmarket import Market
from mlmarket.chain.anvil import find_anvil
from mlmarket.contracts import load_artifact
from mlmarket.errors import ToolNotFoundError


def median_ms(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def deploy_probe(chain):  # noqa: ANN001, ANN201 - benchmark helper
    artifact = load_artifact("RevertProbe")
    contract, _ = chain.deploy(artifact.abi, artifact.bytecode, sender="deployer")
    return contract


def measure(backend: str, repeat: int) -> dict[str, float]:
    start = time.perf_counter()
    market = Market.local(backend)
    startup = (time.perf_counter() - start) * 1000
    with market:
        token, chain = market.token, market.chain
        results = {"start + deploy (ms)": startup}
        results["transfer (ms)"] = median_ms(
            lambda: token.transfer("bob", 1, sender="alice"), repeat
        )
        results["balanceOf call (ms)"] = median_ms(lambda: token.balance_of("alice"), repeat)
        results["advance clock 1 h (ms)"] = median_ms(lambda: chain.clock.advance(3600), repeat)
        probe = deploy_probe(chain)
        heavy = probe.functions.spin(2_500)  # ~1.2 Mgas of loops over warm storage
        results["1.2 Mgas of compute (ms)"] = median_ms(
            lambda: chain.transact(heavy, sender="alice"), max(3, repeat // 5)
        )
        results["gas: spin(2500)"] = chain.history[-1].gas_used
        snap = chain.snapshot()
        results["snapshot + revert (ms)"] = median_ms(lambda: chain.revert(snap), repeat)
        results["gas: deploy MarketToken, 10 holders"] = chain.history[0].gas_used
        results["gas: transfer"] = next(r.gas_used for r in chain.history if r.action == "transfer")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    backends = ["eth-tester"]
    try:
        find_anvil()
        backends.append("anvil")
    except ToolNotFoundError as missing:
        print(f"(anvil not measured: {missing})")
    table = {backend: measure(backend, args.repeat) for backend in backends}
    print(f"{'operation':40} " + " ".join(f"{b:>12}" for b in backends) + "   anvil speed-up")
    for key in table["eth-tester"]:
        values = [table[b][key] for b in backends]
        ratio = values[0] / values[1] if len(values) == 2 and values[1] else float("nan")
        cells = " ".join(f"{v:12.1f}" if "ms" in key else f"{int(v):12,d}" for v in values)
        print(f"{key:40} {cells}   {ratio:5.1f}x" if "ms" in key else f"{key:40} {cells}")


if __name__ == "__main__":
    main()
