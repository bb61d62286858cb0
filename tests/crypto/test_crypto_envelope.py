"""AES-256-GCM envelopes: round trips, format, tampering, wrong key or dataset id."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlmarket.crypto import (
    MAGIC,
    OVERHEAD,
    VERSION,
    decrypt,
    encrypt,
    generate_data_key,
    new_dataset_id,
)
from mlmarket.crypto.envelope import HEADER, NONCE_SIZE, TAG_SIZE
from mlmarket.errors import CryptoError, DecryptionError

DSID = "0123456789abcdef0123456789abcdef"
PLAINTEXT = b"age,diagnosis\n54,1\n61,0\n"


@pytest.fixture()
def key() -> bytes:
    return generate_data_key()


@given(
    plaintext=st.binary(max_size=4096),
    key=st.binary(min_size=32, max_size=32),
    dataset_id=st.binary(min_size=16, max_size=16),
)
def test_round_trip(plaintext: bytes, key: bytes, dataset_id: bytes) -> None:
    envelope = encrypt(plaintext, key, dataset_id)
    assert len(envelope) == len(plaintext) + OVERHEAD
    assert decrypt(envelope, key, dataset_id) == plaintext
    assert decrypt(envelope, key, dataset_id.hex()) == plaintext


def test_layout(key: bytes) -> None:
    envelope = encrypt(PLAINTEXT, key, DSID)
    assert envelope[:4] == MAGIC == b"MLMD"
    assert envelope[4] == VERSION == 1
    assert OVERHEAD == 4 + 1 + 12 + 16
    assert PLAINTEXT not in envelope


def test_nonces_are_fresh(key: bytes) -> None:
    a, b = encrypt(PLAINTEXT, key, DSID), encrypt(PLAINTEXT, key, DSID)
    assert a[5:17] != b[5:17]
    assert a != b


def test_generate_data_key_is_random_32_bytes() -> None:
    keys = {generate_data_key() for _ in range(8)}
    assert len(keys) == 8
    assert all(len(k) == 32 for k in keys)


def test_dataset_id_accepts_0x_prefix(key: bytes) -> None:
    assert decrypt(encrypt(PLAINTEXT, key, DSID), key, "0x" + DSID.upper()) == PLAINTEXT


BODY_START = len(HEADER) + NONCE_SIZE
REGIONS = {
    "magic": range(0, 4),
    "version": range(4, 5),
    "nonce": range(5, BODY_START),
    "body": range(BODY_START, BODY_START + len(PLAINTEXT)),
    "tag": range(BODY_START + len(PLAINTEXT), BODY_START + len(PLAINTEXT) + TAG_SIZE),
}


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_tampering_any_byte_fails(key: bytes, region: str) -> None:
    envelope = encrypt(PLAINTEXT, key, DSID)
    assert REGIONS["tag"].stop == len(envelope)
    for index in REGIONS[region]:
        for flip in (0x01, 0x80):
            tampered = bytearray(envelope)
            tampered[index] ^= flip
            with pytest.raises(DecryptionError, match=r"(?i)envelope"):
                decrypt(bytes(tampered), key, DSID)


@given(data=st.data())
def test_tampering_random_byte_fails(data: st.DataObject) -> None:
    key = generate_data_key()
    plaintext = data.draw(st.binary(max_size=256))
    envelope = bytearray(encrypt(plaintext, key, DSID))
    index = data.draw(st.integers(0, len(envelope) - 1))
    envelope[index] ^= data.draw(st.integers(1, 255))
    with pytest.raises(DecryptionError):
        decrypt(bytes(envelope), key, DSID)


def test_unknown_version_is_named(key: bytes) -> None:
    envelope = bytearray(encrypt(PLAINTEXT, key, DSID))
    envelope[4] = 2
    with pytest.raises(DecryptionError, match="version 2 is not supported"):
        decrypt(bytes(envelope), key, DSID)


def test_wrong_magic_is_named(key: bytes) -> None:
    envelope = b"XXXX" + encrypt(PLAINTEXT, key, DSID)[4:]
    with pytest.raises(DecryptionError, match="not an mlmarket envelope"):
        decrypt(envelope, key, DSID)


@pytest.mark.parametrize("cut", [0, 5, OVERHEAD - 1])
def test_truncated_envelope(key: bytes, cut: int) -> None:
    envelope = encrypt(PLAINTEXT, key, DSID)[:cut]
    with pytest.raises(DecryptionError, match="shorter than the 33-byte minimum"):
        decrypt(envelope, key, DSID)


def test_truncated_tag_fails(key: bytes) -> None:
    envelope = encrypt(PLAINTEXT, key, DSID)
    with pytest.raises(DecryptionError, match="failed authentication"):
        decrypt(envelope[:-1], key, DSID)


def test_wrong_key(key: bytes) -> None:
    envelope = encrypt(PLAINTEXT, key, DSID)
    with pytest.raises(DecryptionError, match="key or dataset id"):
        decrypt(envelope, generate_data_key(), DSID)


def test_wrong_dataset_id(key: bytes) -> None:
    envelope = encrypt(PLAINTEXT, key, DSID)
    with pytest.raises(DecryptionError, match="key or dataset id"):
        decrypt(envelope, key, new_dataset_id())


@pytest.mark.parametrize("bad_key", [b"", b"k" * 16, b"k" * 31, b"k" * 33])
def test_bad_key_length(bad_key: bytes) -> None:
    with pytest.raises(CryptoError, match="must be 32 bytes"):
        encrypt(PLAINTEXT, bad_key, DSID)
    with pytest.raises(CryptoError, match="must be 32 bytes"):
        decrypt(b"MLMD\x01" + bytes(40), bad_key, DSID)


@pytest.mark.parametrize("bad_id", ["", "00" * 15, "zz" * 16, b"\x00" * 15, 12345])
def test_bad_dataset_id(key: bytes, bad_id: object) -> None:
    with pytest.raises(CryptoError, match="dataset id must be"):
        encrypt(PLAINTEXT, key, bad_id)  # type: ignore[arg-type]
