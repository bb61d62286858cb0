"""The panel screenshots the README shows: committed, each a PNG of at most 200 KB, and
every one shown (``tests/ui/test_browser.py`` regenerates them)."""

from __future__ import annotations

import re

from PIL import Image

from tests.ui.test_browser import DOCS_SHOT_BYTES, DOCS_SHOTS, ROOT

SHOWN = re.compile(r"\]\((docs/screenshots/[\w-]+\.png)\)")


def test_theReadme_showsEveryScreenshot_andEachIsASmallPng() -> None:
    shown = SHOWN.findall((ROOT / "README.md").read_text())
    committed = sorted(str(p.relative_to(ROOT)) for p in DOCS_SHOTS.glob("*.png"))
    assert len(shown) >= 3 and sorted(shown) == committed
    for name in shown:
        path = ROOT / name
        assert path.stat().st_size <= DOCS_SHOT_BYTES, name
        with Image.open(path) as image:
            assert image.format == "PNG" and image.width >= 600, name


def test_theDashboardDoc_listsEveryScreenshot() -> None:
    listed = set(
        re.findall(r"`screenshots/([\w-]+\.png)`", (ROOT / "docs/dashboard.md").read_text())
    )
    assert listed == {p.name for p in DOCS_SHOTS.glob("*.png")}
