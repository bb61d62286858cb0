"""Walking DAGs: the bytes of a UnixFS file, and every block under a root.

Both walks take a ``get_block(cid) -> bytes`` function, so they work on any
block source; :class:`~mlmarket.storage.local.LocalStore` passes its verifying
block reader, which means every byte they yield has been checked against its CID.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import dag_cbor
from multiformats import CID

from mlmarket.errors import StorageError
from mlmarket.storage.cid import DAG_CBOR, DAG_PB, RAW, format_cid
from mlmarket.storage.dagpb import (
    UNIXFS_FILE,
    UNIXFS_RAW,
    decode_pbnode,
    decode_unixfs,
)

GetBlock = Callable[[CID], bytes]


def iter_file(root: CID, get_block: GetBlock) -> Iterator[bytes]:
    """Yield the content of the UnixFS file (or raw block) ``root``, in order.

    Memory use is one block plus the links still to visit: a 1 GB file is never
    held in memory.

    Example:
        >>> from mlmarket.storage.unixfs import DagBuilder
        >>> blocks = {}
        >>> class Sink:
        ...     def put(self, cid, block): blocks[bytes(cid)] = bytes(block)
        >>> builder = DagBuilder(sink=Sink()); _ = builder.write(b"abc"); cid = builder.finish()
        >>> b"".join(iter_file(cid, lambda c: blocks[bytes(c)]))
        b'abc'
    """
    stack = [root]
    while stack:
        cid = stack.pop()
        block = get_block(cid)
        codec = cid.codec.code
        if codec == RAW:
            yield block
            continue
        if codec != DAG_PB:
            raise StorageError(
                f"{format_cid(cid)} is a {cid.codec.name} block, not a file; "
                "read it with get_block() or move it with export_car()"
            )
        data, children = _file_node(cid, block, root)
        if data:
            yield data
        stack.extend(reversed(children))


def _file_node(cid: CID, block: bytes, root: CID) -> tuple[bytes | None, list[CID]]:
    """Data and child CIDs of one dag-pb node of a UnixFS file."""
    try:
        node = decode_pbnode(block)
        unixfs = decode_unixfs(node.data) if node.data is not None else None
    except StorageError as exc:
        raise StorageError(f"block {format_cid(cid)} is not valid dag-pb/UnixFS: {exc}") from exc
    if unixfs is None or unixfs.type not in (UNIXFS_FILE, UNIXFS_RAW):
        kind = "a dag-pb node without UnixFS data" if unixfs is None else f"type {unixfs.type}"
        raise StorageError(
            f"{format_cid(root)} is not a UnixFS file (block {format_cid(cid)} is {kind}); "
            "directories are not supported by get()/open(): export it with export_car()"
        )
    return unixfs.data, [CID.decode(link.hash) for link in node.links]


def links_of(cid: CID, block: bytes) -> list[CID]:
    """The CIDs a block links to, for the codecs a store can hold.

    Raises:
        StorageError: the codec is not one of raw, dag-pb, dag-cbor, identity.
    """
    codec = cid.codec.code
    if codec == RAW:
        return []
    if codec == DAG_PB:
        return [CID.decode(link.hash) for link in decode_pbnode(block).links]
    if codec == DAG_CBOR:
        return list(_cbor_links(dag_cbor.decode(block)))
    raise StorageError(
        f"cannot follow the links of {format_cid(cid)}: codec {cid.codec.name} is not "
        "supported (raw, dag-pb and dag-cbor are)"
    )


def _cbor_links(value: object) -> Iterator[CID]:
    if isinstance(value, CID):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _cbor_links(item)
    elif isinstance(value, list):
        for item in value:
            yield from _cbor_links(item)


def walk(root: CID, get_block: GetBlock) -> Iterator[tuple[CID, bytes]]:
    """Every block reachable from ``root`` once, depth first, parents before children.

    This is the order ``ipfs dag export`` writes a CAR in.
    """
    seen: set[bytes] = set()
    stack = [root]
    while stack:
        cid = stack.pop()
        key = bytes(cid)
        if key in seen:
            continue
        seen.add(key)
        block = get_block(cid)
        yield cid, block
        stack.extend(reversed(links_of(cid, block)))
