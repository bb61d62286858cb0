"""The whole dashboard, clicked through a lifecycle: data market, then a competition."""

from __future__ import annotations

from decimal import Decimal

from mlmarket.market import Market
from mlmarket.ui import Dashboard, dashboard


def shown(widget: object) -> str:
    """What the browser receives for a widget's value (its synced state)."""
    return str(widget.get_state()["value"])  # type: ignore[attr-defined]


def test_dashboard_isOneStateWithAPanelPerTab(market: Market) -> None:
    dash = dashboard(market)

    assert isinstance(dash, Dashboard) and dash.market is market
    assert dash.tabs.titles == (
        "Accounts", "Datasets", "Competitions", "Train & submit", "Leaderboard", "Event log",
    )  # fmt: skip
    assert {panel.state for panel in dash.panels.values()} == {dash.state}
    assert "mlm-dashboard" in dash._dom_classes
    assert dash.show("leaderboard") is dash.panels["leaderboard"] and dash.tabs.selected_index == 4


def test_aWholeLifecycle_byClicking(market: Market) -> None:
    dash = dashboard(market)
    chain, data = dash.panels["chain"], dash.panels["datasets"]
    comps, training = dash.panels["competitions"], dash.panels["training"]
    board, accounts, log = (
        dash.panels["leaderboard"],
        dash.panels["accounts"],
        dash.panels["events"],
    )

    # the data market
    data.source.value, data.name.value, data.price.value = "breast_cancer", "Diagnoses", "40"
    data.publish_button.click()
    data.buyer.value = "grace"
    data.buy_button.click()
    data.download_button.click()
    assert "569 rows" in data.feedback.value and ">Diagnoses<" in shown(data.listings)

    # a competition on the same data, three participants
    comps.form.source.value, comps.form.name.value = "breast_cancer", "Diagnosis challenge"
    comps.form.reward.value, comps.form.payout.value = "90", "50, 30, 20"
    comps.create_button.click()
    assert chain.competition.value == training.picker.value == board.picker.value == 0
    for participant, family in [("bob", "LogisticRegression"), ("carol", "LinearSVC"),
                                ("dave", "Perceptron")]:  # fmt: skip
        training.participant.value, training.family.value = participant, family
        training.train_button.click()
        training.submit_button.click()
        assert f"{participant} committed" in training.feedback.value
    assert shown(board.table).count(">committed<") == 3

    # the phases, each by its deadline button and the one action it allows
    chain.to_deadline.click()
    comps.reveal_button.click()
    chain.to_deadline.click()
    comps.reveal_test_button.click()
    comps.evaluate_button.click()
    comps.finalize_button.click()
    for participant in ("bob", "carol", "dave"):
        comps.claimant.value = participant
        comps.claim_button.click()
        assert f"to {participant}" in comps.feedback.value

    # what the views show
    assert 'class="mlm-comp-phase">finalized<' in shown(comps.info)
    assert shown(board.table).count('class="mlm-winner"') == 1
    assert 'class="mlm-prizes">90<' in shown(board.summary)
    balances = dash.state.balances["tokens"]
    assert balances["alice"] == Decimal(1000 - 90 - 90)  # the creator's bond is still escrowed
    comps.claimant.value = "alice"
    comps.claim_button.click()  # the creator claims the bond back (every place was paid)
    assert "Paid 90 tokens to alice" in comps.feedback.value
    balances = dash.state.balances["tokens"]
    assert balances["alice"] == Decimal(1000 - 90)  # creator: the reward went to the winners
    assert balances["grace"] == Decimal(1000 - 40)  # data buyer
    assert sum(balances[p] for p in ("bob", "carol", "dave")) == Decimal(3000 + 90)
    grace = shown(accounts.table).split('data-key="grace"')[1].split("</tr>")[0]
    assert ">960<" in grace
    assert f'<b class="mlm-block">{market.chain.block_number}</b>' in shown(chain.info)
    actions = set(log.log()["action"])
    assert {"createListing", "buyWithPermit", "commit", "reveal", "evaluate", "claim"} <= actions
    feedback = [p.feedback.value for p in dash.panels.values()]
    assert not any("Unexpected" in text or "mlm-msg-error" in text for text in feedback)
