"""The seller's seal and the buyer's open_purchase, with each check failing in turn."""

from __future__ import annotations

import dataclasses

import pytest
from eth_account import Account

from mlmarket.crypto import (
    generate_data_key,
    key_commitment,
    new_dataset_id,
    open_purchase,
    public_key_of,
    seal,
    sha256_hex,
    wrap_key,
)
from mlmarket.errors import (
    ConfigurationError,
    DataIntegrityError,
    DecryptionError,
    KeyMismatchError,
)

PLAINTEXT = b"x,y\n1,0\n2,1\n"


@pytest.fixture()
def purchase() -> dict[str, object]:
    buyer = Account.create()
    dsid = new_dataset_id()
    sealed = seal(PLAINTEXT, dsid)
    return {
        "buyer": buyer,
        "sealed": sealed,
        "kwargs": {
            "dataset_id": dsid,
            "commitment": sealed.commitment,
            "sha256": sealed.sha256,
            "wrapped_key": wrap_key(sealed.key, public_key_of(buyer.key)),
            "private_key": buyer.key,
        },
    }


def test_seal_outputs(purchase: dict) -> None:
    sealed = purchase["sealed"]
    assert sealed.commitment == key_commitment(sealed.key, sealed.dataset_id)
    assert sealed.sha256 == sha256_hex(PLAINTEXT)
    assert "key=" not in repr(sealed)


def test_open_purchase_round_trip(purchase: dict) -> None:
    assert open_purchase(purchase["sealed"].envelope, **purchase["kwargs"]) == PLAINTEXT


def test_open_with_bare_key(purchase: dict) -> None:
    sealed = purchase["sealed"]
    kwargs = {k: v for k, v in purchase["kwargs"].items() if k not in ("wrapped_key",)}
    kwargs.pop("private_key")
    assert open_purchase(sealed.envelope, key=sealed.key, **kwargs) == PLAINTEXT


def test_wrong_buyer(purchase: dict) -> None:
    kwargs = dict(purchase["kwargs"], private_key=Account.create().key)
    with pytest.raises(DecryptionError, match="could not be unwrapped"):
        open_purchase(purchase["sealed"].envelope, **kwargs)


def test_seller_wrapped_another_key(purchase: dict) -> None:
    buyer = purchase["buyer"]
    wrapped = wrap_key(generate_data_key(), public_key_of(buyer.key))
    kwargs = dict(purchase["kwargs"], wrapped_key=wrapped)
    with pytest.raises(KeyMismatchError, match="does not match the commitment"):
        open_purchase(purchase["sealed"].envelope, **kwargs)


def test_envelope_of_another_dataset(purchase: dict) -> None:
    sealed = purchase["sealed"]
    other = seal(PLAINTEXT, new_dataset_id())
    with pytest.raises(DecryptionError, match="failed authentication"):
        open_purchase(other.envelope, **purchase["kwargs"])
    assert other.envelope != sealed.envelope


def test_metadata_hash_mismatch(purchase: dict) -> None:
    kwargs = dict(purchase["kwargs"], sha256=sha256_hex(b"something else"))
    with pytest.raises(DataIntegrityError, match="encrypted different data"):
        open_purchase(purchase["sealed"].envelope, **kwargs)


def test_missing_key_material(purchase: dict) -> None:
    kwargs = dict(purchase["kwargs"])
    del kwargs["private_key"]
    with pytest.raises(ConfigurationError, match="needs wrapped_key and private_key"):
        open_purchase(purchase["sealed"].envelope, **kwargs)


def test_sealed_dataset_is_frozen(purchase: dict) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        purchase["sealed"].key = b""
