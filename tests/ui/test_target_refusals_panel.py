"""The publish and create-competition forms refuse NaN and inf targets in the panel."""

from __future__ import annotations

import pytest

from mlmarket.market import Market
from mlmarket.ui import CompetitionsPanel, DatasetsPanel
from mlmarket.ui.uploads import UPLOAD
from tests.ui.conftest import sent, upload

INF_TARGET = b"age,dose,cured\n30,1.5,1\n41,2.0,inf\n52,0.5,0\n60,1.0,-inf\n"
NAN_TARGET = b"age,dose,cured\n30,1.5,1\n41,2.0,\n52,0.5,0\n"

REFUSED = [
    (INF_TARGET, "Target 'cured' has 2 infinite values (±inf), in rows 1, 3"),
    (NAN_TARGET, "Target 'cured' has 1 missing value (NaN), in row 1"),
]


@pytest.mark.parametrize(("csv", "says"), REFUSED)
def test_publishForm_showsTheTargetError_sendsNothing_keepsTheForm(
    market: Market, csv: bytes, says: str
) -> None:
    panel = DatasetsPanel(market)
    panel.source.value = UPLOAD
    panel.upload.value = upload("trial.csv", csv)
    panel.target.value = "cured"
    transactions = sent(market)

    panel.publish_button.click()

    assert says in panel.feedback.value and "mlm-msg-error" in panel.feedback.value
    assert "Drop those rows" in panel.feedback.value
    assert sent(market) == transactions and len(panel.state.listings) == 0
    assert (panel.target.value, panel.name.value) == ("cured", "trial.csv")
    assert not panel.publish_button.disabled


@pytest.mark.parametrize(("csv", "says"), REFUSED)
def test_createForm_showsTheTargetError_sendsNothing_keepsTheForm(
    market: Market, csv: bytes, says: str
) -> None:
    panel = CompetitionsPanel(market)
    panel.form.source.value = UPLOAD
    panel.form.upload.value = upload("trial.csv", csv)
    panel.form.target.value = "cured"
    transactions = sent(market)

    panel.create_button.click()

    assert says in panel.feedback.value and "mlm-msg-error" in panel.feedback.value
    assert sent(market) == transactions and len(panel.state.competitions) == 0
    assert panel.form.target.value == "cured"
    assert not panel.create_button.disabled
