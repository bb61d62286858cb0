"""LocalStore: round trips, streaming, hash-only mode, pins, gc and damaged blocks."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlmarket.errors import (
    ConfigurationError,
    ContentNotFoundError,
    IntegrityError,
    InvalidCIDError,
    StorageError,
)
from mlmarket.storage import ImportParams, LocalStore, compute_cid, parse_cid
from mlmarket.storage import blockstore as blockstore_module
from mlmarket.storage.cid import DAG_PB, make_cid
from mlmarket.storage.dagpb import UNIXFS_DIRECTORY, encode_pbnode, encode_unixfs

from .kubo_random import KuboRandomFile, kubo_random_bytes

MiB = 1024 * 1024
SMALL = ImportParams(chunk_size=64, max_links=3)  # deep trees from a few hundred bytes


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_add_accepts_bytes_path_and_binary_file(store: LocalStore, tmp_path: Path):
    data = kubo_random_bytes(600_000, "sources")
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    cids = {store.add(data), store.add(path), store.add(str(path)), store.add(io.BytesIO(data))}
    assert len(cids) == 1
    assert store.get(cids.pop()) == data


def test_file_object_is_read_from_its_position_in_chunks(store: LocalStore):
    sizes: list[int] = []

    class Recording(io.BytesIO):
        def read(self, n: int | None = -1) -> bytes:
            sizes.append(-1 if n is None else n)
            return super().read(n)

    stream = Recording(b"skip:" + kubo_random_bytes(3 * MiB, "stream"))
    stream.seek(5)
    cid = store.add(stream)
    assert store.get(cid) == kubo_random_bytes(3 * MiB, "stream")
    assert len(sizes) > 3 and all(0 < n <= MiB for n in sizes)  # never "read everything"


def test_writer_streams_and_matches_add(store: LocalStore):
    data = kubo_random_bytes(700_001, "writer")
    with store.writer() as out:
        for start in range(0, len(data), 99_999):
            out.write(data[start : start + 99_999])
    assert out.cid == store.add(data, only_hash=True)
    assert out.cid in store.pins()
    assert store.get(out.cid) == data


def test_writer_discards_content_when_the_block_raises(store: LocalStore):
    with pytest.raises(RuntimeError, match="stop"):
        with store.writer() as out:
            out.write(b"partial")
            raise RuntimeError("stop")
    assert out.cid is None
    assert store.pins() == []


def test_streaming_add_memory_stays_bounded(store: LocalStore):
    size = 64 * MiB
    tracemalloc.start()
    try:
        cid = store.add(KuboRandomFile(size, "memory"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB for a {size // MiB} MiB add"
    assert cid == compute_cid(KuboRandomFile(size, "memory"))


def test_open_reads_in_pieces(tmp_path: Path):
    store = LocalStore(tmp_path, fsync=False)  # ~400 tiny blocks; durability is tested elsewhere
    data = kubo_random_bytes(20_000, "open")
    cid = store.add(data, params=SMALL)
    with store.open(cid) as stream:
        assert stream.read(10) == data[:10]
        assert stream.read() == data[10:]
    assert b"".join(store.iter_chunks(cid)) == data


def test_hash_only_stores_nothing(tmp_path: Path):
    root = tmp_path / "store"
    store = LocalStore(root)
    cid = store.add(kubo_random_bytes(MiB, "hash-only"), only_hash=True)
    with store.writer(only_hash=True) as out:
        out.write(b"hello world")
    assert str(out.cid) == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    assert not root.exists()
    assert not store.has(cid)
    hash_only = LocalStore(root, only_hash=True)
    assert hash_only.add(b"abc") == store.add(b"abc", only_hash=True)
    assert not root.exists()
    with pytest.raises(StorageError, match="hash-only"):
        hash_only.import_car(tmp_path / "any.car")


def test_params_are_constructor_arguments(tmp_path: Path):
    store = LocalStore(tmp_path, chunk_size=1024, max_links=2, cid_version=0)
    assert store.params == ImportParams(chunk_size=1024, max_links=2, cid_version=0)
    assert str(store.add(b"hello world")) == "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"chunk_size": 0}, "chunk_size=0"),
        ({"chunk_size": 3 * MiB}, "chunk_size=3145728"),
        ({"max_links": 1}, "max_links=1"),
        ({"cid_version": 2}, "cid_version=2"),
        ({"hash": "md5"}, "'md5' is not supported"),
        ({"cid_version": 0, "hash": "sha2-512"}, "CIDv0 can only use sha2-256"),
    ],
)
def test_bad_params_are_refused(kwargs: dict[str, object], match: str):
    with pytest.raises(ConfigurationError, match=match):
        ImportParams(**kwargs)  # type: ignore[arg-type]


def test_corrupted_block_raises_integrity_error_naming_the_cid(store: LocalStore):
    data = kubo_random_bytes(300_000, "corrupt")
    cid = store.add(data)
    leaf = next(store.blocks.block_paths())
    damaged = bytearray(leaf.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01
    leaf.write_bytes(damaged)
    with pytest.raises(IntegrityError, match=r"block bafk\w+ is corrupted") as info:
        store.get(cid)
    assert str(leaf) in str(info.value)


def test_corrupted_root_names_the_root(store: LocalStore):
    cid = store.add(b"hello world")
    store.blocks.path_for(cid).write_bytes(b"hello wOrld")
    with pytest.raises(IntegrityError, match=str(cid)):
        store.get(cid)
    with pytest.raises(IntegrityError, match=str(cid)):
        store.get_block(cid)


def test_truncated_block_is_an_integrity_error_not_short_data(store: LocalStore):
    cid = store.add(kubo_random_bytes(1000, "truncate"))
    path = store.blocks.path_for(cid)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(IntegrityError, match=str(cid)):
        store.get(cid)


def test_missing_content_and_invalid_cids(store: LocalStore):
    absent = compute_cid(b"never added")
    with pytest.raises(ContentNotFoundError, match=f"block {absent} is not in the store"):
        store.get(absent)
    assert not store.has(absent)
    with pytest.raises(InvalidCIDError, match="'not-a-cid' is not a valid CID"):
        store.get("not-a-cid")
    with pytest.raises(InvalidCIDError, match="'Qm123' is not a valid CID"):
        store.has("Qm123")


def test_each_block_is_fsynced_before_its_rename(store: LocalStore, monkeypatch):
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(
        blockstore_module.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))
    )
    monkeypatch.setattr(
        blockstore_module.os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))
    )
    store.write_threads = 0  # one writer thread, so the events are in order
    store.add(kubo_random_bytes(200, "durable"), params=SMALL)
    blocks = len(list(store.blocks.block_paths()))
    assert blocks > 4
    assert events[: 2 * blocks] == ["fsync", "replace"] * blocks
    assert set(events[2 * blocks :]) == {"fsync"}  # then the directories


def test_crash_before_rename_leaves_no_block(store: LocalStore, monkeypatch):
    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(blockstore_module.os, "replace", crash)
    with pytest.raises(StorageError, match="No space left on device"):
        store.add(kubo_random_bytes(600_000, "crash"))
    monkeypatch.undo()
    assert list(store.blocks.block_paths()) == []
    assert list((store.root / "tmp").iterdir()) == []  # temp files removed too
    assert store.pins() == []


def test_leftover_temp_file_is_invisible_and_collected(store: LocalStore):
    cid = store.add(b"hello world")
    leftover = store.root / "tmp" / "interrupted.tmp"
    leftover.write_bytes(b"half a bl")
    assert store.get(cid) == b"hello world"
    store.gc()
    assert not leftover.exists()


def test_pins_and_gc(store: LocalStore):
    kept = store.add(kubo_random_bytes(500, "kept"), params=SMALL)
    dropped = store.add(kubo_random_bytes(500, "dropped"), params=SMALL)
    loose = store.add(b"never pinned", pin=False)
    assert set(store.pins()) == {kept, dropped}
    assert store.unpin(dropped) is True
    assert store.unpin(dropped) is False
    removed = store.gc()
    assert removed > 3
    assert store.get(kept) == kubo_random_bytes(500, "kept")
    assert not store.has(dropped) and not store.has(loose)
    assert store.gc() == 0


def test_pin_requires_the_whole_dag(store: LocalStore):
    cid = store.add(kubo_random_bytes(300, "pin"), params=SMALL, pin=False)
    store.pin(cid)
    store.unpin(cid)
    root = store.blocks.path_for(cid)
    victim = next(p for p in store.blocks.block_paths() if p != root)
    victim.unlink()
    with pytest.raises(ContentNotFoundError, match=f"cannot pin {cid}: its block \\w+ is not"):
        store.pin(cid)
    assert store.pins() == []


def test_same_block_is_stored_once_for_v0_and_v1(store: LocalStore):
    v0 = store.add(b"hello world", params=ImportParams(cid_version=0))
    v1 = store.add(b"hello world", params=ImportParams(raw_leaves=False))
    assert v0.digest == v1.digest and v0 != v1
    assert len(list(store.blocks.block_paths())) == 1
    assert store.get(v0) == store.get(v1) == b"hello world"


def test_text_mode_and_missing_paths_are_refused(store: LocalStore, tmp_path: Path):
    with pytest.raises(ConfigurationError, match="binary mode"):
        store.add(io.StringIO("text"))
    with pytest.raises(ConfigurationError, match="is not a file"):
        store.add(str(tmp_path / "nope.bin"))
    with pytest.raises(ConfigurationError, match="cannot store a int"):
        store.add(42)  # type: ignore[arg-type]


def test_non_file_cids_are_refused_by_get(store: LocalStore):
    directory = parse_cid("bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354")
    block = encode_pbnode([], encode_unixfs(UNIXFS_DIRECTORY))  # an empty UnixFS directory
    cid = make_cid(1, DAG_PB, hashlib.sha256(block).digest())
    assert cid == directory  # kubo's empty directory
    store.blocks.put(cid, block)
    with pytest.raises(StorageError, match="is not a UnixFS file"):
        store.get(cid)


def test_default_root_comes_from_the_environment(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("MLMARKET_STORE_DIR", str(tmp_path / "env-store"))
    assert LocalStore().root == tmp_path / "env-store"
    monkeypatch.delenv("MLMARKET_STORE_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert LocalStore().root == tmp_path / "xdg" / "mlmarket" / "store"


@given(data=st.binary(max_size=2000), chunk=st.integers(1, 300), links=st.integers(2, 5))
def test_roundtrip_property(tmp_path_factory, data: bytes, chunk: int, links: int):
    folder = tmp_path_factory.mktemp("prop")
    store = LocalStore(folder, chunk_size=chunk, max_links=links, fsync=False)
    cid = store.add(data)
    assert store.get(cid) == data
    assert store.add(data, only_hash=True) == cid
    assert compute_cid(io.BytesIO(data), store.params) == cid


def test_withoutFsync_blocksAreWrittenInTheCallersThread_withTheSameCids(tmp_path, monkeypatch):
    """Threads pay off only while fsync waits for the disk: without it a store writes in
    the caller's thread (no pool per write), and the CIDs do not depend on it."""
    import threading

    data = os.urandom(3 * 262144 + 17)
    durable = LocalStore(tmp_path / "a")
    assert (
        durable.write_threads == 4
        and LocalStore(tmp_path / "c", write_threads=2).write_threads == 2
    )
    fast = LocalStore(tmp_path / "b", fsync=False)
    assert fast.write_threads == 0
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self))
    cid = fast.add(data)
    assert started == [] and fast.get(cid) == data
    monkeypatch.undo()
    assert durable.add(data) == cid
