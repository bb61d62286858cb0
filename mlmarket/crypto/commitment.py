"""Key commitments: a public, on-chain fingerprint of a dataset's data key.

The seller publishes ``key_commitment(key, dataset_id)`` when registering a
dataset. A buyer who unwraps a data key checks it against the commitment before
trusting it, so a seller cannot deliver a different key than the one promised.

The commitment is 32 bytes::

    keccak256( b"mlmarket.datakey.v1"   # 19 ASCII bytes, domain separator
               || dataset_id            # 16 raw bytes
               || key )                 # 32 raw bytes

i.e. keccak-256 (Ethereum's, not NIST SHA3-256) of 67 bytes. In Solidity:
``keccak256(abi.encodePacked("mlmarket.datakey.v1", bytes16 datasetId, bytes32 key))``.
"""

from __future__ import annotations

import hmac

from eth_utils import keccak

from mlmarket.crypto.envelope import KEY_SIZE
from mlmarket.crypto.ids import dataset_id_bytes
from mlmarket.errors import CryptoError, KeyMismatchError

COMMITMENT_DOMAIN = b"mlmarket.datakey.v1"
"""Domain-separation prefix of the commitment pre-image."""
COMMITMENT_SIZE = 32


def key_commitment(key: bytes, dataset_id: str | bytes) -> bytes:
    """Return the 32-byte commitment to ``key`` for ``dataset_id``.

    Example:
        >>> key_commitment(bytes(32), "00" * 16).hex()[:16]
        '475cdb1446acac46'
    """
    if not isinstance(key, bytes | bytearray | memoryview) or len(key) != KEY_SIZE:
        raise CryptoError(f"A data key must be {KEY_SIZE} bytes to commit to it.")
    return keccak(COMMITMENT_DOMAIN + dataset_id_bytes(dataset_id) + bytes(key))


def _commitment_bytes(commitment: bytes | str) -> bytes:
    if isinstance(commitment, str):
        try:
            commitment = bytes.fromhex(commitment.removeprefix("0x"))
        except ValueError:
            raise CryptoError(f"The commitment {commitment!r} is not hex.") from None
    raw = bytes(commitment)
    if len(raw) != COMMITMENT_SIZE:
        raise CryptoError(f"A key commitment must be {COMMITMENT_SIZE} bytes, got {len(raw)}.")
    return raw


def check_key(key: bytes, dataset_id: str | bytes, commitment: bytes | str) -> None:
    """Check that ``key`` is the key committed to for ``dataset_id``.

    ``commitment`` may be the 32 bytes or their hex (``0x`` optional).

    Raises:
        KeyMismatchError: the key (or dataset id) does not match the commitment.

    Example:
        >>> key = bytes(32)
        >>> check_key(key, "00" * 16, key_commitment(key, "00" * 16))
    """
    expected = _commitment_bytes(commitment)
    if not hmac.compare_digest(key_commitment(key, dataset_id), expected):
        raise KeyMismatchError(
            "The data key does not match the commitment registered for this dataset; "
            "the seller delivered a different key. Do not use it; dispute the purchase."
        )
