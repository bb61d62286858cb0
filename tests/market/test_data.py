"""market.data: a hospital publishes, a researcher buys and loads; every failure is named."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import mlmarket as mm
from mlmarket.contracts import errors as ce
from mlmarket.crypto import generate_data_key, public_key_of, wrap_key
from mlmarket.datasets import compare_described
from mlmarket.errors import (
    ConfigurationError,
    DataValidationError,
    DecryptionError,
    IntegrityError,
    KeyMismatchError,
    UnconfirmedPurchaseError,
)
from mlmarket.market.phases import moment
from mlmarket.storage import parse_cid

DAY = 86_400


def publish(market: mm.Market, df: pd.DataFrame, **overrides):  # noqa: ANN201
    options = {"owner": "alice", "price": 10, "name": "Breast cancer", "target": "diagnosis"}
    return market.data.publish(df, **(options | overrides))


def test_hospitalPublishes_researcherBuysAndLoads(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    listing = publish(fresh, cancer, name="Wisconsin diagnoses", price="12.5")
    assert listing.labelled and listing.metadata.rows == len(cancer)
    assert listing.metadata.target == "diagnosis"
    assert not fresh.data.has_access(listing, "bob")

    purchase = fresh.data.buy(listing, buyer="bob")
    assert purchase.status == "delivered"  # the owner's side delivered at once, locally
    assert fresh.data.has_access(listing, "bob")
    purchases = fresh.data.purchases()
    assert purchases.loc[purchase.id, "buyer"] == "bob"
    assert purchases.loc[purchase.id, "status"] == "delivered"
    loaded = fresh.data.download(listing, buyer="bob")
    pd.testing.assert_frame_equal(loaded, cancer, check_dtype=False)

    assert fresh.data.revenue("alice") == Decimal("12.5")
    assert fresh.data.withdraw("alice") == Decimal("12.5")
    assert fresh.token.balance_of("alice") == Decimal("1012.5")
    assert fresh.token.balance_of("bob") == Decimal("987.5")
    table = fresh.data.listings()
    assert table.loc[listing.id, "sales"] == 1 and table.loc[listing.id, "owner"] == "alice"


def test_buyingIsOneTransaction_withAPermit(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    listing = publish(fresh, cancer)
    fresh.data.auto_deliver = False
    sent = len(fresh.chain.history)
    fresh.data.buy(listing, buyer="bob")
    assert [r.action for r in fresh.chain.history[sent:]] == ["buyWithPermit"]


def test_publishFromACsvPath_andUnlabelledData(
    fresh: mm.Market, cancer: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "features.csv"
    cancer.drop(columns="diagnosis").to_csv(path, index=False)
    listing = fresh.data.publish(path, owner="carol", price=1, name="Unlabelled features")
    assert not listing.labelled and listing.metadata.target is None
    fresh.data.buy(listing, buyer="dave")
    assert fresh.data.download(listing, buyer="dave").shape == (len(cancer), 30)


def test_withoutAutoDelivery_purchaseWaits_thenRefunds(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    listing = publish(fresh, cancer, delivery_window=DAY)
    fresh.data.auto_deliver = False
    purchase = fresh.data.buy(listing, buyer="bob")
    assert purchase.status == "pending"
    with pytest.raises(ConfigurationError, match="no delivered purchase"):
        fresh.data.download(listing, buyer="bob")
    with pytest.raises(ce.DataMarketRefundTooEarly):
        fresh.data.refund(purchase)
    fresh.clock.advance(DAY)
    with pytest.raises(ce.DataMarketDeliveryTooLate):
        fresh.data.deliver(purchase)
    assert fresh.data.refund(purchase).status == "refunded"
    assert fresh.token.balance_of("bob") == Decimal(1000)
    with pytest.raises(ce.DataMarketAlreadyRefunded):
        fresh.data.refund(purchase)


def test_deliverPending_deliversWhatTheSessionCan(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    listing = publish(fresh, cancer)
    fresh.data.auto_deliver = False
    fresh.data.buy(listing, buyer="bob")
    fresh.data.buy(listing, buyer="carol")
    delivered = fresh.data.deliver_pending(owner="alice")
    assert [p.status for p in delivered] == ["delivered", "delivered"]
    assert fresh.data.download(listing, buyer="carol").shape == cancer.shape


def test_deactivatedListing_refusesNewSales_butPendingOnesStillDeliver(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    listing = publish(fresh, cancer)
    fresh.data.auto_deliver = False
    pending = fresh.data.buy(listing, buyer="bob")
    assert not fresh.data.set_active(listing, False).active
    with pytest.raises(ce.DataMarketListingInactive):
        fresh.data.buy(listing, buyer="carol")
    assert fresh.data.deliver(pending).status == "delivered"


def test_wrongKeyFromTheOwner_isCaught_andComplainedAbout(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    listing = publish(fresh, cancer)
    fresh.data.auto_deliver = False
    purchase = fresh.data.buy(listing, buyer="bob")
    bogus = wrap_key(generate_data_key(), public_key_of(fresh.accounts["bob"].key))
    fresh.chain.transact(fresh.data.contract.functions.deliver(purchase.id, bogus), sender="alice")
    with pytest.raises(KeyMismatchError):
        fresh.data.download(listing, buyer="bob")
    assert fresh.data.complain(purchase, "the key does not open the data").complained
    assert fresh.data.listing(listing).complaints == 1
    with pytest.raises(ce.DataMarketAlreadyComplained):
        fresh.data.complain(purchase, "again")


def test_ciphertextForAnotherDataset_isADecryptionError(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    first = publish(fresh, cancer)
    # A dishonest owner lists the first dataset's envelope with a fresh key commitment.
    second = publish(fresh, cancer.iloc[:10], name="Tiny")
    fn = fresh.data.contract.functions.createListing(
        10**18, second.metadata_cid, first.data_cid, True, "x", DAY, second.key_commitment, 0
    )
    receipt = fresh.chain.transact(fn, sender="alice")
    forged = int(fresh.data._event(receipt, "ListingCreated")["listingId"])
    fresh.vault.put("datakeys", str(forged), fresh.vault.get("datakeys", str(second.id)))
    fresh.data.buy(forged, buyer="bob")
    with pytest.raises(DecryptionError):
        fresh.data.download(forged, buyer="bob")


def test_corruptedBlockOnDisk_isAnIntegrityError(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    listing = publish(fresh, cancer)
    fresh.data.buy(listing, buyer="bob")
    block = fresh.store.blocks.path_for(parse_cid(listing.data_cid))  # one raw block: < 256 KiB
    original = block.read_bytes()
    try:
        block.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
        with pytest.raises(IntegrityError, match=listing.data_cid):
            fresh.data.download(listing, buyer="bob")
    finally:
        block.write_bytes(original)


@pytest.mark.parametrize(
    ("overrides", "error", "words"),
    [
        ({"price": -1}, ConfigurationError, "cannot be negative"),
        ({"name": "  "}, DataValidationError, "name"),
        ({"target": "nope"}, DataValidationError, "nope"),
        ({"delivery_window": 0}, ConfigurationError, "positive number of seconds"),
    ],
)
def test_badInput_isExplained_andNothingIsSent(
    fresh: mm.Market, cancer: pd.DataFrame, overrides, error, words
) -> None:
    sent = len(fresh.chain.history)
    with pytest.raises(error, match=words):
        publish(fresh, cancer, **overrides)
    assert len(fresh.chain.history) == sent


def test_missingCsv_isExplained(fresh: mm.Market) -> None:
    with pytest.raises(DataValidationError, match="is not a file"):
        fresh.data.publish("no/such.csv", owner="alice", price=1, name="x")


def test_sessionSavedAndLoaded_canStillDownload(
    fresh: mm.Market, cancer: pd.DataFrame, tmp_path: Path
) -> None:
    listing = publish(fresh, cancer)
    fresh.data.buy(listing, buyer="bob")
    fresh.save(tmp_path / "session")
    with mm.Market.load(tmp_path / "session", home=tmp_path / "elsewhere") as restored:
        assert restored.data.download(listing.id, buyer="bob").shape == cancer.shape
        restored.data.auto_deliver = True
        restored.data.buy(listing.id, buyer="carol")  # the owner's key came back with the vault
        assert restored.data.has_access(listing.id, "carol")


def refused_unsent(market: mm.Market, words: str, **buy: object) -> UnconfirmedPurchaseError:
    """``market.data.buy(**buy)`` asks for a confirmation in ``words``, sending nothing."""
    sent = len(market.chain.history)
    with pytest.raises(UnconfirmedPurchaseError, match=words) as refused:
        market.data.buy(**buy)  # type: ignore[arg-type]
    assert len(market.chain.history) == sent
    return refused.value


def test_buyingYourOwnListing_needsOwnTrue(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    listing = publish(fresh, cancer, price=10)
    refused = refused_unsent(
        fresh,
        r"^alice owns listing #1 'Breast cancer' and has its data: the price would go back to "
        r"it as revenue, less gas\. Pass own=True to buy it anyway\.$",
        listing=listing, buyer="alice",
    )  # fmt: skip
    assert refused.flags == ("own",)
    assert fresh.data.confirmation(listing, buyer="bob") is None

    assert fresh.data.buy(listing, buyer="alice", own=True).status == "delivered"
    assert fresh.data.revenue("alice") == Decimal(10)  # its own price, as revenue
    assert fresh.token.balance_of("alice") == Decimal(990)


def test_buyingAListingYouHold_needsAgainTrue(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    listing = publish(fresh, cancer)
    first = fresh.data.buy(listing, buyer="bob")
    refused_unsent(
        fresh,
        r"^bob already holds listing #1 'Breast cancer' \(purchase #1\): load it again with "
        r"market\.data\.download\(1, buyer='bob'\) instead of paying twice\. Pass again=True "
        r"to buy it anyway\.$",
        listing=listing, buyer="bob",
    )  # fmt: skip
    assert fresh.data.held(listing, "bob") == fresh.data.purchase(first)

    again = fresh.data.buy(listing, buyer="bob", again=True)
    assert again.id == 2 and fresh.token.balance_of("bob") == Decimal(980)


def test_aPendingPurchase_needsAgain_butARefundedOneDoesNot(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    listing = publish(fresh, cancer, delivery_window=DAY)
    fresh.data.auto_deliver = False
    pending = fresh.data.buy(listing, buyer="bob")
    refused_unsent(
        fresh,
        rf"^bob already paid for listing #1 'Breast cancer' \(purchase #1\), awaiting delivery "
        rf"until {moment(pending.deliver_by)}; after that it can take the payment back "
        r"\(market\.data\.refund\(1\)\)\. Pass again=True to buy it anyway\.$",
        listing=listing, buyer="bob",
    )  # fmt: skip
    fresh.clock.advance(DAY)
    fresh.data.refund(pending)
    assert fresh.data.held(listing, "bob") is None

    assert fresh.data.buy(listing, buyer="bob").id == 2  # after a refund: no confirmation


def test_theOwnerHoldingItsOwnListing_confirmsBoth(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    listing = publish(fresh, cancer)
    fresh.data.buy(listing, buyer="alice", own=True)
    refused = refused_unsent(
        fresh, r"alice owns .* alice already holds .* Pass again=True to buy it anyway\.$",
        listing=listing, buyer="alice", own=True,
    )  # fmt: skip
    assert refused.flags == ("again",)  # own was given; again is what is missing
    assert fresh.data.confirmation(listing, buyer="alice").flags == ("own", "again")
    assert fresh.data.buy(listing, buyer="alice", own=True, again=True).id == 2


def test_theOwnersPreviewAndSummary_arePublic_andTheDataBearsThemOut(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    listing = publish(fresh, cancer, preview=cancer.sample(4, random_state=1).index, summary=True)
    seen = fresh.data.listing(listing.id).metadata  # what anyone reads before buying
    assert (
        len(seen.preview) == 4
        and seen.preview[0] == cancer.loc[cancer.sample(4, random_state=1).index[0]].tolist()
    )
    assert seen.summary["classes"] == [{"label": 0, "count": 212}, {"label": 1, "count": 357}]
    assert [c["missing"] for c in seen.summary["columns"]] == [0] * 31
    assert publish(fresh, cancer).metadata.summary is None  # optional: the owner chooses

    fresh.data.buy(listing, buyer="bob")
    assert compare_described(fresh.data.download(listing, buyer="bob"), seen) == []
