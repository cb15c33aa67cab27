"""Identifiers of the simulated accounts: large opaque integers, as Ticketsolve's look.

Public URLs show show ids like ``873662785`` / ``1173669529`` and event ids like
``128646839`` (spec §1). The simulator draws each kind of id from its own seeded
bijection ``n → base + (n·a + b) mod 2^bits``: ids look random, never repeat within a
kind, and need no lookup table. Order, line and customer ids (of the report exports,
whose real form is not public) are shorter numbers **[invented]**.
"""

from __future__ import annotations

import hashlib

__all__ = ["IdSpace", "id_spaces"]


class IdSpace:
    """A seeded bijection from row numbers to ids in ``[base, base + 2**bits)``."""

    def __init__(self, seed: int, kind: str, base: int, bits: int) -> None:
        digest = hashlib.sha256(f"{seed}:{kind}".encode()).digest()
        self.base = base
        self._modulus = 1 << bits
        self._multiplier = int.from_bytes(digest[:8], "big") % self._modulus | 1
        self._offset = int.from_bytes(digest[8:16], "big") % self._modulus

    def __call__(self, n: int) -> int:
        """The id of row ``n`` (``0 <= n < 2**bits``)."""
        if not 0 <= n < self._modulus:
            raise ValueError(f"row {n} is outside this id space")
        return self.base + (n * self._multiplier + self._offset) % self._modulus


def id_spaces(seed: int) -> dict[str, IdSpace]:
    """One id space per kind of object of an account with this seed."""
    return {
        "venue": IdSpace(seed, "venue", 100_000_000, 29),
        "show": IdSpace(seed, "show", 800_000_000, 30),
        "event": IdSpace(seed, "event", 100_000_000, 30),
        "customer": IdSpace(seed, "customer", 1_000_000, 26),
        "order": IdSpace(seed, "order", 20_000_000, 26),
        "line": IdSpace(seed, "line", 100_000_000, 29),
    }
