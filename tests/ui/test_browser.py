"""Real-browser tests: the dashboard in JupyterLab and the quickstart as a Voila app.

JupyterLab and Voila are started on free loopback ports by the fixtures in
``servers.py``; Debian's Chromium is driven by playwright (never ``playwright
install``). Screenshots are kept in ``test-output/screenshots/``; the panels
shown in the README are written there too (``docs-*.png``, reduced to at most
200 KB) and, with ``MLMARKET_UPDATE_SCREENSHOTS=1``, copied to ``docs/screenshots/``.
Locally a missing Chromium, playwright, JupyterLab or Voila skips these tests; in CI
(``MLMARKET_STRICT=1`` or ``CI``) it fails them.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from mlmarket.datasets import load_sample
from tests.conftest import require_tool
from tests.ui import servers

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
DOCS_SHOT_BYTES = 200_000
DOCS_SHOT_HEIGHT = 800  # px: a long panel is cut there
WAIT = 90_000  # ms: a kernel start plus an import of mlmarket, on a slow CI machine
DASHBOARD_CELL = """from mlmarket.market import Market
from mlmarket.ui import dashboard

market = Market.local()
dashboard(market)"""


def _module(name: str) -> str | None:
    return sys.executable if importlib.util.find_spec(name) is not None else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_tool(servers.CHROMIUM, "Chromium (apt-get install -y chromium)")
    require_tool(_module("playwright"), "playwright (pip install playwright)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(servers.CHROMIUM), args=servers.CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class Dashboard:
    """The dashboard on a page, by the stable ``mlm-*`` classes of its widgets."""

    def __init__(self, page: Any, prefix: str) -> None:
        from playwright.sync_api import expect

        self.page, self.prefix, self.expect = page, prefix, expect

    def tab(self, title: str) -> None:
        self.page.locator(".mlm-dashboard .lm-TabBar-tab", has_text=title).first.click()

    def fill(self, css: str, value: str) -> None:
        field = self.page.locator(f".{css} input")
        field.fill(value)
        field.press("Tab")

    def select(self, css: str, label: str) -> None:
        self.page.locator(f".{css} select").select_option(label=label)

    def click(self, css: str) -> None:
        self.page.locator(f"button.{css}").click()

    def says(self, panel: str, text: str) -> None:
        feedback = self.page.locator(f".{panel} .mlm-feedback")
        self.expect(feedback).to_contain_text(text, timeout=WAIT)

    def cell(self, css: str, row: str) -> Any:
        return self.page.locator(f".{css} tr[data-key='{row}'] td").last

    def shot(self, name: str) -> None:
        self.page.locator(".mlm-dashboard").screenshot(path=SHOTS / f"{self.prefix}-{name}.png")

    def docs_shot(self, panel: str, name: str) -> Path:
        """The panel ``panel`` (its CSS class) as the README shows it: at most
        :data:`DOCS_SHOT_HEIGHT` px tall, colours reduced to fit :data:`DOCS_SHOT_BYTES`;
        copied to ``docs/screenshots/`` when ``MLMARKET_UPDATE_SCREENSHOTS=1``."""
        viewport = self.page.viewport_size
        self.page.set_viewport_size({"width": viewport["width"], "height": 2400})  # all of it
        self.page.wait_for_timeout(500)  # JupyterLab lays the notebook out again
        shown = self.page.locator(f".mlm-dashboard .{panel}")
        shown.evaluate("element => element.scrollIntoView({block: 'start'})")  # its top
        self.page.wait_for_timeout(200)
        box = shown.bounding_box()
        assert box is not None, f"{panel} is not shown"
        path = SHOTS / f"docs-{name}.png"
        clip = {**box, "height": min(box["height"], DOCS_SHOT_HEIGHT)}
        self.page.screenshot(path=path, clip=clip)
        self.page.set_viewport_size(viewport)
        shrink_png(path)
        assert path.stat().st_size <= DOCS_SHOT_BYTES, f"{path.name}: {path.stat().st_size} bytes"
        if os.environ.get("MLMARKET_UPDATE_SCREENSHOTS") == "1":
            DOCS_SHOTS.mkdir(exist_ok=True)
            shutil.copyfile(path, DOCS_SHOTS / f"{name}.png")
        return path

    def box(self, css: str) -> dict[str, float]:
        box = self.page.locator(css).first.bounding_box()
        assert box is not None, f"{css} is not shown"
        return box


def shrink_png(path: Path) -> None:
    """Rewrite a screenshot with a palette of 128 colours (text and flat panels keep)."""
    from PIL import Image

    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    reduced.save(path, optimize=True)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    require_tool(servers.BIN / "jupyter-lab", "JupyterLab (pip install jupyterlab)")
    home = tmp_path_factory.mktemp("lab")
    root = home / "notebooks"
    root.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(DASHBOARD_CELL)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, root / "dashboard.ipynb")
    load_sample("iris").to_csv(root / "iris.csv", index=False)
    with servers.jupyterlab(root, home) as server:
        yield server


def open_in_lab(browser: Any, lab: servers.Server) -> Dashboard:
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(f"{lab.url}/lab/tree/dashboard.ipynb?token={lab.token}")
    page.wait_for_function("window.jupyterapp !== undefined", timeout=WAIT)
    page.wait_for_function(
        """() => { const w = window.jupyterapp.shell.currentWidget;
                   const k = w && w.sessionContext && w.sessionContext.session
                             && w.sessionContext.session.kernel;
                   return k && k.status === 'idle'; }""",
        timeout=WAIT,
    )
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(".mlm-dashboard .mlm-balances-table", timeout=WAIT)
    return Dashboard(page, "lab")


def test_jupyterlab_aLifecycleClickedThroughTheDashboard(
    browser: Any, lab: servers.Server, tmp_path: Path
) -> None:
    ui = open_in_lab(browser, lab)
    ui.shot("start")

    # data market: publish an uploaded CSV, buy it, download it
    ui.tab("Datasets")
    ui.select("mlm-publish-source", "uploaded CSV")
    with ui.page.expect_file_chooser() as chooser:  # the upload button opens the picker
        ui.click("mlm-publish-upload")
    chooser.value.set_files(str(lab.log.parent / "notebooks" / "iris.csv"))
    ui.expect(ui.page.locator(".mlm-publish-shape")).to_contain_text("150 rows", timeout=WAIT)
    ui.select("mlm-publish-target", "species")
    ui.fill("mlm-publish-name", "Irises")
    ui.fill("mlm-publish-price", "12")
    ui.click("mlm-publish")
    ui.says("mlm-datasets-panel", "Published listing #1 'Irises' at 12 tokens")
    ui.select("mlm-buy-buyer", "bob")
    ui.click("mlm-buy")
    ui.says("mlm-datasets-panel", "purchase #1 is delivered")
    ui.click("mlm-download")
    ui.expect(ui.page.locator(".mlm-download-preview")).to_contain_text("sepal_length_cm")
    ui.shot("datasets")

    # a competition with the form's defaults; two participants train and submit
    ui.tab("Competitions")
    ends = ui.page.locator(".mlm-comp-ends input").input_value()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", ends), ends  # ISO, not the locale's
    ui.click("mlm-comp-create")
    ui.says("mlm-competitions-panel", "Opened competition #0")
    said, form = ui.box(".mlm-competitions-panel .mlm-feedback"), ui.box(".mlm-comp-source")
    assert said["y"] < form["y"]  # the message is at the top of its panel
    finals, panel = ui.box(".mlm-comp-finals"), ui.box(".mlm-competitions-panel")
    assert finals["x"] + finals["width"] <= panel["x"] + panel["width"]  # the rules fit a row
    ui.expect(ui.page.locator(".mlm-comp-info .mlm-comp-metric")).to_have_text("accuracy")
    ui.tab("Train & submit")
    for participant, family in (("bob", "LogisticRegression"), ("carol", "LinearSVC")):
        ui.select("mlm-train-participant", participant)
        ui.select("mlm-train-family", family)
        ui.click("mlm-train")
        ui.says("mlm-train-panel", f"Trained {family}")
        ui.click("mlm-submit")
        ui.says("mlm-train-panel", f"{participant} committed")
    ui.shot("training")

    # each phase: its deadline, then the one action it allows
    ui.tab("Competitions")
    ui.click("mlm-advance-deadline")
    ui.says("mlm-chain-panel", "the submission phase is over")
    ui.click("mlm-comp-reveal")
    ui.says("mlm-competitions-panel", "Revealed submission(s) #1, #2")
    ui.click("mlm-advance-deadline")
    ui.says("mlm-chain-panel", "the reveal phase is over")
    ui.click("mlm-comp-reveal-test")
    ui.says("mlm-competitions-panel", "revealed the test set")
    ui.click("mlm-comp-evaluate")
    ui.says("mlm-competitions-panel", "Scored every revealed model")
    ui.click("mlm-comp-finalize")
    ui.says("mlm-competitions-panel", "Finalized: ranked")
    for participant in ("bob", "carol"):
        ui.select("mlm-comp-claimant", participant)
        ui.click("mlm-comp-claim")
        ui.says("mlm-competitions-panel", f"tokens to {participant}")
    done = ui.page.locator(".mlm-comp-timeline .mlm-phase.mlm-done")
    ui.expect(done).to_have_count(4)
    assert all("ended" in t and "(in " not in t for t in done.all_inner_texts())
    ui.shot("competitions")
    ui.docs_shot("mlm-competitions-panel", "competitions")

    # what the page shows: leaderboard, balances, the event log
    ui.tab("Leaderboard")
    ui.expect(ui.page.locator(".mlm-leaderboard tr.mlm-winner")).to_have_count(1)
    ui.expect(ui.page.locator(".mlm-prizes")).to_have_text("90")  # 60% + 30%: two places
    ui.expect(ui.page.locator(".mlm-score-chart")).to_be_visible()
    with ui.page.expect_download() as download:
        ui.page.locator(".mlm-export-leaderboard-link a").click()
    assert download.value.suggested_filename == "leaderboard-competition-0.csv"
    rows = Path(download.value.path()).read_text().splitlines()
    assert rows[0].startswith("rank,id,submitter,status") and len(rows) == 3
    ui.shot("leaderboard")
    ui.docs_shot("mlm-leaderboard-panel", "leaderboard")
    ui.tab("Accounts")
    # reward and creator bond escrowed; the bond (and the unpaid 10%) wait for alice's claim
    ui.expect(ui.cell("mlm-balances", "alice")).to_have_text("800")
    prizes = {ui.cell("mlm-balances", p).inner_text() for p in ("bob", "carol")}
    assert prizes == {"1,048", "1,030"}  # bob paid 12 for the data; 60 and 30 in prizes
    ui.expect(ui.page.locator(".mlm-balances-chart")).to_be_visible()
    ui.shot("accounts")
    ui.docs_shot("mlm-accounts-panel", "accounts")
    ui.tab("Event log")
    ui.expect(ui.page.locator(".mlm-log-totals")).to_contain_text("at 20 gwei")
    ui.expect(ui.page.locator(".mlm-tx-log")).to_contain_text("evaluate")
    table, panel = ui.box(".mlm-tx-log table"), ui.box(".mlm-events-panel")
    assert table["x"] + table["width"] <= panel["x"] + panel["width"] <= 1400  # it fits
    with ui.page.expect_download() as download:
        ui.page.locator(".mlm-export-events-link a").click()
    assert Path(download.value.path()).read_text().startswith("block,time,sender,action,status")
    ui.shot("events")
    ui.docs_shot("mlm-events-panel", "events")
    ui.page.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    require_tool(servers.BIN / "voila", "Voila (pip install voila)")
    home = tmp_path_factory.mktemp("voila")
    notebook = home / "01_quickstart.ipynb"
    shutil.copy(ROOT / "notebooks" / "01_quickstart.ipynb", notebook)
    with servers.voila(notebook, home) as server:
        yield server


def test_voila_theQuickstartIsAnApp_thatStaysLive(browser: Any, app: servers.Server) -> None:
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(app.url)
    page.wait_for_selector(".mlm-dashboard .mlm-leaderboard tr.mlm-winner", timeout=WAIT)
    ui = Dashboard(page, "voila")
    ui.expect(page.locator(".mlm-prizes")).to_have_text("100")  # the notebook's competition
    assert "Traceback" not in page.content()
    ui.shot("leaderboard")

    block = int(page.locator(".mlm-block").inner_text())
    ui.click("mlm-advance-day")
    ui.expect(page.locator(".mlm-block")).to_have_text(str(block + 1), timeout=WAIT)
    ui.tab("Datasets")
    ui.select("mlm-publish-source", "sample: iris (multi-class classification)")
    ui.fill("mlm-publish-price", "-1")
    ui.click("mlm-publish")
    ui.says("mlm-datasets-panel", "The price cannot be negative (got -1).")
    ui.fill("mlm-publish-price", "3")
    ui.click("mlm-publish")
    ui.says("mlm-datasets-panel", "Published listing #2 'iris' at 3 tokens")
    ui.tab("Accounts")
    # 1,025 - 100 reward - 100 creator bond (the bond comes back when alice claims)
    ui.expect(ui.cell("mlm-balances", "alice")).to_have_text("825")
    ui.shot("accounts")
    page.close()
