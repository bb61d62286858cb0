"""export(): every supported estimator, agreement with the float model, and refusals.

Agreement thresholds (int8 features, int16 weights, fitted on the sklearn sample
datasets and compared on the same rows): classifiers predict the same class as the
float model on >= 98 % of rows; regressors differ by at most 2 target units (the
diabetes target spans 25..346) and their R² moves by less than 0.001.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Perceptron,
    Ridge,
    RidgeClassifier,
    SGDClassifier,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import LinearSVC

from mlmarket.errors import DataValidationError, MlmarketError, UnsupportedModelError
from mlmarket.ml import (
    ExportedModel,
    ModelNotFittedError,
    Quantizer,
    TestSet,
    agreement,
    export,
    score_chunk,
)
from tests.ml.helpers import on_chain

CLASSIFIERS: dict[str, Callable[[], Any]] = {
    "LogisticRegression": LogisticRegression,
    "LinearSVC": lambda: LinearSVC(max_iter=20_000),
    "SGDClassifier": lambda: SGDClassifier(random_state=0),
    "Perceptron": lambda: Perceptron(random_state=0),
    "RidgeClassifier": RidgeClassifier,
}
REGRESSORS: dict[str, Callable[[], Any]] = {
    "LinearRegression": LinearRegression,
    "Ridge": Ridge,
    "Lasso": lambda: Lasso(alpha=0.1),
}
DATASETS = {"breast_cancer": load_breast_cancer, "iris": load_iris, "wine": load_wine}
MIN_IDENTICAL = 0.98
MAX_ABS_DIFF = 2.0
MAX_R2_CHANGE = 1e-3


def fitted(make: Callable[[], Any], X: np.ndarray, y: np.ndarray, scaled: bool) -> Any:
    estimator = make_pipeline(StandardScaler(), make()) if scaled else make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of unscaled data are irrelevant
        return estimator.fit(X, y)


def snapshot(estimator: Any) -> tuple[str, dict[str, Any], list[np.ndarray]]:
    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    arrays = [np.array(final.coef_, copy=True), np.array(final.intercept_, copy=True)]
    params = {
        k: v for k, v in estimator.get_params().items() if k != "steps" and not hasattr(v, "fit")
    }
    return joblib.hash(estimator), copy.deepcopy(params), arrays


@pytest.mark.parametrize("scaled", [False, True], ids=["raw", "scaled"])
@pytest.mark.parametrize("dataset", sorted(DATASETS))
@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_classifier_agreesWithFloatModel_andIsUnchanged(
    name: str, dataset: str, scaled: bool
) -> None:
    X, y = DATASETS[dataset](return_X_y=True)
    estimator = fitted(CLASSIFIERS[name], X, y, scaled)
    before = snapshot(estimator)
    model = export(estimator, Quantizer.fit(X, y))
    after = snapshot(estimator)
    report = agreement(estimator, model, X, y)
    assert report.identical >= MIN_IDENTICAL, report
    assert abs(report.exported_score - report.float_score) <= 1 - MIN_IDENTICAL
    assert model.outputs == (1 if dataset == "breast_cancer" else len(np.unique(y)))
    assert before[0] == after[0] and before[1] == after[1]
    for old, new in zip(before[2], after[2], strict=True):
        np.testing.assert_array_equal(old, new)


@pytest.mark.parametrize("scaled", [False, True], ids=["raw", "scaled"])
@pytest.mark.parametrize("name", sorted(REGRESSORS))
def test_regressor_agreesWithFloatModel_andIsUnchanged(name: str, scaled: bool) -> None:
    X, y = load_diabetes(return_X_y=True)
    estimator = fitted(REGRESSORS[name], X, y, scaled)
    before = snapshot(estimator)
    model = export(estimator, Quantizer.fit(X, y))
    report = agreement(estimator, model, X, y)
    assert report.max_abs_diff <= MAX_ABS_DIFF, report
    assert abs(report.exported_score - report.float_score) <= MAX_R2_CHANGE
    after = snapshot(estimator)
    assert before[0] == after[0] and before[1] == after[1]
    assert model.task == "regression" and model.classes == 0 and model.shift > 0


def test_exportedModel_scoresTheSameOnChain(chain: Any, evaluator: Any) -> None:
    """End to end: test set chunks on chain count exactly the exported model's hits."""
    X, y = load_wine(return_X_y=True)
    quantizer = Quantizer.fit(X, y)
    model = export(fitted(CLASSIFIERS["LogisticRegression"], X, y, True), quantizer)
    test = TestSet.from_data(X, y, quantizer, rows_per_chunk=50, salt=bytes(32))
    total = 0
    for chunk in test.chunks:
        status, (rows, values) = on_chain(chain, evaluator, chunk, [model.to_bytes()], 13, 3)
        assert status == "ok"
        assert (rows, values[0]) == score_chunk(chunk, model.to_bytes(), 13, 3)
        total += values[0]
    assert total == int(np.sum(model.predict(X) == y))


def test_regression_onChain_matchesReference(chain: Any, evaluator: Any) -> None:
    X, y = load_diabetes(return_X_y=True)
    quantizer = Quantizer.fit(X, y)
    model = export(fitted(REGRESSORS["Ridge"], X, y, True), quantizer)
    test = TestSet.from_data(X[:120], y[:120], quantizer, rows_per_chunk=60, salt=bytes(32))
    sse = 0
    for chunk in test.chunks:
        status, (rows, values) = on_chain(chain, evaluator, chunk, [model.to_bytes()], 10, 0)
        assert status == "ok" and (rows, values[0]) == score_chunk(chunk, model.to_bytes(), 10, 0)
        sse += values[0]
    labels = quantizer.encode_labels(y[:120])
    predicted = model.predict_quantised(quantizer.transform(X[:120]))
    assert sse == sum(int(e) ** 2 for e in (predicted - labels))


def test_exportedModel_roundTripsThroughBytes() -> None:
    X, y = load_iris(return_X_y=True)
    quantizer = Quantizer.fit(X, y)
    model = export(fitted(CLASSIFIERS["LinearSVC"], X, y, False), quantizer, weight_bytes=4)
    again = ExportedModel.from_bytes(model.to_bytes(), quantizer)
    assert again == model and again.weight_bytes == 4
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    np.testing.assert_array_equal(
        model.predict_quantised(quantizer.transform(X)), quantizer.encode_labels(model.predict(X))
    )
    assert "LinearSVC" in repr(model)
    with pytest.raises(DataValidationError, match="no quantizer"):
        ExportedModel.from_bytes(model.to_bytes()).predict(X)


def test_stringLabels_andNoIntercept_andSparseCoefficients() -> None:
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    quantizer = Quantizer.fit(X, names)
    sgd = SGDClassifier(random_state=0, fit_intercept=False).fit(X, names).sparsify()
    model = export(sgd, quantizer)
    assert set(model.predict(X)) <= set(names)
    assert agreement(sgd, model, X, names).identical >= MIN_IDENTICAL


@pytest.mark.parametrize(
    "estimator",
    [
        KNeighborsClassifier(),
        KNeighborsClassifier().fit([[0.0], [1.0]], [0, 1]),
        GradientBoostingClassifier(),
        ElasticNet(),
        make_pipeline(MinMaxScaler(), LogisticRegression()),
        make_pipeline(StandardScaler(), StandardScaler(), LogisticRegression()),
        "LogisticRegression",
    ],
    ids=["knn", "knn-fitted", "boosting", "elasticnet", "minmax-pipeline", "three-steps", "string"],
)
def test_unsupported_raisesNamingWhatIsSupported(estimator: Any) -> None:
    quantizer = Quantizer.fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(
        UnsupportedModelError, match="supports LogisticRegression, LinearSVC"
    ) as info:
        export(estimator, quantizer)
    assert isinstance(info.value, TypeError)


def test_unfitted_raisesNotFitted() -> None:
    quantizer = Quantizer.fit([[0.0], [1.0]], [0, 1])
    for estimator in (LogisticRegression(), make_pipeline(StandardScaler(), Ridge())):
        with pytest.raises(ModelNotFittedError, match="not fitted yet") as info:
            export(estimator, quantizer)
        assert isinstance(info.value, NotFittedError) and isinstance(info.value, MlmarketError)


def test_multiTargetRegression_isUnsupported() -> None:
    X, y = load_diabetes(return_X_y=True)
    ridge = Ridge().fit(X, np.column_stack([y, y]))
    with pytest.raises(UnsupportedModelError, match="2 targets"):
        export(ridge, Quantizer.fit(X, y))


def test_wrongFeatureCount_saysWhatWasExpected() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    small = LogisticRegression().fit(X[:, :4], y)
    with pytest.raises(
        DataValidationError, match="has 4 features, but the quantizer is expecting 30"
    ):
        export(small, Quantizer.fit(X, y))


def test_taskOrClassesMismatch_isRefused() -> None:
    X, y = load_iris(return_X_y=True)
    with pytest.raises(DataValidationError, match="is for regression"):
        export(LogisticRegression(max_iter=1000).fit(X, y), Quantizer.fit(X, y.astype(float)))
    with pytest.raises(DataValidationError, match="is for classification"):
        export(Ridge().fit(X, y), Quantizer.fit(X, y))
    two = LogisticRegression().fit(X[y < 2], y[y < 2])
    with pytest.raises(DataValidationError, match="classes"):
        export(two, Quantizer.fit(X, y))


def test_weightBytes_isValidated_andTooNarrowRegressionIsRefused() -> None:
    X, y = load_diabetes(return_X_y=True)
    quantizer = Quantizer.fit(X, y)
    with pytest.raises(DataValidationError, match="weight_bytes must be 1..4"):
        export(LinearRegression().fit(X, y), quantizer, weight_bytes=5)
    with pytest.raises(DataValidationError, match="too large for 1-byte"):
        export(LinearRegression().fit(X, y), quantizer, weight_bytes=1)


@pytest.mark.parametrize("weight_bytes", [1, 2, 3, 4])
def test_everyWeightWidth_binaryClassifier(weight_bytes: int) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    estimator = fitted(CLASSIFIERS["LogisticRegression"], X, y, True)
    model = export(estimator, Quantizer.fit(X, y), weight_bytes=weight_bytes)
    assert model.weight_bytes == weight_bytes
    assert np.abs(model.weights).max() == 2 ** (8 * weight_bytes - 1) - 1  # full range used
    assert agreement(estimator, model, X, y).identical >= MIN_IDENTICAL
