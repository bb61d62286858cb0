"""KuboStore without a node: the requests it sends and how it reports failures."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from mlmarket.errors import ContentNotFoundError, NodeUnreachableError, StorageError
from mlmarket.storage import ImportParams, KuboStore
from mlmarket.storage._jsipfs import free_port
from mlmarket.storage.kubo import api_url

HELLO = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"


class FakeNode:
    """An httpx transport that records requests and answers like kubo."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.bodies.append(request.read())
        command = request.url.path.removeprefix("/api/v0/")
        if command == "add":
            return httpx.Response(200, text=json.dumps({"Name": "data", "Hash": HELLO}) + "\n")
        if command == "cat" and request.url.params["arg"] == HELLO:
            return httpx.Response(200, content=b"hello world")
        if command == "pin/ls":
            return httpx.Response(200, json={"Keys": {HELLO: {"Type": "recursive"}}})
        if command == "pin/rm":
            return httpx.Response(500, json={"Message": "not pinned or pinned indirectly"})
        if command in ("cat", "block/stat"):
            return httpx.Response(500, json={"Message": "block was not found locally (offline)"})
        if command == "version":
            return httpx.Response(500, json={"Message": "something broke", "Code": 0})
        return httpx.Response(404, text="404 page not found")

    def store(self, **kwargs: object) -> KuboStore:
        return KuboStore("http://node.test:5001", transport=httpx.MockTransport(self), **kwargs)


def test_add_sends_every_parameter_explicitly_in_a_typed_multipart():
    node = FakeNode()
    assert str(node.store().add(b"hello world")) == HELLO
    request = node.requests[0]
    assert request.method == "POST"
    assert dict(request.url.params) == {
        "cid-version": "1",
        "raw-leaves": "true",
        "chunker": "size-262144",
        "hash": "sha2-256",
        "pin": "true",
        "only-hash": "false",
        "trickle": "false",
        "progress": "false",
        "cid-base": "base32",
    }
    body = node.bodies[0]
    assert b"Content-Type: application/octet-stream\r\n\r\nhello world\r\n" in body
    boundary = request.headers["content-type"].split("boundary=")[1]
    assert body.endswith(f"--{boundary}--\r\n".encode())


def test_v0_and_wide_dags_change_the_parameters():
    node = FakeNode()
    store = node.store(params=ImportParams(cid_version=0, chunk_size=1 << 20, max_links=1024))
    store.add(b"x", pin=False, only_hash=True)
    params = node.requests[0].url.params
    assert (params["cid-version"], params["raw-leaves"], params["chunker"]) == (
        "0",
        "false",
        "size-1048576",
    )
    assert (params["pin"], params["only-hash"], params["max-file-links"]) == (
        "false",
        "true",
        "1024",
    )
    assert "cid-base" not in params  # js-ipfs refuses to write a CIDv0 in base32


def test_reads_pins_and_errors_are_mapped():
    node = FakeNode()
    store = node.store()
    assert store.get(HELLO) == b"hello world"
    assert [str(c) for c in store.pins()] == [HELLO]
    assert store.unpin(HELLO) is False
    missing = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    assert store.has(missing) is False
    stat = next(r for r in node.requests if r.url.path.endswith("block/stat"))
    assert stat.url.params["offline"] == "true" and stat.url.params["timeout"] == "2.0s"
    with pytest.raises(ContentNotFoundError, match=f"{missing} is not available on the node"):
        store.get(missing)
    with pytest.raises(StorageError, match="refused version: something broke"):
        store._call("version", {})
    with pytest.raises(StorageError, match="answered 404 for /api/v0/repo/gc: that is not a kubo"):
        store.gc()
    assert all(r.method == "POST" for r in node.requests)


def test_silence_about_a_cid_is_content_not_found():
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    store = KuboStore("http://node.test:5001", transport=httpx.MockTransport(hang), timeout=0.5)
    with pytest.raises(ContentNotFoundError, match=f"did not deliver {HELLO} within 0.5s"):
        store.get(HELLO)
    assert store.has(HELLO) is False
    with pytest.raises(StorageError, match="did not answer add in time"):
        store.add(b"x")


def test_unreachable_node_names_the_address_tried(tmp_path: Path):
    port = free_port()  # nothing listens there
    store = KuboStore(f"/ip4/127.0.0.1/tcp/{port}", timeout=5)
    address = f"http://127.0.0.1:{port}"
    with pytest.raises(NodeUnreachableError, match=f"could not reach the IPFS node at {address}"):
        store.add(b"hello world")
    with pytest.raises(NodeUnreachableError, match=address):
        store.get(HELLO)
    with pytest.raises(NodeUnreachableError, match=address):
        store.has(HELLO)
    with pytest.raises(NodeUnreachableError, match=address):
        store.export_car(HELLO, tmp_path / "x.car")
    assert not (tmp_path / "x.car").exists()
    assert isinstance(NodeUnreachableError("x"), ConnectionError)


def test_api_addresses():
    assert api_url("/ip4/127.0.0.1/tcp/5001") == "http://127.0.0.1:5001"
    assert api_url("/ip6/::1/tcp/5001") == "http://[::1]:5001"
    assert api_url("/dns/node.example/tcp/443/https") == "https://node.example:443"
    assert api_url("http://localhost:5001/") == "http://localhost:5001"


def test_writer_spools_then_uploads(tmp_path: Path):
    node = FakeNode()
    store = KuboStore("http://n.test", tmp_path, transport=httpx.MockTransport(node))
    with store.writer() as out:
        out.write(b"hello ")
        out.write(b"world")
    assert str(out.cid) == HELLO
    assert b"\r\n\r\nhello world\r\n" in node.bodies[0]
