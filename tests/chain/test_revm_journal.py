"""revm snapshots, save and load replay the node's journal: state comes back exactly."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from mlmarket.chain import Chain, connect, load
from mlmarket.chain.revm_engine import ZERO_ADDRESS
from mlmarket.contracts import MarketToken, bind_errors
from mlmarket.errors import ContractRevertError, TransactionFailedError
from tests.chain.conftest import deploy, send_eth

SENDERS = ("alice", "bob", "carol", "dave")
KINDS = ("eth", "token", "spin", "ping", "deploy", "revert", "overdraw")
TAG = b"\x33" * 32


def one_step(chain: Chain, kind: str, rng: random.Random, token: MarketToken, probe: Any) -> None:
    sender, other = rng.sample(SENDERS, 2)
    if kind == "eth":
        send_eth(chain, sender, other, rng.randrange(1, 10**18))
    elif kind == "token":
        token.transfer(other, rng.randrange(1, 20), sender=sender)
    elif kind == "spin":
        chain.transact(probe.functions.spin(rng.randrange(1, 40)), sender=sender)
    elif kind == "ping":
        chain.transact(
            probe.functions.ping(rng.randrange(99), TAG, "p" * rng.randrange(9)), sender=sender
        )
    elif kind == "deploy":
        deploy(chain, "RevertProbe", sender=sender)
    elif kind == "revert":
        chain.transact(probe.functions.divide(rng.randrange(9), 0), sender=sender)
    else:
        token.transfer(other, 10**9, sender=sender)


def mixed_transactions(chain: Chain, token: MarketToken, probe: Any, count: int) -> None:
    """``count`` seeded transactions: transfers, fee-paying calls, deployments, reverts."""
    rng = random.Random(7)
    for _ in range(count):
        try:
            one_step(chain, rng.choice(KINDS), rng, token, probe)
        except (ContractRevertError, TransactionFailedError):
            pass  # mined with status 0: its gas and nonce still count


def created_contracts(chain: Chain, first_block: int) -> list[str]:
    found = []
    for record in chain.history:
        if record.action == "deploy" and record.block >= first_block:
            receipt = chain.w3.eth.get_transaction_receipt(record.tx_hash)
            found.append(str(receipt["contractAddress"]))
    return found


def accounts_state(chain: Chain, addresses: list[str], token: MarketToken, probe: Any) -> dict:
    state: dict[str, Any] = {
        address: (
            chain.w3.eth.get_balance(address),
            chain.w3.eth.get_transaction_count(address),
            bytes(chain.w3.eth.get_code(address)),
        )
        for address in addresses
    }
    state["tokens"] = [token.raw_balance_of(who) for who in SENDERS]
    state["probe"] = (chain.call(probe.functions.total()), chain.call(probe.functions.pings()))
    return state


def snapshot_scenario(backend: str) -> dict[str, dict]:
    with connect(backend) as chain:
        bind_errors(chain)
        token = MarketToken.deploy(chain, {who: 100 for who in SENDERS})
        probe = deploy(chain, "RevertProbe")
        watched = [chain.address(w) for w in chain.accounts] + [ZERO_ADDRESS, token.address]
        watched.append(probe.address)
        snap, first_block = chain.snapshot(), chain.block_number + 1
        before = accounts_state(chain, watched, token, probe)
        mixed_transactions(chain, token, probe, 100)
        watched += created_contracts(chain, first_block)
        after = accounts_state(chain, watched, token, probe)
        chain.revert(snap)
        reverted = accounts_state(chain, watched, token, probe)
        token.transfer("bob", 1, sender="alice")  # the chain goes on from the snapshot
        return {"before": before, "after": after, "reverted": reverted}


def test_revertAfter100MixedTransactions_restoresEveryAccount_asOnEthTester(
    require_revm: None,
) -> None:
    revm, tester = snapshot_scenario("revm"), snapshot_scenario("eth-tester")
    assert revm["after"] == tester["after"]
    assert revm["after"] != revm["before"]
    created = set(revm["reverted"]) - set(revm["before"])
    assert len(created) >= 5
    assert {key: revm["reverted"][key] for key in revm["before"]} == revm["before"]
    assert all(revm["reverted"][address] == (0, 0, b"") for address in created)
    assert revm["reverted"] == tester["reverted"]


def test_identity_isUniquePerSession_andSurvivesLoad(require_revm: None, tmp_path: Path) -> None:
    with connect("revm") as first, connect("revm") as second:
        assert first.identity != second.identity
        first.clock.advance(60)
        first.save(tmp_path)
        identity = first.identity
        hashes = [first.w3.eth.get_block(n)["hash"] for n in range(first.block_number + 1)]
    with load(tmp_path) as restored:
        assert restored.kind == "revm" and restored.identity == identity
        assert [restored.w3.eth.get_block(n)["hash"] for n in range(len(hashes))] == hashes


def test_undoingToASnapshot_equalsReplayingTheJournal(require_revm: None, tmp_path: Path) -> None:
    with connect("revm") as chain:
        bind_errors(chain)
        token = MarketToken.deploy(chain, {who: 100 for who in SENDERS})
        probe = deploy(chain, "RevertProbe")
        mixed_transactions(chain, token, probe, 20)
        snap = chain.snapshot()
        mixed_transactions(chain, token, probe, 20)
        watched = [chain.address(w) for w in chain.accounts] + [ZERO_ADDRESS, token.address]
        watched += [probe.address, *created_contracts(chain, 0)]  # undone ones included
        chain.revert(snap)
        undone = accounts_state(chain, watched, token, probe)
        hashes = [chain.w3.eth.get_block(n)["hash"] for n in range(chain.block_number + 1)]
        chain.save(tmp_path)
    with load(tmp_path) as replayed:
        bind_errors(replayed)
        same_token = MarketToken(replayed, token.address)
        same_probe = replayed.w3.eth.contract(address=probe.address, abi=probe.abi)
        assert accounts_state(replayed, watched, same_token, same_probe) == undone
        assert [replayed.w3.eth.get_block(n)["hash"] for n in range(len(hashes))] == hashes
        assert replayed.block_number == len(hashes) - 1
