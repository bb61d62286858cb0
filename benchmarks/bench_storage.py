"""Throughput of LocalStore.add, next to its floor (hashlib.sha256) and a real IPFS node.

Run:  python benchmarks/bench_storage.py [--size-mib 256] [--repeat 3] [--no-node]

Every contender gets the same bytes (kubo's seeded ChaCha20 test data) and must
produce the same CID. Reported: best wall time of ``--repeat`` runs, MB/s
(10^6 bytes per second) and the ratio to plain sha256 over the same bytes,
which no content-addressed store can beat on one core.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

try:
    from mlmarket.storage import KuboStore, LocalStore
except ImportError:  # run from a source checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from mlmarket.storage import KuboStore, LocalStore

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from mlmarket.storage._jsipfs import JsIpfsNode, installed, node_dir

Row = tuple[str, float, str]


def test_data(size: int) -> bytes:
    """kubo's DeterministicRandomReader stream for the seed "bench"."""
    key = hashlib.sha256(b"bench").digest()
    return Cipher(algorithms.ChaCha20(key, bytes(16)), mode=None).encryptor().update(bytes(size))


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """Fastest wall time of ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def measure(data: bytes, repeat: int, with_node: bool) -> list[Row]:
    rows: list[Row] = []
    seconds, _ = best_of(repeat, lambda: hashlib.sha256(data).digest())
    rows.append(("hashlib.sha256 (floor)", seconds, "-"))
    hash_only = LocalStore(only_hash=True)
    seconds, cid = best_of(repeat, lambda: hash_only.add(data))
    rows.append(("LocalStore.add only_hash=True", seconds, str(cid)))
    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        for label, store in (
            ("LocalStore.add (fsync, 4 threads)", LocalStore(Path(folder) / "a")),
            ("LocalStore.add (fsync, 1 thread)", LocalStore(Path(folder) / "b", write_threads=0)),
            ("LocalStore.add (no fsync)", LocalStore(Path(folder) / "c", fsync=False)),
        ):
            seconds, stored = best_of(repeat, partial(_fresh_add, store, data))
            rows.append((label, seconds, str(stored)))
        reader = LocalStore(Path(folder) / "a")
        seconds, _ = best_of(repeat, partial(_read_all, reader, cid))
        rows.append(("LocalStore.iter_chunks (verified read)", seconds, str(cid)))
    if with_node:
        rows.extend(measure_node(data, repeat))
    return rows


def _fresh_add(store: LocalStore, data: bytes) -> object:
    for path in list(store.blocks.block_paths()):  # measure writing, not "already there"
        path.unlink()
    return store.add(data, pin=False)


def _read_all(store: LocalStore, cid: Any) -> int:
    return sum(len(chunk) for chunk in store.iter_chunks(cid))


def measure_node(data: bytes, repeat: int) -> list[Row]:
    if not installed():
        print(f"(js-ipfs not installed in {node_dir()}: run tools/ipfs-node/install.sh)")
        return []
    with JsIpfsNode() as node, KuboStore(node.api, timeout=600) as store:
        seconds, cid = best_of(repeat, lambda: store.add(data, pin=False))
        rows = [("js-ipfs 0.66.1 add (HTTP, storing)", seconds, str(cid))]
        seconds, cid = best_of(repeat, lambda: store.add(data, pin=False, only_hash=True))
        rows.append(("js-ipfs 0.66.1 add only-hash", seconds, str(cid)))
    return rows


def report(rows: list[Row], size: int) -> str:
    floor = rows[0][1]
    lines = [
        f"{size / 1e6:.0f} MB ({size // 2**20} MiB), best of runs; ratio = time / sha256 time",
        "",
        "| what | seconds | MB/s | ratio to sha256 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, seconds, _cid in rows:
        lines.append(
            f"| {name} | {seconds:.3f} | {size / 1e6 / seconds:.0f} | {seconds / floor:.2f} |"
        )
    cids = {cid for _, _, cid in rows if cid != "-"}
    lines += ["", f"CID (identical everywhere: {len(cids) == 1}): {', '.join(sorted(cids))}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-node", action="store_true", help="skip the js-ipfs node")
    args, _unknown = parser.parse_known_args(argv)  # ./dev bench passes its args to every script
    size = args.size_mib * 2**20
    data = test_data(size)
    print(report(measure(data, args.repeat, not args.no_node), size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
