"""CID parsing and display, gateway URLs, and the dag-pb/UnixFS encoder."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlmarket.errors import InvalidCIDError, StorageError
from mlmarket.storage import CID, format_cid, gateway_url, parse_cid
from mlmarket.storage.dagpb import (
    UNIXFS_FILE,
    PBLink,
    decode_pbnode,
    decode_unixfs,
    decode_varint,
    encode_pbnode,
    encode_unixfs,
    encode_varint,
)

RAW_B32 = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
RAW_B58 = "zb2rhj7crUKTQYRGCRATFaQ6YFLTde2YzdqbbhAASkL9uRDXn"
V0 = "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"


def test_v1_cids_are_shown_in_base32_whatever_their_input_base():
    for text in (RAW_B32, RAW_B58, f"/ipfs/{RAW_B58}", f"  {RAW_B32}\n"):
        assert str(parse_cid(text)) == RAW_B32
    assert str(parse_cid(bytes(parse_cid(RAW_B58)))) == RAW_B32
    assert format_cid(parse_cid(RAW_B58).set(base="base58btc")) == RAW_B32


def test_v0_cids_stay_base58():
    cid = parse_cid(V0)
    assert (cid.version, cid.codec.name, str(cid)) == (0, "dag-pb", V0)
    assert str(cid.set(version=1, base="base32")).startswith("bafybei")


def test_gateway_url():
    assert gateway_url(RAW_B58) == f"https://ipfs.io/ipfs/{RAW_B32}"
    assert gateway_url(parse_cid(RAW_B32), "http://127.0.0.1:8080/") == (
        f"http://127.0.0.1:8080/ipfs/{RAW_B32}"
    )
    assert gateway_url(V0, gateway="https://dweb.link") == f"https://dweb.link/ipfs/{V0}"


@pytest.mark.parametrize(
    "bad",
    ["", "hello", "bafkrei", RAW_B32[:-1], V0[:-1] + "0", "Qm" + "1" * 44, "zzzzzz", "/ipfs/"],
)
def test_invalid_cid_strings_raise_invalid_cid_error_quoting_them(bad: str):
    with pytest.raises(InvalidCIDError, match="is not a valid CID") as info:
        parse_cid(bad)
    assert repr(bad) in str(info.value)
    assert isinstance(info.value, ValueError)  # callers catching ValueError still work


def test_non_cid_types_are_refused():
    with pytest.raises(InvalidCIDError, match="expected a CID as str, bytes or CID, got int 42"):
        parse_cid(42)  # type: ignore[arg-type]


@given(st.text(max_size=80))
def test_parse_cid_raises_only_invalid_cid_error(text: str):
    try:
        cid = parse_cid(text)
    except InvalidCIDError:
        return
    assert isinstance(cid, CID)


@given(st.binary(max_size=60))
def test_parse_cid_bytes_raises_only_invalid_cid_error(data: bytes):
    try:
        parse_cid(data)
    except InvalidCIDError:
        pass


@given(st.integers(0, 2**63))
def test_varint_roundtrip(value: int):
    encoded = encode_varint(value)
    assert decode_varint(encoded + b"tail") == (value, len(encoded))


def test_varint_rejects_negative_and_truncated():
    with pytest.raises(ValueError, match="unsigned"):
        encode_varint(-1)
    with pytest.raises(StorageError, match="truncated"):
        decode_varint(b"\x80\x80")


def test_hello_world_v0_leaf_bytes():
    # The dag-pb block behind Qmf412…: Data = UnixFS{Type: File, Data: "hello world", filesize: 11}.
    block = encode_pbnode([], encode_unixfs(UNIXFS_FILE, b"hello world", filesize=11))
    assert block.hex() == "0a110802120b68656c6c6f20776f726c64180b"


def test_links_come_before_data_and_names_are_always_written():
    cid = bytes(parse_cid(RAW_B32))
    block = encode_pbnode([PBLink(cid, "", 11)], encode_unixfs(UNIXFS_FILE, None, 11, [11]))
    assert block.startswith(b"\x12\x2a\x0a\x24" + cid + b"\x12\x00\x18\x0b")
    node = decode_pbnode(block)
    assert node.links == [PBLink(cid, "", 11)]
    unixfs = decode_unixfs(node.data or b"")
    assert (unixfs.type, unixfs.data, unixfs.filesize, unixfs.blocksizes) == (2, None, 11, [11])


@given(
    links=st.lists(
        st.tuples(st.binary(min_size=1, max_size=40), st.text(max_size=10), st.integers(0, 2**40)),
        max_size=5,
    ),
    data=st.none() | st.binary(max_size=50),
    sizes=st.lists(st.integers(0, 2**40), max_size=5),
)
def test_dagpb_and_unixfs_roundtrip(links, data, sizes):
    pb_links = [PBLink(h, name, tsize) for h, name, tsize in links]
    unixfs = encode_unixfs(UNIXFS_FILE, data, sum(sizes), sizes)
    node = decode_pbnode(encode_pbnode(pb_links, unixfs))
    assert node.links == pb_links
    decoded = decode_unixfs(node.data or b"")
    assert (decoded.data, decoded.filesize, decoded.blocksizes) == (data, sum(sizes), sizes)


@given(
    st.sampled_from(["raw", "dag-pb", "dag-cbor", "json"]),
    st.sampled_from(["sha2-256", "sha2-512", "blake2b-256", "identity"]),
    st.binary(min_size=0, max_size=64),
)
def test_formatCid_andTheBlockPath_readCidsAsMultiformatsDoes(codec: str, hasher: str, data: bytes):
    """The fast base32 text and the multihash read from CID bytes equal multiformats'."""
    from multiformats import multihash

    from mlmarket.storage.blockstore import multihash_of

    digest = multihash.digest(data, hasher)
    cid = CID("base32", 1, codec, digest)
    assert format_cid(cid) == str(cid)
    assert format_cid(bytes(cid)) == str(cid)
    assert multihash_of(bytes(cid)) == bytes(CID.decode(bytes(cid)).digest) == bytes(digest)
    if codec == "dag-pb" and hasher == "sha2-256":
        v0 = CID("base58btc", 0, codec, digest)
        assert format_cid(v0) == str(v0) and format_cid(v0).startswith("Qm")
        assert multihash_of(bytes(v0)) == bytes(digest)


def test_theBlockPath_ofBadCidBytes_raisesMultiformatsError():
    from mlmarket.storage.blockstore import multihash_of

    with pytest.raises(ValueError, match="reserved"):
        multihash_of(b"\x02\x55\x12\x20" + bytes(32))
