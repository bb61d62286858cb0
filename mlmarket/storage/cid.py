"""CIDs: parsing, display in base32, multihash checks and gateway URLs.

The CID type itself is :class:`multiformats.CID`; this module adds the
project's conventions on top of it:

* every CID shown to a user is base32 (``bafk…`` for a single raw block,
  ``bafy…`` for a dag-pb DAG); a CIDv0 (``Qm…``) can only be written in
  base58btc, so it stays as it is;
* every malformed CID raises :class:`~mlmarket.errors.InvalidCIDError`
  quoting the offending value;
* block hashes are computed with :mod:`hashlib` only.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from functools import lru_cache
from typing import Final

from multiformats import CID, multihash

from mlmarket.errors import InvalidCIDError, StorageError

__all__ = [
    "CID",
    "RAW",
    "DAG_PB",
    "DAG_CBOR",
    "parse_cid",
    "format_cid",
    "make_cid",
    "block_digest",
    "verify_block",
    "gateway_url",
    "SUPPORTED_HASHES",
]

# Multicodec codes (https://github.com/multiformats/multicodec/blob/master/table.csv).
RAW: Final = 0x55
DAG_PB: Final = 0x70
DAG_CBOR: Final = 0x71
IDENTITY: Final = 0x00

# Hash functions a block can be verified with, by multihash code. Only hashlib:
# no hand-rolled cryptography.
_HASHERS: Final[dict[int, Callable[[bytes | memoryview], bytes]]] = {
    0x12: lambda data: hashlib.sha256(data).digest(),
    0x13: lambda data: hashlib.sha512(data).digest(),
}
_HASH_CODES: Final = {"sha2-256": 0x12, "sha2-512": 0x13}
SUPPORTED_HASHES: Final = tuple(_HASH_CODES)

_EXAMPLE = "'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'"


def parse_cid(value: CID | str | bytes) -> CID:
    """Parse a CID from its string or binary form, normalised for display.

    CIDv1 values come back set to base32, whatever base they were written in.

    Example:
        >>> str(parse_cid("zb2rhj7crUKTQYRGCRATFaQ6YFLTde2YzdqbbhAASkL9uRDXn"))
        'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'

    Raises:
        InvalidCIDError: the value is not a CID; the message quotes it.
    """
    if isinstance(value, CID):
        cid = value
    elif isinstance(value, str | bytes | bytearray | memoryview):
        cid = _decode(value)
    else:
        raise InvalidCIDError(
            f"expected a CID as str, bytes or CID, got {type(value).__name__} {value!r}; "
            f"pass the CID string, for example {_EXAMPLE}"
        )
    return cid.set(base="base32") if cid.version == 1 else cid


def _decode(value: str | bytes | bytearray | memoryview) -> CID:
    return _decode_text(value if isinstance(value, str) else bytes(value))


@lru_cache(maxsize=4096)  # CIDs are immutable; multiformats spends ~0.1 ms per decoding
def _decode_text(value: str | bytes) -> CID:
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and text.startswith("/ipfs/"):
        text = text[len("/ipfs/") :]
    try:
        return CID.decode(text)
    # multiformats raises a mix of ValueError/KeyError subclasses per layer
    # (multibase, base-N alphabet, varint, multicodec): all mean "not a CID".
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise InvalidCIDError(
            f"{value!r} is not a valid CID ({exc}); expected a CIDv1 such as {_EXAMPLE} "
            "or a CIDv0 starting with 'Qm'. Check that it was copied whole."
        ) from exc


@lru_cache(maxsize=4096)  # CIDs are immutable; multiformats spends ~0.1 ms per encoding
def _text(cid: CID) -> str:
    if cid.version == 1 and cid.base.name == "base32":
        # Multibase "b": RFC 4648 base32 of the CID's bytes, lower case, unpadded. The
        # standard library encodes it in microseconds; multiformats checks every
        # character's type on the way (0.15 ms for each new CID a store writes).
        return "b" + base64.b32encode(bytes(cid)).decode("ascii").lower().rstrip("=")
    return str(cid)


def format_cid(cid: CID | str | bytes) -> str:
    """The CID as users see it: base32 for CIDv1, ``Qm…`` for CIDv0.

    Example:
        >>> format_cid("zb2rhj7crUKTQYRGCRATFaQ6YFLTde2YzdqbbhAASkL9uRDXn")[:8]
        'bafkreif'
    """
    return _text(parse_cid(cid))


def make_cid(version: int, codec: int, digest: bytes, hash_code: int = 0x12) -> CID:
    """Build a CID from a raw digest (``version`` 0 implies dag-pb, sha2-256).

    Example:
        >>> import hashlib
        >>> str(make_cid(1, RAW, hashlib.sha256(b"hello world").digest()))[:8]
        'bafkreif'
    """
    mh = multihash.wrap(digest, hash_code)
    if version == 0:
        return CID("base58btc", 0, DAG_PB, mh)
    return CID("base32", 1, codec, mh)


def hash_code(name: str) -> int:
    """Multihash code of a supported hash function name (``sha2-256``, ``sha2-512``)."""
    try:
        return _HASH_CODES[name]
    except KeyError:
        raise StorageError(
            f"unsupported hash function {name!r}; expected one of {', '.join(SUPPORTED_HASHES)}"
        ) from None


def block_digest(data: bytes | memoryview, code: int = 0x12) -> bytes:
    """Raw digest of ``data`` under the multihash function ``code``."""
    try:
        return _HASHERS[code](data)
    except KeyError:
        raise StorageError(
            f"cannot hash with multihash code {code:#x}; supported: {', '.join(SUPPORTED_HASHES)}"
        ) from None


def verify_block(cid: CID, data: bytes | memoryview) -> bool:
    """True when ``data`` hashes to the digest in ``cid`` (identity CIDs embed the data)."""
    code, digest = _unwrap(cid)
    if code == IDENTITY:
        return bytes(digest) == bytes(data)
    return block_digest(data, code) == digest


def _unwrap(cid: CID) -> tuple[int, bytes]:
    return cid.hashfun.code, bytes(cid.raw_digest)


def gateway_url(cid: CID | str | bytes, gateway: str = "https://ipfs.io") -> str:
    """URL at which an HTTP gateway serves the content ``cid``.

    Example:
        >>> gateway_url("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e")
        'https://ipfs.io/ipfs/bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'
    """
    return f"{gateway.rstrip('/')}/ipfs/{format_cid(cid)}"
