"""Data the package refuses, checked before a task is inferred or anything is sent.

One module for every check of the data a model learns from, used by
``market.data.publish``, ``market.competitions.create``, ``Quantizer.fit`` and the
dashboard's upload forms:

* A **target** must hold a finite value in every row: one NaN in a 0/1 column makes
  pandas store it as floats, which would otherwise turn a classification into a
  regression and publish the NaN row. A regression also needs numbers. The task
  is then the one given, or inferred as before: ``"regression"`` for float
  values, ``"classification"`` otherwise (:func:`validate_target`).
* Every other column is a **feature**: it must hold a finite number in every row
  (:func:`validate_features`; booleans count as 0 and 1). Text, dates, missing
  (NaN) and infinite values are refused, naming the columns and rows.

:func:`validate_frame` runs both, as publishing and creating a competition do.

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
    >>> validate_frame(pd.DataFrame({"city": ["Oslo", "Rome"], "y": [0, 1]}), target="y")
    Traceback (most recent call last):
    ...
    mlmarket.errors.FeatureValidationError: Feature 'city' holds text values such as 'Oslo'. ...
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api import types as ptypes

from mlmarket.errors import ConfigurationError, FeatureValidationError, TargetValidationError

__all__ = [
    "TASKS",
    "Task",
    "validate_features",
    "validate_frame",
    "validate_target",
    "validate_target_column",
]

Task = Literal["classification", "regression"]
TASKS: tuple[Task, ...] = ("classification", "regression")
SHOWN_ROWS = 5
"""How many offending row labels a message names."""
SHOWN_COLUMNS = 5
"""How many offending feature columns a message names."""


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


def validate_features(
    frame: pd.DataFrame, *, target: str | None = None, fix: str = ""
) -> list[str]:
    """Refuse feature columns a model cannot learn from; return the feature names.

    Every column but ``target`` is a feature and needs a finite number in every row:
    text (or other non-numeric) values, missing (NaN) and infinite values are refused.
    ``fix`` ends the message with another way out (``publish`` says how to publish the
    data as it is).

    Raises:
        FeatureValidationError: naming each offending column (the first
            :data:`SHOWN_COLUMNS`) with its rows, and what to do.

    Example:
        >>> frame = pd.DataFrame({"age": [54.0, None], "dose": [1, 2], "y": [0, 1]})
        >>> validate_features(frame.fillna(60.0), target="y")
        ['age', 'dose']
        >>> validate_features(frame, target="y")
        Traceback (most recent call last):
        ...
        mlmarket.errors.FeatureValidationError: Feature 'age' has 1 missing value (NaN), ...
    """
    features = [c for c in frame.columns if c != target]
    if _all_finite_numbers(frame, target):  # the usual case, checked at once
        return [str(c) for c in features]
    problems: dict[str, list[str]] = {"text": [], "non-numeric": [], "gaps": []}
    said = []
    for name in features:
        kind, what = _problem(frame[name])
        if kind:
            problems[kind].append(str(name))
            said.append(f"{str(name)!r} {what}")
    if not said:
        return [str(c) for c in features]
    more = f" and {_count(len(said) - SHOWN_COLUMNS, 'more column')}" * (len(said) > SHOWN_COLUMNS)
    ways = {
        "text": f"encode text as numbers (pd.get_dummies(df, columns={problems['text']!r})) "
        "or drop those columns",
        "non-numeric": f"convert {', '.join(map(repr, problems['non-numeric']))} to numbers "
        "or drop them",
        "gaps": "drop or fill the rows with missing or infinite values (df.dropna(), "
        "df.fillna(...))",
    }
    raise FeatureValidationError(
        f"{'Feature' if len(said) == 1 else 'Features'} {'; '.join(said[:SHOWN_COLUMNS])}{more}. "
        "A model needs a finite number in every feature of every row: "
        f"{'; '.join(ways[kind] for kind in ways if problems[kind])}{fix}."
    )


def validate_frame(
    frame: pd.DataFrame,
    *,
    target: str | None = None,
    task: str | None = None,
    raw: bool = False,
    fix: str = "",
) -> Task | None:
    """Everything a model needs of ``frame``: :func:`validate_target_column` (if there is a
    ``target``), then :func:`validate_features` (unless ``raw``: data published as it is,
    on purpose). Returns the target's task, or None.

    Example:
        >>> validate_frame(pd.DataFrame({"x": [1.5, 2.0], "label": ["a", "b"]}), target="label")
        'classification'
        >>> validate_frame(pd.DataFrame({"note": ["ok", None]}), raw=True) is None
        True
    """
    chosen = None if target is None else validate_target_column(frame, target, task=task)
    if not raw:
        validate_features(frame, target=target, fix=fix)
    return chosen


def _all_finite_numbers(frame: pd.DataFrame, target: str | None) -> bool:
    """True when every feature column has a NumPy integer, boolean or float dtype and every
    float is finite: one check over all columns (per column, the same check costs about
    0.1 ms a column). False when any column needs the detailed check."""
    positions = [i for i, name in enumerate(frame.columns) if name != target]
    kinds = [dtype.kind if isinstance(dtype, np.dtype) else None for dtype in frame.dtypes]
    if not all(kinds[i] in ("b", "i", "u", "f") for i in positions):
        return False
    floats = [i for i in positions if kinds[i] == "f"]
    return not floats or bool(np.isfinite(frame.iloc[:, floats].to_numpy()).all())


def _numeric(column: pd.Series) -> bool:
    return ptypes.is_numeric_dtype(column.dtype) and column.dtype.kind != "c"


def _problem(column: pd.Series) -> tuple[str, str]:
    """What keeps a model from learning from a feature column: ``("text", "holds text values
    such as 'a'")``, ``("non-numeric", ...)``, ``("gaps", "has 1 missing value (NaN), in
    row 3")``, or ``("", "")``."""
    found = _not_a_number(column)
    if found is not None:
        kind, value = found
        return kind, f"holds {kind} values such as {value!r}"
    if not _numeric(column) and column.dtype.kind != "O":  # e.g. dates, all missing
        return "non-numeric", f"holds {column.dtype} values"
    gaps = _gaps(column)
    return ("gaps", gaps) if gaps else ("", "")


def _not_a_number(series: pd.Series) -> tuple[str, Any] | None:
    """The first value of a non-numeric column that is not a number, as ``("text", value)``
    or ``("non-numeric", value)``; None if there is none."""
    if _numeric(series):
        return None
    for value in series.dropna():
        if not isinstance(value, numbers.Real):
            return ("text" if isinstance(value, str) else "non-numeric"), value
    return None


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


def _gap_masks(series: pd.Series) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Where ``series`` has missing values, and where infinite ones."""
    missing = series.isna().to_numpy(dtype=bool)
    return missing, _infinite(series) & ~missing


def _gaps(series: pd.Series) -> str:
    """``has 2 missing values (NaN), in rows 3, 7 and 1 infinite value (±inf), in row 9``,
    or ``""`` when every value is there and finite."""
    missing, infinite = _gap_masks(series)
    parts = []
    if missing.any():
        rows = series.index[missing]
        parts.append(f"{_count(len(rows), 'missing value')} (NaN), in {_rows(rows)}")
    if infinite.any():
        rows = series.index[infinite]
        parts.append(f"{_count(len(rows), 'infinite value')} (±inf), in {_rows(rows)}")
    return f"has {' and '.join(parts)}" if parts else ""


def _refuse_gaps(series: pd.Series, name: str) -> None:
    gaps = _gaps(series)
    if not gaps:
        return
    missing, infinite = (bool(mask.any()) for mask in _gap_masks(series))
    drop = (
        f"df.replace([np.inf, -np.inf], np.nan).dropna(subset=[{name!r}])"
        if infinite
        else f"df.dropna(subset=[{name!r}])"
    )
    cast = (
        f"; labels that NaN turned into floats stay floats after that, so cast them back "
        f"(df[{name!r}].astype(int)) or pass task='classification' for a classification"
        if missing and series.dtype.kind == "f"
        else ""
    )
    raise TargetValidationError(
        f"Target {name!r} {gaps}: a target needs a finite value in every "
        f"row. Drop those rows ({drop}) or fill them with real values{cast}."
    )


def _refuse_text(series: pd.Series, name: str) -> None:
    found = _not_a_number(series)
    if found is not None:
        kind, value = found
        raise TargetValidationError(
            f"Target {name!r} holds {kind} values such as {value!r}; a regression needs "
            f"numbers — use task='classification' or convert the column "
            f"(pd.to_numeric(df[{name!r}]))."
        )
