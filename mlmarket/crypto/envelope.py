"""AES-256-GCM envelopes: the encrypted form of a dataset in content storage.

Byte layout of format version 1 (all lengths in bytes)::

    offset  length  field
    0       4       magic  b"MLMD"
    4       1       version 0x01
    5       12      nonce (random, from os.urandom via AESGCM)
    17      n       ciphertext (same length as the plaintext)
    17+n    16      GCM authentication tag

Total size = plaintext length + 33. The cipher is AES-256-GCM (``cryptography``'s
``AESGCM``) with a random 32-byte data key per dataset. The associated data is
``magic || version || dataset_id`` (5 + 16 bytes), which binds the ciphertext to
its dataset and authenticates the header: an envelope moved to another dataset
id, or with any byte changed, fails to decrypt.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mlmarket.crypto.ids import dataset_id_bytes
from mlmarket.errors import CryptoError, DecryptionError

MAGIC = b"MLMD"
"""First four bytes of every envelope."""
VERSION = 1
"""The envelope format version written by :func:`encrypt`."""
HEADER = MAGIC + bytes([VERSION])
KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
OVERHEAD = len(HEADER) + NONCE_SIZE + TAG_SIZE
"""Bytes an envelope adds to its plaintext (33)."""


def generate_data_key() -> bytes:
    """Return a new random 32-byte AES-256 data key.

    Example:
        >>> len(generate_data_key())
        32
    """
    return AESGCM.generate_key(bit_length=256)


def _check_key(key: bytes) -> bytes:
    if not isinstance(key, bytes | bytearray | memoryview) or len(key) != KEY_SIZE:
        size = len(key) if isinstance(key, bytes | bytearray | memoryview) else "not bytes"
        raise CryptoError(
            f"A data key must be {KEY_SIZE} bytes ({size} given); "
            "create one with generate_data_key()."
        )
    return bytes(key)


def _associated_data(dataset_id: str | bytes) -> bytes:
    return HEADER + dataset_id_bytes(dataset_id)


def encrypt(plaintext: bytes, key: bytes, dataset_id: str | bytes) -> bytes:
    """Encrypt ``plaintext`` into a version-1 envelope bound to ``dataset_id``.

    Example:
        >>> key, dsid = generate_data_key(), "ab" * 16
        >>> envelope = encrypt(b"a,b\\n1,2\\n", key, dsid)
        >>> envelope[:4], len(envelope) - OVERHEAD
        (b'MLMD', 8)
        >>> decrypt(envelope, key, dsid)
        b'a,b\\n1,2\\n'
    """
    aesgcm = AESGCM(_check_key(key))
    nonce = os.urandom(NONCE_SIZE)
    sealed = aesgcm.encrypt(nonce, bytes(plaintext), _associated_data(dataset_id))
    return HEADER + nonce + sealed


def decrypt(envelope: bytes, key: bytes, dataset_id: str | bytes) -> bytes:
    """Decrypt and authenticate an envelope made by :func:`encrypt`.

    Raises:
        DecryptionError: the bytes are not an envelope, use an unknown version,
            were changed, or the key or dataset id is not the one used to encrypt.

    Example:
        >>> key = generate_data_key()
        >>> decrypt(encrypt(b"x", key, "00" * 16), key, "11" * 16)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        mlmarket.errors.DecryptionError: The envelope failed authentication: ...
    """
    aesgcm = AESGCM(_check_key(key))
    associated = _associated_data(dataset_id)
    envelope = bytes(envelope)
    if len(envelope) < OVERHEAD:
        raise DecryptionError(
            f"The envelope is {len(envelope)} bytes, shorter than the {OVERHEAD}-byte minimum; "
            "it is truncated or not an mlmarket envelope."
        )
    if envelope[: len(MAGIC)] != MAGIC:
        raise DecryptionError(
            f"The data does not start with the envelope magic {MAGIC!r}; "
            "it is not an mlmarket envelope or it was changed."
        )
    if envelope[len(MAGIC)] != VERSION:
        raise DecryptionError(
            f"Envelope format version {envelope[len(MAGIC)]} is not supported "
            f"(this mlmarket reads version {VERSION}); upgrade mlmarket or re-encrypt."
        )
    nonce = envelope[len(HEADER) : len(HEADER) + NONCE_SIZE]
    try:
        return aesgcm.decrypt(nonce, envelope[len(HEADER) + NONCE_SIZE :], associated)
    except InvalidTag:
        raise DecryptionError(
            "The envelope failed authentication: the ciphertext was changed, or the key "
            "or dataset id is not the one it was encrypted with."
        ) from None
