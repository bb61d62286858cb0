"""Property: defaulting never pays a creator, whatever it submits through other addresses.

A creator that does not reveal its test set sees every revealed model and keeps
the reward unless someone earns it. Here the creator (carol) also controls four
other addresses that submit 0-30 entries: junk (no better than the baseline on
the training data) and copies of honest models, revealed or not. 1-10 honest
entries score anywhere around the baseline. With the defaults
``market.competitions.create()`` uses (creator bond = the reward, winner takes
all, no per-address cap; the reward and the entry stake vary) the test plays the
same submissions twice from one snapshot, once with the test set revealed and
evaluated, once defaulted and scored on the training chunks, and checks:

(a) under default, a submission whose training score is no better than the
    baseline gets nothing, and neither does a copy;
(b) the creator and the addresses it controls end with strictly less than if the
    creator had revealed the test set.

The MockEvaluator scores a constant model ``v`` as ``v`` per chunk on test and
training chunks alike, so every score is set exactly.
"""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlmarket.chain import connect
from mlmarket.market.competitions import CompetitionService
from tests.contracts.test_competition_kit import (
    BPS,
    DEFAULT_EVALUATION,
    DEFAULTED,
    FINALIZED,
    RANKED,
    SINK,
    TOKEN,
    Competition,
    TestSet,
    World,
    make_world,
    mock_model,
    training_set,
)

CREATOR = "carol"
HONEST = ("alice", "bob", "dave", "frank")
SYBILS = ("erin", "grace", "heidi", "ivan")
TRAINING_CHUNKS = 3


def create_defaults() -> dict[str, object]:
    """The defaults of ``market.competitions.create`` that shape the money."""
    parameters = inspect.signature(CompetitionService.create).parameters
    return {name: parameters[name].default for name in parameters}


DEFAULTS = create_defaults()


def default_payout_bps() -> list[int]:
    shares = [Decimal(str(share)) for share in DEFAULTS["payout"]]  # type: ignore[union-attr]
    bps = [int(share * BPS / sum(shares)) for share in shares]
    bps[0] += BPS - sum(bps)
    return bps


@dataclass(frozen=True)
class Honest:
    who: str
    value: int  # its score per chunk, on test and training chunks alike


@dataclass(frozen=True)
class Sybil:
    who: str
    copy_of: int | None  # index of an honest entry it copies, or None for junk
    junk: int  # a junk model's score per chunk, at most the baseline's
    revealed: bool


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Honest], list[Sybil], int]:
    baseline = draw(st.integers(0, 6))  # the baseline's score per training chunk
    honest = draw(
        st.lists(
            st.builds(Honest, st.sampled_from(HONEST), st.integers(0, 10)), min_size=1, max_size=10
        )
    )
    sybils = draw(
        st.lists(
            st.builds(
                Sybil,
                st.sampled_from(SYBILS),
                st.one_of(st.none(), st.integers(0, len(honest) - 1)),
                st.integers(0, baseline),
                st.booleans(),
            ),
            max_size=30,
        )
    )
    return honest, sybils, baseline


@pytest.fixture(scope="module")
def shared_world() -> Iterator[World]:
    """revm when installed (the rules do not depend on the backend), else eth-tester."""
    backend = "revm" if importlib.util.find_spec("pyrevm") else "eth-tester"
    with connect(backend) as chain:
        yield make_world(chain)


def controlled_balance(world: World) -> int:
    return sum(world.token.raw_balance_of(w) for w in (CREATOR, *SYBILS))


def play(world: World, comp: Competition, ids: list[int], *, reveal_test_set: bool) -> None:
    """From the end of the reveal phase: evaluate everything, finish, and claim."""
    comp.to_test_reveal()
    if reveal_test_set:
        comp.reveal_test_set()
        for index in range(len(comp.test_set.chunks)):
            comp.evaluate(index, ids)
    else:
        world.chain.clock.advance_to(comp.params["testRevealEnd"])
        assert comp.phase() == DEFAULT_EVALUATION
        comp.evaluate_all_training(ids)
    assert comp.phase() == FINALIZED
    comp.send("finalize", sender="frank")
    for who in (*HONEST, *SYBILS, CREATOR):
        if comp.call("claimable", world.chain.address(who)):
            comp.send("claim", sender=who)
    assert comp.balance() == 0


@given(
    scenario=scenarios(),
    reward=st.integers(1, 10**21),
    stake=st.sampled_from([0, 0, 1, 5 * TOKEN]),
)
def test_defaultNeverPaysTheCreatorOrJunk(
    shared_world: World, scenario: tuple[list[Honest], list[Sybil], int], reward: int, stake: int
) -> None:
    assert DEFAULTS["creator_bond"] is None  # None means: as much as the reward
    assert DEFAULTS["max_submissions_per_address"] == 0
    honest, sybils, baseline = scenario
    world, chain = shared_world, shared_world.chain
    with chain.rollback():
        comp = world.create(
            CREATOR,
            TestSet(samples=25, chunk_size=10),
            training_set(10, samples=10 * TRAINING_CHUNKS),
            reward=reward,
            creatorBond=reward,
            payoutBps=default_payout_bps(),
            entryStake=stake,
            trainingBaseline=baseline * TRAINING_CHUNKS,
        )
        # Honest entries commit first (a commitment hides the model, so a copy can only
        # follow its original), each sybil entry after; pads keep honest models distinct.
        owners, copies, junk, revealed = {}, set(), set(), []
        models = [mock_model(h.value, pad=i) for i, h in enumerate(honest)]
        for h, model in zip(honest, models, strict=True):
            owners[comp.commit(h.who, model)] = h.who
        for n, s in enumerate(sybils):
            model = models[s.copy_of] if s.copy_of is not None else mock_model(s.junk, pad=99 + n)
            sub_id = comp.commit(s.who, model)
            owners[sub_id] = s.who
            (copies if s.copy_of is not None else junk).add(sub_id)
        comp.to_reveal()
        for sub_id, who in owners.items():
            if who in HONEST or sybils[sub_id - len(honest) - 1].revealed:
                comp.reveal(who, sub_id)
                revealed.append(sub_id)
        before = controlled_balance(world)
        with chain.rollback():
            play(world, comp, revealed, reveal_test_set=True)
            assert comp.call("outcome") == RANKED
            if_revealed = controlled_balance(world) - before
        sink_before = world.token.raw_balance_of(SINK)
        play(world, comp, revealed, reveal_test_set=False)
        assert comp.call("outcome") == DEFAULTED
        if_defaulted = controlled_balance(world) - before
        ranking = comp.call("ranking")
        # (a) nothing for a model no better than the baseline, nor for a copy
        for sub_id in ranking:
            assert sub_id not in copies and sub_id not in junk
            assert comp.call("trainingScore", sub_id)[1] > baseline * TRAINING_CHUNKS
        assert if_defaulted == 0  # the creator and its sybils receive nothing at all
        assert world.token.raw_balance_of(SINK) - sink_before >= reward  # at least the bond
        # (b) defaulting leaves the creator's side strictly worse off than revealing
        assert if_defaulted < if_revealed
