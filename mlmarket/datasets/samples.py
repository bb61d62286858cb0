"""Small real datasets for trying mlmarket, built offline from scikit-learn.

Each sample is built from a scikit-learn ``load_*`` function (the data ships
inside scikit-learn; nothing is downloaded) with snake_case column names and a
numeric target column. The committed copies in ``data/samples/`` are written by::

    python -m mlmarket.datasets.samples --write data/samples

Example:
    >>> df = load_sample("breast_cancer")
    >>> df.shape, int(df["diagnosis"].sum())  # 1 = benign
    ((569, 31), 357)
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from mlmarket.datasets.metadata import DatasetMetadata, describe
from mlmarket.datasets.tabular import encode_frame
from mlmarket.errors import DataValidationError


def _snake(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def _breast_cancer() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame = frame.rename(columns=_snake).rename(columns={"target": "diagnosis"})
    return frame.astype({"diagnosis": "int64"})


_DIABETES_SERUM = {"s1": "tc", "s2": "ldl", "s3": "hdl", "s4": "tch", "s5": "ltg", "s6": "glu"}


def _diabetes() -> pd.DataFrame:
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(scaled=False, as_frame=True).frame
    frame = frame.rename(columns={**_DIABETES_SERUM, "target": "progression"})
    return frame.astype({"age": "int64", "sex": "int64", "progression": "float64"})


def _wine() -> pd.DataFrame:
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    frame = frame.rename(columns=_snake).rename(columns={"target": "cultivar"})
    return frame.astype({"cultivar": "int64"})


def _iris() -> pd.DataFrame:
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    frame = frame.rename(columns=_snake).rename(columns={"target": "species"})
    return frame.astype({"species": "int64"})


@dataclass(frozen=True)
class SampleInfo:
    """What a sample dataset is: a one-line description, its task and target column."""

    name: str
    description: str
    task: str
    target: str
    license: str
    loader: Callable[[], pd.DataFrame]


_UCI_LICENSE = (
    "CC-BY-4.0 (UCI Machine Learning Repository listing; scikit-learn's copy states none)"
)

SAMPLES: MappingProxyType[str, SampleInfo] = MappingProxyType(
    {
        "breast_cancer": SampleInfo(
            "breast_cancer",
            "Breast Cancer Wisconsin (Diagnostic): 30 cell-nucleus features from "
            "fine-needle aspirate images; diagnosis 0 = malignant, 1 = benign.",
            "binary classification",
            "diagnosis",
            _UCI_LICENSE,
            _breast_cancer,
        ),
        "diabetes": SampleInfo(
            "diabetes",
            "Diabetes (Efron et al. 2004): age, sex, BMI, blood pressure and six serum "
            "measurements of 442 patients; progression = disease progression after one year.",
            "regression",
            "progression",
            "No license stated by scikit-learn or the source; cite Efron et al. (2004)",
            _diabetes,
        ),
        "wine": SampleInfo(
            "wine",
            "Wine recognition: 13 chemical measurements of wines from three Italian "
            "cultivars; cultivar = 0, 1 or 2.",
            "multi-class classification",
            "cultivar",
            _UCI_LICENSE,
            _wine,
        ),
        "iris": SampleInfo(
            "iris",
            "Fisher's iris: sepal and petal sizes in cm; "
            "species 0 = setosa, 1 = versicolor, 2 = virginica.",
            "multi-class classification",
            "species",
            _UCI_LICENSE,
            _iris,
        ),
    }
)
"""The sample datasets by name."""


def _info(name: str) -> SampleInfo:
    try:
        return SAMPLES[name]
    except (KeyError, TypeError):
        raise DataValidationError(
            f"There is no sample dataset {name!r}; available: {', '.join(SAMPLES)}."
        ) from None


def load_sample(name: str) -> pd.DataFrame:
    """Return the sample dataset ``name`` (one of :data:`SAMPLES`) as a DataFrame.

    Raises:
        DataValidationError: ``name`` is not a sample; the message lists them.
    """
    return _info(name).loader()


def describe_sample(
    name: str, *, dataset_id: str, created: datetime | str | None = None
) -> tuple[DatasetMetadata, bytes]:
    """Return ``(metadata, plaintext)`` for a sample, ready to encrypt and publish.

    Example:
        >>> meta, plaintext = describe_sample("iris", dataset_id="00" * 16)
        >>> meta.target, meta.rows, len(meta.columns)
        ('species', 150, 5)
    """
    info = _info(name)
    return describe(
        info.loader(),
        name=name,
        description=info.description,
        labelled=True,
        target=info.target,
        license=info.license,
        dataset_id=dataset_id,
        created=created,
    )


def write_samples(directory: Path | str, names: Sequence[str] | None = None) -> list[Path]:
    """Write ``<name>.csv`` for each sample (all by default) into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names or list(SAMPLES):
        path = directory / f"{name}.csv"
        path.write_bytes(encode_frame(load_sample(name))[1])
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: list the samples, or write them with ``--write DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m mlmarket.datasets.samples", description=main.__doc__
    )
    parser.add_argument("--write", metavar="DIR", help="directory to write <name>.csv files to")
    parser.add_argument("names", nargs="*", choices=[[], *SAMPLES], help="samples (default all)")
    args = parser.parse_args(argv)
    if args.write:
        for path in write_samples(args.write, args.names):
            print(path)
        return 0
    for info in SAMPLES.values():
        print(f"{info.name:14} {info.task:27} target={info.target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
