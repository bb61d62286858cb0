"""``mlmarket demo`` prints tables for people: amounts without their exact twins."""

from __future__ import annotations

import pytest

from mlmarket import cli


def test_demo_printsNoExactColumns(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "_exact" not in out
    for column in ("claimable", "prize", "tokens"):  # the amounts themselves are there
        assert column in out
