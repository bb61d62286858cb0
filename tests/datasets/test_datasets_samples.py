"""Sample datasets: the committed CSVs, load_sample(), describe_sample() and the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mlmarket.datasets import SAMPLES, describe_sample, encode_frame, load_plaintext, load_sample
from mlmarket.datasets.samples import main
from mlmarket.errors import DataValidationError

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "samples"

SHAPES = {"breast_cancer": (569, 31), "diabetes": (442, 11), "wine": (178, 14), "iris": (150, 5)}


def test_sample_names() -> None:
    assert list(SAMPLES) == list(SHAPES)
    for name, info in SAMPLES.items():
        assert info.name == name
        assert info.description and "\n" not in info.description
        assert info.task in {"binary classification", "multi-class classification", "regression"}


@pytest.mark.parametrize("name", list(SHAPES))
def test_committed_csv_matches_load_sample(name: str) -> None:
    committed = (SAMPLES_DIR / f"{name}.csv").read_bytes()
    assert committed == encode_frame(load_sample(name))[1], (
        f"data/samples/{name}.csv is stale; run "
        "python -m mlmarket.datasets.samples --write data/samples"
    )


@pytest.mark.parametrize("name", list(SHAPES))
def test_sample_shape_names_and_target(name: str) -> None:
    df = load_sample(name)
    target = SAMPLES[name].target
    assert df.shape == SHAPES[name]
    assert df.columns[-1] == target
    assert all(c == c.lower() and " " not in c and c.isascii() for c in df.columns)
    assert pd.api.types.is_numeric_dtype(df[target])
    assert not df.isna().any().any()


def test_breast_cancer_coding() -> None:
    counts = load_sample("breast_cancer")["diagnosis"].value_counts().to_dict()
    assert counts == {1: 357, 0: 212}  # 0 = malignant, 1 = benign, as sklearn codes it


def test_target_types() -> None:
    assert load_sample("diabetes")["progression"].dtype == "float64"
    for name in ("breast_cancer", "wine", "iris"):
        assert load_sample(name)[SAMPLES[name].target].dtype == "int64"


def test_unknown_sample_lists_the_names() -> None:
    with pytest.raises(DataValidationError, match="no sample dataset 'mnist'.*breast_cancer"):
        load_sample("mnist")
    with pytest.raises(DataValidationError, match="available: breast_cancer, diabetes, wine, iris"):
        describe_sample("mnist", dataset_id="00" * 16)


@pytest.mark.parametrize("name", list(SHAPES))
def test_describe_sample_round_trips(name: str) -> None:
    meta, plaintext = describe_sample(name, dataset_id="ab" * 16, created="2024-01-01T00:00:00Z")
    assert plaintext == (SAMPLES_DIR / f"{name}.csv").read_bytes()
    assert (meta.rows, len(meta.columns)) == SHAPES[name]
    assert meta.labelled and meta.target == SAMPLES[name].target
    pd.testing.assert_frame_equal(load_plaintext(plaintext, meta), load_sample(name))


def test_readme_describes_every_sample() -> None:
    readme = (SAMPLES_DIR / "README.md").read_text("utf-8")
    for name, (rows, columns) in SHAPES.items():
        assert f"| `{name}.csv` | {SAMPLES[name].task} | {rows} | {columns} |" in readme


def test_cli_writes_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--write", str(tmp_path / "out"), "iris", "wine"]) == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["iris.csv", "wine.csv"]
    assert (tmp_path / "out" / "iris.csv").read_bytes() == (SAMPLES_DIR / "iris.csv").read_bytes()
    assert "iris.csv" in capsys.readouterr().out


def test_cli_lists_samples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in SHAPES)


def test_cli_rejects_unknown_names(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["--write", "unused", "mnist"])
    assert excinfo.value.code == 2
    assert "invalid choice: 'mnist'" in capsys.readouterr().err
