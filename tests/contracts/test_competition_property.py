"""Property: random scores, ties, reveals and k; payouts match a Python model of the rules.

Each example runs a whole competition (on one shared chain, so examples only
cost their own transactions) and checks the ranking, every account's payout,
that the clone ends empty and that no token is created or lost.
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
    FINALIZED,
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
    values: tuple[int, int]  # per chunk (two chunks)
    revealed: bool
    chunks_evaluated: int  # 0, 1 or 2 (= complete)


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
    revealed=st.booleans(),
    chunks_evaluated=st.sampled_from([2, 2, 2, 1, 0]),
)


def expected_payouts(
    pool: int, bps: list[int], subs: list[Entry], regression: bool, test_revealed: bool
) -> tuple[list[int], dict[str, int]]:
    """The protocol's rules, independently: (ranking ids, payout per account)."""
    payouts: dict[str, int] = {}

    def pay(who: str, amount: int) -> None:
        payouts[who] = payouts.get(who, 0) + amount

    revealed = [(i + 1, s) for i, s in enumerate(subs) if s.revealed]
    complete = [(i, s) for i, s in revealed if test_revealed and s.chunks_evaluated == 2]
    if complete:
        ranked = sorted(
            complete, key=lambda e: (sum(e[1].values) * (1 if regression else -1), e[0])
        )
        ranked = ranked[: len(bps)]
        paid = 0
        for (_, sub), share_bps in zip(ranked, bps, strict=False):
            amount = pool * share_bps // BPS
            pay(sub.who, amount)
            paid += amount
        pay(CREATOR, pool - paid)
        return [i for i, _ in ranked], payouts
    if revealed:
        share = pool // len(revealed)
        for _, sub in revealed:
            pay(sub.who, share)
        pay(revealed[0][1].who, pool - share * len(revealed))
        return [], payouts
    pay(CREATOR, pool)
    return [], payouts


def balances(world: World, clone: str) -> dict[str, int]:
    """Token balances of everyone who can send or receive tokens in an example."""
    return {who: world.token.raw_balance_of(who) for who in (*PARTICIPANTS, CREATOR, clone)}


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
)
def test_payouts_followTheRules(
    shared_world: World,
    subs: list[Entry],
    bps: list[int],
    regression: bool,
    staked: bool,
    test_revealed: bool,
    reward: int,
) -> None:
    world, chain = shared_world, shared_world.chain
    stake = STAKE if staked else 0
    comp = world.create(
        CREATOR,
        TestSet(samples=7, chunk_size=4),
        reward=reward,
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
        model, salt = mock_model(*sub.values, pad=secrets.randbelow(4)), secrets.token_bytes(32)
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
    if comp.phase() != FINALIZED:
        comp.to_evaluation_end()

    pool = reward + stake * sum(not s.revealed for s in subs)
    ranking, payouts = expected_payouts(pool, bps, subs, regression, test_revealed and any_revealed)
    assert comp.call("prizePool") == pool
    assert comp.call("ranking") == ranking
    assert {w: comp.call("claimable", chain.address(w)) for w in everyone} == {
        w: payouts.get(w, 0) for w in everyone
    }
    for who in everyone:
        if payouts.get(who, 0):
            comp.send("claim", sender=who)
    assert comp.balance() == 0
    after = balances(world, comp.address)
    assert sum(after.values()) == sum(before.values())
    for who in PARTICIPANTS:
        forfeited = stake * sum(1 for s in subs if s.who == who and not s.revealed)
        assert after[who] == before[who] - forfeited + payouts.get(who, 0)
