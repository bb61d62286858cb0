"""Fixtures for the storage tests: a LocalStore in a temp folder and a js-ipfs node."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlmarket.storage import LocalStore
from mlmarket.storage._jsipfs import JsIpfsNode, jsipfs_bin

try:
    from tests.conftest import require_tool
except ImportError:  # tests/ is not a package: its conftest is the top-level module
    from conftest import require_tool  # type: ignore[no-redef]


@pytest.fixture
def store(tmp_path) -> LocalStore:
    """An empty LocalStore in a temp folder."""
    return LocalStore(tmp_path / "store")


@pytest.fixture(scope="session")
def jsipfs_node() -> Iterator[JsIpfsNode]:
    """One offline js-ipfs node for the whole session (about 5 s to start)."""
    require_tool(jsipfs_bin(), "js-ipfs (tools/ipfs-node/install.sh)")
    with JsIpfsNode() as node:
        yield node
