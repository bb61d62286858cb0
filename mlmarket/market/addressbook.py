"""Address book: where a deployment's contracts live, per chain id, in a JSON file.

Layout::

    {"<chain id>": {"<deployment name>": {"contracts": {"MarketToken": "0x..."},
                                          "block": 123, "deployed_at": 1700000000,
                                          "sources_hash": "5ce06fa8..."}}}

``sources_hash`` is the ``sourcesHash`` of the contract sources the deployment
was made from (:func:`mlmarket.contracts.artifacts.sources_hash`); entries
written by earlier versions have none. Default location:
``$MLMARKET_HOME/deployments.json`` (``MLMARKET_HOME`` defaults to
``~/.mlmarket``). Writes are atomic.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmarket.errors import ConfigurationError

HOME_ENV = "MLMARKET_HOME"


def home_folder() -> Path:
    """``$MLMARKET_HOME``, or ``~/.mlmarket``: address book, content store, vault."""
    return Path(os.environ.get(HOME_ENV) or Path.home() / ".mlmarket")


def default_path() -> Path:
    return home_folder() / "deployments.json"


@dataclass(frozen=True)
class Deployment:
    """Addresses of one deployment of the marketplace contracts on one chain.

    ``sources_hash`` is the ``sourcesHash`` of the contract sources it was
    deployed from; ``""`` when unknown (recorded by an earlier version).

    Example:
        >>> d = Deployment(31337, "default", {"MarketToken": "0x5FbD..."}, sources_hash="5ce0...")
        >>> Deployment.from_json(31337, "default", d.to_json()) == d
        True
    """

    chain_id: int
    name: str
    contracts: dict[str, str]
    block: int = 0
    deployed_at: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    sources_hash: str = ""

    def address(self, contract: str) -> str:
        try:
            return self.contracts[contract]
        except KeyError:
            raise ConfigurationError(
                f"Deployment {self.name!r} on chain {self.chain_id} has no {contract}; it has "
                f"{', '.join(self.contracts) or 'no contracts'}."
            ) from None

    def to_json(self) -> dict[str, Any]:
        return {
            "contracts": dict(self.contracts),
            "block": self.block,
            "deployed_at": self.deployed_at,
            **({"extra": self.extra} if self.extra else {}),
            **({"sources_hash": self.sources_hash} if self.sources_hash else {}),
        }

    @classmethod
    def from_json(cls, chain_id: int, name: str, data: dict[str, Any]) -> Deployment:
        return cls(
            chain_id=chain_id,
            name=name,
            contracts=dict(data["contracts"]),
            block=int(data.get("block", 0)),
            deployed_at=int(data.get("deployed_at", 0)),
            extra=dict(data.get("extra", {})),
            sources_hash=str(data.get("sources_hash", "")),
        )


class AddressBook:
    """Reads and writes deployments in one JSON file.

    Example:
        >>> book = AddressBook(tmp_path / "deployments.json")     # doctest: +SKIP
        >>> book.record(deployment)                                # doctest: +SKIP
        >>> book.get(31337, "default").address("MarketToken")      # doctest: +SKIP
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
        except json.JSONDecodeError as exc:
            raise ConfigurationError(
                f"The address book {self.path} is not valid JSON ({exc}); fix or move it."
            ) from None
        if not isinstance(data, dict):
            raise ConfigurationError(f"The address book {self.path} is not a JSON object.")
        return data

    def get(self, chain_id: int, name: str = "default") -> Deployment:
        deployments = self._read().get(str(chain_id), {})
        if name not in deployments:
            known = ", ".join(deployments) or "none"
            raise ConfigurationError(
                f"No deployment {name!r} for chain id {chain_id} in {self.path} (known: {known}). "
                "Deploy first with Market.deploy(...)."
            )
        return Deployment.from_json(chain_id, name, deployments[name])

    def record(self, deployment: Deployment) -> None:
        data = self._read()
        data.setdefault(str(deployment.chain_id), {})[deployment.name] = deployment.to_json()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        tmp.replace(self.path)
