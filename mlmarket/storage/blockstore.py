"""Blocks on disk: one file per block, written atomically, verified on every read.

Layout under the store's root (close to kubo's flatfs, so it is easy to inspect)::

    blocks/<XY>/<KEY>.data   KEY = base32 (upper, unpadded) of the block's multihash,
                             XY = KEY's next-to-last two characters
    pins/<cid>               one empty file per pinned root
    tmp/                     files being written; renamed into blocks/ when complete

Blocks are keyed by multihash, not CID: the same bytes reached as CIDv0 and
CIDv1 (or as dag-pb and raw) share one file, and a block's codec always comes
from the link that points at it.
"""

from __future__ import annotations

import base64
import os
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from multiformats import CID

from mlmarket.errors import ContentNotFoundError, IntegrityError, StorageError
from mlmarket.storage.cid import IDENTITY, format_cid, verify_block
from mlmarket.storage.dagpb import decode_varint


def multihash_of(cid: CID | bytes) -> bytes:
    """The multihash inside a CID (given as a CID or as binary CID bytes)."""
    if isinstance(cid, CID):
        return bytes(cid.digest)
    if len(cid) == 34 and cid[0] == 0x12 and cid[1] == 0x20:  # CIDv0: a sha2-256 multihash
        return bytes(cid)
    # CIDv1 bytes, as the importer writes them: <version 1><codec><multihash>. Read here,
    # not by multiformats' decoder, which costs 0.14 ms per block written.
    version, pos = decode_varint(cid)
    if version != 1:  # let multiformats name what is wrong
        return bytes(CID.decode(cid).digest)
    _codec, pos = decode_varint(cid, pos)
    return bytes(cid[pos:])


class BlockStore:
    """Content-addressed block files under ``root`` (created on first write).

    Example:
        >>> import tempfile, hashlib
        >>> from mlmarket.storage.cid import make_cid, RAW
        >>> store = BlockStore(tempfile.mkdtemp())
        >>> cid = make_cid(1, RAW, hashlib.sha256(b"x").digest())
        >>> _ = store.put(cid, b"x")
        >>> store.get(cid)
        b'x'
    """

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync
        self.blocks_dir = self.root / "blocks"
        self.tmp_dir = self.root / "tmp"

    def path_for(self, cid: CID | bytes) -> Path:
        """Where the block of ``cid`` lives (whether or not it exists)."""
        key = base64.b32encode(multihash_of(cid)).decode().rstrip("=")
        return self.blocks_dir / key[-3:-1] / f"{key}.data"

    def put(self, cid: CID | bytes, block: bytes | memoryview) -> Path:
        """Write ``block`` atomically unless an intact-looking copy is already there.

        The bytes go to a temp file that is fsynced and then renamed over the
        final name, so a crash leaves either no block or a complete one.
        """
        path = self.path_for(cid)
        try:
            if path.stat().st_size == len(block):
                return path  # already stored; a damaged copy still fails its hash on read
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.tmp_dir, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(block)
                out.flush()
                if self.fsync:
                    os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def get(self, cid: CID) -> bytes:
        """The verified bytes of ``cid``'s block.

        Raises:
            ContentNotFoundError: no block for ``cid`` in this store.
            IntegrityError: the file does not hash to ``cid`` (never returns wrong bytes).
        """
        if cid.hashfun.code == IDENTITY:
            return bytes(cid.raw_digest)
        path = self.path_for(cid)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ContentNotFoundError(
                f"block {format_cid(cid)} is not in the store at {self.root}; add the content "
                "or import a CAR that contains it"
            ) from None
        if not verify_block(cid, data):
            raise IntegrityError(
                f"block {format_cid(cid)} is corrupted: {path} does not hash to that CID. "
                "The file was damaged or modified; delete it and add the content again "
                "(or import a CAR that contains it)"
            )
        return data

    def has(self, cid: CID) -> bool:
        """True when a block file for ``cid`` exists (not verified: see :meth:`get`)."""
        return cid.hashfun.code == IDENTITY or self.path_for(cid).is_file()

    def delete(self, path: Path) -> None:
        """Remove one block file."""
        path.unlink(missing_ok=True)

    def block_paths(self) -> Iterator[Path]:
        """Every block file in the store."""
        if self.blocks_dir.is_dir():
            yield from self.blocks_dir.glob("*/*.data")

    def clean_tmp(self) -> int:
        """Delete leftovers of interrupted writes; return how many were removed."""
        removed = 0
        if self.tmp_dir.is_dir():
            for tmp in self.tmp_dir.glob("*.tmp"):
                tmp.unlink(missing_ok=True)
                removed += 1
        return removed

    def sync_dirs(self, paths: set[Path]) -> None:
        """fsync the directories holding ``paths`` so their renames survive a crash."""
        if not self.fsync:
            return
        for directory in {p.parent for p in paths}:
            fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


class BlockWriter:
    """A :class:`~mlmarket.storage.unixfs.BlockSink` writing blocks on a few threads.

    fsync dominates the cost of storing a block, and it releases the GIL, so a
    small pool keeps several in flight while the caller goes on hashing. At most
    ``2 * threads`` blocks wait in memory. ``threads=0`` writes synchronously.
    """

    def __init__(self, store: BlockStore, threads: int = 4) -> None:
        self.store = store
        self.written: set[Path] = set()
        self._pool = ThreadPoolExecutor(threads, "mlmarket-blocks") if threads else None
        self._slots = threading.BoundedSemaphore(max(1, 2 * threads))
        self._pending: list[Future[Path]] = []

    def put(self, cid: bytes, block: bytes | memoryview) -> None:
        if self._pool is None:
            self.written.add(self.store.put(cid, block))
            return
        data = bytes(block)  # the caller's view is only valid during this call
        self._slots.acquire()
        future = self._pool.submit(self.store.put, cid, data)
        future.add_done_callback(lambda _f: self._slots.release())
        self._pending.append(future)
        if len(self._pending) > 256:
            self._collect(wait=False)

    def _collect(self, wait: bool) -> None:
        keep: list[Future[Path]] = []
        for future in self._pending:
            if wait or future.done():
                self.written.add(future.result())  # re-raises a failed write
            else:
                keep.append(future)
        self._pending = keep

    def close(self) -> None:
        """Wait for every block, then make the new directory entries durable."""
        try:
            self._collect(wait=True)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
        self.store.sync_dirs(self.written)

    def abort(self) -> None:
        """Stop writing; blocks already written stay (they are valid, just unpinned)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pending = []


def raise_store_error(action: str, root: Path, exc: OSError) -> StorageError:
    """Wrap an OS error from the store's folder with what to check."""
    return StorageError(
        f"could not {action} in the store at {root}: {exc.strerror or exc}. "
        "Check that the folder is writable and the disk has room"
    )
