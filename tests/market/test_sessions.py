"""Journaled sessions: a local market whose process dies comes back where it stopped."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlmarket as mm
from mlmarket.chain.journal import JOURNAL_FILE, read_journal
from mlmarket.datasets import load_sample
from mlmarket.errors import ConfigurationError
from mlmarket.market.sessions import KEEP, latest_session, sessions_folder
from tests.chain.conftest import check_revm
from tests.conftest import ROOT

SUBMITTERS = ("bob", "carol", "dave")


def first_part(market: mm.Market) -> str:
    """Open a competition (reward escrowed) and commit three models; return its address."""
    comp = market.competitions.create(
        data=load_sample("breast_cancer"), target="diagnosis", creator="alice", reward=100,
        name="Diagnosis", payout=[0.7, 0.3], seed=5,
    )  # fmt: skip
    X, y = comp.training_xy()
    for index, name in enumerate(SUBMITTERS):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=10.0**-index))
        comp.submit(model.fit(X, y), by=name)
    return comp.address


def second_part(market: mm.Market, address: str) -> dict[str, Decimal]:
    """Reveal, score, finalize and pay the competition; return every token balance."""
    comp = market.competitions.get(address)
    market.clock.advance_to(comp.deadline("submission"))
    assert len(comp.reveal()) == len(SUBMITTERS)  # secrets from the vault on disk
    market.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()
    comp.evaluate()
    comp.finalize()
    comp.claim_all()
    return {name: market.token.balance_of(name) for name in market.accounts}


CHILD = """
import os, sys
import mlmarket as mm
from tests.market.test_sessions import first_part
market = mm.Market.local(sys.argv[1], home=sys.argv[2])
print(first_part(market), flush=True)
os._exit(3)  # no close, no save: the kernel dies
"""


@pytest.mark.parametrize("backend", ["revm", "eth-tester", "anvil"])
def test_aSessionWhoseProcessDied_resumesAndFinishes_withTheSameBalances(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> None:
    if backend == "anvil":
        request.getfixturevalue("require_anvil")
    if backend == "revm":
        check_revm()
    child = subprocess.run(
        [sys.executable, "-c", CHILD, backend, str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert child.returncode == 3, child.stderr
    address = child.stdout.strip().splitlines()[-1]

    with mm.Market.load(tmp_path) as resumed:
        assert resumed.chain.kind == backend
        assert resumed.token.balance_of(address) == Decimal(200)  # reward and bond escrowed
        finished = second_part(resumed, address)
    with mm.Market.local(backend, home=tmp_path / "uninterrupted") as market:
        expected = second_part(market, first_part(market))
    assert finished == expected
    assert finished["alice"] == Decimal(900)  # paid the reward, got the bond back
    assert sum(finished.values()) == Decimal(1000) * len(finished)


def test_resume_continuesTheJournal_revertsIncluded(tmp_path: Path) -> None:
    with mm.Market.local(home=tmp_path) as market:
        market.token.transfer("bob", 5, sender="alice")
        snap = market.chain.snapshot()
        market.token.transfer("bob", 7, sender="alice")
        market.clock.advance(3600)
        market.chain.revert(snap)  # the transfer of 7 and the empty block are undone
        market.token.transfer("carol", 3, sender="alice")
        block, offset = market.chain.block_number, market.clock.offset
    folder = latest_session(tmp_path)
    assert folder is not None and folder.name == market.chain.identity
    contents = read_journal(folder)
    assert len(contents.blocks) == block and contents.offset == offset
    with mm.Market.load(tmp_path) as resumed:
        assert resumed.chain.identity == market.chain.identity  # the vault's key
        assert resumed.token.balance_of("alice") == Decimal(992)
        assert resumed.token.balance_of("bob") == Decimal(1005)
        resumed.token.transfer("dave", 1, sender="alice")  # nonces line up
    with mm.Market.local(home=tmp_path, resume=True) as again:  # the journal went on
        assert again.token.balance_of("alice") == Decimal(991)


def test_aTornLastLine_isIgnored_aDamagedLineIsNamed(tmp_path: Path) -> None:
    with mm.Market.local(home=tmp_path) as market:
        market.token.transfer("bob", 5, sender="alice")
        market.token.transfer("bob", 6, sender="alice")
    journal = latest_session(tmp_path) / JOURNAL_FILE  # type: ignore[operator]
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:-1]) + lines[-1][:40])  # died mid-write
    with mm.Market.load(tmp_path) as resumed:
        assert resumed.token.balance_of("bob") == Decimal(1005)
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:3]) + b"{not json\n" + b"".join(lines[3:]))
    with pytest.raises(ConfigurationError, match="damaged at line 4"):
        mm.Market.load(tmp_path)


def test_aSessionThatDiedBeforeDeploying_orNoSession_isExplained(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no session journal"):
        mm.Market.load(tmp_path)
    with mm.connect() as chain:
        from mlmarket.market.sessions import start_session_journal

        start_session_journal(chain, tmp_path)
    with pytest.raises(ConfigurationError, match="before its contracts were deployed"):
        mm.Market.load(tmp_path)


def test_withoutJournal_nothingIsWritten_andOldSessionsArePruned(tmp_path: Path) -> None:
    with mm.Market.local(home=tmp_path, journal=False) as market:
        assert market.chain.journal is None
    assert not sessions_folder(tmp_path).exists()
    for _ in range(KEEP + 2):
        mm.Market.local(home=tmp_path).close()
    kept = list(sessions_folder(tmp_path).glob(f"*/{JOURNAL_FILE}"))
    assert len(kept) == KEEP
    assert latest_session(tmp_path) in {path.parent for path in kept}


def test_aLoadedSession_journalsIntoItsHome(tmp_path: Path) -> None:
    with mm.Market.local(home=tmp_path / "a", journal=False) as market:
        market.token.transfer("bob", 5, sender="alice")
        market.save(tmp_path / "saved")
    with mm.Market.load(tmp_path / "saved", home=tmp_path / "b") as loaded:
        loaded.token.transfer("bob", 6, sender="alice")
    session = latest_session(tmp_path / "b")
    assert session is not None
    header = json.loads((session / JOURNAL_FILE).read_text().split("\n")[0])
    assert header["backend"] == market.chain.kind
    with mm.Market.load(tmp_path / "b") as resumed:
        assert resumed.token.balance_of("bob") == Decimal(1011)
