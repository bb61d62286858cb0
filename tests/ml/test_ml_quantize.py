"""Quantizer: the affine int8 map, clipping, labels, and its JSON publication."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import load_diabetes, load_iris

from mlmarket.errors import DataValidationError
from mlmarket.ml import Quantizer
from mlmarket.ml.fixedpoint import LABEL_FIT_BITS

FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@given(X=arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 6)), elements=FINITE))
def test_trainingRange_mapsOntoMinus127To127(X: np.ndarray) -> None:
    quantizer = Quantizer.fit(X, np.arange(len(X)) % 2)
    q = quantizer.transform(X)
    assert q.dtype == np.int8 and q.min() >= -127 and q.max() <= 127
    varying = X.max(axis=0) > X.min(axis=0)
    assert np.all(q.max(axis=0)[varying] == 127) and np.all(q.min(axis=0)[varying] == -127)
    error = np.abs(quantizer.inverse_transform(q) - X)
    assert np.all(error <= np.asarray(quantizer.step) / 2 * (1 + 1e-9) + 1e-9 * np.abs(X))
    assert Quantizer.from_json(quantizer.to_json()) == quantizer


def test_outOfRangeValues_areClipped_andConstantFeaturesMapToZero() -> None:
    quantizer = Quantizer.fit([[0.0, 5.0], [10.0, 5.0]], [0, 1])
    assert quantizer.transform([[-100.0, 5.0], [1e9, -3.0], [5.0, 5.0]]).tolist() == [
        [-127, 0], [127, -8], [0, 0]
    ]  # fmt: skip
    assert quantizer.step[1] == 1.0


def test_roundHalfUp_onTheQuantisationGrid() -> None:
    quantizer = Quantizer(center=(0.0,), step=(1.0,), classes=(0, 1))
    assert quantizer.transform([[0.5], [-0.5], [1.5], [-1.5], [0.49]]).ravel().tolist() == [
        1,
        0,
        2,
        -1,
        0,
    ]


def test_clipQuantile_narrowsTheRange() -> None:
    X = np.concatenate([np.linspace(0, 1, 99), [1000.0]]).reshape(-1, 1)
    full, robust = (
        Quantizer.fit(X, X[:, 0] > 0.5),
        Quantizer.fit(X, X[:, 0] > 0.5, clip_quantile=0.02),
    )
    assert robust.step[0] < full.step[0] / 100
    with pytest.raises(DataValidationError, match="clip_quantile"):
        Quantizer.fit(X, X[:, 0] > 0.5, clip_quantile=0.5)


def test_classLabels_encodeToIndices_andBack() -> None:
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    quantizer = Quantizer.fit(X, names)
    assert quantizer.task == "classification" and quantizer.n_classes == 3
    assert quantizer.encode_labels(names).tolist() == y.tolist()
    assert quantizer.decode_labels(y).tolist() == names.tolist()
    with pytest.raises(DataValidationError, match="not among the quantizer's classes"):
        quantizer.encode_labels(["setosa", "rose"])


def test_regressionLabels_areFixedPoint_withHeadroom() -> None:
    X, y = load_diabetes(return_X_y=True)
    quantizer = Quantizer.fit(X, y)
    assert quantizer.task == "regression" and quantizer.n_classes == 0
    fixed = quantizer.encode_labels(y)
    assert np.abs(fixed).max() < 2**LABEL_FIT_BITS <= 2 * np.abs(fixed).max()
    np.testing.assert_allclose(quantizer.decode_labels(fixed), y, atol=2.0**-quantizer.label_shift)
    with pytest.raises(DataValidationError, match="does not fit int32"):
        quantizer.encode_labels([y.max() * 4096])
    assert Quantizer.fit(X, y.astype(int), task="regression").task == "regression"


def test_dataFrame_keepsFeatureNames_andJsonIsPlain() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.0, 1.0, 0.5]})
    quantizer = Quantizer.fit(frame, np.array([True, False, True]))
    document = json.loads(quantizer.to_json())
    assert document["format"] == "mlmarket.quantizer" and document["version"] == 1
    assert document["feature_names"] == ["a", "b"] and document["classes"] == [False, True]
    assert Quantizer.from_dict(document) == quantizer


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        ([[np.nan]], [0], "NaN"),
        ([1.0, 2.0], [0, 1], "2-D"),
        ([["a"]], [0], "numeric"),
        ([[1.0], [2.0]], [0], "one label per row"),
        ([[1.0], [2.0]], [0, 0], "2..255 classes"),
        ([[float(i)] for i in range(256)], list(range(256)), "2..255 classes"),
    ],
)
def test_fit_refusesBadData(X: object, y: object, message: str) -> None:
    with pytest.raises(DataValidationError, match=message):
        Quantizer.fit(X, y)


def test_transform_andDocuments_areChecked() -> None:
    quantizer = Quantizer.fit([[0.0, 1.0], [1.0, 0.0]], [0, 1])
    with pytest.raises(
        DataValidationError, match="X has 3 features, but the quantizer is expecting 2"
    ):
        quantizer.transform([[0.0, 1.0, 2.0]])
    with pytest.raises(DataValidationError, match="version-1"):
        Quantizer.from_json('{"format": "other"}')
    with pytest.raises(DataValidationError, match="Not a quantizer"):
        Quantizer.from_json("{")
    with pytest.raises(DataValidationError, match="step"):
        Quantizer(center=(0.0,), step=(0.0,), classes=(0, 1))
    with pytest.raises(DataValidationError, match="task"):
        Quantizer(center=(0.0,), step=(1.0,), task="ranking")  # type: ignore[arg-type]
