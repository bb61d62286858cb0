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

MAX_RUNTIME_SIZE = 24_576
"""EIP-170: the largest runtime code (bytes) a contract may have."""

MAX_INITCODE_SIZE = 49_152
"""EIP-3860: the largest creation code (bytes) a deployment may send."""


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
        """True for contracts with code (not interfaces or abstract contracts)."""
        return len(self.bytecode) > 2

    @property
    def runtime_size(self) -> int:
        """Bytes of runtime code, the size EIP-170 limits to :data:`MAX_RUNTIME_SIZE`.

        Example:
            >>> 0 < load_artifact("MarketToken").runtime_size < MAX_RUNTIME_SIZE
            True
        """
        return (len(self.deployed_bytecode) - 2) // 2

    @property
    def initcode_size(self) -> int:
        """Bytes of creation code (without constructor arguments), limited by EIP-3860.

        Example:
            >>> load_artifact("IMarketToken").initcode_size
            0
        """
        return (len(self.bytecode) - 2) // 2


def artifact_names() -> list[str]:
    """Names of every shipped artifact."""
    return sorted(Path(name).stem for name in _manifest()["artifacts"])


def sources_hash() -> str:
    """The version of the shipped contracts: sha256 over every source compiled into them.

    It is the manifest's ``sourcesHash`` (see ``contracts/README.md``); deployments
    and saved sessions record it, so code built from other sources is recognised.

    Example:
        >>> len(sources_hash())
        64
    """
    return str(_manifest()["sourcesHash"])


@cache
def _manifest() -> dict[str, Any]:
    return json.loads((ARTIFACTS_DIR / "manifest.json").read_text())


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
