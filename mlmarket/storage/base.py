"""The :class:`ContentStore` interface shared by :class:`LocalStore` and :class:`KuboStore`.

Content goes in as bytes, a path or a binary file object and comes back as a
CID; it comes out again as bytes, a file object or an iterator of chunks.
Large content is streamed both ways: nothing here needs the whole content in
memory. A long ``add`` shows its progress in a notebook (:func:`uploading`).
"""

from __future__ import annotations

import io
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, TypeAlias

from multiformats import CID

from mlmarket.errors import ConfigurationError
from mlmarket.progress import bar, wanted
from mlmarket.storage.unixfs import ImportParams

#: What :meth:`ContentStore.add` accepts: bytes-like content, a path, or a binary file.
Source: TypeAlias = bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryIO
CIDLike: TypeAlias = CID | str | bytes

READ_SIZE = 1024 * 1024  # how much of a file or stream to read at a time
UPLOAD_PROGRESS_DELAY = 2.0
"""Seconds an ``add`` runs before its progress bar appears: quick uploads stay silent."""


class ContentWriter(io.RawIOBase):
    """A writable stream whose content becomes one file in a store.

    Use it as a context manager; :attr:`cid` is set once it is closed. Leaving
    the ``with`` block through an exception discards the content.

    Example:
        >>> from mlmarket.storage import LocalStore
        >>> with LocalStore(only_hash=True).writer() as out:
        ...     _ = out.write(b"hello ")
        ...     _ = out.write(b"world")
        >>> str(out.cid)
        'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'
    """

    cid: CID | None = None

    def writable(self) -> bool:
        return True

    @abstractmethod
    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        """Append ``data``; returns ``len(data)``."""

    @abstractmethod
    def _finish(self) -> CID:
        """Store what was written and return its CID."""

    @abstractmethod
    def _abort(self) -> None:
        """Discard what was written."""

    def close(self) -> None:
        if not self.closed:
            try:
                self.cid = self._finish()
            finally:
                super().close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None and not self.closed:
            try:
                self._abort()
            finally:
                io.RawIOBase.close(self)
            return
        self.close()


class ChunkReader(io.RawIOBase):
    """A read-only file object over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:  # ends an HTTP response or a block walk early
            close()
        super().close()


def iter_source(source: Source) -> Iterator[bytes | memoryview]:
    """Yield ``source``'s bytes in pieces of at most :data:`READ_SIZE`.

    A ``str`` or path is a file name (encode text yourself: ``text.encode()``);
    a file object is read from its current position to its end.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source)
        view = view if view.ndim == 1 and view.format == "B" else view.cast("B")
        for start in range(0, len(view), READ_SIZE):  # slices, not copies: progress can move
            yield view[start : start + READ_SIZE]
        if not len(view):
            yield view
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ConfigurationError(
                f"add() was given the path {str(source)!r}, which is not a file; pass an "
                "existing file, or bytes for in-memory content (text: use .encode())"
            )
        with open(path, "rb", buffering=0) as stream:
            yield from _read_stream(stream)
    elif isinstance(source, io.TextIOBase):
        raise ConfigurationError(
            "add() was given a text-mode file; open it in binary mode ('rb') so the "
            "stored bytes are exactly the file's"
        )
    elif hasattr(source, "read"):
        yield from _read_stream(source)
    else:
        raise ConfigurationError(
            f"add() cannot store a {type(source).__name__}; pass bytes, a path or a binary file"
        )


def source_size(source: Source) -> int | None:
    """How many bytes :func:`iter_source` will yield, when that is known beforehand."""
    if isinstance(source, bytes | bytearray | memoryview):
        return memoryview(source).nbytes
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return path.stat().st_size if path.is_file() else None
    try:
        if not source.seekable():
            return None
        here = source.tell()
        end = source.seek(0, io.SEEK_END)
        source.seek(here)
    except (AttributeError, OSError, ValueError):
        return None
    return int(end - here)


def uploading(
    source: Source, show: bool | None, *, delay: float = UPLOAD_PROGRESS_DELAY, file: Any = None
) -> Iterator[bytes | memoryview]:
    """:func:`iter_source` with a bar of the bytes stored when :func:`~mlmarket.progress.wanted`
    (``None``: in a notebook), shown once the upload has run ``delay`` seconds.

    Example:
        >>> import io
        >>> pieces = uploading(bytes(3 * READ_SIZE), True, delay=0, file=io.StringIO())
        >>> [len(piece) for piece in pieces] == [READ_SIZE] * 3
        True
    """
    if not wanted(show):
        return iter_source(source)
    progress = bar(total=source_size(source), label="Storing", unit="B", unit_scale=True,
                   delay=delay, file=file)  # fmt: skip
    return _counted(iter_source(source), progress)


def _counted(pieces: Iterator[bytes | memoryview], progress: Any) -> Iterator[bytes | memoryview]:
    try:
        for piece in pieces:
            yield piece
            progress.update(len(piece))
    finally:
        progress.close()


def _read_stream(stream: BinaryIO) -> Iterator[bytes]:
    while True:
        chunk = stream.read(READ_SIZE)
        if not chunk:
            return
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise ConfigurationError(
                f"the file object returned {type(chunk).__name__}, not bytes; "
                "open it in binary mode"
            )
        yield chunk


class ContentStore(ABC):
    """Content-addressed storage: bytes in, CID out, and back.

    Example:
        >>> import tempfile
        >>> from mlmarket.storage import LocalStore
        >>> store = LocalStore(tempfile.mkdtemp())
        >>> cid = store.add(b"hello world")
        >>> str(cid), store.get(cid)
        ('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e', b'hello world')
    """

    #: The folder this store keeps its files in (blocks, or temporary uploads).
    root: Path

    #: How content is chunked into blocks (decides the CIDs).
    params: ImportParams

    def add(
        self,
        source: Source,
        *,
        pin: bool = True,
        only_hash: bool = False,
        params: ImportParams | None = None,
        progress: bool | None = None,
    ) -> CID:
        """Store ``source`` (bytes, a path or a binary file object) and return its CID.

        The source is streamed: a file of any size uses a bounded amount of memory.
        ``only_hash=True`` computes the CID without storing anything. ``progress``: a bar
        of the bytes stored, in a notebook by default (``None``), for an upload that runs
        longer than :data:`UPLOAD_PROGRESS_DELAY` seconds; ``True``/``False`` to force it.
        """
        with self.writer(pin=pin, only_hash=only_hash, params=params) as out:
            for piece in uploading(source, progress):
                out.write(piece)
        assert out.cid is not None  # set by close()
        return out.cid

    @abstractmethod
    def writer(
        self, *, pin: bool = True, only_hash: bool = False, params: ImportParams | None = None
    ) -> ContentWriter:
        """A writable stream; its :attr:`ContentWriter.cid` is set when closed."""

    @abstractmethod
    def iter_chunks(self, cid: CIDLike) -> Iterator[bytes]:
        """The content of ``cid`` as an iterator of byte strings, in order."""

    def open(self, cid: CIDLike) -> BinaryIO:
        """The content of ``cid`` as a read-only binary file object (streamed)."""
        return io.BufferedReader(ChunkReader(self.iter_chunks(cid)), READ_SIZE)  # type: ignore[return-value]

    def get(self, cid: CIDLike) -> bytes:
        """The whole content of ``cid`` (use :meth:`open` for large content)."""
        return b"".join(self.iter_chunks(cid))

    @abstractmethod
    def has(self, cid: CIDLike) -> bool:
        """True when the root block of ``cid`` is available without the network."""

    @abstractmethod
    def pin(self, cid: CIDLike) -> None:
        """Keep ``cid`` and everything below it through garbage collection."""

    @abstractmethod
    def unpin(self, cid: CIDLike) -> bool:
        """Release a pin; False when ``cid`` was not pinned."""

    @abstractmethod
    def pins(self) -> list[CID]:
        """The pinned roots."""

    @abstractmethod
    def gc(self) -> int:
        """Delete blocks not reachable from a pin; return how many were removed."""

    @abstractmethod
    def export_car(self, cid: CIDLike, path: str | os.PathLike[str]) -> Path:
        """Write ``cid``'s whole DAG to a CARv1 file at ``path``."""

    @abstractmethod
    def import_car(self, path: str | os.PathLike[str], *, pin: bool = True) -> list[CID]:
        """Store every block of a CAR file (each verified) and return its roots."""
