"""Layering and documentation examples of mlmarket.sim: ``sim -> market``, never the reverse."""

from __future__ import annotations

import ast
import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

MODULES = [
    "mlmarket.crypto.randomness",
    "mlmarket.sim.agents",
    "mlmarket.sim.models",
    "mlmarket.sim.scenario",
    "mlmarket.sim.sweep",
]


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports (absolute names)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", ["market", "chain", "storage", "crypto", "ml", "contracts"])
def test_noLowerLayer_importsSim(package: str) -> None:
    files = sorted((ROOT / "mlmarket" / package).rglob("*.py"))
    assert files
    for path in files:
        bad = {m for m in imported_modules(path) if m.startswith("mlmarket.sim")}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_simNeverImportsTheUi() -> None:
    for path in sorted((ROOT / "mlmarket" / "sim").rglob("*.py")):
        bad = {m for m in imported_modules(path) if m.startswith("mlmarket.ui")}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    results = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert results.failed == 0
    assert results.attempted > 0
