"""MlpEvaluator on chain equals the Python reference (mlmarket.ml.mlp) bit for bit.

Random ReLU networks and chunks, including the extreme weights, biases, shifts and
activations the format allows (activations clamped at 2**32 - 1) and exact ties
between classes; malformed bytes fail with the same named error on chain and in
Python; exported scikit-learn MLPs agree with their float models.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np
import pytest
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlmarket.chain import Chain
from mlmarket.errors import UnsupportedModelError
from mlmarket.ml import (
    ExportedModel,
    ModelNotFittedError,
    Quantizer,
    agreement,
    encode_chunk,
    export,
    family_of,
    score_chunk,
)
from mlmarket.ml.fixedpoint import int_range
from mlmarket.ml.mlp import HIDDEN_MAX, MlpParams, encode_mlp, mlp_outputs, score_batch_mlp
from tests.ml.conftest import deploy
from tests.ml.helpers import on_chain
from tests.ml.test_ml_differential import INT8, INT32, MUTATIONS, mutate

SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
LOW16, HIGH16 = int_range(2)
LOW64, HIGH64 = int_range(8)


@pytest.fixture(scope="module")
def mlp(chain: Chain) -> Any:
    return deploy(chain, "MlpEvaluator")


def in_python(chunk: bytes, models: list[bytes], d: int, k: int) -> tuple[str, Any]:
    from mlmarket.ml import FormatError

    try:
        return "ok", score_batch_mlp(chunk, models, d, k)
    except FormatError as exc:
        return "error", (exc.name, dict(exc.args_dict))


def extremes(low: int, high: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([low, high, 0, 1, -1]), st.integers(low, high))


@st.composite
def networks(draw: st.DrawFn, d: int, classes: int) -> bytes:
    outputs = (
        1 if classes == 0 else draw(st.sampled_from([classes, 1] if classes == 2 else [classes]))
    )
    hidden = draw(st.lists(st.integers(1, 6), min_size=1, max_size=2))
    sizes = (d, *hidden, outputs)
    small = draw(st.booleans())  # small parameters give nonzero activations; extremes clamp
    wlow, whigh = (-8, 8) if small else (LOW16, HIGH16)
    blow, bhigh = (-(2**12), 2**12) if small else (LOW64, HIGH64)
    weights = [draw(arrays(np.int64, (n, m), elements=extremes(wlow, whigh)))
               for m, n in zip(sizes, sizes[1:], strict=False)]  # fmt: skip
    biases = [tuple(draw(extremes(blow, bhigh)) for _ in range(n)) for n in sizes[1:]]
    if outputs > 1 and draw(st.booleans()):  # ties: outputs copy output 0 exactly
        for k in draw(st.sets(st.integers(1, outputs - 1), min_size=1)):
            weights[-1][k] = weights[-1][0]
            biases[-1] = (*biases[-1][:k], biases[-1][0], *biases[-1][k + 1 :])
    shifts = tuple(draw(st.integers(0, 8) if small else st.integers(0, 63)) for _ in hidden)
    out_shift = draw(st.integers(0, 63)) if classes == 0 else 0
    task = 1 if classes == 0 else 0
    return encode_mlp(MlpParams(task, classes, tuple(weights), tuple(biases), shifts, out_shift))


@st.composite
def cases(draw: st.DrawFn, max_rows: int = 6) -> tuple[bytes, list[bytes], int, int]:
    classes, d = draw(st.sampled_from([0, 0, 2, 2, 3, 5])), draw(st.integers(1, 20))
    rows = draw(st.integers(0, max_rows))
    features = draw(arrays(np.int64, (rows, d), elements=INT8))
    label = INT32 if classes == 0 else st.integers(0, classes - 1)
    labels = [draw(label) for _ in range(rows)]
    chunk = encode_chunk(features.reshape(rows, d), labels, regression=classes == 0)
    models = [draw(networks(d, classes)) for _ in range(draw(st.integers(1, 2)))]
    return chunk, models, d, classes


@SETTINGS
@given(case=cases())
def test_scoreBatch_equalsReference(chain: Chain, mlp: Any, case: Any) -> None:
    chunk, models, d, classes = case
    expected = in_python(chunk, models, d, classes)
    assert expected[0] == "ok"
    assert on_chain(chain, mlp, chunk, models, d, classes) == expected


@SETTINGS
@given(case=cases(max_rows=3), mutation=MUTATIONS, target=st.integers(0, 2), data=st.data())
def test_malformedBytes_failAlikeOnChainAndInPython(
    chain: Chain, mlp: Any, case: Any, mutation: Any, target: int, data: st.DataObject
) -> None:
    chunk, models, d, classes = case
    if target == 0:
        chunk = mutate(chunk, mutation)
    else:
        i = target % len(models)
        models = [*models[:i], mutate(models[i], mutation), *models[i + 1 :]]
    if data.draw(st.booleans()):
        d = data.draw(st.sampled_from([d, d + 1, 0, 4097]))
        classes = data.draw(st.sampled_from([classes, 1, 256, 2 if classes == 0 else 0]))
    assert on_chain(chain, mlp, chunk, models, d, classes) == in_python(chunk, models, d, classes)


def test_family_isKeccakOfMlp(chain: Chain, mlp: Any) -> None:
    assert chain.call(mlp.functions.family()) == keccak(text="mlp")


@pytest.mark.parametrize(("classes", "sign"), [(0, -1), (0, 1), (3, 1), (3, -1), (2, 1)])
def test_extremeNetwork_clampsAndMatches(chain: Chain, mlp: Any, classes: int, sign: int) -> None:
    """The largest accumulators: 4096 int8 features at -128, int16 weights at -2**15,
    int64 biases at 2**63 - 1, shift 0 (activations clamp at 2**32 - 1), 255 units."""
    d, outputs = 4096, max(classes, 1)
    w1 = np.full((2, d), LOW16 if sign > 0 else HIGH16, dtype=np.int64)
    w2 = np.full((255, 2), LOW16 if sign < 0 else HIGH16, dtype=np.int64)
    wo = np.full((outputs, 255), HIGH16 if sign > 0 else LOW16, dtype=np.int64)
    wo[-1, 0] = LOW16  # the last class differs a little
    biases = ((HIGH64,) * 2, (HIGH64 if sign > 0 else LOW64,) * 255, (LOW64,) * outputs)
    params = MlpParams(1 if classes == 0 else 0, classes, (w1, w2, wo), biases, (0, 0), 0)
    features = np.full((2, d), -128, dtype=np.int64)
    features[1] = 127
    first = mlp_outputs(features, MlpParams(0, 2, (w1, w2[:1]), (biases[0], biases[1][:1]),
                                            (0,), 0))  # fmt: skip
    assert first.shape == (2, 1)
    labels = [*int_range(4)] if classes == 0 else [0, classes - 1]
    chunk = encode_chunk(features, labels, regression=classes == 0)
    model = encode_mlp(params)
    expected = in_python(chunk, [model], d, classes)
    assert expected[0] == "ok"
    assert on_chain(chain, mlp, chunk, [model], d, classes) == expected


def test_activations_clampAtTheCeiling_andRoundHalfUp(chain: Chain, mlp: Any) -> None:
    # h = min(max((acc + 1) >> 1, 0), 2**32 - 1) for acc = 3 q (shift 1), then y = h.
    big = 2**40
    params = MlpParams(1, 0, (np.array([[3], [1]]), np.array([[1, 1]])), ((0, big), (0,)),
                       (1,), 0)  # fmt: skip
    chunk = encode_chunk([[1], [-1], [0]], [0, 0, 0], regression=True)
    # row 1: h = (2, 2**32 - 1); row -1: h = (-1 -> 0, ceiling); row 0: (0, ceiling)
    predictions = [2 + HIDDEN_MAX, HIDDEN_MAX, HIDDEN_MAX]
    expected = sum(p * p for p in predictions)
    assert score_batch_mlp(chunk, [encode_mlp(params)], 1, 0) == (3, [expected])
    assert on_chain(chain, mlp, chunk, [encode_mlp(params)], 1, 0) == ("ok", (3, [expected]))


def test_tiesAndSignRule(chain: Chain, mlp: Any) -> None:
    one = MlpParams(0, 3, (np.array([[1]]), np.zeros((3, 1), dtype=np.int64)), ((0,), (5, 5, 5)),
                    (0,), 0)  # fmt: skip
    sign = MlpParams(0, 2, (np.array([[1]]), np.array([[1]])), ((0,), (0,)), (0,), 0)
    chunk3 = encode_chunk([[1], [2], [3]], [0, 1, 0], regression=False)
    assert on_chain(chain, mlp, chunk3, [encode_mlp(one)], 1, 3) == ("ok", (3, [2]))
    chunk2 = encode_chunk([[0], [1], [-1]], [0, 1, 0], regression=False)
    assert on_chain(chain, mlp, chunk2, [encode_mlp(sign)], 1, 2) == ("ok", (3, [3]))


def test_otherFamilies_areRejected(chain: Chain, mlp: Any, evaluator: Any) -> None:
    params = MlpParams(0, 2, (np.array([[1]]), np.array([[1]])), ((0,), (0,)), (0,), 0)
    chunk = encode_chunk([[1]], [1], regression=False)
    outcome = on_chain(chain, evaluator, chunk, [encode_mlp(params)], 1, 2)
    assert outcome == ("error", ("LinearEvaluatorModelWrongFamily", {"model": 0, "family": 2}))


# --- export -----------------------------------------------------------------------------

DATASETS = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer}


def fit(estimator: Any, X: Any, y: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@pytest.mark.parametrize("name", sorted(DATASETS))
@pytest.mark.parametrize("hidden", [(16,), (16, 8)])
def test_export_classifiers_agreeWithFloat(name: str, hidden: tuple[int, ...]) -> None:
    X, y = DATASETS[name](return_X_y=True)
    quantizer = Quantizer.fit(X, y)
    clf = fit(make_pipeline(StandardScaler(), MLPClassifier(hidden, max_iter=400, random_state=0)),
              X, y)  # fmt: skip
    model = export(clf, quantizer)
    assert model.family == "mlp" and family_of(clf) == "mlp"
    report = agreement(clf, model, X, y)
    assert report.identical >= 0.98
    assert ExportedModel.from_bytes(model.to_bytes(), quantizer) == model
    # on the quantisation grid the float model sees what the chain sees
    grid = quantizer.inverse_transform(quantizer.transform(X))
    assert agreement(clf, model, grid).identical >= 0.98


def test_export_regressor_agreesWithFloat(chain: Chain, mlp: Any) -> None:
    X, y = load_diabetes(return_X_y=True)
    quantizer = Quantizer.fit(X, y)
    reg = fit(make_pipeline(StandardScaler(),
                            MLPRegressor(hidden_layer_sizes=(16, 8), max_iter=800, random_state=0)),
              X, y)  # fmt: skip
    model = export(reg, quantizer)
    report = agreement(reg, model, X, y)
    assert report.max_abs_diff < 2.0 and abs(report.float_score - report.exported_score) < 0.01
    chunk = encode_chunk(quantizer.transform(X[:60]), quantizer.encode_labels(y[:60]),
                         regression=True)  # fmt: skip
    expected = score_chunk(chunk, model.to_bytes(), 10, 0)
    assert on_chain(chain, mlp, chunk, [model.to_bytes()], 10, 0) == ("ok", (60, [expected[1]]))


def test_export_onChainScore_equalsExactPredictions(chain: Chain, mlp: Any) -> None:
    X, y = load_wine(return_X_y=True)
    quantizer = Quantizer.fit(X, y)
    clf = fit(MLPClassifier((12,), max_iter=600, random_state=1), X, y)
    model = export(clf, quantizer)
    Xq, yq = quantizer.transform(X), quantizer.encode_labels(y)
    correct = int(np.sum(model.predict_quantised(Xq) == yq))
    chunk = encode_chunk(Xq, yq, regression=False)
    assert on_chain(chain, mlp, chunk, [model.to_bytes()], 13, 3) == ("ok", (178, [correct]))


def test_export_neverMutatesTheEstimator() -> None:
    X, y = load_iris(return_X_y=True)
    clf = fit(MLPClassifier((8,), max_iter=300, random_state=0), X, y)
    before = copy.deepcopy(clf.coefs_), copy.deepcopy(clf.intercepts_)
    export(clf, Quantizer.fit(X, y))
    assert all(np.array_equal(a, b) for a, b in zip(before[0], clf.coefs_, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(before[1], clf.intercepts_, strict=True))


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"activation": "tanh"}, "activation='relu' only"),
        ({"hidden_layer_sizes": (4, 4, 4)}, "1 or 2 hidden layers"),
        ({"hidden_layer_sizes": (300,)}, "at most 255 units"),
        ({"hidden_layer_sizes": (200,)}, "too many nodes"),
    ],
)
def test_export_unsupported_saysWhatIsSupported(kwargs: dict[str, Any], words: str) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    clf = fit(MLPClassifier(max_iter=5, random_state=0, **kwargs), X, y)
    with pytest.raises(UnsupportedModelError, match=words):
        export(clf, Quantizer.fit(X, y))


def test_export_unfitted_andPoissonLoss() -> None:
    X, y = load_diabetes(return_X_y=True)
    with pytest.raises(ModelNotFittedError, match="not fitted yet"):
        export(make_pipeline(StandardScaler(), MLPRegressor()), Quantizer.fit(X, y))
    poisson = fit(MLPRegressor(loss="poisson", max_iter=5, random_state=0), X, y)
    with pytest.raises(UnsupportedModelError, match="identity"):
        export(poisson, Quantizer.fit(X, y))


EXPENSIVE = [  # every kernel path at its most expensive per unit of work
    (1, (255,), 2), (1, (100, 3), 255), (30, (64,), 10), (8, (8, 255), 2), (30, (16,), 10),
    (1, (1, 31), 10), (17, (24, 8), 3), (33, (1, 40), 0), (4000, (1,), 2), (600, (3, 3), 0),
    (511, (4,), 50), (64, (17, 17), 3),
]  # fmt: skip


@pytest.mark.parametrize(("d", "hidden", "classes"), EXPENSIVE)
def test_worstCaseCostModel_boundsExpensiveNetworks(
    chain: Chain, mlp: Any, d: int, hidden: tuple[int, ...], classes: int
) -> None:
    """The chunk-size bound of mlmarket.ml.costs holds for networks of every shape, with
    and without the task's features known, at the clamp and argmax branches' worst."""
    from mlmarket.ml.budgets import MlpBudget
    from mlmarket.ml.costs import MAX_MODEL_BYTES, MlpCost, worst_row_gas
    from tests.ml.helpers import execution_gas

    rng = np.random.default_rng(2)
    sizes = (d, *hidden, classes if classes > 2 else 1)
    weights = tuple(rng.integers(LOW16, HIGH16 + 1, (n, m))
                    for m, n in zip(sizes[:-1], sizes[1:], strict=True))  # fmt: skip
    # increasing output biases: argmax replaced at every output
    biases = tuple(tuple(int(b) for b in np.sort(rng.integers(-(2**40), 2**40, n)))
                   for n in sizes[1:])  # fmt: skip
    task, out_shift = (1, 9) if classes == 0 else (0, 0)
    model = encode_mlp(MlpParams(task, classes, weights, biases, (20,) * len(hidden), out_shift))
    assert len(model) <= MAX_MODEL_BYTES["mlp"]
    rows = 6
    labels = rng.integers(-(2**31), 2**31, rows) if classes == 0 else rng.integers(0, classes, rows)
    chunk = encode_chunk(rng.integers(-128, 128, (rows, d)), labels, regression=classes == 0)
    measured = execution_gas(chain, mlp.functions.scoreBatch(chunk, [model], d, classes))
    # The tightest budget this network fits: the bound must hold for it.
    budget = MlpBudget(max_macs=sum(w.size for w in weights), max_units=sum(sizes[1:]))
    cost = MlpCost()
    for features in (None, d):
        per_model, per_row = worst_row_gas("mlp", budget, classes, features)
        assert measured <= cost.call + per_model + rows * (cost.row + per_row)


@pytest.mark.parametrize(
    ("macs", "units", "classes", "d"),
    [
        (640, 26, 10, 30),
        (220, 30, 10, 30),
        (1280, 42, 2, 30),
        (5000, 40, 0, 600),
        (300, 12, 3, None),
    ],
)
def test_worstRowGas_isTheMaximumOverTheBudgetsShapes(
    macs: int, units: int, classes: int, d: int | None
) -> None:
    """worst_row_gas maximises MlpCost.row_gas over every network within the budget
    (one or two hidden layers, either output shape of a binary task, any features)."""
    from mlmarket.ml.budgets import MlpBudget
    from mlmarket.ml.costs import MlpCost, worst_row_gas

    cost, best = MlpCost(), 0
    for outputs in [1] if classes == 0 else ([1, 2] if classes == 2 else [classes]):
        for h1 in range(1, units - outputs + 1):
            for h2 in range(0, units - outputs - h1 + 1):
                later = h1 * h2 + h2 * outputs if h2 else h1 * outputs
                for features in [d] if d else range(1, (macs - later) // h1 + 1):
                    if features * h1 + later <= macs:
                        hidden = (h1, h2) if h2 else (h1,)
                        best = max(best, cost.row_gas(features, hidden, outputs, classes == 0))
    budget = MlpBudget(max_macs=macs, max_units=units)
    assert worst_row_gas("mlp", budget, classes, d)[1] == best
