"""Key commitments: golden vector (the on-chain format), checks and mismatches."""

from __future__ import annotations

import pytest
from Crypto.Hash import keccak as pycryptodome_keccak

from mlmarket.crypto import (
    COMMITMENT_DOMAIN,
    check_key,
    generate_data_key,
    key_commitment,
    new_dataset_id,
)
from mlmarket.errors import CryptoError, KeyMismatchError

GOLDEN_KEY = bytes(range(32))  # 00 01 .. 1f
GOLDEN_DSID = bytes(range(16))  # 00 01 .. 0f
GOLDEN_COMMITMENT = "bd77bd162038ef95a0d5b959e9019c8c37b3404ac67898bd2840d2c101ada80e"
ZERO_COMMITMENT = "475cdb1446acac46566d38055bfc4d0a3dbe7dd160d86a21306a71a6464bb05e"


def test_golden_vector() -> None:
    """The on-chain format must never drift: fixed inputs give fixed bytes."""
    assert COMMITMENT_DOMAIN == b"mlmarket.datakey.v1"
    assert key_commitment(GOLDEN_KEY, GOLDEN_DSID).hex() == GOLDEN_COMMITMENT
    assert key_commitment(GOLDEN_KEY, GOLDEN_DSID.hex()).hex() == GOLDEN_COMMITMENT
    assert key_commitment(bytes(32), "00" * 16).hex() == ZERO_COMMITMENT


def test_matches_documented_preimage_with_an_independent_keccak() -> None:
    preimage = b"mlmarket.datakey.v1" + GOLDEN_DSID + GOLDEN_KEY
    assert len(preimage) == 67
    digest = pycryptodome_keccak.new(digest_bits=256, data=preimage).hexdigest()
    assert digest == GOLDEN_COMMITMENT


def test_check_key_accepts_bytes_and_hex() -> None:
    key, dsid = generate_data_key(), new_dataset_id()
    commitment = key_commitment(key, dsid)
    check_key(key, dsid, commitment)
    check_key(key, dsid, commitment.hex())
    check_key(key, dsid, "0x" + commitment.hex())


def test_wrong_key_is_a_mismatch() -> None:
    key, dsid = generate_data_key(), new_dataset_id()
    with pytest.raises(KeyMismatchError, match="does not match the commitment"):
        check_key(generate_data_key(), dsid, key_commitment(key, dsid))


def test_other_dataset_is_a_mismatch() -> None:
    key, dsid = generate_data_key(), new_dataset_id()
    with pytest.raises(KeyMismatchError, match="does not match the commitment"):
        check_key(key, new_dataset_id(), key_commitment(key, dsid))


@pytest.mark.parametrize("bad", [b"\x00" * 31, "12" * 33, "not hex"])
def test_malformed_commitment(bad: bytes | str) -> None:
    with pytest.raises(CryptoError, match="commitment"):
        check_key(bytes(32), "00" * 16, bad)


def test_key_must_be_32_bytes() -> None:
    with pytest.raises(CryptoError, match="32 bytes"):
        key_commitment(b"short", "00" * 16)
