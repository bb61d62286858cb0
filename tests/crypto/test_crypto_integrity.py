"""SHA-256 checks of decrypted plaintext against the metadata."""

from __future__ import annotations

import hashlib

import pytest

from mlmarket.crypto import sha256_hex, verify_plaintext
from mlmarket.errors import DataIntegrityError


def test_sha256_hex_matches_hashlib() -> None:
    assert sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest()


def test_verify_accepts_matching_data_in_any_case() -> None:
    verify_plaintext(b"abc", sha256_hex(b"abc"))
    verify_plaintext(b"abc", sha256_hex(b"abc").upper())


def test_verify_rejects_other_data() -> None:
    with pytest.raises(DataIntegrityError, match="hashes to .* but the metadata records"):
        verify_plaintext(b"abd", sha256_hex(b"abc"))


@pytest.mark.parametrize("bad", ["", "abc", "g" * 64, "0x" + "0" * 64])
def test_verify_rejects_malformed_hash(bad: str) -> None:
    with pytest.raises(DataIntegrityError, match="not 64 hex characters"):
        verify_plaintext(b"abc", bad)
