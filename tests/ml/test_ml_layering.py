"""mlmarket.ml never touches the chain, and its documentation examples run."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "mlmarket.ml",
    "mlmarket.ml.fixedpoint",
    "mlmarket.ml.quantize",
    "mlmarket.ml.formats",
    "mlmarket.ml.reference",
    "mlmarket.ml.model",
    "mlmarket.ml.export",
    "mlmarket.ml.merkle",
    "mlmarket.ml.testset",
]

# The package root imports the chain layer for convenience; this probe replaces it
# with a bare namespace so only what mlmarket.ml itself imports counts.
PROBE = """
import sys, types
root = types.ModuleType("mlmarket")
root.__path__ = [{path!r}]
sys.modules["mlmarket"] = root
import mlmarket.ml
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("web3", "eth_tester")
             or m.startswith(("mlmarket.chain", "mlmarket.contracts", "mlmarket.market")))
print(",".join(bad))
"""


def test_ml_neverImportsWeb3OrTheChain() -> None:
    code = PROBE.format(path=str(ROOT / "mlmarket"))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("name", MODULES)
def test_docstringExamples(name: str) -> None:
    results = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert results.failed == 0
    assert results.attempted > 0


def test_publicSurface_isExported() -> None:
    ml = importlib.import_module("mlmarket.ml")
    for name in ("Quantizer", "export", "ExportedModel", "score_chunk", "agreement", "TestSet",
                 "MerkleTree", "UnsupportedModelError", "rows_per_chunk"):  # fmt: skip
        assert name in ml.__all__ and hasattr(ml, name)
    assert all(hasattr(ml, name) for name in ml.__all__)


def test_modules_stayShort() -> None:
    for path in (ROOT / "mlmarket" / "ml").glob("*.py"):
        assert len(path.read_text().splitlines()) <= 400, path.name
