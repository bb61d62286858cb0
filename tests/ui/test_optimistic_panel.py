"""Optimistic evaluation in the dashboard: the form's fields, the claims table, Claim scores,
Watch now and watching on every refresh (docs/competition-protocol.md, section 4b)."""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlmarket.market import Market
from mlmarket.market.competition import Competition
from mlmarket.ui import CompetitionsPanel
from tests.ui.conftest import open_competition, sent


def to_evaluation(market: Market, comp: Competition) -> None:
    X, y = comp.training_xy()
    for who, c in (("bob", 1.0), ("carol", 0.01)):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))
        comp.submit(model.fit(X, y), by=who)
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    market.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()


def wrong_claim(comp: Competition, sub_id: int) -> None:
    leaves = comp.chunk_results(sub_id)
    leaves[-1] = [leaves[-1][0] + 3]
    comp.post_claim(sub_id, leaves, by="carol")


def test_form_createsAnOptimisticCompetition_andRefusesBondsOnChain(market: Market) -> None:
    panel = CompetitionsPanel(market)
    form = panel.form
    form.challenge_hours.value = "3"
    before = sent(market)
    panel.create_button.click()
    assert "are for optimistic evaluation" in panel.feedback.value and sent(market) == before
    form.evaluation.value = "optimistic"
    form.claim_bond.value, form.challenge_bond.value = "12", "1.5"
    request = form.request()
    assert (request["evaluation"], request["challenge_window"]) == ("optimistic", 10_800)
    panel.create_button.click()
    params = market.competitions.get(0).params
    assert (params.challenge_window, params.claim_bond, params.challenge_bond) == (
        10_800, 12 * 10**18, 15 * 10**17,
    )  # fmt: skip
    assert ("optimistic evaluation: claims open to challenges for 3 h, claim bond 12, "
            "challenge bond 1.5") in panel.info.value  # fmt: skip


def test_claimScores_andWatchNow_fromThePanel(market: Market) -> None:
    comp = open_competition(market, "breast_cancer", evaluation="optimistic")
    panel = CompetitionsPanel(market)
    assert panel.claim_scores_button.disabled
    assert panel.claim_scores_button.tooltip.startswith("Evaluation opens")
    to_evaluation(market, comp)
    panel.state.refresh()
    assert not panel.claim_scores_button.disabled
    assert "no score claim yet" in panel.claims_view.value
    assert panel.finalize_button.disabled
    panel.claimer.value = "grace"
    panel.claim_scores_button.click()
    assert "grace claimed the scores of #1, #2 (2 claim(s)" in panel.feedback.value
    assert panel.claims_view.value.count('class="mlm-claim-open"') == 2
    wrong_claim(comp, 2)
    panel.state.refresh()
    panel.watcher.value = "erin"
    panel.watch_button.click()
    assert panel.feedback.value.count("challenged claim #3 on chunk") == 1
    assert "voided" in panel.feedback.value
    assert 'class="mlm-claim-voided"' in panel.claims_view.value
    logged = panel.state.events
    claims_log = logged[logged["contract"] == "ScoreClaims"]["event"].tolist()
    assert claims_log == ["ClaimPosted", "ClaimPosted", "ClaimPosted", "ClaimVoided"]


def test_watchOnRefresh_challengesAWrongClaimOnce(market: Market) -> None:
    comp = open_competition(market, "breast_cancer", evaluation="optimistic")
    panel = CompetitionsPanel(market)
    to_evaluation(market, comp)
    comp.claim_scores(by="grace")
    panel.watch_toggle.value = True  # nothing wrong yet: no transaction
    before = sent(market)
    panel.state.refresh()
    assert sent(market) == before
    wrong_claim(comp, 1)
    panel.state.refresh()
    challenges = [r for r in market.chain.history if r.action == "challenge"]
    assert len(challenges) == 1 and 'class="mlm-claim-voided"' in panel.claims_view.value
    panel.state.refresh()
    assert len([r for r in market.chain.history if r.action == "challenge"]) == 1
    panel.watch_toggle.value = False
    market.clock.advance(comp.params.challenge_window + 1)
    panel.state.refresh()
    assert panel.claims_view.value.count('class="mlm-claim-open"') == 2  # not settled by itself
    assert not panel.finalize_button.disabled  # finalizing settles them
    panel.finalize_button.click()
    assert comp.phase == "finalized" and comp.claims()["status"].tolist() == [
        "final",
        "final",
        "voided",
    ]
