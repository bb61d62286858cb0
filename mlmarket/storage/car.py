"""CAR (Content Addressable aRchive) files: how blocks move between stores and IPFS nodes.

CARv1 (https://ipld.io/specs/transport/car/carv1/) is::

    varint(len(header)) | header = dag-cbor {"roots": [CID, ...], "version": 1}
    then, per block:  varint(len(cid) + len(block)) | cid bytes | block bytes

Writing always produces CARv1 (what ``ipfs dag export`` writes). Reading also
accepts CARv2, whose payload is a CARv1. Every block read is checked against
its CID before it is handed out.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import dag_cbor
from multiformats import CID

from mlmarket.errors import IntegrityError, StorageError
from mlmarket.storage.cid import format_cid, verify_block
from mlmarket.storage.dagpb import decode_varint, encode_varint

# A length prefix beyond this is corruption, not a block: refuse before allocating.
MAX_SECTION = 8 * 1024 * 1024
_CARV2_HEADER = 40  # characteristics (16) + data offset, data size, index offset (3 x u64le)


def encode_header(roots: list[CID]) -> bytes:
    """The varint-prefixed dag-cbor CARv1 header for ``roots``.

    Example:
        >>> from mlmarket.storage.cid import parse_cid
        >>> cid = parse_cid("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e")
        >>> encode_header([cid])[:10].hex()
        '3aa265726f6f747381d8'
    """
    header = dag_cbor.encode({"roots": list(roots), "version": 1})
    return encode_varint(len(header)) + header


def write_car(out: BinaryIO, roots: list[CID], blocks: Iterable[tuple[CID, bytes]]) -> int:
    """Stream a CARv1 of ``blocks`` to ``out``; return the number of bytes written."""
    written = out.write(encode_header(roots))
    for cid, block in blocks:
        raw = bytes(cid)
        written += out.write(encode_varint(len(raw) + len(block)))
        written += out.write(raw)
        written += out.write(block)
    return written


class CarReader:
    """Reads a CAR from a binary stream; :meth:`blocks` verifies every block.

    Example:
        >>> import io
        >>> from mlmarket.storage.cid import parse_cid
        >>> cid = parse_cid("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e")
        >>> buf = io.BytesIO(); _ = write_car(buf, [cid], [(cid, b"hello world")]); _ = buf.seek(0)
        >>> reader = CarReader(buf, name="example.car")
        >>> [(str(c)[:8], data) for c, data in reader.blocks()]
        [('bafkreif', b'hello world')]
    """

    def __init__(self, stream: BinaryIO, name: str = "<stream>") -> None:
        self.name = name
        self._in: BinaryIO = stream
        self._limit: int | None = None
        header = self._read_header()
        if header.get("version") == 2:
            self._enter_carv2()
            header = self._read_header()
        self.roots = self._check_header(header)

    def blocks(self) -> Iterator[tuple[CID, bytes]]:
        """Yield ``(cid, block)`` for every section, each verified against its CID.

        Raises:
            IntegrityError: a block does not hash to its CID (the message names it).
        """
        while True:
            length = self._read_varint(allow_eof=True)
            if length is None:
                return
            if not 0 < length <= MAX_SECTION:
                raise self._corrupt(f"a section claims {length} bytes")
            section = self._read_exact(length)
            cid, block = self._split(section)
            if not verify_block(cid, block):
                raise IntegrityError(
                    f"block {format_cid(cid)} in {self.name} does not hash to its CID: the CAR "
                    "is corrupted or was tampered with; export it again from its source"
                )
            yield cid, block

    def _read_header(self) -> dict[str, Any]:
        length = self._read_varint(allow_eof=False)
        if length is None or not 0 < length <= MAX_SECTION:
            raise self._corrupt("the header length is missing or out of range")
        try:
            header: object = dag_cbor.decode(self._read_exact(length))
        except Exception as exc:  # dag_cbor raises several unrelated error types
            raise self._corrupt(f"the header is not dag-cbor ({exc})") from exc
        if not isinstance(header, dict):
            raise self._corrupt("the header is not a map")
        return header

    def _check_header(self, header: dict[str, Any]) -> list[CID]:
        roots = header.get("roots")
        if header.get("version") != 1 or not isinstance(roots, list):
            raise self._corrupt(f"expected a CARv1 header {{roots, version: 1}}, got {header!r}")
        if not all(isinstance(root, CID) for root in roots):
            raise self._corrupt("a root is not a CID")
        return [format_root(root) for root in roots]

    def _enter_carv2(self) -> None:
        fields = self._read_exact(_CARV2_HEADER)
        offset, size, _index = struct.unpack_from("<QQQ", fields, 16)
        consumed = 11 + _CARV2_HEADER  # the pragma is 11 bytes
        if offset < consumed:
            raise self._corrupt("CARv2 data offset points inside its header")
        self._read_exact(offset - consumed)  # skip padding without needing seek()
        self._limit = size

    def _split(self, section: bytes) -> tuple[CID, bytes]:
        try:
            if section[:2] == b"\x12\x20":  # CIDv0: a bare sha2-256 multihash
                end = 34
            else:
                pos = decode_varint(section, 0)[1]  # version
                pos = decode_varint(section, pos)[1]  # codec
                pos = decode_varint(section, pos)[1]  # hash function
                digest_len, pos = decode_varint(section, pos)
                end = pos + digest_len
            if end > len(section):
                raise ValueError("CID runs past the end of its section")
            return format_root(CID.decode(section[:end])), section[end:]
        except (StorageError, ValueError, KeyError) as exc:
            raise self._corrupt(f"a section does not start with a valid CID ({exc})") from exc

    def _read_varint(self, allow_eof: bool) -> int | None:
        buf = bytearray()
        while True:
            byte = self._read(1)
            if not byte:
                if not buf and allow_eof:
                    return None
                raise self._corrupt("the file ends inside a length prefix")
            buf += byte
            if byte[0] < 0x80:
                return decode_varint(buf)[0]
            if len(buf) > 9:
                raise self._corrupt("a length prefix is too long")

    def _read_exact(self, size: int) -> bytes:
        data = self._read(size)
        if len(data) != size:
            raise self._corrupt(f"the file ends {size - len(data)} bytes early")
        return data

    def _read(self, size: int) -> bytes:
        if self._limit is not None:
            size = min(size, self._limit)
        parts = []
        while size > 0:
            part = self._in.read(size)
            if not part:
                break
            parts.append(part)
            size -= len(part)
            if self._limit is not None:
                self._limit -= len(part)
        return b"".join(parts)

    def _corrupt(self, what: str) -> StorageError:
        return StorageError(
            f"{self.name} is not a valid CAR file: {what}. Expected a CARv1/CARv2 "
            "as written by `ipfs dag export`; check the file was copied whole"
        )


def format_root(cid: CID) -> CID:
    """A root CID set to base32 (dag-cbor decoding gives base58btc)."""
    return cid.set(base="base32") if cid.version == 1 else cid


def read_roots(path: str | os.PathLike[str]) -> list[CID]:
    """Just the roots of a CAR file (nothing after the header is read)."""
    with open(path, "rb") as stream:
        return CarReader(stream, name=str(path)).roots
