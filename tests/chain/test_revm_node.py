"""The revm node validates, charges and answers as anvil/geth would (revm-only behaviour)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from eth_bloom import BloomFilter
from eth_utils import to_checksum_address
from web3.exceptions import Web3RPCError

from mlmarket.chain import TX_GAS_CAP, Chain, connect
from mlmarket.chain.revm_engine import ZERO_ADDRESS, RevmNotInstalledError
from mlmarket.chain.revm_queries import HistoricalStateError
from mlmarket.chain.revm_tx import (
    INITIAL_BASE_FEE,
    MAX_INITCODE_SIZE,
    create_address,
    floor_gas,
    intrinsic_gas,
    next_base_fee,
)
from mlmarket.contracts import bind_errors
from mlmarket.contracts.errors import RevertProbeDetailed
from mlmarket.errors import TransactionFailedError
from tests.chain.conftest import deploy
from tests.chain.test_reverts import detailed_args

PRIORITY = 10**9
COLD_SLOAD, PUSH0, POP = 2_100, 2, 2
EMPTY_ACCOUNT = to_checksum_address("0x" + "ab" * 20)
SLOAD_RUNTIME = bytes.fromhex("5f545000")  # PUSH0 SLOAD POP STOP
# TLOAD slot 0 and log it as a topic, then TSTORE 1 there.
TRANSIENT_RUNTIME = bytes.fromhex("5f5c5f5fa1" + "60015f5d" + "00")


def initcode_for(runtime: bytes) -> bytes:
    """Initcode returning ``runtime``, which follows its 10 bytes:
    PUSH2 n, DUP1, PUSH1 10, PUSH0, CODECOPY, PUSH0, RETURN."""
    return b"\x61" + len(runtime).to_bytes(2, "big") + bytes.fromhex("80600a5f395ff3") + runtime


@pytest.fixture
def revm(require_revm: None) -> Iterator[Chain]:
    with connect("revm") as chain:
        bind_errors(chain)
        yield chain


def signed(chain: Chain, sender: str = "alice", **overrides: Any) -> bytes:
    account = chain.accounts[sender].signer
    base_fee = int(chain.w3.eth.get_block("latest")["baseFeePerGas"])
    tx: dict[str, Any] = {
        "to": chain.address("bob"),
        "value": 1,
        "gas": 21_000,
        "nonce": chain.w3.eth.get_transaction_count(account.address),
        "chainId": chain.chain_id,
        "maxFeePerGas": 2 * base_fee + PRIORITY,
        "maxPriorityFeePerGas": PRIORITY,
        "type": 2,
        "data": b"",
    }
    tx.update(overrides)
    if tx["to"] is None:
        del tx["to"]
    return bytes(account.sign_transaction(tx).raw_transaction)


def send(chain: Chain, raw: bytes) -> dict[str, Any]:
    tx_hash = chain.w3.eth.send_raw_transaction(raw)
    return dict(chain.w3.eth.get_transaction_receipt(tx_hash))


def create(chain: Chain, runtime: bytes) -> str:
    raw = signed(chain, to=None, value=0, gas=200_000, data=initcode_for(runtime))
    return str(send(chain, raw)["contractAddress"])


def test_initcodeHelper_deploysTheRuntime(revm: Chain) -> None:
    assert bytes(revm.w3.eth.get_code(create(revm, SLOAD_RUNTIME))) == SLOAD_RUNTIME


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"nonce": 5}, "nonce too high"),
        (
            {"maxFeePerGas": 1, "maxPriorityFeePerGas": 1},
            "max fee per gas less than block base fee",
        ),
        ({"maxPriorityFeePerGas": 10**12}, "max priority fee per gas higher than max fee"),
        ({"value": 10**30}, r"insufficient funds for gas \* price \+ value"),
        ({"gas": 20_999}, "intrinsic gas too low"),
        ({"gas": 21_000 + 16 * 1000, "data": b"\x01" * 1000}, "insufficient gas for floor data"),
        ({"gas": TX_GAS_CAP + 1}, "transaction gas limit too high"),
        ({"chainId": 5}, "invalid chain id for signer"),
        (
            {"to": None, "gas": TX_GAS_CAP, "data": b"\x01" * (MAX_INITCODE_SIZE + 1)},
            "max initcode size exceeded",
        ),
        ({"accessList": [{"address": "0x" + "11" * 20, "storageKeys": []}]}, "access lists"),
    ],
)
def test_invalidTransaction_isRefusedWithGethsWords_andChangesNothing(
    revm: Chain, overrides: dict[str, Any], words: str
) -> None:
    block, balance = revm.block_number, revm.balance("alice")
    with pytest.raises(Web3RPCError, match=words):
        revm.w3.eth.send_raw_transaction(signed(revm, **overrides))
    assert (revm.block_number, revm.balance("alice")) == (block, balance)


def test_reusedNonce_isNonceTooLow(revm: Chain) -> None:
    send(revm, signed(revm))
    with pytest.raises(Web3RPCError, match="nonce too low"):
        revm.w3.eth.send_raw_transaction(signed(revm, nonce=0, value=2))


def test_legacyTransaction_isRefusedAsUnsupportedType(revm: Chain) -> None:
    account = revm.accounts["alice"].signer
    legacy = {"to": revm.address("bob"), "value": 1, "gas": 21_000, "nonce": 0,
              "chainId": revm.chain_id, "gasPrice": 10**10}  # fmt: skip
    with pytest.raises(Web3RPCError, match="transaction type not supported"):
        revm.w3.eth.send_raw_transaction(account.sign_transaction(legacy).raw_transaction)


def test_transfer_chargesGasAtTheEffectivePrice_andPaysTheTipToTheCoinbase(revm: Chain) -> None:
    before = {who: revm.balance(who) for who in ("alice", "bob")}
    coinbase = revm.w3.eth.get_balance(ZERO_ADDRESS)
    receipt = send(revm, signed(revm, value=12_345))
    block = revm.w3.eth.get_block(receipt["blockNumber"])
    price = receipt["effectiveGasPrice"]
    assert price == min(2 * INITIAL_BASE_FEE + PRIORITY, block["baseFeePerGas"] + PRIORITY)
    assert revm.balance("alice") == before["alice"] - 12_345 - receipt["gasUsed"] * price
    assert revm.balance("bob") == before["bob"] + 12_345
    tip = price - block["baseFeePerGas"]
    assert revm.w3.eth.get_balance(ZERO_ADDRESS) == coinbase + receipt["gasUsed"] * tip
    assert revm.w3.eth.get_transaction_count(revm.address("alice")) == 1


def test_calldataFloor_isCharged_asPragueDoes(revm: Chain) -> None:
    data = b"\x01" * 100_000
    receipt = send(revm, signed(revm, to=EMPTY_ACCOUNT, value=0, gas=TX_GAS_CAP, data=data))
    assert intrinsic_gas(data, is_create=False) < floor_gas(data) == 4_021_000
    assert receipt["gasUsed"] == floor_gas(data)


def test_baseFee_followsEip1559_fromTheEthTesterGenesis(revm: Chain) -> None:
    send(revm, signed(revm))
    revm.clock.advance(60)
    blocks = [revm.w3.eth.get_block(n) for n in range(revm.block_number + 1)]
    assert blocks[0]["baseFeePerGas"] == INITIAL_BASE_FEE
    for parent, block in zip(blocks, blocks[1:], strict=False):
        expected = next_base_fee(parent["baseFeePerGas"], parent["gasUsed"], parent["gasLimit"])
        assert block["baseFeePerGas"] == expected
        assert block["parentHash"] == parent["hash"]


def test_everyTransaction_startsCold(revm: Chain) -> None:
    created = create(revm, SLOAD_RUNTIME)
    cold_read = 21_000 + PUSH0 + COLD_SLOAD + POP
    for _ in range(3):
        assert send(revm, signed(revm, to=created, value=0, gas=50_000))["gasUsed"] == cold_read
        assert revm.backend.node.engine.loaded_accounts() == [ZERO_ADDRESS]


def test_transientStorage_isEmptyAtEachTransactionStart(revm: Chain) -> None:
    created = create(revm, TRANSIENT_RUNTIME)
    for _ in range(2):
        (log,) = send(revm, signed(revm, to=created, value=0, gas=100_000))["logs"]
        assert bytes(log["topics"][0]) == bytes(32)


def test_receiptAndBlock_carryWhatWeb3Reads(revm: Chain) -> None:
    probe = deploy(revm, "RevertProbe")
    deployed = revm.w3.eth.get_transaction_receipt(revm.history[-1].tx_hash)
    assert deployed["contractAddress"] == create_address(revm.address("deployer"), 0)
    receipt = revm.transact(probe.functions.ping(3, b"\x01" * 32, "hello"), sender="bob")
    (log,) = receipt["logs"]
    assert (log["logIndex"], log["transactionIndex"], log["address"]) == (0, 0, probe.address)
    assert receipt["cumulativeGasUsed"] == receipt["gasUsed"] and receipt["type"] == 2
    assert receipt["from"] == revm.address("bob") and receipt["to"] == probe.address
    bloom = BloomFilter(int.from_bytes(bytes(receipt["logsBloom"]), "big"))
    assert bytes.fromhex(probe.address[2:]) in bloom and bytes(log["topics"][0]) in bloom
    block = revm.w3.eth.get_block(receipt["blockNumber"])
    assert block["transactions"] == [receipt["transactionHash"]]
    assert block["logsBloom"] == receipt["logsBloom"] and len(block["extraData"]) <= 32
    assert block["miner"] == ZERO_ADDRESS and block["gasUsed"] == receipt["gasUsed"]
    full = revm.w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    assert full["transactions"][0]["hash"] == receipt["transactionHash"]


def test_getLogs_byBlockHash_returnsThatBlocksLogs(revm: Chain) -> None:
    probe = deploy(revm, "RevertProbe")
    receipts = [
        revm.transact(probe.functions.ping(n, bytes(32), "b"), sender="bob") for n in (1, 2)
    ]
    found = revm.w3.eth.get_logs({"blockHash": receipts[0]["blockHash"]})
    assert [dict(log) for log in found] == [dict(log) for log in receipts[0]["logs"]]


def test_olderState_isANamedError(revm: Chain) -> None:
    send(revm, signed(revm))
    with pytest.raises(HistoricalStateError, match="keeps only the latest state"):
        revm.w3.eth.get_balance(revm.address("alice"), block_identifier=0)
    with pytest.raises(HistoricalStateError, match="eth_call at block 0"):
        revm.w3.eth.call({"to": revm.address("bob")}, block_identifier=0)
    assert revm.w3.eth.get_balance(revm.address("alice"), block_identifier=revm.block_number)


def test_pendingBlock_isTheNextOne(revm: Chain) -> None:
    latest = revm.w3.eth.get_block("latest")
    pending = revm.w3.eth.get_block("pending")
    assert pending["number"] == latest["number"] + 1 and pending["parentHash"] == latest["hash"]
    assert pending["baseFeePerGas"] == next_base_fee(
        latest["baseFeePerGas"], latest["gasUsed"], latest["gasLimit"]
    )


def test_estimateGas_isTheSmallestLimitThatSucceeds(revm: Chain) -> None:
    probe = deploy(revm, "RevertProbe")
    call = {"from": revm.address("alice"), "to": probe.address,
            "data": probe.functions.spin(20)._encode_transaction_data()}  # fmt: skip
    estimate = revm.w3.eth.estimate_gas(call)
    assert revm.w3.eth.call({**call, "gas": estimate}) is not None
    with pytest.raises(Web3RPCError, match="out of gas"):
        revm.w3.eth.call({**call, "gas": estimate - 1})


def test_withoutPyrevm_connectSaysHowToInstallIt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyrevm", None)
    with pytest.raises(RevmNotInstalledError, match=r"pip install 'mlmarket\[revm\]'"):
        connect("revm")


def test_theChainsReceipts_areWhatWeb3Returns_typesIncluded(revm: Chain) -> None:
    """On revm the chain builds each receipt from the node's record, as web3's formatters
    would: equal to ``get_transaction_receipt``, with the same types all the way down, for
    a deployment, calls with and without events, and a failed transaction."""
    probe = deploy(revm, "RevertProbe")
    revm.transact(probe.functions.ping(3, b"\x01" * 32, "hello"), sender="bob")
    revm.transact(probe.functions.spin(2), sender="carol")
    with pytest.raises(TransactionFailedError):  # mined, failed: sent without the dry run
        revm.transact(probe.functions.revertEmpty(), sender="dave", simulate=False)
    assert [r.status for r in revm.history[-3:]] == [1, 1, 0]

    def shape(value: Any) -> Any:
        if isinstance(value, dict):
            return (type(value).__name__, {k: shape(v) for k, v in value.items()})
        if isinstance(value, list | tuple):
            return (type(value).__name__, [shape(v) for v in value])
        return (type(value).__name__, value)

    for record in revm.history:
        tx_hash = bytes.fromhex(record.tx_hash[2:])
        ours, web3s = revm.backend.receipt(tx_hash), revm.w3.eth.get_transaction_receipt(tx_hash)
        assert ours == web3s and shape(ours) == shape(web3s), record.action
        assert list(ours) == list(web3s)  # the same keys in the same order


def test_aRefusedSend_raisesWeb3sError_andMinesNothing(revm: Chain) -> None:
    """The backend sends straight to the node; a transaction the node refuses is handed to
    web3, which raises what it raises for JSON-RPC, and nothing is mined."""
    block, balance = revm.block_number, revm.balance("alice")
    with pytest.raises(Web3RPCError, match="nonce too high"):
        revm.backend.send_raw(signed(revm, nonce=5), None)
    assert (revm.block_number, revm.balance("alice")) == (block, balance)
    tx_hash = revm.backend.send_raw(signed(revm), None)
    assert revm.backend.receipt(tx_hash)["status"] == 1 and revm.block_number == block + 1


def test_theChainsOwnTransactions_needNoRecovery_othersAreRecovered(
    revm: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chain tells the in-process node who signed what it sends (it has just signed
    it); a raw transaction from elsewhere still has its sender recovered."""
    from mlmarket.chain import revm_tx

    recovered: list[str] = []
    recover = revm_tx._recover
    monkeypatch.setattr(
        revm_tx, "_recover", lambda *a: recovered.append(recover(*a)) or recovered[-1]
    )
    probe = deploy(revm, "RevertProbe")
    receipt = revm.transact(probe.functions.ping(1, b"\x01" * 32, "x"), sender="bob")
    assert receipt["from"] == revm.address("bob") and recovered == []
    send(revm, signed(revm, sender="carol"))
    assert recovered == [revm.address("carol")]


def test_aTransaction_runsOnce_itsDryRunIsTheNodesOwnRun(
    revm: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On revm the node mines a transaction only if it succeeds, so ``transact`` does not
    run it as a call first: one EVM run per transaction, sent or refused. A refused one
    raises the contract's named error and leaves nothing: no block, fee, nonce, history,
    journal entry or receipt."""
    from mlmarket.chain.revm_engine import RevmEngine

    probe = deploy(revm, "RevertProbe")
    runs: list[bool] = []
    run = RevmEngine.run
    monkeypatch.setattr(
        RevmEngine,
        "run",
        lambda self, *a, **k: runs.append(k.get("keep", False)) or run(self, *a, **k),
    )
    revm.transact(probe.functions.ping(3, b"\x01" * 32, "hello"), sender="bob")
    assert runs == [True]  # the transaction itself, kept; no dry run

    runs.clear()
    state = (revm.block_number, revm.balance("alice"), revm.backend.nonce(revm.address("alice")))
    sent, journal = len(revm.history), len(revm.backend.node.journal)
    receipts = len(revm.backend.node.receipts)
    with pytest.raises(RevertProbeDetailed, match="a note"):
        revm.transact(probe.functions.revertDetailed(*detailed_args(revm)), sender="alice")
    with pytest.raises(TransactionFailedError, match="ran out of gas"):
        revm.transact(probe.functions.spin(50), sender="alice", gas=60_000)
    assert runs == [True, True]  # one run each, nothing kept
    assert state == (
        revm.block_number,
        revm.balance("alice"),
        revm.backend.nonce(revm.address("alice")),
    )
    assert (len(revm.history), len(revm.backend.node.journal)) == (sent, journal)
    assert len(revm.backend.node.receipts) == receipts
    revm.transact(probe.functions.spin(2), sender="alice")  # the unused nonce is used next
    assert revm.history[-1].status == 1


def test_aStaleCachedNonce_thenARefusal_raisesTheNamedError(revm: Chain) -> None:
    """The chain keeps each sender's next nonce; a transaction sent around it makes the
    cached one stale. The chain asks the node and sends again; if that send is refused,
    the contract's named error is raised as on the first try, and nothing is mined."""
    probe = deploy(revm, "RevertProbe")
    revm.transact(probe.functions.spin(1), sender="alice")  # the nonce is now cached
    send(revm, signed(revm, sender="alice"))  # around the chain: the cache is stale
    block = revm.block_number
    with pytest.raises(RevertProbeDetailed, match="a note"):
        revm.transact(probe.functions.revertDetailed(*detailed_args(revm)), sender="alice")
    assert revm.block_number == block
    revm.transact(probe.functions.spin(1), sender="alice")
    assert revm.history[-1].status == 1
