"""Performance stakes through the Market API: held until finalization, slashed below the
threshold and shared above it, exactly as ``Competition.stakeOf`` says; the threshold is
converted from the metric's units exactly; tokens are conserved."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlmarket as mm
from mlmarket.contracts.errors import (
    CompetitionFactoryInvalidMergerDeadline,
    CompetitionFactoryInvalidPublicBoard,
    CompetitionFactoryInvalidStakes,
    CompetitionNoStakeHeld,
)
from mlmarket.contracts.sink import SINK
from mlmarket.errors import ConfigurationError
from mlmarket.market.params import param_names
from mlmarket.market.phases import CompetitionPhaseError
from mlmarket.ml.metrics import ONE, beats_threshold, threshold_score
from mlmarket.units import from_units

DAY = 86_400
PERIODS = {"submission": 2 * DAY, "reveal": DAY, "test_reveal": DAY, "evaluation": 2 * DAY}
STAKE = 5 * 10**18


def create(market: mm.Market, data: pd.DataFrame, **options: object) -> mm.Competition:
    options.setdefault("entry_stake", 5)
    options.setdefault("slash", 0.4)
    options.setdefault("stake_threshold", 0.9)
    return market.competitions.create(
        data=data, target="diagnosis", creator="alice", reward=100, payout=[0.6, 0.4],
        periods=PERIODS, **options,
    )  # fmt: skip


def classifier(c: float) -> object:
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))


def tokens(market: mm.Market, comp: mm.Competition) -> int:
    holders = [*market.chain.accounts.values(), SINK, comp.address,
               market.competitions.score_claims.address]  # fmt: skip
    return sum(market.token.raw_balance_of(h) for h in holders)


def submit_four(comp: mm.Competition) -> None:
    """Three good models, one trained on shuffled labels (below any sensible threshold)."""
    X, y = comp.training_xy()
    shuffled = y.sample(frac=1, random_state=1).to_numpy()
    for who, c in (("bob", 1.0), ("carol", 0.3), ("frank", 0.1)):
        comp.submit(classifier(c).fit(X, y), by=who)
    comp.submit(classifier(1.0).fit(X, shuffled), by="dave")


def test_stakes_payAsTheContractSays_andTokensAreConserved(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer)
    p = comp.params
    assert p.slash_bps == 4_000 and p.stake_threshold == int(Fraction("0.9") * p.samples)
    total = tokens(fresh, comp)
    submit_four(comp)
    X, y = comp.training_xy()
    comp.submit(classifier(1.0).fit(X, y), by="erin")  # never revealed: its stake stays in the pool
    fresh.clock.advance_to(comp.deadline("submission"))
    before = {w: fresh.token.raw_balance_of(w) for w in ("bob", "carol", "frank", "dave")}
    for sub_id in (1, 2, 3, 4):
        comp.reveal(sub_id)
    assert {w: fresh.token.raw_balance_of(w) for w in before} == before  # stakes are held
    held = comp.stakes()
    assert held["id"].tolist() == [1, 2, 3, 4]
    assert held["staker"].tolist() == ["bob", "carol", "frank", "dave"]
    assert (held["payout"] == 0).all() and held["private_score"].isna().all()
    assert held["beats_threshold"].isna().all() and not held["withdrawn"].any()

    fresh.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()
    comp.evaluate()
    assert comp.phase == "finalized"  # every revealed final scored
    scores = {i: int(fresh.chain.call(comp.contract.functions.submission(i))[4])
              for i in (1, 2, 3, 4)}  # fmt: skip
    beats = {i: s > p.stake_threshold for i, s in scores.items()}
    assert beats == {1: True, 2: True, 3: True, 4: False}
    slash = STAKE * p.slash_bps // 10_000
    above, below = sum(beats.values()), 4 - sum(beats.values())
    expected = {i: STAKE + slash * below // above if b else STAKE - slash for i, b in beats.items()}
    table = comp.stakes().set_index("id")
    assert table["beats_threshold"].to_dict() == beats
    assert table["private_score"].to_dict() == {i: s / p.samples for i, s in scores.items()}
    assert table["payout_exact"].to_dict() == {i: from_units(v) for i, v in expected.items()}
    for sub_id, amount in expected.items():
        assert fresh.chain.call(comp.contract.functions.stakeOf(sub_id)) == amount
    assert fresh.chain.call(comp.contract.functions.stakeOf(5)) == 0  # not revealed: none held

    sink = fresh.token.raw_balance_of(SINK)
    comp.finalize()  # the slashes not shared out (the division's remainder) go to the sink
    unshared = slash * below - above * (slash * below // above)
    assert unshared and fresh.token.raw_balance_of(SINK) - sink == unshared
    balances = {w: fresh.token.raw_balance_of(w) for w in ("alice", *before)}
    prizes = {w: fresh.chain.call(comp.contract.functions.claimable(fresh.chain.address(w)))
              for w in balances}  # fmt: skip
    paid = comp.claim_all()
    for sub_id, who in enumerate(("bob", "carol", "frank", "dave"), start=1):
        gained = fresh.token.raw_balance_of(who) - balances[who]
        assert gained == prizes[who] + expected[sub_id]
        assert paid[who] == from_units(gained)
    assert comp.stakes()["withdrawn"].all()
    assert comp.stakes().set_index("id")["payout_exact"].to_dict() == {
        i: from_units(v) for i, v in expected.items()
    }
    assert comp.withdraw_stakes() == {}
    with pytest.raises(CompetitionNoStakeHeld, match="Submission 1 holds no performance stake"):
        fresh.chain.transact(comp.contract.functions.withdrawStake(1), sender="grace")
    assert fresh.token.raw_balance_of(comp.address) == 0  # every held stake and prize paid
    assert tokens(fresh, comp) == total


def test_stakes_comeBackWhole_whenTheCreatorDefaults(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer, stake_threshold=0.99)
    total = tokens(fresh, comp)
    submit_four(comp)
    fresh.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    fresh.clock.advance_to(comp.deadline("test_reveal"))  # the creator never reveals
    comp.evaluate()  # on the training chunks
    assert comp.finalize() == "defaulted"
    balances = {w: fresh.token.raw_balance_of(w) for w in ("bob", "carol", "frank", "dave")}
    assert comp.withdraw_stakes(by="grace") == {i: from_units(STAKE) for i in (1, 2, 3, 4)}
    for who, balance in balances.items():
        assert fresh.token.raw_balance_of(who) - balance == STAKE
    comp.claim_all()
    assert tokens(fresh, comp) == total


def test_withdrawStakes_beforeFinalization_isAPhaseError(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer)
    with pytest.raises(CompetitionPhaseError, match="once it is over"):
        comp.withdraw_stakes()
    plain = fresh.competitions.create(data=cancer, target="diagnosis", creator="alice",
                                      reward=10, periods=PERIODS)  # fmt: skip
    with pytest.raises(ConfigurationError, match="has no performance stakes"):
        plain.stakes()


LABELS = [0, 1, 2] * 9 + [0, 0, 1]  # 30 rows, three classes present


@pytest.mark.parametrize(
    ("metric", "value", "scale"),
    [
        ("accuracy", 0.7, 30),  # 21 correct does not beat 0.7; 22 does
        ("accuracy", 0.81, 30),
        ("balanced_accuracy", 0.75, 3 * ONE),
        ("macro_f1", 0.6, 4 * ONE),  # macro F1 divides by every class (4), present or not
        ("mse", 0.25, 30 * 4**3),
        ("mae", 1.3, 30 * 2**3),
    ],
)
def test_thresholdScore_isBeatenExactlyWhenTheValueIs(
    metric: str, value: float, scale: int
) -> None:
    lower = metric in ("mse", "mae")
    threshold = threshold_score(
        metric, value, labels=LABELS if not lower else list(range(30)), classes=4, label_shift=3
    )
    exact = Fraction(str(value))
    for raw in range(threshold - 3, threshold + 4):
        better = Fraction(raw, scale) < exact if lower else Fraction(raw, scale) > exact
        assert beats_threshold(metric, raw, threshold) == better, raw


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"entry_stake": 0}, "need an entry_stake"),
        ({"stake_threshold": None}, "needs stake_threshold="),
        ({"slash": 0}, "only counts with performance stakes"),
        ({"slash": 1.5}, "a fraction from 0 to 1"),
        ({"slash": 0.00001}, "at most 4 decimals"),
        ({"slash": "lots"}, "a fraction from 0 to 1"),
        ({"stake_threshold": 1.0}, r"up to \(not including\) 1"),
        ({"stake_threshold": -0.1}, r"up to \(not including\) 1"),
        ({"stake_threshold": "high"}, "is a number"),
    ],
)
def test_create_refusesBadStakeOptions_beforeAnythingIsSent(
    fresh: mm.Market, cancer: pd.DataFrame, options: dict[str, object], says: str
) -> None:
    block = fresh.chain.block_number
    with pytest.raises(ConfigurationError, match=says):
        create(fresh, cancer, **options)
    assert fresh.chain.block_number == block


@pytest.mark.parametrize(
    ("change", "error", "says"),
    [
        ({"slash_bps": 5_000, "entry_stake": 0}, CompetitionFactoryInvalidStakes,
         "need an entry stake above zero"),
        ({"slash_bps": 10_001}, CompetitionFactoryInvalidStakes, "at most 10000 basis points"),
        ({"merger_deadline": "after"}, CompetitionFactoryInvalidMergerDeadline,
         "is after the submission deadline"),
        ({"public_root": b"\x01" * 32}, CompetitionFactoryInvalidPublicBoard,
         "A public leaderboard needs public test rows"),
    ],
)  # fmt: skip
def test_factoryRefusals_reachTheCaller_asNamedErrorsWithASentence(
    fresh: mm.Market, cancer: pd.DataFrame, change: dict[str, object], error: type, says: str
) -> None:
    """The contract's own checks, for a caller that skips the package's."""
    comp = create(fresh, cancer)
    if change.get("merger_deadline") == "after":
        change = {"merger_deadline": comp.params.submission_end + 1}
    params = dataclasses.replace(comp.params, **change)  # deadlines still ahead
    factory = fresh.competitions.factory
    fn = factory.functions.createCompetition(params.to_chain(param_names(comp.contract.abi)))
    with pytest.raises(error, match=says):
        fresh.chain.call(fn, sender="alice")
