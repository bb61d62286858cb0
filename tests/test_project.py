"""Project-wide rules: layers depend one way, environment.yml matches pyproject.toml."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mlmarket"

# What each layer must never import (DESIGN: ui -> market -> contracts -> chain;
# market -> storage, crypto, ml; storage, crypto, ml never touch the chain).
FORBIDDEN = {
    "chain": ("mlmarket.contracts", "mlmarket.market", "mlmarket.ui"),
    "contracts": ("mlmarket.market", "mlmarket.ui"),
    "market": ("mlmarket.ui",),
    "storage": ("mlmarket.chain", "mlmarket.contracts", "mlmarket.market", "web3", "eth_tester"),
    "crypto": ("mlmarket.chain", "mlmarket.contracts", "mlmarket.market", "web3", "eth_tester"),
    "ml": ("mlmarket.chain", "mlmarket.contracts", "mlmarket.market", "web3", "eth_tester"),
    "datasets": ("mlmarket.chain", "mlmarket.contracts", "mlmarket.market", "web3"),
}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


# Deliberate exceptions: (file, imported module, why).
ALLOWED = {
    ("mlmarket/market/market.py", "mlmarket.ui"),  # Market.dashboard(), imported at call time
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layersDependOneWay(layer: str) -> None:
    folder = PACKAGE / layer
    offences = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted(folder.rglob("*.py"))
        for name in imports_of(path)
        if name.startswith(FORBIDDEN[layer])
        and (str(path.relative_to(ROOT)), name) not in ALLOWED
    ]
    assert offences == []


def _pip_section(environment: str) -> list[str]:
    lines = environment.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    items = []
    for line in lines[start + 1 :]:
        stripped = line.strip()
        if stripped.startswith("#") or not stripped:
            continue
        if not stripped.startswith("- "):
            break
        items.append(stripped[2:].strip())
    return items


def test_environmentYml_installsWhatPyprojectDeclares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    listed = [
        item for item in _pip_section((ROOT / "environment.yml").read_text()) if item != "-e ."
    ]
    assert sorted(listed) == sorted(declared)


def test_nothingReadsOutsideTheProject() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in [*PACKAGE.rglob("*.py"), *(ROOT / "tests").rglob("*.py")]
        if "../shared" in path.read_text() and path.name != "test_project.py"
    ]
    assert offenders == []
