"""Plaintext integrity: the SHA-256 of a dataset's bytes, recorded in its metadata."""

from __future__ import annotations

import hashlib
import hmac
import re

from mlmarket.errors import DataIntegrityError

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of ``data`` as 64 lowercase hex characters.

    Example:
        >>> sha256_hex(b"")[:16]
        'e3b0c44298fc1c14'
    """
    return hashlib.sha256(bytes(data)).hexdigest()


def verify_plaintext(plaintext: bytes, expected_sha256_hex: str) -> None:
    """Check that ``plaintext`` hashes to the SHA-256 recorded in the metadata.

    Raises:
        DataIntegrityError: the hash differs, or ``expected_sha256_hex`` is not
            64 hex characters.

    Example:
        >>> verify_plaintext(b"abc", sha256_hex(b"abc"))
    """
    expected = expected_sha256_hex.lower() if isinstance(expected_sha256_hex, str) else ""
    if not _SHA256_HEX.fullmatch(expected):
        raise DataIntegrityError(
            f"The expected SHA-256 {expected_sha256_hex!r} is not 64 hex characters; "
            "check the metadata's sha256 field."
        )
    actual = sha256_hex(plaintext)
    if not hmac.compare_digest(actual, expected):
        raise DataIntegrityError(
            f"The decrypted data hashes to {actual}, but the metadata records {expected}; "
            "the seller encrypted different data than described. Do not use it."
        )
