"""tallyBatch on chain equals the Python reference (mlmarket.ml.tally_batch) for every family.

``tallyBatch`` shares ``scoreBatch``'s checks and predictions (``Evaluator.sol``) and
counts per class (support, true positives and predictions per class) or sums squared and
absolute errors. Random models and chunks of each family (the strategies of their
``scoreBatch`` tests), the extremes (K = 2 with one output, K = 255, one row, every row
one class, regression at the int32 label limits), chunks of several prediction blocks,
malformed bytes, and the confusion matrix of real trained models.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, confusion_matrix, f1_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlmarket.chain import Chain
from mlmarket.ml import (
    LinearParams,
    MlpParams,
    Quantizer,
    TreeParams,
    encode_chunk,
    encode_model,
    export,
    tally_batch,
)
from mlmarket.ml.fixedpoint import int_range
from mlmarket.ml.mlp import encode_mlp
from mlmarket.ml.reference import predict_batch, tally
from mlmarket.ml.tree import encode_tree
from tests.ml.conftest import deploy
from tests.ml.helpers import (
    in_python,
    on_chain,
    random_tree,
    tally_in_python,
    tally_on_chain,
)
from tests.ml.test_ml_differential import INT8, MUTATIONS, linear_models, mutate
from tests.ml.test_ml_differential import cases as linear_cases
from tests.ml.test_ml_mlp import cases as mlp_cases
from tests.ml.test_ml_mlp import networks
from tests.ml.test_ml_tree import cases as tree_cases
from tests.ml.test_ml_tree import forests, record_cases

SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NAMES = {"linear": "LinearEvaluator", "mlp": "MlpEvaluator", "tree": "TreeEvaluator"}


def any_tree_case(max_rows: int = 8) -> st.SearchStrategy[Any]:
    """The tree family's cases and those of every records kernel (test_ml_tree.py)."""
    return st.one_of(tree_cases(max_rows=max_rows), record_cases(max_rows=max_rows))


CASES = {"linear": linear_cases, "mlp": mlp_cases, "tree": any_tree_case}
MODELS = {"linear": linear_models, "mlp": networks, "tree": forests}
LOW32, HIGH32 = int_range(4)


@pytest.fixture(scope="module")
def evaluators(chain: Chain) -> dict[str, Any]:
    return {family: deploy(chain, name) for family, name in NAMES.items()}


def check(chain: Chain, evaluator: Any, family: str, case: Any) -> tuple[int, list, list]:
    """tallyBatch equals the reference, and its correct counts / squared errors equal
    scoreBatch's values (on chain and in Python); returns the tallies."""
    chunk, models, d, classes = case
    expected = tally_in_python(chunk, models, d, classes, family)
    assert expected[0] == "ok", expected
    assert tally_on_chain(chain, evaluator, chunk, models, d, classes) == expected
    rows, support, tallies = expected[1]
    values = [t[0] for t in tallies]
    assert on_chain(chain, evaluator, chunk, models, d, classes) == ("ok", (rows, values))
    if family == "linear":
        assert in_python(chunk, models, d, classes) == ("ok", (rows, values))
    return rows, support, tallies


def consistent(rows: int, support: list[int], tallies: list[list[int]], classes: int) -> None:
    """What the layout implies whatever the model: sums, bounds and lengths."""
    for t in tallies:
        if classes == 0:
            assert support == [] and len(t) == 2
            sse, sae = t
            assert 0 <= sae <= sse  # |e| <= e^2 for every integer error
            continue
        assert len(t) == 1 + 2 * classes and len(support) == classes and sum(support) == rows
        tp, predicted = t[1 : 1 + classes], t[1 + classes :]
        assert t[0] == sum(tp) and sum(predicted) == rows
        assert all(0 <= a <= min(b, c) for a, b, c in zip(tp, support, predicted, strict=True))


@pytest.mark.parametrize("family", sorted(NAMES))
@SETTINGS
@given(data=st.data())
def test_tallyBatch_equalsReference(
    chain: Chain, evaluators: dict[str, Any], family: str, data: st.DataObject
) -> None:
    case = data.draw(CASES[family]())
    rows, support, tallies = check(chain, evaluators[family], family, case)
    consistent(rows, support, tallies, case[3])


@st.composite
def extreme_cases(draw: st.DrawFn, family: str) -> tuple[bytes, list[bytes], int, int]:
    """K = 2 with one output (the sign rule), K = 255, or regression at the int32 limits;
    one row or a few, sometimes every row of one class."""
    shape = draw(st.sampled_from(["one output", "255 classes", "regression"]))
    classes = {"one output": 2, "255 classes": 255, "regression": 0}[shape]
    d = draw(st.integers(1, 2 if classes == 255 else 12))
    rows = draw(st.one_of(st.just(1), st.integers(1, 6 if classes == 255 else 40)))
    features = draw(arrays(np.int64, (rows, d), elements=INT8))
    if classes == 0:
        labels = draw(st.lists(st.sampled_from([LOW32, HIGH32, 0, -1]), min_size=rows,
                               max_size=rows))  # fmt: skip
    elif draw(st.booleans()):  # every row one class
        labels = [draw(st.sampled_from([0, classes - 1]) | st.integers(0, classes - 1))] * rows
    else:
        labels = draw(st.lists(st.integers(0, classes - 1), min_size=rows, max_size=rows))
    chunk = encode_chunk(features, labels, regression=classes == 0)
    model = MODELS[family](d, classes)
    if shape == "one output" and family != "tree":
        model = model.filter(lambda raw: raw[7] == 1)  # header byte 7: outputs
    models = [draw(model) for _ in range(1 if classes == 255 else draw(st.integers(1, 2)))]
    return chunk, models, d, classes


@pytest.mark.parametrize("family", sorted(NAMES))
@SETTINGS
@given(data=st.data())
def test_tallyBatch_extremes_equalReference(
    chain: Chain, evaluators: dict[str, Any], family: str, data: st.DataObject
) -> None:
    case = data.draw(extreme_cases(family))
    rows, support, tallies = check(chain, evaluators[family], family, case)
    consistent(rows, support, tallies, case[3])


@pytest.mark.parametrize("family", sorted(NAMES))
@SETTINGS
@given(mutation=MUTATIONS, target=st.integers(0, 3), data=st.data())
def test_malformedBytes_failAsScoreBatchDoes(
    chain: Chain,
    evaluators: dict[str, Any],
    family: str,
    mutation: Any,
    target: int,
    data: st.DataObject,
) -> None:
    chunk, models, d, classes = data.draw(CASES[family](max_rows=3))
    if target == 0:
        chunk = mutate(chunk, mutation)
    else:
        i = target % len(models)
        models = [*models[:i], mutate(models[i], mutation), *models[i + 1 :]]
    if data.draw(st.booleans()):
        d = data.draw(st.sampled_from([d, d + 1, 0, 4097]))
        classes = data.draw(st.sampled_from([classes, 1, 256, 2 if classes == 0 else 0]))
    evaluator = evaluators[family]
    expected = tally_in_python(chunk, models, d, classes, family)
    assert tally_on_chain(chain, evaluator, chunk, models, d, classes) == expected
    score = on_chain(chain, evaluator, chunk, models, d, classes)
    if expected[0] == "error":
        assert score == expected
    else:
        rows, _support, tallies = expected[1]
        assert score == ("ok", (rows, [t[0] for t in tallies]))


# --- many rows: several prediction blocks (512 rows each) -----------------------------


def random_models(rng: np.random.Generator, family: str, d: int, classes: int) -> list[bytes]:
    """Two models of ``family`` with random parameters (int16 weights, wide biases)."""
    outputs = max(classes, 1)
    task = 1 if classes == 0 else 0
    models = []
    for _ in range(2):
        if family == "linear":
            weights = rng.integers(-(2**15), 2**15, (outputs, d))
            biases = tuple(int(b) for b in rng.integers(-(2**40), 2**40, outputs))
            shift = 12 if classes == 0 else 0
            models.append(encode_model(LinearParams(task, classes, weights, biases, 2, 8, shift)))
        elif family == "mlp":
            sizes = (d, 7, outputs)
            weights = tuple(rng.integers(-(2**15), 2**15, (n, m))
                            for m, n in zip(sizes[:-1], sizes[1:], strict=True))  # fmt: skip
            biases = tuple(tuple(int(b) for b in rng.integers(-(2**40), 2**40, n))
                           for n in sizes[1:])  # fmt: skip
            shift = 20 if classes == 0 else 0
            models.append(encode_mlp(MlpParams(task, classes, weights, biases, (16,), shift)))
        else:
            trees = []
            for _ in range(1 if classes == 0 else 5):
                trees.append(random_tree(rng, d, 4, classes, threshold=100))
            models.append(encode_tree(TreeParams(task, classes, d, tuple(trees))))
    return models


@pytest.mark.parametrize("family", sorted(NAMES))
@pytest.mark.parametrize(
    ("rows", "classes"),
    [(512, 2), (1030, 3), (1030, 0), (520, 33), (511, 7), (513, 16), (513, 17), (1100, 32)],
)
def test_manyRows_acrossBlocks_equalReference(
    chain: Chain, evaluators: dict[str, Any], family: str, rows: int, classes: int
) -> None:
    """Exactly one block (512 rows), three blocks with a partial last word of class bytes
    (rows % 32) or a partial step of eight regression rows (rows % 8), and more than 32
    classes (the forest's vote words) across a block boundary; two models per call, so
    the second reuses the first one's prediction buffer."""
    rng = np.random.default_rng(rows * 1000 + classes)
    d = 9
    labels = rng.integers(LOW32, HIGH32, rows) if classes == 0 else rng.integers(0, classes, rows)
    chunk = encode_chunk(rng.integers(-128, 128, (rows, d)), labels, regression=classes == 0)
    case = (chunk, random_models(rng, family, d, classes), d, classes)
    got_rows, support, tallies = check(chain, evaluators[family], family, case)
    assert got_rows == rows
    consistent(rows, support, tallies, classes)


@pytest.mark.parametrize("classes", [2, 3, 16, 17, 32, 33])
@pytest.mark.parametrize("rows", [1, 31, 32, 33, 100, 512, 545])
def test_countsInLanes_atTheirLimits_equalReference(
    chain: Chain, evaluators: dict[str, Any], classes: int, rows: int
) -> None:
    """The word-wise counts (byte sums for K = 2, histograms up to 32 classes, one counter per
    row beyond) at their edges: every row predicted the last class (the top lane) or the
    first, every label the last class or the first (all hits or all misses), partial words
    and blocks of rows; and a random model."""
    rng = np.random.default_rng(classes * 10_000 + rows)
    d = 3
    weights = np.zeros((classes, d), dtype=np.int64)
    last = encode_model(LinearParams(0, classes, weights, tuple(range(classes)), 1, 1, 0))
    first = encode_model(LinearParams(0, classes, weights, (1,) + (0,) * (classes - 1), 1, 1, 0))
    mixed = encode_model(LinearParams(0, classes, rng.integers(-128, 128, (classes, d)),
                                      tuple(int(b) for b in rng.integers(-999, 999, classes)),
                                      1, 2, 0))  # fmt: skip
    features = rng.integers(-128, 128, (rows, d))
    for labels in ([classes - 1] * rows, [0] * rows, list(rng.integers(0, classes, rows))):
        chunk = encode_chunk(features, labels, regression=False)
        case = (chunk, [last, first, mixed], d, classes)
        got_rows, support, tallies = check(chain, evaluators["linear"], "linear", case)
        consistent(got_rows, support, tallies, classes)


def test_emptyChunk_andNoModels(chain: Chain, evaluators: dict[str, Any]) -> None:
    empty = encode_chunk(np.zeros((0, 3), dtype=np.int64), [], regression=False)
    model = encode_model(LinearParams(0, 3, np.ones((3, 3), dtype=np.int64), (0,) * 3, 1, 1, 0))
    expected = ("ok", (0, [0, 0, 0], [[0] * 7]))
    assert tally_in_python(empty, [model], 3, 3) == expected
    assert tally_on_chain(chain, evaluators["linear"], empty, [model], 3, 3) == expected
    assert tally_on_chain(chain, evaluators["linear"], empty, [], 3, 3) == ("ok", (0, [0] * 3, []))
    regression = encode_chunk(np.zeros((0, 3), dtype=np.int64), [], regression=True)
    for family, evaluator in evaluators.items():
        assert tally_on_chain(chain, evaluator, regression, [], 3, 0) == ("ok", (0, [], []))
        assert tally_in_python(regression, [], 3, 0, family) == ("ok", (0, [], []))


# --- the confusion matrix of trained models ---------------------------------------------


def trained(family: str, X: Any, y: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if family == "linear":
            return make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(X, y)
        if family == "mlp":
            net = MLPClassifier((16,), max_iter=300, random_state=0)
            return make_pipeline(StandardScaler(), net).fit(X, y)
        return RandomForestClassifier(4, max_depth=5, random_state=0).fit(X, y)


@pytest.mark.parametrize("family", sorted(NAMES))
def test_perClassCounts_equalTheConfusionMatrix(
    chain: Chain, evaluators: dict[str, Any], family: str
) -> None:
    """On 600 digits (10 classes, 64 features, two prediction blocks): tp is the diagonal
    of sklearn's confusion matrix, predicted its column sums, support its row sums;
    balanced accuracy and macro F1 follow from the counts alone."""
    X, y = load_digits(return_X_y=True)
    quantizer = Quantizer.fit(X, y)
    model = export(trained(family, X, y), quantizer)
    assert model.family == family
    Xq, yq = quantizer.transform(X[:600]), quantizer.encode_labels(y[:600])
    k = quantizer.n_classes
    chunk = encode_chunk(Xq, yq, regression=False)
    outcome = tally_on_chain(chain, evaluators[family], chunk, [model.to_bytes()], 64, k)
    assert outcome == tally_in_python(chunk, [model.to_bytes()], 64, k, family)
    rows, support, [counts] = outcome[1]
    predicted = model.predict_quantised(Xq)
    matrix = confusion_matrix(yq, predicted, labels=range(k))
    tp, per_class = counts[1 : 1 + k], counts[1 + k :]
    assert rows == 600 and counts[0] == int(np.trace(matrix))
    assert tp == matrix.diagonal().tolist()
    assert per_class == matrix.sum(axis=0).tolist()
    assert support == matrix.sum(axis=1).tolist()
    recall = [t / s for t, s in zip(tp, support, strict=True)]
    assert np.isclose(np.mean(recall), balanced_accuracy_score(yq, predicted))
    f1 = [2 * t / (s + p) if s + p else 0.0 for t, s, p in zip(tp, support, per_class, strict=True)]
    assert np.isclose(np.mean(f1), f1_score(yq, predicted, labels=range(k), average="macro"))
    assert counts[0] >= 0.6 * rows  # a real model, not a degenerate one


@SETTINGS
@given(
    classes=st.integers(2, 12),
    data=st.data(),
)
def test_tally_isTheConfusionMatrix(classes: int, data: st.DataObject) -> None:
    """The reference's counts against sklearn for any predictions and labels."""
    rows = data.draw(st.integers(1, 60))  # sklearn refuses empty input
    labels = data.draw(st.lists(st.integers(0, classes - 1), min_size=rows, max_size=rows))
    predicted = data.draw(st.lists(st.integers(0, classes - 1), min_size=rows, max_size=rows))
    counts = tally(predicted, labels, classes)
    matrix = confusion_matrix(labels, predicted, labels=range(classes))
    assert counts[0] == int(np.trace(matrix))
    assert counts[1 : 1 + classes] == matrix.diagonal().tolist()
    assert counts[1 + classes :] == matrix.sum(axis=0).tolist()


def test_regressionTally_sumsSquaredAndAbsoluteErrors() -> None:
    chunk = encode_chunk([[1], [-1], [0]], [LOW32, HIGH32, 5], regression=True)
    model = encode_model(LinearParams(1, 0, np.array([[3]]), (0,), 1, 1, 1))
    _decoded, [predictions] = predict_batch(chunk, [model], 1, 0)
    errors = [int(p) - y for p, y in zip(predictions, [LOW32, HIGH32, 5], strict=True)]
    assert predictions.tolist() == [2, -1, 0]
    assert tally_batch(chunk, [model], 1, 0) == (
        3, [], [[sum(e * e for e in errors), sum(abs(e) for e in errors)]]
    )  # fmt: skip
