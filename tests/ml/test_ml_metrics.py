"""The metric reference (mlmarket.ml.metrics) against scikit-learn, exactly where it can be."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
)

from mlmarket.errors import ConfigurationError
from mlmarket.ml.metrics import (
    METRICS,
    ONE,
    baseline,
    check_metric,
    class_counts,
    metric_code,
    metric_name,
    metric_score,
    metric_value,
)

# scikit-learn warns about classes missing from one side; the cases include them on purpose.
pytestmark = pytest.mark.filterwarnings(
    "ignore:A single label was found:UserWarning", "ignore:y_pred contains classes:UserWarning"
)


@st.composite
def labelled(draw: st.DrawFn) -> tuple[int, list[int], list[int]]:
    """K classes (2..32, extremes included) and equally long label and prediction lists."""
    k = draw(st.one_of(st.just(2), st.just(32), st.integers(2, 32)))
    n = draw(st.integers(1, 60))
    cls = st.integers(0, k - 1)
    labels = draw(st.lists(cls, min_size=n, max_size=n))
    predictions = draw(st.one_of(st.lists(cls, min_size=n, max_size=n), st.just(labels),
                                 st.just([labels[0]] * n)))  # fmt: skip
    return k, labels, predictions


@given(labelled())
def test_balancedAccuracy_isWithinKUlpsOfScikitLearn(
    case: tuple[int, list[int], list[int]],
) -> None:
    k, labels, predictions = case
    score = metric_score("balanced_accuracy", labels, predictions, classes=k)
    present = len(set(labels))
    # Each of the `present` terms is rounded down by less than one unit of 2^-64.
    exact = balanced_accuracy_score(labels, predictions) * present
    assert exact - present / ONE - 1e-12 <= score / ONE <= exact + 1e-12
    value = metric_value("balanced_accuracy", score, labels=labels, classes=k)
    assert value == pytest.approx(balanced_accuracy_score(labels, predictions), abs=k / ONE + 1e-12)


@given(labelled())
def test_macroF1_isWithinKUlpsOfScikitLearn(case: tuple[int, list[int], list[int]]) -> None:
    k, labels, predictions = case
    score = metric_score("macro_f1", labels, predictions, classes=k)
    expected = f1_score(labels, predictions, labels=range(k), average="macro", zero_division=0)
    assert metric_value("macro_f1", score, classes=k) == pytest.approx(
        expected, abs=k / ONE + 1e-12
    )


@given(labelled())
def test_perClassScores_areExactIntegerFormulas(case: tuple[int, list[int], list[int]]) -> None:
    """The exact definition, term by term, from the confusion matrix."""
    k, labels, predictions = case
    matrix = np.zeros((k, k), dtype=np.int64)
    for y, p in zip(labels, predictions, strict=True):
        matrix[y, p] += 1
    support, tp, predicted = class_counts(labels, predictions, k)
    assert support == matrix.sum(axis=1).tolist()
    assert tp == np.diag(matrix).tolist()
    assert predicted == matrix.sum(axis=0).tolist()
    balanced = sum(int(matrix[c, c]) * 2**64 // int(matrix[c].sum()) for c in range(k)
                   if matrix[c].sum())  # fmt: skip
    f1 = sum(2 * int(matrix[c, c]) * 2**64 // int(matrix[c].sum() + matrix[:, c].sum())
             for c in range(k) if matrix[c].sum() + matrix[:, c].sum())  # fmt: skip
    assert metric_score("balanced_accuracy", labels, predictions, classes=k) == balanced
    assert metric_score("macro_f1", labels, predictions, classes=k) == f1
    assert metric_score("accuracy", labels, predictions, classes=k) == int(np.trace(matrix))


def test_perfectPredictions_scoreOnePerClass() -> None:
    labels = [0, 1, 2, 2, 1]
    assert metric_score("balanced_accuracy", labels, labels, classes=5) == 3 * ONE
    assert metric_score("macro_f1", labels, labels, classes=5) == 3 * ONE  # 2 classes absent: 0
    assert metric_value("macro_f1", 3 * ONE, classes=5) == pytest.approx(0.6)


@given(st.lists(st.tuples(st.integers(-(2**31), 2**31 - 1), st.integers(-(2**40), 2**40)),
                min_size=1, max_size=40))  # fmt: skip
def test_regressionScores_matchScikitLearnOnTheIntegers(pairs: list[tuple[int, int]]) -> None:
    labels = [y for y, _ in pairs]
    predictions = [p for _, p in pairs]
    sse = metric_score("mse", labels, predictions, classes=0)
    sae = metric_score("mae", labels, predictions, classes=0)
    assert sse == sum((p - y) ** 2 for y, p in pairs)  # exact; sklearn works in floats
    assert sae == sum(abs(p - y) for y, p in pairs)
    n = len(pairs)
    assert sse / n == pytest.approx(mean_squared_error(labels, predictions), rel=1e-9)
    assert metric_value("mae", sae, rows=n, label_shift=3) == pytest.approx(
        mean_absolute_error(labels, predictions) / 8, rel=1e-9
    )
    assert metric_value("mse", sse, rows=n, label_shift=3) == pytest.approx(sse / n / 64)


def test_accuracy_value() -> None:
    labels, predictions = [0, 1, 1, 0], [0, 1, 0, 0]
    score = metric_score("accuracy", labels, predictions, classes=2)
    assert metric_value("accuracy", score, labels=labels) == accuracy_score(labels, predictions)


@pytest.mark.parametrize("name", METRICS)
@given(labels=st.lists(st.integers(0, 3), min_size=1, max_size=30))
def test_baseline_isTheBestConstantPrediction(name: str, labels: list[int]) -> None:
    """No constant does better than the baseline, and one reaches it."""
    classes = 0 if name in ("mse", "mae") else 4
    candidates = range(min(labels) - 1, max(labels) + 2) if classes == 0 else range(classes)
    scores = [metric_score(name, labels, [c] * len(labels), classes=classes) for c in candidates]
    best = min(scores) if name in ("mse", "mae") else max(scores)
    assert baseline(name, labels, classes) == best


def test_metricCodes_followTheContractsEnum() -> None:
    assert [metric_code(m) for m in METRICS] == [0, 1, 2, 3, 4]
    assert METRICS[:2] == ("accuracy", "mse")  # the enum's first two kept their values
    assert metric_name(3) == "macro_f1"
    with pytest.raises(ConfigurationError, match="knows 0..4"):
        metric_name(5)


@pytest.mark.parametrize(
    ("name", "classes", "says"),
    [
        ("mse", 3, "ranks regressions"),
        ("accuracy", 0, "ranks classifiers"),
        ("macro_f1", 33, "at most 32"),
        ("f1", 2, "Unknown metric 'f1'"),
    ],
)
def test_checkMetric_saysWhatToUse(name: str, classes: int, says: str) -> None:
    with pytest.raises(ConfigurationError, match=says):
        check_metric(name, classes)
    check_metric("accuracy", 33)  # accuracy has no class limit
