"""Slither finds no high- or medium-impact issue in contracts/src (runs contracts/slither.sh).

Slow: the first run creates <repo>/.venv-slither from PyPI (about 20 s); a run
with the venv in place takes about 6 s.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

try:
    from tests.conftest import ROOT, require_tool
except ImportError:  # tests/ is not a package: its conftest is the top-level module
    from conftest import ROOT, require_tool  # type: ignore[no-redef]

CONTRACTS = ROOT / "contracts"


@pytest.mark.slow
def test_slither_finds_no_high_or_medium_impact_issue() -> None:
    require_tool(shutil.which("node"), "node")
    forge = next(iter(sorted(CONTRACTS.glob("node_modules/@foundry-rs/forge-*/bin/forge"))), None)
    require_tool(forge, "forge (contracts/node_modules, npm ci)")
    require_tool(CONTRACTS / "node_modules" / "solc", "contracts/node_modules (npm ci)")
    proc = subprocess.run(
        ["bash", str(CONTRACTS / "slither.sh")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    output = f"{proc.stdout[-20000:]}\n{proc.stderr[-20000:]}"
    assert proc.returncode == 0, f"contracts/slither.sh exited {proc.returncode}:\n{output}"
