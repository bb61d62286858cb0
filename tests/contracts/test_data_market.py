"""DataMarket on the real EVM (eth-tester): listings, escrowed purchases, collections.

Every flow and the adversarial cases: wrong keys, wrong callers, wrong times,
wrong states. Amounts are raw token units (``T`` = one token). The helper
:class:`DataMarketHarness` is shared with ``test_data_market_stateful.py``.
The attacks of a curator on its own collection (``test_attack_*``) run on both
eth-tester and anvil.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from eth_keys import keys
from web3.logs import DISCARD

from mlmarket.chain import NAMES, Chain, connect
from mlmarket.chain import clock as chain_clock
from mlmarket.contracts import MarketToken, bind_errors, load_artifact
from mlmarket.contracts.errors import (
    DataMarketAlreadyComplained,
    DataMarketAlreadyDelivered,
    DataMarketAlreadyRefunded,
    DataMarketAmountTooHigh,
    DataMarketBatchAlreadyAccepted,
    DataMarketBatchAlreadyRejected,
    DataMarketCuratorCannotContribute,
    DataMarketDeliveryTooLate,
    DataMarketInvalidCuratorCut,
    DataMarketInvalidDeliveryWindow,
    DataMarketInvalidLength,
    DataMarketInvalidPublicKeyLength,
    DataMarketInvalidReviewWindow,
    DataMarketInvalidRowCap,
    DataMarketInvalidRowCount,
    DataMarketInvalidToken,
    DataMarketListingInactive,
    DataMarketNotBuyer,
    DataMarketNotCurator,
    DataMarketNotDeliveredYet,
    DataMarketNothingToClaim,
    DataMarketNothingToWithdraw,
    DataMarketNotListingOwner,
    DataMarketPublicKeyMismatch,
    DataMarketRefundTooEarly,
    DataMarketReviewWindowClosed,
    DataMarketReviewWindowOpen,
    DataMarketUnknownBatch,
    DataMarketUnknownCollection,
    DataMarketUnknownListing,
    DataMarketUnknownPurchase,
    DataMarketZeroAmount,
    DataMarketZeroKeyCommitment,
    ERC20InsufficientAllowance,
)
from mlmarket.contracts.sink import SINK
from tests.chain.conftest import (
    BACKENDS,
    anvil_path,
    require_anvil,  # noqa: F401 - shared fixture
)
from tests.conftest import require_tool

T = 10**18
HOUR = 3600
DAY = 86_400
COMMITMENT = bytes.fromhex("11" * 32)
WRAPPED_KEY = bytes(range(113))
PENDING, DELIVERED, REFUNDED = 0, 1, 2
BATCH_PENDING, ACCEPTED, REJECTED = 0, 1, 2
START_BALANCE = 1000 * T


class DataMarketHarness:
    """MarketToken + DataMarket on one chain, with terse helpers (raw units, names)."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.token = MarketToken.deploy(chain, {name: 1000 for name in NAMES})
        artifact = load_artifact("DataMarket")
        self.contract, receipt = chain.deploy(
            artifact.abi, artifact.bytecode, self.token.address, sender="deployer"
        )
        self.address: str = self.contract.address
        self.deploy_gas = int(receipt["gasUsed"])

    # --- plumbing ------------------------------------------------------------------

    def tx(self, name: str, *args: Any, sender: str) -> Any:
        return self.chain.transact(getattr(self.contract.functions, name)(*args), sender=sender)

    def call(self, name: str, *args: Any) -> Any:
        return self.chain.call(getattr(self.contract.functions, name)(*args))

    def addr(self, name: str) -> str:
        return self.chain.address(name)

    def public_key(self, name: str) -> bytes:
        return keys.PrivateKey(self.chain.accounts.resolve(name).key).public_key.to_bytes()

    def balance(self, who: str) -> int:
        return self.token.raw_balance_of(who if who.startswith("0x") else who)

    def approve(self, owner: str, amount: int) -> None:
        fn = self.token.contract.functions.approve(self.address, amount)
        self.chain.transact(fn, sender=owner)

    def allowance(self, owner: str) -> int:
        fn = self.token.contract.functions.allowance(self.addr(owner), self.address)
        return int(self.chain.call(fn))

    def events(self, receipt: Any, name: str) -> list[Any]:
        event = getattr(self.contract.events, name)()
        return [e["args"] for e in event.process_receipt(receipt, errors=DISCARD)]

    # --- listings and purchases -------------------------------------------------------

    def create_listing(
        self,
        owner: str = "alice",
        *,
        price: int = 10 * T,
        window: int = HOUR,
        collection: int = 0,
        labelled: bool = True,
        license: str = "CC-BY-4.0",
        metadata: str = "bafymetadata",
        data: str = "bafydata",
        commitment: bytes = COMMITMENT,
    ) -> int:
        self.tx(
            "createListing",
            price, metadata, data, labelled, license, window, commitment, collection,
            sender=owner,
        )  # fmt: skip
        return int(self.call("listingCount"))

    def buy(self, buyer: str, listing_id: int, *, approve: bool = True) -> int:
        if approve:
            self.approve(buyer, self.listing(listing_id)["price"])
        self.tx("buy", listing_id, self.public_key(buyer), sender=buyer)
        return int(self.call("purchaseCount"))

    def deliver(self, seller: str, purchase_id: int, wrapped: bytes = WRAPPED_KEY) -> Any:
        return self.tx("deliver", purchase_id, wrapped, sender=seller)

    def listing(self, listing_id: int) -> dict[str, Any]:
        return _struct(self.contract, "getListing", self.call("getListing", listing_id))

    def purchase(self, purchase_id: int) -> dict[str, Any]:
        return _struct(self.contract, "getPurchase", self.call("getPurchase", purchase_id))

    def revenue(self, who: str) -> int:
        return int(self.call("revenueOf", self.addr(who)))

    def has_access(self, listing_id: int, who: str) -> bool:
        return bool(self.call("hasAccess", listing_id, self.addr(who)))

    # --- collections ------------------------------------------------------------------

    def create_collection(
        self,
        curator: str = "alice",
        *,
        cut_bps: int = 1000,
        review: int = DAY,
        max_rows: int = 1000,
        stake: int = 1 * T,
        bounty_per_row: int = 0,
        max_bounty_rows: int = 0,
        fund: int = 0,
        schema: str = "bafyschema",
    ) -> int:
        if fund:
            self.approve(curator, fund)
        self.tx(
            "createCollection", schema, cut_bps, review, max_rows, stake, bounty_per_row,
            max_bounty_rows, fund, sender=curator,
        )  # fmt: skip
        return int(self.call("collectionCount"))

    def contribute(self, who: str, collection_id: int, rows: int, cid: str = "bafybatch") -> int:
        stake = self.collection(collection_id)["stakePerBatch"]
        if stake:
            self.approve(who, stake)
        self.tx("contribute", collection_id, cid, rows, sender=who)
        return int(self.call("batchCount"))

    def collection(self, collection_id: int) -> dict[str, Any]:
        return _struct(self.contract, "getCollection", self.call("getCollection", collection_id))

    def batch(self, batch_id: int) -> dict[str, Any]:
        return _struct(self.contract, "getBatch", self.call("getBatch", batch_id))

    def contributor(self, collection_id: int, who: str) -> dict[str, Any]:
        raw = self.call("getContributor", collection_id, self.addr(who))
        return _struct(self.contract, "getContributor", raw)

    def pending(self, collection_id: int, who: str) -> int:
        return int(self.call("pendingRevenue", collection_id, self.addr(who)))


def _struct(contract: Any, function: str, values: Any) -> dict[str, Any]:
    """A returned struct (tuple) as a dict keyed by the ABI's component names."""
    (output,) = contract.get_function_by_name(function).abi["outputs"]
    return {c["name"]: v for c, v in zip(output["components"], values, strict=True)}


@pytest.fixture(scope="module")
def base() -> Iterator[DataMarketHarness]:
    with connect() as chain:
        bind_errors(chain)
        harness = DataMarketHarness(chain)
        # eth-tester re-executes the snapshot's block on revert: make that an empty one.
        chain.clock.advance(1)
        yield harness


@pytest.fixture
def dm(base: DataMarketHarness, monkeypatch: pytest.MonkeyPatch) -> Iterator[DataMarketHarness]:
    freeze_wall_clock(monkeypatch)
    with base.chain.rollback():
        yield base


@pytest.fixture(scope="module")
def anvil_base() -> Iterator[DataMarketHarness]:
    """The same harness on a managed anvil node, started once for the module."""
    require_tool(anvil_path(), "anvil (npm @foundry-rs/anvil in contracts/)")
    with connect("anvil") as chain:
        bind_errors(chain)
        harness = DataMarketHarness(chain)
        chain.clock.advance(1)
        yield harness


@pytest.fixture(params=BACKENDS)
def any_dm(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DataMarketHarness]:
    """A fresh DataMarket on eth-tester, then on anvil: for the attack tests."""
    if request.param == "anvil":
        request.getfixturevalue("require_anvil")
    harness = request.getfixturevalue("base" if request.param == "eth-tester" else "anvil_base")
    freeze_wall_clock(monkeypatch)
    with harness.chain.rollback():
        yield harness


def freeze_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stop the session clock from following the wall clock during a test.

    Block times then move only by ``clock.advance``/``advance_to`` and by one second
    per transaction, so deadline tests can hit ``deliverBy - 1`` and ``deliverBy``
    exactly, however slow the machine.
    """
    wall = int(time.time())
    monkeypatch.setattr(chain_clock, "time", SimpleNamespace(time=lambda: wall))


# --- deployment ---------------------------------------------------------------------


def test_deployment_fitsTheCodeSizeLimitAndKnowsItsToken(dm: DataMarketHarness) -> None:
    runtime = (len(load_artifact("DataMarket").deployed_bytecode) - 2) // 2
    assert runtime < 24_576  # EIP-170
    assert dm.call("token") == dm.token.address
    counts = ("listingCount", "purchaseCount", "collectionCount", "batchCount")
    assert [dm.call(name) for name in counts] == [0, 0, 0, 0]
    assert dm.call("ACC_PRECISION") == 10**18
    assert dm.call("MAX_DELIVERY_WINDOW") == 30 * DAY


def test_deployment_withoutATokenContract_isRefused(dm: DataMarketHarness) -> None:
    artifact = load_artifact("DataMarket")
    alice = dm.addr("alice")
    with pytest.raises(DataMarketInvalidToken, match="has no code"):
        dm.chain.deploy(artifact.abi, artifact.bytecode, alice, sender="deployer")


# --- listings -----------------------------------------------------------------------


def test_createListing_storesEveryField(dm: DataMarketHarness) -> None:
    receipt_count = len(dm.chain.history)
    listing_id = dm.create_listing(
        "alice", price=7 * T, window=2 * HOUR, labelled=False, license="MIT",
        metadata="bafymeta1", data="bafydata1",
    )  # fmt: skip
    assert listing_id == 1
    assert dm.listing(1) == {
        "owner": dm.addr("alice"),
        "deliveryWindow": 2 * HOUR,
        "active": True,
        "labelled": False,
        "sales": 0,
        "price": 7 * T,
        "collectionId": 0,
        "complaints": 0,
        "keyCommitment": COMMITMENT,
        "metadataCid": "bafymeta1",
        "dataCid": "bafydata1",
        "license": "MIT",
    }
    receipt = dm.chain.w3.eth.get_transaction_receipt(dm.chain.history[receipt_count].tx_hash)
    (event,) = dm.events(receipt, "ListingCreated")
    assert event["listingId"] == 1 and event["owner"] == dm.addr("alice")
    assert event["price"] == 7 * T and event["license"] == "MIT" and event["dataCid"] == "bafydata1"


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"window": 0}, DataMarketInvalidDeliveryWindow, "0 seconds is not allowed"),
        ({"window": 30 * DAY + 1}, DataMarketInvalidDeliveryWindow, "choose 1 to 2592000"),
        ({"commitment": bytes(32)}, DataMarketZeroKeyCommitment, "key commitment is empty"),
        ({"metadata": ""}, DataMarketInvalidLength, "metadataCid is 0 bytes long"),
        ({"data": "x" * 257}, DataMarketInvalidLength, "dataCid is 257 bytes long"),
        ({"license": "x" * 257}, DataMarketInvalidLength, "license is 257 bytes"),
        ({"price": 2**128}, DataMarketAmountTooHigh, "more than this amount can hold"),
        ({"collection": 5}, DataMarketUnknownCollection, "no collection 5"),
    ],
)
def test_createListing_rejectsBadFields(
    dm: DataMarketHarness, changes: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        dm.create_listing("alice", **changes)


def test_createListing_acceptsEmptyLicenseAndFreeData(dm: DataMarketHarness) -> None:
    listing_id = dm.create_listing("alice", price=0, license="")
    purchase_id = dm.buy("bob", listing_id)
    dm.deliver("alice", purchase_id)
    assert dm.has_access(listing_id, "bob")
    assert dm.revenue("alice") == 0


def test_setListingActive_ownerOnly_andStopsNewPurchasesOnly(dm: DataMarketHarness) -> None:
    listing_id = dm.create_listing("alice", window=HOUR)
    first = dm.buy("bob", listing_id)
    second = dm.buy("carol", listing_id)
    with pytest.raises(DataMarketNotListingOwner, match=r"owner of listing 1 .* bob"):
        dm.tx("setListingActive", listing_id, False, sender="bob")
    receipt = dm.tx("setListingActive", listing_id, False, sender="alice")
    assert dm.events(receipt, "ListingActiveChanged")[0]["active"] is False
    assert dm.listing(listing_id)["active"] is False

    dm.approve("dave", 10 * T)
    with pytest.raises(DataMarketListingInactive, match="not for sale"):
        dm.tx("buy", listing_id, dm.public_key("dave"), sender="dave")
    # pending purchases still deliver or refund
    dm.deliver("alice", first)
    assert dm.has_access(listing_id, "bob")
    dm.chain.clock.advance(HOUR)
    dm.tx("refund", second, sender="carol")
    assert dm.balance("carol") == START_BALANCE

    dm.tx("setListingActive", listing_id, True, sender="alice")
    assert dm.buy("dave", listing_id, approve=False) == 3


def test_unknownIds_areNamed(dm: DataMarketHarness) -> None:
    with pytest.raises(DataMarketUnknownListing, match="no listing 1;"):
        dm.tx("buy", 1, dm.public_key("bob"), sender="bob")
    with pytest.raises(DataMarketUnknownListing):
        dm.call("getListing", 0)
    with pytest.raises(DataMarketUnknownListing):
        dm.tx("setListingActive", 9, False, sender="alice")
    with pytest.raises(DataMarketUnknownPurchase, match="no purchase 3"):
        dm.deliver("alice", 3)
    with pytest.raises(DataMarketUnknownPurchase):
        dm.tx("refund", 1, sender="bob")
    with pytest.raises(DataMarketUnknownCollection):
        dm.tx("contribute", 1, "bafy", 1, sender="bob")
    with pytest.raises(DataMarketUnknownBatch, match="no batch 4"):
        dm.tx("settleBatch", 4, sender="bob")
    with pytest.raises(DataMarketUnknownCollection):
        dm.call("pendingRevenue", 1, dm.addr("bob"))


# --- purchases ----------------------------------------------------------------------


def test_buy_escrowsThePayment_andEmitsTheBuyersKey(dm: DataMarketHarness) -> None:
    listing_id = dm.create_listing("alice", price=10 * T, window=HOUR)
    dm.approve("bob", 10 * T)
    receipt = dm.tx("buy", listing_id, dm.public_key("bob"), sender="bob")
    block_time = dm.chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    (event,) = dm.events(receipt, "Purchased")
    assert event["purchaseId"] == 1 and event["listingId"] == listing_id
    assert event["buyer"] == dm.addr("bob") and event["amount"] == 10 * T
    assert event["buyerPublicKey"] == dm.public_key("bob")
    assert event["deliverBy"] == block_time + HOUR
    assert dm.purchase(1) == {
        "buyer": dm.addr("bob"),
        "paidAt": block_time,
        "status": PENDING,
        "complained": False,
        "amount": 10 * T,
        "listingId": listing_id,
        "deliverBy": block_time + HOUR,
    }
    assert dm.balance("bob") == START_BALANCE - 10 * T
    assert dm.balance(dm.address) == 10 * T
    assert dm.call("publicKeyOf", dm.addr("bob")) == dm.public_key("bob")
    assert dm.call("publicKeyOf", dm.addr("carol")) == b""
    assert not dm.has_access(listing_id, "bob")


def test_buy_withoutApproval_namesTheAllowance(dm: DataMarketHarness) -> None:
    listing_id = dm.create_listing("alice")
    with pytest.raises(
        ERC20InsufficientAllowance, match="Approve more first, or pay with a permit"
    ):
        dm.buy("bob", listing_id, approve=False)


def test_buy_withSomeoneElsesPublicKey_isRefused(dm: DataMarketHarness) -> None:
    listing_id = dm.create_listing("alice")
    dm.approve("bob", 10 * T)
    with pytest.raises(
        DataMarketPublicKeyMismatch, match=r"belongs to carol .* not to the sender bob"
    ) as caught:
        dm.tx("buy", listing_id, dm.public_key("carol"), sender="bob")
    assert caught.value.keyAddress == dm.addr("carol")
    assert caught.value.caller == dm.addr("bob")


@pytest.mark.parametrize("length", [0, 33, 63, 65])
def test_buy_withAWrongLengthKey_isRefused(dm: DataMarketHarness, length: int) -> None:
    listing_id = dm.create_listing("alice")
    dm.approve("bob", 10 * T)
    key = (dm.public_key("bob") * 2)[:length]
    with pytest.raises(
        DataMarketInvalidPublicKeyLength, match=f"is {length} bytes but must be exactly 64"
    ):
        dm.tx("buy", listing_id, key, sender="bob")


def test_buy_with04PrefixedKey_isRefused(dm: DataMarketHarness) -> None:
    listing_id = dm.create_listing("alice")
    dm.approve("bob", 10 * T)
    with pytest.raises(DataMarketInvalidPublicKeyLength, match="without the 0x04 prefix"):
        dm.tx("buy", listing_id, b"\x04" + dm.public_key("bob"), sender="bob")


def test_buyWithPermit_paysInOneTransaction(dm: DataMarketHarness) -> None:
    listing_id = dm.create_listing("alice", price=25 * T)
    assert dm.allowance("bob") == 0
    _value, deadline, v, r, s = dm.token.permit("bob", dm.address, 25)
    before = len(dm.chain.history)
    receipt = dm.tx(
        "buyWithPermit", listing_id, dm.public_key("bob"), deadline, v, r, s, sender="bob"
    )
    assert len(dm.chain.history) == before + 1  # one transaction, no approve
    assert dm.events(receipt, "Purchased")[0]["amount"] == 25 * T
    assert dm.balance("bob") == START_BALANCE - 25 * T
    assert dm.allowance("bob") == 0


def test_buyWithPermit_frontRunPermit_stillBuysWithTheAllowance(dm: DataMarketHarness) -> None:
    listing_id = dm.create_listing("alice", price=25 * T)
    value, deadline, v, r, s = dm.token.permit("bob", dm.address, 25)
    # carol submits bob's signed permit first; bob's own permit call then fails inside.
    permit = dm.token.contract.functions.permit(
        dm.addr("bob"), dm.address, value, deadline, v, r, s
    )
    dm.chain.transact(permit, sender="carol")
    dm.tx("buyWithPermit", listing_id, dm.public_key("bob"), deadline, v, r, s, sender="bob")
    assert dm.purchase(1)["buyer"] == dm.addr("bob")


def test_buyWithPermit_forAnotherAmount_fallsBackToTheMissingAllowance(
    dm: DataMarketHarness,
) -> None:
    listing_id = dm.create_listing("alice", price=25 * T)
    _value, deadline, v, r, s = dm.token.permit("bob", dm.address, 24)
    with pytest.raises(ERC20InsufficientAllowance):
        dm.tx("buyWithPermit", listing_id, dm.public_key("bob"), deadline, v, r, s, sender="bob")


def test_deliver_creditsTheOwner_andGrantsAccess(dm: DataMarketHarness) -> None:
    listing_id = dm.create_listing("alice", price=10 * T)
    purchase_id = dm.buy("bob", listing_id)
    receipt = dm.deliver("alice", purchase_id, WRAPPED_KEY)
    (event,) = dm.events(receipt, "PurchaseDelivered")
    assert dict(event) == {
        "purchaseId": purchase_id,
        "listingId": listing_id,
        "buyer": dm.addr("bob"),
        "wrappedKey": WRAPPED_KEY,
    }
    assert dm.events(receipt, "RevenueCredited")[0]["amount"] == 10 * T
    assert dm.purchase(purchase_id)["status"] == DELIVERED
    assert dm.call("wrappedKeyOf", purchase_id) == WRAPPED_KEY
    assert dm.listing(listing_id)["sales"] == 1
    assert dm.revenue("alice") == 10 * T
    assert dm.balance("alice") == START_BALANCE  # pull payment: nothing moved yet

    receipt = dm.tx("withdraw", sender="alice")
    assert dm.events(receipt, "Withdrawn")[0]["amount"] == 10 * T
    assert dm.balance("alice") == START_BALANCE + 10 * T
    assert dm.revenue("alice") == 0
    assert dm.balance(dm.address) == 0
    with pytest.raises(DataMarketNothingToWithdraw, match="alice .* has no revenue"):
        dm.tx("withdraw", sender="alice")


def test_deliver_byANonOwner_isRefused(dm: DataMarketHarness) -> None:
    listing_id = dm.create_listing("alice")
    purchase_id = dm.buy("bob", listing_id)
    with pytest.raises(DataMarketNotListingOwner, match=r"Only the owner of listing 1 .* carol"):
        dm.deliver("carol", purchase_id)
    with pytest.raises(DataMarketNotListingOwner):
        dm.deliver("bob", purchase_id)  # the buyer cannot deliver to itself either


def test_deliver_afterTheWindow_isRefused_andRefundWorks(dm: DataMarketHarness) -> None:
    listing_id = dm.create_listing("alice", window=HOUR)
    purchase_id = dm.buy("bob", listing_id)
    deliver_by = dm.purchase(purchase_id)["deliverBy"]
    dm.chain.clock.advance_to(deliver_by - 2)
    with pytest.raises(DataMarketRefundTooEarly, match=f"refunded only from {deliver_by}"):
        dm.tx("refund", purchase_id, sender="bob")  # judged at deliverBy - 1; nothing mined
    dm.chain.clock.advance_to(deliver_by - 1)
    with pytest.raises(DataMarketDeliveryTooLate, match=f"passed at {deliver_by}") as caught:
        dm.deliver("alice", purchase_id)  # mined exactly at deliverBy
    assert caught.value.deliverBy == deliver_by
    dm.tx("refund", purchase_id, sender="bob")
    assert dm.purchase(purchase_id)["status"] == REFUNDED


def test_deliver_atTheLastSecond_works(dm: DataMarketHarness) -> None:
    listing_id = dm.create_listing("alice", window=HOUR)
    purchase_id = dm.buy("bob", listing_id)
    dm.chain.clock.advance_to(dm.purchase(purchase_id)["deliverBy"] - 2)
    dm.deliver("alice", purchase_id)  # mined at deliverBy - 1
    assert dm.has_access(listing_id, "bob")


@pytest.mark.parametrize("wrapped", [b"", bytes(513)])
def test_deliver_withAnEmptyOrHugeWrappedKey_isRefused(
    dm: DataMarketHarness, wrapped: bytes
) -> None:
    listing_id = dm.create_listing("alice")
    purchase_id = dm.buy("bob", listing_id)
    with pytest.raises(DataMarketInvalidLength, match=f"wrappedKey is {len(wrapped)} bytes long"):
        dm.deliver("alice", purchase_id, wrapped)


def test_refund_returnsTheTokens_once(dm: DataMarketHarness) -> None:
    listing_id = dm.create_listing("alice", price=10 * T, window=HOUR)
    purchase_id = dm.buy("bob", listing_id)
    dm.chain.clock.advance(HOUR)
    receipt = dm.tx("refund", purchase_id, sender="bob")
    assert dm.events(receipt, "PurchaseRefunded")[0]["amount"] == 10 * T
    assert dm.balance("bob") == START_BALANCE
    assert dm.balance(dm.address) == 0
    with pytest.raises(DataMarketAlreadyRefunded, match="already refunded"):
        dm.tx("refund", purchase_id, sender="bob")
    with pytest.raises(DataMarketAlreadyRefunded):
        dm.deliver("alice", purchase_id)  # delivery after refund
    assert not dm.has_access(listing_id, "bob")
    assert dm.call("wrappedKeyOf", purchase_id) == b""


def test_refund_byANonBuyer_isRefused(dm: DataMarketHarness) -> None:
    purchase_id = dm.buy("bob", dm.create_listing("alice"))
    dm.chain.clock.advance(HOUR)
    with pytest.raises(DataMarketNotBuyer, match=r"buyer of purchase 1 .* carol .* did not buy it"):
        dm.tx("refund", purchase_id, sender="carol")
    with pytest.raises(DataMarketNotBuyer):
        dm.tx("refund", purchase_id, sender="alice")


def test_refund_beforeTheWindow_isRefused(dm: DataMarketHarness) -> None:
    purchase_id = dm.buy("bob", dm.create_listing("alice", window=HOUR))
    with pytest.raises(DataMarketRefundTooEarly, match="the seller may deliver until then"):
        dm.tx("refund", purchase_id, sender="bob")


def test_refund_afterDelivery_andDoubleDelivery_areRefused(dm: DataMarketHarness) -> None:
    purchase_id = dm.buy("bob", dm.create_listing("alice", window=HOUR))
    dm.deliver("alice", purchase_id)
    dm.chain.clock.advance(HOUR)
    with pytest.raises(DataMarketAlreadyDelivered, match="already delivered"):
        dm.tx("refund", purchase_id, sender="bob")
    with pytest.raises(DataMarketAlreadyDelivered):
        dm.deliver("alice", purchase_id)


def test_hasAccess_transitions(dm: DataMarketHarness) -> None:
    listing_id = dm.create_listing("alice", window=HOUR)
    other = dm.create_listing("alice", window=HOUR)
    assert not dm.has_access(listing_id, "bob")
    first = dm.buy("bob", listing_id)
    assert not dm.has_access(listing_id, "bob")  # paid is not enough
    dm.chain.clock.advance(HOUR)
    dm.tx("refund", first, sender="bob")
    assert not dm.has_access(listing_id, "bob")  # refunded: never had access
    second = dm.buy("bob", listing_id)
    dm.deliver("alice", second)
    assert dm.has_access(listing_id, "bob")  # delivered
    assert not dm.has_access(other, "bob")  # per listing
    assert not dm.has_access(listing_id, "carol")  # per account
    dm.tx("setListingActive", listing_id, False, sender="alice")
    assert dm.has_access(listing_id, "bob")  # deactivation does not take access away
    dm.tx("complain", second, "labels are shuffled", sender="bob")
    assert dm.has_access(listing_id, "bob")


def test_complain_recordsOnePublicComplaint(dm: DataMarketHarness) -> None:
    listing_id = dm.create_listing("alice")
    purchase_id = dm.buy("bob", listing_id)
    with pytest.raises(DataMarketNotDeliveredYet, match="not been delivered yet"):
        dm.tx("complain", purchase_id, "nothing arrived", sender="bob")
    dm.deliver("alice", purchase_id)
    with pytest.raises(DataMarketNotBuyer):
        dm.tx("complain", purchase_id, "I am not the buyer", sender="carol")
    receipt = dm.tx("complain", purchase_id, "half the rows are duplicates", sender="bob")
    (event,) = dm.events(receipt, "ComplaintFiled")
    assert event["reason"] == "half the rows are duplicates" and event["buyer"] == dm.addr("bob")
    assert dm.listing(listing_id)["complaints"] == 1
    assert dm.purchase(purchase_id)["complained"] is True
    with pytest.raises(DataMarketAlreadyComplained, match="one complaint per purchase"):
        dm.tx("complain", purchase_id, "and again", sender="bob")
    second = dm.buy("bob", listing_id)
    dm.deliver("alice", second)
    with pytest.raises(DataMarketInvalidLength, match="reason is 1025 bytes"):
        dm.tx("complain", second, "x" * 1025, sender="bob")
    dm.tx("complain", second, "", sender="bob")  # a complaint without words is still a signal
    assert dm.listing(listing_id)["complaints"] == 2


def test_complain_aboutARefundedPurchase_isRefused(dm: DataMarketHarness) -> None:
    purchase_id = dm.buy("bob", dm.create_listing("alice", window=HOUR))
    dm.chain.clock.advance(HOUR)
    dm.tx("refund", purchase_id, sender="bob")
    with pytest.raises(DataMarketAlreadyRefunded):
        dm.tx("complain", purchase_id, "never delivered", sender="bob")


def test_revenue_accumulatesOverSalesAndListings(dm: DataMarketHarness) -> None:
    a = dm.create_listing("alice", price=3 * T)
    b = dm.create_listing("alice", price=4 * T)
    for buyer, listing_id in [("bob", a), ("carol", a), ("bob", b)]:
        dm.deliver("alice", dm.buy(buyer, listing_id))
    assert dm.revenue("alice") == 10 * T
    assert dm.listing(a)["sales"] == 2
    assert dm.tx("withdraw", sender="alice") is not None
    assert dm.balance("alice") == START_BALANCE + 10 * T


# --- collections --------------------------------------------------------------------


def test_createCollection_storesRules_andPullsTheFund(dm: DataMarketHarness) -> None:
    collection_id = dm.create_collection(
        "carol", cut_bps=1500, review=2 * DAY, max_rows=500, stake=2 * T,
        bounty_per_row=T // 100, max_bounty_rows=750, fund=30 * T, schema="bafyschema1",
    )  # fmt: skip
    assert collection_id == 1
    assert dm.collection(1) == {
        "curator": dm.addr("carol"),
        "curatorCutBps": 1500,
        "reviewWindow": 2 * DAY,
        "maxRowsPerBatch": 500,
        "stakePerBatch": 2 * T,
        "bountyPerRow": T // 100,
        "maxBountyRowsPerContributor": 750,
        "bountyFund": 30 * T,
        "totalShares": 0,
        "accRevenuePerShare": 0,
        "accRemainder": 0,
        "schemaCid": "bafyschema1",
    }
    created = dm.chain.w3.eth.get_transaction_receipt(dm.chain.history[-1].tx_hash)
    (event,) = dm.events(created, "CollectionCreated")
    assert dict(event) == {
        "collectionId": 1, "curator": dm.addr("carol"), "schemaCid": "bafyschema1",
        "curatorCutBps": 1500, "reviewWindow": 2 * DAY, "maxRowsPerBatch": 500,
        "stakePerBatch": 2 * T, "bountyPerRow": T // 100, "maxBountyRowsPerContributor": 750,
    }  # fmt: skip
    assert dm.balance("carol") == START_BALANCE - 30 * T
    dm.approve("dave", 5 * T)
    receipt = dm.tx("fundBounty", 1, 5 * T, sender="dave")
    (event,) = dm.events(receipt, "BountyFunded")
    assert event["funder"] == dm.addr("dave") and event["bountyFund"] == 35 * T
    with pytest.raises(DataMarketZeroAmount):
        dm.tx("fundBounty", 1, 0, sender="dave")


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"cut_bps": 10_001}, DataMarketInvalidCuratorCut, "10001 basis points is more than 100"),
        ({"review": 0}, DataMarketInvalidReviewWindow, "0 seconds is not allowed"),
        ({"review": 30 * DAY + 1}, DataMarketInvalidReviewWindow, "at most 30 days"),
        ({"max_rows": 0}, DataMarketInvalidRowCap, "0 rows per batch"),
        ({"max_rows": 2**32}, DataMarketInvalidRowCap, "choose 1 to 4294967295"),
        ({"stake": 2**128}, DataMarketAmountTooHigh, "more than this amount"),
        ({"bounty_per_row": 2**128}, DataMarketAmountTooHigh, "more than this amount"),
        ({"schema": ""}, DataMarketInvalidLength, "schemaCid is 0 bytes"),
    ],
)
def test_createCollection_rejectsBadRules(
    dm: DataMarketHarness, changes: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        dm.create_collection("carol", **changes)


def test_listingAVersion_isForTheCuratorOnly(dm: DataMarketHarness) -> None:
    collection_id = dm.create_collection("carol")
    with pytest.raises(DataMarketNotCurator, match=r"curator of collection 1 .* alice"):
        dm.create_listing("alice", collection=collection_id)
    listing_id = dm.create_listing("carol", collection=collection_id)
    assert dm.listing(listing_id)["collectionId"] == collection_id


def test_contribute_pullsTheStake_andRecordsTheBatch(dm: DataMarketHarness) -> None:
    collection_id = dm.create_collection("carol", stake=2 * T, review=DAY, max_rows=100)
    dm.approve("bob", 2 * T)
    receipt = dm.tx("contribute", collection_id, "bafybatch1", 100, sender="bob")
    block_time = dm.chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    (event,) = dm.events(receipt, "BatchContributed")
    assert (
        event["stake"] == 2 * T and event["rows"] == 100 and event["reviewBy"] == block_time + DAY
    )
    assert dm.batch(1) == {
        "contributor": dm.addr("bob"),
        "submittedAt": block_time,
        "status": BATCH_PENDING,
        "collectionId": collection_id,
        "rows": 100,
        "reviewBy": block_time + DAY,
        "batchCid": "bafybatch1",
    }
    assert dm.balance("bob") == START_BALANCE - 2 * T
    assert dm.balance(dm.address) == 2 * T


@pytest.mark.parametrize("rows", [0, 101])
def test_contribute_outsideTheRowCap_isRefused(dm: DataMarketHarness, rows: int) -> None:
    collection_id = dm.create_collection("carol", max_rows=100)
    dm.approve("bob", T)
    with pytest.raises(DataMarketInvalidRowCount, match=f"{rows} rows is not allowed .* 1 to 100"):
        dm.tx("contribute", collection_id, "bafybatch", rows, sender="bob")


def test_contribute_withoutCidOrStake_isRefused(dm: DataMarketHarness) -> None:
    collection_id = dm.create_collection("carol", stake=T)
    dm.approve("bob", T)
    with pytest.raises(DataMarketInvalidLength, match="batchCid is 0 bytes"):
        dm.tx("contribute", collection_id, "", 10, sender="bob")
    with pytest.raises(ERC20InsufficientAllowance):
        dm.tx("contribute", collection_id, "bafy", 10, sender="erin")  # approved nothing


def test_reviewBatch_accept_returnsStake_paysBounty_grantsShares(dm: DataMarketHarness) -> None:
    collection_id = dm.create_collection("carol", stake=2 * T, bounty_per_row=T // 10, fund=50 * T)
    batch_id = dm.contribute("bob", collection_id, 100)
    receipt = dm.tx("reviewBatch", batch_id, True, sender="carol")
    (event,) = dm.events(receipt, "BatchAccepted")
    assert event["rows"] == 100 and event["bounty"] == 10 * T
    assert event["stake"] == 2 * T and event["settled"] is False
    assert dm.batch(batch_id)["status"] == ACCEPTED
    assert dm.call("sharesOf", collection_id, dm.addr("bob")) == 100
    assert dm.collection(collection_id)["totalShares"] == 100
    assert dm.collection(collection_id)["bountyFund"] == 40 * T
    assert dm.pending(collection_id, "bob") == 12 * T
    assert dm.contributor(collection_id, "bob") == {"shares": 100, "rewardDebt": 0, "owed": 12 * T}
    receipt = dm.tx("claim", collection_id, sender="bob")
    assert dm.events(receipt, "Claimed")[0]["amount"] == 12 * T
    assert dm.balance("bob") == START_BALANCE + 10 * T  # stake back + bounty
    with pytest.raises(
        DataMarketNothingToClaim, match="bob .* has nothing to claim from collection 1"
    ):
        dm.tx("claim", collection_id, sender="bob")


def test_reviewBatch_reject_sendsTheStakeToTheSink(dm: DataMarketHarness) -> None:
    collection_id = dm.create_collection("carol", stake=3 * T, fund=0)
    batch_id = dm.contribute("bob", collection_id, 10)
    receipt = dm.tx("reviewBatch", batch_id, False, sender="carol")
    (event,) = dm.events(receipt, "BatchRejected")
    assert event["stake"] == 3 * T and event["contributor"] == dm.addr("bob")
    assert dm.batch(batch_id)["status"] == REJECTED
    assert dm.balance(SINK) == 3 * T  # burned at once
    assert dm.balance(dm.address) == 0
    assert dm.collection(collection_id)["bountyFund"] == 0
    assert dm.call("sharesOf", collection_id, dm.addr("bob")) == 0
    assert dm.revenue("carol") == 0  # the curator gains nothing by rejecting
    assert dm.balance("bob") == START_BALANCE - 3 * T
    with pytest.raises(DataMarketNothingToClaim):
        dm.tx("claim", collection_id, sender="bob")
    with pytest.raises(DataMarketBatchAlreadyRejected, match="already rejected"):
        dm.tx("reviewBatch", batch_id, True, sender="carol")


def test_reviewBatch_reject_withoutAStake_movesNoToken(dm: DataMarketHarness) -> None:
    collection_id = dm.create_collection("carol", stake=0)
    batch_id = dm.contribute("bob", collection_id, 10)
    receipt = dm.tx("reviewBatch", batch_id, False, sender="carol")
    assert dm.events(receipt, "BatchRejected")[0]["stake"] == 0
    assert dm.balance(SINK) == 0 and dm.balance("bob") == START_BALANCE


def test_reviewBatch_byANonCurator_twice_andLate_isRefused(dm: DataMarketHarness) -> None:
    collection_id = dm.create_collection("carol", review=DAY)
    first = dm.contribute("bob", collection_id, 10)
    second = dm.contribute("dave", collection_id, 10)
    with pytest.raises(DataMarketNotCurator, match=r"curator of collection 1 .* bob"):
        dm.tx("reviewBatch", first, True, sender="bob")  # not even the contributor
    dm.tx("reviewBatch", first, True, sender="carol")
    with pytest.raises(DataMarketBatchAlreadyAccepted, match="already accepted"):
        dm.tx("reviewBatch", first, False, sender="carol")
    dm.chain.clock.advance(DAY)
    review_by = dm.batch(second)["reviewBy"]
    with pytest.raises(
        DataMarketReviewWindowClosed, match=rf"call settleBatch\({second}\)"
    ) as caught:
        dm.tx("reviewBatch", second, False, sender="carol")
    assert caught.value.reviewBy == review_by


def test_settleBatch_beforeTheWindow_isRefused_thenAcceptsForAnyone(dm: DataMarketHarness) -> None:
    collection_id = dm.create_collection("carol", review=DAY, stake=T, bounty_per_row=T, fund=5 * T)
    batch_id = dm.contribute("bob", collection_id, 8)
    review_by = dm.batch(batch_id)["reviewBy"]
    with pytest.raises(DataMarketReviewWindowOpen, match=f"settled only from {review_by}"):
        dm.tx("settleBatch", batch_id, sender="erin")
    dm.chain.clock.advance_to(review_by - 1)
    receipt = dm.tx("settleBatch", batch_id, sender="erin")  # a stranger touches it
    (event,) = dm.events(receipt, "BatchAccepted")
    assert event["settled"] is True and event["bounty"] == 5 * T  # fund ran out: 8 rows, 5 tokens
    assert dm.batch(batch_id)["status"] == ACCEPTED
    assert dm.call("sharesOf", collection_id, dm.addr("bob")) == 8
    assert dm.pending(collection_id, "bob") == 6 * T
    assert dm.pending(collection_id, "erin") == 0
    with pytest.raises(DataMarketBatchAlreadyAccepted):
        dm.tx("settleBatch", batch_id, sender="erin")


def test_bounty_runsOutMidBatch(dm: DataMarketHarness) -> None:
    collection_id = dm.create_collection("carol", stake=0, bounty_per_row=T, fund=150 * T)
    first = dm.contribute("bob", collection_id, 100)
    second = dm.contribute("dave", collection_id, 100)
    third = dm.contribute("erin", collection_id, 100)
    bounties = []
    for batch_id in (first, second, third):
        receipt = dm.tx("reviewBatch", batch_id, True, sender="carol")
        bounties.append(dm.events(receipt, "BatchAccepted")[0]["bounty"])
    assert bounties == [100 * T, 50 * T, 0]
    assert dm.collection(collection_id)["bountyFund"] == 0
    assert [dm.pending(collection_id, w) for w in ("bob", "dave", "erin")] == [100 * T, 50 * T, 0]
    with pytest.raises(DataMarketNothingToClaim):
        dm.tx("claim", collection_id, sender="erin")  # shares, but nothing earned yet
    # topping the fund up pays the next batch again
    dm.approve("carol", 7 * T)
    dm.tx("fundBounty", collection_id, 7 * T, sender="carol")
    receipt = dm.tx("reviewBatch", dm.contribute("frank", collection_id, 10), True, sender="carol")
    assert dm.events(receipt, "BatchAccepted")[0]["bounty"] == 7 * T


def test_bountyCap_paysAtMostCapRowsPerContributor_overAllItsBatches(
    dm: DataMarketHarness,
) -> None:
    collection_id = dm.create_collection(
        "carol", stake=T, bounty_per_row=T, max_bounty_rows=150, fund=1000 * T
    )
    bounties = []
    for rows in (100, 100, 30):  # the second batch crosses the cap, the third is past it
        batch_id = dm.contribute("bob", collection_id, rows)
        receipt = dm.tx("reviewBatch", batch_id, True, sender="carol")
        bounties.append(dm.events(receipt, "BatchAccepted")[0]["bounty"])
    assert bounties == [100 * T, 50 * T, 0]
    assert dm.call("sharesOf", collection_id, dm.addr("bob")) == 230  # every row is a share
    assert dm.pending(collection_id, "bob") == 150 * T + 3 * T  # bounty for 150 rows + stakes
    # the cap is per address: another contributor starts from zero
    receipt = dm.tx("reviewBatch", dm.contribute("dave", collection_id, 200), True, sender="carol")
    assert dm.events(receipt, "BatchAccepted")[0]["bounty"] == 150 * T
    assert dm.collection(collection_id)["bountyFund"] == 700 * T


def test_bountyCap_alsoHoldsForSettledBatches_andAShortFund(dm: DataMarketHarness) -> None:
    collection_id = dm.create_collection(
        "carol", review=DAY, stake=0, bounty_per_row=T, max_bounty_rows=10, fund=4 * T
    )
    first = dm.contribute("bob", collection_id, 8)
    second = dm.contribute("bob", collection_id, 8)
    dm.chain.clock.advance(DAY)
    receipt = dm.tx("settleBatch", first, sender="erin")
    assert dm.events(receipt, "BatchAccepted")[0]["bounty"] == 4 * T  # the fund ran short
    dm.approve("alice", 100 * T)
    dm.tx("fundBounty", collection_id, 100 * T, sender="alice")
    receipt = dm.tx("settleBatch", second, sender="erin")
    # 8 rows already count against the cap, paid or not: 2 rows are left
    assert dm.events(receipt, "BatchAccepted")[0]["bounty"] == 2 * T
    assert dm.pending(collection_id, "bob") == 6 * T


def test_contribute_byTheCurator_isRefused(dm: DataMarketHarness) -> None:
    collection_id = dm.create_collection("carol", stake=0)
    with pytest.raises(
        DataMarketCuratorCannotContribute, match="carol .* curates collection 1, so it cannot"
    ) as caught:
        dm.tx("contribute", collection_id, "bafybatch", 10, sender="carol")
    assert caught.value.collectionId == collection_id
    assert caught.value.curator == dm.addr("carol")
    other = dm.create_collection("alice", stake=0)
    assert dm.contribute("carol", other, 10) == 1  # a curator may contribute elsewhere


def _collection_with_contributors(
    dm: DataMarketHarness, rows: dict[str, int], cut_bps: int = 1000
) -> int:
    collection_id = dm.create_collection("carol", cut_bps=cut_bps, stake=0)
    for who, count in rows.items():
        dm.tx("reviewBatch", dm.contribute(who, collection_id, count), True, sender="carol")
    return collection_id


def test_collectionSale_splitsExactlyProRata(dm: DataMarketHarness) -> None:
    collection_id = _collection_with_contributors(dm, {"bob": 100, "dave": 200, "erin": 300})
    listing_id = dm.create_listing("carol", price=60 * T, collection=collection_id)
    purchase_id = dm.buy("frank", listing_id)
    receipt = dm.deliver("carol", purchase_id)
    (split,) = dm.events(receipt, "CollectionSaleDistributed")
    assert (split["curatorAmount"], split["contributorsAmount"]) == (6 * T, 54 * T)
    assert split["accRevenuePerShare"] == 54 * T * 10**18 // 600
    assert dm.revenue("carol") == 6 * T
    shares_of = [dm.pending(collection_id, w) for w in ("bob", "dave", "erin")]
    assert shares_of == [9 * T, 18 * T, 27 * T]
    for who, expected in [("bob", 9 * T), ("dave", 18 * T), ("erin", 27 * T)]:
        dm.tx("claim", collection_id, sender=who)
        assert dm.balance(who) == START_BALANCE + expected
    dm.tx("withdraw", sender="carol")
    assert dm.balance("carol") == START_BALANCE + 6 * T
    assert dm.balance(dm.address) == 0
    with pytest.raises(DataMarketNothingToClaim):
        dm.tx("claim", collection_id, sender="alice")  # never contributed


def test_collectionSale_withNoSharesYet_goesToTheCurator(dm: DataMarketHarness) -> None:
    collection_id = dm.create_collection("carol", cut_bps=1000)
    dm.contribute("bob", collection_id, 10)  # pending: not a share yet
    listing_id = dm.create_listing("carol", price=10 * T, collection=collection_id)
    receipt = dm.deliver("carol", dm.buy("frank", listing_id))
    (split,) = dm.events(receipt, "CollectionSaleDistributed")
    assert (split["curatorAmount"], split["contributorsAmount"]) == (10 * T, 0)
    assert dm.revenue("carol") == 10 * T
    assert dm.collection(collection_id)["accRevenuePerShare"] == 0


def test_collectionSale_laterShares_earnOnlyFromLaterSales(dm: DataMarketHarness) -> None:
    collection_id = _collection_with_contributors(dm, {"bob": 100}, cut_bps=0)
    listing_id = dm.create_listing("carol", price=10 * T, collection=collection_id)
    dm.deliver("carol", dm.buy("frank", listing_id))
    dm.tx("reviewBatch", dm.contribute("dave", collection_id, 300), True, sender="carol")
    assert dm.pending(collection_id, "dave") == 0
    dm.tx("reviewBatch", dm.contribute("bob", collection_id, 100), True, sender="carol")
    # harvest first: more shares keep the revenue earned so far
    assert dm.pending(collection_id, "bob") == 10 * T
    dm.deliver("carol", dm.buy("grace", listing_id))
    assert dm.pending(collection_id, "bob") == 10 * T + 4 * T
    assert dm.pending(collection_id, "dave") == 6 * T


def test_collectionSale_roundingDust_isCarriedNotLost(dm: DataMarketHarness) -> None:
    collection_id = _collection_with_contributors(dm, {"bob": 1, "dave": 1, "erin": 1}, cut_bps=0)
    # 10 raw units over 3 shares
    listing_id = dm.create_listing("carol", price=10, collection=collection_id)
    dm.deliver("carol", dm.buy("frank", listing_id))
    collection = dm.collection(collection_id)
    assert collection["accRevenuePerShare"] == 10 * 10**18 // 3
    assert collection["accRemainder"] == 10 * 10**18 % 3 == 1
    assert [dm.pending(collection_id, w) for w in ("bob", "dave", "erin")] == [3, 3, 3]
    for who in ("bob", "dave", "erin"):
        dm.tx("claim", collection_id, sender=who)
    # exact accounting: what is left is the scaled remainder plus each holder's fraction
    left = dm.balance(dm.address)
    fractions = sum(
        c["shares"] * collection["accRevenuePerShare"] - c["rewardDebt"]
        for c in (dm.contributor(collection_id, w) for w in ("bob", "dave", "erin"))
    )
    assert left * 10**18 == collection["accRemainder"] + fractions
    assert left == 1
    # two more sales: the carried unit is paid once the fractions add up
    for buyer in ("grace", "heidi"):
        dm.deliver("carol", dm.buy(buyer, listing_id))
    paid = 0
    for who in ("bob", "dave", "erin"):
        pending = dm.pending(collection_id, who)
        paid += pending
        dm.tx("claim", collection_id, sender=who)
    assert paid == 21  # 3 × (30 // 3) - 9 already paid: every unit of 30 reaches a contributor
    assert dm.balance(dm.address) == 0


def test_collectionSale_fullCut_andRefundOfACollectionPurchase(dm: DataMarketHarness) -> None:
    collection_id = _collection_with_contributors(dm, {"bob": 10}, cut_bps=10_000)
    listing_id = dm.create_listing("carol", price=10 * T, collection=collection_id, window=HOUR)
    dm.deliver("carol", dm.buy("frank", listing_id))
    assert dm.revenue("carol") == 10 * T and dm.pending(collection_id, "bob") == 0
    refunded = dm.buy("grace", listing_id)
    dm.chain.clock.advance(HOUR)
    dm.tx("refund", refunded, sender="grace")
    assert dm.balance("grace") == START_BALANCE
    assert dm.collection(collection_id)["accRevenuePerShare"] == 0


# --- attacks by a curator (each runs on eth-tester and on anvil) ----------------------
#
# "heidi" stands for a second address the curator carol controls (a sybil).


def test_attack_rejectThenPayYourselfTheBounty_leavesTheStakeBurned(
    any_dm: DataMarketHarness,
) -> None:
    dm = any_dm
    collection_id = dm.create_collection("carol", stake=10 * T, bounty_per_row=T, fund=0)
    honest = dm.contribute("bob", collection_id, 100)
    dm.tx("reviewBatch", honest, False, sender="carol")  # reject the honest batch...
    sybil = dm.contribute("heidi", collection_id, 10)
    receipt = dm.tx("reviewBatch", sybil, True, sender="carol")  # ...and accept your own
    assert dm.events(receipt, "BatchAccepted")[0]["bounty"] == 0  # the fund never got the stake
    dm.tx("claim", collection_id, sender="heidi")
    # heidi gets back her own stake and nothing else; carol earned nothing either
    assert dm.balance("heidi") == START_BALANCE
    assert dm.balance("carol") == START_BALANCE and dm.revenue("carol") == 0
    assert dm.balance("bob") == START_BALANCE - 10 * T
    assert dm.balance(SINK) == 10 * T
    assert dm.balance(dm.address) == 0


def test_attack_curatorContributesToOwnCollection_isRefusedAndChangesNothing(
    any_dm: DataMarketHarness,
) -> None:
    dm = any_dm
    collection_id = dm.create_collection(
        "carol", max_rows=1_000_000, stake=T, bounty_per_row=T // 100, fund=0
    )
    dm.approve("alice", 100 * T)
    dm.tx("fundBounty", collection_id, 100 * T, sender="alice")  # a third-party sponsor
    dm.approve("carol", T)
    before = (
        [dm.balance(who) for who in ("carol", "alice", dm.address, SINK)],
        dm.collection(collection_id), dm.call("batchCount"), dm.allowance("carol"),
    )  # fmt: skip
    with pytest.raises(DataMarketCuratorCannotContribute, match="carol .* curates collection"):
        dm.tx("contribute", collection_id, "bafyjunk", 1_000_000, sender="carol")
    after = (
        [dm.balance(who) for who in ("carol", "alice", dm.address, SINK)],
        dm.collection(collection_id), dm.call("batchCount"), dm.allowance("carol"),
    )  # fmt: skip
    assert after == before
    assert dm.contributor(collection_id, "carol") == {"shares": 0, "rewardDebt": 0, "owed": 0}


def test_attack_millionRowBountyDrain_isCappedPerContributor(any_dm: DataMarketHarness) -> None:
    dm = any_dm
    per_row, cap = T // 100, 1_000
    collection_id = dm.create_collection(
        "carol", max_rows=1_000_000, stake=T, bounty_per_row=per_row, max_bounty_rows=cap
    )
    # the sponsor reads the fixed, public cap before funding
    assert dm.collection(collection_id)["maxBountyRowsPerContributor"] == cap
    dm.approve("alice", 500 * T)
    dm.tx("fundBounty", collection_id, 500 * T, sender="alice")
    bounties = []
    for who, rows in [("heidi", 1_000_000), ("heidi", 1_000_000), ("bob", 300)]:
        batch_id = dm.contribute(who, collection_id, rows)
        receipt = dm.tx("reviewBatch", batch_id, True, sender="carol")
        bounties.append(dm.events(receipt, "BatchAccepted")[0]["bounty"])
    assert bounties == [cap * per_row, 0, 300 * per_row]  # exactly cap × bountyPerRow, once
    assert dm.call("sharesOf", collection_id, dm.addr("heidi")) == 2_000_000  # still shares
    assert dm.pending(collection_id, "heidi") == cap * per_row + 2 * T  # bounty + two stakes
    assert dm.collection(collection_id)["bountyFund"] == 500 * T - (cap + 300) * per_row


# --- limits and messages --------------------------------------------------------------


def test_largestInputs_stayFarBelowTheTransactionGasCap(dm: DataMarketHarness) -> None:
    cid = "b" * 256
    receipt = dm.tx(
        "createListing", 2**128 - 1, cid, cid, True, "l" * 256, 30 * DAY, COMMITMENT, 0,
        sender="alice",
    )  # fmt: skip
    gas = [receipt["gasUsed"]]
    listing_id = dm.create_listing("alice")
    purchase_id = dm.buy("bob", listing_id)
    gas.append(dm.deliver("alice", purchase_id, bytes(range(256)) * 2)["gasUsed"])
    gas.append(dm.tx("complain", purchase_id, "r" * 1024, sender="bob")["gasUsed"])
    approve_fund = 10 * T
    dm.approve("carol", approve_fund)
    receipt = dm.tx(
        "createCollection", cid, 10_000, 30 * DAY, 2**32 - 1, 2**128 - 1, 2**128 - 1,
        2**256 - 1, approve_fund, sender="carol",
    )  # fmt: skip
    gas.append(receipt["gasUsed"])
    assert max(gas) < 1_500_000  # the cap is 16,777,216


def test_everyDataMarketError_hasASentenceUsingItsArguments() -> None:
    import string

    from mlmarket.contracts.messages import MESSAGES

    errors = [e for e in load_artifact("IDataMarket").abi if e["type"] == "error"]
    assert len(errors) >= 30
    for error in errors:
        template = MESSAGES[error["name"]]
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        assert fields <= {i["name"] for i in error["inputs"]}, error["name"]
