"""Gas and size models of the evaluator families, and the chunk size that fits one call.

Every family scores the same chunk (format v1), but the work per row differs:

* ``linear`` — ``m`` outputs times ``d`` multiply-accumulates
  (:class:`~mlmarket.ml.testset.EvaluationCost`).
* ``mlp`` — every unit of every layer: its dot product in SWAR words (8 or 4
  multiply-accumulates per ``mul``), one bias, a rounding shift and the clamped ReLU
  (:class:`MlpCost`).
* ``tree`` — per row and tree one walk of the deepest tree's depth over the records
  the model was written to in memory, one node visit per level, then the vote
  (:class:`TreeCost`).

A competition fixes the family and a model budget (:mod:`mlmarket.ml.budgets`) before
any model is known, so the chunk size must hold for the most expensive model within
it (:func:`worst_row_gas`): for an MLP the maximum of :meth:`MlpCost.row_gas` over
every network shape within ``max_macs`` and ``max_units`` (and the task's features and
outputs); a tree model within ``max_trees``, ``max_depth`` and ``max_nodes`` at most
:meth:`TreeCost.row_gas` per row, and its checks and records :meth:`TreeCost.model_gas`
once per model and call. This module does not touch the chain; ``mlmarket.market.gas``
measures the real numbers (``benchmarks/bench_families.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

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


def _groups(units: int) -> int:
    """Activation words of a layer of ``units`` (four per word, padded to a multiple of 4)."""
    return -(-units // 16) * 4


@dataclass(frozen=True)
class MlpCost:
    """Upper bounds on ``MlpEvaluator.scoreBatch``'s execution gas (its SWAR kernel, measured
    over shapes of 1..4096 features, 1..255 units per layer, 1..255 outputs; see
    :meth:`row_gas` and :meth:`model_gas`)."""

    call: int = 10_000  # dispatch, ABI decoding, argument and chunk-header checks
    row: int = 300  # label check, per row of the chunk
    model: int = 14_000  # header checks, layer table, scratch allocation, per model
    pack_unit: int = 600  # a unit's record (bias, word placement set-up), per model
    pack_mac: int = 90  # a weight placed in its lane, per model
    row_model: int = 1_300  # row loop, layer calls, output rule, scoring the prediction
    unit: int = 180  # bias, shift, clamp, store, loop: a unit on memory words, per row
    unit_stack: int = 240  # a unit on four stack words, its four `mul`s included, per row
    unit_stack8: int = 320  # a unit on eight stack words (17..32 inputs), per row
    group: int = 200  # four memory words (16 or 32 MACs) of a unit's dot product, per row
    block: int = 220  # four feature words of a row into memory (features > 32), per row

    def row_gas(
        self, features: int, hidden: tuple[int, ...], outputs: int, regression: bool = False
    ) -> int:
        """Gas of one row for one network of this shape, beyond :attr:`row`.

        The kernel's paths (docs/fixed-point.md, "MLP kernel"): a first layer on at most
        32 features keeps the row's four words on the stack (``unit_stack`` per unit), else
        the row is spread into ``steps`` groups of four words (``block`` each; 32 features
        per group in 32-bit lanes, 16 in 64-bit lanes from 512 features) and each unit takes
        ``unit + steps * group``; a later layer on ``n`` activations takes ``unit_stack``
        per unit for ``n <= 16`` and ``unit_stack8`` for ``n <= 32`` (its activation words
        on the stack), else ``unit + group * ceil(n / 16)``; a regressor's output always
        the latter.

        Example:
            >>> MlpCost().row_gas(30, (16,), 10)
            7540
        """
        h1 = hidden[0]
        gas = self.row_model
        if features <= 32:
            gas += h1 * self.unit_stack
        else:
            steps = -(-features // 32) * (2 if features >= 512 else 1)
            gas += steps * self.block + h1 * (self.unit + steps * self.group)
        inputs = h1
        for units in hidden[1:]:
            gas += units * self._later(inputs, stack=True)
            inputs = units
        return gas + outputs * self._later(inputs, stack=not regression)

    def _later(self, inputs: int, stack: bool) -> int:
        """A later layer's gas per unit and row on ``inputs`` activations."""
        steps = _groups(inputs) // 4
        if stack and steps <= 2:
            return self.unit_stack if steps == 1 else self.unit_stack8
        return self.unit + steps * self.group

    def model_gas(self, macs: int, units: int) -> int:
        """Gas of one network of at most ``macs`` weights and ``units`` units, once per call:
        checks, packing its weights into lanes, and the memory for its records (at most
        ``macs / 4 + 9 units + 1,300`` words)."""
        words = macs // 4 + 9 * units + 1_300
        memory = 3 * words + words * words // 512
        return self.model + units * self.pack_unit + macs * self.pack_mac + memory


@lru_cache(maxsize=256)
def _worst_mlp_row(cost: MlpCost, budget: MlpBudget, classes: int, features: int | None) -> int:
    """The largest :meth:`MlpCost.row_gas` over the networks within ``budget``: one or two
    hidden layers, the outputs the task allows, ``features`` features (any, if ``None``:
    the row gas grows with the features, so the most the MACs leave)."""
    from mlmarket.ml.fixedpoint import MAX_FEATURES
    from mlmarket.ml.mlp import MAX_HIDDEN

    worst = cost.row_model
    regression = classes == 0
    for outputs in (1,) if regression else ((1, 2) if classes == 2 else (classes,)):
        for h1 in range(1, min(MAX_HIDDEN, budget.max_units - outputs) + 1):
            for h2 in range(0, min(MAX_HIDDEN, budget.max_units - outputs - h1) + 1):
                room = budget.max_macs - (h1 * h2 + h2 * outputs if h2 else h1 * outputs)
                d = min(MAX_FEATURES, room // h1) if features is None else features
                if d < 1 or d * h1 > room:
                    if h2 == 0:
                        continue  # one hidden layer does not fit; two small ones may
                    break  # more units in the second layer leave even less room
                hidden = (h1, h2) if h2 else (h1,)
                worst = max(worst, cost.row_gas(d, hidden, outputs, regression))
    return worst


def _memory_gas(words: int) -> int:
    """Gas of expanding memory to ``words`` words (3 per word and ``words^2 / 512``)."""
    return 3 * words + words * words // 512


@dataclass(frozen=True)
class TreeCost:
    """Upper bounds on ``TreeEvaluator.scoreBatch``'s execution gas, per unit of work.

    A model of at most :data:`~mlmarket.ml.tree.RECORD_NODES` nodes is checked and written
    as records in memory once per call (``node`` per node, ``table`` per class, and the
    memory of four words per node, :meth:`model_gas`); each row is copied to memory
    (``copy`` per 32 features) and walks every tree as deep as the deepest. Walks of at
    most 8 levels are unrolled (``visit`` per level, ``tree`` per tree, ``row_model`` per
    row), deeper ones looped (``visit_loop``, ``tree_loop``, ``row_model_loop``); a forest
    adds its argmax, ``vote_row`` for at most 16 classes (one vote word), else
    ``vote_row_words`` and ``vote`` per class. A larger model is walked in calldata
    (``walk_*``). Measured with pyrevm (Cancun, no calldata floor) on paths every row walks
    to the end, 255 one-leaf trees, node lists whose internal nodes share one leaf, and
    rows of 30 and 4,096 features (benchmarks/README.md, "Model families").
    """

    call: int = 10_000
    row: int = 50  # labels (32 per word), per row of the chunk
    model: int = 10_000  # header checks, per model
    tree_setup: int = 1_500  # node count checks and the tree's records, per tree (once)
    node: int = 600  # check and record, per node (once; measured up to 557)
    table: int = 400  # vote entries, per class (once)
    row_model: int = 200  # unrolled: row loop, prediction, scoring, per row and model
    copy: int = 3  # the row copy, per 32 features and row
    tree: int = 100  # unrolled: root, vote, loop, per tree and row (measured up to 86)
    visit: int = 45  # unrolled: one level (42 measured), per tree and row
    row_model_loop: int = 450
    tree_loop: int = 300
    visit_loop: int = 60  # a level of the loop (54.5 measured)
    vote_row: int = 300  # at most 16 classes: the vote word's halvings, per row
    vote_row_words: int = 800  # more classes: reset, lane maxima and halvings, per row
    vote: int = 20  # more classes: a vote word's lanes, per class and row
    # The calldata walk of models above RECORD_NODES nodes (the kernel before the records):
    walk_node: int = 200
    walk_row_model: int = 500
    walk_vote: int = 160  # per class and row
    walk_tree: int = 250
    walk_visit: int = 150

    def model_gas(self, trees: int, nodes: int, classes: int, features: int) -> int:
        """Gas of one model of at most ``trees`` trees and ``nodes`` nodes, once per call:
        checks, records, vote tables and memory (records, row copy, tables, and 1,300
        words for the prediction buffer and the call's own memory)."""
        from mlmarket.ml.tree import RECORD_NODES

        walk = self.model + trees * self.tree_setup + nodes * self.walk_node
        if nodes > RECORD_NODES:  # a model this large may be walked in calldata
            nodes = RECORD_NODES
        words = 4 * nodes + 2 * classes + 2 + -(-features // 32) + 1_300
        records = (self.model + trees * self.tree_setup + nodes * self.node
                   + classes * self.table + _memory_gas(words))  # fmt: skip
        return max(walk, records)

    def row_gas(self, trees: int, depth: int, nodes: int, classes: int, features: int) -> int:
        """Gas of one row for one model of at most ``trees`` trees, walks ``depth`` deep and
        ``nodes`` nodes, beyond :attr:`row`.

        Example:
            >>> TreeCost().row_gas(16, 6, 2032, 10, 30), TreeCost().row_gas(1, 5, 63, 10, 30)
            (6423, 528)
        """
        from mlmarket.ml.tree import RECORD_NODES

        if depth <= 8:
            gas = self.row_model + trees * (self.tree + depth * self.visit)
        else:
            gas = self.row_model_loop + trees * (self.tree_loop + depth * self.visit_loop)
        if trees > 1 and classes > 0:  # a forest's vote
            gas += self.vote_row if classes <= 16 else self.vote_row_words + classes * self.vote
        gas += self.copy * -(-features // 32)
        if nodes > RECORD_NODES:
            walk = self.walk_row_model + classes * self.walk_vote
            gas = max(gas, walk + trees * (self.walk_tree + depth * self.walk_visit))
        return gas


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


def worst_row_gas(
    family: str, budget: ModelBudget, classes: int, features: int | None = None
) -> tuple[int, int]:
    """``(per model, per row and model)`` execution gas bound of the most expensive
    non-linear model within ``budget`` (for ``features`` features; any, if ``None``).

    Example:
        >>> worst_row_gas("tree", TreeBudget(max_trees=16, max_depth=6, max_nodes=2032), 3)
        (1461744, 6804)
        >>> worst_row_gas("mlp", MlpBudget(max_macs=640, max_units=26), 10, features=30)
        (97886, 7540)
    """
    if family == "mlp" and isinstance(budget, MlpBudget):
        c = MlpCost()
        per_row = _worst_mlp_row(c, budget, classes, features)
        return c.model_gas(budget.max_macs, budget.max_units), per_row
    if family == "tree" and isinstance(budget, TreeBudget):
        from mlmarket.ml.fixedpoint import MAX_FEATURES

        t = TreeCost()
        d = MAX_FEATURES if features is None else features
        args = (budget.max_trees, budget.max_nodes, classes, d)
        return t.model_gas(*args), t.row_gas(budget.max_trees, budget.max_depth, *args[1:])
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
    per_model, per_row_model = worst_row_gas(family, budget, classes, features)
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
        [459, 22]
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
