"""Target columns the package refuses, checked before a task is inferred or anything is sent.

A target must hold a finite value in every row: one NaN in a 0/1 column makes
pandas store it as floats, which would otherwise turn a classification into a
regression and publish the NaN row. A regression also needs numbers. The task
is then the one given, or inferred as before: ``"regression"`` for float
values, ``"classification"`` otherwise.

Example:
    >>> import pandas as pd
    >>> validate_target(pd.Series([0, 1, 1]), name="diagnosis")
    'classification'
    >>> validate_target(pd.Series([25.0, 151.0]), name="progression")
    'regression'
    >>> validate_target(pd.Series([0.0, None, 1.0], index=[10, 11, 12]), name="y")
    Traceback (most recent call last):
    ...
    mlmarket.errors.TargetValidationError: Target 'y' has 1 missing value (NaN), in row 11: ...
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api import types as ptypes

from mlmarket.errors import ConfigurationError, TargetValidationError

__all__ = ["TASKS", "Task", "validate_target", "validate_target_column"]

Task = Literal["classification", "regression"]
TASKS: tuple[Task, ...] = ("classification", "regression")
SHOWN_ROWS = 5
"""How many offending row labels a message names."""


def validate_target(y: Any, *, task: str | None = None, name: str = "y") -> Task:
    """Refuse a target with missing or infinite values, or text for a regression.

    Returns the task the target is valid for: ``task`` if given, else
    ``"regression"`` for float values and ``"classification"`` otherwise.
    Messages name the offending rows by their index labels (a Series') or
    positions (anything else).

    Raises:
        TargetValidationError: NaN / missing / ±inf values, or non-numeric values
            with ``task="regression"``.
        ConfigurationError: ``task`` is neither None nor one of :data:`TASKS`.

    Example:
        >>> validate_target(["a", "b"], task="regression", name="x")
        Traceback (most recent call last):
        ...
        mlmarket.errors.TargetValidationError: Target 'x' holds text values such as 'a'; ...
    """
    if task is not None and task not in TASKS:
        raise ConfigurationError(
            f"task must be 'classification', 'regression' or None (to infer it), not {task!r}."
        )
    series = _as_series(y, name)
    _refuse_gaps(series, name)
    if task == "regression":
        _refuse_text(series, name)
    if task is not None:
        return cast(Task, task)
    return "regression" if np.asarray(series).dtype.kind == "f" else "classification"


def validate_target_column(frame: pd.DataFrame, target: str, *, task: str | None = None) -> Task:
    """:func:`validate_target` on ``frame[target]``, refusing a target that is not a column.

    Example:
        >>> frame = pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]})
        >>> validate_target_column(frame, "y")
        'classification'
        >>> validate_target_column(frame, "label")
        Traceback (most recent call last):
        ...
        mlmarket.errors.TargetValidationError: Target 'label' is not a column; columns: x, y.
    """
    if target not in frame.columns:
        raise TargetValidationError(
            f"Target {target!r} is not a column; columns: {', '.join(map(str, frame.columns))}."
        )
    return validate_target(frame[target], task=task, name=target)


def _as_series(y: Any, name: str) -> pd.Series:
    if isinstance(y, pd.Series):
        return y
    array = np.asarray(y)
    if array.ndim != 1:
        raise TargetValidationError(
            f"Target {name!r} must be one column (1-D); got shape {array.shape}. "
            "Pass a single column, e.g. df['label']."
        )
    return pd.Series(array, dtype=array.dtype)


def _infinite(series: pd.Series) -> npt.NDArray[np.bool_]:
    """Where ``series`` holds +inf or -inf (missing values are not infinite)."""
    if ptypes.is_bool_dtype(series.dtype) or not ptypes.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=object)
        return np.array(
            [isinstance(v, float | np.floating) and math.isinf(v) for v in values], dtype=bool
        )
    if series.dtype.kind == "c":
        return np.isinf(series.to_numpy())
    return np.isinf(series.to_numpy(dtype=np.float64, na_value=np.nan))


def _rows(index: pd.Index) -> str:
    """``"row 7"`` or ``"rows 1, 2, 3, 4, 5 and 12 more"``."""
    labels = [repr(v.item() if isinstance(v, np.generic) else v) for v in index[:SHOWN_ROWS]]
    more = len(index) - len(labels)
    listed = ", ".join(labels) + (f" and {more} more" if more else "")
    return f"row{'s' if len(index) > 1 else ''} {listed}"


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n > 1 else ''}"


def _refuse_gaps(series: pd.Series, name: str) -> None:
    missing = series.isna().to_numpy(dtype=bool)
    infinite = _infinite(series) & ~missing
    if not missing.any() and not infinite.any():
        return
    parts = []
    if missing.any():
        rows = series.index[missing]
        parts.append(f"{_count(len(rows), 'missing value')} (NaN), in {_rows(rows)}")
    if infinite.any():
        rows = series.index[infinite]
        parts.append(f"{_count(len(rows), 'infinite value')} (±inf), in {_rows(rows)}")
    drop = (
        f"df.replace([np.inf, -np.inf], np.nan).dropna(subset=[{name!r}])"
        if infinite.any()
        else f"df.dropna(subset=[{name!r}])"
    )
    cast = (
        f"; labels that NaN turned into floats stay floats after that, so cast them back "
        f"(df[{name!r}].astype(int)) or pass task='classification' for a classification"
        if missing.any() and series.dtype.kind == "f"
        else ""
    )
    raise TargetValidationError(
        f"Target {name!r} has {' and '.join(parts)}: a target needs a finite value in every "
        f"row. Drop those rows ({drop}) or fill them with real values{cast}."
    )


def _refuse_text(series: pd.Series, name: str) -> None:
    if ptypes.is_numeric_dtype(series.dtype) and series.dtype.kind != "c":
        return
    for value in series:
        if isinstance(value, numbers.Real):
            continue
        kind = "text" if isinstance(value, str) else "non-numeric"
        raise TargetValidationError(
            f"Target {name!r} holds {kind} values such as {value!r}; a regression needs "
            f"numbers — use task='classification' or convert the column "
            f"(pd.to_numeric(df[{name!r}]))."
        )
