"""eth_getLogs filters (addresses, topic positions with None and lists, block ranges) agree
on every local backend with the logs the receipts carry."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from mlmarket.chain import Chain
from tests.chain.conftest import deploy

PINGED = Web3.keccak(text="RevertProbePinged(address,uint256,bytes32,string)").to_0x_hex()
SPUN = Web3.keccak(text="RevertProbeSpun(uint256,uint256)").to_0x_hex()


def topic_of(address: str) -> str:
    """An address as a topic, in JSON-RPC's hex form (eth-tester takes no bytes here)."""
    return "0x" + "00" * 12 + address[2:].lower()


def topics(log: Any) -> list[str]:
    return [topic.to_0x_hex() for topic in log["topics"]]


@pytest.fixture
def emitted(chain: Chain) -> tuple[list[Any], list[dict[str, Any]]]:
    """Two probes, pinged and spun by several senders; every log from the receipts."""
    probes = [deploy(chain, "RevertProbe"), deploy(chain, "RevertProbe")]
    logs: list[dict[str, Any]] = []
    for n, (probe, sender) in enumerate(
        [(probes[0], "alice"), (probes[1], "bob"), (probes[0], "carol"), (probes[1], "alice")]
    ):
        for fn in (probe.functions.ping(n, b"\x05" * 32, "t"), probe.functions.spin(1)):
            logs.extend(chain.transact(fn, sender=sender)["logs"])
    return probes, logs


def key(log: Any) -> tuple[int, int]:
    return int(log["blockNumber"]), int(log["logIndex"])


def expected(logs: list[Any], predicate: Any) -> list[tuple[int, int]]:
    return sorted(key(log) for log in logs if predicate(log))


def test_getLogs_filtersLikeTheReceipts(chain: Chain, emitted: tuple[list, list]) -> None:
    probes, logs = emitted
    alice, carol = topic_of(chain.address("alice")), topic_of(chain.address("carol"))
    first = min(key(log)[0] for log in logs)
    cases = [
        ({"address": probes[0].address}, lambda log: log["address"] == probes[0].address),
        ({"address": [p.address for p in probes]}, lambda log: True),
        ({"topics": [PINGED]}, lambda log: topics(log)[0] == PINGED),
        ({"topics": [[PINGED, SPUN]]}, lambda log: True),
        ({"topics": [None, alice]}, lambda log: topics(log)[1:2] == [alice]),
        ({"topics": [PINGED, [alice, carol]]},
         lambda log: topics(log)[0] == PINGED and topics(log)[1] in (alice, carol)),
        ({"fromBlock": first + 2, "toBlock": first + 4},
         lambda log: first + 2 <= key(log)[0] <= first + 4),
    ]  # fmt: skip
    for query, predicate in cases:
        found = chain.w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", **query})
        assert sorted(key(log) for log in found) == expected(logs, predicate), query
        assert all(dict(log) == dict(next(r for r in logs if key(r) == key(log))) for log in found)


def test_plainWeb3Calls_workAsOnAnyNode(chain: Chain, probe) -> None:
    """A view called straight through web3, with no `from`, as any tutorial does."""
    chain.transact(probe.functions.spin(3), sender="alice")
    assert probe.functions.total().call() == 3
    assert chain.w3.eth.default_account == chain.address("deployer")


def test_theHistory_keepsEachTransactionsLogs_raw(chain: Chain, probe) -> None:
    receipt = chain.transact(probe.functions.ping(7, b"\x02" * 32, "hi"), sender="alice")
    record = chain.history[-1]
    assert record.tx_hash == "0x" + bytes(receipt["transactionHash"]).hex()
    assert len(record.logs) == len(receipt["logs"]) == 1
    (log,), (expected,) = record.logs, receipt["logs"]
    assert log.address == expected["address"] == probe.address
    assert log.topics == tuple(bytes(topic) for topic in expected["topics"])
    assert log.data == bytes(expected["data"]) and type(log.data) is bytes
