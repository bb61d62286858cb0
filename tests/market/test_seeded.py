"""Seeded simulations: the same seed plays the same transactions, gas included.

``Market.local(seed=...)`` seeds the genesis, every salt and id the package draws, and
runs a simulated clock; only keys and encryption nonces stay random. The tolerance this
file states: a listing's data key is a fresh key in every run, so the transactions that
carry what it encrypts (``createListing``: the sealed data's CID and the key's
commitment; ``deliver``: the key wrapped to the buyer) differ in their bytes, hence their
hashes, and their calldata gas may differ by the zero bytes among them (12 gas per byte:
16 for a non-zero byte, 4 for a zero one); every other transaction uses the same gas.
Their hashes are equal too until such a transaction: after it the base fee, and so each
transaction's fee fields, may differ; a run without data sales repeats every hash.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlmarket as mm
from mlmarket.chain.core import TxRecord
from mlmarket.datasets import load_sample
from mlmarket.errors import ConfigurationError
from mlmarket.market.market import SIMULATION_GENESIS

DAY = 86_400
CALLDATA_BYTE_SPREAD = 16 - 4  # a non-zero calldata byte costs 16 gas, a zero one 4
ENCRYPTED = ("createListing", "deliver")  # they carry what a fresh data key encrypts


def play(market: mm.Market, *, sale: bool = True) -> list[TxRecord]:
    """A dataset sold and delivered (with ``sale``), then a competition with a public board
    played out."""
    cancer = load_sample("breast_cancer")
    if sale:
        listing = market.data.publish(
            cancer.head(120), owner="alice", price=5, name="Cancer rows", target="diagnosis"
        )
        market.data.buy(listing, buyer="bob")
    comp = market.competitions.create(
        data=cancer, target="diagnosis", creator="alice", reward=50, public_size=0.3,
        periods={"submission": DAY, "reveal": DAY, "test_reveal": DAY, "evaluation": DAY},
    )  # fmt: skip
    X, y = comp.training_xy()
    for who, c in (("carol", 0.1), ("dave", 1.0)):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))
        comp.submit(model.fit(X, y), by=who)
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    market.clock.advance_to(comp.public_checks_end)
    comp.reveal_test_set()
    comp.evaluate(by="erin")
    comp.finalize()
    comp.claim_all()
    return list(market.chain.history)


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, mm.Market]]:
    markets = {
        "first": mm.Market.local(seed=7),
        "second": mm.Market.local(seed=7),
        "other seed": mm.Market.local(seed=8),
        "no sale": mm.Market.local(seed=9),
        "no sale again": mm.Market.local(seed=9),
    }
    try:
        yield markets
    finally:
        for market in markets.values():
            market.close()


@pytest.fixture(scope="module")
def histories(runs: dict[str, mm.Market]) -> dict[str, list[TxRecord]]:
    return {name: play(market, sale="no sale" not in name) for name, market in runs.items()}


def test_twoRunsWithOneSeed_sendTheSameTransactions_andUseTheSameGas(
    histories: dict[str, list[TxRecord]],
) -> None:
    first, second = histories["first"], histories["second"]
    assert [r.action for r in first] == [r.action for r in second]
    assert len(first) > 30
    encrypted = [i for i, r in enumerate(first) if r.action in ENCRYPTED]
    assert len(encrypted) == 2
    same_fees = range(encrypted[0])  # before the first, the base fee is the same too
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        assert (a.block, a.timestamp, a.sender, a.to, a.status) == (
            b.block, b.timestamp, b.sender, b.to, b.status
        ), a.action  # fmt: skip
        if i in encrypted:
            # A fresh key: the hash differs, the gas only by the zero bytes in what it encrypts.
            assert a.tx_hash != b.tx_hash
            assert abs(a.gas_used - b.gas_used) % CALLDATA_BYTE_SPREAD == 0
            assert abs(a.gas_used - b.gas_used) <= CALLDATA_BYTE_SPREAD * 64, a.action
        else:
            assert a.gas_used == b.gas_used, a.action
        if i in same_fees:
            assert a.tx_hash == b.tx_hash, a.action


def test_twoRunsWithOneSeed_andNoDataSale_repeatEveryTransactionHash(
    histories: dict[str, list[TxRecord]],
) -> None:
    first, second = histories["no sale"], histories["no sale again"]
    assert len(first) > 25
    assert [(r.tx_hash, r.gas_used, r.block, r.timestamp) for r in first] == [
        (r.tx_hash, r.gas_used, r.block, r.timestamp) for r in second
    ]


def test_anotherSeed_drawsOtherSalts_soItsCommitsDiffer(
    histories: dict[str, list[TxRecord]],
) -> None:
    first, other = histories["first"], histories["other seed"]
    commits = [(a.tx_hash, b.tx_hash) for a, b in zip(first, other, strict=False)
               if a.action == b.action == "commit"]  # fmt: skip
    assert len(commits) == 2
    assert all(a != b for a, b in commits)


def test_seededRuns_shareTheirGenesis_andTheClockIsSimulated(
    runs: dict[str, mm.Market], histories: dict[str, list[TxRecord]]
) -> None:
    first, second, other = runs["first"], runs["second"], runs["other seed"]
    assert first.chain.identity == second.chain.identity != other.chain.identity
    genesis = first.chain.w3.eth.get_block(0)
    assert int(genesis["timestamp"]) == SIMULATION_GENESIS
    assert first.chain.clock.simulated
    # Without time travel each block is a second after the last: no wall clock in it.
    records = histories["first"]
    assert records[1].timestamp == records[0].timestamp + 1
    assert first.random.seeded and first.random.seed == 7


def test_seededMarket_hasItsOwnHome_neverTheUsersOne(runs: dict[str, mm.Market]) -> None:
    homes = {market.home for market in runs.values()}
    assert len(homes) == len(runs)
    user_home = Path.home() / ".mlmarket"
    for home in homes:
        assert home.name.startswith("mlmarket-sim-") and user_home not in home.parents
    market = runs["first"]
    assert market.chain.journal is None  # no session journal by default
    assert market.vault.fsync is False


def test_aSimulationsTemporaryHome_isDeleted_atClose_atCollection_andAtExit(
    tmp_path: Path,
) -> None:
    import gc
    import subprocess
    import sys

    market = mm.Market.local(seed=3)
    market.store_content(b"kept until close")
    home = market.home
    assert home.is_dir()
    market.close()
    assert not home.exists()

    dropped = mm.Market.local(seed=3).home  # never closed: collected
    gc.collect()
    assert not dropped.exists()

    script = "import mlmarket as mm; m = mm.Market.local(seed=3); print(m.home)"
    left = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip
    assert "mlmarket-sim-" in left and not Path(left).exists()  # removed at exit

    with mm.Market.local(seed=3, home=tmp_path / "mine") as given:  # a home of the caller's
        given.store_content(b"stays")
    assert (tmp_path / "mine").is_dir()


def test_unseededMarkets_stayRandom(tmp_path: Path) -> None:
    with mm.Market.local(home=tmp_path / "a") as a, mm.Market.local(home=tmp_path / "b") as b:
        assert a.chain.identity != b.chain.identity
        assert not a.random.seeded and not a.chain.clock.simulated
        assert a.random.bytes(32) != b.random.bytes(32)


def test_genesisWithoutASeed_andResumingASeededRun_areClearErrors() -> None:
    with pytest.raises(ConfigurationError, match="give seed= too"):
        mm.Market.local(genesis=SIMULATION_GENESIS)
    with pytest.raises(ConfigurationError, match="starts afresh"):
        mm.Market.local(seed=1, resume=True)


def test_aSeededChain_startsAtTheGivenGenesis() -> None:
    start = SIMULATION_GENESIS + 365 * DAY
    with mm.Market.local(seed=3, genesis=start) as market:
        assert int(market.chain.w3.eth.get_block(0)["timestamp"]) == start
        deployed = market.clock.now()  # a second per deployment block
        assert deployed == start + market.chain.block_number
        market.clock.advance(DAY)
        assert market.clock.now() == deployed + DAY
