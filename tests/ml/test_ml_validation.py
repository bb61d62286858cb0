"""Target validation: NaN, inf and text-for-regression are refused before a task is inferred."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

import mlmarket.ml.validation as validation
from mlmarket.datasets import load_sample
from mlmarket.errors import (
    ConfigurationError,
    DataValidationError,
    FeatureValidationError,
    TargetValidationError,
)
from mlmarket.ml import Quantizer
from mlmarket.ml.validation import (
    validate_features,
    validate_frame,
    validate_target,
    validate_target_column,
)


def test_targetValidationError_isADataValidationError_andAValueError() -> None:
    assert issubclass(TargetValidationError, DataValidationError)
    assert issubclass(TargetValidationError, ValueError)
    assert issubclass(FeatureValidationError, DataValidationError)


def test_oneNanInA01Target_isRefused_notInferredAsRegression() -> None:
    labels = pd.Series([0, 1, 1, 0], index=["p1", "p2", "p3", "p4"]).where(
        lambda s: s.index != "p3"
    )
    assert labels.dtype.kind == "f"  # what the NaN did to the 0/1 labels
    with pytest.raises(
        TargetValidationError,
        match=r"Target 'sick' has 1 missing value \(NaN\), in row 'p3': .*"
        r"df\.dropna\(subset=\['sick'\]\).*astype\(int\)",
    ):
        validate_target(labels, name="sick")


def test_infinities_areRefused_withTheirRowsAndHowToDropThem() -> None:
    values = pd.Series([1.0, np.inf, 2.0, -np.inf], index=[10, 20, 30, 40])
    with pytest.raises(
        TargetValidationError,
        match=r"2 infinite values \(±inf\), in rows 20, 40: .*"
        r"df\.replace\(\[np\.inf, -np\.inf\], np\.nan\)\.dropna\(subset=\['y'\]\)",
    ):
        validate_target(values, task="regression")


def test_manyBadRows_nameTheFirstFive_andCountTheRest() -> None:
    values = np.arange(20, dtype=float)
    values[[1, 3, 5, 7, 9, 11, 13]] = np.nan
    with pytest.raises(
        TargetValidationError, match=r"7 missing values \(NaN\), in rows 1, 3, 5, 7, 9 and 2 more"
    ):
        validate_target(values)


def test_missingAndInfinite_areBothReported() -> None:
    values = pd.Series([np.nan, 1.0, np.inf])
    with pytest.raises(
        TargetValidationError,
        match=r"1 missing value \(NaN\), in row 0 and 1 infinite value \(±inf\), in row 2",
    ):
        validate_target(values, name="y")


@pytest.mark.parametrize(
    "labels",
    [
        pd.Series([0, None, 1], dtype="Int64"),
        pd.Series(["a", None, "b"]),
        pd.Series(["a", None, "b"], dtype="category"),
    ],
)
def test_missingValues_ofAnyDtype_areRefused(labels: pd.Series) -> None:
    with pytest.raises(TargetValidationError, match=r"1 missing value \(NaN\), in row 1"):
        validate_target(labels, name="label")


def test_textTarget_forARegression_isRefused_withASentence() -> None:
    with pytest.raises(
        TargetValidationError,
        match=r"Target 'x' holds text values such as 'abc'; a regression needs numbers — "
        r"use task='classification' or convert the column",
    ):
        validate_target(pd.Series([1.5, "abc", 2.0]), task="regression", name="x")


def test_textTarget_isAClassification() -> None:
    assert validate_target(["cat", "dog", "cat"]) == "classification"
    assert validate_target(["cat", "dog"], task="classification") == "classification"


def test_diabetesIntegralFloatTarget_staysARegression() -> None:
    diabetes = load_sample("diabetes")
    progression = diabetes["progression"]
    assert np.all(progression == progression.round())  # whole numbers, stored as floats
    assert validate_target_column(diabetes, "progression") == "regression"
    X = diabetes.drop(columns="progression")
    assert Quantizer.fit(X, progression).task == "regression"


def test_clean01IntegerTarget_staysAClassification() -> None:
    cancer = load_sample("breast_cancer")
    assert validate_target_column(cancer, "diagnosis") == "classification"
    quantizer = Quantizer.fit(cancer.drop(columns="diagnosis"), cancer["diagnosis"])
    assert (quantizer.task, quantizer.classes) == ("classification", (0, 1))


def test_droppedAndRecastTarget_isAClassificationAgain() -> None:
    """The fix the NaN message suggests gives back the classification."""
    cancer = load_sample("breast_cancer")
    cancer["diagnosis"] = cancer["diagnosis"].astype(float)
    cancer.loc[7, "diagnosis"] = np.nan
    cleaned = cancer.dropna(subset=["diagnosis"]).astype({"diagnosis": int})
    assert validate_target_column(cleaned, "diagnosis") == "classification"


def test_givenTask_isReturned_andAnUnknownTaskIsRefused() -> None:
    assert validate_target([1, 2, 3], task="regression") == "regression"
    with pytest.raises(ConfigurationError, match="task must be 'classification', 'regression'"):
        validate_target([1, 2, 3], task="ranking")


def test_aColumnThatIsNotThere_orATable_isRefused() -> None:
    frame = pd.DataFrame({"x": [1.0], "y": [0]})
    with pytest.raises(
        TargetValidationError, match="Target 'label' is not a column; columns: x, y"
    ):
        validate_target_column(frame, "label")
    with pytest.raises(TargetValidationError, match=r"one column \(1-D\); got shape \(1, 2\)"):
        validate_target(frame.to_numpy())


@pytest.mark.parametrize(
    ("y", "task", "words"),
    [
        ([0.0, np.nan, 1.0, 0.0], None, r"Target 'y' has 1 missing value \(NaN\), in row 1"),
        ([0.0, 1.0, np.inf, 0.0], "classification", r"1 infinite value \(±inf\), in row 2"),
        (["a", "b", "a", "b"], "regression", "holds text values such as 'a'"),
    ],
)
def test_quantizerFit_refusesTheSameTargets(y: list[object], task: str | None, words: str) -> None:
    X = [[0.0], [1.0], [2.0], [3.0]]
    with pytest.raises(TargetValidationError, match=words):
        Quantizer.fit(X, y, task=task)  # type: ignore[arg-type]


def test_docstringExamples_run() -> None:
    results = doctest.testmod(validation, optionflags=doctest.ELLIPSIS)
    assert results.failed == 0 and results.attempted > 0


# --- features ---------------------------------------------------------------------------


def test_cleanFeatures_passAndAreNamed_booleansAndIntegerNamesToo() -> None:
    frame = pd.DataFrame({0: [1.5, 2.0], "smoker": [True, False], "y": ["a", "b"]})
    assert validate_features(frame, target="y") == ["0", "smoker"]
    assert validate_frame(frame, target="y") == "classification"
    assert validate_frame(frame.drop(columns="y")) is None  # unlabelled: every column a feature


def test_everyKindOfBadFeature_isNamedWithItsRows_andWhatToDo() -> None:
    frame = pd.DataFrame(
        {
            "city": ["Oslo", "Rome", "Oslo"],
            "age": [54.0, np.nan, 61.0],
            "dose": [1.0, 2.0, -np.inf],
            "seen": pd.to_datetime(["2024-01-01"] * 3),
            "y": [0, 1, 0],
        },
        index=[10, 11, 12],
    )
    with pytest.raises(FeatureValidationError) as refused:
        validate_features(frame, target="y", fix="; or else")
    assert str(refused.value) == (
        "Features 'city' holds text values such as 'Oslo'; 'age' has 1 missing value (NaN), "
        "in row 11; 'dose' has 1 infinite value (±inf), in row 12; 'seen' holds non-numeric "
        "values such as Timestamp('2024-01-01 00:00:00'). A model needs a finite number in "
        "every feature of every row: encode text as numbers (pd.get_dummies(df, "
        "columns=['city'])) or drop those columns; convert 'seen' to numbers or drop them; "
        "drop or fill the rows with missing or infinite values (df.dropna(), df.fillna(...)); "
        "or else."
    )


def test_manyBadFeatures_nameTheFirstFive_andCountTheRest() -> None:
    frame = pd.DataFrame({f"x{i}": [np.nan, 1.0] for i in range(8)})
    with pytest.raises(FeatureValidationError, match=r"'x4' has .*, in row 0 and 3 more columns\."):
        validate_features(frame)


@pytest.mark.parametrize(
    ("column", "words"),
    [
        (pd.Series([1, None], dtype="Int64"), r"Feature 'f' has 1 missing value \(NaN\), in row 1"),
        (pd.Series(["1", "2"]), r"Feature 'f' holds text values such as '1'"),
        (pd.Series([1 + 2j, 3j]), r"holds non-numeric values such as \(1\+2j\)"),
        (pd.Series([pd.NaT, pd.NaT]), r"Feature 'f' holds datetime64\[(ns|us|s)\] values"),
    ],
)
def test_featuresOfEveryDtype_areChecked(column: pd.Series, words: str) -> None:
    with pytest.raises(FeatureValidationError, match=words):
        validate_frame(pd.DataFrame({"f": column, "y": [0, 1]}), target="y")


def test_theTargetIsCheckedFirst_andRawSkipsOnlyTheFeatures() -> None:
    frame = pd.DataFrame({"note": ["ok", None], "y": [1.0, np.nan]})
    with pytest.raises(TargetValidationError):
        validate_frame(frame, target="y")
    with pytest.raises(TargetValidationError):
        validate_frame(frame, target="y", raw=True)  # a target is always checked
    assert validate_frame(frame.fillna({"y": 0.0}), target="y", raw=True) == "regression"
    with pytest.raises(FeatureValidationError, match="'note' holds text"):
        validate_frame(frame.fillna({"y": 0.0}), target="y")


COLUMNS = {
    "float": lambda n: pd.Series(np.linspace(-1.0, 1.0, n)),
    "float32": lambda n: pd.Series(np.linspace(0, 1, n, dtype=np.float32)),
    "int": lambda n: pd.Series(np.arange(n)),
    "uint8": lambda n: pd.Series(np.arange(n, dtype=np.uint8)),
    "bool": lambda n: pd.Series(np.arange(n) % 2 == 0),
    "nan": lambda n: pd.Series([*np.ones(n - 1), np.nan]),
    "inf": lambda n: pd.Series([-np.inf, *np.ones(n - 1)]),
    "Int64": lambda n: pd.Series(np.arange(n), dtype="Int64"),
    "Float64 with NA": lambda n: pd.Series([None, *np.ones(n - 1)], dtype="Float64"),
    "object numbers": lambda n: pd.Series(list(range(n)), dtype=object),
    "text": lambda n: pd.Series(["a"] * n),
    "complex": lambda n: pd.Series(np.ones(n) * 1j),
}


@pytest.mark.parametrize("kinds", [
    ("float", "int", "bool"), ("float", "nan"), ("inf", "int"), ("float32", "uint8"),
    ("float", "Int64"), ("Float64 with NA",), ("object numbers", "float"), ("text",),
    ("complex", "float"), ("float", "float", "nan"),
])  # fmt: skip
def test_theWholeFrameCheck_agreesWithTheColumnByColumnCheck(kinds: tuple[str, ...]) -> None:
    """The one-pass check of a frame's features passes exactly the frames whose every
    column the detailed check passes (it may hand a clean frame of other dtypes to it)."""
    n = 6
    frame = pd.DataFrame({f"c{i}": COLUMNS[kind](n) for i, kind in enumerate(kinds)})
    frame["y"] = np.arange(n) % 2
    frame["text target"] = "a"  # the target is never a feature
    clean = all(validation._problem(frame[c]) == ("", "") for c in frame.columns[:-2])
    fast = validation._all_finite_numbers(frame.drop(columns="y"), "text target")
    assert fast <= clean  # the fast check never passes a frame the detailed one refuses
    if all(kind in ("float", "float32", "int", "uint8", "bool") for kind in kinds):
        assert fast
    if clean:
        assert validate_features(frame.drop(columns="y"), target="text target") == list(
            frame.columns[:-2]
        )
    else:
        with pytest.raises(FeatureValidationError):
            validate_features(frame.drop(columns="y"), target="text target")
