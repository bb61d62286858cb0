"""Market: local deployments, address book, attach, tables, save/load."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from eth_account import Account

import mlmarket as mm
from mlmarket.chain import AnvilProcess
from mlmarket.contracts import load_artifact
from mlmarket.contracts.artifacts import MAX_RUNTIME_SIZE, sources_hash
from mlmarket.contracts.errors import ERC20InsufficientBalance
from mlmarket.errors import ConfigurationError, DeploymentVersionError
from tests.chain.test_connect import fund


def test_local_fundsEveryNamedAccount(fresh: mm.Market) -> None:
    table = fresh.balances()
    assert list(table.index) == list(fresh.accounts)
    assert (table["tokens"] == Decimal(1000)).all()
    assert table.loc["alice", "eth"] == Decimal(10_000)
    assert fresh.token.total_supply() == Decimal(1000) * len(fresh.accounts)


def test_balances_updateExactly(fresh: mm.Market) -> None:
    fresh.token.transfer("bob", "0.000000000000000001", sender="alice")
    table = fresh.balances()
    assert table.loc["bob", "tokens_exact"] == Decimal("1000.000000000000000001")
    assert table.loc["alice", "tokens_exact"] == Decimal("999.999999999999999999")
    assert table.loc["bob", "tokens"] == table.loc["alice", "tokens"] == 1000.0  # rounded
    assert table.loc["alice", "eth_exact"] < Decimal(10_000)  # alice paid gas


def test_events_listEveryEventWithBlockTimeTxAndGas(fresh: mm.Market) -> None:
    receipt = fresh.token.transfer("carol", 3, sender="bob")
    events = fresh.events()
    assert list(events.columns) == [
        "block", "time", "contract", "event", "args", "tx_hash", "sender", "gas_used"
    ]  # fmt: skip
    last = events.iloc[-1]
    assert last["event"] == "Transfer" and last["sender"] == "bob"
    assert last["args"] == {"from": "bob", "to": "carol", "value": 3 * 10**18}
    assert last["gas_used"] == receipt["gasUsed"]
    assert last["block"] == receipt["blockNumber"]
    assert isinstance(last["time"], pd.Timestamp)
    transfers = events[events["event"] == "Transfer"]
    mints = transfers[transfers["args"].map(lambda a: a["from"]).str.startswith("0x0000")]
    assert len(mints) == len(fresh.accounts)


def test_failedPayment_raisesNamedErrorAndChangesNothing(fresh: mm.Market) -> None:
    before = fresh.balances()["tokens"]
    with pytest.raises(ERC20InsufficientBalance, match="alice .* has 1000 tokens but needs 5000"):
        fresh.token.transfer("bob", 5000, sender="alice")
    pd.testing.assert_series_equal(fresh.balances()["tokens"], before)


def test_permit_allowsPayingInOneTransaction(fresh: mm.Market) -> None:
    value, deadline, v, r, s = fresh.token.permit("alice", "bob", "2.5")
    fn = fresh.token.contract.functions.permit(
        fresh.chain.address("alice"), fresh.chain.address("bob"), value, deadline, v, r, s
    )
    fresh.chain.transact(fn, sender="bob")
    assert fresh.token.allowance("alice", "bob") == Decimal("2.5")


def test_expiredPermit_isExplained(fresh: mm.Market) -> None:
    from mlmarket.contracts.errors import ERC2612ExpiredSignature

    value, deadline, v, r, s = fresh.token.permit(
        "alice", "bob", 1, deadline=fresh.clock.now() + 60
    )
    fresh.clock.advance(120)
    fn = fresh.token.contract.functions.permit(
        fresh.chain.address("alice"), fresh.chain.address("bob"), value, deadline, v, r, s
    )
    with pytest.raises(ERC2612ExpiredSignature, match="sign a new one"):
        fresh.chain.transact(fn, sender="bob")


def test_everyDeployedContract_isAnArtifactWhoseSizeIsChecked(fresh: mm.Market) -> None:
    # tests/contracts/test_contract_sizes.py checks every deployable artifact's size
    for name, address in fresh.deployment.contracts.items():
        artifact = load_artifact(name)
        assert artifact.deployable, f"{name} is deployed but its artifact has no code"
        on_chain = len(fresh.chain.w3.eth.get_code(address))
        assert on_chain == artifact.runtime_size < MAX_RUNTIME_SIZE, name


def test_saveLoad_bringsTheMarketBack(fresh: mm.Market, tmp_path: Path) -> None:
    fresh.token.transfer("dave", 7, sender="erin")
    fresh.save(tmp_path)
    with mm.Market.load(tmp_path) as restored:
        assert restored.token.address == fresh.token.address
        pd.testing.assert_frame_equal(restored.balances(), fresh.balances())
        assert len(restored.events()) == len(fresh.events())


def test_localRejectsRemoteBackends() -> None:
    with pytest.raises(ConfigurationError, match="Market.attach"):
        mm.Market.local("http://example.invalid")


def test_deployOnAPublicChain_fixedSupplyToDeployer_thenAttach(
    require_anvil: None, tmp_path: Path
) -> None:
    node = AnvilProcess.start(chain_id=11155111)
    try:
        own = Account.create()
        fund(node, own.address)
        book = mm.AddressBook(tmp_path / "deployments.json")
        chain = mm.connect(node.url, private_key=own.key)
        market = mm.Market.deploy(chain, supply=500, address_book=book, name="trial")
        assert market.token.balance_of(own.address) == Decimal(500)
        assert market.token.total_supply() == Decimal(500)

        again = mm.Market.attach(node.url, "trial", address_book=book, private_key=own.key)
        assert again.token.address == market.token.address
        assert again.balances().loc["deployer", "tokens"] == Decimal(500)
        with pytest.raises(ConfigurationError, match="No deployment 'other'.*known: trial"):
            mm.Market.attach(chain, "other", address_book=book)
    finally:
        node.stop()


def test_attach_toAResetChain_explains(tmp_path: Path) -> None:
    book = mm.AddressBook(tmp_path / "deployments.json")
    with mm.connect() as first:
        mm.Market.deploy(first, address_book=book)
    with mm.connect() as second:  # a new in-memory chain: same chain id, no contracts
        with pytest.raises(ConfigurationError, match="no contract is there"):
            mm.Market.attach(second, address_book=book)


OTHER_SOURCES = "ab" * 32  # a sourcesHash that is not the package's


def _rewrite_saved(folder: Path, change: Callable[[dict[str, Any]], object]) -> None:
    """Edit the saved session's market.json in place, as a user or an older version might."""
    market_file = folder / "market.json"
    data = json.loads(market_file.read_text())
    change(data)
    market_file.write_text(json.dumps(data))


def test_save_recordsTheContractsSourcesHash_andLoadAcceptsIt(
    fresh: mm.Market, tmp_path: Path
) -> None:
    fresh.save(tmp_path)
    saved = json.loads((tmp_path / "market.json").read_text())
    assert saved["sources_hash"] == sources_hash() == fresh.deployment.sources_hash
    with mm.Market.load(tmp_path) as restored:
        assert restored.deployment == fresh.deployment


def test_load_ofASessionSavedFromOtherSources_isRefused(fresh: mm.Market, tmp_path: Path) -> None:
    fresh.save(tmp_path)
    _rewrite_saved(tmp_path, lambda data: data.update(sources_hash=OTHER_SOURCES))
    with pytest.raises(
        DeploymentVersionError,
        match=(
            f"made from contract sources {OTHER_SOURCES[:12]}, but this mlmarket package's "
            f"contracts are built from sources {sources_hash()[:12]}.*mlmarket version that "
            "saved it, or start a new session"
        ),
    ):
        mm.Market.load(tmp_path)


def test_load_ofASessionWithoutSourcesHash_isRefused(fresh: mm.Market, tmp_path: Path) -> None:
    fresh.save(tmp_path)
    _rewrite_saved(tmp_path, lambda data: data.pop("sources_hash"))
    with pytest.raises(DeploymentVersionError, match="records no contract sources hash.*earlier"):
        mm.Market.load(tmp_path)


def test_deploy_recordsTheSourcesHash_andAttachAcceptsIt(tmp_path: Path) -> None:
    book = mm.AddressBook(tmp_path / "deployments.json")
    with mm.connect() as chain:
        market = mm.Market.deploy(chain, address_book=book)
        entry = json.loads(book.path.read_text())[str(chain.chain_id)]["default"]
        assert entry["sources_hash"] == sources_hash()
        again = mm.Market.attach(chain, address_book=book)
        assert again.deployment == market.deployment


def test_attach_toADeploymentFromOtherSources_isRefused(fresh: mm.Market, tmp_path: Path) -> None:
    book = mm.AddressBook(tmp_path / "deployments.json")
    book.record(dataclasses.replace(fresh.deployment, sources_hash=OTHER_SOURCES))
    with pytest.raises(
        DeploymentVersionError,
        match=(
            f"Deployment 'default' on chain {fresh.chain.chain_id} .* made from contract "
            f"sources {OTHER_SOURCES[:12]}, but .* {sources_hash()[:12]}.*version that "
            "deployed it, or deploy anew"
        ),
    ):
        mm.Market.attach(fresh.chain, address_book=book)
    assert fresh.token.balance_of("alice") == Decimal(1000)  # the caller's chain is left open


def test_attach_toAnEntryWithoutSourcesHash_isRefused(fresh: mm.Market, tmp_path: Path) -> None:
    book = mm.AddressBook(tmp_path / "deployments.json")
    book.record(dataclasses.replace(fresh.deployment, sources_hash=""))
    assert (
        "sources_hash"
        not in json.loads(book.path.read_text())[str(fresh.chain.chain_id)]["default"]
    )
    with pytest.raises(DeploymentVersionError, match="records no contract sources hash"):
        mm.Market.attach(fresh.chain, address_book=book)
