"""M collation as bytes: an order-preserving encoding of a global reference (name, subscripts).

Comparing two encodings byte by byte orders them as Caché collates the nodes: a name, then its
subscripts level by level, canonical numbers before strings, numbers by value (negative, zero,
positive, fractions among them), strings in code-point order. Every subscript is self-delimiting,
so an ancestor's encoding is a byte prefix of each descendant's and a subtree is the key range
[prefix, prefix + END).

  number < 0   NEG  inverted(exponent, 2 bytes)  inverted(digit + 1)...  0xFF
  number 0     ZERO
  number > 0   POS  exponent + 0x8000 (2 bytes)  ASCII digits...         0x00
  string       STR  UTF-8, 0x00 written 0x00 0xFF                       0x00 0x01

A number is 0.d1d2...dn x 10**exponent: numbers of one exponent compare by their digits, the
terminator sorting below every digit. An integer keeps its trailing zeros (its digits are its
decimal text, decoded by int() alone); a fraction has none. A value has one encoding either way,
since a fraction never equals an integer.
"""

from __future__ import annotations

from decimal import Decimal

from cacheshell.lang.values import Number

NEG, ZERO, POS, STR = b"\x11", b"\x12", b"\x13", b"\x20"
# Sorts after every subscript tag: the exclusive upper bound of a subtree is its prefix + END.
END = b"\xff"

_INVERTED = bytes.maketrans(b"0123456789", bytes(0xFE - d for d in range(10)))
_INVERTED_BACK = bytes.maketrans(bytes(0xFE - d for d in range(10)), b"0123456789")
_STRING_END = b"\x00\x01"


def name_prefix(name: str) -> bytes:
    """The encoding of an unsubscripted name: the key of its root node and its subtree's prefix."""
    return name.encode("utf-8") + b"\x00"


def encode(name: str, subs: tuple[Number | str, ...]) -> bytes:
    """The key of name(subs...); each subscript already normalized (a canonical number as one)."""
    return name_prefix(name) + b"".join(map(encode_subscript, subs))


def encode_subscript(sub: Number | str) -> bytes:
    t = type(sub)
    if t is int:
        n: int = sub  # type: ignore[assignment]
        if n == 0:
            return ZERO
        digits = str(n).encode("ascii")
        if n > 0:
            return POS + (len(digits) + 0x8000).to_bytes(2, "big") + digits + b"\x00"
        magnitude = digits[1:]
        return NEG + (0x7FFF - len(magnitude)).to_bytes(2, "big") + _negative(magnitude)
    if t is Decimal:
        return _encode_decimal(sub)  # type: ignore[arg-type]
    text: str = sub  # type: ignore[assignment]
    return STR + text.encode("utf-8", "surrogatepass").replace(b"\x00", b"\x00\xff") + _STRING_END


def _negative(significant: bytes) -> bytes:
    return significant.translate(_INVERTED) + b"\xff"


def _encode_decimal(d: Decimal) -> bytes:
    if d == 0:
        return ZERO
    sign, digit_tuple, exponent = d.as_tuple()
    digits = "".join(map(str, digit_tuple)).encode("ascii")
    significant = digits.rstrip(b"0")
    assert isinstance(exponent, int)
    point = len(digits) + exponent  # value = 0.digits x 10**point
    if not sign:
        return POS + (point + 0x8000).to_bytes(2, "big") + significant + b"\x00"
    return NEG + (0x7FFF - point).to_bytes(2, "big") + _negative(significant)


def decode_subscript(key: bytes, pos: int) -> tuple[Number | str, int]:
    """The subscript encoded at key[pos:] and the position after it."""
    tag = key[pos]
    if tag == 0x13:
        end = key.index(0, pos + 3)
        digits = key[pos + 3 : end]
        if len(digits) == (key[pos + 1] << 8 | key[pos + 2]) - 0x8000:
            return int(digits), end + 1  # an integer: its decimal text
        point = int.from_bytes(key[pos + 1 : pos + 3], "big") - 0x8000
        return _number_value(digits, point, False), end + 1
    if tag == 0x12:
        return 0, pos + 1
    if tag == 0x11:
        point = 0x7FFF - int.from_bytes(key[pos + 1 : pos + 3], "big")
        end = key.index(b"\xff", pos + 3)
        digits = key[pos + 3 : end].translate(_INVERTED_BACK)
        return _number_value(digits, point, True), end + 1
    end = key.index(_STRING_END, pos + 1)
    # Within a string every 0x00 is an escape followed by 0xFF: the first 0x00 0x01 ends it.
    raw = key[pos + 1 : end].replace(b"\x00\xff", b"\x00")
    return raw.decode("utf-8", "surrogatepass"), end + 2


def _number_value(digits: bytes, point: int, negative: bool) -> Number:
    scale = point - len(digits)
    if scale >= 0:
        n: int = int(digits) * 10**scale
        return -n if negative else n
    return Decimal((1 if negative else 0, tuple(b - 48 for b in digits), scale))


def decode_subscripts(key: bytes, pos: int) -> tuple[Number | str, ...]:
    """Every subscript encoded from key[pos:] to its end."""
    out: list[Number | str] = []
    while pos < len(key):
        sub, pos = decode_subscript(key, pos)
        out.append(sub)
    return tuple(out)


def decode(key: bytes) -> tuple[str, tuple[Number | str, ...]]:
    """(name, subscripts) of a key."""
    end = key.index(b"\x00")
    return key[:end].decode("utf-8"), decode_subscripts(key, end + 1)
