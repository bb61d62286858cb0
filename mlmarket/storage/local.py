""":class:`LocalStore`: content-addressed storage in a folder, no daemon needed.

CIDs are the ones kubo computes for the same bytes and parameters (by default
``ipfs add --cid-version=1``), so content stored here can be pinned, served
and fetched by any IPFS node, and CAR files move it back and forth.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from multiformats import CID

from mlmarket.errors import ContentNotFoundError, StorageError
from mlmarket.storage.base import CIDLike, ContentStore, ContentWriter, Source, iter_source
from mlmarket.storage.blockstore import BlockStore, BlockWriter, multihash_of, raise_store_error
from mlmarket.storage.car import CarReader, write_car
from mlmarket.storage.cid import format_cid, parse_cid
from mlmarket.storage.dag import iter_file, links_of, walk
from mlmarket.storage.unixfs import DagBuilder, ImportParams

ENV_ROOT = "MLMARKET_STORE_DIR"


def default_root() -> Path:
    """``$MLMARKET_STORE_DIR``, else ``$XDG_DATA_HOME/mlmarket/store`` (``~/.local/share``)."""
    if os.environ.get(ENV_ROOT):
        return Path(os.environ[ENV_ROOT]).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "mlmarket" / "store"


def compute_cid(source: Source, params: ImportParams = ImportParams.KUBO_V1) -> CID:
    """The CID ``ipfs add`` would give ``source``, computed without storing anything.

    Example:
        >>> str(compute_cid(b"hello world", ImportParams.KUBO_V0))
        'Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD'
    """
    builder = DagBuilder(params)
    for piece in iter_source(source):
        builder.write(piece)
    return builder.finish()


class _LocalWriter(ContentWriter):
    def __init__(self, store: LocalStore, params: ImportParams, pin: bool, only_hash: bool):
        super().__init__()
        self._store = store
        self._pin = pin and not only_hash
        self._blocks = None if only_hash else BlockWriter(store.blocks, store.write_threads)
        self._builder = DagBuilder(params, self._blocks)

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self.closed:
            raise ValueError("write to a closed ContentWriter")
        try:
            return self._builder.write(data)
        except OSError as exc:
            raise raise_store_error("write a block", self._store.root, exc) from exc

    def _finish(self) -> CID:
        try:
            cid = self._builder.finish()
            if self._blocks is not None:
                self._blocks.close()  # every block is durable before the pin names the root
        except OSError as exc:
            self._abort()
            raise raise_store_error("write a block", self._store.root, exc) from exc
        if self._pin:  # the DAG was just written whole: no need to walk it again
            self._store._record_pin(cid)
        return cid

    def _abort(self) -> None:
        if self._blocks is not None:
            self._blocks.abort()


class LocalStore(ContentStore):
    """Blocks in a folder, with kubo-identical CIDs.

    Args:
        root: the folder (created on first write); default :func:`default_root`.
        chunk_size, max_links, cid_version, raw_leaves, hash: see
            :class:`~mlmarket.storage.unixfs.ImportParams`; or pass ``params``.
        only_hash: compute CIDs but never write anything.
        fsync: make each block durable before it becomes visible (default True).
        write_threads: blocks written concurrently; default 4 with ``fsync`` (it dominates
            the cost), 0 without (a write to the page cache costs less than a thread).

    Example:
        >>> import tempfile
        >>> store = LocalStore(tempfile.mkdtemp(), cid_version=0)
        >>> cid = store.add(b"hello world")
        >>> str(cid), store.get(cid)
        ('Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD', b'hello world')
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        chunk_size: int = 262144,
        max_links: int = 174,
        cid_version: int = 1,
        raw_leaves: bool | None = None,
        hash: str = "sha2-256",
        params: ImportParams | None = None,
        only_hash: bool = False,
        fsync: bool = True,
        write_threads: int | None = None,
    ) -> None:
        self.root = Path(root).expanduser() if root is not None else default_root()
        self.params = params or ImportParams(chunk_size, max_links, cid_version, raw_leaves, hash)
        self.only_hash = only_hash
        self.write_threads = write_threads if write_threads is not None else 4 if fsync else 0
        self.blocks = BlockStore(self.root, fsync=fsync)
        self._pins_dir = self.root / "pins"

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r}, params={self.params})"

    def writer(
        self, *, pin: bool = True, only_hash: bool = False, params: ImportParams | None = None
    ) -> ContentWriter:
        """A stream to write content into; see :class:`~mlmarket.storage.base.ContentWriter`."""
        return _LocalWriter(self, params or self.params, pin, only_hash or self.only_hash)

    def iter_chunks(self, cid: CIDLike) -> Iterator[bytes]:
        """Verified content of ``cid``, one block's worth at a time.

        Raises:
            ContentNotFoundError: a block is missing.
            IntegrityError: a block on disk does not match its CID.
        """
        return iter_file(parse_cid(cid), self.blocks.get)

    def get_block(self, cid: CIDLike) -> bytes:
        """One raw block, verified against ``cid``."""
        return self.blocks.get(parse_cid(cid))

    def has(self, cid: CIDLike) -> bool:
        return self.blocks.has(parse_cid(cid))

    def pin(self, cid: CIDLike) -> None:
        """Pin ``cid``: its DAG must be complete here (checked, leaves by existence only)."""
        root = parse_cid(cid)
        self._check_complete(root)
        self._record_pin(root)

    def _record_pin(self, root: CID) -> None:
        try:
            self._pins_dir.mkdir(parents=True, exist_ok=True)
            (self._pins_dir / format_cid(root)).touch()
        except OSError as exc:
            raise raise_store_error("record a pin", self.root, exc) from exc

    def _check_complete(self, root: CID) -> None:
        stack = [root]
        while stack:
            cid = stack.pop()
            if cid.codec.name == "raw":
                if not self.blocks.has(cid):
                    raise self._missing(root, cid)
                continue
            try:
                block = self.blocks.get(cid)
            except ContentNotFoundError:
                raise self._missing(root, cid) from None
            stack.extend(links_of(cid, block))

    def _missing(self, root: CID, cid: CID) -> ContentNotFoundError:
        return ContentNotFoundError(
            f"cannot pin {format_cid(root)}: its block {format_cid(cid)} is not in the store "
            f"at {self.root}; add the content or import its CAR first"
        )

    def unpin(self, cid: CIDLike) -> bool:
        path = self._pins_dir / format_cid(cid)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed

    def pins(self) -> list[CID]:
        if not self._pins_dir.is_dir():
            return []
        return sorted((parse_cid(p.name) for p in self._pins_dir.iterdir()), key=str)

    def gc(self) -> int:
        """Delete every block no pin reaches (and leftovers of interrupted writes)."""
        keep: set[bytes] = set()
        for root in self.pins():
            for cid, _block in walk(root, self.blocks.get):
                keep.add(multihash_of(cid))
        removed = 0
        for path in list(self.blocks.block_paths()):
            if self._key_of(path) not in keep:
                self.blocks.delete(path)
                removed += 1
        self.blocks.clean_tmp()
        return removed

    def _key_of(self, path: Path) -> bytes:
        key = path.stem
        return base64.b32decode(key + "=" * (-len(key) % 8))

    def export_car(self, cid: CIDLike, path: str | os.PathLike[str]) -> Path:
        """Write the DAG of ``cid`` to a CARv1 file (atomically: temp file, then rename).

        Example:
            >>> import tempfile, os
            >>> store = LocalStore(tempfile.mkdtemp())
            >>> car = store.export_car(store.add(b"hi"), os.path.join(store.root, "hi.car"))
            >>> [str(c) for c in LocalStore(tempfile.mkdtemp()).import_car(car)]
            ['bafkreiepinbumzepnoln7co5vea4kf3lcctnqolb3u6bvsellgznymt2uq']
        """
        root = parse_cid(cid)
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                write_car(out, [root], walk(root, self.blocks.get))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def import_car(self, path: str | os.PathLike[str], *, pin: bool = True) -> list[CID]:
        """Store every block of the CAR at ``path``, each verified; pin and return its roots.

        Raises:
            IntegrityError: a block does not match its CID (nothing is pinned then).
            StorageError: the file is not a CAR.
        """
        if self.only_hash:
            raise StorageError("this LocalStore is hash-only: it cannot import a CAR")
        writer = BlockWriter(self.blocks, self.write_threads)
        try:
            with open(path, "rb") as stream:
                reader = CarReader(stream, name=str(path))
                for cid, block in reader.blocks():
                    writer.put(bytes(cid), block)
        except BaseException:
            writer.abort()
            raise
        writer.close()
        if pin:
            for root in reader.roots:
                self.pin(root)
        return reader.roots
