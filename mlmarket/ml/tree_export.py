"""Export fitted scikit-learn trees and small forests into the ``tree`` family's format.

Thresholds map onto the int8 grid exactly (see :mod:`mlmarket.ml.tree`): a split
sends ``q`` left iff ``q <= t_q`` with ``t_q = max{q : float32(x_q) <= t}``, which is
scikit-learn's ``float32(x) <= t`` on every grid value ``x_q = center + step · q``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from mlmarket.errors import DataValidationError, UnsupportedModelError
from mlmarket.ml.fixedpoint import REGRESSION_LABEL_MAX, REGRESSION_LABEL_MIN, round_half_up
from mlmarket.ml.formats import TASK_CLASSIFICATION, TASK_REGRESSION
from mlmarket.ml.tree import LEAF, MAX_TREE_BYTES, MAX_TREES, Node, TreeParams, tree_size

__all__ = ["export_tree"]


def _unwrap(estimator: Any) -> tuple[Any, Any]:
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if isinstance(estimator, Pipeline):
        steps = [s for _, s in estimator.steps if s not in (None, "passthrough")]
        if len(steps) == 2 and type(steps[0]) is StandardScaler:
            return steps[0], steps[1]
        if len(steps) == 1:
            return None, steps[0]
        names = ", ".join(type(s).__name__ for s in steps)
        raise UnsupportedModelError(
            f"Cannot export Pipeline([{names}]): the tree family supports a decision tree or "
            "forest, optionally behind one StandardScaler."
        )
    return None, estimator


def _grid(quantizer: Any, scaler: Any) -> npt.NDArray[np.float32]:
    """``float32`` of what each q in -128..127 stands for, per feature (as sklearn compares)."""
    q = np.arange(-128, 128, dtype=np.float64)
    x = np.asarray(quantizer.center)[:, None] + np.asarray(quantizer.step)[:, None] * q[None, :]
    if scaler is not None:
        d = x.shape[0]
        mean = np.asarray(scaler.mean_ if scaler.mean_ is not None else np.zeros(d))
        scale = np.asarray(scaler.scale_ if scaler.scale_ is not None else np.ones(d))
        x = (x - mean[:, None]) / scale[:, None]
    return x.astype(np.float32)


def _layout(tree: Any, grid: npt.NDArray[np.float32], leaf_value: Any) -> tuple[Node, ...]:
    """Preorder nodes with integer thresholds; constant splits replaced by their subtree."""
    left, right = tree.children_left, tree.children_right
    nodes: list[list[int]] = []
    stack: list[tuple[int, int | None]] = [(0, None)]  # (sklearn node, parent to patch)
    while stack:
        node, parent = stack.pop()
        while left[node] != -1:  # follow constant splits
            column = grid[int(tree.feature[node])]
            t_q = int(np.searchsorted(column, tree.threshold[node], side="right")) - 129
            if t_q < -128:
                node = int(right[node])
            elif t_q >= 127:
                node = int(left[node])
            else:
                break
        if parent is not None:
            nodes[parent][2] = len(nodes)
        if left[node] == -1:
            nodes.append([LEAF, int(leaf_value(tree.value[node])), 0])
            continue
        nodes.append([int(tree.feature[node]), t_q, 0])
        stack.append((int(right[node]), len(nodes) - 1))  # patched when the right is laid out
        stack.append((int(left[node]), None))  # next node: the left child
    return tuple((f, v, r) for f, v, r in nodes)


def export_tree(estimator: Any, quantizer: Any, *, check_fitted: Any) -> TreeParams:
    """Integer trees of a fitted DecisionTreeClassifier / DecisionTreeRegressor / small
    RandomForestClassifier (majority vote of the trees' predicted classes)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    scaler, model = _unwrap(estimator)
    supported = (DecisionTreeClassifier, DecisionTreeRegressor, RandomForestClassifier)
    if not isinstance(model, supported):
        raise UnsupportedModelError(f"{type(model).__name__} is not a supported tree model.")
    for step in (scaler, model):
        if step is not None:
            check_fitted(step)
    name = type(model).__name__
    is_classifier = not isinstance(model, DecisionTreeRegressor)
    if is_classifier != (quantizer.task == "classification"):
        raise DataValidationError(
            f"{name} is a {'classifier' if is_classifier else 'regressor'}, but the quantizer "
            f"is for {quantizer.task}."
        )
    if model.n_features_in_ != quantizer.features:
        raise DataValidationError(
            f"{name} has {model.n_features_in_} features, but the quantizer is expecting "
            f"{quantizer.features} features as input."
        )
    if getattr(model, "n_outputs_", 1) != 1:
        raise UnsupportedModelError(f"Cannot export {name} with several outputs (one only).")
    estimators = list(model.estimators_) if isinstance(model, RandomForestClassifier) else [model]
    if len(estimators) > MAX_TREES:
        raise UnsupportedModelError(
            f"Cannot export {name} with {len(estimators)} trees: the tree family supports "
            f"at most {MAX_TREES} trees."
        )
    if is_classifier:
        classes = [c.item() if isinstance(c, np.generic) else c for c in model.classes_]
        if classes != list(quantizer.classes):
            raise DataValidationError(
                f"{name} was fitted on classes {classes}, but the competition's classes are "
                f"{list(quantizer.classes)}; fit on data with every class."
            )

        def leaf(value: Any) -> int:
            return int(np.argmax(value[0]))  # sklearn's predict: the first largest

    else:
        unit = 2.0**quantizer.label_shift

        def leaf(value: Any) -> int:
            fixed = float(round_half_up(float(value[0][0]) * unit))
            return int(min(max(fixed, REGRESSION_LABEL_MIN), REGRESSION_LABEL_MAX))

    grid = _grid(quantizer, scaler)
    trees = tuple(_layout(e.tree_, grid, leaf) for e in estimators)
    size = tree_size([len(t) for t in trees])
    if size > MAX_TREE_BYTES:
        raise UnsupportedModelError(
            f"Cannot export {name}: {sum(len(t) for t in trees)} nodes take {size} bytes, but "
            f"the tree exporter writes at most {MAX_TREE_BYTES} bytes (too many nodes); limit "
            "max_depth, max_leaf_nodes or n_estimators."
        )
    task = TASK_CLASSIFICATION if is_classifier else TASK_REGRESSION
    return TreeParams(task, quantizer.n_classes, quantizer.features, trees)
