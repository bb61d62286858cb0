"""Data the market refuses (targets and features, by the same checks as the panels):
nothing is mined, escrowed or stored when it does."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

import mlmarket as mm
from mlmarket.datasets import load_sample
from mlmarket.errors import DataValidationError, FeatureValidationError, TargetValidationError
from mlmarket.storage import LocalStore


def state_of(market: mm.Market) -> tuple[int, Decimal, list[str], list[str]]:
    """Block number, alice's tokens, the store's pins and its block files."""
    store = market.store
    assert isinstance(store, LocalStore)
    return (
        market.chain.block_number,
        market.token.balance_of("alice"),
        sorted(str(cid) for cid in store.pins()),
        sorted(path.name for path in store.blocks.block_paths()),
    )


def refused_without_a_trace(
    market: mm.Market,
    act: Callable[[], object],
    words: str,
    error: type[DataValidationError] = TargetValidationError,
) -> None:
    before = state_of(market)
    with pytest.raises(error, match=words):
        act()
    assert state_of(market) == before


def with_values(frame: pd.DataFrame, column: str, rows: list[int], value: object) -> pd.DataFrame:
    changed = frame.copy()
    changed[column] = changed[column].astype(object if isinstance(value, str) else float)
    changed.loc[rows, column] = value
    return changed


def test_nanInATrainingTarget_refusesTheCompetition_andNamesTheRows(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    data = with_values(cancer, "diagnosis", [7, 300], np.nan)
    refused_without_a_trace(
        fresh,
        lambda: fresh.competitions.create(
            data=data, target="diagnosis", creator="alice", reward=100
        ),
        r"Target 'diagnosis' has 2 missing values \(NaN\), in rows 7, 300",
    )
    assert fresh.competitions.list().empty


def test_nanInTheHiddenTestSet_refusesTheCompetition(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    train, test = cancer.iloc[:400], with_values(cancer.iloc[400:], "diagnosis", [450], np.nan)
    refused_without_a_trace(
        fresh,
        lambda: fresh.competitions.create(
            data=train, test=test, target="diagnosis", creator="alice", reward=100
        ),
        "1 missing value \\(NaN\\), in row 450",
    )


def test_infInATarget_refusesThePublication(fresh: mm.Market) -> None:
    diabetes = with_values(load_sample("diabetes"), "progression", [3], -np.inf)
    refused_without_a_trace(
        fresh,
        lambda: fresh.data.publish(
            diabetes, owner="alice", price=5, name="Diabetes", target="progression"
        ),
        r"1 infinite value \(±inf\), in row 3: .*Drop those rows",
    )
    assert fresh.data.listings().empty


def test_textTargetForARegression_refusesTheCompetition(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    data = cancer.assign(diagnosis=cancer["diagnosis"].map({0: "malignant", 1: "benign"}))
    refused_without_a_trace(
        fresh,
        lambda: fresh.competitions.create(
            data=data, target="diagnosis", creator="alice", reward=100, task="regression"
        ),
        "Target 'diagnosis' holds text values such as '(malignant|benign)'; a regression needs "
        "numbers — use task='classification'",
    )


def test_textTargetForARegression_onAListing_refusesTheCompetition(fresh: mm.Market) -> None:
    wine = load_sample("wine")
    named = wine.assign(cultivar=wine["cultivar"].map({0: "barolo", 1: "grignolino", 2: "barbera"}))
    listing = fresh.data.publish(
        named.iloc[::2], owner="alice", price=5, name="Wine", target="cultivar"
    )
    refused_without_a_trace(
        fresh,
        lambda: fresh.competitions.create(
            listing=listing,
            test=wine.iloc[1::2],
            target="cultivar",
            creator="alice",
            reward=20,
            task="regression",
        ),
        "holds text values such as 'barolo'",
    )


def with_gaps_and_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with one missing measurement and a free-text column, as raw data often is."""
    raw = with_values(frame, "mean_radius", [4], np.nan)
    return raw.assign(notes=["seen twice" if i % 7 == 0 else "" for i in range(len(raw))])


def test_nanAndTextFeatures_refuseThePublication_andSayHowToPublishRaw(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    refused_without_a_trace(
        fresh,
        lambda: fresh.data.publish(
            with_gaps_and_text(cancer), owner="alice", price=5, name="Raw", target="diagnosis"
        ),
        r"Features 'mean_radius' has 1 missing value \(NaN\), in row 4; 'notes' holds text "
        r"values such as 'seen twice'\. A model needs a finite number .*pd\.get_dummies\(df, "
        r"columns=\['notes'\]\).*df\.dropna\(\).*; or, to sell the data as it is, publish it "
        r"with raw=True \(no model can train on it\)\.$",
        FeatureValidationError,
    )
    assert fresh.data.listings().empty


def test_rawData_isPublishedOnPurpose_butNoCompetitionTakesIt(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    raw = with_gaps_and_text(cancer)
    listing = fresh.data.publish(
        raw.iloc[::2], owner="alice", price=5, name="Raw", target="diagnosis", raw=True
    )
    fresh.data.buy(listing, buyer="bob")
    bought = fresh.data.download(listing, buyer="bob")
    assert bought["mean_radius"].isna().sum() == 1 and "notes" in bought
    refused_without_a_trace(
        fresh,
        lambda: fresh.competitions.create(
            listing=listing, test=cancer.iloc[1::2], target="diagnosis", creator="bob",
            reward=10,
        ),
        r"Features 'mean_radius' has 1 missing value \(NaN\), in row 2; 'notes' holds text "
        r"values such as 'seen twice'\. .*df\.fillna\(\.\.\.\)\)\.$",  # no raw= here
        FeatureValidationError,
    )  # fmt: skip


def test_rawStillRefusesABadTarget(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    refused_without_a_trace(
        fresh,
        lambda: fresh.data.publish(
            with_values(cancer, "diagnosis", [2], np.nan), owner="alice", price=5,
            name="Raw", target="diagnosis", raw=True,
        ),
        r"Target 'diagnosis' has 1 missing value \(NaN\), in row 2",
    )  # fmt: skip


@pytest.mark.parametrize("where", ["data", "test"])
def test_nanOrTextFeatures_refuseTheCompetition_beforeAnythingIsSent(
    fresh: mm.Market, cancer: pd.DataFrame, where: str
) -> None:
    parts = {"data": cancer.iloc[:400], "test": cancer.iloc[400:]}
    parts[where] = with_values(parts[where], "mean_texture", [parts[where].index[3]], "n/a")
    refused_without_a_trace(
        fresh,
        lambda: fresh.competitions.create(**parts, target="diagnosis", creator="alice", reward=100),
        r"Feature 'mean_texture' holds text values such as 'n/a'\. A model needs",
        FeatureValidationError,
    )
    assert fresh.competitions.list().empty
