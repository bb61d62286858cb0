"""CAR v1 export/import between LocalStores, the exact header bytes, and damaged CARs."""

from __future__ import annotations

import hashlib
import io
import struct
from pathlib import Path

import dag_cbor
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlmarket.errors import ContentNotFoundError, IntegrityError, StorageError
from mlmarket.storage import ImportParams, LocalStore, parse_cid
from mlmarket.storage.car import CarReader, encode_header, read_roots, write_car
from mlmarket.storage.cid import DAG_CBOR, make_cid
from mlmarket.storage.dagpb import decode_varint

from .kubo_random import kubo_random_bytes

HELLO = parse_cid("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e")
SMALL = ImportParams(chunk_size=100, max_links=4)


def test_header_is_the_dag_cbor_kubo_writes():
    # The first 59 bytes of `ipfs dag export` for "hello world" (CIDv1, raw).
    expected = bytes.fromhex(
        "3aa265726f6f747381d82a58250001551220b94d27b9934d3e08a52e52d7da7dabfa"
        "c484efe37a5380ee9088f7ace2efcde96776657273696f6e01"
    )
    assert encode_header([HELLO]) == expected


def test_single_block_car_layout(store: LocalStore, tmp_path: Path):
    cid = store.add(b"hello world")
    car = store.export_car(cid, tmp_path / "hello.car").read_bytes()
    header_len, pos = decode_varint(car)
    section_len, start = decode_varint(car, pos + header_len)
    assert section_len == 36 + 11
    assert car[start : start + 36] == bytes(cid)
    assert car[start + 36 :] == b"hello world"


@pytest.mark.parametrize("params", [ImportParams(), ImportParams.KUBO_V0, SMALL])
def test_export_import_roundtrip(store: LocalStore, tmp_path: Path, params: ImportParams):
    data = kubo_random_bytes(5000, "car")
    cid = store.add(data, params=params)
    car = store.export_car(cid, tmp_path / "out" / "data.car")
    other = LocalStore(tmp_path / "other")
    assert other.import_car(car) == [cid]
    assert other.get(cid) == data
    assert other.pins() == [cid]
    assert read_roots(car) == [cid]


def test_blocks_are_written_parents_first_without_duplicates(store: LocalStore, tmp_path: Path):
    cid = store.add(bytes(1000), params=SMALL)  # ten identical zero chunks: one leaf block
    with open(store.export_car(cid, tmp_path / "zeros.car"), "rb") as stream:
        order = [c for c, _ in CarReader(stream).blocks()]
    assert order[0] == cid
    assert len(order) == len(set(order))


def test_import_without_pin(store: LocalStore, tmp_path: Path):
    cid = store.add(b"unpinned")
    car = store.export_car(cid, tmp_path / "u.car")
    other = LocalStore(tmp_path / "other")
    assert other.import_car(car, pin=False) == [cid]
    assert other.pins() == []
    assert other.get(cid) == b"unpinned"


def test_export_of_missing_content_leaves_no_file(store: LocalStore, tmp_path: Path):
    with pytest.raises(ContentNotFoundError, match=str(HELLO)):
        store.export_car(HELLO, tmp_path / "missing.car")
    assert list(tmp_path.iterdir()) == []


def test_tampered_block_in_car_is_rejected_naming_it(store: LocalStore, tmp_path: Path):
    cid = store.add(b"hello world")
    path = store.export_car(cid, tmp_path / "t.car")
    path.write_bytes(path.read_bytes().replace(b"hello world", b"hello w0rld"))
    other = LocalStore(tmp_path / "other")
    with pytest.raises(IntegrityError, match=f"block {cid} in .*t.car does not hash to its CID"):
        other.import_car(path)
    assert other.pins() == []


@pytest.mark.parametrize(
    ("mangle", "match"),
    [
        (lambda car: car[:-3], "ends 3 bytes early"),
        (lambda car: b"", "ends inside a length prefix"),
        (lambda car: b"\x05hello", "ends 0 bytes early|not dag-cbor"),
        (lambda car: b"\x02\xa0\x00", "not dag-cbor|CARv1 header"),
        (lambda car: car + b"\xff\xff\xff\xff\x0f", "claims"),
    ],
)
def test_malformed_cars_raise_storage_error(store: LocalStore, tmp_path: Path, mangle, match):
    good = store.export_car(store.add(b"hello world"), tmp_path / "g.car").read_bytes()
    bad = tmp_path / "bad.car"
    bad.write_bytes(mangle(good))
    with pytest.raises(StorageError, match=match):
        LocalStore(tmp_path / "other").import_car(bad)


def test_carv2_payload_is_read(tmp_path: Path):
    v1 = io.BytesIO()
    write_car(v1, [HELLO], [(HELLO, b"hello world")])
    pragma = bytes.fromhex("0aa16776657273696f6e02")
    offset = len(pragma) + 40 + 7  # some padding before the payload, as CARv2 allows
    header = bytes(16) + struct.pack("<QQQ", offset, len(v1.getvalue()), 0)
    path = tmp_path / "v2.car"
    path.write_bytes(pragma + header + bytes(7) + v1.getvalue())
    store = LocalStore(tmp_path / "store")
    assert store.import_car(path) == [HELLO]
    assert store.get(HELLO) == b"hello world"


def test_cbor_links_are_followed_on_export(tmp_path: Path):
    store = LocalStore(tmp_path / "s")
    leaf = store.add(b"hello world")
    block = dag_cbor.encode({"data": leaf, "note": "metadata"})
    meta = make_cid(1, DAG_CBOR, hashlib.sha256(block).digest())
    store.blocks.put(meta, block)
    car = store.export_car(meta, tmp_path / "meta.car")
    other = LocalStore(tmp_path / "o")
    assert other.import_car(car) == [meta]
    assert other.get(leaf) == b"hello world"
    assert other.get_block(meta) == block


@given(st.lists(st.binary(max_size=300), min_size=1, max_size=4))
def test_car_roundtrip_property(tmp_path_factory, contents: list[bytes]):
    folder = tmp_path_factory.mktemp("car")
    # fsync off: these tiny-chunk DAGs have hundreds of blocks; durability is tested elsewhere
    source, target = LocalStore(folder / "a", fsync=False), LocalStore(folder / "b", fsync=False)
    for data in contents:
        cid = source.add(data, params=SMALL)
        assert target.import_car(source.export_car(cid, folder / "x.car")) == [cid]
        assert target.get(cid) == data
