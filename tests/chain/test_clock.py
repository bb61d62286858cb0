"""The clock and snapshots behave the same on eth-tester and anvil."""

from __future__ import annotations

import pytest

from mlmarket.chain import Chain
from mlmarket.errors import ChainError, ConfigurationError

TAG = b"\x00" * 32


def test_advance_movesBlockTime(chain: Chain) -> None:
    start = chain.clock.now()
    reached = chain.clock.advance(86_400)
    assert reached >= start + 86_400
    assert chain.clock.latest_block_time() == reached


def test_transactions_areStampedWithTheClock(chain: Chain, probe) -> None:
    target = chain.clock.now() + 7 * 86_400
    chain.clock.advance_to(target)
    receipt = chain.transact(probe.functions.spin(1), sender="alice")
    stamped = chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert target < stamped < target + 60  # strictly after the mined block, within wall drift


def test_timeNeverMovesBackwards(chain: Chain) -> None:
    now = chain.clock.advance(10)
    with pytest.raises(ConfigurationError, match="only moves forward"):
        chain.clock.advance_to(now - 5)
    with pytest.raises(ConfigurationError, match="only moves forward"):
        chain.clock.advance(-1)


def test_revert_restoresStateAndClock_andCanBeRepeated(chain: Chain, probe) -> None:
    chain.transact(probe.functions.spin(2), sender="alice")
    snap = chain.snapshot()
    offset = chain.clock.offset
    for _ in range(2):
        chain.transact(probe.functions.spin(3), sender="alice")
        chain.clock.advance(3_600)
        assert chain.call(probe.functions.total()) == 1 + 3
        chain.revert(snap)
        assert chain.call(probe.functions.total()) == 1
        assert chain.clock.offset == offset


def test_rollback_undoesTheBlock(chain: Chain, probe) -> None:
    with chain.rollback():
        chain.transact(probe.functions.ping(1, TAG, "x"), sender="bob")
        assert chain.call(probe.functions.pings()) == 1
    assert chain.call(probe.functions.pings()) == 0


def test_unknownSnapshot_isAClearError(chain: Chain) -> None:
    with pytest.raises(ChainError, match="No snapshot 99"):
        chain.revert(99)


def test_advanceTo_takesTimestampsAsTheTablesShowThem(chain: Chain) -> None:
    import pandas as pd

    target = chain.clock.now() + 7_200
    assert chain.clock.advance_to(pd.Timestamp(target, unit="s", tz="UTC")) == target
    assert chain.clock.latest_block_time() == target
    with pytest.raises(ConfigurationError, match="no time zone"):
        chain.clock.advance_to(pd.Timestamp(target + 60, unit="s"))
