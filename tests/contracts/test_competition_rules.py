"""Competition rules on the real EVM: metrics, one place per participant, entries per
period and final selection (docs/competition-protocol.md, "Rules").

Scores come from MockEvaluator, so every count is set exactly: its tallies label every
row class 0 and a model predicts class 0 on ``value`` rows (support ``[rows, 0, ..]``,
``tp_0 = predicted_0 = value``), and its absolute error equals its value.
"""

from __future__ import annotations

import pytest

from mlmarket.contracts.errors import (
    CompetitionDuplicateFinal,
    CompetitionInvalidFinals,
    CompetitionInvalidMetric,
    CompetitionInvalidPeriod,
    CompetitionNotFinal,
    CompetitionNotInPhase,
    CompetitionNotSubmitter,
    CompetitionPeriodCapReached,
    CompetitionTooManyClassesForMetric,
)
from tests.contracts.test_competition_kit import (
    ACCURACY,
    BALANCED_ACCURACY,
    DEFAULT_EVALUATION,
    DEFAULTED,
    EVALUATION,
    FINALIZED,
    MACRO_F1,
    RANKED,
    RETURNED,
    SAE,
    SSE,
    SUBMISSION,
    TOKEN,
    Competition,
    TestSet,
    World,
    events,
    mock_model,
    to_evaluation,
    world_fixture,  # noqa: F401 - the `world` fixture
)

ONE_CHUNK = TestSet(samples=100, chunk_size=100)


def mined(world: World) -> int:
    return int(world.chain.w3.eth.block_number)


# --- metrics ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("classes", "metric"),
    [(2, SSE), (2, SAE), (0, ACCURACY), (0, BALANCED_ACCURACY), (0, MACRO_F1)],
)
def test_create_refusesAMetricThatDoesNotSuitTheTask(world: World, classes: int, metric: int) -> None:
    block = mined(world)
    with pytest.raises(CompetitionInvalidMetric, match="does not suit") as caught:
        world.create(classes=classes, metric=metric)
    assert (caught.value.metric, caught.value.classes) == (metric, classes)
    assert mined(world) == block + 1  # only the creator's approve was mined


@pytest.mark.parametrize("metric", [BALANCED_ACCURACY, MACRO_F1])
def test_perClassMetrics_takeAtMost32Classes(world: World, metric: int) -> None:
    world.create(classes=32, metric=metric)
    with pytest.raises(CompetitionTooManyClassesForMetric, match="at most 32 classes") as caught:
        world.create(classes=33, metric=metric)
    assert (caught.value.classes, caught.value.limit) == (33, 32)
    world.create(classes=33, metric=ACCURACY)  # accuracy needs no per-class counts


def test_metricView_returnsTheCreatorsChoice(world: World) -> None:
    assert world.create(classes=3, metric=MACRO_F1).call("metric") == MACRO_F1
    assert world.create(classes=0, metric=SAE).call("metric") == SAE
    assert world.create(classes=0).call("metric") == SSE


def _completed(comp: Competition, receipt_ids: list[int]) -> dict[int, int]:
    return {i: comp.call("submission", i)[4] for i in receipt_ids}


def test_balancedAccuracy_isTheFixedPointSumOverClasses(world: World) -> None:
    test_set = TestSet(samples=250, chunk_size=100)  # chunks of 100, 100 and 50 rows
    comp = world.create(test_set=test_set, classes=3, metric=BALANCED_ACCURACY)
    a = comp.commit("alice", mock_model(60, 70, 40))  # 170 of 250 rows right
    b = comp.commit("bob", mock_model(100, 100, 50))  # all right
    to_evaluation(comp, ("alice", a), ("bob", b))
    comp.evaluate(0, [a, b])
    comp.evaluate(2, [a])  # the last chunk's support is counted once, by its first evaluation
    comp.evaluate(2, [b])
    assert comp.call("submission", a)[4] == 100  # running correct count until complete
    receipt = comp.evaluate(1, [a, b])
    completed = {e["args"]["id"]: e["args"]["score"] for e in events(comp.contract, "SubmissionCompleted", receipt)}
    # Support [250, 0, 0]: only class 0 counts; classes without support add nothing.
    assert completed == {a: 170 * 2**64 // 250, b: 2**64}
    assert _completed(comp, [a, b]) == completed
    assert comp.call("ranking") == [b, a]


def test_macroF1_countsPredictionsToo(world: World) -> None:
    test_set = TestSet(samples=250, chunk_size=100)
    comp = world.create(test_set=test_set, classes=4, metric=MACRO_F1)
    a = comp.commit("alice", mock_model(60, 70, 40))
    b = comp.commit("bob", mock_model(0))  # never predicts class 0: F1 0 in every class
    to_evaluation(comp, ("alice", a), ("bob", b))
    comp.evaluate_all([a, b])
    # Class 0: tp 170, support 250, predicted 170; classes 1-3 neither present nor predicted.
    assert comp.call("submission", a)[4] == 2 * 170 * 2**64 // (250 + 170)
    assert comp.call("submission", b)[4] == 0
    assert comp.call("ranking") == [a, b]


def test_meanAbsoluteError_lowerIsBetter(world: World) -> None:
    comp = world.create(classes=0, metric=SAE, payoutBps=[7000, 3000])
    a = comp.commit("alice", mock_model(30, 20, 10))
    b = comp.commit("bob", mock_model(5, 5, 5))
    to_evaluation(comp, ("alice", a), ("bob", b))
    comp.evaluate_all([a, b])
    assert [comp.call("submission", i)[4] for i in (a, b)] == [60, 15]
    assert comp.call("ranking") == [b, a]


def test_perClassMetric_underDefault_usesTheTrainingSupport(world: World) -> None:
    comp = world.create(classes=2, metric=BALANCED_ACCURACY, trainingBaseline=2**63)
    a = comp.commit("alice", mock_model(100))  # all of each training chunk right
    b = comp.commit("bob", mock_model(40))  # 40 per chunk
    comp.to_reveal()
    comp.reveal("alice", a)
    comp.reveal("bob", b)
    world.chain.clock.advance_to(comp.params["testRevealEnd"])  # the creator never reveals
    assert comp.phase() == DEFAULT_EVALUATION
    comp.evaluate_all_training([a, b])
    # 500 training rows in 5 chunks of 100: alice 500/500, bob 200/500 (below the 1/2 baseline).
    assert comp.call("trainingScore", a) == [5, 2**64]
    assert comp.call("trainingScore", b) == [5, 200 * 2**64 // 500]
    assert comp.call("ranking") == [a]
    assert comp.call("outcome") == DEFAULTED


# --- one prize place per participant -------------------------------------------------------


def _complete_in_order(comp: Competition, scores: list[tuple[str, int]]) -> list[int]:
    # Distinct bytes per entry (a repeated value is padded), so no entry is a copy of another.
    ids = [comp.commit(who, mock_model(score, pad=i)) for i, (who, score) in enumerate(scores)]
    to_evaluation(comp, *((who, i) for (who, _), i in zip(scores, ids, strict=True)))
    for i in ids:  # one completion per call, in the given order
        comp.evaluate(0, [i])
    return ids


def test_onePlacePerParticipant_keepsEachParticipantsBest(world: World) -> None:
    comp = world.create(test_set=ONE_CHUNK, multiplePlaces=False)
    ids = _complete_in_order(
        comp, [("alice", 80), ("bob", 85), ("erin", 70), ("dave", 60), ("alice", 90)]
    )
    # Places A (its 90), B, C: alice's 80 left when her 90 arrived, dave never made it.
    assert comp.call("ranking") == [ids[4], ids[1], ids[2]]


def test_onePlacePerParticipant_aWorseLaterEntryChangesNothing(world: World) -> None:
    comp = world.create(test_set=ONE_CHUNK, multiplePlaces=False)
    ids = _complete_in_order(comp, [("alice", 90), ("bob", 85), ("alice", 95), ("alice", 50)])
    assert comp.call("ranking") == [ids[2], ids[1]]


def test_onePlacePerParticipant_aTieKeepsTheEarlierEntry(world: World) -> None:
    comp = world.create(test_set=ONE_CHUNK, multiplePlaces=False)
    ids = _complete_in_order(comp, [("alice", 90), ("alice", 90), ("bob", 90)])
    assert comp.call("ranking") == [ids[0], ids[2]]


def test_multiplePlaces_letsOneAddressHoldSeveral(world: World) -> None:
    comp = world.create(test_set=ONE_CHUNK, multiplePlaces=True)
    ids = _complete_in_order(
        comp, [("alice", 80), ("bob", 85), ("erin", 70), ("dave", 60), ("alice", 90)]
    )
    assert comp.call("ranking") == [ids[4], ids[1], ids[0]]


def test_onePlacePerParticipant_paysTheNextParticipant(world: World) -> None:
    comp = world.create(test_set=ONE_CHUNK, multiplePlaces=False, payoutBps=[6000, 4000])
    _complete_in_order(comp, [("alice", 90), ("alice", 80), ("bob", 70)])
    world.chain.clock.advance_to(comp.params["evaluationEnd"])
    assert comp.phase() == FINALIZED
    pool = 1000 * TOKEN
    assert comp.call("claimable", world.chain.address("alice")) == pool * 6000 // 10_000
    assert comp.call("claimable", world.chain.address("bob")) == pool * 4000 // 10_000


# --- entries per period -------------------------------------------------------------------


def test_entriesPerPeriod_capEachPeriod_andSayWhenTheNextOpens(world: World) -> None:
    comp = world.create(entriesPerPeriod=2, periodLength=100)
    created = comp.call("createdAt")
    comp.commit("alice", mock_model(1))
    comp.commit("alice", mock_model(2))
    comp.commit("bob", mock_model(3))  # per address
    assert comp.call("entriesThisPeriod", world.chain.address("alice")) == 2
    block = mined(world)
    with pytest.raises(CompetitionPeriodCapReached, match="next period opens at") as caught:
        comp.commit("alice", mock_model(4))
    assert (caught.value.cap, caught.value.nextEntryAt) == (2, created + 100)
    assert mined(world) == block
    world.chain.clock.advance_to(created + 100)
    assert comp.call("currentPeriod") == 1
    assert comp.call("entriesThisPeriod", world.chain.address("alice")) == 0
    comp.commit("alice", mock_model(4))
    comp.commit("alice", mock_model(5))
    with pytest.raises(CompetitionPeriodCapReached) as caught:
        comp.commit("alice", mock_model(6))
    assert caught.value.nextEntryAt == created + 200
    assert comp.call("submissionsOf", world.chain.address("alice"))[0] == 4


def test_entriesPerPeriod_needAPeriodLength(world: World) -> None:
    with pytest.raises(CompetitionInvalidPeriod, match="at least one second"):
        world.create(entriesPerPeriod=2, periodLength=0)
    assert world.create(entriesPerPeriod=0, periodLength=0).call("currentPeriod") == 0


# --- finals -------------------------------------------------------------------------------


def test_finals_defaultToTheLastN_andOnlyTheyAreEvaluated(world: World) -> None:
    comp = world.create(test_set=ONE_CHUNK, finals=2, multiplePlaces=False)
    a1 = comp.commit("alice", mock_model(95))
    a2 = comp.commit("alice", mock_model(50))
    b1 = comp.commit("bob", mock_model(60))
    a3 = comp.commit("alice", mock_model(70))
    assert [comp.call("isFinal", i) for i in (a1, a2, b1, a3)] == [False, True, True, True]
    to_evaluation(comp, ("alice", a1), ("alice", a2), ("bob", b1), ("alice", a3))
    assert comp.call("revealedFinalCount") == 3
    block = mined(world)
    with pytest.raises(CompetitionNotFinal, match="not one of its submitter's finals"):
        comp.evaluate(0, [a1])
    assert mined(world) == block
    comp.evaluate(0, [a2, b1])
    assert comp.phase() == EVALUATION
    comp.evaluate(0, [a3])
    assert comp.phase() == FINALIZED  # every revealed final is scored: evaluation ends early
    assert comp.call("ranking") == [a3, b1]


def test_selectFinals_replacesTheDefault_andALaterSelectionReplacesIt(world: World) -> None:
    comp = world.create(test_set=ONE_CHUNK, finals=2)
    a = [comp.commit("alice", mock_model(v)) for v in (95, 50, 70)]
    b = comp.commit("bob", mock_model(60))
    receipt = comp.send("selectFinals", [a[1]], sender="alice")
    (event,) = events(comp.contract, "FinalsSelected", receipt)
    assert event["args"]["ids"] == [a[1]]
    comp.send("selectFinals", [a[2], a[0]], sender="alice")
    assert [comp.call("isFinal", i) for i in (*a, b)] == [True, False, True, True]
    a4 = comp.commit("alice", mock_model(99))  # a chosen selection does not follow new commits
    assert comp.call("isFinal", a4) is False


def test_selectFinals_refusals_mineNothing(world: World) -> None:
    comp = world.create(finals=2)
    a = [comp.commit("alice", mock_model(v)) for v in (1, 2, 3)]
    b = comp.commit("bob", mock_model(4))
    block = mined(world)
    with pytest.raises(CompetitionInvalidFinals, match="between 1 and 2") as caught:
        comp.send("selectFinals", a, sender="alice")
    assert (caught.value.count, caught.value.limit) == (3, 2)
    with pytest.raises(CompetitionInvalidFinals):
        comp.send("selectFinals", [], sender="alice")
    with pytest.raises(CompetitionNotSubmitter, match="not alice"):
        comp.send("selectFinals", [a[0], b], sender="alice")
    with pytest.raises(CompetitionDuplicateFinal, match="listed twice"):
        comp.send("selectFinals", [a[0], a[0]], sender="alice")
    assert mined(world) == block
    comp.to_reveal()
    with pytest.raises(CompetitionNotInPhase) as phase_error:
        comp.send("selectFinals", [a[0]], sender="alice")
    assert phase_error.value.expected == SUBMISSION


def test_selectFinals_withoutFinals_isRefused(world: World) -> None:
    comp = world.create(finals=0)
    a = comp.commit("alice", mock_model(1))
    with pytest.raises(CompetitionInvalidFinals, match="with 0 allowed"):
        comp.send("selectFinals", [a], sender="alice")
    assert comp.call("isFinal", a) is True


def test_finals_onlyNonFinalsRevealed_returnsThePoolToTheCreator(world: World) -> None:
    comp = world.create(test_set=ONE_CHUNK, finals=1)
    a1 = comp.commit("alice", mock_model(90))
    comp.commit("alice", mock_model(10))  # her final, never revealed
    comp.to_reveal()
    comp.reveal("alice", a1)
    assert comp.call("revealedCount") == 1
    assert comp.call("revealedFinalCount") == 0
    comp.to_test_reveal()
    assert comp.phase() == FINALIZED
    assert comp.call("outcome") == RETURNED


def test_finals_rankOnlyFinals_underDefaultToo(world: World) -> None:
    comp = world.create(finals=1)
    a1 = comp.commit("alice", mock_model(100))
    a2 = comp.commit("alice", mock_model(30))
    comp.to_reveal()
    comp.reveal("alice", a1)
    comp.reveal("alice", a2)
    world.chain.clock.advance_to(comp.params["testRevealEnd"])
    assert comp.phase() == DEFAULT_EVALUATION
    with pytest.raises(CompetitionNotFinal):
        comp.evaluate_training(0, [a1])
    comp.evaluate_all_training([a2])
    assert comp.phase() == FINALIZED
    assert comp.call("outcome") == DEFAULTED
    assert comp.call("ranking") == [a2]


def test_rankedOutcome_withFinals(world: World) -> None:
    comp = world.create(test_set=ONE_CHUNK, finals=1, payoutBps=[10_000])
    a1 = comp.commit("alice", mock_model(90))
    b1 = comp.commit("bob", mock_model(80))
    to_evaluation(comp, ("alice", a1), ("bob", b1))
    comp.evaluate(0, [a1, b1])
    assert comp.call("outcome") == RANKED
    assert comp.call("winner")[0] == a1


def test_lowerIsBetter_tiesGoToTheEarlierCommit(world: World) -> None:
    comp = world.create(test_set=ONE_CHUNK, classes=0, metric=SAE, payoutBps=[6000, 4000])
    a = comp.commit("alice", mock_model(7))
    b = comp.commit("bob", mock_model(7, 7))  # the same error, other bytes
    to_evaluation(comp, ("alice", a), ("bob", b))
    comp.evaluate(0, [b])  # the later commit completes first
    comp.evaluate(0, [a])
    assert comp.call("ranking") == [a, b]


def test_finals_aFinalRepeatingAnEarlierNonFinal_stillRanks(world: World) -> None:
    """Re-committing one's best model to make it the last (default) final keeps it placeable:
    only finals count as originals."""
    comp = world.create(test_set=ONE_CHUNK, finals=1, payoutBps=[6000, 4000])
    best = mock_model(90)
    a1 = comp.commit("alice", best)
    a2 = comp.commit("alice", best)  # her final by default: the same bytes
    b1 = comp.commit("bob", mock_model(10))
    to_evaluation(comp, ("alice", a1), ("alice", a2), ("bob", b1))
    assert comp.call("originalOf", comp.call("submission", a2)[3]) == a2
    comp.evaluate(0, [a2, b1])
    assert comp.call("ranking") == [a2, b1]
