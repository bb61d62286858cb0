"""Compiled contract artifacts shipped inside the package (no Node needed to use them).

``contracts/build.js`` writes one JSON file per contract into ``artifacts/``; a
test recompiles the sources and fails if these files are stale.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mlmarket.errors import ConfigurationError

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"


@dataclass(frozen=True)
class Artifact:
    """ABI and bytecode of one compiled contract."""

    name: str
    source: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    compiler: str

    @property
    def deployable(self) -> bool:
        return len(self.bytecode) > 2


def artifact_names() -> list[str]:
    """Names of every shipped artifact."""
    manifest = json.loads((ARTIFACTS_DIR / "manifest.json").read_text())
    return sorted(Path(name).stem for name in manifest["artifacts"])


@cache
def load_artifact(name: str) -> Artifact:
    """The artifact of contract ``name``.

    Example:
        >>> load_artifact("MarketToken").deployable
        True
    """
    path = ARTIFACTS_DIR / f"{name}.json"
    if not path.is_file():
        names = artifact_names()
        hint = difflib.get_close_matches(name, names, n=1)
        suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
        raise ConfigurationError(
            f"No compiled contract named {name!r}.{suggestion} Known: {', '.join(names)}."
        )
    data = json.loads(path.read_text())
    return Artifact(
        name=data["contractName"],
        source=data["sourceName"],
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
        compiler=data["compiler"]["version"],
    )


def all_abis() -> list[list[dict[str, Any]]]:
    return [load_artifact(name).abi for name in artifact_names()]
