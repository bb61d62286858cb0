"""Exact conversion between whole tokens and raw token units (18 decimals).

The Python API takes and shows whole-token amounts; contracts see raw units.
Conversions are exact: ``Decimal`` arithmetic, never binary floats.
"""

from __future__ import annotations

from decimal import Context, Decimal, InvalidOperation
from numbers import Integral

from mlmarket.errors import ConfigurationError

DECIMALS = 18
# Exact for any uint256 amount (78 digits) with 18 decimals; the default context's
# 28 digits would silently round large balances.
_EXACT = Context(prec=120)
Amount = int | Decimal | str | float
"""A whole-token amount: ``10``, ``Decimal("0.5")``, ``"2.25"`` or ``0.1`` (read as written)."""


def to_units(amount: Amount, decimals: int = DECIMALS) -> int:
    """Whole tokens → raw units, exactly.

    Floats are read as their shortest decimal form (``0.1`` means one tenth).

    Example:
        >>> to_units("1.5")
        1500000000000000000
        >>> to_units(0.1)
        100000000000000000
    """
    if isinstance(amount, bool):
        raise ConfigurationError("An amount must be a number of tokens, not a boolean.")
    if isinstance(amount, Integral):
        value = Decimal(int(amount))
    else:
        try:
            text = repr(amount) if isinstance(amount, float) else amount
            value = _EXACT.create_decimal(text)
        except (InvalidOperation, TypeError):
            raise ConfigurationError(
                f"{amount!r} is not a token amount; pass a number such as 10 or '2.5'."
            ) from None
    if not value.is_finite():
        raise ConfigurationError(f"{amount!r} is not a finite token amount.")
    raw = value.scaleb(decimals, _EXACT)
    if raw != raw.to_integral_value():
        raise ConfigurationError(
            f"{amount!r} has more than {decimals} decimal places; the token cannot represent it."
        )
    return int(raw)


def from_units(raw: int, decimals: int = DECIMALS) -> Decimal:
    """Raw units → whole tokens as an exact Decimal.

    Example:
        >>> from_units(1500000000000000000)
        Decimal('1.5')
    """
    value = Decimal(int(raw)).scaleb(-decimals, _EXACT)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1), context=_EXACT)
    return value.normalize(_EXACT)
