"""save(folder) / load(folder) bring a local chain back, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlmarket.chain import Chain, load
from mlmarket.contracts import bind_errors
from mlmarket.errors import ConfigurationError

TAG = b"\x22" * 32


def test_saveLoad_restoresStateTimeAndNonces(chain: Chain, probe, tmp_path: Path) -> None:
    chain.transact(probe.functions.spin(4), sender="alice")
    chain.clock.advance(86_400)
    chain.transact(probe.functions.ping(9, TAG, "before save"), sender="bob")
    latest = chain.clock.latest_block_time()
    block = chain.block_number
    balance = chain.balance("alice")
    chain.save(tmp_path)
    chain.close()

    with load(tmp_path) as restored:
        bind_errors(restored)
        same = restored.w3.eth.contract(address=probe.address, abi=probe.abi)
        assert restored.kind == chain.kind
        assert restored.block_number == block
        assert restored.clock.latest_block_time() == latest
        assert restored.balance("alice") == balance
        assert restored.call(same.functions.total()) == 6
        assert restored.call(same.functions.pings()) == 1
        # The session goes on where it stopped: nonces and time line up.
        restored.transact(same.functions.ping(1, TAG, "after load"), sender="bob")
        assert restored.call(same.functions.pings()) == 2


@pytest.mark.parametrize("backend", ["eth-tester", "revm"])
def test_journal_dropsWhatARevertUndid(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> None:
    """Both in-process backends save a journal; what a revert undid is not in it."""
    from mlmarket.chain import connect
    from tests.chain.conftest import deploy

    if backend == "revm":
        request.getfixturevalue("require_revm")
    with connect(backend) as chain:
        probe = deploy(chain, "RevertProbe")
        snap = chain.snapshot()
        chain.transact(probe.functions.spin(5), sender="alice")
        chain.revert(snap)
        chain.transact(probe.functions.spin(2), sender="alice")
        chain.save(tmp_path)
    with load(tmp_path) as restored:
        same = restored.w3.eth.contract(address=probe.address, abi=probe.abi)
        assert restored.call(same.functions.total()) == 1
        assert len(restored.backend.save(tmp_path)["journal"]) == restored.block_number == 2


def test_load_ofAFolderWithoutState_saysWhatIsMissing(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="chain.json is missing"):
        load(tmp_path)


def test_identity_survivesSaveLoad_andDiffersBetweenRuns(tmp_path: Path) -> None:
    from mlmarket.chain import connect

    with connect() as first, connect() as second:
        assert first.identity != second.identity
        first.save(tmp_path)
        identity = first.identity
    with load(tmp_path) as restored:
        assert restored.identity == identity
