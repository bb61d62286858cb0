"""Where the package's non-secret random bytes come from: salts and ids, seeded or not.

Commitment salts, test-set salts and dataset ids only need to be unpredictable to
others on a real network; there they come from :mod:`secrets`. A simulation wants the
opposite: two runs with the same seed should send the same transactions, byte for byte,
so that their gas and outcomes are equal. :class:`Randomness` gives both: unseeded it is
:func:`secrets.token_bytes`; seeded it is a :class:`random.Random` stream, which anyone who
knows the seed can predict, so a seeded market runs only on a local chain
(:meth:`mlmarket.Market.local` refuses nothing else, and ``Market.deploy`` on a network
never seeds). Keys, encryption nonces and ECIES ephemeral keys never come from here:
they stay random in every mode (the cryptography libraries draw them).

Example:
    >>> Randomness(7).bytes(4) == Randomness(7).bytes(4)
    True
    >>> len(Randomness().bytes(32)), Randomness().seeded
    (32, False)
    >>> len(Randomness(1).hex_id(16))
    32
"""

from __future__ import annotations

import random
import secrets

__all__ = ["Randomness"]


class Randomness:
    """Salts and ids: :mod:`secrets` unless ``seed`` is given (simulations only)."""

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise TypeError(f"seed must be a whole number or None, not {seed!r}.")
        self.seed = seed
        self._stream = random.Random(seed) if seed is not None else None

    @property
    def seeded(self) -> bool:
        """Whether the bytes are a seeded, predictable stream."""
        return self._stream is not None

    def bytes(self, n: int) -> bytes:
        """``n`` random bytes (the next ``n`` of the stream when seeded)."""
        if self._stream is None:
            return secrets.token_bytes(n)
        return self._stream.randbytes(n)

    def hex_id(self, size: int) -> str:
        """An id of ``size`` random bytes, as lowercase hex."""
        return self.bytes(size).hex()

    def __repr__(self) -> str:
        return f"Randomness(seed={self.seed})" if self.seeded else "Randomness(secrets)"
