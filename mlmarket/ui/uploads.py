"""Data the forms accept: a sample by name, or a CSV uploaded with ``FileUpload``.

Every check happens before anything is sent, and every refusal is an
:class:`~mlmarket.ui.base.InputError` with a sentence the panel shows — or, for data
no model can learn from, the error the API would raise, from the same checks
(:mod:`mlmarket.ml.validation`): :class:`~mlmarket.errors.TargetValidationError` for
a target with missing or infinite values, :class:`~mlmarket.errors.FeatureValidationError`
for features with text, missing or infinite values (unless published raw).

Example:
    >>> frame = read_upload([{"name": "t.csv", "content": b"x,y\\n1,0\\n2,1\\n"}])
    >>> check_frame(frame, target="y").shape
    (2, 2)
    >>> check_frame(frame, target="label")
    Traceback (most recent call last):
    ...
    mlmarket.ui.base.InputError: The data has no column 'label' (its columns: x, y).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from mlmarket.datasets import SAMPLES, load_sample
from mlmarket.ml.validation import validate_frame
from mlmarket.ui.base import InputError

UPLOAD = "upload"
"""The source value meaning "the CSV in the upload widget"."""


def source_options() -> list[tuple[str, str]]:
    """Dropdown options: every sample dataset, then the uploaded CSV."""
    samples = [(f"sample: {name} ({info.task})", name) for name, info in SAMPLES.items()]
    return [*samples, ("uploaded CSV", UPLOAD)]


def upload_name(value: Sequence[Mapping[str, Any]]) -> str | None:
    """The file name in a ``FileUpload`` value, or None if nothing was uploaded."""
    return str(value[0].get("name", "upload.csv")) if value else None


def read_upload(value: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The uploaded CSV as a DataFrame, refused if it is not a clean table."""
    if not value:
        raise InputError("Upload a CSV file first (or choose a sample).")
    name = upload_name(value)
    content = bytes(value[0]["content"])
    if not content.strip():
        raise InputError(f"{name} is empty.")
    try:
        header = next(csv.reader(io.StringIO(content.decode("utf-8").splitlines()[0])))
    except UnicodeDecodeError:
        raise InputError(f"{name} is not a text CSV file (it is not UTF-8).") from None
    blank = [i + 1 for i, column in enumerate(header) if not column.strip()]
    if blank:
        raise InputError(f"{name} has columns without a name (position {blank[0]}).")
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        raise InputError(f"{name} names columns more than once: {', '.join(duplicates)}.")
    try:
        frame = pd.read_csv(io.BytesIO(content))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        raise InputError(f"{name} could not be read as CSV: {error}") from None
    if len(frame) == 0:
        raise InputError(f"{name} has a header but no rows.")
    return frame


def load_source(source: str, upload: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The DataFrame a form's source names: a sample, or the upload."""
    if source == UPLOAD:
        return read_upload(upload)
    if source not in SAMPLES:
        raise InputError(f"Choose a sample or an uploaded CSV, not {source!r}.")
    return load_sample(source)


def check_frame(
    frame: pd.DataFrame,
    *,
    target: str | None = None,
    raw: bool = False,
    columns: Sequence[str] | None = None,
    fix: str = "",
) -> pd.DataFrame:
    """Refuse other columns than expected, a missing or unusable target, and (unless ``raw``)
    features with text, missing or infinite values; ``fix`` ends that refusal with another
    way out.

    ``columns``: the exact columns expected (e.g. a competition's or a template's).
    """
    names = [str(c) for c in frame.columns]
    if columns is not None and names != list(columns):
        missing = [c for c in columns if c not in names]
        extra = [c for c in names if c not in columns]
        detail = "; ".join(
            part for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(extra)}" if extra else "",
            ) if part
        ) or "the same columns in another order"  # fmt: skip
        raise InputError(f"The data has the wrong columns: {detail}.")
    if target is not None and target not in names:
        raise InputError(f"The data has no column {target!r} (its columns: {', '.join(names)}).")
    validate_frame(frame, target=target, raw=raw, fix=fix)  # names the columns and rows
    return frame
