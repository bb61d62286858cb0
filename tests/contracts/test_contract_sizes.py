"""Every contract with code fits Ethereum's size limits (EIP-170 runtime, EIP-3860 initcode).

A contract over either limit cannot be deployed on mainnet or on the local backends,
so these tests name the contract and its size before a deployment fails. That the
Market deploys nothing else is checked in ``tests/market/test_market.py``.
"""

from __future__ import annotations

import pytest

from mlmarket.contracts import artifact_names, load_artifact
from mlmarket.contracts.artifacts import MAX_INITCODE_SIZE, MAX_RUNTIME_SIZE

DEPLOYABLE = [name for name in artifact_names() if load_artifact(name).deployable]


@pytest.mark.parametrize("name", DEPLOYABLE)
def test_runtimeCode_fitsEip170(name: str) -> None:
    size = load_artifact(name).runtime_size
    assert 0 < size < MAX_RUNTIME_SIZE, (
        f"{name}'s runtime code is {size:,} bytes; EIP-170 allows less than "
        f"{MAX_RUNTIME_SIZE:,}. Split the contract or move code into libraries."
    )


@pytest.mark.parametrize("name", DEPLOYABLE)
def test_initcode_fitsEip3860(name: str) -> None:
    size = load_artifact(name).initcode_size
    assert 0 < size < MAX_INITCODE_SIZE, (
        f"{name}'s creation code is {size:,} bytes; EIP-3860 allows less than "
        f"{MAX_INITCODE_SIZE:,}. Shrink the constructor or the runtime code."
    )


def test_competitionAndItsLinkedLibraries_areAllChecked() -> None:
    # Competition links CompetitionScoring (the split plan's step 1) and CompetitionTeams
    # (teams and mergers): all three are deployed, so all three are size-checked.
    assert {"Competition", "CompetitionScoring", "CompetitionTeams"} <= set(DEPLOYABLE)
    assert sorted(load_artifact("Competition").libraries) == [
        "CompetitionScoring",
        "CompetitionTeams",
    ]
