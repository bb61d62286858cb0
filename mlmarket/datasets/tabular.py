"""Deterministic CSV bytes for DataFrames, and the column types metadata records.

A column's ``dtype`` in dataset metadata is one of :data:`DTYPES`:

=========  =================================================  ====================
dtype      pandas columns it describes                        missing values
=========  =================================================  ====================
int64      any integer dtype (nullable ones without NA)       not allowed
float64    any float dtype (float32 is widened first)         empty field -> NaN
bool       bool / boolean without NA                          not allowed
string     str, string, object or category of strings         empty field -> NA
=========  =================================================  ====================

Serialisation is ``df.to_csv(index=False, lineterminator="\\n")`` encoded as
UTF-8 after casting each column to its metadata type, so the same frame always
gives the same bytes (floats are written with Python's shortest round-trip
repr). The index is not stored; call ``df.reset_index()`` first to keep it.
Empty strings and missing values in a string column both load as missing.
Records end with ``\n`` only: a ``\r`` is data (it may appear unquoted inside a
field), so read the bytes with :func:`read_csv_bytes` or
``pd.read_csv(..., lineterminator="\\n")``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import pandas as pd
from pandas.api import types as ptypes

from mlmarket.errors import DataValidationError

DTYPES = ("int64", "float64", "bool", "string")
"""The column types dataset metadata can record."""

_INT64_MAX = 2**63 - 1
_READ_DTYPES = {"int64": "int64", "float64": "float64", "bool": "bool", "string": str}
# pandas < 3 needs this for exact float round trips; pandas 3 made it the default
# and deprecated the argument.
_PANDAS_MAJOR = int(pd.__version__.split(".")[0])
_FLOAT_OPTIONS = {"float_precision": "round_trip"} if _PANDAS_MAJOR < 3 else {}


def _is_string_column(column: pd.Series) -> bool:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return all(isinstance(v, str) for v in column.dtype.categories)
    if ptypes.is_string_dtype(column.dtype):
        return all(isinstance(v, str) for v in column.dropna())
    return False


def column_dtype(name: str, column: pd.Series) -> str:
    """Return the metadata dtype of a DataFrame column, or explain why it has none.

    Example:
        >>> column_dtype("age", pd.Series([54, 61], dtype="int32"))
        'int64'
    """
    dtype, has_na = column.dtype, bool(column.isna().any())
    if ptypes.is_bool_dtype(dtype) or ptypes.is_integer_dtype(dtype):
        kind = "bool" if ptypes.is_bool_dtype(dtype) else "int64"
        if has_na:
            raise DataValidationError(
                f"Column {name!r} ({dtype}) has missing values, which CSV cannot keep for "
                f"{kind} columns; fill them (df[{name!r}].fillna(...)) or cast to float."
            )
        if kind == "int64" and len(column) and int(column.max()) > _INT64_MAX:
            raise DataValidationError(f"Column {name!r} has integers above the int64 range.")
        return kind
    if ptypes.is_float_dtype(dtype):
        return "float64"
    if _is_string_column(column):
        return "string"
    hint = (
        "format it as ISO 8601 text (df[c] = df[c].dt.strftime('%Y-%m-%dT%H:%M:%S'))"
        if ptypes.is_datetime64_any_dtype(dtype)
        else "cast it to int, float, bool or str"
    )
    raise DataValidationError(
        f"Column {name!r} has type {dtype}, which dataset metadata cannot describe; {hint}."
    )


def normalise(df: pd.DataFrame, dtypes: Mapping[str, str]) -> pd.DataFrame:
    """Return a copy of ``df`` with each column cast to its metadata dtype."""
    out = df.copy()
    for name, kind in dtypes.items():
        if kind != "string":  # strings and string categories serialise as they are
            out[name] = out[name].astype(kind)
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """Serialise ``df`` deterministically: no index, ``\\n`` line ends, UTF-8.

    Example:
        >>> to_csv_bytes(pd.DataFrame({"x": [1, 2], "y": [0.5, None]}))
        b'x,y\\n1,0.5\\n2,\\n'
    """
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def encode_frame(df: pd.DataFrame) -> tuple[dict[str, str], bytes]:
    """Return ``(dtypes, plaintext)``: each column's metadata dtype and the CSV bytes.

    Example:
        >>> encode_frame(pd.DataFrame({"x": [1.5], "ok": [True]}))
        ({'x': 'float64', 'ok': 'bool'}, b'x,ok\\n1.5,True\\n')
    """
    dtypes = {str(name): column_dtype(str(name), df[name]) for name in df.columns}
    return dtypes, to_csv_bytes(normalise(df, dtypes))


def read_csv_header(data: bytes) -> list[str]:
    """Return the column names in the header line of CSV ``data``."""
    try:
        frame = pd.read_csv(io.BytesIO(data), nrows=0, dtype=str, lineterminator="\n")
        return list(frame.columns)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataValidationError(f"The data is not readable CSV: {exc}.") from None


def read_csv_bytes(data: bytes, columns: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Parse CSV ``data`` with the given ``(name, dtype)`` columns.

    Raises:
        DataValidationError: a value does not fit its column's dtype.
    """
    names = [name for name, _ in columns]
    try:
        return pd.read_csv(
            io.BytesIO(data),
            dtype={name: _READ_DTYPES[kind] for name, kind in columns},
            keep_default_na=False,
            na_values={name: [""] for name in names},
            skip_blank_lines=False,
            lineterminator="\n",
            encoding="utf-8",
            **_FLOAT_OPTIONS,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataValidationError(
            f"The CSV values do not match the column types in the metadata: {exc}."
        ) from None
