"""External libraries: link references in the artifacts, the Python linker, linked deployments.

Competition's evaluation path is the CompetitionScoring library (docs/competition-protocol.md,
"Contract size and the split plan"): its address is linked into Competition's code before
the implementation is deployed, and it runs by DELEGATECALL on a clone's storage, so its
events come from the clone and its errors decode as Competition's.
"""

from __future__ import annotations

import pytest
from eth_utils import keccak, to_checksum_address
from web3.logs import DISCARD

from mlmarket.contracts import load_artifact
from mlmarket.contracts.artifacts import link_bytecode
from mlmarket.contracts.errors import CompetitionInvalidChunkProof, CompetitionNotInPhase
from mlmarket.errors import ConfigurationError
from tests.contracts.test_competition_kit import (
    EVALUATION,
    SUBMISSION,
    World,
    mock_model,
    world_fixture,  # noqa: F401 - the `world` fixture
)

LIBRARY = "src/libraries/CompetitionScoring.sol:CompetitionScoring"
ADDRESS = "0x" + "ab" * 20


def placeholder(name: str = LIBRARY) -> str:
    """solc's placeholder: ``__$`` + 34 hex digits of keccak256(fully qualified name) + ``$__``."""
    return "__$" + keccak(text=name).hex()[:34] + "$__"


def code_with(*parts: str) -> str:
    return "0x" + "".join(parts)


# --- the linker --------------------------------------------------------------------------


def test_placeholder_isSolcsHashOfTheQualifiedName() -> None:
    artifact = load_artifact("Competition")
    (place, *_) = artifact.link_references["src/libraries/CompetitionScoring.sol"][
        "CompetitionScoring"
    ]
    start = 2 + 2 * place["start"]
    assert artifact.bytecode[start : start + 40] == placeholder()


def test_link_putsTheAddressAtEveryReference() -> None:
    code = code_with("60", placeholder(), "56", placeholder(), "00")
    refs = {"src/L.sol": {"L": [{"start": 1, "length": 20}, {"start": 22, "length": 20}]}}
    linked = link_bytecode(code, refs, {"L": ADDRESS})
    assert linked == code_with("60", "ab" * 20, "56", "ab" * 20, "00")


def test_link_acceptsChecksummedAddresses_andIgnoresUnusedLibraries() -> None:
    code = code_with("60", placeholder(), "00")
    refs = {"src/L.sol": {"L": [{"start": 1, "length": 20}]}}
    address = to_checksum_address("0x" + "ab" * 20)
    linked = link_bytecode(code, refs, {"L": address, "Other": "0x" + "00" * 20})
    assert linked == code_with("60", "ab" * 20, "00")


def test_link_withoutReferences_leavesTheCodeAlone() -> None:
    artifact = load_artifact("MarketToken")
    assert artifact.libraries == []
    assert artifact.linked_bytecode({}) == artifact.bytecode
    assert artifact.linked_bytecode({"CompetitionScoring": ADDRESS}) == artifact.bytecode


def test_link_missingLibrary_isNamed() -> None:
    with pytest.raises(
        ConfigurationError, match="CompetitionScoring, CompetitionTeams: deploy them first"
    ):
        load_artifact("Competition").linked_bytecode({})


@pytest.mark.parametrize("address", ["0x1234", "ab" * 20, "0x" + "zz" * 20, "0x" + "ab" * 21])
def test_link_badAddress_isRefused(address: str) -> None:
    with pytest.raises(ConfigurationError, match="not a 20-byte hex address"):
        load_artifact("Competition").linked_bytecode(
            {"CompetitionScoring": address, "CompetitionTeams": ADDRESS}
        )


def test_link_referenceWithoutPlaceholder_isRefused() -> None:
    code = code_with("60", "00" * 20, "00")
    refs = {"src/L.sol": {"L": [{"start": 1, "length": 20}]}}
    with pytest.raises(ConfigurationError, match="no library placeholder for L at byte 1"):
        link_bytecode(code, refs, {"L": ADDRESS})


def test_link_placeholderWithoutReference_isRefused() -> None:
    code = code_with("60", placeholder(), "00")
    with pytest.raises(ConfigurationError, match="rebuild the artifacts"):
        link_bytecode(code, {}, {})


def test_link_artifactCode_leavesNoPlaceholder() -> None:
    artifact = load_artifact("Competition")
    assert artifact.libraries == ["CompetitionScoring", "CompetitionTeams"]
    linked = artifact.linked_bytecode({"CompetitionScoring": ADDRESS, "CompetitionTeams": ADDRESS})
    assert "__$" not in linked and len(linked) == len(artifact.bytecode)
    references = sum(len(p) for r in artifact.link_references.values() for p in r.values())
    assert references >= 1
    assert linked.count("ab" * 20) >= references


# --- deployments -------------------------------------------------------------------------


def test_deployingUnlinkedCode_isRefusedBeforeSending(world: World) -> None:
    artifact = load_artifact("Competition")
    sent = len(world.chain.history)
    with pytest.raises(ConfigurationError, match="deploy the library first"):
        world.chain.deploy(artifact.abi, artifact.bytecode, sender="deployer")
    assert len(world.chain.history) == sent


def test_implementation_runsTheLinkedLibrary(world: World) -> None:
    artifact = load_artifact("Competition")
    on_chain = world.chain.w3.eth.get_code(world.implementation.address)
    expected = link_bytecode(
        artifact.deployed_bytecode,
        artifact.deployed_link_references,
        world.libraries,
        what="Competition (runtime)",
    )
    assert "0x" + on_chain.hex().removeprefix("0x") == expected
    library = world.chain.w3.eth.get_code(world.scoring.address)
    assert len(library) == load_artifact("CompetitionScoring").runtime_size


def test_libraryEventsAndErrors_areTheClones(world: World) -> None:
    comp = world.create()
    assert comp.phase() == SUBMISSION
    model = mock_model(7)
    sub_id = comp.commit("alice", model)
    # The library's phase check reverts with Competition's own error.
    with pytest.raises(CompetitionNotInPhase):
        comp.evaluate(0, [sub_id])
    comp.to_reveal()
    comp.reveal("alice", sub_id)
    comp.to_test_reveal()
    comp.reveal_test_set()
    assert comp.phase() == EVALUATION
    with pytest.raises(CompetitionInvalidChunkProof):
        comp.evaluate(0, [sub_id], proof=comp.test_set.tree.proof(1))
    receipt = comp.evaluate(0, [sub_id])
    logs = comp.contract.events.SubmissionScored().process_receipt(receipt, errors=DISCARD)
    assert [log["address"] for log in logs] == [comp.address]
    assert logs[0]["args"]["value"] == 7
    # Nothing is logged from the library's own address.
    assert world.scoring.address not in {log["address"] for log in receipt["logs"]}
