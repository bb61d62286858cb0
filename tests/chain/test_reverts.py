"""Every revert reaches the user as a named exception with a sentence — on both backends."""

from __future__ import annotations

import pytest
from web3 import Web3

from mlmarket.chain import TX_GAS_CAP, Chain, ContractPanicError
from mlmarket.contracts.errors import RevertProbeDetailed, RevertProbeNoArgs
from mlmarket.errors import (
    ContractRevertError,
    GasLimitError,
    RevertedWithReason,
    TransactionFailedError,
)

TAG = b"\x11" * 32


def detailed_args(chain: Chain) -> tuple:
    return (chain.address("bob"), 7 * 10**18, -42, TAG, "a note", True, 2, [1, 2, 3])


def test_customError_inTransaction_isNamedWithAllArguments(chain: Chain, probe) -> None:
    with pytest.raises(RevertProbeDetailed, match=r"bob \(0x3C44") as caught:
        chain.transact(probe.functions.revertDetailed(*detailed_args(chain)), sender="alice")
    error = caught.value
    assert error.args_dict == {
        "account": chain.address("bob"),
        "amount": 7 * 10**18,
        "delta": -42,
        "tag": TAG,
        "note": "a note",
        "flag": True,
        "kind": 2,
        "values": (1, 2, 3),
    }
    assert error.delta == -42  # arguments are attributes too
    assert isinstance(error, ContractRevertError)


def test_customError_inCall_isTheSameClass(chain: Chain, probe) -> None:
    with pytest.raises(RevertProbeDetailed) as caught:
        chain.call(probe.functions.revertDetailed(*detailed_args(chain)))
    assert caught.value.amount == 7 * 10**18


def test_customErrorWithoutArguments_hasASentence(chain: Chain, probe) -> None:
    with pytest.raises(RevertProbeNoArgs, match="revert probe no args"):
        chain.transact(probe.functions.revertNoArgs(), sender="alice")


def test_requireReason_isRevertedWithReason(chain: Chain, probe) -> None:
    with pytest.raises(RevertedWithReason, match="a plain reason"):
        chain.transact(probe.functions.revertWithReason(), sender="alice")
    with pytest.raises(RevertedWithReason, match="custom words"):
        chain.call(probe.functions.revertWithMessage("custom words"))


@pytest.mark.parametrize(
    ("function", "args", "code", "words"),
    [
        ("divide", (1, 0), 0x12, "division or modulo by zero"),
        ("add", (2**256 - 1, 1), 0x11, "overflowed"),
        ("failAssert", (), 0x01, "assert"),
    ],
)
def test_panic_namesItsCause(chain: Chain, probe, function, args, code, words) -> None:
    with pytest.raises(ContractPanicError, match=words) as caught:
        chain.transact(getattr(probe.functions, function)(*args), sender="alice")
    assert caught.value.code == code


def mines_nothing(chain: Chain, probe, fn, error: type[Exception], words: str) -> None:
    """``fn`` is refused with ``error`` before sending: no block, no nonce, no history."""
    block, sent = chain.w3.eth.block_number, len(chain.history)
    nonce = chain.w3.eth.get_transaction_count(chain.address("alice"))
    with pytest.raises(error, match=words):
        chain.transact(fn, sender="alice")
    assert chain.w3.eth.block_number == block and len(chain.history) == sent
    assert chain.w3.eth.get_transaction_count(chain.address("alice")) == nonce


def test_everyRefusal_minesNothing(chain: Chain, probe) -> None:
    f = probe.functions
    mines_nothing(chain, probe, f.revertDetailed(*detailed_args(chain)), RevertProbeDetailed, "bob")
    mines_nothing(chain, probe, f.revertWithReason(), RevertedWithReason, "a plain reason")
    mines_nothing(chain, probe, f.divide(1, 0), ContractPanicError, "division")
    mines_nothing(chain, probe, f.revertEmpty(), TransactionFailedError, "without a reason")


def test_emptyRevert_isTransactionFailedNotSilent(chain: Chain, probe) -> None:
    with pytest.raises(TransactionFailedError, match="without a reason"):
        chain.transact(probe.functions.revertEmpty(), sender="alice")
    # Sent without the dry run, it is mined as a failure, recorded, and explained the same.
    with pytest.raises(TransactionFailedError, match="without a reason"):
        chain.transact(probe.functions.revertEmpty(), sender="alice", simulate=False)
    assert chain.history[-1].status == 0


def test_outOfGas_saysSo(chain: Chain, probe) -> None:
    with pytest.raises(TransactionFailedError, match="ran out of gas"):
        chain.transact(probe.functions.spin(50), sender="alice", gas=60_000)
    with pytest.raises(TransactionFailedError, match="ran out of gas"):
        chain.transact(probe.functions.spin(50), sender="alice", gas=60_000, simulate=False)


def test_workAboveTheCap_failsAtTheCap(chain: Chain, probe) -> None:
    # ~360 gas per iteration: 50,000 iterations need ~18M gas, more than the cap allows.
    block = chain.w3.eth.block_number
    with pytest.raises(TransactionFailedError, match="ran out of gas"):
        chain.transact(probe.functions.spin(50_000), sender="alice")
    assert chain.w3.eth.block_number == block  # refused by the dry run
    with pytest.raises(TransactionFailedError, match="ran out of gas"):
        chain.transact(probe.functions.spin(50_000), sender="alice", simulate=False)
    assert chain.history[-1].gas_used == TX_GAS_CAP


def test_gasAboveCap_isRefusedBeforeSending(chain: Chain, probe) -> None:
    sent = len(chain.history)
    with pytest.raises(GasLimitError, match="16,777,216"):
        chain.transact(probe.functions.spin(1), sender="alice", gas=TX_GAS_CAP + 1)
    assert len(chain.history) == sent


def test_everyTransaction_carriesAnExplicitGasLimitWithinCap(chain: Chain, probe) -> None:
    chain.transact(probe.functions.spin(3), sender="alice")
    chain.transact(probe.functions.ping(1, TAG, "x"), sender="bob", gas=100_000)
    for record in chain.history:
        sent = chain.w3.eth.get_transaction(record.tx_hash)
        assert sent["gas"] <= TX_GAS_CAP
    assert chain.w3.eth.get_transaction(chain.history[-1].tx_hash)["gas"] == 100_000


def test_unknownSelector_isReportedWithItsData(chain: Chain) -> None:
    data = Web3.keccak(text="NotOurs(uint256)")[:4] + (5).to_bytes(32, "big")
    error = chain.errors.decode(data)
    assert isinstance(error, TransactionFailedError)
    assert "selector 0x" + data[:4].hex() in str(error)


def test_templates_formatTokensAndAccounts(chain: Chain) -> None:
    from mlmarket.contracts.errors import ERC20InsufficientBalance

    data = Web3.keccak(text="ERC20InsufficientBalance(address,uint256,uint256)")[:4]
    body = bytes(12) + bytes.fromhex(chain.address("carol")[2:])
    body += (15 * 10**17).to_bytes(32, "big") + (2 * 10**18).to_bytes(32, "big")
    error = chain.errors.decode(data + body, chain.accounts.name_of)
    assert isinstance(error, ERC20InsufficientBalance)
    assert str(error).startswith("carol (0x90F7")
    assert "has 1.5 tokens but needs 2 tokens" in str(error)


def test_aTransactionSentPastTheChain_doesNotStallTheCachedNonce(chain: Chain, probe) -> None:
    """Local chains cache each sender's next nonce; one sent behind their back is noticed."""
    address = chain.address("alice")
    chain.transact(probe.functions.spin(1), sender="alice")
    start = chain.w3.eth.get_transaction_count(address)
    base_fee = int(chain.w3.eth.get_block("latest")["baseFeePerGas"])
    tx = probe.functions.spin(1).build_transaction(
        {
            "from": address,
            "nonce": start,
            "gas": 100_000,
            "maxFeePerGas": 2 * base_fee + 10**9,
            "maxPriorityFeePerGas": 10**9,
            "chainId": chain.chain_id,
        }
    )
    raw = chain.accounts.resolve("alice").signer.sign_transaction(tx).raw_transaction
    chain.backend.send_raw(bytes(raw), chain.clock.next_block_timestamp())
    chain.transact(probe.functions.spin(2), sender="alice")  # its cached nonce is stale
    assert chain.w3.eth.get_transaction_count(address) == start + 2


def test_onlyIfSucceeds_isRevmsAlone_otherBackendsSimulateFirst(chain: Chain) -> None:
    from mlmarket.errors import BackendNotSupportedError

    assert chain.backend.refuses_failures == (chain.backend.kind == "revm")
    if chain.backend.refuses_failures:
        return  # test_revm_node: one run per transaction, a refused one leaves nothing
    with pytest.raises(BackendNotSupportedError, match="simulate it first"):
        chain.backend.send_raw(b"\x02", None, only_if_succeeds=True)
