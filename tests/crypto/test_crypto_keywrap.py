"""ECIES key wrapping with pinned eciespy settings, and Ethereum key helpers."""

from __future__ import annotations

import coincurve
import ecies
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eth_account import Account
from hypothesis import given
from hypothesis import strategies as st

from mlmarket.crypto import (
    ECIES_SETTINGS,
    WRAPPED_KEY_LENGTH,
    address_of_public_key,
    ecies_config,
    generate_data_key,
    public_key_of,
    unwrap_key,
    wrap_key,
)
from mlmarket.errors import CryptoError, DecryptionError

# A wrapped key built by hand (below) from the documented layout; it must
# always unwrap, whatever eciespy's defaults become.
GOLDEN_RECEIVER_SK = bytes.fromhex("11" * 32)
GOLDEN_EPHEMERAL_SK = bytes.fromhex("22" * 32)
GOLDEN_NONCE = bytes(range(16))
GOLDEN_DATA_KEY = bytes(range(32))
GOLDEN_WRAPPED = (
    "04466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f27"
    "6728176c3c6431f8eeda4538dc37c865e2784f3a9e77d044f33e407797e1278a"
    "000102030405060708090a0b0c0d0e0f"
    "ff0711c2e24f6b3e200ebb9bdbee3604"
    "fd090cd5303ca0b88de4d93bf156f01897aa4de6ad6bfda3ceea04098aa9a4f8"
)


def wrap_by_hand(data_key: bytes, receiver_pub64: bytes, eph_sk: bytes, nonce: bytes) -> bytes:
    """The documented wrapping, with cryptography's HKDF and AES-GCM (not eciespy)."""
    eph_pub = coincurve.PublicKey.from_secret(eph_sk).format(compressed=False)
    shared = coincurve.PublicKey(b"\x04" + receiver_pub64).multiply(eph_sk)
    ikm = eph_pub + shared.format(compressed=False)
    sym_key = HKDF(hashes.SHA256(), 32, salt=b"", info=b"").derive(ikm)
    sealed = AESGCM(sym_key).encrypt(nonce, data_key, None)
    return eph_pub + nonce + sealed[-16:] + sealed[:-16]


def test_pinned_settings() -> None:
    assert dict(ECIES_SETTINGS) == {
        "elliptic_curve": "secp256k1",
        "is_ephemeral_key_compressed": False,
        "is_hkdf_key_compressed": False,
        "symmetric_algorithm": "aes-256-gcm",
        "symmetric_nonce_length": 16,
    }
    config = ecies_config()
    assert config.ephemeral_key_size == 65
    assert config is not ecies.ECIES_CONFIG
    assert WRAPPED_KEY_LENGTH == 65 + 16 + 16 + 32 == 129


def test_golden_wrapped_key_unwraps() -> None:
    blob = wrap_by_hand(
        GOLDEN_DATA_KEY, public_key_of(GOLDEN_RECEIVER_SK), GOLDEN_EPHEMERAL_SK, GOLDEN_NONCE
    )
    assert blob.hex() == GOLDEN_WRAPPED
    assert unwrap_key(bytes.fromhex(GOLDEN_WRAPPED), GOLDEN_RECEIVER_SK) == GOLDEN_DATA_KEY


def test_hand_wrapped_key_with_an_account_unwraps() -> None:
    account = Account.create()
    data_key = generate_data_key()
    blob = wrap_by_hand(data_key, public_key_of(account.key), bytes(31) + b"\x05", bytes(16))
    assert unwrap_key(blob, account.key) == data_key


def test_wrapped_layout() -> None:
    account = Account.create()
    wrapped = wrap_key(generate_data_key(), public_key_of(account.key))
    assert len(wrapped) == WRAPPED_KEY_LENGTH
    assert wrapped[0] == 0x04  # uncompressed ephemeral public key
    coincurve.PublicKey(wrapped[:65])  # parses as a curve point


def test_global_ecies_config_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ecies.ECIES_CONFIG, "is_ephemeral_key_compressed", True)
    monkeypatch.setattr(ecies.ECIES_CONFIG, "symmetric_nonce_length", 12)
    account = Account.create()
    data_key = generate_data_key()
    wrapped = wrap_key(data_key, public_key_of(account.key))
    assert len(wrapped) == 129
    monkeypatch.undo()
    assert unwrap_key(wrapped, account.key) == data_key


@given(data_key=st.binary(min_size=32, max_size=32))
def test_round_trip_with_eth_account(data_key: bytes) -> None:
    account = Account.create()
    wrapped = wrap_key(data_key, public_key_of(account.key))
    assert unwrap_key(wrapped, account.key) == data_key
    assert unwrap_key(wrapped, account.key.hex()) == data_key


def test_other_account_cannot_unwrap() -> None:
    buyer, other = Account.create(), Account.create()
    wrapped = wrap_key(generate_data_key(), public_key_of(buyer.key))
    with pytest.raises(DecryptionError, match="different public key"):
        unwrap_key(wrapped, other.key)


@pytest.mark.parametrize("index", [0, 1, 64, 65, 80, 81, 96, 128])
def test_tampered_wrapped_key(index: int) -> None:
    account = Account.create()
    wrapped = bytearray(wrap_key(generate_data_key(), public_key_of(account.key)))
    wrapped[index] ^= 0x01
    with pytest.raises(DecryptionError, match="could not be unwrapped"):
        unwrap_key(bytes(wrapped), account.key)


@pytest.mark.parametrize("length", [0, 128, 130])
def test_wrong_length_wrapped_key(length: int) -> None:
    with pytest.raises(DecryptionError, match="is 129 bytes"):
        unwrap_key(bytes(length), Account.create().key)


def test_public_key_gives_the_accounts_address() -> None:
    for _ in range(5):
        account = Account.create()
        pub = public_key_of(account.key)
        assert len(pub) == 64
        assert address_of_public_key(pub) == account.address
        assert address_of_public_key("0x" + pub.hex()) == account.address


def test_public_key_matches_coincurve() -> None:
    account = Account.create()
    expected = coincurve.PublicKey.from_secret(bytes(account.key)).format(compressed=False)
    assert public_key_of(account.key) == expected[1:]


@pytest.mark.parametrize("bad", [bytes(32), b"\xff" * 32, b"\x01" * 31, "0xzz"])
def test_bad_private_key(bad: bytes | str) -> None:
    with pytest.raises(CryptoError, match="private key"):
        public_key_of(bad)


@pytest.mark.parametrize("bad", [bytes(64), b"\x04" + bytes(64), bytes(33)])
def test_bad_public_key(bad: bytes) -> None:
    with pytest.raises(CryptoError, match="public key|not a point"):
        wrap_key(generate_data_key(), bad)
    with pytest.raises(CryptoError, match="public key|not a point"):
        address_of_public_key(bad)


def test_only_32_byte_keys_are_wrapped() -> None:
    with pytest.raises(CryptoError, match="32-byte"):
        wrap_key(b"short", public_key_of(Account.create().key))
