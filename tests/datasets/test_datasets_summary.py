"""Preview rows and summary statistics in the metadata: what a buyer sees before buying."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from jsonschema import Draft202012Validator

from mlmarket.datasets import (
    DatasetMetadata,
    compare_described,
    describe,
    load_plaintext,
    load_sample,
    metadata_schema,
)
from mlmarket.datasets.summary import PREVIEW_MAX_ROWS
from mlmarket.errors import DataValidationError

DSID = "0123456789abcdef0123456789abcdef"


def patients() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [54, 61, 47, 38],
            "bmi": [22.5, np.nan, np.inf, 27.0],
            "smoker": [True, False, False, True],
            "site": ["Leeds", "Turin", None, ""],
            "diagnosis": ["sick", "well", "sick", "sick"],
        },
        index=["p1", "p2", "p3", "p4"],
    )


def build(df: pd.DataFrame | None = None, **shown: object) -> tuple[DatasetMetadata, bytes]:
    return describe(
        patients() if df is None else df, name="patients", description="", labelled=True,
        target="diagnosis", license="CC0-1.0", dataset_id=DSID, created="2024-05-01T12:00:00Z",
        **shown,  # type: ignore[arg-type]
    )  # fmt: skip


def test_withoutPreviewOrSummary_theDocumentIsAsBefore() -> None:
    meta, _ = build()
    assert meta.preview is None and meta.summary is None
    assert {"preview", "summary"}.isdisjoint(meta.to_dict())  # older readers see no change


def test_previewRows_areTheChosenRows_asABuyerWillLoadThem() -> None:
    first, _ = build(preview=2)
    assert first.preview == [[54, 22.5, True, "Leeds", "sick"], [61, None, False, "Turin", "well"]]
    chosen, _ = build(preview=["p4", "p3"])  # by index label, in the owner's order
    # the empty string reads back as missing (CSV), an infinity as "inf"
    assert chosen.preview == [[38, 27.0, True, None, "sick"], [47, "inf", False, None, "sick"]]


def test_theSummary_countsMissingValues_rangesAndTheClassBalance() -> None:
    meta, _ = build(summary=True)
    assert meta.summary == {
        "columns": [
            {"name": "age", "count": 4, "missing": 0, "min": 38, "mean": 50.0, "max": 61},
            {"name": "bmi", "count": 3, "missing": 1, "min": 22.5, "mean": 24.75, "max": 27.0},
            {"name": "smoker", "count": 4, "missing": 0, "mean": 0.5},
            {"name": "site", "count": 2, "missing": 2, "distinct": 2},
            {"name": "diagnosis", "count": 4, "missing": 0, "distinct": 2},
        ],
        "classes": [{"label": "sick", "count": 3}, {"label": "well", "count": 1}],
    }


@pytest.mark.parametrize(
    ("target", "classes"),
    [
        (pd.Series([0, 1, 1, 2]), [{"label": 0, "count": 1}, {"label": 1, "count": 2},
                                   {"label": 2, "count": 1}]),
        (pd.Series([0.0, 1.0, 1.0, 0.0]), [{"label": 0.0, "count": 2}, {"label": 1.0, "count": 2}]),
        (pd.Series([0.5, 1.25, 2.0, 3.5]), None),  # a regression target has no classes
    ],
)  # fmt: skip
def test_aClassBalance_onlyForLabelsThatAreClasses(target: pd.Series, classes: object) -> None:
    meta, _ = build(pd.DataFrame({"x": [1, 2, 3, 4], "diagnosis": target}), summary=True)
    assert meta.summary.get("classes") == classes


def test_aSample_roundTripsThroughJson_andTheSchema() -> None:
    meta, plaintext = describe(
        load_sample("wine"), name="wine", description="", labelled=True, target="cultivar",
        license="CC-BY-4.0", dataset_id=DSID, preview=3, summary=True,
    )  # fmt: skip
    document = json.loads(meta.to_json())
    Draft202012Validator(metadata_schema()).validate(document)
    assert DatasetMetadata.from_json(meta.to_json()) == meta
    assert [c["count"] for c in meta.summary["classes"]] == [59, 71, 48]
    assert compare_described(load_plaintext(plaintext, meta), meta) == []


@pytest.mark.parametrize(
    ("preview", "message"),
    [
        (0, f"A preview shows 1 to {PREVIEW_MAX_ROWS} rows"),
        (PREVIEW_MAX_ROWS + 1, f"1 to {PREVIEW_MAX_ROWS} rows .* not {PREVIEW_MAX_ROWS + 1}"),
        (["p1", "p9"], r"Preview rows \['p9'\] are not in the data's index"),
    ],
)
def test_aPreviewOfNoRows_tooManyRows_orUnknownRows_isRefused(
    preview: object, message: str
) -> None:
    big = pd.concat([patients()] * 6, ignore_index=True) if preview != ["p1", "p9"] else None
    with pytest.raises(DataValidationError, match=message):
        build(big, preview=preview)


def document(**shown: object) -> dict:
    return build(**shown)[0].to_dict()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["preview"][0].pop(), "Preview row 1 has 4 values for 5 columns"),
        (lambda d: d["preview"].extend([d["preview"][0]] * 20), "invalid at preview"),
        (lambda d: d["summary"]["columns"].pop(), "every column once, in column order"),
        (lambda d: d["summary"]["columns"][1].update(missing=0), r"\['bmi'\] do not add up"),
        (lambda d: d["summary"]["classes"][0].update(count=9), "class counts add up to 10"),
        (lambda d: d["summary"]["columns"][0].update(median=50), "invalid at summary/columns/0"),
        (lambda d: d.update(labelled=False, target=None), "class balance, but there is no target"),
    ],
)  # fmt: skip
def test_documentsThatContradictThemselves_areRefused(change: object, message: str) -> None:
    doc = document(preview=2, summary=True)
    change(doc)  # type: ignore[operator]
    with pytest.raises(DataValidationError, match=message):
        DatasetMetadata.from_dict(doc)


def test_aBuyer_seesWhatTheDataDoesNotBearOut() -> None:
    meta, plaintext = build(preview=2, summary=True)
    data = load_plaintext(plaintext, meta)
    assert compare_described(data, meta) == []
    doc = meta.to_dict()
    doc["preview"][1][0] = 99  # an owner who shows a row that is not in the data
    doc["summary"]["columns"][0]["max"] = 70  # and flatters the range
    doc["summary"]["classes"] = [{"label": "sick", "count": 2}, {"label": "well", "count": 2}]
    doc["summary"]["columns"][4]["distinct"] = 2
    lying = DatasetMetadata.from_dict(doc)

    assert compare_described(data, lying) == [
        "preview row 2 [99, None, False, 'Turin', 'well'] is not a row of the data",
        "the summary of column 'age' says {'max': 70}; the data gives {'max': 61}",
        "the class balance says [{'label': 'sick', 'count': 2}, {'label': 'well', 'count': 2}]; "
        "the data gives [{'label': 'sick', 'count': 3}, {'label': 'well', 'count': 1}]",
    ]
    assert compare_described(data, meta) == []  # the honest metadata kept its own copy
