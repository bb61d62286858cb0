"""What a buyer sees before buying: preview rows and summary statistics, the owner's word.

Both are optional parts of the public metadata (``preview`` and ``summary``, see
``docs/dataset-metadata.md``), written by the owner at publish time from the data it
encrypts, exactly as a buyer will load it. Nothing on chain checks them against the
encrypted bytes: a buyer trusts them as it trusts the description, and can compare them
with the data only once it has it (:func:`compare_described`).

* :func:`preview_rows`: rows the owner chose (the first ``n``, or by index label), one
  JSON value per column (a missing value is ``null``, an infinite one ``"inf"``).
* :func:`summarise`: per column the count of values and of missing ones, and for numbers
  ``min``, ``mean`` and ``max`` (over the finite values), for booleans ``mean`` (the
  share of True), for text ``distinct``; for a target of whole numbers, booleans or text
  the class balance (``classes``: each label and its count).

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"age": [54, 61, 47], "site": ["Leeds", None, "Leeds"],
    ...                    "sick": [1, 0, 1]})
    >>> preview_rows(df, 2)
    [[54, 'Leeds', 1], [61, None, 0]]
    >>> summary = summarise(df, target="sick")
    >>> summary["columns"][0]
    {'name': 'age', 'count': 3, 'missing': 0, 'min': 47, 'mean': 54.0, 'max': 61}
    >>> summary["columns"][1], summary["classes"]
    ({'name': 'site', 'count': 2, 'missing': 1, 'distinct': 1}, [{'label': 0, 'count': 1}, {'label': 1, 'count': 2}])
"""  # noqa: E501

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from mlmarket.errors import DataValidationError

if TYPE_CHECKING:
    from mlmarket.datasets.metadata import DatasetMetadata

__all__ = [
    "MAX_CLASSES",
    "PREVIEW_MAX_ROWS",
    "check_document",
    "compare_described",
    "preview_rows",
    "summarise",
]

PREVIEW_MAX_ROWS = 20
"""The most rows a preview shows: a sample of the data, not the data."""
MAX_CLASSES = 100
"""A target with more distinct values than this gets no class balance."""

Cell = int | float | str | bool | None


def _cell(value: Any) -> Cell:
    """A value as JSON holds it: ``None`` for missing, ``"inf"`` / ``"-inf"`` for infinities."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    return value  # type: ignore[no-any-return]


def preview_rows(frame: pd.DataFrame, rows: int | Sequence[Hashable]) -> list[list[Cell]]:
    """The rows a buyer sees before buying: the first ``rows`` (a number), or the rows with
    these index labels, in column order.

    Raises:
        DataValidationError: no row, more than :data:`PREVIEW_MAX_ROWS`, or a label that is
            not in the index.
    """
    if isinstance(rows, int | np.integer) and not isinstance(rows, bool):
        chosen = frame.head(int(rows))
        count = int(rows)
    else:
        labels = list(rows)
        unknown = [label for label in labels if label not in frame.index]
        if unknown:
            raise DataValidationError(
                f"Preview rows {unknown[:5]!r} are not in the data's index; choose labels of "
                "its rows (e.g. df.sample(5, random_state=0).index) or a number of first rows."
            )
        chosen, count = frame.loc[labels], len(labels)
    if not 1 <= count <= PREVIEW_MAX_ROWS:
        raise DataValidationError(
            f"A preview shows 1 to {PREVIEW_MAX_ROWS} rows (a sample, not the data), not {count}."
        )
    return [[_cell(value) for value in row] for row in chosen.itertuples(index=False)]


def summarise(frame: pd.DataFrame, target: str | None = None) -> dict[str, Any]:
    """Counts, missing values and ranges of every column, and the target's class balance."""
    summary: dict[str, Any] = {"columns": [_column(str(name), frame[name]) for name in frame]}
    if target is not None:
        labels = frame[target].dropna()
        whole = ptypes.is_float_dtype(labels.dtype) and bool((labels == labels.round()).all())
        categorical = not ptypes.is_float_dtype(labels.dtype) or whole
        if categorical and 0 < labels.nunique() <= MAX_CLASSES:
            counts = labels.value_counts().sort_index()
            summary["classes"] = [
                {"label": _cell(label), "count": int(count)} for label, count in counts.items()
            ]
    return summary


def _column(name: str, column: pd.Series) -> dict[str, Any]:
    missing = int(column.isna().sum())
    stats: dict[str, Any] = {"name": name, "count": len(column) - missing, "missing": missing}
    if ptypes.is_bool_dtype(column.dtype):
        values = column.dropna().astype(bool)
        if len(values):
            stats["mean"] = float(values.mean())
    elif ptypes.is_numeric_dtype(column.dtype) and column.dtype.kind != "c":
        values = column.dropna()
        finite = values[np.isfinite(values.to_numpy(dtype=np.float64))]
        if len(finite):
            stats.update(
                min=_cell(finite.min()), mean=float(finite.mean()), max=_cell(finite.max())
            )
    else:
        stats["distinct"] = int(column.nunique())
    return stats


def check_document(document: Mapping[str, Any]) -> None:
    """The rules JSON Schema cannot express for ``preview`` and ``summary``: one value per
    column in every preview row; a summary of exactly the columns, in order, whose counts
    add up to ``rows``; class counts only for a labelled dataset, adding up to the
    target's count.

    Raises:
        DataValidationError: naming the first rule broken.
    """
    names = [column["name"] for column in document["columns"]]
    for number, row in enumerate(document.get("preview") or [], start=1):
        if len(row) != len(names):
            raise DataValidationError(
                f"Preview row {number} has {len(row)} values for {len(names)} columns; give one "
                "value per column, in column order."
            )
    summary = document.get("summary")
    if summary is None:
        return
    stats = summary["columns"]
    if [entry["name"] for entry in stats] != names:
        raise DataValidationError(
            "The summary must describe every column once, in column order: "
            f"{[entry['name'] for entry in stats]} instead of {names}."
        )
    uneven = [e["name"] for e in stats if e["count"] + e["missing"] != document["rows"]]
    if uneven:
        raise DataValidationError(
            f"The summary's count and missing of {uneven} do not add up to the "
            f"{document['rows']} rows."
        )
    classes = summary.get("classes")
    if classes is None:
        return
    if document["target"] is None:
        raise DataValidationError("The summary gives a class balance, but there is no target.")
    counted = sum(entry["count"] for entry in classes)
    expected = stats[names.index(document["target"])]["count"]
    if counted != expected:
        raise DataValidationError(
            f"The class counts add up to {counted}, but the target has {expected} values."
        )


def compare_described(frame: pd.DataFrame, metadata: DatasetMetadata) -> list[str]:
    """What the bought data does not bear out of the owner's preview and summary (empty if
    all holds): preview rows that are not rows of ``frame``, and a summary other than the
    one ``frame`` gives. ``frame`` is the data as ``market.data.download`` returns it.

    Example:
        >>> from mlmarket.datasets import describe
        >>> df = pd.DataFrame({"x": [1.5, 2.5], "y": [0, 1]})
        >>> meta, _ = describe(df, name="t", description="", labelled=True, target="y",
        ...     license="CC0-1.0", dataset_id="ab" * 16, preview=1, summary=True)
        >>> compare_described(df, meta), compare_described(df.assign(x=[1.5, 9.0]), meta)
        ([], ["the summary of column 'x' says {'mean': 2.0, 'max': 2.5}; the data gives {'mean': 5.25, 'max': 9.0}"])
    """  # noqa: E501
    found = []
    if metadata.preview is not None:
        rows = {tuple(_cell(v) for v in row) for row in frame.itertuples(index=False)}
        for number, row in enumerate(metadata.preview, start=1):
            if tuple(row) not in rows:
                found.append(f"preview row {number} {list(row)!r} is not a row of the data")
    if metadata.summary is not None:
        actual = summarise(frame, metadata.target)
        for said, real in zip(metadata.summary["columns"], actual["columns"], strict=False):
            if said != real:
                keys = [k for k in {**said, **real} if said.get(k) != real.get(k)]
                found.append(
                    f"the summary of column {said['name']!r} says "
                    f"{ {k: said.get(k) for k in keys} }; the data gives "
                    f"{ {k: real.get(k) for k in keys} }"
                )
        if metadata.summary.get("classes") != actual.get("classes"):
            found.append(
                f"the class balance says {metadata.summary.get('classes')}; the data gives "
                f"{actual.get('classes')}"
            )
    return found
