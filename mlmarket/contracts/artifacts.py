"""Compiled contract artifacts shipped inside the package (no Node needed to use them).

``contracts/build.js`` writes one JSON file per contract into ``artifacts/``; a
test recompiles the sources and fails if these files are stale.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from mlmarket.errors import ConfigurationError

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"

MAX_RUNTIME_SIZE = 24_576
"""EIP-170: the largest runtime code (bytes) a contract may have."""

MAX_INITCODE_SIZE = 49_152
"""EIP-3860: the largest creation code (bytes) a deployment may send."""

LinkReferences = dict[str, dict[str, list[dict[str, int]]]]
"""solc's ``linkReferences``: source name -> library name -> ``[{"start", "length"}]``,
byte offsets into the code (without ``0x``) where the library's address goes."""

_PLACEHOLDER = re.compile(r"__\$[0-9a-f]{34}\$__")


@dataclass(frozen=True)
class Artifact:
    """ABI and bytecode of one compiled contract."""

    name: str
    source: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    compiler: str
    link_references: LinkReferences = field(default_factory=dict)
    deployed_link_references: LinkReferences = field(default_factory=dict)

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

    @property
    def libraries(self) -> list[str]:
        """Names of the external libraries whose addresses the code needs (deploy them first).

        Example:
            >>> load_artifact("Competition").libraries
            ['CompetitionScoring', 'CompetitionTeams']
            >>> load_artifact("MarketToken").libraries
            []
        """
        return sorted({name for refs in self.link_references.values() for name in refs})

    def linked_bytecode(self, libraries: Mapping[str, str]) -> str:
        """The creation code with each library's address in place (``libraries``: name -> address).

        Raises :class:`~mlmarket.errors.ConfigurationError` naming a library that is
        needed but not given. Code that links nothing comes back unchanged.

        Example:
            >>> code = load_artifact("Competition").linked_bytecode(
            ...     {"CompetitionScoring": "0x" + "ab" * 20, "CompetitionTeams": "0x" + "cd" * 20})
            >>> "__$" in code, ("ab" * 20) in code
            (False, True)
        """
        return link_bytecode(self.bytecode, self.link_references, libraries, what=self.name)


def link_bytecode(
    bytecode: str,
    references: LinkReferences,
    libraries: Mapping[str, str],
    *,
    what: str = "the contract",
) -> str:
    """Put library addresses into ``bytecode`` (``0x``-prefixed hex) where ``references`` say.

    solc leaves a 40-character placeholder ``__$<34 hex>$__`` (the first 34 hex digits of
    keccak256 of ``"<source name>:<library name>"``) for each use of an external library's
    address; ``references`` (the artifact's ``linkReferences``) gives their byte offsets.
    ``libraries`` maps a library name to its address; names of libraries the code does not
    link are ignored. Every placeholder must be at a referenced offset and every referenced
    library given, else :class:`~mlmarket.errors.ConfigurationError`.

    Example:
        >>> code = "0x60" + "__$" + "0" * 34 + "$__" + "00"
        >>> refs = {"src/L.sol": {"L": [{"start": 1, "length": 20}]}}
        >>> link_bytecode(code, refs, {"L": "0x" + "12" * 20}) == "0x60" + "12" * 20 + "00"
        True
    """
    if not bytecode.startswith("0x"):
        raise ConfigurationError(f"The code of {what} is not 0x-prefixed hex.")
    code = bytecode[2:]
    needed = sorted({name for refs in references.values() for name in refs})
    missing = [name for name in needed if name not in libraries]
    if missing:
        raise ConfigurationError(
            f"{what} calls the external librar{'y' if len(missing) == 1 else 'ies'} "
            f"{', '.join(missing)}: deploy {'it' if len(missing) == 1 else 'them'} first and "
            f"pass the address{'' if len(missing) == 1 else 'es'} "
            f"(libraries={{{', '.join(repr(n) + ': address' for n in missing)}}})."
        )
    for refs in references.values():
        for name, places in refs.items():
            address = libraries[name]
            digits = address[2:].lower() if address[:2] in ("0x", "0X") else ""
            if not re.fullmatch(r"[0-9a-f]{40}", digits):
                raise ConfigurationError(
                    f"The address of library {name} for {what} is not a 20-byte hex address: "
                    f"{address!r}."
                )
            for place in places:
                start, length = 2 * place["start"], 2 * place["length"]
                if length != 40 or not _PLACEHOLDER.fullmatch(code[start : start + length]):
                    raise ConfigurationError(
                        f"{what}'s code has no library placeholder for {name} at byte "
                        f"{place['start']}: the link references do not match the code."
                    )
                code = code[:start] + digits + code[start + length :]
    if "__$" in code:
        raise ConfigurationError(
            f"{what}'s code still holds a library placeholder that its link references do not "
            "name; rebuild the artifacts (node contracts/build.js)."
        )
    return "0x" + code


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
        link_references=data.get("linkReferences", {}),
        deployed_link_references=data.get("deployedLinkReferences", {}),
    )


def all_abis() -> list[list[dict[str, Any]]]:
    return [load_artifact(name).abi for name in artifact_names()]
