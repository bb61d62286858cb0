"""kubo's own published CID test vectors, reproduced byte for byte.

Sources (github.com/ipfs/kubo):

* ``test/cli/add_test.go`` — "hello world" under CIDv0, CIDv1 (raw leaves),
  CIDv1 without raw leaves and sha2-512; 256 MiB of seed "hello world" with
  ``--max-file-links 1024`` under the unixfs-v0-2015 profile;
* ``test/cli/cid_profiles_test.go`` — the unixfs-v0-2015 and unixfs-v1-2025
  profiles at their chunk-size and max-links thresholds (and one byte over);
* ``test/cli/add_test.go`` before kubo v0.39 — the ``legacy-cid-v0``,
  ``test-cid-v1`` (1 MiB chunks, 174 links) and ``test-cid-v1-wide`` (1 MiB
  chunks, 1024 links) profiles, below and above their max-links thresholds;
* ``test/sharness/t0040-add-and-cat.sh`` — the empty file.

Large inputs stream through hash-only adds: nothing is written to disk, and
only a chunk at a time is in memory.
"""

from __future__ import annotations

import pytest

from mlmarket.storage import ImportParams, LocalStore, compute_cid
from mlmarket.storage.unixfs import DagBuilder

from .kubo_random import KuboRandomFile, kubo_random_bytes, kubo_random_pieces

KiB, MiB = 1024, 1024 * 1024

V0 = ImportParams.KUBO_V0  # unixfs-v0-2015 / legacy-cid-v0: CIDv0, dag-pb leaves, 256 KiB, 174
V1_2025 = ImportParams.UNIXFS_V1_2025  # CIDv1, raw leaves, 1 MiB chunks, 1024 links
TEST_CID_V1 = ImportParams(chunk_size=MiB, max_links=174)  # kubo's former test-cid-v1
V1_WIDE = ImportParams(chunk_size=MiB, max_links=1024)  # kubo's former test-cid-v1-wide

LITERALS = [
    pytest.param(b"hello world", V0, "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD", id="v0"),
    pytest.param(
        b"hello world",
        ImportParams(),
        "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",
        id="v1-raw",
    ),
    pytest.param(
        b"hello world",
        ImportParams(raw_leaves=False),
        "bafybeihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa",
        id="v1-no-raw-leaves",
    ),
    pytest.param(
        b"hello world",
        ImportParams(hash="sha2-512"),
        "bafkrgqbqt3gerhas23vuzrapkdeqf4vu2dwxp3srdj6hvg6nhsug2tgyn6mj3u23yx7utftq3i2ckw2fwdh5qmhid5qf3t35yvkc5e5ottlw6",
        id="v1-sha2-512",
    ),
    pytest.param(b"", V0, "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH", id="empty-v0"),
    pytest.param(
        b"",
        ImportParams(),
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
        id="empty-v1",
    ),
]


@pytest.mark.parametrize(("data", "params", "expected"), LITERALS)
def test_literal_vectors(store: LocalStore, data: bytes, params: ImportParams, expected: str):
    cid = store.add(data, params=params)
    assert str(cid) == expected
    assert store.get(cid) == data  # stored, and reads back through the DAG


# (size, seed, params, expected CID). Sizes as kubo wrote them ("44544KiB" = 174 chunks).
THRESHOLDS = [
    (262144, "chunk-v0-seed", V0, "QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE"),
    (262145, "chunk-v0-seed", V0, "QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ"),
    (
        1048576,
        "chunk-v1-seed",
        V1_2025,
        "bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta",
    ),
    (
        1048577,
        "chunk-v1-seed",
        V1_2025,
        "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64",
    ),
]
MAX_LINKS = [
    (174 * 256 * KiB, "v0-seed", V0, "QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2"),
    (174 * 256 * KiB + 1, "v0-seed", V0, "QmV81WL765sC8DXsRhE5fJv2rwhS4icHRaf3J9Zk5FdRnW"),
    (44800 * KiB, "v0-seed", V0, "QmepeWtdmS1hHXx1oZXsPUv6bMrfRRKfZcoPPU4eEfjnbf"),
]
MULTI_LEVEL = [  # 100 MiB+: a second tree level, or 1024-link nodes
    (
        174 * MiB,
        "v1-seed",
        TEST_CID_V1,
        "bafybeigwduxcf2aawppv3isnfeshnimkyplvw3hthxjhr2bdeje4tdaicu",
    ),
    (
        175 * MiB,
        "v1-seed",
        TEST_CID_V1,
        "bafybeidhd7lo2n2v7lta5yamob3xwhbxcczmmtmhquwhjesi35jntf7mpu",
    ),
    (
        256 * MiB,
        "hello world",
        ImportParams(cid_version=0, max_links=1024),
        "QmbBftNHWmjSWKLC49dMVrfnY8pjrJYntiAXirFJ7oJrNk",
    ),
]
GIB = [  # unixfs-v1-2025 and test-cid-v1-wide: 1 GiB at 1024 links, and one byte/chunk over
    (
        1024 * MiB,
        "v1-2025-seed",
        V1_2025,
        "bafybeihmf37wcuvtx4hpu7he5zl5qaf2ineo2lqlfrapokkm5zzw7zyhvm",
    ),
    (
        1024 * MiB + 1,
        "v1-2025-seed",
        V1_2025,
        "bafybeibdsi225ugbkmpbdohnxioyab6jsqrmkts3twhpvfnzp77xtzpyhe",
    ),
    (
        1024 * MiB,
        "v1-seed-1024",
        V1_WIDE,
        "bafybeiej5w63ir64oxgkr5htqmlerh5k2rqflurn2howimexrlkae64xru",
    ),
    (
        1025 * MiB,
        "v1-seed-1024",
        V1_WIDE,
        "bafybeieilp2qx24pe76hxrxe6bpef5meuxto3kj5dd6mhb5kplfeglskdm",
    ),
]


def _ids(vectors: list[tuple[int, str, ImportParams, str]]) -> list[str]:
    return [
        f"{size}B-{seed}-chunk{p.chunk_size}-links{p.max_links}" for size, seed, p, _ in vectors
    ]


@pytest.mark.parametrize(("size", "seed", "params", "expected"), THRESHOLDS, ids=_ids(THRESHOLDS))
def test_chunk_threshold_vectors_stored(store, size, seed, params, expected):
    data = kubo_random_bytes(size, seed)
    cid = store.add(data, params=params)
    assert str(cid) == expected
    assert store.get(cid) == data


@pytest.mark.parametrize(("size", "seed", "params", "expected"), MAX_LINKS, ids=_ids(MAX_LINKS))
def test_max_links_vectors_streamed_into_store(store, size, seed, params, expected):
    cid = store.add(KuboRandomFile(size, seed), params=params)
    assert str(cid) == expected
    with store.open(cid) as stored:  # reads back the same stream, block by verified block
        for piece in kubo_random_pieces(size, seed):
            assert stored.read(len(piece)) == piece
        assert stored.read(1) == b""


@pytest.mark.parametrize(("size", "seed", "params", "expected"), MULTI_LEVEL, ids=_ids(MULTI_LEVEL))
def test_multi_level_vectors_hash_only(tmp_path, size, seed, params, expected):
    store = LocalStore(tmp_path / "never-created", params=params, only_hash=True)
    assert str(store.add(KuboRandomFile(size, seed))) == expected
    assert not (tmp_path / "never-created").exists()


@pytest.mark.slow
@pytest.mark.parametrize(("size", "seed", "params", "expected"), GIB, ids=_ids(GIB))
def test_gigabyte_vectors_streamed_hash_only(size, seed, params, expected):
    builder = DagBuilder(params)  # no sink: nothing is stored
    for piece in kubo_random_pieces(size, seed, piece=4 * MiB):
        builder.write(piece)
    assert str(builder.finish()) == expected


def test_vectors_do_not_depend_on_write_sizes():
    """Odd-sized writes that straddle chunk boundaries give the same CID as whole chunks."""
    size, seed, params, expected = MAX_LINKS[1]
    builder = DagBuilder(params)
    for piece in kubo_random_pieces(size, seed, piece=100_003):
        builder.write(piece)
    assert str(builder.finish()) == expected


def test_compute_cid_matches_kubo_default_v0():
    assert str(compute_cid(b"hello world", V0)) == "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"
