"""``mlmarket lab``: JupyterLab on the notebooks, or a clear error without it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from mlmarket import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    commands: list[list[str]] = []
    monkeypatch.setattr(cli.subprocess, "call", lambda command: commands.append(command) or 0)
    return commands


def test_lab_opensTheNotebooksFolder(
    launched: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    assert cli.main(["lab"]) == 0
    (command,) = launched
    assert command[1:3] == ["-m", "jupyterlab"]
    assert command[3] == "--ServerApp.root_dir=notebooks"


def test_lab_passesOptionsThrough_andTakesAFolder(
    launched: list[list[str]], tmp_path: Path
) -> None:
    assert cli.main(["lab", "--", "--port", "9999"]) == 0
    assert cli.main(["lab", str(tmp_path), "--", "--no-browser"]) == 0
    assert launched[0][-2:] == ["--port", "9999"]
    assert launched[1][3:] == [f"--ServerApp.root_dir={tmp_path}", "--no-browser"]


def test_lab_withoutJupyterLab_saysHowToGetIt(
    launched: list[list[str]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        cli.importlib.util, "find_spec", lambda name: None if name == "jupyterlab" else real(name)
    )
    assert cli.main(["lab"]) == 1
    assert launched == []
    assert "JupyterLab is not installed in this environment" in capsys.readouterr().err


def test_lab_aMissingFolder_isAnError(
    launched: list[list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["lab", str(tmp_path / "nope")]) == 1
    assert "There is no folder" in capsys.readouterr().err and launched == []
