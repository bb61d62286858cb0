"""Contract sizes: runtime and creation code of every compiled contract, against the limits.

Run: ``python benchmarks/bench_sizes.py``. Prints a Markdown table, read from the
committed artifacts (no chain, no compiler): every contract with code, its runtime
bytes (EIP-170 allows less than 24,576), its initcode bytes (EIP-3860 allows less
than 49,152, constructor arguments excluded) and the headroom left to 24,576. Test-only
contracts (under ``contracts/src/test/``) are marked. The first line names the
``sourcesHash`` the artifacts were built from.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from mlmarket.contracts import artifact_names, load_artifact
from mlmarket.contracts.artifacts import MAX_INITCODE_SIZE, MAX_RUNTIME_SIZE, sources_hash


@dataclass(frozen=True)
class Size:
    """The code sizes of one contract, in bytes."""

    contract: str
    runtime: int
    initcode: int
    test_only: bool

    @property
    def headroom(self) -> int:
        """Bytes the runtime code may still grow by before EIP-170's limit."""
        return MAX_RUNTIME_SIZE - self.runtime


def sizes() -> list[Size]:
    """Sizes of every artifact with code, largest runtime first.

    Example:
        >>> [s.contract for s in sizes()][:1]        # doctest: +SKIP
        ['Competition']
    """
    found = []
    for name in artifact_names():
        artifact = load_artifact(name)
        if artifact.deployable:
            found.append(
                Size(
                    contract=name,
                    runtime=artifact.runtime_size,
                    initcode=artifact.initcode_size,
                    test_only=artifact.source.startswith("src/test/"),
                )
            )
    return sorted(found, key=lambda s: (-s.runtime, s.contract))


def table(rows: list[Size]) -> list[str]:
    """The Markdown lines of the size table."""
    lines = [
        f"| contract | runtime bytes | initcode bytes | headroom to {MAX_RUNTIME_SIZE:,} |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        name = f"{row.contract} (test only)" if row.test_only else row.contract
        share = row.runtime / MAX_RUNTIME_SIZE
        lines.append(
            f"| {name} | {row.runtime:,} ({share:.0%}) | {row.initcode:,} | {row.headroom:,} |"
        )
    return lines


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_known_args(argv)  # `./dev bench ARGS` passes every script the same ARGS
    rows = sizes()
    out(f"Built from sources `{sources_hash()[:12]}` (the manifest's `sourcesHash`).")
    out("")
    for line in table(rows):
        out(line)
    over = [r.contract for r in rows if r.runtime >= MAX_RUNTIME_SIZE]
    over += [r.contract for r in rows if r.initcode >= MAX_INITCODE_SIZE]
    out("")
    out(f"Over a limit: {', '.join(sorted(set(over))) or 'none'}.")


if __name__ == "__main__":
    main()
