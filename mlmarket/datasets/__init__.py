"""Datasets for mlmarket: metadata documents, deterministic CSV and sample data.

* :func:`describe` turns a DataFrame into :class:`DatasetMetadata` plus the CSV
  bytes to encrypt; :func:`load_plaintext` checks decrypted bytes against the
  metadata and returns the DataFrame. Schema: ``docs/dataset-metadata.md``.
* What buyers see before buying, if the owner chooses (:mod:`mlmarket.datasets.summary`):
  preview rows and summary statistics in the metadata; :func:`compare_described` tells
  a buyer what of them its data does not bear out.
* :func:`load_sample` gives small real datasets (breast cancer, diabetes, wine,
  iris) built offline from scikit-learn; see :data:`SAMPLES`.

This package never imports web3 or :mod:`mlmarket.chain`.
"""

from mlmarket.datasets.metadata import (
    SCHEMA_VERSION,
    Column,
    DatasetMetadata,
    describe,
    load_plaintext,
    metadata_schema,
    validate_document,
)
from mlmarket.datasets.samples import SAMPLES, SampleInfo, describe_sample, load_sample
from mlmarket.datasets.summary import compare_described
from mlmarket.datasets.tabular import DTYPES, encode_frame, to_csv_bytes

__all__ = [
    "DTYPES",
    "SAMPLES",
    "SCHEMA_VERSION",
    "Column",
    "DatasetMetadata",
    "SampleInfo",
    "compare_described",
    "describe",
    "describe_sample",
    "encode_frame",
    "load_plaintext",
    "load_sample",
    "metadata_schema",
    "to_csv_bytes",
    "validate_document",
]
