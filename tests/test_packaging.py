"""The wheel works on its own: built, installed into a clean venv, used without Node."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LIFECYCLE = """
import mlmarket as mm
from mlmarket.contracts.errors import ERC20InsufficientBalance
market = mm.Market.local()
market.token.transfer("bob", 5, sender="alice")
try:
    market.token.transfer("bob", 10_000, sender="alice")
except ERC20InsufficientBalance as error:
    print("refused:", error)
print("bob", market.balances().loc["bob", "tokens"])
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("mlmarket-*.whl")
    return built


@pytest.mark.slow
def test_wheel_shipsArtifactsAndTypes(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "mlmarket/py.typed" in names
    assert "mlmarket/contracts/artifacts/MarketToken.json" in names
    assert "mlmarket/contracts/artifacts/manifest.json" in names
    assert "mlmarket/datasets/metadata.schema.json" in names
    assert not any(name.startswith(("tests/", "contracts/")) for name in names)


@pytest.mark.slow
def test_wheel_runsALifecycleInACleanVenv(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    # Run from an empty folder so the source tree cannot be imported by accident.
    result = subprocess.run(
        [str(python), "-c", LIFECYCLE], cwd=tmp_path, check=True, capture_output=True, text=True
    )
    assert "refused: alice" in result.stdout
    assert "bob 1005" in result.stdout
    demo = subprocess.run(
        [str(env_dir / "bin" / "mlmarket"), "demo"], cwd=tmp_path, capture_output=True, text=True
    )
    assert demo.returncode == 0, demo.stderr
    assert "bob decrypted and verified 569 rows" in demo.stdout
