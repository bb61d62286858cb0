"""Dataset metadata: the public JSON document describing an encrypted dataset.

The document follows the JSON Schema shipped as ``metadata.schema.json`` next
to this module (see ``docs/dataset-metadata.md``); :class:`DatasetMetadata` is
its Python form. :func:`describe` turns a DataFrame into metadata plus the
exact plaintext bytes to encrypt, and :func:`load_plaintext` turns decrypted
bytes back into a DataFrame, checking them against the metadata.

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"age": [54, 61], "diagnosis": [1, 0]})
    >>> meta, plaintext = describe(
    ...     df, name="toy", description="Two patients.", labelled=True,
    ...     target="diagnosis", license="CC0-1.0", dataset_id="ab" * 16,
    ...     created="2024-01-02T03:04:05Z")
    >>> plaintext
    b'age,diagnosis\\n54,1\\n61,0\\n'
    >>> DatasetMetadata.from_json(meta.to_json()) == meta
    True
    >>> load_plaintext(plaintext, meta).equals(df)
    True
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlmarket.crypto.integrity import verify_plaintext
from mlmarket.datasets.summary import check_document, preview_rows, summarise
from mlmarket.datasets.tabular import encode_frame, read_csv_bytes, read_csv_header
from mlmarket.errors import DataValidationError

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_VERSION = "mlmarket.dataset/1"
"""Value of the ``schema`` field written by this version of mlmarket."""

_HINTS = {
    "schema": f'it must be "{SCHEMA_VERSION}"',
    "name": "give the dataset a short, non-empty name",
    "columns": 'list every CSV column as {"name": ..., "dtype": ...}',
    "rows": "it counts the data rows and must be at least 1",
    "target": "a labelled dataset names its target column; an unlabelled one has target null",
    "license": "give an SPDX id such as CC-BY-4.0, or a sentence",
    "sha256": "use the 64 lowercase hex characters of hashlib.sha256(plaintext)",
    "dataset_id": "use 32 lowercase hex characters, e.g. mlmarket.crypto.new_dataset_id()",
    "format": 'it must be "csv"',
    "created": "use ISO 8601 in UTC, e.g. 2024-05-01T12:00:00Z",
    "preview": "give at most 20 rows, each a list of one JSON value per column",
    "summary": 'give {"columns": [{"name", "count", "missing", ...}], "classes": [...]}',
}


@functools.cache
def metadata_schema() -> dict[str, Any]:
    """Return the JSON Schema document for dataset metadata (a cached dict; do not mutate)."""
    text = resources.files("mlmarket.datasets").joinpath("metadata.schema.json").read_text("utf-8")
    return json.loads(text)


@functools.cache
def _validator() -> Draft202012Validator:
    # Imported here: jsonschema's import builds an RFC 3987 grammar (~1.4 s), which
    # `import mlmarket` should not pay before any metadata is checked.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(metadata_schema())


def _explain(error: ValidationError) -> str:
    path = list(error.absolute_path)
    where = "/".join(str(p) for p in path) or "the top level"
    field = str(path[0]) if path else ""
    hint = _HINTS.get(field, "see docs/dataset-metadata.md")
    return f"Dataset metadata is invalid at {where}: {error.message}; {hint}."


def validate_document(document: Mapping[str, Any]) -> None:
    """Check a metadata document (a parsed JSON object) against the schema and rules.

    Raises:
        DataValidationError: naming the first problem and how to fix it.

    Example:
        >>> validate_document({"schema": "mlmarket.dataset/1"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        mlmarket.errors.DataValidationError: Dataset metadata is invalid at the top level: ...
    """
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(document))
    if error is not None:
        raise DataValidationError(_explain(error))
    names = [column["name"] for column in document["columns"]]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DataValidationError(f"Dataset metadata lists columns {duplicates} more than once.")
    if document["target"] is not None and document["target"] not in names:
        raise DataValidationError(
            f"Dataset metadata names target {document['target']!r}, which is not one of "
            f"its columns {names}; set target to one of them."
        )
    try:
        datetime.fromisoformat(document["created"])
    except ValueError:
        raise DataValidationError(
            f"Dataset metadata has created={document['created']!r}, which is not a real "
            f"date and time; {_HINTS['created']}."
        ) from None
    check_document(document)


@dataclass(frozen=True)
class Column:
    """One CSV column: its name and its dtype (see :data:`mlmarket.datasets.DTYPES`)."""

    name: str
    dtype: str


def _as_column(value: object) -> Column:
    if isinstance(value, Column):
        return value
    if isinstance(value, Mapping) and set(value) == {"name", "dtype"}:
        return Column(name=value["name"], dtype=value["dtype"])
    if isinstance(value, tuple) and len(value) == 2:
        return Column(*value)
    raise DataValidationError(
        f"A metadata column must be a Column, a (name, dtype) pair or "
        f'{{"name": ..., "dtype": ...}}, not {value!r}.'
    )


@dataclass(frozen=True, kw_only=True)
class DatasetMetadata:
    """Validated dataset metadata (schema ``mlmarket.dataset/1``).

    Construction validates every field; use :func:`describe` to build one from
    a DataFrame, :meth:`from_json` to read one. ``preview`` (rows, one value per
    column) and ``summary`` (statistics) are optional, the owner's word
    (:mod:`mlmarket.datasets.summary`); ``None`` when the owner gave none.
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    rows: int
    labelled: bool
    target: str | None
    license: str
    sha256: str
    dataset_id: str
    created: str
    format: str = "csv"
    schema: str = SCHEMA_VERSION
    preview: list[list[Any]] | None = field(default=None, hash=False)
    summary: dict[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        columns = self.columns
        if isinstance(columns, str | bytes) or not hasattr(columns, "__iter__"):
            raise DataValidationError("Metadata columns must be a list of columns.")
        object.__setattr__(self, "columns", tuple(_as_column(c) for c in columns))
        for name in ("preview", "summary"):  # its own copy: the caller's lists stay theirs
            object.__setattr__(self, name, copy.deepcopy(getattr(self, name)))
        validate_document(self.to_dict())

    @property
    def column_names(self) -> list[str]:
        """The column names, in CSV order."""
        return [column.name for column in self.columns]

    @property
    def feature_names(self) -> list[str]:
        """The column names other than the target."""
        return [name for name in self.column_names if name != self.target]

    def to_dict(self) -> dict[str, Any]:
        """Return the metadata as a JSON-ready dict."""
        return {
            "schema": self.schema,
            "name": self.name,
            "description": self.description,
            "columns": [{"name": c.name, "dtype": c.dtype} for c in self.columns],
            "rows": self.rows,
            "labelled": self.labelled,
            "target": self.target,
            "license": self.license,
            "sha256": self.sha256,
            "dataset_id": self.dataset_id,
            "format": self.format,
            "created": self.created,
            **({} if self.preview is None else {"preview": copy.deepcopy(self.preview)}),
            **({} if self.summary is None else {"summary": copy.deepcopy(self.summary)}),
        }

    def to_json(self) -> str:
        """Return the canonical JSON text: sorted keys, 2-space indent, UTF-8 characters."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> DatasetMetadata:
        """Validate a parsed metadata document and return it as :class:`DatasetMetadata`."""
        if not isinstance(document, Mapping):
            raise DataValidationError("Dataset metadata must be a JSON object.")
        validate_document(document)
        fields = dict(document)
        fields["columns"] = tuple(_as_column(c) for c in fields["columns"])
        return cls(**fields)

    @classmethod
    def from_json(cls, text: str | bytes) -> DatasetMetadata:
        """Parse and validate metadata JSON text."""
        try:
            document = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataValidationError(f"Dataset metadata is not valid JSON: {exc}.") from None
        return cls.from_dict(document)


def _format_created(created: datetime | str | None) -> str:
    if created is None:
        created = datetime.now(UTC).replace(microsecond=0)
    if isinstance(created, str):
        return created
    if created.tzinfo is None:
        raise DataValidationError(
            "created must be timezone-aware (e.g. datetime.now(timezone.utc)), "
            "so that it can be written in UTC."
        )
    created = created.astimezone(UTC)
    text = created.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{created.microsecond:06d}Z" if created.microsecond else f"{text}Z"


def _check_frame(df: pd.DataFrame, name: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise DataValidationError(
            "The dataset name is empty; pass name='...' with a short human-readable name."
        )
    if not isinstance(df, pd.DataFrame):
        raise DataValidationError(f"describe() needs a pandas DataFrame, not {type(df).__name__}.")
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise DataValidationError(
            f"The DataFrame is empty ({df.shape[0]} rows, {df.shape[1]} columns); "
            "a dataset needs at least one row and one column."
        )
    bad = [c for c in df.columns if not isinstance(c, str) or not c]
    if bad:
        raise DataValidationError(
            f"Column names must be non-empty strings; these are not: {bad!r}. "
            "Rename them, e.g. df.columns = [f'x{i}' for i in range(df.shape[1])]."
        )
    duplicates = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if duplicates:
        raise DataValidationError(
            f"Column names must be unique; {duplicates} appear more than once. Rename them."
        )


def _check_target(df: pd.DataFrame, labelled: bool, target: str | None) -> None:
    if labelled and target is None:
        raise DataValidationError(
            "labelled=True needs target='<column>' naming the column to predict."
        )
    if not labelled and target is not None:
        raise DataValidationError(
            f"target={target!r} was given for an unlabelled dataset; "
            "pass labelled=True or target=None."
        )
    if target is None:
        return
    if target not in df.columns:
        raise DataValidationError(
            f"The target {target!r} is not a column; choose one of {list(df.columns)}."
        )
    missing = int(df[target].isna().sum())
    if missing:
        raise DataValidationError(
            f"The target column {target!r} has {missing} missing values (NaN); "
            "drop those rows (df.dropna(subset=[target])) or fill them."
        )


def describe(
    df: pd.DataFrame,
    *,
    name: str,
    description: str,
    labelled: bool,
    target: str | None,
    license: str,
    dataset_id: str,
    created: datetime | str | None = None,
    preview: int | Sequence[Hashable] | None = None,
    summary: bool = False,
) -> tuple[DatasetMetadata, bytes]:
    """Describe ``df`` and serialise it: returns ``(metadata, plaintext_bytes)``.

    The plaintext is deterministic CSV (see :mod:`mlmarket.datasets.tabular`);
    ``metadata.sha256`` is its SHA-256. ``created`` defaults to now (UTC).
    ``preview`` (the first rows, or rows by index label) and ``summary`` (statistics of
    every column and the class balance) show buyers what they would buy; both are
    computed from the plaintext as a buyer will load it (:mod:`mlmarket.datasets.summary`).
    See the module docstring for an example.
    """
    _check_frame(df, name)
    _check_target(df, labelled, target)
    dtypes, plaintext = encode_frame(df)
    shown: dict[str, Any] = {}
    if preview is not None or summary:
        loaded = read_csv_bytes(plaintext, list(dtypes.items())).set_axis(df.index)
        if preview is not None:
            shown["preview"] = preview_rows(loaded, preview)
        if summary:
            shown["summary"] = summarise(loaded, target)
    metadata = DatasetMetadata(
        name=name,
        description=description,
        columns=tuple(Column(column, dtype) for column, dtype in dtypes.items()),
        rows=len(df),
        labelled=labelled,
        target=target,
        license=license,
        sha256=hashlib.sha256(plaintext).hexdigest(),
        dataset_id=dataset_id,
        created=_format_created(created),
        **shown,
    )
    return metadata, plaintext


def _header_problem(found: list[str], expected: list[str]) -> str:
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    if missing or extra:
        return f"missing {missing}, unexpected {extra}"
    return f"same columns in a different order: {found} instead of {expected}"


def load_plaintext(
    plaintext: bytes, metadata: DatasetMetadata, *, check_hash: bool = True
) -> pd.DataFrame:
    """Parse decrypted CSV bytes into a DataFrame, checking them against ``metadata``.

    Raises:
        DataIntegrityError: the bytes do not hash to ``metadata.sha256``
            (skipped when ``check_hash=False``).
        DataValidationError: the columns, their types or the row count differ
            from the metadata.
    """
    if check_hash:
        verify_plaintext(plaintext, metadata.sha256)
    header = read_csv_header(plaintext)
    if header != metadata.column_names:
        raise DataValidationError(
            "The CSV columns do not match the metadata: "
            f"{_header_problem(header, metadata.column_names)}."
        )
    df = read_csv_bytes(plaintext, [(c.name, c.dtype) for c in metadata.columns])
    if len(df) != metadata.rows:
        raise DataValidationError(
            f"The CSV has {len(df)} data rows but the metadata says {metadata.rows}."
        )
    return df
