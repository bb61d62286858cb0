"""Gas and size models of the evaluator families, and the chunk size that fits one call.

Every family scores the same chunk (format v1), but the work per row differs:

* ``linear`` — ``m`` outputs times ``d`` multiply-accumulates
  (:class:`~mlmarket.ml.testset.EvaluationCost`).
* ``mlp`` — every unit of every layer: one bias, one multiply-accumulate per input,
  a rounding shift and the clamped ReLU (:class:`MlpCost`).
* ``tree`` — per tree one walk from the root to a leaf, one node visit per level,
  then the vote (:class:`TreeCost`).

A competition fixes the family and a model budget (:mod:`mlmarket.ml.budgets`) before
any model is known, so the chunk size must hold for the most expensive model within
it (:func:`worst_row_gas`): an MLP within ``max_macs`` and ``max_units`` costs at most
``units * unit + macs * mac`` gas per row; a tree model within ``max_trees``,
``max_depth`` and ``max_nodes`` at most ``trees * (tree + depth * visit)`` for its walks,
and its validation is paid once per model and call. This module does not touch the chain;
``mlmarket.market.gas`` measures the real numbers (``benchmarks/bench_families.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mlmarket.errors import DataValidationError
from mlmarket.ml.budgets import (
    MlpBudget,
    ModelBudget,
    TreeBudget,
    budget_model_bytes,
    default_budget,
    describe_budget,
)

__all__ = [
    "FAMILIES",
    "evaluation_plan",
    "MAX_MODEL_BYTES",
    "MlpCost",
    "TreeCost",
    "family_limits",
    "family_model_bytes",
    "worst_row_gas",
]

FAMILIES = ("linear", "mlp", "tree")
"""Model families with an evaluator contract (``family() == keccak256(name)``)."""


@dataclass(frozen=True)
class MlpCost:
    """Upper bounds on ``MlpEvaluator.scoreBatch``'s execution gas, per unit of work."""

    call: int = 10_000  # dispatch, ABI decoding, argument and chunk-header checks
    row: int = 300  # label check, per row of the chunk
    model: int = 12_000  # header checks, layer table, activation buffers, per model
    row_model: int = 1_500  # layer calls, output rule, label comparison, per row and model
    unit: int = 400  # bias load, shift, clamp, store, loop, per unit and row
    mac: int = 80  # one multiply-accumulate (bound over the unrolled loop and its tail)


@dataclass(frozen=True)
class TreeCost:
    """Upper bounds on ``TreeEvaluator.scoreBatch``'s execution gas, per unit of work."""

    call: int = 10_000
    row: int = 300
    model: int = 10_000  # header checks, roots, per model
    tree_setup: int = 1_000  # node count checks and root, per tree of each model (once)
    node: int = 200  # validation, per node of each model (once)
    row_model: int = 1_000  # row loop, vote reset, argmax, label comparison
    vote: int = 250  # vote reset and argmax, per class and row (forests)
    tree: int = 400  # walk call, leaf, vote, per tree and row
    visit: int = 150  # one internal node on a root-to-leaf walk


MAX_MODEL_BYTES = {"mlp": 8192, "tree": 4096}
"""Largest model a competition of the family accepts (the exporters refuse bigger ones)."""


def family_model_bytes(family: str, features: int, classes: int) -> int:
    """Largest model of ``family`` a competition with this shape accepts.

    Example:
        >>> family_model_bytes("mlp", 30, 2), family_model_bytes("tree", 30, 2)
        (8192, 4096)
    """
    if family not in FAMILIES:
        raise DataValidationError(f"Unknown model family {family!r}; known: {', '.join(FAMILIES)}.")
    if family == "linear":
        from mlmarket.ml.formats import model_size

        return model_size(max(classes, 1), features, 4, 8)
    return MAX_MODEL_BYTES[family]


def worst_row_gas(family: str, budget: ModelBudget, classes: int) -> tuple[int, int]:
    """``(per model, per row and model)`` execution gas bound of the most expensive
    non-linear model within ``budget``.

    Example:
        >>> worst_row_gas("tree", TreeBudget(max_trees=16, max_depth=6, max_nodes=2032), 3)
        (432400, 22550)
    """
    if family == "mlp" and isinstance(budget, MlpBudget):
        c = MlpCost()
        return c.model, c.row_model + budget.max_units * c.unit + budget.max_macs * c.mac
    if family == "tree" and isinstance(budget, TreeBudget):
        t = TreeCost()
        trees, nodes = budget.max_trees, budget.max_nodes
        per_model = t.model + trees * t.tree_setup + nodes * t.node
        walk = trees * (t.tree + budget.max_depth * t.visit)
        return per_model, t.row_model + classes * t.vote + walk
    raise DataValidationError(f"No worst-case cost model for family {family!r} and {budget}.")


def family_limits(
    family: str,
    features: int,
    classes: int,
    models: int,
    reserve_bytes: int,
    budget: ModelBudget | None = None,
) -> tuple[int, int, int, int]:
    """For :func:`~mlmarket.ml.testset.rows_per_chunk`: the largest model's bytes, the call's
    bytes without rows (plus ``reserve_bytes``), and its execution gas without rows and
    per row, for ``models`` models of ``family`` within ``budget`` (default: the family's
    :func:`~mlmarket.ml.budgets.default_budget`) per call."""
    from mlmarket.ml.testset import call_bytes

    if budget is None:
        budget = default_budget(family, features, classes)
    model_bytes = budget_model_bytes(budget, features, classes)
    per_model, per_row_model = worst_row_gas(family, budget, classes)
    base = MlpCost() if family == "mlp" else TreeCost()
    fixed_bytes = call_bytes(0, features, classes, models, model_bytes) + reserve_bytes
    return (
        model_bytes,
        fixed_bytes,
        base.call + models * per_model,
        base.row + models * per_row_model,
    )


def evaluation_plan(
    features: int,
    classes: int,
    test_rows: int,
    budgets: dict[str, ModelBudget],
    *,
    models_per_call: int = 4,
) -> pd.DataFrame:
    """Per named budget: the rows per chunk a competition of this shape commits to, and the
    evaluation transactions a test set of ``test_rows`` rows then takes per batch of
    ``models_per_call`` models.

    Example:
        >>> from mlmarket.ml.budgets import MlpBudget
        >>> plan = evaluation_plan(30, 10, 10_000, {"hidden 16": MlpBudget(640, 26)})
        >>> plan.loc["hidden 16", ["rows_per_chunk", "transactions"]].tolist()
        [57, 176]
    """
    from mlmarket.ml.testset import rows_per_chunk

    rows = {}
    for name, budget in budgets.items():
        per_chunk = rows_per_chunk(features, classes, models_per_call=models_per_call,
                                   family=budget.family, budget=budget)  # fmt: skip
        rows[name] = {"family": budget.family, "budget": describe_budget(budget),
                      "rows_per_chunk": per_chunk,
                      "transactions": -(-test_rows // per_chunk)}  # fmt: skip
    return pd.DataFrame.from_dict(rows, orient="index")
