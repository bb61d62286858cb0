"""Whole tokens ↔ raw units: exact both ways."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlmarket.errors import ConfigurationError
from mlmarket.units import from_units, to_units


@pytest.mark.parametrize(
    ("amount", "raw"),
    [
        (1, 10**18),
        ("2.5", 25 * 10**17),
        (Decimal("0.000000000000000001"), 1),
        (0.1, 10**17),  # a float means what it shows
        (0, 0),
    ],
)
def test_toUnits_isExact(amount, raw: int) -> None:
    assert to_units(amount) == raw


@given(st.integers(min_value=0, max_value=2**256 - 1))
def test_roundTrip_fromRaw(raw: int) -> None:
    assert to_units(from_units(raw)) == raw


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1.0000000000000000001", "more than 18 decimal places"),
        ("ten", "not a token amount"),
        (float("nan"), "not a finite"),
        (True, "not a boolean"),
    ],
)
def test_badAmounts_areExplained(amount, words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        to_units(amount)


def test_fromUnits_showsWholeTokensPlainly() -> None:
    assert str(from_units(10**20)) == "100"
    assert from_units(15 * 10**17) == Decimal("1.5")
