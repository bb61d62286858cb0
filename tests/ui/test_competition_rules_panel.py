"""The competition rules in the dashboard: metric, entries per period, finals, places.

The form takes each rule ``market.competitions.create`` takes; the competitions panel
shows them and lets a participant select its finals; the train panel shows the entries
left this period; the leaderboard shows ``final`` and ranks by the creator's metric.
"""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression, Ridge

from mlmarket.datasets import load_sample
from mlmarket.market import Market
from mlmarket.market.params import CompetitionParams
from mlmarket.market.phases import moment
from mlmarket.ui import ChainPanel, CompetitionsPanel, LeaderboardPanel, TrainPanel
from mlmarket.ui.competition_form import LISTING
from mlmarket.ui.uploads import UPLOAD
from tests.ui.conftest import open_competition, sent, upload

CLASSIFICATION = ["auto", "accuracy", "balanced_accuracy", "macro_f1"]
REGRESSION = ["auto", "mse", "mae"]


def offered(panel: CompetitionsPanel) -> list[str]:
    return [value for _, value in panel.form.metric.options]


def finals_column(panel: LeaderboardPanel) -> dict[int, bool]:
    board = panel.board()
    return dict(zip(board["id"].astype(int), board["final"].astype(bool), strict=True))


def row_of(html: str, sub_id: int) -> str:
    """The leaderboard table's row of submission ``sub_id`` (its second cell is the id)."""
    for row in html.split("<tr ")[1:]:  # the header row is a bare <tr>
        if row.split("<td ")[2].startswith(f'class="mlm-num">{sub_id}<'):
            return row
    raise AssertionError(f"no row for #{sub_id}")


def test_create_fromTheForm_withAMetricACapFinalsAndPlaces(market: Market) -> None:
    panel = CompetitionsPanel(market)
    form = panel.form
    form.source.value = "iris"
    form.metric.value = "accuracy"
    form.entries_per_period.value, form.period_days.value = "2", "0.5"
    form.finals.value, form.multiple_places.value = "1", True
    request = form.request()
    assert (request["metric"], request["entries_per_period"], request["period"]) == (
        "accuracy", 2, 43_200,
    )  # fmt: skip
    assert (request["finals"], request["multiple_places"]) == (1, True)

    panel.create_button.click()

    assert "Opened competition #0" in panel.feedback.value
    comp = market.competitions.get(0)
    params = comp.params
    assert comp.metric == "accuracy"
    assert (params.entries_per_period, params.period_length) == (2, 43_200)
    assert (params.finals, params.multiple_places) == (1, True)
    info = panel.info.value
    assert 'metric <b class="mlm-comp-metric">accuracy</b> (higher is better)' in info
    assert '<span class="mlm-comp-finals">1 final per participant</span>' in info
    assert '<span class="mlm-comp-cap">2 entries per participant per 12 h</span>' in info
    assert '<span class="mlm-comp-places">several places per participant</span>' in info
    row = panel.state.competitions.loc[0]
    assert row["entries_left"] == {name: 2 for name in market.accounts}
    assert row["next_period_at"].timestamp() == comp.next_period_at().timestamp()


def test_theDefaults_areNoCapEveryFinalOnePlace_andTheTasksDefaultMetric(market: Market) -> None:
    panel = CompetitionsPanel(market)
    request = panel.form.request()  # breast cancer
    assert (request["metric"], request["entries_per_period"], request["period"]) == (None, 0, None)
    assert (request["finals"], request["multiple_places"]) == (0, False)

    panel.create_button.click()

    comp = market.competitions.get(0)
    assert comp.metric == "accuracy" and comp.params.entries_per_period == 0
    info = panel.info.value
    assert "every submission evaluated" in info and "no cap per period" in info
    assert "one place per participant" in info
    assert panel.state.competitions.loc[0, "entries_left"] is None
    assert panel.finals_button.disabled
    assert panel.finals_button.tooltip == (
        "This competition evaluates every submission (finals: 0): there is nothing to select."
    )


def test_theMetric_offersOnlyWhatSuitsTheTask_withAHintForImbalancedClasses(
    market: Market,
) -> None:
    panel = CompetitionsPanel(market)
    form = panel.form
    form.source.value = "breast_cancer"
    assert offered(panel) == CLASSIFICATION
    assert form.metric.options[0][0] == "auto (accuracy)"
    assert [label for label, _ in form.metric.options[1:]] == [
        "accuracy", "balanced accuracy", "macro F1",
    ]  # fmt: skip
    hint = form.metric_help.value
    assert "imbalanced classes" in hint and "medical data" in hint

    form.metric.value = "balanced_accuracy"
    assert form.request()["metric"] == "balanced_accuracy"
    form.metric.value = "macro_f1"
    assert form.request()["metric"] == "macro_f1"

    form.source.value = "diabetes"  # a float target: regression; macro F1 no longer fits
    assert offered(panel) == REGRESSION and form.metric.value == "auto"
    assert form.metric.options[0][0] == "auto (MSE)" and "outliers" in form.metric_help.value
    form.metric.value = "mae"
    assert form.request()["metric"] == "mae"

    form.source.value = "iris"
    form.task.value = "regression"  # the creator's word over the target's values
    assert offered(panel) == REGRESSION
    form.task.value = "classification"
    assert offered(panel) == CLASSIFICATION

    form.task.value = "auto"
    form.source.value = UPLOAD
    form.upload.value = upload("data.csv", b"x,level\n1,0.5\n2,1.5\n3,2.5\n")
    form.target.value = "level"
    assert offered(panel) == REGRESSION


def test_theMetric_offersEveryMetric_whileTheTaskIsUnknown(market: Market) -> None:
    listing = market.data.publish(
        load_sample("iris"), owner="alice", price=5, name="Irises", target="species"
    )
    panel = CompetitionsPanel(market)
    panel.form.source.value = f"{LISTING}{listing.id}"  # the data is bought at creation
    assert offered(panel) == ["auto", *CLASSIFICATION[1:], *REGRESSION[1:]]
    assert panel.form.metric.options[0][0] == "auto (accuracy or MSE, from the task)"


def test_aMetricTheTaskRulesOut_goesBackToAuto(market: Market) -> None:
    panel = CompetitionsPanel(market)
    form = panel.form
    form.source.value = "iris"
    form.task.value = "regression"
    form.metric.value = "mae"
    form.task.value = "auto"  # back to the target's own task: mae is no longer offered
    assert form.metric.value == "auto"


RULES_REFUSED = [
    ({"entries_per_period": "3"},
     "A cap of 3 entries per period needs the period's length: type it in days in Entry "
     "period (d), e.g. 1 for a daily cap"),
    ({"period_days": "1"},
     "An entry period only counts entries per period: set Entries per period above 0"),
    ({"entries_per_period": "many", "period_days": "1"},
     "The cap on entries per period (0 = no cap) must be a whole number"),
    ({"entries_per_period": "-1", "period_days": "1"},
     "The cap on entries per period (0 = no cap) must be a whole number from 0 to 4294967295"),
    ({"entries_per_period": "2", "period_days": "0"},
     "The entry period (days) must be more than zero."),
    ({"entries_per_period": "2", "period_days": "-1"},
     "The entry period (days) cannot be negative (got -1)."),
    ({"entries_per_period": "2", "period_days": "daily"},
     "The entry period (days) must be a number, not 'daily'."),
    ({"entries_per_period": "2", "period_days": "0.000001"},
     "The entry period must last at least a second (got 0.000001 d)."),
    ({"finals": "256"},
     "The number of finals per participant (0 = all) must be a whole number from 0 to 255"),
    ({"finals": "1.5"}, "The number of finals per participant (0 = all) must be a whole number"),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "says"), RULES_REFUSED)
def test_badRules_areRefusedInThePanel_nothingSent_formKept(
    market: Market, typed: dict[str, str], says: str
) -> None:
    panel = CompetitionsPanel(market)
    for field, value in typed.items():
        getattr(panel.form, field).value = value
    transactions = sent(market)

    panel.create_button.click()

    assert says in panel.feedback.value and "mlm-msg-error" in panel.feedback.value
    assert sent(market) == transactions and len(panel.state.competitions) == 0
    assert all(getattr(panel.form, f).value == v for f, v in typed.items())


def logistic(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=5000)


def test_selectFinals_fromThePanel_changesTheFinalColumn_andOnlyFinalsAreRanked(
    market: Market,
) -> None:
    comp = open_competition(market, finals=1, payout=[1])
    X, y = comp.training_xy()
    first = comp.submit(logistic(1.0).fit(X, y), by="bob")
    comp.submit(logistic(0.01).fit(X, y), by="bob")
    panel, board = CompetitionsPanel(market), LeaderboardPanel(market)
    panel.finalist.value = "bob"
    assert [value for _, value in panel.finals_pick.options] == [1, 2]
    assert panel.finals_pick.value == (2,)  # by default: bob's last commit
    assert finals_column(board) == {1: False, 2: True}
    assert '<th class="mlm-text">final</th>' in board.table.value
    assert ">no<" in row_of(board.table.value, 1) and ">yes<" in row_of(board.table.value, 2)
    assert not panel.finals_button.disabled

    panel.finals_pick.value = (first.id,)
    panel.finals_button.click()

    assert "bob's finals are now #1: only they will be evaluated and ranked" in (
        panel.feedback.value
    )
    assert comp.is_final(first) and not comp.is_final(2)
    assert finals_column(board) == {1: True, 2: False}
    assert panel.finals_pick.value == (1,)
    assert [label for label, _ in panel.finals_pick.options] == [
        "#1 · committed · final", "#2 · committed",
    ]  # fmt: skip

    panel.finals_pick.value = (1, 2)  # more than the one final allowed
    panel.finals_button.click()
    assert panel.feedback.value == (
        '<span class="mlm-msg-error">Select between 1 and 1 finals (got 2); with 0 allowed, '
        "every submission is evaluated and there is nothing to select.</span>"
    )
    assert comp.is_final(first) and not comp.is_final(2)  # nothing changed

    panel.finalist.value = "carol"
    assert panel.finals_pick.options == () and panel.finals_button.disabled
    assert panel.finals_button.tooltip == (
        "carol has no submission in this competition yet: submit one first."
    )

    market.clock.advance_to(comp.deadline("submission"))
    panel.state.sync()
    panel.finalist.value = "bob"
    closed = panel.finals_button.tooltip
    assert panel.finals_button.disabled
    assert closed.startswith(f"Submissions closed at {moment(comp.deadline('submission'))}")
    panel.finals_button.click()  # disabled, but a script can click it: the API's refusal
    closed_at = closed.split(" (chain time)")[0].rsplit(",", 1)[0]  # "…, 0 s ago": time moves
    assert panel.feedback.value.startswith(f'<span class="mlm-msg-error">{closed_at}, ')

    comp.reveal()
    market.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()
    comp.evaluate()
    statuses = dict(zip(board.board()["id"], board.board()["status"], strict=True))
    assert statuses == {1: "scored", 2: "not a final"}
    assert 'class="mlm-ineligible"' in row_of(board.table.value, 2)
    assert board.board().loc[board.board()["id"] == 1, "rank"].iloc[0] == 1


def test_thePerPeriodCap_showsEntriesLeft_andItsRefusalIsASentence(market: Market) -> None:
    comp = open_competition(market, entries_per_period=1, period=3_600)
    train, chain = TrainPanel(market), ChainPanel(market)
    opens = comp.next_period_at()
    assert 'bob: <b class="mlm-entries-left">1</b> of 1 entries left this period' in (
        train.entries.value
    )
    assert f"the next period opens at {moment(opens)}, in 1 h (chain time)" in train.entries.value

    train.train_button.click()
    train.submit_button.click()

    assert "bob committed submission #1" in train.feedback.value
    assert '<b class="mlm-entries-left">0</b> of 1' in train.entries.value
    assert train.submit_button.disabled
    assert train.submit_button.tooltip.startswith(
        f"bob has used all 1 entries of this period; the next period opens at {moment(opens)}"
    )
    transactions = sent(market)
    train.submit_button.click()  # disabled, but a script can click it: the contract refuses
    said = train.feedback.value
    assert said.startswith('<span class="mlm-msg-error">bob (0x3C44')  # named, never raw data
    assert "already made 1 submissions in this period, the most this competition allows per " in (
        said
    )
    assert f"opens at {moment(opens)} ({int(opens.timestamp())}) (chain time), in " in said
    assert sent(market) == transactions  # refused by the dry run: nothing mined

    train.participant.value = "carol"  # a cap per participant
    assert '<b class="mlm-entries-left">1</b> of 1' in train.entries.value

    chain.hour.click()  # the next period
    train.participant.value = "bob"
    assert '<b class="mlm-entries-left">1</b> of 1' in train.entries.value
    assert not train.submit_button.disabled
    train.submit_button.click()
    assert "bob committed submission #2" in train.feedback.value

    market.clock.advance_to(comp.deadline("submission"))
    train.state.sync()
    assert train.entries.value == ""  # no entries once submissions closed


_metric_name = CompetitionParams.metric_name.fget  # the real one, for the other metrics


def test_theLeaderboard_ranksLowestErrorFirst_underTheMetricsHeading(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    comp = open_competition(market, "diabetes", payout=[1])
    X, y = comp.training_xy()
    for who, alpha in (("bob", 1e4), ("carol", 0.1), ("dave", 100.0)):
        comp.submit(Ridge(alpha=alpha).fit(X, y), by=who)
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    market.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()
    comp.evaluate()
    panel, competitions = LeaderboardPanel(market), CompetitionsPanel(market)

    board = panel.board()
    assert board["score"].is_monotonic_increasing and list(board["rank"]) == [1, 2, 3]
    assert list(board["submitter"]) == ["carol", "dave", "bob"]
    assert '<th class="mlm-text">score (MSE, lower is better)</th>' in panel.table.value
    assert "score: MSE" in panel.summary.value
    assert "MSE</b> (lower is better)" in competitions.info.value

    # An MAE competition cannot be scored on chain before its evaluators are merged:
    # read this one as MAE (its errors ranked the same way, lowest first).
    relabelled = property(lambda p: "mae" if p.metric == 1 else _metric_name(p))
    monkeypatch.setattr(CompetitionParams, "metric_name", relabelled)
    panel.state.refresh()

    board = panel.board()
    assert set(board["metric"]) == {"MAE"}
    assert board["score"].is_monotonic_increasing and list(board["rank"]) == [1, 2, 3]
    assert list(board["submitter"]) == ["carol", "dave", "bob"]
    rows = panel.table.value.split("<tr ")[1:]
    assert ">carol<" in rows[0] and ">dave<" in rows[1] and ">bob<" in rows[2]
    assert '<th class="mlm-text">score (MAE, lower is better)</th>' in panel.table.value
    assert "score: MAE" in panel.summary.value
    assert 'metric <b class="mlm-comp-metric">MAE</b> (lower is better)' in (
        competitions.info.value
    )
