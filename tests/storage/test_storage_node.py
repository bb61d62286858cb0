"""LocalStore against a real IPFS node (js-ipfs 0.66.1, offline, started once per session).

The same bytes must get the same CID from both, and CAR files must move
content either way and read back identically.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlmarket.errors import ContentNotFoundError
from mlmarket.storage import ImportParams, KuboStore, LocalStore, compute_cid
from mlmarket.storage._jsipfs import JsIpfsNode

from .kubo_random import KuboRandomFile, kubo_random_bytes

pytestmark = pytest.mark.slow

KiB, MiB = 1024, 1024 * 1024
SIZES = [0, 1, 256 * KiB, 256 * KiB + 1, 5 * MiB + 3, 174 * 256 * KiB + 1]


@pytest.fixture(scope="module")
def node_store(jsipfs_node: JsIpfsNode, tmp_path_factory) -> Iterator[KuboStore]:
    store = KuboStore(jsipfs_node.api, tmp_path_factory.mktemp("kubo"), has_timeout=0.5, timeout=10)
    yield store
    store.close()


@pytest.mark.parametrize("size", SIZES, ids=[f"{s}B" for s in SIZES])
def test_same_bytes_same_cid(node_store: KuboStore, store: LocalStore, size: int):
    data = kubo_random_bytes(size, f"node-{size}")
    cid = node_store.add(data)
    assert cid == store.add(data)
    assert str(cid).startswith("bafk" if size <= 256 * KiB else "bafy")
    assert node_store.get(cid) == data
    assert node_store.has(cid)


@pytest.mark.parametrize(
    "params",
    [ImportParams.KUBO_V0, ImportParams(raw_leaves=False), ImportParams(chunk_size=MiB)],
    ids=["v0", "v1-dag-pb-leaves", "1MiB-chunks"],
)
def test_same_cid_under_other_parameters(node_store: KuboStore, params: ImportParams):
    for data in (b"", b"hello world", kubo_random_bytes(3 * MiB + 7, "params")):
        assert node_store.add(data, params=params, pin=False) == compute_cid(data, params)


def test_streamed_file_and_hash_only(node_store: KuboStore):
    size = 20 * MiB
    cid = node_store.add(KuboRandomFile(size, "stream"), only_hash=True)
    assert cid == compute_cid(KuboRandomFile(size, "stream"))
    assert not node_store.has(cid)  # only hashed: the node stored nothing


def test_car_from_local_store_into_node(node_store: KuboStore, store: LocalStore, tmp_path: Path):
    data = kubo_random_bytes(3 * MiB + 11, "to-node")
    cid = store.add(data)
    car = store.export_car(cid, tmp_path / "to-node.car")
    assert node_store.import_car(car) == [cid]
    assert cid in node_store.pins()
    with node_store.open(cid) as stream:
        assert stream.read() == data


def test_car_from_node_into_local_store(node_store: KuboStore, store: LocalStore, tmp_path: Path):
    data = kubo_random_bytes(2 * MiB + 5, "from-node")
    cid = node_store.add(data)
    car = node_store.export_car(cid, tmp_path / "from-node.car")
    assert store.import_car(car) == [cid]
    assert store.get(cid) == data
    assert store.export_car(cid, tmp_path / "again.car").read_bytes() == car.read_bytes()


def test_pins_unpin_and_missing_content(node_store: KuboStore):
    cid = node_store.add(b"pin me", pin=False)
    assert cid not in node_store.pins()
    node_store.pin(cid)
    assert cid in node_store.pins()
    assert node_store.unpin(cid) is True
    assert node_store.unpin(cid) is False
    missing = compute_cid(b"never given to the node")
    assert not node_store.has(missing)
    quick = KuboStore(node_store.api, timeout=1.0)
    with pytest.raises(ContentNotFoundError, match=f"did not deliver {missing}"):
        quick.get(missing)


def test_writer_uploads(node_store: KuboStore):
    with node_store.writer() as out:
        out.write(b"hello ")
        out.write(b"world")
    assert str(out.cid) == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    assert node_store.get(out.cid) == b"hello world"
