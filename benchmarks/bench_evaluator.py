"""Evaluation-kernel benchmark: gas per multiply-accumulate (MAC) of LinearEvaluator.

Run: ``python benchmarks/bench_evaluator.py [--backend eth-tester|anvil] [--features 30]``.

For each case a full chunk (``rows_per_chunk`` for that shape and number of models)
is scored by ``scoreBatch`` in a mined transaction. Execution gas is the receipt's
``gasUsed`` minus the 21,000 base and the calldata's intrinsic gas (4 per zero byte,
16 per other byte; the EIP-7623 floor does not bind, the script checks). MACs are
``rows * models * outputs * features``. "all-in" divides the whole execution gas
(ABI decoding, header checks, bias set-up, argmax, label comparison) by the MACs;
"per row" is the gas per row and model, from two chunk sizes, divided by
``outputs * features``. Gas is exact and the same on every backend.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mlmarket.chain import connect
from mlmarket.contracts import load_artifact
from mlmarket.ml import LinearParams, encode_chunk, encode_model, rows_per_chunk

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


def execution_gas(chain, evaluator, chunk: bytes, models: list[bytes], d: int, k: int) -> int:  # noqa: ANN001
    fn = evaluator.functions.scoreBatch(chunk, models, d, k)
    data = bytes.fromhex(fn._encode_transaction_data()[2:])
    used = int(chain.transact(fn, sender="alice")["gasUsed"])
    assert used > floor_gas(data), "the EIP-7623 floor binds; gas per MAC would be wrong"
    return used - 21_000 - calldata_gas(data)


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


def measure(backend: str, d: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(0)
    results = []
    with connect(backend) as chain:
        artifact = load_artifact("LinearEvaluator")
        evaluator, _ = chain.deploy(artifact.abi, artifact.bytecode, sender="deployer")
        for label, classes, outputs, count in CASES:
            rows = rows_per_chunk(d, classes, models_per_call=count)
            models = make_models(rng, count, d, classes, outputs)
            start = time.perf_counter()
            full = execution_gas(
                chain, evaluator, make_chunk(rng, rows, d, classes), models, d, classes
            )
            seconds = time.perf_counter() - start
            half = execution_gas(
                chain, evaluator, make_chunk(rng, rows // 2, d, classes), models, d, classes
            )
            macs = rows * count * outputs * d
            per_row = (full - half) / (rows - rows // 2) / count
            results.append({
                "case": label, "models": count, "rows": rows, "MACs": macs, "gas": full,
                "all-in gas/MAC": full / macs, "per-row gas/MAC": per_row / (outputs * d),
                "seconds": seconds,
            })  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="eth-tester", choices=["eth-tester", "anvil"])
    parser.add_argument("--features", type=int, default=30)
    args = parser.parse_args()
    rows = measure(args.backend, args.features)
    print(f"LinearEvaluator, d={args.features}, backend {args.backend} (wall time: this backend)")
    print(
        "| case | models/call | rows/chunk | MACs | execution gas "
        "| all-in gas/MAC | per-row gas/MAC | s |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['case']} | {r['models']} | {r['rows']:,} | {r['MACs']:,} | {r['gas']:,} | "
            f"{r['all-in gas/MAC']:.1f} | {r['per-row gas/MAC']:.1f} | {r['seconds']:.1f} |"
        )


if __name__ == "__main__":
    main()
