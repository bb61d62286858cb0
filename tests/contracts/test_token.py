"""MarketToken's constructor rules and fixed supply, through the Python wrapper."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mlmarket.chain import Chain, connect
from mlmarket.contracts import MarketToken, bind_errors, load_artifact
from mlmarket.contracts.errors import MarketTokenLengthMismatch, MarketTokenNoRecipients


@pytest.fixture
def chain():
    with connect() as chain:
        bind_errors(chain)
        yield chain


def test_supplyIsExactlyWhatWasMinted(chain: Chain) -> None:
    token = MarketToken.deploy(chain, {"alice": "1.25", "bob": 3})
    assert token.total_supply() == Decimal("4.25")
    assert token.raw_balance_of("alice") == 125 * 10**16


def test_noMintFunctionExists() -> None:
    names = {e.get("name") for e in load_artifact("MarketToken").abi if e["type"] == "function"}
    assert not {n for n in names if "mint" in n.lower()}


def test_mismatchedLengths_areRejected(chain: Chain) -> None:
    artifact = load_artifact("MarketToken")
    with pytest.raises(MarketTokenLengthMismatch, match="2 recipients but 1 amounts") as caught:
        chain.deploy(
            artifact.abi,
            artifact.bytecode,
            [chain.address("alice"), chain.address("bob")],
            [1],
            sender="deployer",
        )
    assert caught.value.recipients == 2


def test_noRecipients_isRejected(chain: Chain) -> None:
    with pytest.raises(MarketTokenNoRecipients, match="at least one recipient"):
        MarketToken.deploy(chain, {})


def test_unknownArtifact_suggestsTheClosestName() -> None:
    from mlmarket.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="Did you mean 'MarketToken'"):
        load_artifact("MarketTokn")
