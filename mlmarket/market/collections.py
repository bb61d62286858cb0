"""``market.data.collections``: crowd-sourced datasets with shared revenue.

A curator opens a collection with a schema (columns, target) and rules (curator
cut, review window, row cap, stake, bounty, bounty cap per contributor), fixed
from then on. Contributors (anyone but the curator) send batches of rows,
encrypted to the curator; the curator accepts or rejects them in the review
window (a batch not reviewed in time counts as accepted once settled). A
rejected batch's stake is burned. Accepted rows are shares: every sale of every
version of the collection pays the curator's cut and splits the rest pro rata,
claimed with :meth:`CollectionService.claim`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlmarket.crypto import (
    DATASET_ID_SIZE,
    address_of_public_key,
    open_purchase,
    public_key_of,
    seal,
    wrap_key,
)
from mlmarket.datasets import DatasetMetadata, describe, load_plaintext
from mlmarket.errors import ConfigurationError, DataValidationError
from mlmarket.market.data import DAY, Listing, load_frame
from mlmarket.market.tables import with_amounts, with_times
from mlmarket.units import Amount, from_units, to_units

if TYPE_CHECKING:
    from mlmarket.chain import NamedAccount
    from mlmarket.market.data import DataMarketService

SCHEMA_FORMAT = "mlmarket.collection/1"
BATCH_FORMAT = "mlmarket.batch/1"
MAX_REVIEW_WINDOW = 30 * 86_400
"""The longest review window the DataMarket accepts (``MAX_REVIEW_WINDOW``, 30 days)."""
BATCH_STATUSES = ("pending", "accepted", "rejected")
COLLECTION_COLUMNS = [
    "id", "name", "curator", "curator_cut", "review_window", "max_rows_per_batch", "stake",
    "bounty_per_row", "max_bounty_rows_per_contributor", "bounty_fund", "total_shares",
]  # fmt: skip


@dataclass(frozen=True)
class Collection:
    """A crowd-sourced dataset's rules and state.

    ``max_bounty_rows_per_contributor`` is the most rows one contributor address
    is paid a bounty for, over all its accepted batches; 0 means no cap.
    """

    id: int
    curator: str
    schema: dict[str, Any]
    schema_cid: str
    curator_cut: Decimal
    review_window: int
    max_rows_per_batch: int
    stake: Decimal
    bounty_per_row: Decimal
    max_bounty_rows_per_contributor: int
    bounty_fund: Decimal
    total_shares: int


@dataclass(frozen=True)
class Batch:
    """One contribution of rows to a collection."""

    id: int
    collection_id: int
    contributor: str
    rows: int
    submitted_at: int
    review_by: int
    status: str
    batch_cid: str


class CollectionService:
    """Collections of the data market (``market.data.collections``).

    Example:
        >>> col = market.data.collections.create(curator="alice", name="Cohort",
        ...     columns=df.columns, target="diagnosis", curator_cut=0.1)
        >>> batch = market.data.collections.contribute(col, df.iloc[:50], contributor="bob")
        >>> market.data.collections.review(batch, accept=True)
        >>> version = market.data.collections.publish_version(col, price=20)
    """

    def __init__(self, data: DataMarketService) -> None:
        self.data = data
        self.market = data.market
        self.chain = data.chain
        self.contract = data.contract

    # --- creating and funding ----------------------------------------------------------

    def create(
        self,
        *,
        curator: NamedAccount | str,
        name: str,
        template: pd.DataFrame,
        target: str | None = None,
        description: str = "",
        license: str = "CC-BY-4.0",
        curator_cut: Amount = Decimal("0.1"),
        review_window: int = 2 * DAY,
        max_rows_per_batch: int = 10_000,
        stake: Amount = 0,
        bounty_per_row: Amount = 0,
        max_bounty_rows_per_contributor: int = 0,
        bounty_fund: Amount = 0,
    ) -> Collection:
        """Open a collection whose rows look like ``template`` (its columns and dtypes).

        Every rule is fixed once the collection is open. ``stake`` is the deposit
        per batch (back on acceptance, burned on rejection); ``bounty_per_row`` is
        paid per accepted row while ``bounty_fund`` lasts; with
        ``max_bounty_rows_per_contributor`` (whole rows, 0 = no cap) one
        contributor address is paid the bounty for at most that many rows over all
        its batches, so no single address can drain the fund; rows beyond the cap
        still become shares. The curator cannot contribute to its own collection.

        Example:
            >>> col = market.data.collections.create(curator="carol", name="Cohort",
            ...     template=df, target="diagnosis", bounty_per_row="0.01",
            ...     max_bounty_rows_per_contributor=1_000, bounty_fund=50)
            >>> col.max_bounty_rows_per_contributor
            1000
        """
        bounty_cap = _whole_rows(max_bounty_rows_per_contributor, "max_bounty_rows_per_contributor")
        if isinstance(review_window, bool) or not isinstance(review_window, Integral):
            raise ConfigurationError(
                f"review_window is in whole seconds (e.g. 2 * 86_400); got {review_window!r}."
            )
        window = int(review_window)
        if not 0 < window <= MAX_REVIEW_WINDOW:  # refused before the fund's approval is sent
            raise self.chain.errors.named(
                "DataMarketInvalidReviewWindow",
                {"window": window, "maxWindow": MAX_REVIEW_WINDOW},
                self.chain.accounts.name_of,
            )
        account = self.chain.accounts.resolve(curator)
        schema = self._schema(template, name, description, target, license, account.key)
        cut_bps = _basis_points(curator_cut)
        fund = to_units(bounty_fund)
        self._approve(account, fund)
        receipt = self.chain.send(
            self.contract,
            "createCollection",
            self.market.store_content(json.dumps(schema, sort_keys=True).encode()),
            cut_bps,
            window,
            max_rows_per_batch,
            to_units(stake),
            to_units(bounty_per_row),
            bounty_cap,
            fund,
            sender=account,
        )
        return self.get(int(self.data._event(receipt, "CollectionCreated")["collectionId"]))

    def _schema(
        self, template: pd.DataFrame, name: str, description: str, target: str | None,
        license: str, curator_key: bytes,
    ) -> dict[str, Any]:  # fmt: skip
        metadata, _ = describe(
            template, name=name, description=description, labelled=target is not None,
            target=target, license=license,
            dataset_id=self.market.random.hex_id(DATASET_ID_SIZE), created=self.market.chain_time(),
        )  # fmt: skip
        return {
            "format": SCHEMA_FORMAT,
            "name": name,
            "description": description,
            "columns": [{"name": c.name, "dtype": c.dtype} for c in metadata.columns],
            "target": target,
            "license": license,
            "curator_public_key": public_key_of(curator_key).hex(),
        }

    def _approve(self, account: NamedAccount, units: int) -> None:
        if units > 0:
            self.market.token.approve(self.contract.address, from_units(units), owner=account)

    def fund_bounty(
        self, collection: Collection | int, amount: Amount, *, funder: Any
    ) -> Collection:
        """Add ``amount`` tokens to a collection's bounty fund (anyone may sponsor it).

        Read the collection's rules first: ``max_bounty_rows_per_contributor`` bounds
        what any one contributor address can take from the fund.

        Example:
            >>> col = market.data.collections.get(1)
            >>> col.max_bounty_rows_per_contributor, col.bounty_per_row
            (1000, Decimal('0.01'))
            >>> market.data.collections.fund_bounty(col, 100, funder="alice").bounty_fund
            Decimal('150')
        """
        col = self.get(collection)
        account = self.chain.accounts.resolve(funder)
        self._approve(account, to_units(amount))
        self.chain.transact(
            self.contract.functions.fundBounty(col.id, to_units(amount)), sender=account
        )
        return self.get(col.id)

    # --- contributing and reviewing ----------------------------------------------------

    def contribute(
        self, collection: Collection | int, data: pd.DataFrame | str | Path, *, contributor: Any
    ) -> Batch:
        """Encrypt rows to the curator, store them, and submit them (staking if required)."""
        col = self.get(collection)
        account = self.chain.accounts.resolve(contributor)
        if account.address == self.chain.address(col.curator):
            # Refused before the stake's approval is sent: a refusal mines nothing.
            raise self.chain.errors.named(
                "DataMarketCuratorCannotContribute",
                {"collectionId": col.id, "curator": account.address},
                self.chain.accounts.name_of,
            )
        frame = self._conform(load_frame(data), col)
        dataset_id = self.market.random.hex_id(DATASET_ID_SIZE)
        target = col.schema["target"]
        metadata, plaintext = describe(
            frame, name=f"{col.schema['name']} batch", description="", labelled=bool(target),
            target=target, license=col.schema["license"], dataset_id=dataset_id,
            created=self.market.chain_time(),
        )  # fmt: skip
        sealed = seal(plaintext, dataset_id)
        curator_key = bytes.fromhex(col.schema["curator_public_key"])
        document = {
            "format": BATCH_FORMAT,
            "metadata": metadata.to_dict(),
            "envelope": self.market.store_content(sealed.envelope),
            "commitment": sealed.commitment.hex(),
            "wrapped_key": wrap_key(sealed.key, curator_key).hex(),
        }
        batch_cid = self.market.store_content(json.dumps(document, sort_keys=True).encode())
        self._approve(account, to_units(col.stake))
        receipt = self.chain.send(
            self.contract, "contribute", col.id, batch_cid, len(frame), sender=account
        )
        return self.batch(int(self.data._event(receipt, "BatchContributed")["batchId"]))

    def _conform(self, frame: pd.DataFrame, col: Collection) -> pd.DataFrame:
        expected = [c["name"] for c in col.schema["columns"]]
        if [str(c) for c in frame.columns] != expected:
            raise DataValidationError(
                f"The batch's columns {list(frame.columns)} differ from the collection's "
                f"schema {expected}; select and order the columns to match."
            )
        if len(frame) > col.max_rows_per_batch:
            raise DataValidationError(
                f"The batch has {len(frame)} rows; this collection accepts at most "
                f"{col.max_rows_per_batch} per batch. Split it into several batches."
            )
        return frame

    def review(self, batch: Batch | int, *, accept: bool) -> Batch:
        """The curator accepts or rejects a pending batch (within the review window).

        Rejecting burns the batch's stake: it goes to the burn address ``SINK``.
        """
        item = self.batch(batch)
        col = self.get(item.collection_id)
        self.chain.transact(
            self.contract.functions.reviewBatch(item.id, accept), sender=col.curator
        )
        return self.batch(item.id)

    def settle(self, batch: Batch | int, *, by: Any = "deployer") -> Batch:
        """Count a batch whose review window passed as accepted (anyone may do it)."""
        item = self.batch(batch)
        self.chain.send(self.contract, "settleBatch", item.id, sender=by)
        return self.batch(item.id)

    def read_batch(self, batch: Batch | int) -> pd.DataFrame:
        """The curator decrypts a batch (checked against its commitment and hash)."""
        item = self.batch(batch)
        col = self.get(item.collection_id)
        curator = self.chain.accounts.resolve(col.curator)
        document = json.loads(self.market.store.get(item.batch_cid))
        metadata = DatasetMetadata.from_dict(document["metadata"])
        plaintext = open_purchase(
            self.market.store.get(document["envelope"]),
            dataset_id=metadata.dataset_id,
            commitment=document["commitment"],
            sha256=metadata.sha256,
            wrapped_key=bytes.fromhex(document["wrapped_key"]),
            private_key=curator.key,
        )
        return load_plaintext(plaintext, metadata)

    def publish_version(
        self, collection: Collection | int, *, price: Amount, name: str | None = None,
        description: str = "", delivery_window: int = 3 * DAY, raw: bool = False,
    ) -> Listing:  # fmt: skip
        """Merge every accepted batch (settling overdue ones) and list it as a version
        (checked as ``market.data.publish`` checks data; ``raw=True`` lists it as it is)."""
        col = self.get(collection)
        now = self.chain.clock.now()
        parts = []
        for item in self.batch_list(col.id):
            if item.status == "pending" and now >= item.review_by:
                item = self.settle(item)
            if item.status == "accepted":
                parts.append(self.read_batch(item))
        if not parts:
            raise DataValidationError(
                f"Collection {col.id} has no accepted batch yet; review the pending ones first."
            )
        return self.data.publish(
            pd.concat(parts, ignore_index=True),
            owner=col.curator,
            price=price,
            name=name or col.schema["name"],
            description=description or col.schema["description"],
            target=col.schema["target"],
            license=col.schema["license"],
            delivery_window=delivery_window,
            collection=col.id,
            raw=raw,
        )

    # --- earnings ------------------------------------------------------------------

    def pending(self, collection: Collection | int, who: Any) -> Decimal:
        """Share revenue, bounties and stakes ``who`` can claim from a collection."""
        col_id = collection.id if isinstance(collection, Collection) else int(collection)
        fn = self.contract.functions.pendingRevenue(col_id, self.chain.address(who))
        return from_units(self.chain.call(fn))

    def claim(self, collection: Collection | int, *, contributor: Any) -> Decimal:
        """Pay out what ``contributor`` earned from a collection; returns the amount."""
        col_id = collection.id if isinstance(collection, Collection) else int(collection)
        amount = self.pending(col_id, contributor)
        self.chain.send(self.contract, "claim", col_id, sender=contributor)
        return amount

    # --- reading ---------------------------------------------------------------------

    def get(self, collection: Collection | int) -> Collection:
        """The collection's rules and state as they are on chain now."""
        col_id = collection.id if isinstance(collection, Collection) else int(collection)
        raw = self.chain.read(self.contract, "getCollection", col_id)
        schema = json.loads(self.market.store.get(raw[11]))
        if address_of_public_key(bytes.fromhex(schema["curator_public_key"])) != raw[0]:
            raise DataValidationError(
                f"Collection {col_id}'s schema names a public key that is not its curator's."
            )
        return Collection(
            id=col_id, curator=raw[0], schema=schema, schema_cid=raw[11],
            curator_cut=Decimal(raw[1]) / 10_000, review_window=int(raw[2]),
            max_rows_per_batch=int(raw[3]), stake=from_units(raw[4]),
            bounty_per_row=from_units(raw[5]), max_bounty_rows_per_contributor=int(raw[6]),
            bounty_fund=from_units(raw[7]), total_shares=int(raw[8]),
        )  # fmt: skip

    def table(self) -> pd.DataFrame:
        """Every collection with its rules (bounty cap per contributor included) and state.

        ``curator_cut`` (a fraction), ``stake``, ``bounty_per_row`` and ``bounty_fund`` (tokens)
        are float64, exact in ``<name>_exact``; ``review_window`` is in seconds.

        Example:
            >>> market.data.collections.table()[["curator", "max_bounty_rows_per_contributor"]]
        """
        count = self.chain.read(self.contract, "collectionCount")
        rows = []
        for col_id in range(1, count + 1):
            col = self.get(col_id)
            fields = {k: v for k, v in vars(col).items() if k in COLLECTION_COLUMNS}
            rows.append(
                fields | {"name": col.schema["name"], "curator": self.chain.describe(col.curator)}
            )
        frame = pd.DataFrame(rows, columns=COLLECTION_COLUMNS).set_index("id")
        return with_amounts(frame, "curator_cut", "stake", "bounty_per_row", "bounty_fund")

    def batch(self, batch: Batch | int) -> Batch:
        batch_id = batch.id if isinstance(batch, Batch) else int(batch)
        raw = self.chain.read(self.contract, "getBatch", batch_id)
        return Batch(
            id=batch_id, contributor=raw[0], submitted_at=int(raw[1]),
            status=BATCH_STATUSES[int(raw[2])], collection_id=int(raw[3]), rows=int(raw[4]),
            review_by=int(raw[5]), batch_cid=raw[6],
        )  # fmt: skip

    def batch_list(self, collection: Collection | int) -> list[Batch]:
        col_id = collection.id if isinstance(collection, Collection) else int(collection)
        count = self.chain.read(self.contract, "batchCount")
        items = (self.batch(i) for i in range(1, count + 1))
        return [b for b in items if b.collection_id == col_id]

    def batches(self, collection: Collection | int) -> pd.DataFrame:
        """The collection's batches with contributor, rows, status, ``submitted_at`` and
        ``review_by`` (UTC Timestamps)."""
        rows = [
            vars(b) | {"contributor": self.chain.describe(b.contributor)}
            for b in self.batch_list(collection)
        ]
        frame = pd.DataFrame(rows, columns=list(Batch.__dataclass_fields__)).set_index("id")
        return with_times(frame, "submitted_at", "review_by")

    def contributors(self, collection: Collection | int) -> pd.DataFrame:
        """Shares and claimable earnings (float tokens; exact in ``claimable_exact``) of everyone
        who contributed."""
        col_id = collection.id if isinstance(collection, Collection) else int(collection)
        people = sorted({b.contributor for b in self.batch_list(col_id)})
        rows = [
            {
                "contributor": self.chain.describe(a),
                "shares": int(self.chain.read(self.contract, "sharesOf", col_id, a)),
                "claimable": self.pending(col_id, a),
            }
            for a in people
        ]
        frame = pd.DataFrame(rows, columns=["contributor", "shares", "claimable"])
        return with_amounts(frame.set_index("contributor"), "claimable")


def _whole_rows(value: object, name: str) -> int:
    """``value`` as a whole number of rows, 0 or more: ``1000``, ``10**6`` or ``1e6``."""
    explain = (
        f"{name} must be a whole number of rows, 0 (no cap) or more; got {value!r}. "
        "Pass e.g. 1000, or 0 for no cap."
    )
    if isinstance(value, bool):
        raise ConfigurationError(explain)
    if isinstance(value, Integral):
        count = int(value)
    elif isinstance(value, float | Decimal):
        exact = Decimal(value)
        if not exact.is_finite() or exact != exact.to_integral_value():
            raise ConfigurationError(explain)
        count = int(exact)
    else:
        raise ConfigurationError(explain)
    if not 0 <= count < 2**256:
        raise ConfigurationError(explain)
    return count


def _basis_points(fraction: Amount) -> int:
    value = Decimal(str(fraction)) * 10_000
    if value != value.to_integral_value() or not 0 <= value <= 10_000:
        raise ConfigurationError(
            f"curator_cut must be a fraction between 0 and 1 with at most 4 decimals "
            f"(e.g. 0.1 for 10%), got {fraction}."
        )
    return int(value)
