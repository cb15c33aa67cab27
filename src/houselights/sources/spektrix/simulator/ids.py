"""Identifier formats of the simulated Spektrix system.

* Catalogue and transaction objects: 33 characters, ``<legacy integer>A<letters>``, the
  letters drawn only from ``BCDGHJKLMNPQRSTV`` (spec §5.2, measured over 1,374 real ids).
  Real systems reuse the same id for different entity types, so the tail is probably a
  function of the integer alone; we make it exactly that (a hash of the integer), which
  also lets the simulator decode an id back to its row without a lookup table.
* Customers: ``I-XXXX-XXXX`` (spec §5.2). The eight characters encode the row number
  through a seed-dependent bijection, so ids look random but decode in O(1).
* Friendly ids (orders, customers): six characters of the same alphabet (**invented** form;
  the docs sample shows ``AB12CD``).
"""

from __future__ import annotations

__all__ = [
    "CATALOGUE_ID_LENGTH",
    "ScrambledCodec",
    "catalogue_id",
    "catalogue_number",
]

CATALOGUE_ID_LENGTH = 33
_TAIL_LETTERS = "BCDGHJKLMNPQRSTV"
# Crockford base32: unambiguous upper-case letters and digits, 32 symbols = 5 bits each.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_INDEX = {ch: i for i, ch in enumerate(_CODE_ALPHABET)}
_MASK64 = (1 << 64) - 1


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


# Hex digit -> tail letter: turning a 64-bit hash into 16 letters is then one
# ``bytes.hex().translate()`` — this runs for every ticket of every order served.
_HEX_TO_TAIL = str.maketrans("0123456789abcdef", _TAIL_LETTERS)


def catalogue_id(number: int) -> str:
    """The 33-character id of the object whose legacy integer id is ``number`` (≥ 1)."""
    head = f"{number}A"
    need = CATALOGUE_ID_LENGTH - len(head)
    first = _splitmix64(number)
    second = _splitmix64(first)
    tail = (first.to_bytes(8, "little") + second.to_bytes(8, "little")).hex()
    return head + tail[:need].translate(_HEX_TO_TAIL)


def catalogue_number(value: str) -> int | None:
    """Decode a 33-character id to its legacy integer, or ``None`` if it is not one of ours."""
    if len(value) != CATALOGUE_ID_LENGTH:
        return None
    head, sep, _ = value.partition("A")
    if not sep or not head.isdigit() or head.startswith("0"):
        return None
    number = int(head)
    return number if catalogue_id(number) == value else None


class ScrambledCodec:
    """Bijective, seed-dependent encoding of row numbers as short base32 codes.

    ``x = (n * multiplier + offset) mod 2**bits`` hides the row order while staying
    invertible, so decoding needs no dictionary even for millions of rows.
    """

    def __init__(self, seed: int, chars: int) -> None:
        self.chars = chars
        self.bits = 5 * chars
        self._modulus = 1 << self.bits
        mixed = _splitmix64(seed * 7919 + chars)
        self._multiplier = (mixed | 1) % self._modulus or 1
        self._offset = _splitmix64(mixed) % self._modulus
        self._inverse = pow(self._multiplier, -1, self._modulus)

    def encode(self, n: int) -> str:
        """The code of row ``n``."""
        x = (n * self._multiplier + self._offset) % self._modulus
        out = []
        for _ in range(self.chars):
            out.append(_CODE_ALPHABET[x & 31])
            x >>= 5
        return "".join(reversed(out))

    def decode(self, code: str) -> int | None:
        """The row number of ``code``, or ``None`` if it has the wrong form."""
        if len(code) != self.chars:
            return None
        x = 0
        for ch in code:
            digit = _CODE_INDEX.get(ch)
            if digit is None:
                return None
            x = (x << 5) | digit
        return ((x - self._offset) * self._inverse) % self._modulus


class CustomerIdCodec:
    """``I-XXXX-XXXX`` customer ids and six-character friendly ids for customer rows."""

    def __init__(self, seed: int) -> None:
        self._ids = ScrambledCodec(seed, 8)
        self._friendly = ScrambledCodec(seed + 1, 6)

    def customer_id(self, row: int) -> str:
        """The id of customer row ``row``."""
        code = self._ids.encode(row)
        return f"I-{code[:4]}-{code[4:]}"

    def friendly_id(self, row: int) -> str:
        """The friendly id of customer row ``row``."""
        return self._friendly.encode(row)

    def row(self, customer_id: str) -> int | None:
        """Decode a customer id to its row (the caller checks the range)."""
        if len(customer_id) != 11 or customer_id[:2] != "I-" or customer_id[6] != "-":
            return None
        return self._ids.decode(customer_id[2:6] + customer_id[7:])
