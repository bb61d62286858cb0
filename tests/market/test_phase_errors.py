"""Steps out of their phase: refused with the deadline in words, relative to chain time."""

from __future__ import annotations

import doctest
import re

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlmarket as mm
import mlmarket.market.phases as phases
from mlmarket.contracts.errors import CompetitionNotInPhase
from mlmarket.market.competition import Competition
from mlmarket.market.phases import CompetitionPhaseError, moment, phase_refusal

HOUR = 3_600


def open_competition(market: mm.Market, data: pd.DataFrame, **options: object) -> Competition:
    settings = {"data": data, "target": "diagnosis", "creator": "alice", "reward": 100}
    return market.competitions.create(**(settings | options))


def fitted(comp: Competition) -> object:
    X, y = comp.training_xy()
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(X, y)


def refused(act: object, words: str) -> CompetitionPhaseError:
    """The refusal ``act()`` raises: a CompetitionNotInPhase whose sentence is ``words``."""
    with pytest.raises(CompetitionNotInPhase) as caught:
        act()  # type: ignore[operator]
    assert isinstance(caught.value, CompetitionPhaseError)
    assert re.fullmatch(words, str(caught.value)), str(caught.value)
    assert "needs phase" not in str(caught.value)  # the contract's numbers are not shown
    return caught.value


def test_aLateSubmission_saysWhenSubmissionsClosed_andSendsNothing(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = open_competition(fresh, cancer, entry_stake=5)
    model = fitted(comp)
    deadline = comp.deadline("submission")
    fresh.clock.advance_to(deadline + 12 * 60 + 30)  # 30 s for the test to run
    sent = len(fresh.chain.history)

    error = refused(
        lambda: comp.submit(model, by="bob"),
        re.escape(
            f"Submissions closed at {moment(deadline)}, 12 min ago (chain time). The "
            f"competition is in its reveal phase until {moment(comp.deadline('reveal'))} "
            "(in 23 h 47 min)."
        ),
    )
    assert (error.needed, error.current) == ("submission", "reveal")
    assert (error.expected, error.actual) == (0, 1)  # the contract's numbers, kept
    assert len(fresh.chain.history) == sent  # not even the stake's approval was sent


def test_anEarlyReveal_saysWhenRevealsOpen(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    comp = open_competition(fresh, cancer)
    comp.submit(fitted(comp), by="bob")
    fresh.clock.advance_to(comp.deadline("submission") - (2 * HOUR + 5 * 60 + 30))

    refused(
        comp.reveal,  # the contract refuses it: its refusal is translated
        re.escape(
            f"Reveals open at {moment(comp.deadline('submission'))}, in 2 h 5 min (chain "
            "time). The competition is in its submission phase."
        ),
    )


def test_theCreatorLate_andEarly_forTheTestSet(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    comp = open_competition(fresh, cancer)
    comp.submit(fitted(comp), by="bob")
    fresh.clock.advance(30)  # durations below are whole minutes
    refused(
        comp.reveal_test_set,
        r"The test set can be revealed from the end of the reveals, at .* UTC, in 2 d \d+ h "
        r"\(chain time\)\. The competition is in its submission phase until .* \(in 1 d 23 h\)\.",
    )
    fresh.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    fresh.clock.advance_to(comp.deadline("test_reveal") + 3 * HOUR + 30)  # the creator defaulted
    ends = comp.deadlines()

    refused(
        comp.reveal_test_set,
        re.escape(
            f"The test-set reveal closed at {moment(ends['test_reveal'])}, 3 h ago (chain "
            "time). The competition is in its default evaluation phase until "
            f"{moment(ends['default_evaluation'])} (in 1 d 20 h)."
        ),
    )


def test_claimsBeforeTheEnd_andEvaluationAfterIt(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    comp = open_competition(fresh, cancer)
    comp.submit(fitted(comp), by="bob")
    fresh.clock.advance(30)  # durations below are whole minutes
    refused(
        lambda: comp.claim(by="bob"),
        r"Prizes can be claimed \(and the competition finalized\) once it is over: its "
        r"submission phase ends at .* UTC, in 1 d 23 h \(chain time\)\. The competition is in "
        r"its submission phase\.",
    )
    fresh.clock.advance_to(comp.deadline("submission") + 30)
    comp.reveal()
    refused(
        comp.evaluate,
        r"Evaluation opens after the test-set reveal, at the earliest at .* UTC, in 23 h 59 min "
        r"\(chain time\)\. The competition is in its reveal phase\.",
    )
    fresh.clock.advance_to(comp.deadline("reveal") + 30)
    comp.reveal_test_set()
    refused(comp.reveal_test_set, r"The test set is already revealed\. The competition is in "
            r"its evaluation phase until .* \(in 2 d 23 h\)\.")  # fmt: skip
    comp.evaluate()
    assert comp.phase == "finalized"

    refused(
        comp.evaluate,
        r"Evaluation is over before its deadline: every revealed model is scored\. The "
        r"competition is finalized\.",
    )


@pytest.mark.parametrize(
    ("needed", "current", "test_revealed", "words"),
    [
        ("test_reveal", "finalized", False, "No submission was revealed by the end of the "
         "reveals (1970-01-03 00:00:00 UTC), so there is nothing to test. The competition is "
         "finalized."),
        ("evaluation", "finalized", False, "No submission was revealed by the end of the "
         "reveals (1970-01-03 00:00:00 UTC), so there is nothing to evaluate. The competition "
         "is finalized."),
        ("evaluation", "test_reveal", False, "Evaluation opens once the creator reveals the test "
         "set, at the latest at 1970-01-04 00:00:00 UTC, in 12 h (chain time). The competition "
         "is in its test reveal phase."),
        ("finalized", "evaluation", True, "Prizes can be claimed (and the competition finalized)"
         " once it is over: its evaluation phase ends at 1970-01-06 00:00:00 UTC, in 2 d 12 h "
         "(chain time), or earlier once every revealed model is scored. The competition is in "
         "its evaluation phase."),
        ("reveal", "reveal", False, "The competition is in its reveal phase: this step is open."),
    ],
)  # fmt: skip
def test_phaseRefusal_saysWhyInEachCase(
    needed: str, current: str, test_revealed: bool, words: str
) -> None:
    day = 86_400
    ends = {"submission": day, "reveal": 2 * day, "test_reveal": 3 * day, "evaluation": 5 * day}
    now = int(2.5 * day)
    assert phase_refusal(needed, current, ends, now, test_revealed=test_revealed) == words


def test_phaseRefusal_takesTheTimestampsOfTheTables() -> None:
    ends = {"submission": pd.Timestamp(100, unit="s", tz="UTC"), "reveal": pd.NaT}
    assert phase_refusal("submission", "reveal", ends, 160) == (
        "Submissions closed at 1970-01-01 00:01:40 UTC, 1 min ago (chain time). The "
        "competition is in its reveal phase."
    )


def test_docstringExamples_run() -> None:
    results = doctest.testmod(phases, optionflags=doctest.ELLIPSIS)
    assert results.failed == 0 and results.attempted > 0
