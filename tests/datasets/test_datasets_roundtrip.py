"""Property test: describe() then load_plaintext() gives the DataFrame back."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from mlmarket.datasets import describe, load_plaintext

NAMES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8
)
FLOATS = st.floats(allow_nan=True, allow_infinity=True)
# Empty strings are stored as missing values (documented), so they are not generated.
STRINGS = st.one_of(st.none(), st.text(min_size=1, max_size=10))


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    names = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
    rows = draw(st.integers(min_value=1, max_value=6))
    columns = {}
    for name in names:
        kind = draw(st.sampled_from(["int64", "float64", "bool", "string"]))
        if kind == "int64":
            values = st.integers(min_value=-(2**63), max_value=2**63 - 1)
        else:
            values = {"float64": FLOATS, "bool": st.booleans(), "string": STRINGS}[kind]
        data = draw(st.lists(values, min_size=rows, max_size=rows))
        if kind == "string":
            columns[name] = pd.Series(data, dtype=object)
        else:
            columns[name] = pd.Series(data, dtype=kind)
    return pd.DataFrame(columns)


@given(df=frames())
def test_describe_load_round_trip(df: pd.DataFrame) -> None:
    meta, plaintext = describe(
        df,
        name="random",
        description="",
        labelled=False,
        target=None,
        license="CC0-1.0",
        dataset_id="00" * 16,
        created="2024-01-01T00:00:00Z",
    )
    loaded = load_plaintext(plaintext, meta)
    assert loaded.columns.tolist() == df.columns.tolist()
    assert len(loaded) == meta.rows == len(df)
    for column in meta.columns:
        expected, actual = df[column.name], loaded[column.name]
        if column.dtype == "string":
            assert [v if isinstance(v, str) else None for v in actual] == [
                v if isinstance(v, str) else None for v in expected
            ]
        else:
            pd.testing.assert_series_equal(actual, expected, check_names=False)
    assert describe(loaded, **_same_args(meta))[1] == plaintext


def _same_args(meta: object) -> dict[str, object]:
    return {
        "name": "random",
        "description": "",
        "labelled": False,
        "target": None,
        "license": "CC0-1.0",
        "dataset_id": "00" * 16,
        "created": "2024-01-01T00:00:00Z",
    }
