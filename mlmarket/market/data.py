"""``market.data``: publish datasets, sell access, deliver keys, download verified data.

The flow (see docs/data-market-protocol.md and docs/data-protection.md):

1. ``publish``: the owner's DataFrame becomes deterministic CSV, is encrypted
   under a fresh data key (AES-256-GCM), and stored; its public metadata is
   stored too; the listing on chain holds both CIDs and a commitment to the key.
   The key stays in the owner's vault.
2. ``buy``: the buyer pays into escrow with a permit (one transaction), giving
   its public key. On local chains the owner's side delivers at once (turn it off
   with ``market.data.auto_deliver = False``). Buying one's own listing (``own=True``)
   or one already held or paid for (``again=True``) needs a confirmation.
3. ``deliver``: the owner wraps the key to the buyer's public key (ECIES) and
   posts it; the escrow becomes the owner's revenue (or the collection's).
4. ``download``: the buyer unwraps the key, checks it against the commitment,
   decrypts and checks the plaintext against the metadata hash.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlmarket.crypto import DATASET_ID_SIZE, open_purchase, public_key_of, seal, wrap_key
from mlmarket.datasets import DatasetMetadata, describe, load_plaintext
from mlmarket.errors import ConfigurationError, DataValidationError, UnconfirmedPurchaseError
from mlmarket.market.phases import moment
from mlmarket.market.tables import with_amounts, with_times
from mlmarket.ml.validation import validate_frame
from mlmarket.units import Amount, from_units, to_units

if TYPE_CHECKING:
    from mlmarket.chain import NamedAccount
    from mlmarket.market.market import Market

DAY = 86_400
DEFAULT_DELIVERY_WINDOW = 3 * DAY
RAW = "; or, to sell the data as it is, publish it with raw=True (no model can train on it)"
"""How ``publish`` ends a refusal of the features: the way to publish raw data on purpose."""
STATUSES = ("pending", "delivered", "refunded")
LISTING_COLUMNS = [
    "id", "name", "owner", "price", "rows", "columns", "labelled", "target",
    "license", "active", "sales", "complaints", "collection", "metadata_cid",
]  # fmt: skip


@dataclass(frozen=True)
class Listing:
    """A dataset for sale, as recorded on chain plus its public metadata."""

    id: int
    owner: str
    price: Decimal
    metadata: DatasetMetadata
    metadata_cid: str
    data_cid: str
    labelled: bool
    license: str
    delivery_window: int
    active: bool
    sales: int
    complaints: int
    collection_id: int
    key_commitment: bytes

    @property
    def name(self) -> str:
        return self.metadata.name


@dataclass(frozen=True)
class Purchase:
    """One purchase: its escrowed payment and where it stands."""

    id: int
    listing_id: int
    buyer: str
    amount: Decimal
    paid_at: int
    deliver_by: int
    status: str
    complained: bool


@dataclass(frozen=True)
class Confirmation:
    """Why a purchase needs the buyer's word: ``flags`` are the keyword arguments of
    :meth:`DataMarketService.buy` that give it (``"own"``, ``"again"``), ``reason`` says why."""

    flags: tuple[str, ...]
    reason: str


def load_frame(data: pd.DataFrame | str | Path) -> pd.DataFrame:
    """A DataFrame as given, or read from a CSV file path."""
    if isinstance(data, pd.DataFrame):
        return data
    path = Path(data)
    if not path.is_file():
        raise DataValidationError(f"{path} is not a file; pass a DataFrame or the path of a CSV.")
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataValidationError(f"{path} could not be read as CSV: {exc}") from None


class DataMarketService:
    """The data marketplace of a :class:`~mlmarket.market.Market` (``market.data``).

    Example:
        >>> from mlmarket.datasets import load_sample
        >>> listing = market.data.publish(load_sample("breast_cancer"), owner="alice",
        ...     price=10, name="Breast cancer diagnoses", target="diagnosis")
        >>> purchase = market.data.buy(listing, buyer="bob")   # delivered at once locally
        >>> df = market.data.download(listing, buyer="bob")    # decrypted and verified
    """

    def __init__(self, market: Market, contract: Any, *, auto_deliver: bool) -> None:
        self.market = market
        self.chain = market.chain
        self.contract = contract
        self.auto_deliver = auto_deliver
        from mlmarket.market.collections import CollectionService

        self.collections = CollectionService(self)

    # --- publishing ------------------------------------------------------------------

    def publish(
        self,
        data: pd.DataFrame | str | Path,
        *,
        owner: NamedAccount | str,
        price: Amount,
        name: str,
        description: str = "",
        target: str | None = None,
        labelled: bool | None = None,
        license: str = "CC-BY-4.0",
        delivery_window: int = DEFAULT_DELIVERY_WINDOW,
        collection: int | None = None,
        raw: bool = False,
        preview: int | Sequence[Hashable] | None = None,
        summary: bool = False,
    ) -> Listing:
        """Encrypt, store and list a dataset; the data key goes to the owner's vault.

        The data is checked as a competition would check it, before anything is stored
        or sent (:mod:`mlmarket.ml.validation`): a ``target`` with missing or infinite
        values raises :class:`~mlmarket.errors.TargetValidationError`; a feature (every
        other column) with text, missing or infinite values
        :class:`~mlmarket.errors.FeatureValidationError`. ``raw=True`` publishes features
        as they are, on purpose (the target is still checked).

        What buyers see before buying is the public metadata: besides name, description,
        columns and rows, the owner may add ``preview`` rows (the first ``n``, or rows by
        index label, at most 20) and a ``summary`` (counts, missing values and ranges of
        every column, the target's class balance). Both are the owner's word: nothing on
        chain checks them (docs/trust-model.md).
        """
        units = self._price(price)
        if delivery_window <= 0:
            raise ConfigurationError(
                f"delivery_window must be a positive number of seconds, got {delivery_window}."
            )
        frame = load_frame(data)
        is_labelled = target is not None if labelled is None else labelled
        # No NaN or inf labels are ever published; features only on purpose (raw).
        validate_frame(frame, target=target if is_labelled else None, raw=raw, fix=RAW)
        dataset_id = self.market.random.hex_id(DATASET_ID_SIZE)
        metadata, plaintext = describe(
            frame,
            name=name,
            description=description,
            labelled=is_labelled,
            target=target,
            license=license,
            dataset_id=dataset_id,
            preview=preview,
            summary=summary,
            created=self.market.chain_time(),
        )
        sealed = seal(plaintext, dataset_id)
        data_cid = self.market.store_content(sealed.envelope)
        metadata_cid = self.market.store_content(metadata.to_json().encode())
        receipt = self.chain.send(
            self.contract,
            "createListing",
            units,
            metadata_cid,
            data_cid,
            is_labelled,
            license,
            delivery_window,
            sealed.commitment,
            collection or 0,
            sender=owner,
        )
        listing_id = int(self._event(receipt, "ListingCreated")["listingId"])
        self.market.vault.put(
            "datakeys", str(listing_id), {"key": sealed.key.hex(), "dataset_id": dataset_id}
        )
        return self.listing(listing_id)

    def _price(self, price: Amount) -> int:
        units = to_units(price)
        if units < 0:
            raise ConfigurationError(f"A price cannot be negative (got {price}).")
        return units

    def _event(self, receipt: Any, name: str) -> Any:
        events = self.chain.receipt_events(getattr(self.contract.events, name), receipt)
        if not events:
            raise ConfigurationError(f"The transaction emitted no {name} event.")
        return events[0]["args"]

    # --- reading ------------------------------------------------------------------

    def listing(self, listing: Listing | int) -> Listing:
        """The listing as it is on chain now."""
        listing_id = listing.id if isinstance(listing, Listing) else int(listing)
        raw = self.chain.read(self.contract, "getListing", listing_id)
        metadata = DatasetMetadata.from_json(self.market.store.get(raw[9]))
        return Listing(
            id=listing_id,
            owner=raw[0],
            price=from_units(raw[5]),
            metadata=metadata,
            metadata_cid=raw[9],
            data_cid=raw[10],
            labelled=bool(raw[3]),
            license=raw[11],
            delivery_window=int(raw[1]),
            active=bool(raw[2]),
            sales=int(raw[4]),
            complaints=int(raw[7]),
            collection_id=int(raw[6]),
            key_commitment=bytes(raw[8]),
        )

    def listings(self) -> pd.DataFrame:
        """Every listing: name, owner, price (float tokens; exact in ``price_exact``), rows,
        labelled, license, active, sales, complaints."""
        count = self.chain.read(self.contract, "listingCount")
        rows = []
        for listing_id in range(1, count + 1):
            item = self.listing(listing_id)
            rows.append(
                {
                    "id": item.id,
                    "name": item.name,
                    "owner": self.chain.describe(item.owner),
                    "price": item.price,
                    "rows": item.metadata.rows,
                    "columns": len(item.metadata.columns),
                    "labelled": item.labelled,
                    "target": item.metadata.target,
                    "license": item.license,
                    "active": item.active,
                    "sales": item.sales,
                    "complaints": item.complaints,
                    "collection": item.collection_id or None,
                    "metadata_cid": item.metadata_cid,
                }
            )
        return with_amounts(pd.DataFrame(rows, columns=LISTING_COLUMNS).set_index("id"), "price")

    def purchase(self, purchase: Purchase | int) -> Purchase:
        purchase_id = purchase.id if isinstance(purchase, Purchase) else int(purchase)
        raw = self.chain.read(self.contract, "getPurchase", purchase_id)
        return Purchase(
            id=purchase_id,
            listing_id=int(raw[5]),
            buyer=raw[0],
            amount=from_units(raw[4]),
            paid_at=int(raw[1]),
            deliver_by=int(raw[6]),
            status=STATUSES[int(raw[2])],
            complained=bool(raw[3]),
        )

    def purchases(self) -> pd.DataFrame:
        """Every purchase with its status: ``amount`` (float tokens; exact in ``amount_exact``),
        ``paid_at`` and ``deliver_by`` (UTC Timestamps)."""
        count = self.chain.read(self.contract, "purchaseCount")
        items = [self.purchase(i) for i in range(1, count + 1)]
        frame = pd.DataFrame([vars(p) for p in items], columns=list(Purchase.__dataclass_fields__))
        frame["buyer"] = frame["buyer"].map(self.chain.describe)
        return with_times(with_amounts(frame.set_index("id"), "amount"), "paid_at", "deliver_by")

    def has_access(self, listing: Listing | int, who: NamedAccount | str) -> bool:
        listing_id = listing.id if isinstance(listing, Listing) else int(listing)
        return bool(
            self.chain.read(self.contract, "hasAccess", listing_id, self.chain.address(who))
        )

    # --- buying and delivering ---------------------------------------------------------

    def buy(
        self, listing: Listing | int, *, buyer: NamedAccount | str, own: bool = False,
        again: bool = False,
    ) -> Purchase:  # fmt: skip
        """Pay for a listing into escrow with a permit: one transaction.

        Buying your own listing needs ``own=True``, and buying one you already hold (or
        paid for and await) ``again=True``; without them
        :class:`~mlmarket.errors.UnconfirmedPurchaseError` says why, before anything is
        sent (:meth:`confirmation`). Buying again after a refund needs nothing.

        On local chains the owner delivers at once when ``auto_deliver`` is on and
        the owner's key is in this session's vault.
        """
        item = self.listing(listing)
        account = self.chain.accounts.resolve(buyer)
        needed = self.confirmation(item, buyer=account)
        given = {"own": own, "again": again}
        missing = tuple(flag for flag in needed.flags if not given[flag]) if needed else ()
        if needed and missing:
            confirm = ", ".join(f"{flag}=True" for flag in missing)
            raise UnconfirmedPurchaseError(
                f"{needed.reason} Pass {confirm} to buy it anyway.", flags=missing
            )
        value, deadline, v, r, s = self.market.token.permit(
            account, self.contract.address, item.price
        )
        receipt = self.chain.send(
            self.contract,
            "buyWithPermit",
            item.id,
            public_key_of(account.key),
            deadline,
            v,
            r,
            s,
            sender=account,
        )
        purchase_id = int(self._event(receipt, "Purchased")["purchaseId"])
        if self.auto_deliver and self.chain.is_local and self._can_deliver(item):
            return self.deliver(purchase_id)
        return self.purchase(purchase_id)

    def confirmation(
        self, listing: Listing | int, *, buyer: NamedAccount | str
    ) -> Confirmation | None:
        """Why ``buyer`` must confirm buying ``listing``, or None: it owns the listing
        (``own``), or holds it already or awaits its delivery (``again``)."""
        item = self.listing(listing)
        account = self.chain.accounts.resolve(buyer)
        who, what = account.name, f"listing #{item.id} {item.name!r}"
        flags, reasons = [], []
        if account.address == item.owner:
            paid_to = (
                "shared between it (the curator) and the collection's contributors"
                if item.collection_id
                else "back to it as revenue"
            )
            flags.append("own")
            reasons.append(
                f"{who} owns {what} and has its data: the price would go {paid_to}, less gas."
            )
        held = self.held(item, account)
        if held is not None and held.status == "delivered":
            flags.append("again")
            reasons.append(
                f"{who} already holds {what} (purchase #{held.id}): load it again with "
                f"market.data.download({item.id}, buyer={who!r}) instead of paying twice."
            )
        elif held is not None:
            flags.append("again")
            reasons.append(
                f"{who} already paid for {what} (purchase #{held.id}), awaiting delivery until "
                f"{moment(held.deliver_by)}; after that it can take the payment back "
                f"(market.data.refund({held.id}))."
            )
        return Confirmation(tuple(flags), " ".join(reasons)) if flags else None

    def held(self, listing: Listing | int, buyer: NamedAccount | str) -> Purchase | None:
        """``buyer``'s latest purchase of ``listing`` that was not refunded (delivered, or
        paid and awaiting delivery), or None."""
        listing_id = listing.id if isinstance(listing, Listing) else int(listing)
        logs = self.contract.events.Purchased.get_logs(
            from_block=self.market.deployment.block,
            argument_filters={"listingId": listing_id, "buyer": self.chain.address(buyer)},
        )
        for log in reversed(logs):
            item = self.purchase(int(log["args"]["purchaseId"]))
            if item.status != "refunded":
                return item
        return None

    def _can_deliver(self, item: Listing) -> bool:
        return self.chain.accounts.name_of(item.owner) is not None and self.market.vault.has(
            "datakeys", str(item.id)
        )

    def deliver(self, purchase: Purchase | int) -> Purchase:
        """The owner's side: wrap the data key to the buyer's public key and post it."""
        item = self.purchase(purchase)
        listing = self.listing(item.listing_id)
        secret = self.market.vault.get("datakeys", str(listing.id))
        public_key = bytes(self.chain.read(self.contract, "publicKeyOf", item.buyer))
        wrapped = wrap_key(bytes.fromhex(secret["key"]), public_key)
        owner = self.chain.accounts.resolve(listing.owner)
        self.chain.send(self.contract, "deliver", item.id, wrapped, sender=owner)
        return self.purchase(item.id)

    def deliver_pending(self, owner: NamedAccount | str | None = None) -> list[Purchase]:
        """Deliver every pending purchase of listings this session can deliver."""
        delivered = []
        count = self.chain.read(self.contract, "purchaseCount")
        for purchase_id in range(1, count + 1):
            item = self.purchase(purchase_id)
            if item.status != "pending" or self.chain.clock.now() >= item.deliver_by:
                continue
            listing = self.listing(item.listing_id)
            mine = owner is None or self.chain.address(owner) == listing.owner
            if mine and self._can_deliver(listing):
                delivered.append(self.deliver(purchase_id))
        return delivered

    def download(self, listing: Listing | int, *, buyer: NamedAccount | str) -> pd.DataFrame:
        """The buyer's side: the decrypted DataFrame, checked against commitment and hash."""
        item = self.listing(listing)
        account = self.chain.accounts.resolve(buyer)
        purchase_id = self._delivered_purchase(item.id, account.address)
        wrapped = bytes(self.chain.read(self.contract, "wrappedKeyOf", purchase_id))
        plaintext = open_purchase(
            self.market.store.get(item.data_cid),
            dataset_id=item.metadata.dataset_id,
            commitment=item.key_commitment,
            sha256=item.metadata.sha256,
            wrapped_key=wrapped,
            private_key=account.key,
        )
        return load_plaintext(plaintext, item.metadata)

    def _delivered_purchase(self, listing_id: int, buyer: str) -> int:
        logs = self.contract.events.PurchaseDelivered.get_logs(
            from_block=self.market.deployment.block,
            argument_filters={"listingId": listing_id, "buyer": buyer},
        )
        if not logs:
            raise ConfigurationError(
                f"{self.chain.describe(buyer)} has no delivered purchase of listing "
                f"{listing_id}: buy it first, and wait for the owner to deliver "
                "(market.data.deliver)."
            )
        return int(logs[-1]["args"]["purchaseId"])

    def refund(self, purchase: Purchase | int) -> Purchase:
        """Take back the payment of an undelivered purchase once its window has passed."""
        item = self.purchase(purchase)
        self.chain.send(self.contract, "refund", item.id, sender=item.buyer)
        return self.purchase(item.id)

    def complain(self, purchase: Purchase | int, reason: str) -> Purchase:
        """File the buyer's public complaint about a delivered purchase."""
        item = self.purchase(purchase)
        self.chain.send(self.contract, "complain", item.id, reason, sender=item.buyer)
        return self.purchase(item.id)

    def set_active(self, listing: Listing | int, active: bool) -> Listing:
        """Start or stop new sales of a listing (pending purchases are unaffected)."""
        item = self.listing(listing)
        self.chain.send(self.contract, "setListingActive", item.id, active, sender=item.owner)
        return self.listing(item.id)

    # --- revenue ------------------------------------------------------------------

    def revenue(self, who: NamedAccount | str) -> Decimal:
        """Tokens ``who`` can withdraw from sales."""
        fn = self.contract.functions.revenueOf(self.chain.address(who))
        return from_units(self.chain.call(fn))

    def withdraw(self, who: NamedAccount | str) -> Decimal:
        """Pay out ``who``'s revenue; returns the amount."""
        amount = self.revenue(who)
        self.chain.send(self.contract, "withdraw", sender=who)
        return amount
