"""Collections: contributors fill a dataset, the curator reviews, sales pay pro rata."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

import mlmarket as mm
from mlmarket.contracts import errors as ce
from mlmarket.contracts.sink import SINK
from mlmarket.errors import ConfigurationError, DataValidationError

DAY = 86_400


def open_collection(market: mm.Market, df: pd.DataFrame, **overrides):  # noqa: ANN201
    options = {
        "curator": "carol", "name": "Regional cohort", "template": df, "target": "diagnosis",
        "curator_cut": "0.1", "review_window": 2 * DAY,
    }  # fmt: skip
    return market.data.collections.create(**(options | overrides))


def test_threeContributors_oneRejected_saleSplitsProRata(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    cols = fresh.data.collections
    col = open_collection(fresh, cancer)
    dave = cols.contribute(col, cancer.iloc[0:100], contributor="dave")
    erin = cols.contribute(col, cancer.iloc[100:300], contributor="erin")
    frank = cols.contribute(col, cancer.iloc[300:600], contributor="frank")
    cols.review(dave, accept=True)
    cols.review(erin, accept=False)
    assert cols.batch(frank).status == "pending"
    fresh.clock.advance(2 * DAY)  # frank's batch was never reviewed: it counts as accepted

    version = cols.publish_version(col, price=60)
    assert version.collection_id == col.id and version.metadata.rows == 100 + 269
    assert cols.batch(frank).status == "accepted"
    fresh.data.buy(version, buyer="grace")
    merged = fresh.data.download(version, buyer="grace")
    pd.testing.assert_frame_equal(
        merged,
        pd.concat([cancer.iloc[0:100], cancer.iloc[300:]], ignore_index=True),
        check_dtype=False,
    )
    # 60 tokens: 6 to the curator, 54 over 100 + 269 accepted rows.
    assert fresh.data.revenue("carol") == Decimal(6)
    table = cols.contributors(col)
    assert table.loc["erin", "shares"] == 0
    # The accumulator floors to raw units (1e-18 token); the dust stays accounted on chain.
    assert cols.claim(col, contributor="dave") == mm.from_units(54 * 10**18 * 100 // 369)
    assert cols.claim(col, contributor="frank") == mm.from_units(54 * 10**18 * 269 // 369)
    with pytest.raises(ce.DataMarketNothingToClaim):
        cols.claim(col, contributor="erin")
    with pytest.raises(ce.DataMarketNothingToClaim):
        cols.claim(col, contributor="heidi")


def test_curatorReadsBatches_decryptedForItAlone(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    col = open_collection(fresh, cancer)
    batch = fresh.data.collections.contribute(col, cancer.iloc[:20], contributor="dave")
    rows = fresh.data.collections.read_batch(batch)
    pd.testing.assert_frame_equal(rows, cancer.iloc[:20], check_dtype=False)


def test_bountyAndStake(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    cols = fresh.data.collections
    col = open_collection(fresh, cancer, stake=5, bounty_per_row="0.1", bounty_fund=15)
    good = cols.contribute(col, cancer.iloc[:100], contributor="dave")
    spam = cols.contribute(col, cancer.iloc[100:120], contributor="erin")
    assert fresh.token.balance_of("dave") == Decimal(995)
    cols.review(good, accept=True)
    cols.review(spam, accept=False)  # erin's stake is burned
    assert cols.get(col).bounty_fund == Decimal(15) - Decimal(10)
    assert fresh.token.balance_of(SINK) == Decimal(5)
    assert cols.claim(col, contributor="dave") == Decimal(10) + Decimal(5)  # bounty + stake back
    assert fresh.token.balance_of("erin") == Decimal(995)


def test_bountyCap_isFixedAtOpening_shownInTheTable_andPaysAtMostCapRows(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    cols = fresh.data.collections
    col = open_collection(
        fresh, cancer, bounty_per_row="0.1", max_bounty_rows_per_contributor=150, bounty_fund=100
    )
    assert col.max_bounty_rows_per_contributor == 150
    table = cols.table()
    assert table.loc[col.id, "max_bounty_rows_per_contributor"] == 150
    assert (
        table.loc[col.id, "curator"] == "carol" and table.loc[col.id, "name"] == col.schema["name"]
    )
    for part in (cancer.iloc[:100], cancer.iloc[100:200]):  # 200 rows, only 150 earn a bounty
        cols.review(cols.contribute(col, part, contributor="dave"), accept=True)
    assert cols.claim(col, contributor="dave") == Decimal(15)
    assert cols.contributors(col).loc["dave", "shares"] == 200  # every row is still a share
    assert cols.get(col).bounty_fund == Decimal(85)


def test_noBountyCap_byDefault(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    col = open_collection(fresh, cancer)
    assert col.max_bounty_rows_per_contributor == 0
    assert fresh.data.collections.table().loc[col.id, "max_bounty_rows_per_contributor"] == 0


@pytest.mark.parametrize("cap", [-1, 2.5, True, "1000", None, float("inf")])
def test_badBountyCap_isExplainedBeforeSending(
    fresh: mm.Market, cancer: pd.DataFrame, cap: object
) -> None:
    sent = len(fresh.chain.history)
    with pytest.raises(ConfigurationError, match="whole number of rows, 0 .no cap. or more"):
        open_collection(fresh, cancer, max_bounty_rows_per_contributor=cap)
    assert len(fresh.chain.history) == sent


def test_bountyCap_acceptsWholeNumbersWrittenAsFloats(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    col = open_collection(fresh, cancer, max_bounty_rows_per_contributor=1e6)
    assert col.max_bounty_rows_per_contributor == 1_000_000


# --- attacks by a curator ("ivan" stands for a second address the curator carol controls)


def test_attack_rejectThenPayYourselfTheBounty_leavesTheStakeBurned(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    cols = fresh.data.collections
    col = open_collection(fresh, cancer, stake=10, bounty_per_row=1)
    cols.review(cols.contribute(col, cancer.iloc[:100], contributor="dave"), accept=False)
    sybil = cols.contribute(col, cancer.iloc[100:110], contributor="ivan")
    cols.review(sybil, accept=True)
    assert cols.claim(col, contributor="ivan") == Decimal(10)  # its own stake back, no bounty
    assert fresh.token.balance_of("ivan") == Decimal(1000)
    assert fresh.token.balance_of("carol") == Decimal(1000) and fresh.data.revenue("carol") == 0
    assert fresh.token.balance_of(SINK) == Decimal(10)


def test_attack_curatorContributesToOwnCollection_isRefused(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    cols = fresh.data.collections
    col = open_collection(fresh, cancer, stake=1, bounty_per_row="0.01", bounty_fund=50)

    def state():  # type: ignore[no-untyped-def]
        carol = fresh.chain.address("carol")
        allowance = fresh.token.allowance("carol", fresh.data.contract.address)
        nonce = fresh.chain.w3.eth.get_transaction_count(carol)
        return (fresh.token.balance_of("carol"), cols.get(col), len(cols.batch_list(col)),
                fresh.chain.block_number, allowance, nonce)  # fmt: skip

    before = state()
    with pytest.raises(ce.DataMarketCuratorCannotContribute, match="carol .* curates collection"):
        cols.contribute(col, cancer.iloc[:50], contributor="carol")
    assert state() == before  # nothing mined: not even the stake's approval


def test_attack_bountyDrainBySybilRows_isCappedPerContributor(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    cols = fresh.data.collections
    col = open_collection(fresh, cancer, bounty_per_row="0.5", max_bounty_rows_per_contributor=20)
    # a third-party sponsor reads the cap, then funds
    assert cols.get(col).max_bounty_rows_per_contributor == 20
    cols.fund_bounty(col, 200, funder="alice")
    cols.review(cols.contribute(col, cancer, contributor="ivan"), accept=True)  # 569 rows
    cols.review(cols.contribute(col, cancer.iloc[:30], contributor="dave"), accept=True)
    assert cols.claim(col, contributor="ivan") == Decimal(20) * Decimal("0.5")
    assert cols.claim(col, contributor="dave") == Decimal(20) * Decimal("0.5")
    assert cols.get(col).bounty_fund == Decimal(180)


def test_reviewRules(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    cols = fresh.data.collections
    col = open_collection(fresh, cancer)
    batch = cols.contribute(col, cancer.iloc[:10], contributor="dave")
    with pytest.raises(ce.DataMarketReviewWindowOpen):
        cols.settle(batch)
    with pytest.raises(ce.DataMarketNotCurator):
        fresh.chain.transact(
            fresh.data.contract.functions.reviewBatch(batch.id, True), sender="dave"
        )
    fresh.clock.advance(2 * DAY)
    with pytest.raises(ce.DataMarketReviewWindowClosed):
        cols.review(batch, accept=False)
    assert cols.settle(batch, by="ivan").status == "accepted"


def test_batchNotMatchingTheSchema_isRefusedBeforeSending(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    col = open_collection(fresh, cancer, max_rows_per_batch=50)
    sent = len(fresh.chain.history)
    with pytest.raises(DataValidationError, match="differ from the collection's schema"):
        fresh.data.collections.contribute(col, cancer.iloc[:5, :3], contributor="dave")
    with pytest.raises(DataValidationError, match="at most 50 per batch"):
        fresh.data.collections.contribute(col, cancer.iloc[:51], contributor="dave")
    assert len(fresh.chain.history) == sent


def test_badCuratorCut_isExplained(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    with pytest.raises(ConfigurationError, match="fraction between 0 and 1"):
        open_collection(fresh, cancer, curator_cut=1.5)


def test_publishingAnEmptyCollection_isExplained(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    col = open_collection(fresh, cancer)
    with pytest.raises(DataValidationError, match="no accepted batch"):
        fresh.data.collections.publish_version(col, price=1)


@pytest.mark.parametrize("window", [0, -3_600, 31 * 86_400])
def test_aReviewWindowOutOfRange_isRefusedBeforeAnythingIsSent(
    fresh: mm.Market, cancer: pd.DataFrame, window: int
) -> None:
    before = (fresh.chain.block_number, fresh.token.allowance("carol", fresh.data.contract.address))
    with pytest.raises(ce.DataMarketInvalidReviewWindow, match="review window of"):
        fresh.data.collections.create(
            curator="carol", name="Cohort", template=cancer.head(5), target="diagnosis",
            review_window=window, bounty_fund=10,
        )  # fmt: skip
    after = (fresh.chain.block_number, fresh.token.allowance("carol", fresh.data.contract.address))
    assert after == before  # not even the fund's approval was mined
