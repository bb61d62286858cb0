"""Property: random scores, ties, copies, reveals, k, bonds and defaults; payouts match a
Python model of the rules.

Each example runs a whole competition (on one shared chain, so examples only
cost their own transactions) and checks the ranking, every account's payout,
what the sink received, that the clone ends empty and that no token is created or lost.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.contracts.test_competition_kit import (
    BPS,
    DEFAULT_EVALUATION,
    FINALIZED,
    SINK,
    TOKEN,
    TestSet,
    World,
    commitment,
    make_world,
    mock_model,
)

PARTICIPANTS = ("alice", "bob", "dave")
CREATOR = "carol"
STAKE = 3 * TOKEN


@dataclass(frozen=True)
class Entry:
    who: str
    values: tuple[int, int]  # per chunk (two chunks, test and training alike)
    pad: int  # extra model bytes: equal values and pad make an identical model (a copy)
    revealed: bool
    chunks_evaluated: int  # 0, 1 or 2 (= complete), on the test or (default) training chunks


@st.composite
def payout_splits(draw: st.DrawFn) -> list[int]:
    k = draw(st.integers(1, 4))
    cuts = sorted(
        draw(st.lists(st.integers(1, BPS - 1), min_size=k - 1, max_size=k - 1, unique=True))
    )
    bounds = [0, *cuts, BPS]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


entries = st.builds(
    Entry,
    who=st.sampled_from(PARTICIPANTS),
    values=st.tuples(st.integers(0, 3), st.integers(0, 3)),  # tiny range: many ties
    pad=st.integers(0, 1),
    revealed=st.booleans(),
    chunks_evaluated=st.sampled_from([2, 2, 2, 1, 0]),
)


def expected_payouts(
    pool: int, bond: int, bps: list[int], subs: list[Entry], regression: bool,
    test_revealed: bool, baseline: int,
) -> tuple[list[int], dict[str, int]]:  # fmt: skip
    """The protocol's rules, independently: (ranking ids, payout per account and the sink)."""
    payouts: dict[str, int] = {}

    def pay(who: str, amount: int) -> None:
        payouts[who] = payouts.get(who, 0) + amount

    revealed = [(i + 1, s) for i, s in enumerate(subs) if s.revealed]
    if not revealed:
        pay(CREATOR, pool + bond)
        return [], payouts
    first_of: dict[tuple[tuple[int, int], int], int] = {}
    for i, s in revealed:
        first_of.setdefault((s.values, s.pad), i)
    complete = [(i, s) for i, s in revealed if s.chunks_evaluated == 2]
    defaulted = not (test_revealed and complete)
    eligible = [(i, s) for i, s in complete if first_of[(s.values, s.pad)] == i]
    if defaulted:
        better = (lambda t: t < baseline) if regression else (lambda t: t > baseline)
        eligible = [(i, s) for i, s in eligible if better(sum(s.values))]
    ranked = sorted(eligible, key=lambda e: (sum(e[1].values) * (1 if regression else -1), e[0]))
    ranked = ranked[: len(bps)]
    paid = 0
    for (_, sub), share_bps in zip(ranked, bps, strict=False):
        amount = pool * share_bps // BPS
        pay(sub.who, amount)
        paid += amount
    pay(SINK if defaulted else CREATOR, pool - paid + bond)
    return [i for i, _ in ranked], payouts


def balances(world: World, clone: str) -> dict[str, int]:
    """Token balances of everyone who can send or receive tokens in an example."""
    return {who: world.token.raw_balance_of(who) for who in (*PARTICIPANTS, CREATOR, clone, SINK)}


@pytest.fixture(scope="module")
def shared_world() -> Iterator[World]:
    built = make_world()
    yield built
    built.chain.close()


@given(
    subs=st.lists(entries, max_size=5),
    bps=payout_splits(),
    regression=st.booleans(),
    staked=st.booleans(),
    test_revealed=st.sampled_from([True, True, True, False]),
    reward=st.integers(1, 10**21),
    bond_part=st.integers(0, 2),
    baseline=st.integers(0, 7),
)
def test_payouts_followTheRules(
    shared_world: World,
    subs: list[Entry],
    bps: list[int],
    regression: bool,
    staked: bool,
    test_revealed: bool,
    reward: int,
    bond_part: int,
    baseline: int,
) -> None:
    world, chain = shared_world, shared_world.chain
    stake = STAKE if staked else 0
    bond = reward * bond_part // 2  # none, half or the whole reward
    comp = world.create(
        CREATOR,
        TestSet(samples=7, chunk_size=4),
        TestSet(samples=7, chunk_size=4, salt=bytes(32), first_slot=100),
        reward=reward,
        creatorBond=bond,
        trainingBaseline=baseline,
        payoutBps=bps,
        classes=0 if regression else 3,
        entryStake=stake,
    )
    everyone = (*PARTICIPANTS, CREATOR)
    before = balances(world, comp.address)
    token = world.token.contract.functions
    if stake:
        for who in {s.who for s in subs}:
            chain.transact(token.approve(comp.address, stake * len(subs)), sender=who)

    models, salts = [], []
    for sub in subs:
        model, salt = mock_model(*sub.values, pad=sub.pad), secrets.token_bytes(32)
        models.append(model)
        salts.append(salt)
        comp.send(
            "commit", commitment(comp.address, chain.address(sub.who), model, salt), sender=sub.who
        )

    comp.to_reveal()
    for i, sub in enumerate(subs):
        if sub.revealed:
            comp.send("reveal", i + 1, models[i], salts[i], "", sender=sub.who)
    comp.to_test_reveal()
    any_revealed = any(s.revealed for s in subs)
    if test_revealed and any_revealed:
        comp.reveal_test_set()
        for chunk in (0, 1):
            ids = [i + 1 for i, s in enumerate(subs) if s.revealed and s.chunks_evaluated > chunk]
            if ids:
                comp.evaluate(chunk, ids, models=[models[i - 1] for i in ids])
    if comp.phase() not in (FINALIZED, DEFAULT_EVALUATION):
        # The default window opens at testRevealEnd without a test reveal, else at evaluationEnd.
        chain.clock.advance_to(
            comp.params["evaluationEnd" if comp.call("testSetRevealed") else "testRevealEnd"]
        )
    if comp.phase() == DEFAULT_EVALUATION:
        for chunk in (0, 1):
            ids = [i + 1 for i, s in enumerate(subs) if s.revealed and s.chunks_evaluated > chunk]
            if ids:
                comp.evaluate_training(chunk, ids, models=[models[i - 1] for i in ids])
        if comp.phase() != FINALIZED:
            chain.clock.advance_to(comp.call("defaultEvaluationEnd"))
    assert comp.phase() == FINALIZED

    pool = reward + stake * sum(not s.revealed for s in subs)
    ranking, payouts = expected_payouts(
        pool, bond, bps, subs, regression, test_revealed and any_revealed, baseline
    )
    assert comp.call("prizePool") == pool
    assert comp.call("ranking") == ranking
    assert {w: comp.call("claimable", chain.address(w)) for w in everyone} == {
        w: payouts.get(w, 0) for w in everyone
    }
    sink_before = world.token.raw_balance_of(SINK)
    for who in everyone:
        if payouts.get(who, 0):
            comp.send("claim", sender=who)
    if not comp.call("finalized"):  # nobody had anything to claim
        comp.send("finalize", sender="alice")
    assert world.token.raw_balance_of(SINK) - sink_before == payouts.get(SINK, 0)
    assert comp.balance() == 0
    after = balances(world, comp.address)
    assert sum(after.values()) == sum(before.values())
    for who in PARTICIPANTS:
        forfeited = stake * sum(1 for s in subs if s.who == who and not s.revealed)
        assert after[who] == before[who] - forfeited + payouts.get(who, 0)
