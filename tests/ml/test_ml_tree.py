"""TreeEvaluator on chain equals the Python reference (mlmarket.ml.tree) bit for bit.

Random trees and forests (thresholds at the int8 extremes, ties between classes in
the vote, int32 leaf values), malformed bytes that must fail alike on chain and in
Python, and exported scikit-learn trees whose integer splits equal the float ones on
every quantisation grid value. Every kernel of the records in memory (one tree,
regression, forests of at most 16 classes and of more, each depth unrolled or looped)
and the calldata walk of models above the records' node limit, on node lists of any
valid shape (shared children, unreachable nodes, long chains).
"""

from __future__ import annotations

import copy
import doctest
from typing import Any

import numpy as np
import pytest
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_iris,
    load_wine,
    make_classification,
)
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import mlmarket.ml.costs
import mlmarket.ml.mlp
import mlmarket.ml.tree
from mlmarket.chain import Chain
from mlmarket.errors import UnsupportedModelError
from mlmarket.ml import (
    ExportedModel,
    FormatError,
    ModelNotFittedError,
    Quantizer,
    agreement,
    encode_chunk,
    export,
    score_chunk,
)
from mlmarket.ml.budgets import budget_model_bytes, check_model, default_budget
from mlmarket.ml.tree import LEAF, TreeParams, encode_tree, score_batch_tree
from tests.ml.conftest import deploy
from tests.ml.helpers import on_chain, random_tree, tally_in_python, tally_on_chain
from tests.ml.test_ml_differential import INT8, INT32, MUTATIONS, mutate

SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
THRESHOLD = st.one_of(st.sampled_from([-128, -127, -1, 0, 126, 127]), st.integers(-128, 127))


@pytest.fixture(scope="module")
def tree(chain: Chain) -> Any:
    return deploy(chain, "TreeEvaluator")


def in_python(chunk: bytes, models: list[bytes], d: int, k: int) -> tuple[str, Any]:
    try:
        return "ok", score_batch_tree(chunk, models, d, k)
    except FormatError as exc:
        return "error", (exc.name, dict(exc.args_dict))


@st.composite
def one_tree(
    draw: st.DrawFn, d: int, classes: int, budget: int = 12, max_depth: int = 4
) -> tuple[Any, ...]:
    """A random valid tree in preorder (left child next, right child patched)."""
    nodes: list[list[int]] = []
    leaf = INT32 if classes == 0 else st.integers(0, classes - 1)

    def grow(depth: int) -> None:
        if depth >= max_depth or len(nodes) >= budget or draw(st.booleans()):
            nodes.append([LEAF, draw(leaf), 0])
            return
        here = len(nodes)
        nodes.append([draw(st.integers(0, d - 1)), draw(THRESHOLD), 0])
        grow(depth + 1)
        nodes[here][2] = len(nodes)
        grow(depth + 1)

    grow(0)
    return tuple(tuple(n) for n in nodes)


@st.composite
def forests(draw: st.DrawFn, d: int, classes: int) -> bytes:
    count = 1 if classes == 0 else draw(st.integers(1, 6))
    trees = tuple(draw(one_tree(d, classes)) for _ in range(count))
    if count > 1 and draw(st.booleans()):  # ties in the vote: pairs of disagreeing stumps
        trees = tuple(((LEAF, k % classes, 0),) for k in range(count))
    return encode_tree(TreeParams(1 if classes == 0 else 0, classes, d, trees))


@st.composite
def cases(draw: st.DrawFn, max_rows: int = 8) -> tuple[bytes, list[bytes], int, int]:
    classes, d = draw(st.sampled_from([0, 2, 2, 3, 5])), draw(st.integers(1, 12))
    rows = draw(st.integers(0, max_rows))
    features = draw(arrays(np.int64, (rows, d), elements=INT8))
    label = INT32 if classes == 0 else st.integers(0, classes - 1)
    labels = [draw(label) for _ in range(rows)]
    chunk = encode_chunk(features.reshape(rows, d), labels, regression=classes == 0)
    models = [draw(forests(d, classes)) for _ in range(draw(st.integers(1, 3)))]
    return chunk, models, d, classes


@st.composite
def any_tree(draw: st.DrawFn, d: int, classes: int, max_nodes: int = 40) -> tuple[Any, ...]:
    """Any valid node list: each internal node's right child anywhere after its left one,
    so nodes are shared by several parents, some are unreachable and chains run deep."""
    n = draw(st.integers(1, max_nodes))
    leaf = INT32 if classes == 0 else st.integers(0, classes - 1)
    nodes: list[tuple[int, int, int]] = []
    for i in range(n):
        if i + 2 < n and draw(st.integers(0, 2)):
            right = draw(st.integers(i + 2, n - 1))
            nodes.append((draw(st.integers(0, d - 1)), draw(THRESHOLD), right))
        else:
            nodes.append((LEAF, draw(leaf), 0))
    return tuple(nodes)


# Kernels of the records in memory (TreeEvaluator._predict) and the classes they run for.
KERNELS = {
    "one tree": [2, 3, 255],
    "regression": [0],
    "forest, <= 16 classes": [2, 3, 4, 5, 8, 9, 16],
    "forest, > 16 classes": [17, 40, 255],
}
NEAR = st.sampled_from([-128, -127, -2, -1, 0, 1, 126, 127])  # features that meet thresholds


@st.composite
def record_cases(draw: st.DrawFn, max_rows: int = 12) -> tuple[bytes, list[bytes], int, int]:
    """A chunk and 1-2 models for one records kernel: deep proper trees (depths 0 to 10,
    unrolled up to 8 levels, looped beyond), node lists of any shape, ties in the vote,
    features that often equal the thresholds, odd and even row counts."""
    kernel = draw(st.sampled_from(sorted(KERNELS)))
    classes = draw(st.sampled_from(KERNELS[kernel]))
    d = draw(st.integers(1, 40))
    rows = draw(st.integers(1, max_rows))
    features = draw(arrays(np.int64, (rows, d), elements=st.one_of(NEAR, INT8)))
    label = INT32 if classes == 0 else st.integers(0, classes - 1)
    labels = [draw(label) for _ in range(rows)]
    chunk = encode_chunk(features, labels, regression=classes == 0)
    models = []
    for _ in range(draw(st.integers(1, 2))):
        count = 1 if kernel in ("one tree", "regression") else draw(st.integers(2, 12))
        budget, depth = draw(st.integers(1, 200)), draw(st.integers(0, 10))
        tree = st.one_of(one_tree(d, classes, budget, depth), any_tree(d, classes))
        trees = tuple(draw(tree) for _ in range(count))
        if count > 1 and draw(st.integers(0, 4)) == 0:  # every class votes alike: a tie
            trees = tuple(((LEAF, k % classes, 0),) for k in range(count))
        models.append(encode_tree(TreeParams(1 if classes == 0 else 0, classes, d, trees)))
    return chunk, models, d, classes


@SETTINGS
@given(case=record_cases())
def test_everyRecordsKernel_equalsReference(chain: Chain, tree: Any, case: Any) -> None:
    chunk, models, d, classes = case
    expected = in_python(chunk, models, d, classes)
    assert expected[0] == "ok"
    assert on_chain(chain, tree, chunk, models, d, classes) == expected


@pytest.mark.parametrize("depth", range(0, 11))
@pytest.mark.parametrize("classes", [0, 2, 10, 40])
def test_everyDepth_ofEveryKernel_equalsReference(
    chain: Chain, tree: Any, depth: int, classes: int
) -> None:
    """Depths 0-8 run unrolled levels, 9-10 the loop; one tree and a forest of trees of
    mixed depths (the shallower ones' leaves absorb the extra levels); 1 and 40 rows."""
    rng = np.random.default_rng(depth * 100 + classes)
    d = 7
    single = (random_tree(rng, d, depth, classes),)
    forests = [single]
    if classes:  # five trees of random depths up to `depth`, then one of `depth`
        mixed = [random_tree(rng, d, int(rng.integers(0, depth + 1)), classes) for _ in range(5)]
        forests.append((*mixed, *single))
    for rows in (1, 40):
        labels = (
            rng.integers(-(2**31), 2**31, rows) if classes == 0 else rng.integers(0, classes, rows)
        )
        chunk = encode_chunk(rng.integers(-128, 128, (rows, d)), labels, regression=classes == 0)
        models = [encode_tree(TreeParams(int(classes == 0), classes, d, f)) for f in forests]
        expected = in_python(chunk, models, d, classes)
        assert on_chain(chain, tree, chunk, models, d, classes) == expected


@pytest.mark.parametrize("nodes", [2048, 2049])
@pytest.mark.parametrize("shape", ["one tree", "regression", "forest"])
def test_recordsUpToTheNodeLimit_calldataWalkAbove(
    chain: Chain, tree: Any, nodes: int, shape: str
) -> None:
    """A model of at most 2,048 nodes is written as records, a larger one walked in
    calldata: both equal the reference. A complete tree of depth 10 (2,047 nodes) and
    leaves: unreachable ones after it, or one-leaf trees beside it."""
    rng = np.random.default_rng(nodes)
    d, rows = 5, 30
    classes = 0 if shape == "regression" else 3
    big = random_tree(rng, d, 10, classes)
    leaves = tuple((LEAF, 1 + k, 0) for k in range(nodes - len(big)))
    if shape == "forest":
        trees: tuple[Any, ...] = (big, *((leaf,) for leaf in leaves))
    else:
        trees = ((*big, *leaves),)
    labels = rng.integers(-(2**31), 2**31, rows) if classes == 0 else rng.integers(0, 3, rows)
    chunk = encode_chunk(rng.integers(-128, 128, (rows, d)), labels, regression=classes == 0)
    model = encode_tree(TreeParams(int(classes == 0), classes, d, trees))
    assert sum(len(t) for t in trees) == nodes
    expected = in_python(chunk, [model], d, classes)
    assert on_chain(chain, tree, chunk, [model], d, classes) == expected
    assert tally_on_chain(chain, tree, chunk, [model], d, classes) == tally_in_python(
        chunk, [model], d, classes, "tree"
    )


def test_255Trees_255Classes_andTies(chain: Chain, tree: Any) -> None:
    """The largest forest the format holds, every class voted for, ties to the lowest."""
    rng = np.random.default_rng(255)
    d, classes, rows = 4, 255, 9
    trees = tuple(random_tree(rng, d, int(rng.integers(0, 4)), classes) for _ in range(255))
    ties = tuple(((LEAF, (200 - k) % classes, 0),) for k in range(254))  # classes 200..., once each
    chunk = encode_chunk(rng.integers(-128, 128, (rows, d)), rng.integers(0, classes, rows),
                         regression=False)  # fmt: skip
    models = [encode_tree(TreeParams(0, classes, d, t)) for t in (trees, ties)]
    expected = in_python(chunk, models, d, classes)
    assert on_chain(chain, tree, chunk, models, d, classes) == expected


@SETTINGS
@given(case=cases())
def test_scoreBatch_equalsReference(chain: Chain, tree: Any, case: Any) -> None:
    chunk, models, d, classes = case
    expected = in_python(chunk, models, d, classes)
    assert expected[0] == "ok"
    assert on_chain(chain, tree, chunk, models, d, classes) == expected


@SETTINGS
@given(case=cases(max_rows=3), mutation=MUTATIONS, target=st.integers(0, 3), data=st.data())
def test_malformedBytes_failAlikeOnChainAndInPython(
    chain: Chain, tree: Any, case: Any, mutation: Any, target: int, data: st.DataObject
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
    assert on_chain(chain, tree, chunk, models, d, classes) == in_python(chunk, models, d, classes)


def test_family_isKeccakOfTree(chain: Chain, tree: Any) -> None:
    assert chain.call(tree.functions.family()) == keccak(text="tree")


def test_thresholdsAtTheInt8Boundaries(chain: Chain, tree: Any) -> None:
    # q <= -128 only for -128; q <= 127 always; q <= -1 splits the signed range.
    stumps = [((0, t, 2), (LEAF, 0, 0), (LEAF, 1, 0)) for t in (-128, 127, -1)]
    chunk = encode_chunk([[-128], [-127], [-1], [0], [127]], [0, 1, 0, 1, 1], regression=False)
    models = [encode_tree(TreeParams(0, 2, 1, (s,))) for s in stumps]
    expected = ("ok", (5, [4, 2, 4]))
    assert in_python(chunk, models, 1, 2) == expected
    assert on_chain(chain, tree, chunk, models, 1, 2) == expected


def test_voteTies_goToTheLowestClass(chain: Chain, tree: Any) -> None:
    trees = (((LEAF, 2, 0),), ((LEAF, 1, 0),), ((LEAF, 1, 0),), ((LEAF, 2, 0),))
    model = encode_tree(TreeParams(0, 3, 1, trees))
    chunk = encode_chunk([[0], [5]], [1, 2], regression=False)
    assert on_chain(chain, tree, chunk, [model], 1, 3) == ("ok", (2, [1]))


def test_regressionLeaves_atInt32Extremes(chain: Chain, tree: Any) -> None:
    nodes = ((0, 0, 2), (LEAF, -(2**31), 0), (LEAF, 2**31 - 1, 0))
    model = encode_tree(TreeParams(1, 0, 1, (nodes,)))
    chunk = encode_chunk([[-5], [5]], [2**31 - 1, -(2**31)], regression=True)
    expected = ("ok", (2, [2 * (2**32 - 1) ** 2]))
    assert in_python(chunk, [model], 1, 0) == expected
    assert on_chain(chain, tree, chunk, [model], 1, 0) == expected


def test_deepChain_andManyTrees(chain: Chain, tree: Any) -> None:
    depth = 200  # a path of 200 internal nodes: every row walks all of them
    nodes: list[tuple[int, int, int]] = []
    for i in range(depth):
        nodes.append((i % 3, 127, 2 * depth - i))
    nodes.append((LEAF, 1, 0))
    nodes += [(LEAF, 0, 0)] * depth
    model = encode_tree(TreeParams(0, 2, 3, (tuple(nodes),) * 3))
    chunk = encode_chunk(np.zeros((3, 3), dtype=np.int64), [1, 0, 1], regression=False)
    assert on_chain(chain, tree, chunk, [model], 3, 2) == in_python(chunk, [model], 3, 2)


# --- export -----------------------------------------------------------------------------

DATASETS = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer}


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_exportedTree_equalsFloatTree_onTheGrid(name: str) -> None:
    X, y = DATASETS[name](return_X_y=True)
    quantizer = Quantizer.fit(X, y)
    for estimator in (
        DecisionTreeClassifier(random_state=0).fit(X, y),  # full depth
        make_pipeline(StandardScaler(), DecisionTreeClassifier(max_depth=4, random_state=0)).fit(
            X, y
        ),
    ):
        model = export(estimator, quantizer)
        assert model.family == "tree"
        grid = quantizer.inverse_transform(quantizer.transform(X))
        assert agreement(estimator, model, grid).identical == 1.0  # exact on grid values
        assert agreement(estimator, model, X, y).identical >= 0.97
        assert ExportedModel.from_bytes(model.to_bytes(), quantizer) == model


def test_forest_majorityVote_agreesMostly(chain: Chain, tree: Any) -> None:
    X, y = load_wine(return_X_y=True)
    quantizer = Quantizer.fit(X, y)
    forest = RandomForestClassifier(8, max_depth=3, random_state=0).fit(X, y)
    model = export(forest, quantizer)
    assert len(model.params.trees) == 8
    assert agreement(forest, model, X, y).identical >= 0.95
    Xq, yq = quantizer.transform(X), quantizer.encode_labels(y)
    chunk = encode_chunk(Xq, yq, regression=False)
    correct = int(np.sum(model.predict_quantised(Xq) == yq))
    assert score_chunk(chunk, model.to_bytes(), 13, 3) == (178, correct)
    assert on_chain(chain, tree, chunk, [model.to_bytes()], 13, 3) == ("ok", (178, [correct]))


def test_regressionTree_onChain(chain: Chain, tree: Any) -> None:
    X, y = load_diabetes(return_X_y=True)
    quantizer = Quantizer.fit(X, y)
    reg = DecisionTreeRegressor(max_depth=5, random_state=0).fit(X, y)
    model = export(reg, quantizer)
    grid = quantizer.inverse_transform(quantizer.transform(X))
    assert agreement(reg, model, grid).max_abs_diff <= 2.0**-quantizer.label_shift
    chunk = encode_chunk(quantizer.transform(X[:80]), quantizer.encode_labels(y[:80]),
                         regression=True)  # fmt: skip
    _, sse = score_chunk(chunk, model.to_bytes(), 10, 0)
    assert on_chain(chain, tree, chunk, [model.to_bytes()], 10, 0) == ("ok", (80, [sse]))


def test_theDefaultBudgetsForest_exports_andFitsTheBudget() -> None:
    """16 trees of depth 6 (the default budget's typical model) export and fit the budget."""
    X, y = make_classification(5000, n_features=30, n_informative=20, n_classes=10,
                               random_state=0)  # fmt: skip
    quantizer = Quantizer.fit(X, y)
    forest = RandomForestClassifier(16, max_depth=6, random_state=0).fit(X, y)
    model = export(forest, quantizer)
    budget = default_budget("tree", 30, 10)
    assert len(model.to_bytes()) <= budget_model_bytes(budget, 30, 10)
    assert check_model("tree", model.to_bytes(), 30, 10, budget) <= 16 * 6


def test_export_neverMutates_andRefusesWhatItCannot() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    quantizer = Quantizer.fit(X, y)
    clf = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    before = copy.deepcopy(clf.tree_.threshold)
    export(clf, quantizer)
    assert np.array_equal(before, clf.tree_.threshold)
    with pytest.raises(ModelNotFittedError, match="not fitted yet"):
        export(DecisionTreeClassifier(), quantizer)
    X_big, y_big = make_classification(4000, n_features=30, n_informative=20, n_classes=10,
                                       random_state=0)  # fmt: skip
    big = Quantizer.fit(X_big, y_big)
    with pytest.raises(UnsupportedModelError, match="too many nodes"):
        export(RandomForestClassifier(12, random_state=0).fit(X_big, y_big), big)
    with pytest.raises(UnsupportedModelError, match="at most 32 trees"):
        export(RandomForestClassifier(40, max_depth=1, random_state=0).fit(X, y), quantizer)


def test_constantSplits_arePruned() -> None:
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    quantizer = Quantizer.fit(X, [0, 0, 1, 1])
    clf = DecisionTreeClassifier(random_state=0).fit(X, [0, 0, 1, 1])
    model = export(clf, quantizer)
    assert len(model.params.trees[0]) == 3  # one split, two leaves
    out_of_range = Quantizer.fit(X * 0.0 + 10.0 + np.arange(4)[:, None] * 1e-9, [0, 0, 1, 1])
    pruned = export(clf, out_of_range)  # every grid value lies right of every threshold
    assert pruned.params.trees[0] == ((LEAF, 1, 0),)


@pytest.mark.parametrize("module", [mlmarket.ml.tree, mlmarket.ml.mlp, mlmarket.ml.costs])
def test_docstringExamples(module: Any) -> None:
    assert doctest.testmod(module).failed == 0


def path_tree(d: int, depth: int, classes: int) -> tuple[Any, ...]:
    """`depth` internal nodes every row walks (threshold 127: always left), then leaves."""
    path = [(i % d, 127, 2 * depth - i) for i in range(depth)]
    return tuple(path + [(LEAF, 1 % max(classes, 2), 0)] + [(LEAF, 0, 0)] * depth)


def shared_leaf(d: int, nodes: int) -> tuple[Any, ...]:
    """`nodes - 2` internal nodes, each with the next node left (always taken) and the last
    node right: the most internal nodes a node list can have (each costs most to check
    and write) and the longest walk."""
    inner = [(i % d, 127, nodes - 1) for i in range(nodes - 2)]
    return tuple(inner + [(LEAF, 0, 0), (LEAF, 1, 0)])


# shape: (trees, classes, features, budget (trees, depth, nodes), rows, copies of the model)
ADVERSARIAL = {
    "many trees": (tuple(((LEAF, t % 255, 0),) for t in range(255)), 255, 30, (255, 1, 255), 12, 1),
    "long path": ((path_tree(30, 255, 255),), 255, 30, (1, 255, 511), 12, 1),
    "wide rows": ((path_tree(4096, 255, 3),), 3, 4096, (1, 255, 511), 6, 8),
    "deep forest": (tuple(path_tree(30, 9, 255) for _ in range(99)), 255, 30, (99, 9, 1881), 12, 1),
    "many classes": (tuple(path_tree(30, 8, 40) for _ in range(99)), 40, 30, (99, 8, 1683), 12, 1),
    "shared leaf": ((shared_leaf(30, 2048),), 255, 30, (1, 2046, 2048), 12, 1),
    "calldata walk": ((shared_leaf(30, 2049),), 255, 30, (1, 2047, 2049), 12, 1),
    "unrolled forest": (tuple(path_tree(30, 6, 10) for _ in range(16)), 10, 30, (16, 6, 208), 9, 1),
}  # fmt: skip


@pytest.mark.parametrize("shape", sorted(ADVERSARIAL))
def test_worstCaseCostModel_boundsAdversarialModels(chain: Chain, tree: Any, shape: str) -> None:
    """The chunk-size bound of mlmarket.ml.costs holds for the most expensive tree models:
    the most trees and classes (one vote word, vote words), the deepest walks (looped),
    the widest rows (copied per row), the most internal nodes (records) and a model walked
    in calldata."""
    from mlmarket.ml.budgets import TreeBudget
    from mlmarket.ml.costs import TreeCost, worst_row_gas
    from tests.ml.helpers import execution_gas

    trees, classes, d, limits, rows, copies = ADVERSARIAL[shape]
    budget = TreeBudget(*limits)
    model = encode_tree(TreeParams(0, classes, d, trees))
    assert TreeParams(0, classes, d, trees).depth() <= budget.max_depth
    rng = np.random.default_rng(1)
    chunk = encode_chunk(rng.integers(-128, 128, (rows, d)), rng.integers(0, classes, rows),
                         regression=False)  # fmt: skip
    fn = tree.functions.scoreBatch(chunk, [model] * copies, d, classes)
    measured = execution_gas(chain, fn)
    per_model, per_row = worst_row_gas("tree", budget, classes, features=d)
    cost = TreeCost()
    assert measured <= cost.call + copies * per_model + rows * (cost.row + copies * per_row)
