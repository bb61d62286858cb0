"""Dataset identifiers: 16 random bytes, written as 32 lowercase hex characters.

The dataset id names a dataset everywhere: in its metadata document, in the
associated data of its encrypted envelope and in the key commitment stored on
chain. Functions in :mod:`mlmarket.crypto` accept it either as the 32-character
hex string (an optional ``0x`` prefix is allowed) or as the 16 raw bytes.
"""

from __future__ import annotations

import re
import secrets

from mlmarket.errors import CryptoError

DATASET_ID_SIZE = 16
"""Length of a dataset id in bytes."""

_HEX_ID = re.compile(r"(?:0x)?[0-9a-fA-F]{32}")


def new_dataset_id() -> str:
    """Return a fresh random dataset id as 32 lowercase hex characters.

    Example:
        >>> len(new_dataset_id())
        32
    """
    return secrets.token_bytes(DATASET_ID_SIZE).hex()


def dataset_id_bytes(dataset_id: str | bytes) -> bytes:
    """Return the 16 raw bytes of a dataset id given as hex text or bytes.

    Raises:
        CryptoError: if the value is not 16 bytes / 32 hex characters.

    Example:
        >>> dataset_id_bytes("00" * 16) == bytes(16)
        True
    """
    if isinstance(dataset_id, str):
        if not _HEX_ID.fullmatch(dataset_id):
            raise CryptoError(
                f"A dataset id must be 32 hex characters (16 bytes), got {dataset_id!r}; "
                "create one with new_dataset_id()."
            )
        return bytes.fromhex(dataset_id.removeprefix("0x"))
    if isinstance(dataset_id, bytes | bytearray | memoryview):
        raw = bytes(dataset_id)
        if len(raw) == DATASET_ID_SIZE:
            return raw
        raise CryptoError(
            f"A dataset id must be {DATASET_ID_SIZE} bytes, got {len(raw)}; "
            "create one with new_dataset_id()."
        )
    raise CryptoError(
        f"A dataset id must be a hex string or bytes, got {type(dataset_id).__name__}."
    )
