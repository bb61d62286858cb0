"""One seeded scenario on eth-tester (py-evm, Prague) and on revm: every result identical.

Deployments, token transfers, approve + transferFrom, an ERC-2612 permit, ETH
transfers (one with 100 KB of calldata, where EIP-7623's floor binds), custom
errors with arguments, reasons, panics, an empty revert, gas exhaustion, events,
and heavy compute (``LinearEvaluator.scoreBatch``; ``TreeEvaluator.scoreBatch`` and
``tallyBatch`` through each kernel: one tree, regression, forests of 10 and of 40
classes, a model above the records' node limit). Compared per transaction:
status, gasUsed, effective price, contract address, logs (address, topics, data,
order) and the named Python exception; at the end every ETH and token balance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from mlmarket.chain import TX_GAS_CAP, Chain, connect
from mlmarket.chain.revm_engine import ZERO_ADDRESS
from mlmarket.contracts import MarketToken, bind_errors, load_artifact
from mlmarket.errors import ContractRevertError, TransactionFailedError
from mlmarket.ml import LinearParams, TreeParams, encode_chunk, encode_model
from mlmarket.ml.tree import encode_tree
from tests.chain.conftest import check_revm, send_eth
from tests.ml.helpers import random_tree

NAMES = ("deployer", "alice", "bob", "carol", "dave", "erin", "frank", "grace")
TAG = b"\x44" * 32
FAR_DEADLINE = 2**40  # fixed, so the permit's calldata is the same on both chains


class Scenario:
    """Runs steps on one chain and records what each transaction did."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.steps: list[tuple[Any, ...]] = []
        self.calls: list[Any] = []
        self.contracts: dict[str, Any] = {}

    def outcome(self, tx_hash: Any) -> tuple[Any, ...]:
        receipt = self.chain.w3.eth.get_transaction_receipt(tx_hash)
        logs = [(log["address"], [bytes(t) for t in log["topics"]], bytes(log["data"]))
                for log in receipt["logs"]]  # fmt: skip
        return (receipt["status"], receipt["gasUsed"], receipt["effectiveGasPrice"],
                receipt["contractAddress"], logs)  # fmt: skip

    def step(self, label: str, action: Callable[[], Any]) -> None:
        """Run a transaction; record its receipt and the exception it raised, if any."""
        try:
            tx_hash = action()
            error: tuple[Any, ...] = ()
        except (ContractRevertError, TransactionFailedError) as exc:
            tx_hash = self.chain.history[-1].tx_hash
            error = (type(exc).__name__, getattr(exc, "args_dict", None), str(exc))
        self.steps.append((label, self.outcome(tx_hash), error))

    def transact(self, fn: Any, sender: str, **options: Any) -> Callable[[], Any]:
        return lambda: self.chain.transact(fn, sender=sender, **options)["transactionHash"]

    def deploy(self, name: str, *args: Any, sender: str = "deployer") -> None:
        def action() -> Any:
            artifact = load_artifact(name)
            # Linked with the libraries deployed before it (Competition: CompetitionScoring).
            code = artifact.linked_bytecode({n: c.address for n, c in self.contracts.items()})
            contract, receipt = self.chain.deploy(artifact.abi, code, *args, sender=sender)
            self.contracts[name] = contract
            return receipt["transactionHash"]

        self.step(f"deploy {name}", action)


def deploy_all(s: Scenario) -> None:
    chain = s.chain
    s.deploy("MarketToken", [chain.address(n) for n in NAMES], [1000 * 10**18] * len(NAMES))
    s.deploy("RevertProbe", sender="alice")
    s.deploy("LinearEvaluator")
    s.deploy("TreeEvaluator")
    s.deploy("DataMarket", s.contracts["MarketToken"].address)
    s.deploy("CompetitionScoring")
    s.deploy("CompetitionTeams")
    s.deploy("Competition")
    s.deploy("CompetitionFactory", s.contracts["Competition"].address, chain.address("deployer"))


def token_steps(s: Scenario) -> None:
    chain, token = s.chain, s.contracts["MarketToken"].functions
    s.step("transfer", s.transact(token.transfer(chain.address("bob"), 25 * 10**18), "alice"))
    s.step("approve", s.transact(token.approve(chain.address("carol"), 50 * 10**18), "alice"))
    moved = token.transferFrom(chain.address("alice"), chain.address("dave"), 30 * 10**18)
    s.step("transferFrom", s.transact(moved, "carol"))
    too_much = token.transferFrom(chain.address("alice"), chain.address("dave"), 30 * 10**18)
    s.step("transferFrom above allowance", s.transact(too_much, "carol"))
    s.step("overdraw", s.transact(token.transfer(chain.address("bob"), 10**24), "frank"))
    wrapper = MarketToken(chain, s.contracts["MarketToken"].address)
    value, deadline, v, r, sig_s = wrapper.permit("erin", "frank", 10, deadline=FAR_DEADLINE)
    permit = token.permit(
        chain.address("erin"), chain.address("frank"), value, deadline, v, r, sig_s
    )
    s.step("permit", s.transact(permit, "frank"))
    spend = token.transferFrom(chain.address("erin"), chain.address("grace"), value)
    s.step("transferFrom by permit", s.transact(spend, "frank"))
    s.step("permit replayed", s.transact(permit, "frank"))


def probe_steps(s: Scenario) -> None:
    chain, probe = s.chain, s.contracts["RevertProbe"].functions
    detailed = probe.revertDetailed(
        chain.address("bob"), 7 * 10**18, -42, TAG, "a note", True, 2, [1, 2, 3]
    )
    s.step("custom error", s.transact(detailed, "alice"))
    s.step("reason", s.transact(probe.revertWithReason(), "bob"))
    s.step("panic", s.transact(probe.divide(1, 0), "carol"))
    s.step("empty revert", s.transact(probe.revertEmpty(), "dave"))
    s.step("out of gas", s.transact(probe.spin(50), "erin", gas=60_000))
    for n in range(3):
        s.step(f"ping {n}", s.transact(probe.ping(n, TAG, "x" * n), NAMES[n + 1]))
    s.step("spin", s.transact(probe.spin(2_000), "grace"))


def compute_and_eth_steps(s: Scenario) -> None:
    chain, rng = s.chain, np.random.default_rng(11)
    d, rows = 30, 1_200
    chunk = encode_chunk(
        rng.integers(-127, 128, (rows, d)), rng.integers(0, 2, rows), regression=False
    )
    models = [
        encode_model(LinearParams(0, 2, rng.integers(-(2**15), 2**15, (1, d)),
                                  (int(rng.integers(-(2**31), 2**31)),), 2, 4, 0))
        for _ in range(4)
    ]  # fmt: skip
    score = s.contracts["LinearEvaluator"].functions.scoreBatch(chunk, models, d, 2)
    s.step("scoreBatch", s.transact(score, "heidi"))
    s.calls.append(chain.call(score))
    s.step("eth", lambda: send_eth(chain, "alice", "ivan", 3 * 10**17))
    data = b"\x01" * 100_000
    s.step("calldata floor", lambda: send_eth(chain, "bob", "ivan", 0, data=data, gas=TX_GAS_CAP))
    chain.clock.advance(3_600)
    s.step("after an empty block", lambda: send_eth(chain, "carol", "ivan", 1))


def tree_steps(s: Scenario) -> None:
    """Each TreeEvaluator kernel: one tree and a forest of 10 classes (scoreBatch and
    tallyBatch), a forest of 40 classes, a regression tree, and a model of more than
    2,048 nodes (the calldata walk)."""
    chain, rng = s.chain, np.random.default_rng(12)
    tree = s.contracts["TreeEvaluator"].functions
    d = 30

    def model(trees: tuple, classes: int) -> bytes:
        return encode_tree(TreeParams(int(classes == 0), classes, d, trees))

    def chunk(rows: int, classes: int) -> bytes:
        labels = (
            rng.integers(-(2**31), 2**31, rows) if classes == 0 else rng.integers(0, classes, rows)
        )
        return encode_chunk(rng.integers(-128, 128, (rows, d)), labels, regression=classes == 0)

    forest = model(tuple(random_tree(rng, d, 5, 10, early_leaf=0.15) for _ in range(8)), 10)
    single = model((random_tree(rng, d, 6, 10, early_leaf=0.15),), 10)
    big_trees = tuple(random_tree(rng, d, 9, 10, early_leaf=0.15) for _ in range(7))
    assert sum(len(t) for t in big_trees) > 2048
    big = model(big_trees, 10)
    wide = model(tuple(random_tree(rng, d, 4, 40, early_leaf=0.15) for _ in range(6)), 40)
    regression = model((random_tree(rng, d, 7, 0, early_leaf=0.15),), 0)
    calls = [
        ("tree scoreBatch", tree.scoreBatch(chunk(301, 10), [forest, single, big], d, 10)),
        ("tree tallyBatch", tree.tallyBatch(chunk(64, 10), [forest, single], d, 10)),
        ("tree 40 classes", tree.scoreBatch(chunk(65, 40), [wide], d, 40)),
        ("tree regression", tree.scoreBatch(chunk(97, 0), [regression], d, 0)),
    ]
    for label, fn in calls:
        s.step(label, s.transact(fn, "heidi"))
        s.calls.append(chain.call(fn))


def run_scenario(backend: str) -> Scenario:
    with connect(backend) as chain:
        bind_errors(chain)
        s = Scenario(chain)
        deploy_all(s)
        token_steps(s)
        probe_steps(s)
        compute_and_eth_steps(s)
        tree_steps(s)
        token = s.contracts["MarketToken"].functions
        holders = [chain.address(n) for n in (*NAMES, "heidi", "ivan")] + [ZERO_ADDRESS]
        holders += [c.address for c in s.contracts.values()]
        s.calls.append([(chain.w3.eth.get_balance(h), chain.w3.eth.get_transaction_count(h),
                         chain.call(token.balanceOf(h))) for h in holders])  # fmt: skip
        return s


@pytest.fixture(scope="module")
def both() -> tuple[Scenario, Scenario]:
    check_revm()
    return run_scenario("eth-tester"), run_scenario("revm")


def test_everyTransaction_hasTheSameReceiptAndException(both: tuple[Scenario, Scenario]) -> None:
    tester, revm = both
    assert [step[0] for step in revm.steps] == [step[0] for step in tester.steps]
    for expected, got in zip(tester.steps, revm.steps, strict=True):
        assert got == expected, expected[0]


def test_balancesAndCallResults_areIdentical(both: tuple[Scenario, Scenario]) -> None:
    tester, revm = both
    assert revm.calls == tester.calls


def test_scenario_coversTheIntendedOutcomes(both: tuple[Scenario, Scenario]) -> None:
    _tester, revm = both
    errors = {step[0]: step[2][0] for step in revm.steps if step[2]}
    assert errors == {
        "transferFrom above allowance": "ERC20InsufficientAllowance",
        "overdraw": "ERC20InsufficientBalance",
        "permit replayed": "ERC2612InvalidSigner",
        "custom error": "RevertProbeDetailed",
        "reason": "RevertedWithReason",
        "panic": "ContractPanicError",
        "empty revert": "TransactionFailedError",
        "out of gas": "TransactionFailedError",
    }
    gas = {step[0]: step[1][1] for step in revm.steps}
    assert gas["calldata floor"] == 21_000 + 40 * 100_000  # EIP-7623's floor binds
    assert gas["scoreBatch"] > 1_800_000  # heavy compute, not just calldata (floor ~1.5 M)
    assert gas["tree scoreBatch"] > 1_000_000
    assert all(step[1][4] for step in revm.steps if step[0].startswith("ping"))
