"""The committed contract artifacts are well-formed and match the sources.

The well-formedness checks need nothing but Python. The freshness check
recompiles everything with ``node contracts/build.js --out <tmp>`` and needs
node and ``contracts/node_modules`` (``npm ci`` in ``contracts/``).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

try:
    from tests.conftest import ROOT, require_tool
except ImportError:  # tests/ is not a package: its conftest is the top-level module
    from conftest import ROOT, require_tool  # type: ignore[no-redef]

CONTRACTS = ROOT / "contracts"
ARTIFACTS = ROOT / "mlmarket" / "contracts" / "artifacts"
MANIFEST = ARTIFACTS / "manifest.json"
ARTIFACT_KEYS = {
    "abi",
    "bytecode",
    "compiler",
    "contractName",
    "deployedBytecode",
    "deployedLinkReferences",
    "linkReferences",
    "settings",
    "sourceName",
    "sourcesHash",
}
HEX = re.compile(r"^0x(?:[0-9a-f]{2})*$")
PLACEHOLDER = re.compile(r"__\$[0-9a-f]{34}\$__")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
REBUILD = "run ./dev build-contracts (or: cd contracts && npm ci && node build.js) and commit"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def artifact_files() -> list[Path]:
    return sorted(p for p in ARTIFACTS.glob("*.json") if p.name != MANIFEST.name)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    assert MANIFEST.is_file(), f"{MANIFEST.relative_to(ROOT)} is missing; {REBUILD}"
    return load(MANIFEST)


@pytest.fixture(scope="module")
def artifacts() -> dict[str, dict[str, Any]]:
    return {p.stem: load(p) for p in artifact_files()}


def test_manifest_lists_every_artifact(manifest: dict[str, Any]) -> None:
    on_disk = [p.name for p in artifact_files()]
    assert manifest["artifacts"] == sorted(manifest["artifacts"])
    assert manifest["artifacts"] == on_disk


def test_manifest_shape(manifest: dict[str, Any]) -> None:
    assert set(manifest) == {
        "artifacts",
        "compiler",
        "settings",
        "settingsOverrides",
        "sources",
        "sourcesHash",
    }
    assert manifest["compiler"]["name"] == "solc"
    assert re.match(r"^0\.8\.\d+\+commit\.[0-9a-f]{8}", manifest["compiler"]["version"])
    settings = manifest["settings"]
    assert settings["evmVersion"] == "cancun"
    assert settings["optimizer"] == {"enabled": True, "runs": 200}
    assert SHA256.match(manifest["sourcesHash"])


def test_sources_hash_follows_documented_formula(manifest: dict[str, Any]) -> None:
    # sha256 over "<sha256(content)>  <source unit name>\n" lines sorted by name
    lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(manifest["sources"].items()))
    assert hashlib.sha256(lines.encode()).hexdigest() == manifest["sourcesHash"]


def test_every_source_file_was_compiled(manifest: dict[str, Any]) -> None:
    on_disk = {p.relative_to(CONTRACTS).as_posix() for p in (CONTRACTS / "src").rglob("*.sol")}
    compiled = {name for name in manifest["sources"] if name.startswith("src/")}
    assert on_disk == compiled, f"sources changed since the last build; {REBUILD}"


def test_own_sources_unchanged_since_build(manifest: dict[str, Any]) -> None:
    stale = [
        name
        for name, digest in sorted(manifest["sources"].items())
        if name.startswith("src/")
        and (CONTRACTS / name).is_file()
        and hashlib.sha256((CONTRACTS / name).read_bytes()).hexdigest() != digest
    ]
    assert not stale, f"edited since the last build: {', '.join(stale)}; {REBUILD}"


@pytest.mark.parametrize("path", artifact_files(), ids=lambda p: p.name)
def test_artifact_well_formed(path: Path, manifest: dict[str, Any]) -> None:
    art = load(path)
    assert set(art) == ARTIFACT_KEYS
    assert art["contractName"] == path.stem
    assert art["sourceName"].startswith("src/") and art["sourceName"].endswith(".sol")
    assert art["sourceName"] in manifest["sources"]
    assert isinstance(art["abi"], list)
    for key, refs_key in (
        ("bytecode", "linkReferences"),
        ("deployedBytecode", "deployedLinkReferences"),
    ):
        # Hex but for the library placeholders, exactly where the link references say.
        code = unlinked(art[key], art[refs_key], path.name)
        assert HEX.match(code), f"{path.name}: {key} is not 0x-prefixed lowercase hex"
    assert (art["bytecode"] == "0x") == (art["deployedBytecode"] == "0x")
    assert art["abi"] or art["bytecode"] != "0x"
    assert art["compiler"] == manifest["compiler"]
    assert art["settings"]["evmVersion"] == "cancun"
    assert set(art["settings"]["outputSelection"]["*"]["*"]) >= {
        "abi",
        "evm.bytecode.object",
        "evm.bytecode.linkReferences",
        "evm.deployedBytecode.object",
        "evm.deployedBytecode.linkReferences",
    }
    assert SHA256.match(art["sourcesHash"])
    if not manifest["settingsOverrides"]:
        assert art["settings"] == manifest["settings"]
        assert art["sourcesHash"] == manifest["sourcesHash"]


@pytest.mark.parametrize("path", [*artifact_files(), MANIFEST], ids=lambda p: p.name)
def test_json_is_canonical(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def unlinked(code: str, refs: dict[str, Any], name: str) -> str:
    """``code`` with each referenced placeholder zeroed; fails on a misplaced or extra one."""
    chars = list(code[2:])
    for source, libraries in refs.items():
        assert source.startswith("src/") and source.endswith(".sol"), f"{name}: {source}"
        for places in libraries.values():
            for place in places:
                start, end = 2 * place["start"], 2 * (place["start"] + place["length"])
                assert place["length"] == 20, f"{name}: link reference of {place['length']} bytes"
                assert PLACEHOLDER.fullmatch("".join(chars[start:end])), (
                    f"{name}: no placeholder at byte {place['start']}"
                )
                chars[start:end] = "0" * (end - start)
    rest = "".join(chars)
    assert "__$" not in rest, f"{name}: a library placeholder without a link reference"
    return "0x" + rest


def test_competition_links_theScoringLibrary(artifacts: dict[str, dict[str, Any]]) -> None:
    # The evaluation path and the teams are external libraries (docs/competition-protocol.md,
    # the split plan).
    libs = {
        "src/libraries/CompetitionScoring.sol": "CompetitionScoring",
        "src/libraries/CompetitionTeams.sol": "CompetitionTeams",
    }
    competition = artifacts["Competition"]
    assert set(competition["linkReferences"]) == set(libs)
    assert set(competition["deployedLinkReferences"]) == set(libs)
    for lib, name in libs.items():
        assert set(competition["linkReferences"][lib]) == {name}
        library = artifacts[name]
        assert library["sourceName"] == lib
        assert library["linkReferences"] == {} and library["deployedLinkReferences"] == {}
        # Its events and errors are ICompetition's, so a clone's ABI decodes them.
        assert _abi_names(library, "event") <= _abi_names(competition, "event")
        assert _abi_names(library, "error") <= _abi_names(competition, "error")
    scoring = artifacts["CompetitionScoring"]
    assert {"TeamProposed", "TeamFormed"} <= _abi_names(artifacts["CompetitionTeams"], "event")
    assert {"SubmissionScored", "SubmissionCompleted"} <= _abi_names(scoring, "event")
    # Nothing else links a library.
    linking = sorted(name for name, art in artifacts.items() if art["linkReferences"])
    assert linking == ["Competition"]


def _abi_names(art: dict[str, Any], kind: str) -> set[str]:
    return {item["name"] for item in art["abi"] if item["type"] == kind}


def test_market_token_abi(artifacts: dict[str, dict[str, Any]]) -> None:
    token = artifacts["MarketToken"]
    assert token["sourceName"] == "src/MarketToken.sol"
    assert len(token["bytecode"]) > 2
    (ctor,) = [item for item in token["abi"] if item["type"] == "constructor"]
    assert [i["type"] for i in ctor["inputs"]] == ["address[]", "uint256[]"]
    assert {"transfer", "approve", "transferFrom", "permit", "nonces", "DOMAIN_SEPARATOR"} <= (
        _abi_names(token, "function")
    )
    assert not {n for n in _abi_names(token, "function") if "mint" in n.lower()}
    errors = _abi_names(token, "error")
    assert {"MarketTokenLengthMismatch", "MarketTokenNoRecipients"} <= errors
    assert {"MarketTokenLengthMismatch", "MarketTokenNoRecipients"} <= _abi_names(
        artifacts["IMarketToken"], "error"
    )
    assert artifacts["IMarketToken"]["bytecode"] == "0x"


def test_revert_probe_abi(artifacts: dict[str, dict[str, Any]]) -> None:
    probe = artifacts["RevertProbe"]
    assert probe["sourceName"] == "src/test/RevertProbe.sol"
    assert {"RevertProbeDetailed", "RevertProbeNoArgs"} <= _abi_names(probe, "error")
    assert {
        "revertDetailed",
        "revertNoArgs",
        "revertWithReason",
        "revertWithMessage",
        "revertEmpty",
        "divide",
        "add",
        "failAssert",
        "spin",
        "ping",
    } <= _abi_names(probe, "function")
    (detailed,) = [
        i for i in probe["abi"] if i["type"] == "error" and i["name"] == "RevertProbeDetailed"
    ]
    assert [i["type"] for i in detailed["inputs"]] == [
        "address",
        "uint256",
        "int256",
        "bytes32",
        "string",
        "bool",
        "uint8",
        "uint256[]",
    ]
    assert {"RevertProbePinged", "RevertProbeSpun"} <= _abi_names(probe, "event")


def test_artifacts_are_fresh(tmp_path: Path) -> None:
    node = shutil.which("node")
    require_tool(node, "node")
    require_tool(CONTRACTS / "node_modules" / "solc", "contracts/node_modules (npm ci)")
    out = tmp_path / "artifacts"
    proc = subprocess.run(
        [str(node), str(CONTRACTS / "build.js"), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"build.js failed:\n{proc.stdout}\n{proc.stderr}"
    committed = {p.name: p.read_bytes() for p in ARTIFACTS.glob("*.json")}
    fresh = {p.name: p.read_bytes() for p in out.glob("*.json")}
    differing = sorted(
        name for name in committed.keys() & fresh.keys() if committed[name] != fresh[name]
    )
    missing = sorted(fresh.keys() - committed.keys())
    extra = sorted(committed.keys() - fresh.keys())
    problems = []
    if differing:
        problems.append(f"differ: {', '.join(differing)}")
    if missing:
        problems.append(f"not committed: {', '.join(missing)}")
    if extra:
        problems.append(f"no longer produced: {', '.join(extra)}")
    assert not problems, f"mlmarket/contracts/artifacts is stale ({'; '.join(problems)}); {REBUILD}"
