"""The examples in mlmarket.storage's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import mlmarket.storage

MODULES = sorted(
    ["mlmarket.storage"]
    + [
        f"mlmarket.storage.{m.name}"
        for m in pkgutil.iter_modules(mlmarket.storage.__path__)
        if m.name != "_jsipfs"  # its example needs a node: covered by test_storage_node.py
    ]
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no runnable docstring example"
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"
