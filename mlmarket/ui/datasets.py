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
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd

from mlmarket.datasets import SAMPLES
from mlmarket.ui.base import (
    InputError,
    Panel,
    account_names,
    dropdown,
    positive_amount,
    required,
    set_options,
    text,
)
from mlmarket.ui.render import amount, show, table, when
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


class DatasetsPanel(Panel):
    """The data market in one panel.

    Publish form: ``source`` (a sample or ``"upload"``), ``upload``, ``owner``,
    ``name``, ``description``, ``target``, ``price``, ``license``, ``window``
    (delivery window in days), ``raw`` (publish features with text or gaps as they are),
    ``publish_button``. Market: ``listings`` (table),
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
            widgets.HBox([self.publish_button, self.raw]),
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
        self.enable()

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
