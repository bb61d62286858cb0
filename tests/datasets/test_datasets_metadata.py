"""DatasetMetadata, describe() and load_plaintext()."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from jsonschema import Draft202012Validator

from mlmarket.datasets import (
    DTYPES,
    SCHEMA_VERSION,
    Column,
    DatasetMetadata,
    describe,
    load_plaintext,
    metadata_schema,
    validate_document,
)
from mlmarket.errors import DataIntegrityError, DataValidationError

DSID = "0123456789abcdef0123456789abcdef"
CREATED = "2024-05-01T12:00:00Z"


def patients() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [54, 61, 47],
            "bmi": [22.5, np.nan, 31.25],
            "smoker": [True, False, False],
            "site": ["Leeds", "Turin", None],
            "diagnosis": [1, 0, 1],
        }
    )


def build(df: pd.DataFrame | None = None, **overrides: object) -> tuple[DatasetMetadata, bytes]:
    kwargs: dict[str, object] = {
        "name": "patients",
        "description": "Three made-up patients.",
        "labelled": True,
        "target": "diagnosis",
        "license": "CC0-1.0",
        "dataset_id": DSID,
        "created": CREATED,
    }
    kwargs.update(overrides)
    return describe(patients() if df is None else df, **kwargs)  # type: ignore[arg-type]


def test_describe_fields_and_bytes() -> None:
    meta, plaintext = build()
    assert plaintext == (
        b"age,bmi,smoker,site,diagnosis\n"
        b"54,22.5,True,Leeds,1\n"
        b"61,,False,Turin,0\n"
        b"47,31.25,False,,1\n"
    )
    assert meta.schema == SCHEMA_VERSION == "mlmarket.dataset/1"
    assert meta.columns == (
        Column("age", "int64"),
        Column("bmi", "float64"),
        Column("smoker", "bool"),
        Column("site", "string"),
        Column("diagnosis", "int64"),
    )
    assert (meta.rows, meta.labelled, meta.target, meta.format) == (3, True, "diagnosis", "csv")
    assert meta.sha256 == hashlib.sha256(plaintext).hexdigest()
    assert meta.feature_names == ["age", "bmi", "smoker", "site"]


def test_describe_is_deterministic() -> None:
    assert build()[1] == build()[1]
    assert build()[0].to_json() == build()[0].to_json()


def test_json_round_trip_and_canonical_form() -> None:
    meta, _ = build()
    text = meta.to_json()
    assert DatasetMetadata.from_json(text) == meta
    assert DatasetMetadata.from_json(text.encode()) == meta
    document = json.loads(text)
    assert list(document) == sorted(document)
    assert document["columns"][0] == {"name": "age", "dtype": "int64"}
    Draft202012Validator(metadata_schema()).validate(document)


def test_load_plaintext_round_trip() -> None:
    meta, plaintext = build()
    df = load_plaintext(plaintext, meta)
    expected = patients()
    pd.testing.assert_frame_equal(df, expected, check_dtype=False)
    assert [str(df[c].dtype) for c in ["age", "bmi", "smoker"]] == ["int64", "float64", "bool"]


def test_narrow_types_are_widened() -> None:
    df = pd.DataFrame({"x": np.array([1, 2], "int8"), "y": np.array([0.1, 0.1], "float32")})
    meta, plaintext = build(df, labelled=False, target=None)
    assert [c.dtype for c in meta.columns] == ["int64", "float64"]
    assert load_plaintext(plaintext, meta)["y"].iloc[0] == float(np.float32(0.1))


def test_string_categories_are_strings() -> None:
    df = pd.DataFrame({"grade": pd.Categorical(["a", "b", "a"]), "y": [1, 0, 1]})
    meta, plaintext = build(df, target="y")
    assert meta.columns[0].dtype == "string"
    assert load_plaintext(plaintext, meta)["grade"].tolist() == ["a", "b", "a"]


def test_unlabelled_dataset() -> None:
    meta, _ = build(labelled=False, target=None)
    assert meta.target is None
    assert meta.feature_names == meta.column_names


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        (datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))), CREATED),
        (datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC), "2024-05-01T12:00:00.250000Z"),
        (CREATED, CREATED),
    ],
)
def test_created_is_utc(created: datetime | str, expected: str) -> None:
    assert build(created=created)[0].created == expected


def test_created_defaults_to_now() -> None:
    created = build(created=None)[0].created
    when = datetime.fromisoformat(created)
    assert abs((datetime.now(UTC) - when).total_seconds()) < 60


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "name is empty"),
        ({"name": "   "}, "name is empty"),
        ({"target": "outcome"}, "target 'outcome' is not a column"),
        ({"target": None}, "labelled=True needs target"),
        ({"labelled": False}, "pass labelled=True or target=None"),
        ({"dataset_id": "XYZ"}, "invalid at dataset_id.*new_dataset_id"),
        ({"license": ""}, "invalid at license"),
        ({"created": "yesterday"}, "invalid at created.*ISO 8601"),
        ({"created": "2024-13-01T00:00:00Z"}, "not a real date"),
        ({"created": datetime(2024, 1, 1)}, "timezone-aware"),
    ],
)
def test_describe_rejects_bad_arguments(overrides: dict, message: str) -> None:
    with pytest.raises(DataValidationError, match=message):
        build(**overrides)


@pytest.mark.parametrize(
    ("df", "message"),
    [
        (pd.DataFrame(), "DataFrame is empty"),
        (pd.DataFrame({"diagnosis": []}), "DataFrame is empty"),
        (pd.DataFrame({0: [1], "diagnosis": [1]}), "non-empty strings.*Rename"),
        (pd.DataFrame({"": [1], "diagnosis": [1]}), "non-empty strings"),
        (pd.DataFrame([[1, 2, 3]], columns=["a", "a", "diagnosis"]), r"unique; \['a'\]"),
        (pd.DataFrame({"a": [1, 2], "diagnosis": [1.0, np.nan]}), "1 missing values"),
        (pd.DataFrame({"a": ["x", "y"], "diagnosis": ["b", None]}), "1 missing values"),
        (pd.DataFrame({"a": [1, "x"], "diagnosis": [1, 0]}), "cast it to int, float"),
        (pd.DataFrame({"a": pd.to_datetime(["2024-01-01"]), "diagnosis": [1]}), "ISO 8601"),
        (pd.DataFrame({"a": pd.array([1, None], "Int64"), "diagnosis": [1, 0]}), "missing"),
        (pd.DataFrame({"a": [1 + 2j], "diagnosis": [1]}), "cannot describe"),
    ],
)
def test_describe_rejects_bad_frames(df: pd.DataFrame, message: str) -> None:
    with pytest.raises(DataValidationError, match=message):
        build(df)


def test_describe_needs_a_dataframe() -> None:
    with pytest.raises(DataValidationError, match="needs a pandas DataFrame"):
        build([[1, 2]])  # type: ignore[arg-type]


def test_load_detects_tampered_bytes() -> None:
    meta, plaintext = build()
    with pytest.raises(DataIntegrityError, match="metadata records"):
        load_plaintext(plaintext.replace(b"54", b"55"), meta)


def test_load_checks_columns() -> None:
    meta, plaintext = build()
    renamed = plaintext.replace(b"site", b"city", 1)
    with pytest.raises(DataValidationError, match=r"missing \['site'\], unexpected \['city'\]"):
        load_plaintext(renamed, meta, check_hash=False)


def test_load_checks_column_order() -> None:
    meta, _ = build()
    _, swapped = build(patients()[["bmi", "age", "smoker", "site", "diagnosis"]])
    with pytest.raises(DataValidationError, match="different order"):
        load_plaintext(swapped, meta, check_hash=False)


def test_load_checks_row_count() -> None:
    meta, plaintext = build()
    with pytest.raises(DataValidationError, match="2 data rows but the metadata says 3"):
        load_plaintext(plaintext.rsplit(b"\n", 2)[0] + b"\n", meta, check_hash=False)


def test_load_checks_types() -> None:
    meta, plaintext = build()
    with pytest.raises(DataValidationError, match="do not match the column types"):
        load_plaintext(plaintext.replace(b"54,", b"5.4,"), meta, check_hash=False)


def test_load_rejects_non_csv() -> None:
    meta, _ = build()
    with pytest.raises(DataValidationError, match="not readable CSV"):
        load_plaintext(b"", meta, check_hash=False)


def document() -> dict:
    return build()[0].to_dict()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema": "mlmarket.dataset/2"}, "invalid at schema"),
        ({"rows": 0}, "invalid at rows"),
        ({"rows": True}, "invalid at rows"),
        ({"sha256": "AB" * 32}, "invalid at sha256"),
        ({"format": "parquet"}, "invalid at format"),
        ({"columns": []}, "invalid at columns"),
        ({"columns": [{"name": "a", "dtype": "complex"}]}, "invalid at columns/0/dtype"),
        ({"extra": 1}, "Additional properties"),
        ({"labelled": False}, "invalid at target"),
        ({"target": "nope"}, "not one of its columns"),
        ({"columns": [{"name": "a", "dtype": "int64"}] * 2, "target": "a"}, "more than once"),
    ],
)
def test_invalid_documents(change: dict, message: str) -> None:
    with pytest.raises(DataValidationError, match=message):
        DatasetMetadata.from_dict({**document(), **change})


def test_missing_field() -> None:
    doc = document()
    del doc["license"]
    with pytest.raises(DataValidationError, match="'license' is a required property"):
        validate_document(doc)


@pytest.mark.parametrize("text", ["{", "[]", b"\xff"])
def test_from_json_rejects_non_objects(text: str | bytes) -> None:
    with pytest.raises(DataValidationError, match="not valid JSON|must be a JSON object"):
        DatasetMetadata.from_json(text)


def test_direct_construction_is_validated() -> None:
    fields = {**document(), "columns": [("age", "int64"), ("diagnosis", "int64")], "rows": 1}
    assert DatasetMetadata(**fields).column_names == ["age", "diagnosis"]
    with pytest.raises(DataValidationError, match="invalid at name"):
        DatasetMetadata(**{**fields, "name": ""})
    with pytest.raises(DataValidationError, match="must be a Column"):
        DatasetMetadata(**{**fields, "columns": ["age"]})


def test_metadata_is_frozen() -> None:
    meta, _ = build()
    with pytest.raises(AttributeError, match="cannot assign"):
        meta.name = "other"  # type: ignore[misc]


def test_schema_document_matches_code() -> None:
    schema = metadata_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema"]["const"] == SCHEMA_VERSION
    dtype_enum = schema["properties"]["columns"]["items"]["properties"]["dtype"]["enum"]
    assert tuple(dtype_enum) == DTYPES
    assert set(schema["required"]) == set(document())
