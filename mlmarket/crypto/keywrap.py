"""ECIES key wrapping: deliver a data key to a buyer's Ethereum (secp256k1) key.

The wrapped key is stored on chain, so its format is pinned here and never
taken from eciespy's mutable global ``ECIES_CONFIG``: every call passes a fresh
``ecies.config.Config`` built from :data:`ECIES_SETTINGS`, which are eciespy
0.4.x's defaults written out explicitly (so eciespy / eciesjs with default
settings interoperate).

==========================  =============================================
curve                       secp256k1
ephemeral public key        uncompressed, 65 bytes (0x04 || X || Y)
key derivation              HKDF-SHA256, salt empty, info empty, 32 bytes,
                            IKM = ephemeral_pub65 || shared_point65
                            (both uncompressed, shared point = r * buyer_pub)
symmetric cipher            AES-256-GCM, 16-byte nonce, 16-byte tag,
                            no associated data
==========================  =============================================

Wrapped-key layout for a 32-byte data key (129 bytes)::

    ephemeral_pub (65) || nonce (16) || tag (16) || encrypted key (32)

Note eciespy puts the tag *before* the ciphertext, unlike the data envelope.
"""

from __future__ import annotations

import re
from types import MappingProxyType

import coincurve
import ecies
from ecies.config import Config
from eth_keys import keys
from eth_keys.exceptions import ValidationError as EthKeysValidationError
from eth_utils import keccak, to_checksum_address

from mlmarket.crypto.envelope import KEY_SIZE
from mlmarket.errors import CryptoError, DecryptionError

ECIES_SETTINGS = MappingProxyType(
    {
        "elliptic_curve": "secp256k1",
        "is_ephemeral_key_compressed": False,
        "is_hkdf_key_compressed": False,
        "symmetric_algorithm": "aes-256-gcm",
        "symmetric_nonce_length": 16,
    }
)
"""The pinned eciespy settings (read-only)."""

EPHEMERAL_KEY_SIZE = 65
ECIES_NONCE_SIZE = 16
ECIES_TAG_SIZE = 16
WRAPPED_KEY_LENGTH = EPHEMERAL_KEY_SIZE + ECIES_NONCE_SIZE + ECIES_TAG_SIZE + KEY_SIZE
"""Length of a wrapped 32-byte data key: 129 bytes."""
PUBLIC_KEY_SIZE = 64

_HEX = re.compile(r"(?:0x)?(?:[0-9a-fA-F]{2})*")


def ecies_config() -> Config:
    """Return a new eciespy ``Config`` with the pinned :data:`ECIES_SETTINGS`.

    Example:
        >>> ecies_config().symmetric_nonce_length
        16
    """
    return Config(**ECIES_SETTINGS)


def _as_bytes(value: bytes | str, what: str) -> bytes:
    if isinstance(value, str):
        if not _HEX.fullmatch(value):
            raise CryptoError(f"The {what} is not a hex string.")
        return bytes.fromhex(value.removeprefix("0x"))
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise CryptoError(f"The {what} must be bytes or hex, not {type(value).__name__}.")


def _public_key_bytes(public_key64: bytes | str) -> bytes:
    raw = _as_bytes(public_key64, "public key")
    if len(raw) != PUBLIC_KEY_SIZE:
        raise CryptoError(
            f"A public key must be {PUBLIC_KEY_SIZE} bytes (X || Y, no 0x04 prefix), "
            f"got {len(raw)}; use public_key_of(private_key)."
        )
    try:
        coincurve.PublicKey(b"\x04" + raw)
    except ValueError:
        raise CryptoError("The 64 bytes are not a point on secp256k1.") from None
    return raw


def _private_key(private_key: bytes | str) -> keys.PrivateKey:
    raw = _as_bytes(private_key, "private key")
    try:
        return keys.PrivateKey(raw)
    except (EthKeysValidationError, ValueError):
        raise CryptoError(
            "A private key must be 32 bytes and a valid secp256k1 scalar "
            "(for example eth_account's Account.create().key)."
        ) from None


def public_key_of(private_key: bytes | str) -> bytes:
    """Return the 64-byte uncompressed public key (X || Y) of a private key.

    Example:
        >>> public_key_of(bytes(31) + b"\\x01").hex()[:16]
        '79be667ef9dcbbac'
    """
    return _private_key(private_key).public_key.to_bytes()


def address_of_public_key(public_key64: bytes | str) -> str:
    """Return the checksummed Ethereum address of a 64-byte public key.

    This is what the contract checks:
    ``address(uint160(uint256(keccak256(pub64)))) == msg.sender``.

    Example:
        >>> address_of_public_key(public_key_of(bytes(31) + b"\\x01"))
        '0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf'
    """
    return to_checksum_address(keccak(_public_key_bytes(public_key64))[-20:])


def wrap_key(key: bytes, public_key64: bytes | str) -> bytes:
    """Encrypt a 32-byte data key to a buyer's public key (ECIES, pinned settings).

    Example:
        >>> sk = bytes(31) + b"\\x07"
        >>> wrapped = wrap_key(b"k" * 32, public_key_of(sk))
        >>> len(wrapped), unwrap_key(wrapped, sk) == b"k" * 32
        (129, True)
    """
    if not isinstance(key, bytes | bytearray | memoryview) or len(key) != KEY_SIZE:
        raise CryptoError(f"Only {KEY_SIZE}-byte data keys can be wrapped.")
    return ecies.encrypt(_public_key_bytes(public_key64), bytes(key), config=ecies_config())


def unwrap_key(wrapped: bytes, private_key: bytes | str) -> bytes:
    """Decrypt a wrapped data key with the buyer's private key.

    Raises:
        DecryptionError: the blob has the wrong length or was not wrapped to
            this private key (or was changed).
    """
    sk = _private_key(private_key)
    wrapped = _as_bytes(wrapped, "wrapped key")
    if len(wrapped) != WRAPPED_KEY_LENGTH:
        raise DecryptionError(
            f"A wrapped data key is {WRAPPED_KEY_LENGTH} bytes, got {len(wrapped)}; "
            "check you read the whole value from the chain."
        )
    try:
        key = ecies.decrypt(sk.to_bytes(), wrapped, config=ecies_config())
    except ValueError:
        raise DecryptionError(
            "The wrapped data key could not be unwrapped: it was wrapped to a different "
            "public key than this private key's, or it was changed."
        ) from None
    return key
