"""The mechanism lab's panel: a form over a scenario's params, a sweep of one of them run
with a bar of finished runs, a plot of a metric against it, and refusals said in the panel."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import ipywidgets as widgets
import pandas as pd
import pytest

from mlmarket import sim
from mlmarket.ui import lab
from mlmarket.ui.lab import LabPanel, lab_panel


@pytest.fixture
def panel() -> Iterator[LabPanel]:
    panel = lab_panel("honest")
    yield panel
    panel.close()


def test_run_sweepsOneParam_plotsTheMetric_andEqualsTheSerialSweep(panel: LabPanel) -> None:
    panel.swept.value = "payout"
    panel.values.value = "1; 0.7, 0.3"
    panel.runs.value, panel.seed.value = 1, 3
    panel.metric.value = "entries"

    panel.run_button.click()

    frame = panel.frame
    assert frame is not None and "mlm-msg-ok" in panel.feedback.value
    ends = frame.groupby(["subset", "run"]).tail(1)
    assert list(ends["payout"]) == [(1,), (0.7, 0.3)]
    assert list(ends["entries"]) == [1, 2]  # each paid place draws in one more participant
    assert panel.progress.value == panel.progress.max == 2
    assert panel.progress.bar_style == "success" and not panel.run_button.disabled
    (shown,) = panel.plot.outputs
    assert base64.b64decode(shown["data"]["image/png"])[:4] == b"\x89PNG"
    assert list(panel.summary["mean"]) == [1.0, 2.0]
    assert panel.rows.value.count("<tr") == 3  # a header and the last row of each run
    assert frame.attrs["mlmarket"]["seed"] == 3
    # The panel's frame is the one sim.sweep gives with the same values, runs and seed.
    swept = sim.sweep("honest", params={"payout": [(1,), (0.7, 0.3)]}, runs=1, seed=3,
                      executor="serial", progress=False)  # fmt: skip
    pd.testing.assert_frame_equal(frame, swept)

    panel.metric.value = "gas"  # redrawn from the same frame, nothing run again
    assert panel.frame is frame and panel.progress.value == 2
    per_run = frame.groupby("subset")["gas"].sum()
    assert list(panel.summary["mean"]) == list(per_run.astype(float))


@pytest.mark.parametrize(
    ("swept", "typed", "said"),
    [
        ("bond", "0, lots", "bond must be a number, not 'lots'."),
        ("bond", "0, -1", "bond cannot be negative (got -1)."),
        ("bond", " , ", "Give the values of bond to sweep, e.g. 0, 0.5, 1."),
        ("reward", "100, 0", "The reward must be more than 0 (got 0)."),
        ("payout", "1; 0.5, 0.6", "The payout shares must add up to 1; 0.5, 0.6 add up to 1.1."),
        ("payout", "1; 1", "The values of payout repeat one another; give each once."),
    ],
)
def test_aBadValue_isRefusedInThePanel_andNothingRuns(
    panel: LabPanel, swept: str, typed: str, said: str
) -> None:
    panel.swept.value = swept
    panel.values.value = typed

    panel.run_button.click()

    assert panel.feedback.value == f'<span class="mlm-msg-error">{said}</span>'
    assert panel.frame is None and panel.plot.outputs == () and panel.progress.value == 0
    assert panel._worker is None  # no market was even built


def test_noRuns_aNegativeSeed_orAFixedBadValue_areRefused(panel: LabPanel) -> None:
    panel.runs.value = 0
    panel.run_button.click()
    assert "number of runs must be a whole number of at least 1" in panel.feedback.value
    panel.runs.value, panel.seed.value = 1, -2
    panel.run_button.click()
    assert "seed must be a whole number of at least 0" in panel.feedback.value
    panel.seed.value = 1
    panel.fields["payout"].value = "0.7, 0.3, x"
    panel.swept.value = "bond"
    panel.run_button.click()
    assert "Each share of payout must be a number, not 'x'." in panel.feedback.value
    assert panel.frame is None


def test_aRunTheSimulationRefuses_isSaidInThePanel_notRaised(
    panel: LabPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: object, *args: object, **kwargs: object) -> list[dict[str, object]]:
        raise AttributeError("'NoneType' object has no attribute 'submit'")

    monkeypatch.setattr(lab.Worker, "play", refuse)
    panel.swept.value = "bond"
    panel.values.value = "0, 1"
    panel.runs.value = 1

    panel.run_button.click()

    assert panel.feedback.value == (
        '<span class="mlm-msg-error">The simulation stopped at bond = 0, run 0: AttributeError: '
        "'NoneType' object has no attribute 'submit'</span>"
    )
    assert panel.progress.bar_style == "danger" and not panel.run_button.disabled
    assert panel.frame is None


def test_theFormFollowsTheScenario(panel: LabPanel) -> None:
    assert panel.swept.value == "payout" and panel.fields["payout"].disabled
    panel.scenario.value = "self_dealing_curator"

    assert list(panel.fields) == list(sim.scenarios.get("self_dealing_curator").params)
    assert isinstance(panel.fields["review_window"], widgets.IntText)
    assert isinstance(panel.fields["honesty"], widgets.FloatText)
    assert panel.swept.value == "honesty" and panel.values.value == "0, 0.5, 1"
    assert panel.fields["honesty"].disabled and not panel.fields["review_window"].disabled
    assert panel.params_box.children == tuple(panel.fields.values())

    panel.swept.value = "review_window"
    assert panel.values.value == "43200, 172800" and not panel.fields["honesty"].disabled
    panel.values.value = "43200, 172800"
    panel.fields["honesty"].value = 1.5
    panel.run_button.click()
    assert "honesty is a chance, from 0 to 1 (got 1.5)." in panel.feedback.value

    panel.scenario.value = "sybil_default"
    assert isinstance(panel.fields["sybil_model"], widgets.Text)
    panel.swept.value = "sybil_model"
    panel.values.value = "junk, forest"
    panel.run_button.click()
    assert "sybil_model must be one of junk, logistic" in panel.feedback.value
