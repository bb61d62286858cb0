"""A small, exact encoder/decoder for dag-pb nodes and UnixFS ``Data`` messages.

No maintained Python library encodes these the way kubo (boxo) does, and the
messages are tiny, so they are written out here against the specs:

* dag-pb (https://ipld.io/specs/codecs/dag-pb/spec/)::

      message PBLink { optional bytes Hash = 1; optional string Name = 2;
                       optional uint64 Tsize = 3; }
      message PBNode { repeated PBLink Links = 2; optional bytes Data = 1; }

  Canonical form writes ``Links`` *before* ``Data``. boxo always writes a
  link's ``Name`` (empty for file chunks), so we do too: CIDs depend on it.

* UnixFS (https://specs.ipfs.tech/unixfs/)::

      message Data { required DataType Type = 1; optional bytes Data = 2;
                     optional uint64 filesize = 3; repeated uint64 blocksizes = 4; ... }

  ``blocksizes`` is proto2 ``repeated`` and therefore *not* packed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from mlmarket.errors import StorageError

# UnixFS DataType values.
UNIXFS_RAW = 0
UNIXFS_DIRECTORY = 1
UNIXFS_FILE = 2

_VARINT = 0
_LEN = 2


def encode_varint(value: int) -> bytes:
    """Unsigned LEB128 varint, as used by protobuf, multiformats and CAR.

    Example:
        >>> encode_varint(300).hex()
        'ac02'
    """
    if value < 0:
        raise ValueError(f"varints are unsigned, got {value}")
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(buf: bytes | bytearray | memoryview, pos: int = 0) -> tuple[int, int]:
    """Decode a varint at ``pos``; return ``(value, next_pos)``."""
    value = shift = 0
    end = len(buf)
    while True:
        if pos >= end or shift > 63:
            raise StorageError("truncated or overlong varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _field(number: int, payload: bytes | memoryview) -> bytes:
    return b"".join((encode_varint(number << 3 | _LEN), encode_varint(len(payload)), payload))


def _uint(number: int, value: int) -> bytes:
    return encode_varint(number << 3 | _VARINT) + encode_varint(value)


@dataclass(frozen=True)
class PBLink:
    """A dag-pb link: child CID bytes, name and cumulative size of the child DAG."""

    hash: bytes
    name: str = ""
    tsize: int | None = None


@dataclass(frozen=True)
class PBNode:
    """A decoded dag-pb node."""

    links: list[PBLink] = field(default_factory=list)
    data: bytes | None = None


@dataclass(frozen=True)
class UnixFSData:
    """The fields of a UnixFS ``Data`` message that files use."""

    type: int
    data: bytes | None = None
    filesize: int | None = None
    blocksizes: list[int] = field(default_factory=list)


def encode_pbnode(links: list[PBLink], data: bytes | memoryview | None) -> bytes:
    """Serialise a dag-pb node in canonical form (links first, then data).

    Example:
        >>> encode_pbnode([], encode_unixfs(UNIXFS_FILE, filesize=0)).hex()
        '0a0408021800'
    """
    parts: list[bytes | memoryview] = []
    for link in links:
        body = _field(1, link.hash) + _field(2, link.name.encode())
        if link.tsize is not None:
            body += _uint(3, link.tsize)
        parts.append(_field(2, body))
    if data is not None:
        parts.append(_field(1, data))
    return b"".join(parts)


def encode_unixfs(
    kind: int,
    data: bytes | memoryview | None = None,
    filesize: int | None = None,
    blocksizes: list[int] | tuple[int, ...] = (),
) -> bytes:
    """Serialise a UnixFS ``Data`` message (fields in number order, as protobuf does)."""
    parts: list[bytes | memoryview] = [_uint(1, kind)]
    if data is not None:
        parts.append(_field(2, data))
    if filesize is not None:
        parts.append(_uint(3, filesize))
    parts.extend(_uint(4, size) for size in blocksizes)
    return b"".join(parts)


def _fields(buf: bytes | memoryview) -> Iterator[tuple[int, int, int | memoryview]]:
    """Yield ``(field_number, wire_type, value)``; LEN values are memoryviews."""
    view = memoryview(buf)
    pos, end = 0, len(view)
    while pos < end:
        key, pos = decode_varint(view, pos)
        number, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = decode_varint(view, pos)
            yield number, wire, value
        elif wire == _LEN:
            size, pos = decode_varint(view, pos)
            if pos + size > end:
                raise StorageError("length-delimited field runs past the end of the block")
            yield number, wire, view[pos : pos + size]
            pos += size
        else:
            raise StorageError(f"unsupported protobuf wire type {wire} in field {number}")


def decode_pbnode(block: bytes | memoryview) -> PBNode:
    """Parse a dag-pb block into links and data."""
    links: list[PBLink] = []
    data: bytes | None = None
    for number, wire, value in _fields(block):
        if number == 2 and isinstance(value, memoryview):
            links.append(_decode_link(value))
        elif number == 1 and isinstance(value, memoryview):
            data = bytes(value)
        else:
            raise StorageError(f"unexpected field {number} (wire type {wire}) in a dag-pb node")
    return PBNode(links, data)


def _decode_link(buf: memoryview) -> PBLink:
    cid, name, tsize = b"", "", None
    for number, _wire, value in _fields(buf):
        if number == 1 and isinstance(value, memoryview):
            cid = bytes(value)
        elif number == 2 and isinstance(value, memoryview):
            name = bytes(value).decode("utf-8", errors="replace")
        elif number == 3 and isinstance(value, int):
            tsize = value
        else:
            raise StorageError(f"unexpected field {number} in a dag-pb link")
    if not cid:
        raise StorageError("dag-pb link without a Hash")
    return PBLink(cid, name, tsize)


def decode_unixfs(buf: bytes | memoryview) -> UnixFSData:
    """Parse a UnixFS ``Data`` message (unknown optional fields are skipped)."""
    kind: int | None = None
    data: bytes | None = None
    filesize: int | None = None
    blocksizes: list[int] = []
    for number, _wire, value in _fields(buf):
        if number == 1 and isinstance(value, int):
            kind = value
        elif number == 2 and isinstance(value, memoryview):
            data = bytes(value)
        elif number == 3 and isinstance(value, int):
            filesize = value
        elif number == 4 and isinstance(value, int):
            blocksizes.append(value)
        elif number == 4 and isinstance(value, memoryview):  # tolerate a packed encoding
            blocksizes.extend(_packed(value))
    if kind is None:
        raise StorageError("UnixFS Data message without a Type")
    return UnixFSData(kind, data, filesize, blocksizes)


def _packed(buf: memoryview) -> Iterator[int]:
    pos = 0
    while pos < len(buf):
        value, pos = decode_varint(buf, pos)
        yield value
