"""Model-family benchmark: gas per MAC (linear, MLP) and per node visit (tree), in one run.

Run: ``python benchmarks/bench_families.py [--backend eth-tester|anvil|revm] [--features 30]``.

Every case scores a chunk of random int8 rows with random models in a mined
``scoreBatch`` transaction. Execution gas is the receipt's ``gasUsed`` minus the
21,000 base and the calldata's intrinsic gas (4 per zero byte, 16 otherwise; the
EIP-7623 floor must not bind, the script checks). "per row" is the execution gas of
one more row with one model, all in (the chunk's own per-row work, such as checking
its labels, included), from two chunk sizes (so call and model set-up drop out).
When one model does too little work per calldata byte for the floor not to bind
(small trees), the call carries m and then 2m copies of the model: per row and model
is the difference of the two, the chunk's own per-row gas what is left of m copies.
"per unit of work" divides it by the MACs of one row (linear: ``outputs * d``;
MLP: every weight) or by the node visits of one row (tree: internal nodes on the
path, times the trees); "tallyBatch" is the same for ``tallyBatch`` (per-class counts
on the same predictions). The vote table scores forests of the same 8 trees of depth
4 with K classes (leaf classes taken mod K): their gas per row differs only by the
vote, and "per class" is the gas per row of one more class between two rows. The last
table gives, per family, the largest chunk one transaction can score under the
16,777,216 gas cap (2,000,000 gas and 2 KiB left to the competition contract, as in
``rows_per_chunk``) for those models, checked with a real transaction, next to
``rows_per_chunk``'s worst-case sizing for the largest model the family accepts.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mlmarket.chain import connect
from mlmarket.contracts import load_artifact
from mlmarket.ml import LinearParams, MlpParams, TreeParams, encode_chunk, encode_model
from mlmarket.ml import rows_per_chunk as worst_rows
from mlmarket.ml.mlp import encode_mlp
from mlmarket.ml.testset import DEFAULT_RESERVE_BYTES, DEFAULT_RESERVE_GAS, GAS_CAP, TX_MAX_BYTES
from mlmarket.ml.tree import LEAF, encode_tree

CLASSES = 10


def calldata_gas(data: bytes) -> int:
    zeros = data.count(0)
    return 4 * zeros + 16 * (len(data) - zeros)


def floor_gas(data: bytes) -> int:
    zeros = data.count(0)
    return 21_000 + 10 * (zeros + 4 * (len(data) - zeros))


Gas = tuple[int | None, int, int]


def transact(chain, evaluator, chunk: bytes, models: list[bytes], d: int,  # noqa: ANN001
             function: str = "scoreBatch", classes: int = CLASSES) -> Gas:  # fmt: skip
    """(execution gas, receipt gas, calldata bytes) of one scoreBatch (or tallyBatch) call;
    execution gas None when the EIP-7623 floor binds (it cannot be read off the receipt)."""
    fn = getattr(evaluator.functions, function)(chunk, models, d, classes)
    data = bytes.fromhex(fn._encode_transaction_data()[2:])
    used = int(chain.transact(fn, sender="alice", gas=GAS_CAP)["gasUsed"])
    execution = None if used <= floor_gas(data) else used - 21_000 - calldata_gas(data)
    return execution, used, len(data)


def per_row(chain, evaluator, chunks: tuple[bytes, bytes], model: bytes,  # noqa: ANN001
            d: int, function: str = "scoreBatch",
            classes: int = CLASSES) -> tuple[float, float]:  # fmt: skip
    """(gas of one more row with one model, all in; gas of a call with one model and no
    rows) from chunks of 20 and 60 rows, with m and 2m copies of the model when one copy
    leaves the calldata floor binding: g(rows, k) = C + k F + rows (s + k r)."""
    m = 1
    while True:
        counts = (1,) if m == 1 else (m, 2 * m)
        g = {(rows, k): transact(chain, evaluator, c, [model] * k, d, function, classes)[0]
             for rows, c in zip((20, 60), chunks, strict=True) for k in counts}  # fmt: skip
        if all(v is not None for v in g.values()):
            break
        m *= 2
    gas: dict[tuple[int, int], int] = g  # type: ignore[assignment]
    if m == 1:
        row = (gas[(60, 1)] - gas[(20, 1)]) / 40
        return row, gas[(60, 1)] - 60 * row
    r = ((gas[(60, 2 * m)] - gas[(20, 2 * m)]) - (gas[(60, m)] - gas[(20, m)])) / (40 * m)
    s = (gas[(60, m)] - gas[(20, m)]) / 40 - m * r
    f = (gas[(60, 2 * m)] - gas[(60, m)]) / m - 60 * r
    c = gas[(60, m)] - m * f - 60 * (s + m * r)
    return s + r, c + f


def chunk(rng: np.random.Generator, rows: int, d: int, classes: int = CLASSES) -> bytes:
    return encode_chunk(rng.integers(-127, 128, (rows, d)), rng.integers(0, classes, rows),
                        regression=False)  # fmt: skip


def linear(rng: np.random.Generator, d: int) -> tuple[bytes, int]:
    weights = rng.integers(-(2**15), 2**15, (CLASSES, d))
    biases = tuple(int(b) for b in rng.integers(-(2**40), 2**40, CLASSES))
    return encode_model(LinearParams(0, CLASSES, weights, biases, 2, 8, 0)), CLASSES * d


def mlp(rng: np.random.Generator, d: int, hidden: tuple[int, ...]) -> tuple[bytes, int]:
    sizes = (d, *hidden, CLASSES)
    weights = tuple(
        rng.integers(-(2**15), 2**15, (n, m)) for m, n in zip(sizes[:-1], sizes[1:], strict=True)
    )
    biases = tuple(tuple(int(b) for b in rng.integers(-(2**40), 2**40, n)) for n in sizes[1:])
    params = MlpParams(0, CLASSES, weights, biases, (24,) * len(hidden), 0)
    return encode_mlp(params), params.macs


def tree(rng: np.random.Generator, d: int, depth: int, trees: int,
         classes: int = CLASSES) -> tuple[bytes, int]:  # fmt: skip
    """Complete trees of ``depth`` levels: every row visits ``depth`` internal nodes per tree.
    Leaf classes are drawn in 0..254 and taken mod ``classes``."""
    nodes: list[list[int]] = []

    def grow(level: int) -> None:
        if level == depth:
            nodes.append([LEAF, int(rng.integers(0, 255)) % classes, 0])
            return
        here = len(nodes)
        nodes.append([int(rng.integers(0, d)), int(rng.integers(-60, 60)), 0])
        grow(level + 1)
        nodes[here][2] = len(nodes)
        grow(level + 1)

    forest = []
    for _ in range(trees):
        nodes = []
        grow(0)
        forest.append(tuple(tuple(n) for n in nodes))
    return encode_tree(TreeParams(0, classes, d, tuple(forest))), depth * trees


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="eth-tester", choices=["eth-tester", "anvil", "revm"])
    parser.add_argument("--features", type=int, default=30)
    args = parser.parse_args()
    d = args.features
    rng = np.random.default_rng(0)
    cases = [
        ("linear", "K=10", linear(rng, d)),
        ("mlp", "hidden 16", mlp(rng, d, (16,))),
        ("mlp", "hidden 64", mlp(rng, d, (64,))),
        ("mlp", "hidden 32-16", mlp(rng, d, (32, 16))),
        ("tree", "1 tree, depth 5", tree(rng, d, 5, 1)),
        ("tree", "1 tree, depth 8", tree(rng, d, 8, 1)),
        ("tree", "8 trees, depth 4", tree(rng, d, 4, 8)),
    ]
    started = time.perf_counter()
    with connect(args.backend) as chain:
        names = {"linear": "LinearEvaluator", "mlp": "MlpEvaluator", "tree": "TreeEvaluator"}
        evaluators = {}
        for family, name in names.items():
            artifact = load_artifact(name)
            evaluators[family], _ = chain.deploy(artifact.abi, artifact.bytecode, sender="deployer")
        print(f"d = {d}, K = {CLASSES}, backend {args.backend}\n")
        print("| family | model | bytes | work per row | gas per row | gas per unit | "
              "tallyBatch gas per row |")  # fmt: skip
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        measured = {}
        for family, label, (model, work) in cases:
            chunks = (chunk(rng, 20, d), chunk(rng, 60, d))
            row, fixed = per_row(chain, evaluators[family], chunks, model, d)
            measured[(family, label)] = (row, fixed)
            tally, _ = per_row(chain, evaluators[family], chunks, model, d, "tallyBatch")
            unit = "MAC" if family != "tree" else "visit"
            print(f"| {family} | {label} | {len(model):,} | {work:,} {unit}s | {row:,.0f} | "
                  f"{row / work:.1f} | {tally:,.0f} |")  # fmt: skip
        print("\nVote: the same 8 trees of depth 4, leaf classes mod K (32 visits per row):\n")
        print("| K | gas per row | per visit | per class (from the row above) |")
        print("| ---: | ---: | ---: | ---: |")
        previous = None
        for k in (2, 3, 4, 10, 16, 17, 32, 33, 255):
            model, work = tree(np.random.default_rng(7), d, 4, 8, k)
            chunks = (chunk(rng, 20, d, k), chunk(rng, 60, d, k))
            row, _ = per_row(chain, evaluators["tree"], chunks, model, d, classes=k)
            step = "" if previous is None else f"{(row - previous[1]) / (k - previous[0]):,.1f}"
            print(f"| {k} | {row:,.0f} | {row / work:.1f} | {step} |")
            previous = (k, row)
        print("\nLargest chunk under the gas cap (models per call M, these models):\n")
        print("| family | model | M | rows (measured) | gas used | calldata | "
              "rows_per_chunk (worst case) |")  # fmt: skip
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for family, label, (model, _work) in cases:
            for models in (1, 4):
                row, fixed = measured[(family, label)]
                budget = GAS_CAP - DEFAULT_RESERVE_GAS - 21_000 - models * fixed
                row_bytes = d + 1
                by_gas = int(budget // max(models * row + 16 * row_bytes, 40 * row_bytes))
                by_size = (TX_MAX_BYTES - DEFAULT_RESERVE_BYTES - models * (len(model) + 96)
                           - 300) // row_bytes  # fmt: skip
                rows = max(1, min(by_gas, by_size))
                while True:
                    _, used, size = transact(chain, evaluators[family], chunk(rng, rows, d),
                                             [model] * models, d)  # fmt: skip
                    if (
                        used + DEFAULT_RESERVE_GAS <= GAS_CAP
                        and size + DEFAULT_RESERVE_BYTES <= TX_MAX_BYTES
                    ):
                        break
                    rows = int(rows * 0.97)
                worst = worst_rows(d, CLASSES, models_per_call=models, family=family)
                print(f"| {family} | {label} | {models} | {rows:,} | {used:,} | {size:,} | "
                      f"{worst:,} |")  # fmt: skip
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
