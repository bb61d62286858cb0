"""Evaluation-kernel benchmark: gas per multiply-accumulate (MAC) of the linear evaluators.

Run: ``python benchmarks/bench_evaluator.py [--backend eth-tester|anvil] [--features 30]``.

Three kernels score the same version-1 chunks and models in one run:

* ``NaiveLinearEvaluator`` (test only): plain ``unchecked`` Solidity over calldata;
* ``LinearEvaluatorUnrolled`` (test only): an older kernel (eight-wide unrolled assembly);
* ``LinearEvaluator``: the SWAR kernel the Market deploys (docs/fixed-point.md).

Execution gas is what a call spends beyond the 21,000 base and the calldata's standard
intrinsic gas (4 per zero byte, 16 per other byte): read off a mined receipt when
EIP-7623's floor (10 gas per zero byte, 40 per other byte) does not bind, else found as
the smallest gas limit with which ``eth_call`` succeeds (the floor hides execution gas
in a receipt). MACs are ``rows * models * outputs * features``. "per row" is the gas of
16 rows minus that of 8, per model, divided by ``outputs * features`` (setup excluded);
"all-in" divides the whole execution gas of a full chunk (``rows_per_chunk`` for that
shape and number of models) by its MACs. The full-chunk table shows what a transaction
pays: max(21,000 + standard calldata + execution, floor). Models are exported-like:
int16 weights and int32 biases; the chunk sizes assume the largest models (int32
weights, int64 biases). Gas is exact and the same on every backend.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from mlmarket.chain import Chain, connect
from mlmarket.contracts import load_artifact
from mlmarket.ml import (
    LinearParams,
    call_bytes,
    encode_chunk,
    encode_model,
    model_size,
    rows_per_chunk,
)
from mlmarket.ml.testset import DEFAULT_RESERVE_BYTES, DEFAULT_RESERVE_GAS, GAS_CAP

KERNELS = {
    "naive Solidity": "NaiveLinearEvaluator",
    "unrolled assembly": "LinearEvaluatorUnrolled",
    "SWAR (LinearEvaluator)": "LinearEvaluator",
}
CASES = [  # (label, classes, outputs per model, models per call)
    ("K=2, sign rule", 2, 1, 1),
    ("K=2, sign rule", 2, 1, 8),
    ("K=2, two logits", 2, 2, 1),
    ("K=10", 10, 10, 1),
    ("K=10", 10, 10, 4),
    ("regression", 0, 1, 1),
]


def calldata_gas(data: bytes) -> int:
    zeros = data.count(0)
    return 4 * zeros + 16 * (len(data) - zeros)


def floor_gas(data: bytes) -> int:
    zeros = data.count(0)
    return 21_000 + 10 * (zeros + 4 * (len(data) - zeros))


def execution_gas(chain: Chain, evaluator: Any, args: tuple) -> tuple[int, bytes]:
    """Execution gas of ``scoreBatch(*args)`` and its calldata."""
    fn = evaluator.functions.scoreBatch(*args)
    data = bytes.fromhex(fn._encode_transaction_data()[2:])
    used = int(chain.transact(fn, sender="alice")["gasUsed"])
    if used > floor_gas(data):
        return used - 21_000 - calldata_gas(data), data

    def succeeds(gas: int) -> bool:
        tx = {"to": evaluator.address, "data": "0x" + data.hex(), "gas": gas,
              "from": chain.address("alice")}  # fmt: skip
        try:
            chain.w3.eth.call(tx)
        except Exception:  # noqa: BLE001 - out of gas, whatever the backend calls it
            return False
        return True

    low, high = 21_000 + calldata_gas(data), floor_gas(data)  # high succeeds: it was mined
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if succeeds(mid) else (mid, high)
    return high - 21_000 - calldata_gas(data), data


def make_chunk(rng: np.random.Generator, rows: int, d: int, classes: int) -> bytes:
    labels = rng.integers(-(2**20), 2**20, rows) if classes == 0 else rng.integers(0, classes, rows)
    return encode_chunk(rng.integers(-127, 128, (rows, d)), labels, regression=classes == 0)


def make_models(
    rng: np.random.Generator, count: int, d: int, classes: int, outputs: int
) -> list[bytes]:
    """int16 weights and int32 biases, as export() writes for typical models."""
    task, shift = (1, 6) if classes == 0 else (0, 0)
    return [
        encode_model(LinearParams(task, classes, rng.integers(-(2**15), 2**15, (outputs, d)),
                                  tuple(int(b) for b in rng.integers(-(2**31), 2**31, outputs)),
                                  2, 4, shift))
        for _ in range(count)
    ]  # fmt: skip


def measure(backend: str, d: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = np.random.default_rng(0)
    per_row, full = [], []
    with connect(backend) as chain:
        evaluators = {}
        for label, name in KERNELS.items():
            artifact = load_artifact(name)
            evaluators[label], _ = chain.deploy(artifact.abi, artifact.bytecode, sender="deployer")
        for case, classes, outputs, count in CASES:
            models = make_models(rng, count, d, classes, outputs)
            small, large = make_chunk(rng, 8, d, classes), make_chunk(rng, 16, d, classes)
            row = {"case": case, "models": count}
            for label, evaluator in evaluators.items():
                a, _ = execution_gas(chain, evaluator, (small, models, d, classes))
                b, _ = execution_gas(chain, evaluator, (large, models, d, classes))
                row[label] = (b - a) / 8 / count / (outputs * d)
            per_row.append(row)
            rows = rows_per_chunk(d, classes, models_per_call=count)
            start = time.perf_counter()
            gas, data = execution_gas(
                chain, evaluators["SWAR (LinearEvaluator)"],
                (make_chunk(rng, rows, d, classes), models, d, classes),
            )  # fmt: skip
            seconds = time.perf_counter() - start
            standard = 21_000 + calldata_gas(data)
            floor = floor_gas(data)
            full.append({
                "case": case, "models": count, "rows": rows, "MACs": rows * count * outputs * d,
                "execution": gas, "calldata": calldata_gas(data), "floor": floor,
                "transaction": max(standard + gas, floor), "bytes": len(data), "seconds": seconds,
            })  # fmt: skip
    return per_row, full


def capacity(d: int) -> list[tuple[int, list[str]]]:
    """rows_per_chunk for M models (largest models), and which limit binds."""
    table = []
    for models in (1, 2, 4, 8, 16):
        cells = []
        for classes in (2, 10, 0):
            try:
                rows = rows_per_chunk(d, classes, models_per_call=models)
            except Exception:  # noqa: BLE001 - not even one row
                cells.append("-")
                continue
            size = call_bytes(rows + 1, d, classes, models, model_size(max(classes, 1), d, 4, 8))
            bound = "size" if size + DEFAULT_RESERVE_BYTES > 131_072 else "gas"
            cells.append(f"{rows:,} ({bound})")
        table.append((models, cells))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="eth-tester", choices=["eth-tester", "anvil"])
    parser.add_argument("--features", type=int, default=30)
    args = parser.parse_args()
    d = args.features
    per_row, full = measure(args.backend, d)
    print(f"Per-row gas per MAC, d = {d} (int16 weights)\n")
    print("| case | models/call | " + " | ".join(KERNELS) + " |")
    print("| --- | ---: |" + " ---: |" * len(KERNELS))
    for r in per_row:
        cells = " | ".join(f"{r[k]:.1f}" for k in KERNELS)
        print(f"| {r['case']} | {r['models']} | {cells} |")
    print(f"\nFull chunk, SWAR kernel, d = {d} (wall time on {args.backend})\n")
    print(
        "| case | models/call | rows/chunk | MACs | execution gas | all-in gas/MAC "
        "| calldata gas (16/4) | EIP-7623 floor | transaction gas | execution share | s |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in full:
        share = r["execution"] / (r["transaction"] - 21_000)
        print(
            f"| {r['case']} | {r['models']} | {r['rows']:,} | {r['MACs']:,} | "
            f"{r['execution']:,} | {r['execution'] / r['MACs']:.1f} | {r['calldata']:,} | "
            f"{r['floor']:,} | {r['transaction']:,} | {share:.0%} | {r['seconds']:.1f} |"
        )
    print(
        f"\nRows per chunk (largest models: int32 weights, int64 biases; reserve "
        f"{DEFAULT_RESERVE_GAS:,} gas and {DEFAULT_RESERVE_BYTES:,} bytes; cap {GAS_CAP:,})\n"
    )
    print("| models per call | K = 2 | K = 10 | regression |")
    print("| ---: | ---: | ---: | ---: |")
    for models, cells in capacity(d):
        print(f"| {models} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
