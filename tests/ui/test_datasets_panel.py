"""Datasets panel: publish (sample or upload), browse, buy, download, withdraw — and refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mlmarket.market import Market
from mlmarket.ui import DatasetsPanel
from mlmarket.ui.uploads import UPLOAD
from tests.ui.conftest import sent, upload

GOOD_CSV = b"age,dose,cured\n30,1.5,1\n41,2.0,0\n52,0.5,1\n"


def test_sampleLifecycle_publishBuyDownloadWithdraw(market: Market) -> None:
    panel = DatasetsPanel(market)
    assert panel.target.value == "diagnosis" and panel.name.value == "breast_cancer"
    panel.name.value, panel.price.value = "Breast cancer diagnoses", "25"

    panel.publish_button.click()
    assert "Published listing #1 'Breast cancer diagnoses' at 25 tokens" in panel.feedback.value
    assert "Breast cancer diagnoses" in panel.listings.value
    assert panel.buy_listing.value == 1

    panel.buyer.value = "bob"
    panel.buy_button.click()
    assert "purchase #1 is delivered" in panel.feedback.value
    assert ">delivered<" in panel.purchases.value

    panel.download_button.click()
    assert "569 rows, decrypted and verified" in panel.feedback.value
    assert panel.downloaded[1].shape == (569, 31)
    (shown,) = panel.preview.outputs
    assert "mean_radius" in shown["data"]["text/html"]

    panel.earner.value = "alice"
    panel.withdraw_button.click()
    assert "Paid 25 tokens of revenue to alice" in panel.feedback.value
    assert panel.state.balances.loc["alice", "tokens"] == Decimal(1025)


def test_uploadedCsv_isOfferedWithItsColumns_andPublished(market: Market) -> None:
    panel = DatasetsPanel(market)
    panel.source.value = UPLOAD
    panel.upload.value = upload("trial.csv", GOOD_CSV)

    assert panel.target.options == ("(unlabelled)", "age", "dose", "cured")
    assert panel.name.value == "trial.csv" and panel.shape.value == "3 rows × 3 columns"
    panel.target.value = "cured"
    panel.publish_button.click()

    listing = market.data.listings().loc[1]
    assert (listing["name"], listing["rows"], listing["target"]) == ("trial.csv", 3, "cured")


def test_switchingSamples_keepsANameTheUserTyped(market: Market) -> None:
    panel = DatasetsPanel(market)
    panel.source.value = "wine"
    assert (panel.name.value, panel.target.value) == ("wine", "cultivar")
    panel.name.value = "My wines"
    panel.source.value = "iris"
    assert (panel.name.value, panel.target.value) == ("My wines", "species")


REFUSED = [
    ({"price": "-5"}, None, "The price cannot be negative (got -5)."),
    ({"price": "ten"}, None, "The price must be a number, not 'ten'."),
    ({"name": "   "}, None, "Give the dataset name; it cannot be empty."),
    ({"window": "0"}, None, "The delivery window must be more than zero."),
    ({"license": ""}, None, "Give the license; it cannot be empty."),
    ({}, b"", "Upload a CSV file first"),
    (
        {},
        b"a,b,cured\n1,,0\n2,3,1\n",
        "Feature 'b' has 1 missing value (NaN), in row 0. A model needs a finite number in "
        "every feature of every row: drop or fill the rows with missing or infinite values "
        "(df.dropna(), df.fillna(...)); or tick Raw to publish it as it is (no model can train "
        "on it).",
    ),
    ({}, b"a,note,cured\n1,x,0\n2,y,1\n", "Feature 'note' holds text values such as 'x'."),
    (
        {"raw": True, "target": "cured"},
        b"a,b,cured\n1,2,\n2,3,1\n",
        "Target 'cured' has 1 missing value (NaN)",
    ),
    ({}, b"a,a,cured\n1,2,0\n", "bad.csv names columns more than once: a."),
    ({}, b"a,,cured\n1,2,0\n", "bad.csv has columns without a name (position 2)."),
    ({}, b"a,b,cured\n", "bad.csv has a header but no rows."),
    ({}, b"\xff\xfe\x00a", "bad.csv is not a text CSV file"),
]


@pytest.mark.parametrize(("fields", "csv", "says"), REFUSED)
def test_badInput_isRefusedInThePanel_nothingSent_formKept(
    market: Market, fields: dict[str, str], csv: bytes | None, says: str
) -> None:
    panel = DatasetsPanel(market)
    panel.name.value = "Trial"
    if csv is not None:
        panel.source.value = UPLOAD
        if csv:
            panel.upload.value = upload("bad.csv", csv)
    for name, value in fields.items():
        getattr(panel, name).value = value
    typed = {name: getattr(panel, name).value for name in ("name", "price", "window", "license",
                                                            "raw")}  # fmt: skip
    transactions = sent(market)

    panel.publish_button.click()

    assert says in panel.feedback.value and "mlm-msg-error" in panel.feedback.value
    assert sent(market) == transactions and len(panel.state.listings) == 0
    assert {name: getattr(panel, name).value for name in typed} == typed
    assert not panel.publish_button.disabled


def test_aRevertedPurchase_isASentence_andTheFormIsKept(market: Market) -> None:
    panel = DatasetsPanel(market)
    panel.source.value, panel.price.value = "iris", "5000"
    panel.publish_button.click()
    panel.buyer.value = "bob"

    panel.buy_button.click()

    assert "bob (0x3C44" in panel.feedback.value
    assert "has 1000 tokens but needs 5000 tokens" in panel.feedback.value
    assert panel.buyer.value == "bob" and panel.buy_listing.value == 1
    assert ">0<" in panel.listings.value  # no sale


def test_downloadBeforeBuying_says_buyFirst(market: Market) -> None:
    panel = DatasetsPanel(market)
    panel.source.value = "iris"
    panel.publish_button.click()
    panel.buyer.value = "carol"

    panel.download_button.click()

    assert "carol has no delivered purchase of listing 1" in panel.feedback.value
    assert panel.preview.outputs == () and panel.downloaded == {}


def test_rawData_isPublishedWhenTicked_asItIs(market: Market) -> None:
    raw = b"age,note,cured\n30,,1\n41,came back,0\n52,x,1\n"
    panel = DatasetsPanel(market)
    panel.source.value = UPLOAD
    panel.upload.value = upload("raw.csv", raw)
    panel.target.value = "cured"
    panel.publish_button.click()
    assert "Feature 'note' holds text values such as 'came back'" in panel.feedback.value
    assert len(panel.state.listings) == 0

    panel.raw.value = True
    panel.publish_button.click()

    assert "Published listing #1 'raw.csv'" in panel.feedback.value
    market.data.buy(1, buyer="bob")
    bought = market.data.download(1, buyer="bob")
    assert bought["note"].tolist()[1:] == ["came back", "x"] and bought["note"].isna()[0]


def test_buyingAgain_orYourOwn_takesASecondClick(market: Market) -> None:
    panel = DatasetsPanel(market)
    panel.source.value = "iris"
    panel.publish_button.click()
    panel.buyer.value = "bob"
    panel.buy_button.click()
    assert "purchase #1 is delivered" in panel.feedback.value
    transactions = sent(market)

    panel.buy_button.click()  # bob holds it already: asked, not bought

    assert panel.feedback.value == (
        "<span class=\"mlm-msg-error\">bob already holds listing #1 'iris' (purchase #1): load it "
        "again with market.data.download(1, buyer='bob') instead of paying twice. Click Confirm "
        "buy to buy it anyway.</span>"
    )
    assert (panel.buy_button.description, panel.buy_button.button_style) == (
        "Confirm buy",
        "warning",
    )
    assert panel.buy_button.tooltip.startswith("bob already holds listing #1")
    assert sent(market) == transactions and not panel.buy_button.disabled

    panel.buyer.value = "alice"  # another choice: the confirmation is forgotten
    assert panel.buy_button.description == "Buy"
    panel.buy_button.click()
    assert "alice owns listing #1 'iris'" in panel.feedback.value
    panel.buy_button.click()  # the second click buys

    assert "alice bought listing #1 for 25 tokens: purchase #2 is delivered" in (
        panel.feedback.value
    )
    assert panel.buy_button.description == "Buy" and sent(market) > transactions


def test_aBuyerSeesTheListing_beforeBuying(market: Market) -> None:
    panel = DatasetsPanel(market)
    assert panel.details.value == ""  # no listing yet
    panel.source.value, panel.preview_rows.value = "iris", "3"
    panel.publish_button.click()

    details = panel.details.value
    assert "<b>#1 iris</b> by alice: 150 rows × 5 columns, target <b>species</b>" in details
    assert 'class="mlm-table mlm-listing-summary"' in details
    assert '<span class="mlm-class-balance">0: 50 · 1: 50 · 2: 50</span>' in details
    assert "Preview: 3 rows the owner chose" in details and ">5.1</td>" in details
    assert "The owner's word: nothing on chain checks" in details

    panel.summary.value, panel.preview_rows.value = False, "0"
    panel.source.value, panel.name.value = "wine", "Wines"
    panel.publish_button.click()
    assert panel.buy_listing.value == 2
    assert "No summary from the owner" in panel.details.value
    assert "No preview rows from the owner" in panel.details.value
    assert "owner's word" not in panel.details.value
    panel.buy_listing.value = 1  # choosing a listing shows it
    assert "<b>#1 iris</b>" in panel.details.value


def test_tooManyPreviewRows_isRefused(market: Market) -> None:
    panel = DatasetsPanel(market)
    panel.source.value, panel.preview_rows.value = "iris", "21"
    panel.publish_button.click()
    assert "The number of preview rows must be a whole number from 0 to 20 (got '21')." in (
        panel.feedback.value
    )
    assert len(panel.state.listings) == 0
