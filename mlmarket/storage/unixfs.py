"""Chunking a byte stream into a UnixFS file DAG exactly as kubo's ``ipfs add`` does.

kubo (through boxo's ``importer/balanced``) splits the input into fixed-size
chunks, turns each into a leaf (a raw block, or a dag-pb ``File`` node when raw
leaves are off) and groups leaves left to right into dag-pb ``File`` nodes of
at most ``max_links`` children, all leaves at the same depth. boxo builds that
tree recursively by pulling chunks; :class:`DagBuilder` builds the *same* tree
by pushing: it keeps one pending list of links per tree level and turns a level
into a node only when it overflows or at :meth:`DagBuilder.finish`. That lets a
caller stream bytes in with :meth:`DagBuilder.write` and never hold more than
one chunk plus ``max_links`` links per level in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from mlmarket.errors import ConfigurationError
from mlmarket.storage.cid import (
    CID,
    DAG_PB,
    RAW,
    SUPPORTED_HASHES,
    block_digest,
    hash_code,
    parse_cid,
)
from mlmarket.storage.dagpb import UNIXFS_FILE, PBLink, encode_pbnode, encode_unixfs, encode_varint

# boxo refuses chunks above 2 MiB less protobuf overhead; blocks above that size
# cannot travel over bitswap, so we refuse them too.
MAX_CHUNK_SIZE = 2 * 1024 * 1024


@dataclass(frozen=True)
class ImportParams:
    """How content is cut into blocks; equal params + equal bytes = equal CID.

    The default equals ``ipfs add --cid-version=1`` (raw leaves, 256 KiB
    chunks, 174 links per node, sha2-256). ``ImportParams.KUBO_V0`` is kubo's
    plain ``ipfs add`` (CIDv0 ``Qm…``, dag-pb leaves) and
    ``ImportParams.UNIXFS_V1_2025`` kubo's ``unixfs-v1-2025`` profile.

    Example:
        >>> ImportParams(chunk_size=1 << 20, max_links=1024).raw_leaves
        True
    """

    chunk_size: int = 262144
    max_links: int = 174
    cid_version: int = 1
    raw_leaves: bool | None = None  # None: kubo's rule, raw leaves iff CIDv1
    hash: str = "sha2-256"

    KUBO_V0: ClassVar[ImportParams]
    KUBO_V1: ClassVar[ImportParams]
    UNIXFS_V1_2025: ClassVar[ImportParams]

    def __post_init__(self) -> None:
        if self.raw_leaves is None:
            object.__setattr__(self, "raw_leaves", self.cid_version == 1)
        self._check()

    def _check(self) -> None:
        if not 1 <= self.chunk_size <= MAX_CHUNK_SIZE:
            raise ConfigurationError(
                f"chunk_size={self.chunk_size} is out of range; expected 1..{MAX_CHUNK_SIZE} "
                "bytes (kubo's default is 262144, the unixfs-v1-2025 profile uses 1048576)"
            )
        if self.max_links < 2:
            raise ConfigurationError(
                f"max_links={self.max_links} is too small; expected at least 2 (kubo uses 174)"
            )
        if self.cid_version not in (0, 1):
            raise ConfigurationError(f"cid_version={self.cid_version!r}; expected 0 or 1")
        if self.hash not in SUPPORTED_HASHES:
            raise ConfigurationError(
                f"hash={self.hash!r} is not supported; expected one of {SUPPORTED_HASHES}"
            )
        if self.cid_version == 0 and self.hash != "sha2-256":
            raise ConfigurationError(
                f"CIDv0 can only use sha2-256, not {self.hash!r}; pass cid_version=1"
            )


ImportParams.KUBO_V1 = ImportParams()
ImportParams.KUBO_V0 = ImportParams(cid_version=0)
ImportParams.UNIXFS_V1_2025 = ImportParams(chunk_size=1048576, max_links=1024)


class BlockSink(Protocol):
    """Receives every block a :class:`DagBuilder` produces, children before parents."""

    def put(self, cid: bytes, block: bytes | memoryview) -> None:
        """Store ``block`` under the binary CID ``cid`` (the view is only valid during the call)."""


class _Link:
    __slots__ = ("cid", "filesize", "tsize")

    def __init__(self, cid: bytes, filesize: int, tsize: int) -> None:
        self.cid = cid
        self.filesize = filesize
        self.tsize = tsize


class DagBuilder:
    """Streaming UnixFS file importer with kubo's balanced layout.

    Example:
        >>> builder = DagBuilder(ImportParams())
        >>> builder.write(b"hello world")
        11
        >>> str(builder.finish())
        'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'
    """

    def __init__(self, params: ImportParams = ImportParams.KUBO_V1, sink: BlockSink | None = None):
        self.params = params
        self._sink = sink
        self._code = hash_code(params.hash)
        self._buffer = bytearray()
        self._levels: list[list[_Link]] = [[]]
        self._leaves = 0
        self.size = 0
        self._done = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Append bytes; full chunks become leaves at once. Returns ``len(data)``."""
        if self._done:
            raise ValueError("write() after finish(): this builder already produced its CID")
        view = memoryview(data).cast("B")
        total = len(view)
        chunk = self.params.chunk_size
        if self._buffer:
            take = min(chunk - len(self._buffer), len(view))
            self._buffer += view[:take]
            view = view[take:]
            if len(self._buffer) == chunk:
                self._add_leaf(memoryview(self._buffer))
                self._buffer = bytearray()
        while len(view) >= chunk:  # whole chunks straight from the caller's buffer: no copy
            self._add_leaf(view[:chunk])
            view = view[chunk:]
        self._buffer += view
        self.size += total
        return total

    def finish(self) -> CID:
        """Flush the last chunk and the pending tree levels; return the root CID."""
        if self._done:
            raise ValueError("finish() was already called")
        self._done = True
        if self._buffer or self._leaves == 0:  # an empty input still gets one (empty) leaf
            self._add_leaf(memoryview(self._buffer))
        # parse_cid keeps the CIDs it decoded: content added again (a simulation's runs
        # publish the same training data) skips multiformats' decoder (~0.15 ms).
        return parse_cid(self._close_levels().cid)

    def _close_levels(self) -> _Link:
        level = 0
        while True:
            top = len(self._levels) - 1
            pending = self._levels[level]
            if level == top and len(pending) == 1:
                return pending[0]
            self._levels[level] = []
            self._push(level + 1, self._node(pending))
            level += 1

    def _push(self, level: int, link: _Link) -> None:
        if level == len(self._levels):
            self._levels.append([])
        pending = self._levels[level]
        if len(pending) == self.params.max_links:
            # This level's node is full: it will be a child one level up whatever
            # comes next, so it can be written now and forgotten.
            self._levels[level] = [link]
            self._push(level + 1, self._node(pending))
        else:
            pending.append(link)

    def _add_leaf(self, chunk: memoryview) -> None:
        self._leaves += 1
        size = len(chunk)
        if self.params.raw_leaves:
            cid = self._cid(1, RAW, chunk)
            self._put(cid, chunk)
            self._push(0, _Link(cid, size, size))
            return
        # A dag-pb leaf leaves Data unset for the empty file, as boxo does.
        unixfs = encode_unixfs(UNIXFS_FILE, chunk if size else None, filesize=size)
        block = encode_pbnode([], unixfs)
        cid = self._cid(self.params.cid_version, DAG_PB, block)
        self._put(cid, block)
        self._push(0, _Link(cid, size, len(block)))

    def _node(self, children: list[_Link]) -> _Link:
        sizes = [child.filesize for child in children]
        filesize = sum(sizes)
        unixfs = encode_unixfs(UNIXFS_FILE, None, filesize=filesize, blocksizes=sizes)
        block = encode_pbnode([PBLink(c.cid, "", c.tsize) for c in children], unixfs)
        cid = self._cid(self.params.cid_version, DAG_PB, block)
        self._put(cid, block)
        return _Link(cid, filesize, len(block) + sum(c.tsize for c in children))

    def _cid(self, version: int, codec: int, block: bytes | memoryview) -> bytes:
        # CID bytes are assembled directly: this runs once per chunk, and a
        # multiformats CID object per chunk would cost more than the hashing of
        # small chunks.
        digest = block_digest(block, self._code)
        multihash = encode_varint(self._code) + encode_varint(len(digest)) + digest
        if version == 0:
            return multihash
        return encode_varint(1) + encode_varint(codec) + multihash

    def _put(self, cid: bytes, block: bytes | memoryview) -> None:
        if self._sink is not None:
            self._sink.put(cid, block)
