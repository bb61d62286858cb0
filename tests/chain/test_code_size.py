"""Contract-size limits (EIP-170 code, EIP-3860 initcode) hold on every local backend."""

from __future__ import annotations

import pytest

from mlmarket.chain import Chain
from mlmarket.errors import TransactionFailedError

MAX_CODE_SIZE = 24_576


def returning_zeros(size: int) -> str:
    """Initcode that deploys ``size`` zero bytes: PUSH2 size, PUSH0, RETURN."""
    return "0x61" + size.to_bytes(2, "big").hex() + "5ff3"


def test_codeAtTheLimit_deploys(chain: Chain) -> None:
    contract, receipt = chain.deploy([], returning_zeros(MAX_CODE_SIZE), sender="carol")
    assert len(chain.w3.eth.get_code(contract.address)) == MAX_CODE_SIZE
    assert receipt["status"] == 1


def test_codeAboveTheLimit_failsAndUsesAllGas(chain: Chain) -> None:
    block = chain.w3.eth.block_number
    with pytest.raises(TransactionFailedError, match="ran out of gas"):
        chain.deploy([], returning_zeros(MAX_CODE_SIZE + 1), sender="carol", gas=6_000_000)
    assert chain.w3.eth.block_number == block  # the dry run refused it: nothing mined
    factory = chain.w3.eth.contract(abi=[], bytecode=returning_zeros(MAX_CODE_SIZE + 1))
    with pytest.raises(TransactionFailedError, match="ran out of gas"):  # sent anyway
        chain.transact(factory.constructor(), sender="carol", gas=6_000_000, simulate=False)
    assert chain.history[-1].gas_used == 6_000_000
