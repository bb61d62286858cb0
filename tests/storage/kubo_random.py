"""kubo's deterministic test data, reproduced.

kubo's CID test vectors (test/cli/add_test.go, test/cli/cid_profiles_test.go)
add files made by its harness's ``DeterministicRandomReader``
(test/cli/testutils/random_deterministic.go): the ChaCha20 key stream
(RFC 8439 variant: 12-byte zero nonce, block counter 0) under the key
``sha256(seed)``. :class:`KuboRandomFile` reproduces that stream, generated
piece by piece so that gigabyte vectors never sit in memory or on disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms


class KuboRandomFile:
    """A read-only binary stream of ``size`` bytes of kubo's seeded ChaCha20 data."""

    def __init__(self, size: int, seed: str) -> None:
        key = hashlib.sha256(seed.encode()).digest()
        # cryptography's 16-byte nonce = 4-byte little-endian counter + Go's 12-byte nonce.
        self._cipher = Cipher(algorithms.ChaCha20(key, bytes(16)), mode=None).encryptor()
        self.remaining = size

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            n = self.remaining
        n = min(n, self.remaining)
        self.remaining -= n
        return self._cipher.update(bytes(n))


def kubo_random_bytes(size: int, seed: str) -> bytes:
    """The whole stream at once (for small sizes)."""
    return KuboRandomFile(size, seed).read()


def kubo_random_pieces(size: int, seed: str, piece: int = 1 << 20) -> Iterator[bytes]:
    """The stream in pieces of ``piece`` bytes."""
    stream = KuboRandomFile(size, seed)
    while stream.remaining:
        yield stream.read(piece)
