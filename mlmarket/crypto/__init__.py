"""Data protection for mlmarket: envelopes, key commitments, ECIES key wrapping.

A seller encrypts a dataset with a random AES-256-GCM data key
(:func:`encrypt`), publishes the envelope to content storage and the key
commitment (:func:`key_commitment`) on chain, and wraps the data key to each
paying buyer's Ethereum public key (:func:`wrap_key`). A buyer unwraps, checks
and decrypts (:func:`open_purchase`). Formats: ``docs/data-protection.md``.

This package never imports web3 or :mod:`mlmarket.chain`.
"""

from mlmarket.crypto.commitment import COMMITMENT_DOMAIN, check_key, key_commitment
from mlmarket.crypto.envelope import (
    MAGIC,
    OVERHEAD,
    VERSION,
    decrypt,
    encrypt,
    generate_data_key,
)
from mlmarket.crypto.ids import DATASET_ID_SIZE, dataset_id_bytes, new_dataset_id
from mlmarket.crypto.integrity import sha256_hex, verify_plaintext
from mlmarket.crypto.keywrap import (
    ECIES_SETTINGS,
    WRAPPED_KEY_LENGTH,
    address_of_public_key,
    ecies_config,
    public_key_of,
    unwrap_key,
    wrap_key,
)
from mlmarket.crypto.randomness import Randomness
from mlmarket.crypto.sealing import SealedDataset, open_purchase, seal

__all__ = [
    "COMMITMENT_DOMAIN",
    "DATASET_ID_SIZE",
    "ECIES_SETTINGS",
    "MAGIC",
    "OVERHEAD",
    "VERSION",
    "WRAPPED_KEY_LENGTH",
    "Randomness",
    "SealedDataset",
    "address_of_public_key",
    "check_key",
    "dataset_id_bytes",
    "decrypt",
    "ecies_config",
    "encrypt",
    "generate_data_key",
    "key_commitment",
    "new_dataset_id",
    "open_purchase",
    "public_key_of",
    "seal",
    "sha256_hex",
    "unwrap_key",
    "verify_plaintext",
    "wrap_key",
]
