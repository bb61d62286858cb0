"""Layering and documentation examples of mlmarket.datasets."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The package root imports the chain layer for convenience; this probe replaces
# it with a bare namespace so only the imports of mlmarket.datasets count.
PROBE = f"""
import sys, types
root = types.ModuleType("mlmarket")
root.__path__ = [{str(ROOT / "mlmarket")!r}]
sys.modules["mlmarket"] = root
import mlmarket.datasets
mlmarket.datasets.load_sample("iris")
bad = sorted(m for m in sys.modules
             if m.split(".")[0] == "web3" or m.startswith("mlmarket.chain"))
print(",".join(bad))
"""


def test_datasets_never_import_web3_or_chain() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == ""


def test_schema_is_shipped_next_to_the_module() -> None:
    import mlmarket.datasets.metadata as metadata

    assert (Path(metadata.__file__).parent / "metadata.schema.json").is_file()


@pytest.mark.parametrize(
    "name",
    [
        "mlmarket.datasets.metadata",
        "mlmarket.datasets.tabular",
        "mlmarket.datasets.samples",
        "mlmarket.datasets.summary",
    ],
)
def test_docstring_examples(name: str) -> None:
    results = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert results.failed == 0
    assert results.attempted > 0
