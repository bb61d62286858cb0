"""Performance stakes on the real EVM: ``slashBps`` / ``stakeThreshold``, Competition.stakeOf,
withdrawStake and what finalization sends to the sink (docs/competition-protocol.md,
"Performance stakes").

With ``slashBps`` set, the entry stake of a revealed final stays in the clone until the
Finalized phase. Then ``withdrawStake(id)`` (anyone may call it) pays the account that
committed: the whole stake if the submission was not scored on every test chunk or the
outcome is not Ranked; ``stake - slash`` (slash = stake x slashBps / 10,000, rounded down)
if its score does not strictly beat the threshold (strictly below it for the error sums);
``stake + slash x below / above`` (rounded down) if it does. The slashed stakes the shares
leave (the division's remainder, or all of them when nobody beats the threshold) go to the
sink at finalization. MockEvaluator: ``mock_model(v)`` scores ``v`` on each of the 3 test
chunks, a total of ``3 v``. The wall clock is frozen; a refused call mines nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from mlmarket.contracts.errors import (
    CompetitionFactoryInvalidStakes,
    CompetitionNoStakeHeld,
    CompetitionNotInPhase,
)
from tests.contracts.test_competition_kit import (
    BPS,
    DEFAULTED,
    EVALUATION,
    FINALIZED,
    HOLDERS,
    RANKED,
    REVEAL,
    SINK,
    SSE,
    TOKEN,
    Competition,
    World,
    events,
    mock_model,
    to_evaluation,
    world_fixture,  # noqa: F401 - the `world` fixture
)
from tests.contracts.test_data_market import freeze_wall_clock
from tests.contracts.test_score_claims import balances, mined, refused
from tests.contracts.test_teams import form

STAKE = 10 * TOKEN
SLASH_BPS = 2500
SLASH = STAKE * SLASH_BPS // BPS  # 2.5 tokens
THRESHOLD = 150  # a total of 3 x 50: a model of 50 per chunk does not beat it


@pytest.fixture(autouse=True)
def _frozen_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_wall_clock(monkeypatch)


def staked(world: World, **overrides: Any) -> Competition:
    values: dict[str, Any] = {
        "entryStake": STAKE,
        "slashBps": SLASH_BPS,
        "stakeThreshold": THRESHOLD,
    }
    values.update(overrides)
    return world.create(**values)


def stake_of(comp: Competition, sub_id: int) -> int:
    return comp.call("stakeOf", sub_id)


def withdraw(comp: Competition, sub_id: int, sender: str = "ivan") -> int:
    """Withdraw ``sub_id``'s stake (``ivan`` pays the gas); returns the amount logged."""
    receipt = comp.send("withdrawStake", sub_id, sender=sender)
    (event,) = events(comp.contract, "StakeWithdrawn", receipt)
    assert event["args"]["id"] == sub_id
    return event["args"]["amount"]


def total(comp: Competition) -> int:
    """Every token the holders, the clone, the score-claims contract and the sink hold."""
    return sum(balances(comp).values())


# --- the factory's checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slash", "stake"),
    [(10_001, STAKE), (1, 0), (65_535, STAKE)],
    ids=["over 100 %", "no stake", "max"],
)
def test_create_refusesInvalidStakes(world: World, slash: int, stake: int) -> None:
    block = mined(world)
    with pytest.raises(CompetitionFactoryInvalidStakes) as caught:
        staked(world, slashBps=slash, entryStake=stake)
    assert (caught.value.slashBps, caught.value.entryStake) == (slash, stake)
    assert mined(world) == block + 1  # the approve only


def test_create_acceptsAWholeSlash_andNoneWithoutAStake(world: World) -> None:
    assert staked(world, slashBps=BPS).params["slashBps"] == BPS
    comp = world.create(entryStake=0, slashBps=0, stakeThreshold=123)
    assert comp.call("params")[-1] == 123


# --- amounts -------------------------------------------------------------------------------------


def test_withdrawStake_paysAboveBelowUnscoredAndTheSinkExactly(world: World) -> None:
    comp = staked(world)
    start = balances(comp)
    supply = total(comp)
    values = {"alice": 60, "bob": 55, "heidi": 52, "dave": 50, "erin": 10, "grace": 99}
    ids = {who: comp.commit(who, mock_model(v)) for who, v in values.items()}
    hidden = comp.commit("frank", mock_model(70))  # never revealed: its stake is in the pool
    comp.to_reveal()
    for who, sub_id in ids.items():
        comp.reveal(who, sub_id)
    # Held, not returned: the revealers are still down their stakes, and the pool is unchanged.
    assert balances(comp)["alice"] == start["alice"] - STAKE
    assert comp.call("prizePool") == comp.params["reward"] + STAKE
    assert comp.balance() == comp.params["reward"] + 7 * STAKE
    comp.to_test_reveal()
    comp.reveal_test_set()
    scored = [ids[w] for w in ("alice", "bob", "heidi", "dave", "erin")]  # grace stays unscored
    comp.evaluate_all(scored)
    assert comp.phase() == EVALUATION
    assert stake_of(comp, ids["alice"]) == 0  # nothing before the Finalized phase
    error = refused(comp, CompetitionNotInPhase, comp.fn.withdrawStake(ids["alice"]), sender="ivan")
    assert (error.expected, error.actual) == (FINALIZED, EVALUATION)
    comp.to_evaluation_end()
    assert comp.call("outcome") == RANKED
    # 3 above (180, 165, 156), 2 below (150 is not above 150; 30): 5 tokens slashed, shared by 3.
    share = 2 * SLASH // 3
    remainder = 2 * SLASH - 3 * share
    assert remainder == 2  # 5e18 = 3 x 1666666666666666666 + 2
    expected = {
        "alice": STAKE + share, "bob": STAKE + share, "heidi": STAKE + share,
        "dave": STAKE - SLASH, "erin": STAKE - SLASH, "grace": STAKE,
    }  # fmt: skip
    for who, amount in expected.items():
        assert stake_of(comp, ids[who]) == amount, who
    assert stake_of(comp, hidden) == 0
    # The first withdrawal finalizes: the unshared remainder goes to the sink then.
    sink = balances(comp)[SINK]
    receipt = comp.send("withdrawStake", ids["dave"], sender="ivan")
    assert len(events(comp.contract, "CompetitionFinalized", receipt)) == 1
    (event,) = events(comp.contract, "StakeWithdrawn", receipt)
    assert dict(event["args"]) == {
        "id": ids["dave"], "staker": world.chain.address("dave"), "amount": STAKE - SLASH,
    }  # fmt: skip
    assert balances(comp)[SINK] == sink + remainder
    for who in ("alice", "bob", "heidi", "erin", "grace"):
        assert withdraw(comp, ids[who]) == expected[who]
    # The places share the pool: the reward and frank's forfeited stake; no dust is left.
    pool = comp.params["reward"] + STAKE
    prizes = {"alice": pool * 6000 // BPS, "bob": pool * 3000 // BPS, "heidi": pool * 1000 // BPS}
    assert sum(prizes.values()) == pool
    assert comp.call("claimable", world.chain.address("carol")) == 0
    for who in prizes:
        comp.send("claim", sender=who)
    end = balances(comp)
    for who, amount in expected.items():
        assert end[who] == start[who] - STAKE + amount + prizes.get(who, 0), who
    assert end["frank"] == start["frank"] - STAKE
    assert end["ivan"] == start["ivan"]  # calling pays the staker, not the caller
    assert end["carol"] == start["carol"]  # escrowed before `start`; no place left for her
    assert end[SINK] == start[SINK] + remainder
    assert end[comp.address] == 0
    assert total(comp) == supply


def test_withdrawStake_twice_orForNoHeldStake_isRefused(world: World) -> None:
    comp = staked(world, finals=1)
    early = comp.commit("alice", mock_model(60))  # not a final: its stake comes back at reveal
    final = comp.commit("alice", mock_model(61))
    hidden = comp.commit("bob", mock_model(62))
    start = balances(comp)
    comp.to_reveal()
    comp.reveal("alice", early)
    assert balances(comp)["alice"] == start["alice"] + STAKE
    comp.reveal("alice", final)
    assert balances(comp)["alice"] == start["alice"] + STAKE
    comp.to_test_reveal()
    comp.reveal_test_set()
    comp.evaluate_all([final])
    assert comp.phase() == FINALIZED
    assert withdraw(comp, final) == STAKE  # the only staked final: nobody to share with
    for sub_id in (final, early, hidden, 0, 4, 2**256 - 1):
        error = refused(comp, CompetitionNoStakeHeld, comp.fn.withdrawStake(sub_id), sender="bob")
        assert error.id == sub_id
        assert stake_of(comp, sub_id) == 0


def test_withdrawStake_lowerIsBetter_beatsOnlyStrictlyBelowTheThreshold(world: World) -> None:
    comp = staked(world, classes=0, metric=SSE, stakeThreshold=60)  # errors: 3 v per model
    a = comp.commit("alice", mock_model(19))  # 57 < 60: beats it
    b = comp.commit("bob", mock_model(20))  # 60: does not
    d = comp.commit("dave", mock_model(30))  # 90: does not
    to_evaluation(comp, ("alice", a), ("bob", b), ("dave", d))
    comp.evaluate_all([a, b, d])
    assert comp.phase() == FINALIZED
    expected = [STAKE + 2 * SLASH, STAKE - SLASH, STAKE - SLASH]
    assert [stake_of(comp, i) for i in (a, b, d)] == expected
    sink = balances(comp)[SINK]
    assert [withdraw(comp, i) for i in (a, b, d)] == expected
    assert balances(comp)[SINK] == sink  # shared exactly: nothing unshared


def test_withdrawStake_nobodyAbove_sendsEverySlashToTheSink(world: World) -> None:
    comp = staked(world, stakeThreshold=10**9)
    a = comp.commit("alice", mock_model(60))
    b = comp.commit("bob", mock_model(55))
    to_evaluation(comp, ("alice", a), ("bob", b))
    comp.evaluate_all([a, b])
    sink = balances(comp)[SINK]
    comp.send("finalize", sender="ivan")
    assert balances(comp)[SINK] == sink + 2 * SLASH
    assert [withdraw(comp, i) for i in (a, b)] == [STAKE - SLASH, STAKE - SLASH]


def test_withdrawStake_wholeSlash_leavesNothingBelow_andDoublesAboveShares(world: World) -> None:
    comp = staked(world, slashBps=BPS)
    a = comp.commit("alice", mock_model(60))
    b = comp.commit("bob", mock_model(40))
    d = comp.commit("dave", mock_model(30))
    to_evaluation(comp, ("alice", a), ("bob", b), ("dave", d))
    comp.evaluate_all([a, b, d])
    assert [stake_of(comp, i) for i in (a, b, d)] == [3 * STAKE, 0, 0]
    assert withdraw(comp, a) == 3 * STAKE
    error = refused(comp, CompetitionNoStakeHeld, comp.fn.withdrawStake(b), sender="bob")
    assert error.id == b
    assert comp.balance() == comp.params["reward"]  # only the places are left to claim


def test_withdrawStake_afterACreatorDefault_returnsWholeStakes(world: World) -> None:
    comp = staked(world)
    a = comp.commit("alice", mock_model(60))
    b = comp.commit("bob", mock_model(10))
    comp.to_reveal()
    comp.reveal("alice", a)
    comp.reveal("bob", b)
    comp.chain.clock.advance_to(comp.call("defaultEvaluationEnd"))  # no test reveal, no scoring
    assert comp.phase() == FINALIZED
    assert comp.call("outcome") == DEFAULTED
    sink = balances(comp)[SINK]
    assert [withdraw(comp, i) for i in (a, b)] == [STAKE, STAKE]
    # The creator's default burns the pool, never the stakes.
    assert balances(comp)[SINK] == sink + comp.params["reward"]
    assert comp.balance() == 0


def test_withdrawStake_paysTheTeamMemberWhoCommitted(world: World) -> None:
    comp = staked(world, multiplePlaces=False)
    team = form(comp, ["alice", "bob"])
    start = balances(comp)
    sub_id = comp.commit("bob", mock_model(60), entrant=team)
    comp.to_reveal()
    comp.reveal("alice", sub_id)
    comp.to_test_reveal()
    comp.reveal_test_set()
    comp.evaluate_all([sub_id])
    receipt = comp.send("withdrawStake", sub_id, sender="erin")
    (event,) = events(comp.contract, "StakeWithdrawn", receipt)
    assert event["args"]["staker"] == world.chain.address("bob")
    assert event["args"]["amount"] == STAKE
    end = balances(comp)
    assert end["bob"] == start["bob"] and end["alice"] == start["alice"]


def test_stakes_whenEveryoneWithdrawsAndClaims_leaveTheCloneEmpty(world: World) -> None:
    """Conservation over a whole competition with performance stakes: the sum over every
    holder, the clone and the sink never changes, and the clone ends empty."""
    comp = staked(world, creatorBond=7 * TOKEN, reward=1000 * TOKEN + 3)
    supply = total(comp)
    people = {"alice": 70, "bob": 51, "dave": 50, "erin": 40, "frank": 90}
    ids = {who: comp.commit(who, mock_model(v)) for who, v in people.items()}
    assert total(comp) == supply
    comp.to_reveal()
    for who in ("alice", "bob", "dave", "erin"):  # frank never reveals
        comp.reveal(who, ids[who])
    assert comp.phase() == REVEAL
    comp.to_test_reveal()
    comp.reveal_test_set()
    comp.evaluate_all([ids[w] for w in ("alice", "bob", "dave", "erin")])
    assert comp.phase() == FINALIZED
    for sub_id in ids.values():
        if stake_of(comp, sub_id):
            withdraw(comp, sub_id)
        assert total(comp) == supply
    for who in HOLDERS:
        if comp.call("claimable", world.chain.address(who)):
            comp.send("claim", sender=who)
    assert comp.balance() == 0
    assert total(comp) == supply
