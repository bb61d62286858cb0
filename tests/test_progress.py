"""Progress bars: on by default in a notebook (evaluation, long uploads), off elsewhere."""

from __future__ import annotations

import doctest
import io
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

import mlmarket.progress
from mlmarket import progress
from mlmarket.errors import ConfigurationError
from mlmarket.storage import LocalStore
from mlmarket.storage.base import READ_SIZE, uploading


class Bar:
    """Stands in for tqdm's notebook bar: records what it was made with and advanced by."""

    made: list[Bar] = []

    def __init__(self, **options: Any) -> None:
        self.options, self.count, self.closed = options, 0, False
        Bar.made.append(self)

    def update(self, n: int) -> None:
        self.count += n

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def notebook(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Bar]]:
    """Run as if in a Jupyter kernel: IPython with a kernel, tqdm's notebook bar recorded."""
    shell = types.SimpleNamespace(kernel=object())
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    import tqdm.notebook

    monkeypatch.setattr(tqdm.notebook, "tqdm", Bar)
    Bar.made = []
    yield Bar.made


def test_docstringExamples_run() -> None:
    result = doctest.testmod(mlmarket.progress)
    assert result.attempted > 0 and result.failed == 0


def test_noBar_outsideANotebook_unlessAskedFor(capsys: pytest.CaptureFixture[str]) -> None:
    assert not progress.in_notebook()
    assert list(progress.track(range(3), show=None, label="Quiet", unit="call")) == [0, 1, 2]
    assert capsys.readouterr().err == ""
    assert list(progress.track(range(3), show=True, label="Loud", unit="call")) == [0, 1, 2]
    assert "Loud: 100%" in capsys.readouterr().err


def test_inANotebook_theBarIsOnByDefault_andCountsEveryItem(notebook: list[Bar]) -> None:
    assert progress.wanted(None) and not progress.wanted(False)
    assert list(progress.track(["a", "b"], show=None, label="Scoring", unit="call")) == ["a", "b"]
    (bar,) = notebook
    assert bar.options["total"] == 2 and bar.options["desc"] == "Scoring"
    assert bar.count == 2 and bar.closed


def test_aBadProgressValue_isRefusedAtOnce() -> None:
    with pytest.raises(ConfigurationError, match="progress must be True, False or None"):
        progress.track([1], show="sometimes", label="x", unit="call")  # type: ignore[arg-type]


def test_aLongUpload_showsTheBytesStored(notebook: list[Bar], tmp_path: Any) -> None:
    content = bytes(3 * READ_SIZE + 5)
    cid = LocalStore(tmp_path).add(content)
    (bar,) = notebook
    assert bar.options["total"] == len(content) and bar.count == len(content) and bar.closed
    assert bar.options["unit"] == "B" and bar.options["delay"] > 0  # quick uploads stay silent
    assert LocalStore(tmp_path).get(cid) == content
    LocalStore(tmp_path).add(content, progress=False)
    assert len(notebook) == 1


def test_anUploadFromAFile_knowsItsSize(tmp_path: Any) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(bytes(READ_SIZE + 1))
    out = io.StringIO()
    with path.open("rb") as stream:
        stream.seek(1)
        pieces = list(uploading(stream, True, delay=0, file=out))
    assert sum(len(p) for p in pieces) == READ_SIZE
    assert "1.05M/1.05M" in out.getvalue()  # the size from where the file is read on


def test_evaluation_inANotebook_showsABarOfItsCalls(notebook: list[Bar]) -> None:
    from sklearn.linear_model import LogisticRegression

    import mlmarket as mm
    from mlmarket.datasets import load_sample

    with mm.Market.local() as market:
        comp = market.competitions.create(data=load_sample("iris"), target="species",
                                          creator="alice", reward=10)  # fmt: skip
        X, y = comp.training_xy()
        for who in ("bob", "carol"):
            comp.submit(LogisticRegression(max_iter=2000).fit(X, y), by=who)
        market.clock.advance_to(comp.deadline("submission"))
        comp.reveal()
        market.clock.advance_to(comp.deadline("reveal"))
        comp.reveal_test_set()
        notebook.clear()  # uploads of reveals are quick; what counts is the evaluation
        sent = comp.evaluate(models_per_call=1)
    (bar,) = [b for b in notebook if str(b.options["desc"]).startswith("Evaluating")]
    assert bar.options["total"] == sent == 2 and bar.count == 2 and bar.closed
