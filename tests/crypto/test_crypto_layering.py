"""Layering and documentation examples of mlmarket.crypto."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

MODULES = [
    "mlmarket.crypto.ids",
    "mlmarket.crypto.envelope",
    "mlmarket.crypto.commitment",
    "mlmarket.crypto.keywrap",
    "mlmarket.crypto.integrity",
    "mlmarket.crypto.sealing",
]

# The package root imports the chain layer for convenience; this probe replaces
# it with a bare namespace so only the imports of the named package count.
PROBE = """
import sys, types
root = types.ModuleType("mlmarket")
root.__path__ = [{path!r}]
sys.modules["mlmarket"] = root
import {package}
bad = sorted(m for m in sys.modules
             if m.split(".")[0] == "web3" or m.startswith("mlmarket.chain"))
print(",".join(bad))
"""


def imports_of_chain(package: str) -> str:
    """Return the web3 / mlmarket.chain modules importing ``package`` loads."""
    code = PROBE.format(path=str(ROOT / "mlmarket"), package=package)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return result.stdout.strip()


def test_crypto_never_imports_web3_or_chain() -> None:
    assert imports_of_chain("mlmarket.crypto") == ""


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    results = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert results.failed == 0
    assert results.attempted > 0
