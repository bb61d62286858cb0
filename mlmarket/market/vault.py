"""The vault: secrets a user must not lose, on disk.

Data keys of published datasets, commit salts of submissions, hidden test sets
and their salts are needed again later — after a kernel restart too. They live
as small JSON files under ``<home>/vault/<chain>/<kind>/<key>.json``, readable
by the owner only, written atomically.

``<chain>`` is the chain id and the genesis block hash: two runs of a
deterministic local chain reuse addresses and ids, but their genesis blocks
differ (they carry the start time), so their secrets never collide.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from mlmarket.errors import ConfigurationError, MlmarketError

_SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")


class VaultError(MlmarketError, KeyError):
    """A secret is missing from the vault."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class Vault:
    """Secrets for one chain, by kind and key.

    Example:
        >>> vault = Vault(tmp_path, "31337-0abc")                       # doctest: +SKIP
        >>> vault.put("datakeys", "7", {"key": "…"})                    # doctest: +SKIP
        >>> vault.get("datakeys", "7")["key"]                           # doctest: +SKIP
    """

    def __init__(self, root: str | Path, namespace: str, *, fsync: bool = True) -> None:
        _check_name(namespace, "namespace")
        self.fsync = fsync  # off for simulations: nothing there outlives the run
        self.root = Path(root)
        self.folder = self.root / namespace
        self.namespace = namespace

    def _path(self, kind: str, key: str) -> Path:
        _check_name(kind, "kind")
        _check_name(key, "key")
        return self.folder / kind / f"{key}.json"

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None:
        path = self._path(kind, key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(value, handle, sort_keys=True)
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())
        tmp.replace(path)

    def get(self, kind: str, key: str) -> dict[str, Any]:
        path = self._path(kind, key)
        if not path.is_file():
            raise VaultError(
                f"The vault has no {kind} entry {key!r} for this chain ({self.folder}). "
                "It is kept by the session that created it; load that session's saved "
                "folder, or use the same MLMARKET_HOME."
            )
        return dict(json.loads(path.read_text()))

    def has(self, kind: str, key: str) -> bool:
        return self._path(kind, key).is_file()

    def keys(self, kind: str) -> list[str]:
        folder = self.folder / kind
        return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []

    def export_to(self, folder: str | Path) -> None:
        """Copy this chain's secrets into ``folder`` (for a saved session)."""
        if self.folder.is_dir():
            shutil.copytree(self.folder, Path(folder), dirs_exist_ok=True)

    def import_from(self, folder: str | Path) -> None:
        """Add secrets saved with :meth:`export_to` to this vault."""
        source = Path(folder)
        if source.is_dir():
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.copytree(source, self.folder, dirs_exist_ok=True)


def _check_name(value: str, what: str) -> None:
    if not _SAFE.match(value):
        raise ConfigurationError(
            f"Vault {what} {value!r} may only use letters, digits, '_', '.', '-'."
        )
