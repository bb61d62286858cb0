""":class:`KuboStore`: a thin typed client for kubo's HTTP RPC API (``/api/v0``).

It works with any node that speaks that API: kubo itself, or js-ipfs (which
the test suite starts). Every call is a POST with a timeout; every ``add``
parameter that decides the CID is sent explicitly, because node defaults
differ between implementations and versions.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from multiformats import CID

from mlmarket.errors import ContentNotFoundError, NodeUnreachableError, StorageError
from mlmarket.storage.base import (
    CIDLike,
    ContentStore,
    ContentWriter,
    Source,
    iter_source,
    uploading,
)
from mlmarket.storage.car import CarReader
from mlmarket.storage.cid import format_cid, parse_cid
from mlmarket.storage.unixfs import ImportParams

DEFAULT_API = "http://127.0.0.1:5001"
_SPOOL_IN_MEMORY = 8 * 1024 * 1024  # writer() keeps this much in memory, then spills to root
_NOT_FOUND = re.compile(r"not found|could not find|timed out|timeout|no link named", re.I)
_MULTIADDR = re.compile(r"^/(ip4|ip6|dns4|dns6|dns)/([^/]+)/tcp/(\d+)(/https?)?/?$")


def api_url(address: str) -> str:
    """An RPC address as a base URL; multiaddrs like ``/ip4/127.0.0.1/tcp/5001`` work too.

    Example:
        >>> api_url("/ip4/127.0.0.1/tcp/5001")
        'http://127.0.0.1:5001'
    """
    match = _MULTIADDR.match(address.strip())
    if match:
        proto, host, port, scheme = match.groups()
        host = f"[{host}]" if proto == "ip6" else host
        return f"{(scheme or '/http')[1:]}://{host}:{port}"
    return address.strip().rstrip("/")


def _flag(value: bool) -> str:
    return "true" if value else "false"


class _KuboWriter(ContentWriter):
    """Spools what is written (in memory, then a temp file in root); adds it on close."""

    def __init__(self, store: KuboStore, options: dict[str, Any]) -> None:
        super().__init__()
        store.root.mkdir(parents=True, exist_ok=True)
        self._store = store
        self._options = options
        self._spool = tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY, dir=str(store.root))

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self.closed:
            raise ValueError("write to a closed ContentWriter")
        return self._spool.write(data)

    def _finish(self) -> CID:
        try:
            self._spool.seek(0)
            return self._store._add_stream(iter_source(self._spool), **self._options)  # type: ignore[arg-type]
        finally:
            self._spool.close()

    def _abort(self) -> None:
        self._spool.close()


class KuboStore(ContentStore):
    """Content on an IPFS node reached through kubo's HTTP RPC API.

    Args:
        api: the RPC address, as a URL or a multiaddr (default ``http://127.0.0.1:5001``).
        root: folder for temporary files (spooled writes, downloads in progress).
        chunk_size, max_links, cid_version, raw_leaves, hash, params: as for
            :class:`~mlmarket.storage.local.LocalStore`; equal params give equal CIDs.
        timeout: seconds allowed per call (reads stream, so this bounds each wait).
        has_timeout: seconds :meth:`has` waits: a missing block can make a node search.

    Example:
        >>> store = KuboStore("http://127.0.0.1:5001")  # doctest: +SKIP
        >>> str(store.add(b"hello world"))  # doctest: +SKIP
        'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'
    """

    def __init__(
        self,
        api: str = DEFAULT_API,
        root: str | os.PathLike[str] | None = None,
        *,
        chunk_size: int = 262144,
        max_links: int = 174,
        cid_version: int = 1,
        raw_leaves: bool | None = None,
        hash: str = "sha2-256",
        params: ImportParams | None = None,
        timeout: float = 60.0,
        has_timeout: float = 2.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api = api_url(api)
        self.root = Path(root) if root is not None else Path(tempfile.gettempdir()) / "mlmarket"
        self.params = params or ImportParams(chunk_size, max_links, cid_version, raw_leaves, hash)
        self.timeout = timeout
        self.has_timeout = has_timeout
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=10.0), transport=transport
        )

    def __repr__(self) -> str:
        return f"KuboStore({self.api!r}, params={self.params})"

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def __enter__(self) -> KuboStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- HTTP plumbing ---------------------------------------------------------

    def _url(self, command: str) -> str:
        return f"{self.api}/api/v0/{command}"

    def _call(
        self, command: str, params: dict[str, Any], timeout: float | None = None, **kw: Any
    ) -> httpx.Response:
        """POST ``command``; map transport and API errors to mlmarket errors."""
        try:
            response = self._client.post(
                self._url(command), params=params, timeout=timeout or self.timeout, **kw
            )
        except httpx.TransportError as exc:
            raise self._transport_error(command, exc, params.get("arg")) from exc
        self._check(command, response, params.get("arg"))
        return response

    def _stream(self, command: str, params: dict[str, Any]) -> Iterator[bytes]:
        """POST ``command`` and yield the response body as it arrives."""
        try:
            with self._client.stream("POST", self._url(command), params=params) as response:
                if response.status_code >= 400:
                    response.read()
                    self._check(command, response, params.get("arg"))
                yield from response.iter_bytes(1024 * 1024)
        except httpx.TransportError as exc:
            raise self._transport_error(command, exc, params.get("arg")) from exc

    def _transport_error(
        self, command: str, exc: httpx.TransportError, arg: object = None
    ) -> StorageError:
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.NetworkError):
            reason = str(exc) or type(exc).__name__
            return NodeUnreachableError(
                f"could not reach the IPFS node at {self.api} ({command}: {reason}). "
                "Start the daemon (`ipfs daemon`) or pass the address its RPC API listens on"
            )
        if isinstance(exc, httpx.ReadTimeout) and arg is not None:
            # A node that lacks a block asks the network for it and goes quiet
            # (for ever, when offline): silence about a CID means "not found".
            return ContentNotFoundError(
                f"the IPFS node at {self.api} did not deliver {arg} within {self.timeout}s "
                f"({command}): it does not hold it and could not fetch it. Add or import "
                "it on that node, or raise KuboStore(timeout=...) for slow networks"
            )
        if isinstance(exc, httpx.TimeoutException):
            return StorageError(
                f"the IPFS node at {self.api} did not answer {command} in time "
                f"(timeout={self.timeout}s); retry, or raise KuboStore(timeout=...)"
            )
        return StorageError(
            f"talking to the IPFS node at {self.api} failed during {command}: {exc}"
        )

    def _check(self, command: str, response: httpx.Response, arg: object) -> None:
        if response.status_code < 400:
            return
        if response.status_code == 404:
            raise StorageError(
                f"{self.api} answered 404 for /api/v0/{command}: that is not a kubo RPC API. "
                "Pass the RPC address (kubo's default port is 5001), not a gateway's"
            )
        try:
            message = str(response.json().get("Message", response.text))
        except (ValueError, AttributeError):
            message = response.text.strip() or f"HTTP {response.status_code}"
        if arg is not None and _NOT_FOUND.search(message):
            raise ContentNotFoundError(
                f"{arg} is not available on the node at {self.api}: {message}"
            )
        raise StorageError(f"the IPFS node at {self.api} refused {command}: {message}")

    @staticmethod
    def _json_lines(response: httpx.Response) -> list[dict[str, Any]]:
        return [json.loads(line) for line in response.text.splitlines() if line.strip()]

    # --- adding ------------------------------------------------------------------

    def add(
        self,
        source: Source,
        *,
        pin: bool = True,
        only_hash: bool = False,
        params: ImportParams | None = None,
        progress: bool | None = None,
    ) -> CID:
        """Upload ``source`` (streamed) with explicit import parameters; return its CID.

        ``progress``: a bar of the bytes sent, as for :meth:`ContentStore.add`."""
        pieces = uploading(source, progress)
        return self._add_stream(pieces, pin=pin, only_hash=only_hash, params=params)

    def writer(
        self, *, pin: bool = True, only_hash: bool = False, params: ImportParams | None = None
    ) -> ContentWriter:
        """A stream that is uploaded when closed (spooled to :attr:`root` past 8 MiB)."""
        return _KuboWriter(self, {"pin": pin, "only_hash": only_hash, "params": params})

    def _add_stream(
        self,
        pieces: Iterator[bytes | memoryview],
        *,
        pin: bool,
        only_hash: bool,
        params: ImportParams | None,
    ) -> CID:
        p = params or self.params
        query: dict[str, Any] = {
            "cid-version": p.cid_version,
            "raw-leaves": _flag(bool(p.raw_leaves)),
            "chunker": f"size-{p.chunk_size}",
            "hash": p.hash,
            "pin": _flag(pin),
            "only-hash": _flag(only_hash),
            "trickle": "false",
            "progress": "false",
        }
        if p.cid_version == 1:  # js-ipfs refuses cid-base=base32 for a CIDv0
            query["cid-base"] = "base32"
        if p.max_links != 174:  # only newer kubo knows this flag; 174 is every node's default
            query["max-file-links"] = p.max_links
        boundary = secrets.token_hex(16)
        response = self._call(
            "add",
            query,
            content=_multipart(pieces, boundary),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        hashes = [line["Hash"] for line in self._json_lines(response) if "Hash" in line]
        if not hashes:
            raise StorageError(
                f"the IPFS node at {self.api} answered add without a CID: {response.text!r}"
            )
        return parse_cid(hashes[-1])

    # --- reading -----------------------------------------------------------------

    def iter_chunks(self, cid: CIDLike) -> Iterator[bytes]:
        """The content of ``cid`` via ``/api/v0/cat``, streamed."""
        return self._stream("cat", {"arg": format_cid(cid)})

    def has(self, cid: CIDLike) -> bool:
        """True when the node has the root block locally (asks offline, with a short timeout)."""
        query = {"arg": format_cid(cid), "offline": "true", "timeout": f"{self.has_timeout}s"}
        try:
            self._call("block/stat", query, timeout=self.has_timeout + 5.0)
        except ContentNotFoundError:  # "not found", or still looking when the time ran out
            return False
        return True

    # --- pins ----------------------------------------------------------------------

    def pin(self, cid: CIDLike) -> None:
        self._call("pin/add", {"arg": format_cid(cid), "recursive": "true"})

    def unpin(self, cid: CIDLike) -> bool:
        try:
            self._call("pin/rm", {"arg": format_cid(cid), "recursive": "true"})
        except StorageError as exc:
            if "not pinned" in str(exc):
                return False
            raise
        return True

    def pins(self) -> list[CID]:
        response = self._call("pin/ls", {"type": "recursive"})
        found: list[str] = []
        for line in self._json_lines(response):
            found.extend(line.get("Keys", {}))  # kubo: {"Keys": {cid: {...}}}
            if "Cid" in line:  # streaming form: one {"Cid": ..., "Type": ...} per line
                found.append(line["Cid"])
        return sorted({parse_cid(c) for c in found}, key=str)

    def gc(self) -> int:
        response = self._call("repo/gc", {})
        return sum(1 for line in self._json_lines(response) if "Key" in line)

    # --- CAR -----------------------------------------------------------------------

    def export_car(self, cid: CIDLike, path: str | os.PathLike[str]) -> Path:
        """Download ``dag/export`` into ``path``; every block is verified before the rename."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                for piece in self._stream("dag/export", {"arg": format_cid(cid)}):
                    out.write(piece)
            _verify_car(Path(tmp), str(target))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def import_car(self, path: str | os.PathLike[str], *, pin: bool = True) -> list[CID]:
        """Verify every block locally, then upload through ``dag/import``; return the roots."""
        roots = _verify_car(Path(path), str(path))
        boundary = secrets.token_hex(16)
        with open(path, "rb") as stream:
            self._call(
                "dag/import",
                {"pin-roots": _flag(pin)},
                content=_multipart(iter_source(stream), boundary, "application/vnd.ipld.car"),
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            )
        return roots


def _verify_car(path: Path, name: str) -> list[CID]:
    with open(path, "rb") as stream:
        reader = CarReader(stream, name=name)
        for _ in reader.blocks():
            pass
    return reader.roots


def _multipart(
    pieces: Iterator[bytes | memoryview],
    boundary: str,
    content_type: str = "application/octet-stream",
) -> Iterator[bytes]:
    """A one-file multipart body, streamed (the node rejects parts without a Content-Type)."""
    yield (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="data"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    for piece in pieces:
        yield bytes(piece)
    yield f"\r\n--{boundary}--\r\n".encode()
