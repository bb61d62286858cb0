"""Model budgets: each evaluator's checkModel equals the Python reference, budgets
round-trip, and chunk sizes follow the budget."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mlmarket.chain import Chain
from mlmarket.errors import ContractRevertError, DataValidationError
from mlmarket.ml.budgets import (
    LinearBudget,
    MlpBudget,
    TreeBudget,
    budget_model_bytes,
    check_model,
    decode_budget,
    default_budget,
    encode_budget,
)
from mlmarket.ml.formats import FormatError
from mlmarket.ml.testset import rows_per_chunk
from tests.ml.conftest import deploy
from tests.ml.test_ml_differential import linear_models
from tests.ml.test_ml_mlp import networks
from tests.ml.test_ml_tree import forests

SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MODELS = {"linear": linear_models, "mlp": networks, "tree": forests}
EVALUATORS = {"linear": "LinearEvaluator", "mlp": "MlpEvaluator", "tree": "TreeEvaluator"}


@pytest.fixture(scope="module")
def evaluators(chain: Chain) -> dict[str, Any]:
    return {family: deploy(chain, name) for family, name in EVALUATORS.items()}


def budgets(family: str) -> st.SearchStrategy[Any]:
    """Budgets from tiny (most models refused) to roomy, edges included."""
    small = st.integers(1, 40)
    if family == "linear":
        return st.builds(LinearBudget, st.integers(1, 4))
    if family == "mlp":
        return st.builds(MlpBudget, st.one_of(small, st.integers(1, 2000)), st.integers(1, 40))
    return st.builds(TreeBudget, st.integers(1, 8), st.integers(1, 6), st.integers(1, 80))


def outcome(run: Any) -> tuple[str, Any]:
    try:
        return "ok", int(run())
    except ContractRevertError as exc:
        return "error", (exc.error_name, dict(exc.args_dict))
    except FormatError as exc:
        return "error", (exc.name, dict(exc.args_dict))


@SETTINGS
@given(family=st.sampled_from(sorted(MODELS)), data=st.data())
def test_checkModel_equalsReference(
    chain: Chain, evaluators: dict[str, Any], family: str, data: st.DataObject
) -> None:
    classes = data.draw(st.sampled_from([0, 2, 3, 5]))
    d = data.draw(st.integers(1, 12))
    model = data.draw(MODELS[family](d, classes))
    if data.draw(st.booleans()):  # a malformed model fails alike too
        model = model[: data.draw(st.integers(0, max(0, len(model) - 1)))]
    budget = data.draw(budgets(family))
    fn = evaluators[family].functions.checkModel(model, d, classes, encode_budget(budget))
    expected = outcome(lambda: check_model(family, model, d, classes, budget))
    event(f"{family}: {expected[0] if expected[0] == 'ok' else expected[1][0]}")
    assert outcome(lambda: chain.call(fn)) == expected


def test_aModelAtItsExactBudget_fits_oneLessIsRefusedWithTheWorkAndTheBudget(
    chain: Chain, evaluators: dict[str, Any]
) -> None:
    from mlmarket.ml.tree import LEAF, TreeParams, encode_tree

    stump = (0, 5, 2), (LEAF, 1, 0), (LEAF, 0, 0)  # depth 1
    deep = (0, 5, 4), (1, 0, 3), (LEAF, 1, 0), (LEAF, 0, 0), (LEAF, 1, 0)  # depth 2
    model = encode_tree(TreeParams(0, 2, 3, (stump, deep)))
    fits = TreeBudget(max_trees=2, max_depth=2, max_nodes=8)
    tree = evaluators["tree"]
    assert chain.call(tree.functions.checkModel(model, 3, 2, encode_budget(fits))) == 4  # 2 x 2
    with pytest.raises(ContractRevertError, match="walks up to 2 nodes deep") as refused:
        shallow = TreeBudget(max_trees=2, max_depth=1, max_nodes=8)
        chain.call(tree.functions.checkModel(model, 3, 2, encode_budget(shallow)))
    assert refused.value.args_dict == {"trees": 2, "depth": 2, "nodes": 8, "maxTrees": 2,
                                       "maxDepth": 1, "maxNodes": 8}  # fmt: skip


def test_treeDepth_isTheLongestWalk_throughSharedNodes(
    chain: Chain, evaluators: dict[str, Any]
) -> None:
    """Node 6 is the right child of nodes 2 (depth 2) and 4 (depth 1): the walk 0, 1, 2, 6
    visits 4 internal nodes, so a budget of depth 3 refuses the model."""
    from mlmarket.ml.tree import LEAF, TreeParams, encode_tree

    dag = ((0, 0, 4), (0, 0, 3), (0, 0, 6), (LEAF, 0, 0), (0, 0, 6),
           (LEAF, 0, 0), (0, 0, 8), (LEAF, 0, 0), (LEAF, 1, 0))  # fmt: skip
    model = encode_tree(TreeParams(0, 2, 1, (dag,)))
    tree = evaluators["tree"]
    for depth, expected in ((4, ("ok", 4)), (3, ("error", "TreeEvaluatorModelOverBudget"))):
        budget = TreeBudget(max_trees=1, max_depth=depth, max_nodes=9)
        got = outcome(
            lambda b=budget: chain.call(tree.functions.checkModel(model, 1, 2, encode_budget(b)))
        )
        assert got[0] == expected[0] and (got[1] == expected[1] or got[1][0] == expected[1])
        assert got == outcome(lambda b=budget: check_model("tree", model, 1, 2, b))


@pytest.mark.parametrize(
    "budget",
    [
        LinearBudget(2),
        MlpBudget(max_macs=640, max_units=26),
        TreeBudget(max_trees=16, max_depth=6, max_nodes=2032),
    ],  # fmt: skip
    ids=["linear", "mlp", "tree"],
)
def test_budget_roundTripsThroughItsEncoding(budget: Any) -> None:
    assert decode_budget(budget.family, encode_budget(budget)) == budget


@pytest.mark.parametrize(
    "budget",
    [LinearBudget(5), MlpBudget(max_macs=0, max_units=3), TreeBudget(300, 2, 3)],
    ids=["linear", "mlp", "tree"],
)
def test_budget_outOfRange_isNamed(budget: Any) -> None:
    with pytest.raises(DataValidationError, match="must be a whole number"):
        encode_budget(budget)


def test_chunks_growAsTheBudgetShrinks() -> None:
    """d = 30, K = 10, 4 models per call: the MLP default (hidden 32) and hidden 16."""
    default = default_budget("mlp", 30, 10)
    hidden16 = MlpBudget(max_macs=16 * 40, max_units=26)
    rows_default = rows_per_chunk(30, 10, models_per_call=4, family="mlp")
    rows_16 = rows_per_chunk(30, 10, models_per_call=4, family="mlp", budget=hidden16)
    assert rows_default == rows_per_chunk(30, 10, models_per_call=4, family="mlp", budget=default)
    assert 8 < rows_default < rows_16  # 8 rows per chunk before budgets
    assert budget_model_bytes(hidden16, 30, 10) < budget_model_bytes(default, 30, 10) < 8192


def test_linearWeightsWiderThanTheBudget_areRefused(
    chain: Chain, evaluators: dict[str, Any]
) -> None:
    import numpy as np

    from mlmarket.ml import LinearParams, encode_model

    model = encode_model(LinearParams(0, 2, np.array([[70_000, -3, 5]]), (1,), 4, 8, 0))
    linear = evaluators["linear"]
    assert chain.call(linear.functions.checkModel(model, 3, 2, 4)) == 3  # 1 output x 3 features
    with pytest.raises(
        ContractRevertError, match="4 bytes wide, above this competition's budget of 2"
    ):
        chain.call(linear.functions.checkModel(model, 3, 2, 2))
    with pytest.raises(FormatError, match="LinearEvaluatorModelOverBudget"):
        check_model("linear", model, 3, 2, LinearBudget(2))
