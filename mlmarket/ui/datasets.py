"""Datasets panel: publish a sample or an uploaded CSV, browse, buy, download, withdraw.

Example:
    >>> panel = DatasetsPanel(market)
    >>> panel.source.value, panel.name.value = "iris", "Iris flowers"
    >>> panel.publish_button.click()
    >>> panel.buy_listing.value = 1; panel.buyer.value = "bob"
    >>> panel.buy_button.click(); panel.download_button.click()
    >>> panel.downloaded[1].shape
    (150, 5)
    >>> panel.buy_button.click()                 # bob holds it: a second click confirms
    >>> panel.buy_button.description
    'Confirm buy'
    >>> "Class balance" in panel.details.value   # what buyers see before buying
    True
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd

from mlmarket.datasets import SAMPLES, DatasetMetadata
from mlmarket.datasets.summary import PREVIEW_MAX_ROWS
from mlmarket.errors import MlmarketError
from mlmarket.ui.base import (
    InputError,
    Panel,
    account_names,
    dropdown,
    positive_amount,
    required,
    set_options,
    text,
    whole_number,
)
from mlmarket.ui.render import amount, message, show, table, when
from mlmarket.ui.uploads import UPLOAD, check_frame, load_source, source_options, upload_name

if TYPE_CHECKING:
    from mlmarket.market import Market
    from mlmarket.ui.state import MarketState

NO_TARGET = "(unlabelled)"
DAY = 86_400
RAW = "; or tick Raw to publish it as it is (no model can train on it)"
"""How the publish form ends a refusal of the features: its way to publish raw data."""
BUY, CONFIRM = "Buy", "Confirm buy"
"""The buy button's label, and its label while it waits for a confirming second click."""
LISTING_VIEW = ["name", "owner", "price", "rows", "columns", "target", "active", "sales",
                "complaints"]  # fmt: skip
SUMMARY_VIEW = ["type", "count", "missing", "min", "mean", "max", "distinct"]
"""The summary table's columns, in order (a statistic no column has is left out)."""
OWNERS_WORD = (
    '<small class="mlm-owners-word">The owner\'s word: nothing on chain checks the preview and '
    "summary against the encrypted data (a buyer can compare them once it has the data: "
    "mlmarket.datasets.compare_described).</small>"
)


def listing_details(listing_id: int, row: pd.Series, metadata: DatasetMetadata) -> str:
    """HTML: what a buyer sees of a listing before buying — its description, columns and
    types, and the owner's optional summary (counts, missing values, ranges, class balance)
    and preview rows."""
    target = f", target <b>{escape(str(metadata.target))}</b>" if metadata.target else ""
    parts = [
        f"<b>#{listing_id} {escape(metadata.name)}</b> by {escape(str(row['owner']))}: "
        f"{metadata.rows} rows × {len(metadata.columns)} columns{target}, license "
        f"{escape(metadata.license)}."
    ]
    if metadata.description:
        parts.append(f'<span class="mlm-listing-description">{escape(metadata.description)}</span>')
    types = {column.name: column.dtype for column in metadata.columns}
    if metadata.summary is None:
        listed = ", ".join(f"{escape(name)} ({dtype})" for name, dtype in types.items())
        parts.append(f"Columns: {listed}. <i>No summary from the owner.</i>")
    else:
        stats = pd.DataFrame(metadata.summary["columns"]).set_index("name")
        stats.insert(0, "type", [types[name] for name in stats.index])
        stats = stats[[c for c in SUMMARY_VIEW if c in stats.columns]]
        parts.append("<i>Summary</i>" + table(stats, css="mlm-listing-summary"))
        classes = metadata.summary.get("classes")
        if classes:
            balance = " · ".join(f"{escape(str(c['label']))}: {c['count']}" for c in classes)
            parts.append(f'<i>Class balance</i> <span class="mlm-class-balance">{balance}</span>')
    if metadata.preview is not None:
        rows = pd.DataFrame(metadata.preview, columns=metadata.column_names)
        parts.append(
            f"<i>Preview: {len(rows)} rows the owner chose</i>"
            + table(rows, css="mlm-listing-preview", index=False)
        )
    else:
        parts.append("<i>No preview rows from the owner.</i>")
    if metadata.summary is not None or metadata.preview is not None:
        parts.append(OWNERS_WORD)
    return f'<div class="mlm-listing-details">{"<br>".join(parts)}</div>'


class DatasetsPanel(Panel):
    """The data market in one panel.

    Publish form: ``source`` (a sample or ``"upload"``), ``upload``, ``owner``,
    ``name``, ``description``, ``target``, ``price``, ``license``, ``window``
    (delivery window in days), ``raw`` (publish features with text or gaps as they are),
    ``preview_rows`` (how many first rows buyers see before buying, 0 for none) and
    ``summary`` (publish statistics of every column and the class balance),
    ``publish_button``. Market: ``listings`` (table), ``details`` (what buyers see of
    the chosen listing before buying: description, columns, the owner's summary and preview),
    ``buy_listing``, ``buyer``, ``buy_button`` (buying one's own listing, or one held or
    awaited already, takes a second click: the button reads "Confirm buy" and the
    message says why), ``download_button``, ``preview``
    (an Output with the downloaded data's head), ``purchases``; revenue:
    ``earner``, ``withdraw_button``. ``downloaded`` keeps every downloaded
    DataFrame by listing id.
    """

    title = "Datasets"
    css = "mlm-datasets-panel"
    watches = ("listings", "purchases", "market")

    def __init__(self, source: Market | MarketState, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self.downloaded: dict[int, pd.DataFrame] = {}
        self._auto_name = ""
        names = account_names(self.market)
        publish = self._publish_form(names)
        self.listings = widgets.HTML()
        self.listings.add_class("mlm-listings")
        self.buy_listing = dropdown("Listing", "mlm-buy-listing")
        self.buyer = dropdown("Buyer", "mlm-buy-buyer", names, value=_pick(names, "bob"))
        self.buy_button = self.button(BUY, "mlm-buy", self._buy, style="success")
        self._confirming: tuple[int, str] | None = None
        self.buy_listing.observe(lambda _: self._unconfirm(), names="value")
        self.buyer.observe(lambda _: self._unconfirm(), names="value")
        self.details = widgets.HTML()
        self.details.add_class("mlm-listing-details-box")
        self._metadata: dict[str, DatasetMetadata] = {}
        self.buy_listing.observe(lambda _: self._show_details(), names="value")
        self.download_button = self.button("Download", "mlm-download", self._download)
        self.preview = widgets.Output()
        self.preview.add_class("mlm-download-preview")
        self.purchases = widgets.HTML()
        self.purchases.add_class("mlm-purchases")
        self.earner = dropdown("Owner", "mlm-revenue-owner", names, value=_pick(names, "alice"))
        self.withdraw_button = self.button("Withdraw revenue", "mlm-withdraw", self._withdraw)
        self._ready(
            *publish,
            widgets.HTML("<i>Listings</i>"),
            self.listings,
            widgets.HBox([self.buy_listing, self.buyer, self.buy_button, self.download_button]),
            self.details,
            self.preview,
            widgets.HTML("<i>Purchases</i>"),
            self.purchases,
            widgets.HBox([self.earner, self.withdraw_button]),
        )
        self._source_changed()

    def _publish_form(self, names: list[str]) -> list[widgets.Widget]:
        self.source = dropdown("Data", "mlm-publish-source", source_options())
        self.upload = widgets.FileUpload(accept=".csv", multiple=False, description="CSV")
        self.upload.add_class("mlm-publish-upload")
        self.owner = dropdown("Owner", "mlm-publish-owner", names, value=_pick(names, "alice"))
        self.name = text("Name", "mlm-publish-name", placeholder="what the data is")
        self.description = text("Description", "mlm-publish-description")
        self.target = dropdown("Target", "mlm-publish-target", [NO_TARGET])
        self.price = text("Price", "mlm-publish-price", "25")
        self.license = text("License", "mlm-publish-license", "CC-BY-4.0")
        self.window = text("Delivery (d)", "mlm-publish-window", "3")
        self.raw = widgets.Checkbox(
            value=False, description="Raw", indent=False,
            tooltip="Publish features with text, missing or infinite values as they are",
        )  # fmt: skip
        self.raw.add_class("mlm-publish-raw")
        self.preview_rows = text("Preview rows", "mlm-publish-preview-rows", "0",
                                 placeholder=f"0 to {PREVIEW_MAX_ROWS}")  # fmt: skip
        self.summary = widgets.Checkbox(
            value=True, description="Summary", indent=False,
            tooltip="Show buyers counts, missing values, ranges and the class balance",
        )  # fmt: skip
        self.summary.add_class("mlm-publish-summary")
        self.shape = widgets.HTML()
        self.shape.add_class("mlm-publish-shape")
        self.publish_button = self.button("Publish", "mlm-publish", self._publish, style="primary")
        self.source.observe(self._source_changed, names="value")
        self.upload.observe(self._source_changed, names="value")
        return [
            widgets.HTML("<i>Publish</i>"),
            widgets.HBox([self.source, self.upload, self.shape]),
            widgets.HBox([self.owner, self.name, self.description]),
            widgets.HBox([self.target, self.price, self.license, self.window]),
            widgets.HBox([self.preview_rows, self.summary, self.raw]),
            self.publish_button,
        ]

    # --- view --------------------------------------------------------------------------

    def render(self) -> None:
        listings = self.state.listings
        shown = listings[LISTING_VIEW] if len(listings) else listings
        self.listings.value = table(
            shown, css="mlm-listings-table", formats={"price": amount}, empty="no listings yet"
        )
        options = [(f"#{i} {row['name']} · {amount(row['price'])} tokens", int(i))
                   for i, row in listings.iterrows()]  # fmt: skip
        set_options(self.buy_listing, options)
        self.purchases.value = table(
            self.state.purchases,
            css="mlm-purchases-table",
            empty="no purchases yet",
            formats={"paid_at": when, "deliver_by": when},
        )
        self._show_details()
        self.enable()

    def _show_details(self) -> None:
        """What buyers see of the chosen listing before buying (its public metadata, read
        from the content store by CID once: a CID's content never changes)."""
        chosen, listings = self.buy_listing.value, self.state.listings
        if chosen is None or chosen not in listings.index:
            self.details.value = ""
            return
        row = listings.loc[chosen]
        cid = str(row["metadata_cid"])
        if cid not in self._metadata:
            try:
                self._metadata[cid] = DatasetMetadata.from_json(self.market.store.get(cid))
            except MlmarketError as error:  # content the store cannot give, or a bad document
                self.details.value = message(f"Listing #{chosen}'s metadata: {error}", error=True)
                return
        self.details.value = listing_details(int(chosen), row, self._metadata[cid])

    def enable(self) -> None:
        super().enable()
        chosen = self.buy_listing.value is not None
        self.buy_button.disabled = not chosen
        self.download_button.disabled = not chosen

    def _source_changed(self, change: dict[str, Any] | None = None) -> None:
        """Offer the chosen data's columns as targets; say its size; keep the user's name."""
        source = self.source.value
        try:
            frame = load_source(source, self.upload.value)
        except InputError as error:
            self.shape.value = ""
            if source == UPLOAD and self.upload.value:
                self.fail(str(error))
            return
        self.feedback.value = ""
        self.shape.value = f"{len(frame)} rows × {frame.shape[1]} columns"
        current = self.target.value
        set_options(self.target, [NO_TARGET, *map(str, frame.columns)])
        suggested = SAMPLES[source].target if source in SAMPLES else None
        sample_chosen = change is None or change["owner"] is self.source
        if sample_chosen and suggested in frame.columns:
            self.target.value = suggested
        else:
            self.target.value = current if current in self.target.options else NO_TARGET
        if self.name.value.strip() in ("", self._auto_name):
            named = upload_name(self.upload.value) if source == UPLOAD else source
            self._auto_name = named or ""
            self.name.value = self._auto_name

    # --- actions -----------------------------------------------------------------------

    def _publish(self) -> None:
        name = required(self.name.value, "dataset name")
        price = positive_amount(self.price.value, "price")
        days = positive_amount(self.window.value, "delivery window", allow_zero=False)
        license_ = required(self.license.value, "license")
        rows = whole_number(
            self.preview_rows.value, "number of preview rows", high=PREVIEW_MAX_ROWS
        )
        target = None if self.target.value == NO_TARGET else self.target.value
        frame = load_source(self.source.value, self.upload.value)
        check_frame(frame, target=target, raw=self.raw.value, fix=RAW)
        listing = self.market.data.publish(
            frame,
            owner=self.owner.value,
            price=price,
            name=name,
            description=self.description.value.strip(),
            target=target,
            license=license_,
            delivery_window=int(days * DAY),
            raw=self.raw.value,
            preview=rows or None,
            summary=self.summary.value,
        )
        self.state.refresh()  # now, to offer the new listing
        self.buy_listing.value = listing.id
        self.ok(f"Published listing #{listing.id} {name!r} at {amount(price)} tokens.")

    def _chosen(self) -> int:
        if self.buy_listing.value is None:
            raise InputError("Choose a listing first.")
        return int(self.buy_listing.value)

    def _buy(self) -> None:
        """Buy; a purchase the API wants confirmed takes a second click on the same choice."""
        key = (self._chosen(), self.buyer.value)
        needed = self.market.data.confirmation(key[0], buyer=key[1])
        if needed is not None and self._confirming != key:
            self._confirming = key
            self.buy_button.description, self.buy_button.button_style = CONFIRM, "warning"
            self.buy_button.tooltip = needed.reason
            self.fail(f"{needed.reason} Click {CONFIRM} to buy it anyway.")
            return
        flags = dict.fromkeys(needed.flags, True) if needed is not None else {}
        purchase = self.market.data.buy(key[0], buyer=key[1], **flags)
        self._unconfirm()
        self.ok(
            f"{self.buyer.value} bought listing #{purchase.listing_id} for "
            f"{amount(purchase.amount)} tokens: purchase #{purchase.id} is {purchase.status}."
        )

    def _unconfirm(self) -> None:
        """Forget a pending confirmation: the buy button reads Buy again."""
        self._confirming = None
        self.buy_button.description, self.buy_button.button_style = BUY, "success"
        self.buy_button.tooltip = BUY

    def _download(self) -> None:
        listing_id = self._chosen()
        frame = self.market.data.download(listing_id, buyer=self.buyer.value)
        self.downloaded[listing_id] = frame
        show(self.preview, frame.head())
        self.ok(
            f"{self.buyer.value} downloaded listing #{listing_id}: {len(frame)} rows, "
            "decrypted and verified against its hash."
        )

    def _withdraw(self) -> None:
        who = self.earner.value
        paid = self.market.data.withdraw(who)
        self.ok(f"Paid {amount(paid)} tokens of revenue to {who}.")


def _pick(options: list[str], preferred: str) -> str | None:
    return preferred if preferred in options else (options[0] if options else None)
