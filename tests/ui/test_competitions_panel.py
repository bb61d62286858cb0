"""Competitions panel: the create form's checks, and only the valid actions per phase."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlmarket.contracts import SINK
from mlmarket.datasets import load_sample
from mlmarket.market import Market
from mlmarket.market.phases import moment
from mlmarket.ui import ChainPanel, CompetitionsPanel, LeaderboardPanel, TrainPanel
from mlmarket.ui.competition_form import LISTING
from mlmarket.ui.uploads import UPLOAD
from tests.ui.conftest import open_competition, play_to_finalized, sent, upload

ACTIONS = ("reveal_button", "reveal_test_button", "evaluate_button", "finalize_button",
           "claim_button")  # fmt: skip


def enabled(panel: CompetitionsPanel) -> set[str]:
    return {name for name in ACTIONS if not getattr(panel, name).disabled}


def test_create_fromTheFormDefaults_opensASelectedCompetition(market: Market) -> None:
    panel = CompetitionsPanel(market)
    panel.form.source.value = "iris"
    assert panel.form.target.value == "species"

    assert panel.form.bond.value == ""  # blank: the bond is as much as the reward

    panel.create_button.click()

    assert (
        "Opened competition #0 'Diagnosis challenge' for linear models: 200 tokens escrowed "
        "(reward 100 + creator bond 100)" in panel.feedback.value
    )
    assert panel.state.selected_competition == 0
    assert 'class="mlm-comp-phase">submission<' in panel.info.value
    assert 'class="mlm-comp-bond">100<' in panel.info.value
    assert (
        'data-phase="submission"' in panel.timeline.value and "mlm-current" in panel.timeline.value
    )
    assert 'data-phase="default_evaluation"' not in panel.timeline.value  # only after a default
    comp = market.competitions.get(0)
    assert (comp.reward, comp.creator_bond) == (Decimal(100), Decimal(100))
    escrowed = comp.reward + comp.creator_bond  # both leave the creator at creation
    assert panel.state.balances.loc["alice", "tokens"] == Decimal(1000) - escrowed == Decimal(800)
    assert market.token.balance_of(comp.address) == escrowed
    assert enabled(panel) == set()  # submitting happens in the train panel


@pytest.mark.parametrize(("typed", "bond"), [("25", Decimal(25)), ("0", Decimal(0))])
def test_create_withACustomCreatorBond_escrowsRewardPlusThatBond(
    market: Market, typed: str, bond: Decimal
) -> None:
    panel = CompetitionsPanel(market)
    panel.form.source.value, panel.form.reward.value = "iris", "100"
    panel.form.bond.value = typed
    assert panel.form.request()["creator_bond"] == bond

    panel.create_button.click()

    escrowed = Decimal(100) + bond
    assert f"{escrowed} tokens escrowed (reward 100 + creator bond {bond})" in (
        panel.feedback.value
    )
    comp = market.competitions.get(0)
    assert comp.creator_bond == bond
    assert market.token.balance_of("alice") == Decimal(1000) - escrowed
    assert f'class="mlm-comp-bond">{bond}<' in panel.info.value


def test_onlyTheActionsOfTheCurrentPhase_areEnabled(market: Market) -> None:
    comp = open_competition(market, payout=[1])
    panel, train, chain = CompetitionsPanel(market), TrainPanel(market), ChainPanel(market)
    train.train_button.click()
    train.submit_button.click()
    assert enabled(panel) == set()

    chain.to_deadline.click()
    assert comp.phase == "reveal" and enabled(panel) == {"reveal_button"}
    panel.reveal_button.click()
    assert "Revealed submission(s) #1" in panel.feedback.value

    chain.to_deadline.click()
    assert enabled(panel) == {"reveal_test_button"}
    panel.reveal_test_button.click()
    assert enabled(panel) == {"evaluate_button"}

    panel.evaluate_button.click()
    assert "Scored every revealed model" in panel.feedback.value
    assert panel.progress.value == panel.progress.max >= 1
    assert enabled(panel) == {"finalize_button", "claim_button"}

    panel.finalize_button.click()
    assert "Finalized: ranked" in panel.feedback.value and enabled(panel) == {"claim_button"}
    assert 'class="mlm-comp-outcome">Ranked<' in panel.info.value
    assert "burned" not in panel.info.value and "mlm-skipped" not in panel.timeline.value
    assert 'data-phase="default_evaluation"' not in panel.timeline.value
    panel.claimant.value = "bob"
    panel.claim_button.click()
    assert "Paid 100 tokens to bob" in panel.feedback.value
    assert panel.state.balances.loc["bob", "tokens"] == Decimal(1100)


def test_anActionOutOfPhase_saysWhenItOpens_asItsTooltipDoes(market: Market) -> None:
    comp = open_competition(market)
    market.clock.advance(30)  # durations below are whole minutes
    panel = CompetitionsPanel(market)
    said = panel.reveal_test_button.tooltip
    assert said == (
        "The test set can be revealed from the end of the reveals, at "
        f"{moment(comp.deadline('reveal'))}, in 2 d 23 h (chain time). The competition is in "
        f"its submission phase until {moment(comp.deadline('submission'))} (in 1 d 23 h)."
    )

    panel.reveal_test_button.click()  # disabled, but a script can click it

    assert panel.feedback.value == f'<span class="mlm-msg-error">{said}</span>'


def test_everyDisabledStep_saysWhyInItsTooltip(market: Market) -> None:
    panel = CompetitionsPanel(market)
    assert {getattr(panel, name).tooltip for name in ACTIONS} == {
        "Create or choose a competition first."
    }
    comp = open_competition(market, payout=[1])
    market.clock.advance(30)  # durations below are whole minutes
    panel.state.sync()
    opens = f"at {moment(comp.deadline('submission'))}, in 1 d 23 h (chain time)"
    assert panel.reveal_button.tooltip.startswith(f"Reveals open {opens}.")
    assert panel.evaluate_button.tooltip.startswith(
        "Evaluation opens after the test-set reveal, at the earliest at "
        f"{moment(comp.deadline('reveal'))}"
    )
    assert panel.claim_button.tooltip.startswith(
        f"Prizes can be claimed (and the competition finalized) once it is over: its "
        f"submission phase ends {opens}."
    )
    play_to_finalized(market, comp, {"bob": 1.0})
    panel.state.sync()
    assert enabled(panel) == {"claim_button"} and panel.claim_button.tooltip == "Claim"
    assert panel.finalize_button.tooltip == (
        "Already finalized: the payouts are fixed. Claim the prizes."
    )
    assert panel.reveal_button.tooltip.startswith(
        f"Reveals closed at {moment(comp.deadline('reveal'))}, "
    )
    assert panel.evaluate_button.tooltip == (
        "Evaluation is over before its deadline: every revealed model is scored. The "
        "competition is finalized."
    )


def past(market: Market) -> datetime:
    return datetime.fromtimestamp(market.clock.now(), tz=UTC) - timedelta(hours=1)


REFUSED = [
    ("name", "", "Give the competition name; it cannot be empty."),
    ("reward", "-1", "The reward cannot be negative (got -1)."),
    ("reward", "0", "The reward must be more than zero."),
    ("test_size", "1.5", "The test share must be below 1 (got 1.5)."),
    ("reveal_days", "0", "The reveal period must be more than zero."),
    ("evaluation_days", "-2", "The evaluation period cannot be negative (got -2)."),
    ("payout", "50, 30", "Payout percentages must add up to 100 (they add up to 80)."),
    ("payout", "60, x", "Payout must be percentages separated by commas, not '60, x'."),
    ("payout", "100, 0", "Payout lists 1 to 10 places, each a positive percentage."),
    ("bond", "-5", "The creator bond cannot be negative (got -5)."),
    ("bond", "lots", "The creator bond must be a number, not 'lots'."),
    ("ends", past, "is in the past: chain time is"),
    ("models_per_call", "0", "The models per call must be a whole number of at least 1 (got '0')."),
    ("entry_stake", "-1", "The entry stake cannot be negative (got -1)."),
    ("max_submissions", "two", "The cap on entries per address (0 = no cap) must be a whole"),
    ("seed", "1.5", "The split seed must be a whole number of at least 0 (got '1.5')."),
]


@pytest.mark.parametrize(("field", "value", "says"), REFUSED)
def test_badInput_isRefusedInThePanel_nothingSent_formKept(
    market: Market, field: str, value: object, says: str
) -> None:
    panel = CompetitionsPanel(market)
    typed = value(market) if callable(value) else value
    getattr(panel.form, field).value = typed
    transactions = sent(market)

    panel.create_button.click()

    assert says in panel.feedback.value and "mlm-msg-error" in panel.feedback.value
    assert sent(market) == transactions and len(panel.state.competitions) == 0
    assert getattr(panel.form, field).value == typed


@pytest.mark.parametrize(
    ("csv", "target", "says"),
    [
        (b"x,label\n1,a\n2,b\n3,a\n", "x", "Feature 'label' holds text values such as 'a'."),
        (b"x,z,label\n1,,0\n2,1,1\n", "label", "Feature 'z' has 1 missing value (NaN), in row 0."),
        (b"x,label\n1,\n2,1\n", "label", "Target 'label' has 1 missing value (NaN), in row 0"),
        (b"x,y\n1,0\n2,1\n", None, "Choose the target column the models must predict"),
    ],
)
def test_anUploadedCsvItCannotUse_isRefused(
    market: Market, csv: bytes, target: str | None, says: str
) -> None:
    panel = CompetitionsPanel(market)
    panel.form.source.value = UPLOAD
    panel.form.upload.value = upload("data.csv", csv)
    assert panel.form.target.value is None  # the sample's target is not in the upload
    panel.form.target.value = target
    transactions = sent(market)

    panel.create_button.click()

    assert says in panel.feedback.value
    assert sent(market) == transactions


def test_aListingTheCreatorBought_canBeTheData(market: Market) -> None:
    listing = market.data.publish(
        load_sample("iris"), owner="alice", price=5, name="Irises", target="species"
    )
    market.data.buy(listing, buyer="bob")
    panel = CompetitionsPanel(market)
    panel.form.source.value = f"{LISTING}{listing.id}"
    assert panel.form.target.value == "species"

    panel.form.creator.value = "carol"  # has not bought it
    panel.create_button.click()
    assert "carol has no delivered purchase of listing 1" in panel.feedback.value

    panel.form.creator.value = "bob"
    panel.create_button.click()
    assert "Opened competition #0" in panel.feedback.value
    assert panel.state.competitions.loc[0, "creator"] == "bob"


def test_theForm_takesEveryParameterOfCreate(market: Market) -> None:
    form = CompetitionsPanel(market).form
    form.source.value = "iris"
    accepted = set(inspect.signature(market.competitions.create).parameters)
    assert accepted - set(form.request()) == {"listing", "test"}  # data alone: split
    form.test_upload.value = upload("test.csv", load_sample("iris").to_csv(index=False).encode())
    assert accepted - set(form.request()) == {"listing"}  # data and a separate hidden test


@pytest.mark.parametrize(
    ("family", "sample", "task", "says"),
    [
        ("mlp", "iris", "classification", "MLPClassifier, MLPRegressor"),
        ("tree", "diabetes", "regression", "DecisionTreeRegressor"),
    ],
)
def test_create_anMlpOrTreeCompetition_withItsRules(
    market: Market, family: str, sample: str, task: str, says: str
) -> None:
    panel = CompetitionsPanel(market)
    form = panel.form
    form.source.value, form.family.value = sample, family
    assert says in form.family_help.value
    form.description.value, form.task.value, form.seed.value = "Who wins?", task, "7"
    form.entry_stake.value, form.max_submissions.value, form.models_per_call.value = "2", "1", "2"

    panel.create_button.click()

    assert f"Opened competition #0 'Diagnosis challenge' for {family} models" in (
        panel.feedback.value
    )
    assert f"· {family} models (" in panel.info.value
    comp = market.competitions.get(0)
    assert comp.model_family == family == panel.state.competitions.loc[0, "model_family"]
    assert comp.metadata["description"] == "Who wins?" and comp.metadata["models_per_call"] == 2
    assert comp.metadata["task"] == task
    params = comp.params
    assert (params.entry_stake, params.max_submissions_per_address) == (2 * 10**18, 1)


def test_aHiddenTestSetUploaded_isTheTestSet_andAListingStaysTheTrainingData(
    market: Market,
) -> None:
    iris = load_sample("iris")
    listing = market.data.publish(iris.iloc[::2], owner="alice", price=5, name="Irises",
                                  target="species")  # fmt: skip
    panel = CompetitionsPanel(market)
    panel.form.source.value = f"{LISTING}{listing.id}"
    panel.form.test_upload.value = upload("test.csv", iris.iloc[1::2].to_csv(index=False).encode())

    panel.create_button.click()  # alice owns the listing: participants buy it

    assert "training on listing #1, 75 hidden test rows" in panel.feedback.value
    comp = market.competitions.get(0)
    assert comp.params.training_listing_id == 1 and comp.params.samples == 75

    panel.form.source.value = "iris"
    panel.form.test_upload.value = upload("test.csv", b"x,species\n5.1,0\n")
    panel.create_button.click()
    assert "The data has the wrong columns: missing sepal_length_cm" in panel.feedback.value


def logistic() -> object:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))


def test_aCreatorDefault_showsDefaultEvaluation_thenDefaulted_andTheBurn(market: Market) -> None:
    comp = open_competition(market, "breast_cancer", payout=[0.7, 0.3])
    X, y = comp.training_xy()
    comp.submit(logistic().fit(X, y), by="bob")
    comp.submit(logistic().fit(X, 1 - y), by="carol")  # worse than a constant prediction
    comp.submit(logistic().fit(X, y), by="dave")  # the same bytes as bob's: a copy
    panel, chain, board = CompetitionsPanel(market), ChainPanel(market), LeaderboardPanel(market)
    chain.to_deadline.click()
    panel.reveal_button.click()
    assert "Revealed submission(s) #1, #2, #3" in panel.feedback.value
    chain.to_deadline.click()
    assert enabled(panel) == {"reveal_test_button"}
    assert 'data-phase="default_evaluation"' not in panel.timeline.value

    chain.to_deadline.click()  # alice never reveals the test set: she defaulted
    assert "the test-set reveal phase is over" in chain.feedback.value
    assert comp.phase == "default_evaluation"
    assert 'class="mlm-comp-phase">default_evaluation<' in panel.info.value
    timeline = panel.timeline.value
    assert '<span class="mlm-phase mlm-current" data-phase="default_evaluation">' in timeline
    assert '<span class="mlm-phase mlm-skipped" data-phase="evaluation">' in timeline
    assert "Default evaluation<br><small>ends" in timeline
    assert enabled(panel) == {"evaluate_button"}  # anyone scores on the training data

    panel.evaluate_button.click()
    assert "The creator defaulted: scored every revealed model" in panel.feedback.value
    assert enabled(panel) == {"finalize_button", "claim_button"}
    assert 'class="mlm-comp-outcome">Defaulted<' in panel.info.value
    assert "130 tokens to be burned at finalization" in panel.info.value  # bond + 30% place
    assert '<span class="mlm-phase mlm-current" data-phase="finalized">' in panel.timeline.value

    panel.finalize_button.click()
    assert "Finalized: defaulted. 130 tokens burned" in panel.feedback.value
    assert '<span class="mlm-burned">130 tokens burned</span>' in panel.info.value
    assert market.token.balance_of(SINK) == Decimal(130)

    summary, rows = board.summary.value, board.table.value
    assert 'class="mlm-board-outcome">Defaulted<' in summary
    assert 'burned <b class="mlm-burned">130</b> tokens' in summary
    assert "score: accuracy on training" in summary
    assert 'class="mlm-prizes">70<' in summary  # only bob's place was earned
    assert rows.count('class="mlm-winner"') == 1 and rows.count('class="mlm-ineligible"') == 2
    assert ">below baseline<" in rows and ">copy of #1<" in rows
    statuses = list(board.board()["status"])
    assert statuses[0] == "scored" and sorted(statuses[1:]) == ["below baseline", "copy of #1"]

    panel.claimant.value = "bob"
    panel.claim_button.click()
    assert "Paid 70 tokens to bob" in panel.feedback.value
    panel.claimant.value = "alice"
    panel.claim_button.click()  # a creator who defaulted gets nothing back
    assert "mlm-msg-error" in panel.feedback.value
    assert market.token.balance_of("alice") == Decimal(800)


def test_theModelBudget_isAFormField_shownWithTheCompetition_andOnTheLeaderboard(
    market: Market,
) -> None:
    from mlmarket.ml.budgets import MlpBudget
    from mlmarket.ui import LeaderboardPanel
    from mlmarket.ui.base import InputError
    from mlmarket.ui.competition_form import parse_budget

    panel = CompetitionsPanel(market)
    form = panel.form
    form.source.value, form.family.value = "iris", "mlp"
    assert "MACs per row, units" in form.budget.placeholder
    form.budget.value = "56, 40"
    assert form.request()["model_budget"] == MlpBudget(max_macs=56, max_units=40)
    panel.create_button.click()
    comp = market.competitions.get(0)
    assert comp.model_budget == MlpBudget(max_macs=56, max_units=40)
    assert "≤ 56 MACs per row, ≤ 40 units" in panel.info.value
    X, y = comp.training_xy()
    from sklearn.neural_network import MLPClassifier

    comp.submit(MLPClassifier((8,), max_iter=50, random_state=0).fit(X, y), by="bob")
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    assert comp.leaderboard().loc[0, "work"] == 4 * 8 + 8 * 3  # MACs per row
    board = LeaderboardPanel(market)
    assert '<td class="mlm-num">56</td>' in board.table.value
    assert "within ≤ 56 MACs" in board.summary.value
    with pytest.raises(InputError, match="2 whole number"):
        parse_budget("mlp", "56")
