"""Collections: contributors fill a dataset, the curator reviews, sales pay pro rata."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

import mlmarket as mm
from mlmarket.contracts import errors as ce
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
    cols.review(spam, accept=False)  # erin's stake goes to the bounty fund
    assert cols.get(col).bounty_fund == Decimal(15) - Decimal(10) + Decimal(5)
    assert cols.claim(col, contributor="dave") == Decimal(10) + Decimal(5)  # bounty + stake back
    assert fresh.token.balance_of("erin") == Decimal(995)


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
