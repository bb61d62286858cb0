"""Shared test configuration."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent

# Hypothesis profiles: "ci" is sized for the CI time budget, "dev" for quick local
# runs, "long" for deliberate fuzzing sessions.
settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile("long", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True, scope="session")
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep tests away from the user's ~/.mlmarket (vault, store, address book)."""
    os.environ["MLMARKET_HOME"] = str(tmp_path_factory.mktemp("mlmarket-home"))


def strict() -> bool:
    """True where a missing external tool must fail the run instead of skipping.

    CI and the README's test command set ``MLMARKET_STRICT=1``; a bare ``pytest``
    on a developer machine without Node tools skips those tests with a reason.
    """
    return os.environ.get("MLMARKET_STRICT") == "1" or bool(os.environ.get("CI"))


def require_tool(path: Path | str | None, what: str) -> None:
    """Skip (locally) or fail (strict) when an external tool is missing."""
    found = path is not None and (Path(path).exists() or shutil.which(str(path)) is not None)
    if found:
        return
    message = f"{what} is not installed; run ./dev setup"
    if strict():
        pytest.fail(message)
    pytest.skip(message)
