"""The vault keeps secrets per chain, privately, and travels with saved sessions."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

import mlmarket as mm
from mlmarket.errors import ConfigurationError
from mlmarket.market.vault import Vault, VaultError


def test_putGet_roundTrip_ownerOnly(tmp_path: Path) -> None:
    vault = Vault(tmp_path, "31337-abc")
    vault.put("salts", "3", {"salt": "0x01"})
    assert vault.get("salts", "3") == {"salt": "0x01"}
    assert vault.keys("salts") == ["3"]
    mode = (tmp_path / "31337-abc" / "salts" / "3.json").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_missingSecret_saysWhereItIsKept(tmp_path: Path) -> None:
    with pytest.raises(VaultError, match="no salts entry '9'"):
        Vault(tmp_path, "1-x").get("salts", "9")


def test_unsafeNames_areRefused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="may only use"):
        Vault(tmp_path, "1-x").put("salts", "../escape", {})


def test_twoRunsOfALocalChain_doNotShareSecrets(tmp_path: Path) -> None:
    with mm.Market.local(home=tmp_path) as first, mm.Market.local(home=tmp_path) as second:
        # Same addresses, same ids — but different genesis blocks.
        assert first.token.address == second.token.address
        assert first.vault.namespace != second.vault.namespace
        first.vault.put("salts", "1", {"salt": "first"})
        assert not second.vault.has("salts", "1")


def test_savedSession_carriesVaultAndContent(tmp_path: Path) -> None:
    with mm.Market.local(home=tmp_path / "home-a") as market:
        cid = market.remember_content(market.store.add(b"a dataset's bytes"))
        market.vault.put("datakeys", "1", {"key": "k"})
        market.save(tmp_path / "session")
    with mm.Market.load(tmp_path / "session", home=tmp_path / "home-b") as restored:
        assert restored.store.get(cid) == b"a dataset's bytes"
        assert restored.vault.get("datakeys", "1") == {"key": "k"}
