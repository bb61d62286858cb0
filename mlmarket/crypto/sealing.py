"""The seller's and the buyer's whole procedures, built from the pieces.

Seller: :func:`seal` encrypts a dataset's plaintext under a fresh data key and
returns everything to publish. Buyer: :func:`open_purchase` performs every
check, in the order documented in ``docs/data-protection.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mlmarket.crypto.commitment import check_key, key_commitment
from mlmarket.crypto.envelope import decrypt, encrypt, generate_data_key
from mlmarket.crypto.ids import dataset_id_bytes
from mlmarket.crypto.integrity import sha256_hex, verify_plaintext
from mlmarket.crypto.keywrap import unwrap_key
from mlmarket.errors import ConfigurationError


@dataclass(frozen=True)
class SealedDataset:
    """The outputs of :func:`seal`.

    ``envelope`` goes to content storage, ``commitment`` on chain, ``sha256``
    into the metadata; ``key`` stays with the seller until it is wrapped to a
    buyer with :func:`mlmarket.crypto.wrap_key`.
    """

    dataset_id: str
    envelope: bytes
    commitment: bytes
    sha256: str
    key: bytes = field(repr=False)


def seal(plaintext: bytes, dataset_id: str | bytes) -> SealedDataset:
    """Encrypt ``plaintext`` under a new data key for ``dataset_id``.

    Example:
        >>> sealed = seal(b"a\\n1\\n", "ab" * 16)
        >>> open_purchase(sealed.envelope, key=sealed.key, dataset_id="ab" * 16,
        ...               commitment=sealed.commitment, sha256=sealed.sha256)
        b'a\\n1\\n'
    """
    key = generate_data_key()
    return SealedDataset(
        dataset_id=dataset_id_bytes(dataset_id).hex(),
        envelope=encrypt(plaintext, key, dataset_id),
        commitment=key_commitment(key, dataset_id),
        sha256=sha256_hex(plaintext),
        key=key,
    )


def open_purchase(
    envelope: bytes,
    *,
    dataset_id: str | bytes,
    commitment: bytes | str,
    sha256: str,
    wrapped_key: bytes | None = None,
    private_key: bytes | str | None = None,
    key: bytes | None = None,
) -> bytes:
    """Recover a purchased dataset's plaintext, checking everything on the way.

    Give either ``wrapped_key`` and ``private_key`` (the usual case) or the bare
    ``key``. Steps: unwrap (DecryptionError), check the key against the on-chain
    commitment (KeyMismatchError), decrypt the envelope (DecryptionError), check
    the plaintext's SHA-256 against the metadata (DataIntegrityError).
    """
    if key is None:
        if wrapped_key is None or private_key is None:
            raise ConfigurationError("open_purchase needs wrapped_key and private_key, or key.")
        key = unwrap_key(wrapped_key, private_key)
    check_key(key, dataset_id, commitment)
    plaintext = decrypt(envelope, key, dataset_id)
    verify_plaintext(plaintext, sha256)
    return plaintext
