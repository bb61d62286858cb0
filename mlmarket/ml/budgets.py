"""Model budgets: the largest model a competition accepts, per family, checked at reveal.

A competition sizes its test chunks before any model is known, so it must bound what
one model may cost per row. The creator chooses a budget per family; it is stored in
the competition's parameters (``modelBudget``, one ``uint256`` in the family's
encoding), the chunks are sized for the most expensive model within it
(:func:`budget_row_gas`), and the evaluator's ``checkModel`` refuses any model above
it at reveal (``<Family>EvaluatorModelOverBudget``, with the work and the budget).

==========  ===========================================  ===============================
family      budget (encoding)                            work returned by ``checkModel``
==========  ===========================================  ===============================
linear      widest weights in bytes, 1..4                multiply-accumulates per row
mlp         ``max_macs | max_units << 32``                multiply-accumulates per row
tree        ``max_trees | max_depth << 8 | max_nodes << 16``  trees x depth (visits per row)
==========  ===========================================  ===============================

:func:`check_model` is the exact Python reference of ``checkModel``: same checks,
same order, same error names and arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlmarket.errors import DataValidationError
from mlmarket.ml.formats import (
    ModelFormatError,
    check_arguments,
    decode_model,
    model_size,
)
from mlmarket.ml.mlp import decode_mlp
from mlmarket.ml.tree import decode_tree

__all__ = [
    "LinearBudget",
    "MlpBudget",
    "ModelBudget",
    "TreeBudget",
    "budget_model_bytes",
    "check_model",
    "decode_budget",
    "default_budget",
    "describe_budget",
    "encode_budget",
]

MAX_BIAS_BYTES = 8
PREFIXES = {"linear": "LinearEvaluator", "mlp": "MlpEvaluator", "tree": "TreeEvaluator"}


@dataclass(frozen=True)
class LinearBudget:
    """Linear models: weights at most ``max_weight_bytes`` wide (outputs x features is the
    task's)."""

    max_weight_bytes: int = 4

    family = "linear"

    def encode(self) -> int:
        _check_range("max_weight_bytes", self.max_weight_bytes, 1, 4)
        return self.max_weight_bytes


@dataclass(frozen=True)
class MlpBudget:
    """MLPs: at most ``max_macs`` multiply-accumulates per row and ``max_units`` units (all
    layers, the output layer included)."""

    max_macs: int
    max_units: int

    family = "mlp"

    def encode(self) -> int:
        _check_range("max_macs", self.max_macs, 1, 2**32 - 1)
        _check_range("max_units", self.max_units, 1, 765)  # 2 hidden layers + outputs, <= 255 each
        return self.max_macs | self.max_units << 32


@dataclass(frozen=True)
class TreeBudget:
    """Trees and forests: at most ``max_trees`` trees, walks of at most ``max_depth``
    internal nodes (so at most ``max_trees * max_depth`` visits per row), ``max_nodes``
    nodes in all."""

    max_trees: int
    max_depth: int
    max_nodes: int

    family = "tree"

    def encode(self) -> int:
        _check_range("max_trees", self.max_trees, 1, 255)
        _check_range("max_depth", self.max_depth, 1, 255)
        _check_range("max_nodes", self.max_nodes, 1, 255 * 65_535)
        return self.max_trees | self.max_depth << 8 | self.max_nodes << 16


ModelBudget = LinearBudget | MlpBudget | TreeBudget


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or not low <= value <= high:
        raise DataValidationError(
            f"A model budget's {name} must be a whole number in {low}..{high}; got {value!r}."
        )


def describe_budget(budget: ModelBudget) -> str:
    """A budget in words, as the panels show it.

    Example:
        >>> describe_budget(MlpBudget(max_macs=1280, max_units=42))
        '≤ 1,280 MACs per row, ≤ 42 units'
    """
    if isinstance(budget, LinearBudget):
        return f"weights ≤ {budget.max_weight_bytes} bytes"
    if isinstance(budget, MlpBudget):
        return f"≤ {budget.max_macs:,} MACs per row, ≤ {budget.max_units:,} units"
    return f"≤ {budget.max_trees} trees, depth ≤ {budget.max_depth}, ≤ {budget.max_nodes:,} nodes"


def encode_budget(budget: ModelBudget) -> int:
    """The ``modelBudget`` parameter of a competition.

    Example:
        >>> encode_budget(TreeBudget(max_trees=16, max_depth=6, max_nodes=2032))
        133170704
    """
    return budget.encode()


def decode_budget(family: str, value: int) -> ModelBudget:
    """The budget a competition's ``modelBudget`` holds.

    Example:
        >>> decode_budget("mlp", encode_budget(MlpBudget(max_macs=640, max_units=26)))
        MlpBudget(max_macs=640, max_units=26)
    """
    if family == "linear":
        return LinearBudget(value)
    if family == "mlp":
        return MlpBudget(value & 0xFFFFFFFF, value >> 32 & 0xFFFF)
    if family == "tree":
        return TreeBudget(value & 0xFF, value >> 8 & 0xFF, value >> 16 & 0xFFFFFFFF)
    raise DataValidationError(f"Unknown model family {family!r}; known: linear, mlp, tree.")


def default_budget(family: str, features: int, classes: int) -> ModelBudget:
    """A budget that typical models of the family fit, for this task's shape.

    ``LogisticRegression`` (any export width); ``MLPClassifier(hidden_layer_sizes=(32,))``
    or ``(16, 16)`` and smaller; ``RandomForestClassifier(n_estimators=16, max_depth=6)``.

    Example:
        >>> default_budget("mlp", 30, 10)
        MlpBudget(max_macs=1280, max_units=42)
    """
    outputs = 1 if classes in (0, 2) else classes
    if family == "linear":
        return LinearBudget()
    if family == "mlp":
        hidden = 32
        return MlpBudget(max_macs=hidden * (features + outputs), max_units=hidden + outputs)
    if family == "tree":
        trees, depth = 16, 6
        return TreeBudget(
            max_trees=trees, max_depth=depth, max_nodes=trees * (2 ** (depth + 1) - 1)
        )
    raise DataValidationError(f"Unknown model family {family!r}; known: linear, mlp, tree.")


def budget_model_bytes(budget: ModelBudget, features: int, classes: int) -> int:
    """Largest model (in bytes) within ``budget``: the calldata a call must leave room for.

    Example:
        >>> budget_model_bytes(MlpBudget(max_macs=640, max_units=26), 30, 10)
        1504
    """
    if isinstance(budget, LinearBudget):
        outputs = max(classes, 1)
        return model_size(outputs, features, budget.max_weight_bytes, MAX_BIAS_BYTES)
    if isinstance(budget, MlpBudget):
        return 16 + 2 * budget.max_macs + 8 * budget.max_units
    return 10 + 2 * budget.max_trees + 6 * budget.max_nodes


def check_model(family: str, data: bytes, features: int, classes: int, budget: ModelBudget) -> int:
    """``checkModel``'s exact reference: validate ``data`` in full, then against ``budget``;
    return the work per row. Raises :class:`~mlmarket.ml.formats.ModelFormatError` named
    as the contract's error (``...ModelOverBudget`` above the budget).

    Example:
        >>> check_model("linear", b"", 30, 2, LinearBudget())  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        mlmarket.ml.formats.ModelFormatError: ... (LinearEvaluatorModelTruncated)
    """
    if budget.family != family:
        raise DataValidationError(f"A {budget.family} budget cannot check a {family} model.")
    prefix = PREFIXES[family]
    check_arguments(features, classes)  # EvaluatorInvalidArguments, as every family
    if isinstance(budget, LinearBudget):
        params = decode_model(data, features, classes)
        if params.weight_bytes > budget.max_weight_bytes:
            raise _over(prefix, weightBytes=params.weight_bytes,
                        maxWeightBytes=budget.max_weight_bytes)  # fmt: skip
        return len(params.biases) * features
    if isinstance(budget, MlpBudget):
        mlp = decode_mlp(data, features, classes)
        units = sum(mlp.hidden) + mlp.outputs
        if mlp.macs > budget.max_macs or units > budget.max_units:
            raise _over(prefix, macs=mlp.macs, units=units, maxMacs=budget.max_macs,
                        maxUnits=budget.max_units)  # fmt: skip
        return mlp.macs
    tree = decode_tree(data, features, classes)
    limits = {"maxTrees": budget.max_trees, "maxDepth": budget.max_depth,
              "maxNodes": budget.max_nodes}  # fmt: skip
    count = len(tree.trees)
    if count > budget.max_trees or tree.nodes > budget.max_nodes:
        raise _over(prefix, trees=count, depth=0, nodes=tree.nodes, **limits)
    depth = tree.depth()
    if depth > budget.max_depth:
        raise _over(prefix, trees=count, depth=depth, nodes=tree.nodes, **limits)
    return count * depth


def _over(prefix: str, **args: int) -> ModelFormatError:
    return ModelFormatError(
        f"{prefix}ModelOverBudget",
        "The model is above the competition's model budget: "
        + ", ".join(f"{k} {v}" for k, v in args.items()),
        **args,
    )
