"""MarketState: one model, refreshed by transactions, batches, cell ends and polling."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace

import pytest
from IPython.core.interactiveshell import InteractiveShell

from mlmarket.chain import connect
from mlmarket.chain.anvil import AnvilProcess
from mlmarket.market import Market
from mlmarket.ui import polling
from mlmarket.ui.events import transaction_log
from mlmarket.ui.state import MarketState
from tests.chain.conftest import require_anvil  # noqa: F401 - shared fixture


def test_state_readsTheMarket(market: Market, state: MarketState) -> None:
    assert state.block == market.chain.block_number
    assert state.tx_count == len(market.chain.history) > 0  # the deployment's transactions
    assert state.balances.loc["alice", "tokens"] == Decimal(1000)
    assert len(state.listings) == 0
    assert state.backend.startswith(f"{market.chain.kind} · chain ")
    assert MarketState.of(market) is state and MarketState.of(state) is state


def test_everyTransaction_refreshesTheState(market: Market, state: MarketState) -> None:
    before = state.tx_count
    market.token.transfer("bob", 5, sender="alice")

    assert state.balances.loc["bob", "tokens"] == Decimal(1005)
    assert state.tx_count == before + 1 and state.transactions[-1].action == "transfer"
    assert state.block == market.chain.block_number
    assert state.events["event"].iloc[-1] == "Transfer"


def test_batch_refreshesTheTablesOnceAtTheEnd(market: Market, state: MarketState) -> None:
    changes: list[object] = []
    state.observe(changes.append, names="balances")
    before = state.tx_count

    with state.batch():
        market.token.transfer("bob", 5, sender="alice")
        market.token.transfer("bob", 5, sender="carol")
        assert state.balances.loc["bob", "tokens"] == Decimal(1000)  # not yet
        assert state.tx_count == before + 2  # the cheap part follows every transaction

    assert len(changes) == 1
    assert state.balances.loc["bob", "tokens"] == Decimal(1010)


def test_throttledRefresh_waitsForAFlush(market: Market) -> None:
    state = MarketState(market, min_interval=60)
    market.token.transfer("bob", 5, sender="alice")
    assert state.dirty and state.balances.loc["bob", "tokens"] == Decimal(1000)

    state.flush()

    assert not state.dirty and state.balances.loc["bob", "tokens"] == Decimal(1005)
    state.close()


def test_sync_noticesTimeTravelAndReverts(market: Market, state: MarketState) -> None:
    events, sent = len(state.events), state.tx_count
    snap = market.chain.snapshot()
    market.token.transfer("bob", 5, sender="alice")
    market.clock.advance(3_600)
    assert state.block == market.chain.block_number - 1  # advancing sends no transaction

    assert state.sync() is True
    assert state.block == market.chain.block_number
    assert state.sync() is False  # nothing changed since

    market.chain.revert(snap)
    assert state.sync() is True
    assert state.balances.loc["bob", "tokens"] == Decimal(1000)
    assert state.tx_count == sent and len(state.events) == events


def test_events_areReadIncrementally_andAgainAfterARevert(
    market: Market, state: MarketState
) -> None:
    before = len(state.events)
    snap = market.chain.snapshot()
    market.token.transfer("bob", 5, sender="alice")
    market.token.transfer("bob", 5, sender="alice")
    assert len(state.events) == before + 2

    market.chain.revert(snap)
    market.token.transfer("carol", 1, sender="dave")  # same block number as the first above

    assert len(state.events) == before + 1
    assert state.events.iloc[-1]["args"]["to"] == "carol"


def test_close_stopsListening(market: Market) -> None:
    state = MarketState(market)
    state.close()
    market.token.transfer("bob", 5, sender="alice")
    assert state.balances.loc["bob", "tokens"] == Decimal(1000)


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    yield shell
    InteractiveShell.clear_instance()


def test_afterEveryCell_theStateCatchesUp(market: Market, shell: InteractiveShell) -> None:
    state = MarketState(market)
    assert state.min_interval == 1.0  # in IPython, bursts of transactions are throttled
    shell.user_ns["market"] = market

    cells = [
        "market.clock.advance(7_200)\n_ = market.token.transfer('bob', 1, sender='alice')",
        "_ = market.token.transfer('bob', 1, sender='alice')",
    ]  # within a second: throttled
    for cell in cells:
        assert shell.run_cell(cell).success

    assert state.block == market.chain.block_number
    assert state.balances.loc["bob", "tokens"] == Decimal(1002)
    state.close()
    hooks = shell.events.callbacks["post_execute"]
    assert not any(getattr(hook, "__self__", None) is state for hook in hooks)


def test_chainIsShared_onlyForNodesOtherProcessesCanReach(market: Market) -> None:
    assert polling.chain_is_shared(market.chain) is False
    rpc = SimpleNamespace(is_local=False, kind="rpc")
    attached = SimpleNamespace(is_local=True, kind="anvil", backend=SimpleNamespace(process=None))
    managed = SimpleNamespace(is_local=True, kind="anvil", backend=SimpleNamespace(process=1))
    assert polling.chain_is_shared(rpc) and polling.chain_is_shared(attached)  # type: ignore[arg-type]
    assert not polling.chain_is_shared(managed)  # type: ignore[arg-type]


def test_polling_isOff_withoutARunningLoop_orWhenTheEnvironmentSaysSo(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert MarketState(market, poll=True).polling is False  # a plain script: no loop

    async def inside_a_loop() -> bool:
        return MarketState(market, poll=True).polling

    monkeypatch.setenv(polling.POLL_ENV, "0")
    assert asyncio.run(inside_a_loop()) is False
    monkeypatch.setenv(polling.POLL_ENV, "1")
    assert asyncio.run(inside_a_loop()) is True


def test_poller_onTheEventLoop_seesWhatNoTransactionAnnounced(market: Market) -> None:
    async def scenario() -> MarketState:
        state = MarketState(market, poll=True)
        state.poller.interval = 0.01
        market.clock.advance(60)  # no transaction: only a poll can notice
        for _ in range(100):
            await asyncio.sleep(0.01)
            if state.block == market.chain.block_number:
                break
        state.close()
        return state

    state = asyncio.run(scenario())
    assert state.block == market.chain.block_number and state.poller.checks >= 1
    assert not state.poller.running


def test_poller_onASharedAnvil_seesAnotherClientsTransactions(require_anvil: None) -> None:  # noqa: F811
    node = AnvilProcess.start()
    try:
        ours = Market.deploy(connect(node.url), record=False)
        theirs = Market(connect(node.url), ours.deployment)  # another client of the node

        async def scenario() -> MarketState:
            state = MarketState(ours)  # a shared node: polling starts by itself
            assert state.polling and "shared node" in state.backend
            state.poller.interval = 0.05
            theirs.token.transfer("bob", 7, sender="carol")
            for _ in range(200):
                await asyncio.sleep(0.05)
                if state.balances.loc["bob", "tokens"] == Decimal(1007):
                    break
            ours.token.transfer("dave", 3, sender="alice")  # ours: read soon, off the loop
            assert state.tx_count == len(ours.chain.history) and state.dirty
            for _ in range(200):
                await asyncio.sleep(0.01)
                if not state.dirty:
                    break
            assert state.balances.loc["dave", "tokens"] == Decimal(1003)
            state.close()
            return state

        state = asyncio.run(scenario())
        assert state.balances.loc["bob", "tokens"] == Decimal(1007)
        log = transaction_log(state.transactions, state.events, ours.accounts.name_of)
        rows = log[["sender", "action", "events"]].head(2).values.tolist()
        assert rows == [["alice", "transfer", "Transfer"], ["carol", "(other process)", "Transfer"]]
    finally:
        node.stop()
