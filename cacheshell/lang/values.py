"""ObjectScript values: string/number conversions, arithmetic and comparison operators.

Value contract: strings are `str`; numbers are `int` when integral, otherwise a normalized
`decimal.Decimal` (never a binary float); anything else is an object whose `str()` is its
ObjectScript string form.

Numbers model InterSystems Decimal, M * 10**N with M a signed 64-bit integer and
-128 <= N: 19 significant digits when the 19-digit significand fits in 64 bits, otherwise
18, rounded half away from zero; magnitudes above 9.223372036854775807E145 are <MAXNUMBER>.
"""

from __future__ import annotations

import re
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

from cacheshell.lang.errors import ObjectScriptError

Number = int | Decimal

__all__ = [
    "MAX_STRING",
    "Number",
    "add",
    "and_",
    "concat",
    "contains",
    "div",
    "eq",
    "follows",
    "ge",
    "gt",
    "idiv",
    "is_canonical_number",
    "is_true",
    "le",
    "lt",
    "mod",
    "mul",
    "neg",
    "normalize_subscript",
    "not_",
    "or_",
    "pos",
    "power",
    "sorts_after",
    "sub",
    "subscript_key",
    "to_int",
    "to_int64",
    "to_num",
    "to_str",
]

_MAX64 = 9223372036854775807
_D_MAX64 = Decimal(_MAX64)
_MAXNUM = Decimal("9.223372036854775807E145")
# Smallest exponent N the M*10**N representation allows; finer digits are rounded away.
_MIN_QUANTUM = Decimal("1E-128")
# Integers strictly inside this bound have at most 18 digits, so they are always exact.
_EXACT = 10**18
_EXP_LIMIT = 999_999_999
# Longest string Caché allows with long strings enabled (Caché Programming Orientation Guide,
# General System Limits, KEY=GORIENT_appx_limits): every string an operation builds is checked.
MAX_STRING = 3_641_144

# Final rounding contexts. Traps are off: overflow to Infinity and underflow to 0 are
# turned into M results (<MAXNUMBER>, 0) by _finish itself.
_CTX19 = Context(prec=19, rounding=ROUND_HALF_UP, Emax=_EXP_LIMIT, Emin=-_EXP_LIMIT, traps=[])
_CTX18 = Context(prec=18, rounding=ROUND_HALF_UP, Emax=_EXP_LIMIT, Emin=-_EXP_LIMIT, traps=[])
# Intermediate results: wide enough that +, -, *, \ and # of in-range operands are exact.
# Truncation (ROUND_DOWN) is safe ahead of a later half-up rounding to far fewer digits:
# it can never move a value across the halfway point.
_WIDE = Context(
    prec=400,
    rounding=ROUND_DOWN,
    Emax=_EXP_LIMIT,
    Emin=-_EXP_LIMIT,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
_DIV = Context(
    prec=40,
    rounding=ROUND_DOWN,
    Emax=_EXP_LIMIT,
    Emin=-_EXP_LIMIT,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

# Longest numeric prefix: signs, digits, at most one point, optional exponent with digits.
_NUM_RE = re.compile(r"([+-]*)([0-9]*)(?:\.([0-9]*))?(?:[Ee]([+-]?[0-9]+))?")
# Shape of a canonical number; values beyond M precision/range are weeded out by round trip.
_CANON_RE = re.compile(r"-?(?:[1-9][0-9]*(?:\.[0-9]*[1-9])?|\.[0-9]*[1-9])|0")


# ---------------------------------------------------------------------------
# Rounding to M precision


def _finish(d: Decimal) -> Number:
    """Round an exact (or truncated wide) Decimal to an M number; int when integral."""
    r = _CTX19.plus(d)
    if not r:
        return 0
    # The 19-digit significand must fit a signed 64-bit integer, else only 18 digits remain.
    if _WIDE.scaleb(r.copy_abs(), 18 - r.adjusted()) > _D_MAX64:
        r = _CTX18.plus(d)
    if r.copy_abs() > _MAXNUM:
        raise ObjectScriptError("MAXNUMBER")
    r = r.normalize(_CTX19)
    # A finite Decimal's exponent is an int: typeshed's type adds the "n", "N" and "F" of NaN and
    # infinity, which only a check on every rounding could rule out.
    exponent: int = r.as_tuple().exponent  # type: ignore[assignment]
    if exponent < -128:
        # The exponent N cannot go below -128: round the original at that position.
        r = d.quantize(_MIN_QUANTUM, rounding=ROUND_HALF_UP, context=_WIDE)
        if not r:
            return 0
        r = r.normalize(_CTX19)
        exponent = r.as_tuple().exponent  # type: ignore[assignment]  # finite, as above
    if exponent >= 0:
        return int(r)
    return r


def _norm_int(i: int) -> Number:
    """An exact integer result brought to M precision."""
    if -_EXACT < i < _EXACT:
        return i
    return _finish(Decimal(i))


# ---------------------------------------------------------------------------
# Conversions


def to_str(v: object) -> str:
    """Canonical ObjectScript string form of a value."""
    # type(v) is read once on these hot paths; mypy narrows v only on `type(v) is C` written
    # out in full, hence the ignores where v is returned as the type just compared.
    t = type(v)
    if t is str:
        return v  # type: ignore[return-value]
    if t is int:
        return str(v)
    if t is Decimal:
        return _decimal_str(v)  # type: ignore[arg-type]
    if t is bool:
        return "1" if v else "0"
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, Decimal):
        return _decimal_str(v)
    if isinstance(v, float):
        return to_str(to_num(v))
    return str(v)


def _decimal_str(d: Decimal) -> str:
    """M canonical form of a Decimal: no exponent, no leading/trailing zeros, no -0."""
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s.startswith("-0"):
        s = "-" + s[2:]
    elif s.startswith("0"):
        s = s[1:]
    if s in ("", "-"):
        return "0"
    return s


def to_num(v: object) -> Number:
    """Numeric interpretation of a value (numbers pass through unchanged)."""
    t = type(v)
    if t is int or t is Decimal:
        return v  # type: ignore[return-value]
    if t is str:
        return _str_to_num(v)  # type: ignore[arg-type]
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return _norm_int(int(v))
    if isinstance(v, Decimal):
        return _finish(v) if v.is_finite() else 0
    if isinstance(v, float):
        # Not part of the value contract; read it through its shortest decimal spelling.
        return _str_to_num(repr(v))
    return _str_to_num(str(v))


def _str_to_num(s: str) -> Number:
    # Plain short digit strings are by far the most common numeric strings.
    if len(s) < 19 and s.isdigit() and s.isascii():
        return int(s)
    m = _NUM_RE.match(s)
    assert m is not None  # every part of the regex is optional
    signs, ip, fp, ex = m.groups()
    if not ip and not fp:
        return 0  # no digit at all: signs, a lone point or an exponent alone are not numbers
    negative = signs.count("-") & 1
    if ex is None and not fp:
        n = _norm_int(int(ip)) if len(ip) <= 18 else _finish(Decimal(ip))
    else:
        if ex is not None and len(ex.lstrip("+-").lstrip("0")) > 9:
            # Absurd exponent: settle it without building the number.
            if not (ip + (fp or "")).strip("0") or ex.startswith("-"):
                return 0
            raise ObjectScriptError("MAXNUMBER")
        n = _finish(Decimal(f"{ip or '0'}.{fp or '0'}E{ex or '0'}"))
    if negative:
        return n.copy_negate() if type(n) is Decimal else -n
    return n


def to_int(v: object) -> int:
    """Numeric interpretation truncated toward zero."""
    n = to_num(v)
    return n if type(n) is int else int(n)


def to_int64(v: object) -> int:
    """An integer argument as Caché's %Integer holds it, in 64 bits; a number beyond is
    <VALUE OUT OF RANGE> rather than a value no store can keep."""
    n = to_int(v)
    if not -_MAX64 - 1 <= n <= _MAX64:
        raise ObjectScriptError("VALUE OUT OF RANGE")
    return n


def is_true(v: object) -> bool:
    """ObjectScript truth: a nonzero numeric interpretation."""
    if type(v) is int:
        return v != 0
    return to_num(v) != 0


def is_canonical_number(s: str) -> bool:
    """True iff `s` is exactly the canonical string of some M number."""
    if not _CANON_RE.fullmatch(s):
        return False
    if len(s) <= 18:
        # At most 18 digits and no exponent: always exactly representable.
        return True
    try:
        return to_str(_str_to_num(s)) == s
    except ObjectScriptError:
        return False


# ---------------------------------------------------------------------------
# Arithmetic


def add(a: object, b: object) -> Number:
    """a+b"""
    if type(a) is int and type(b) is int:
        r = a + b
        if -1000000000000000000 < r < 1000000000000000000:
            return r
    x = to_num(a)
    y = to_num(b)
    if type(x) is int and type(y) is int:
        return _norm_int(x + y)
    return _finish(_WIDE.add(x, y))


def sub(a: object, b: object) -> Number:
    """a-b"""
    if type(a) is int and type(b) is int:
        r = a - b
        if -1000000000000000000 < r < 1000000000000000000:
            return r
    x = to_num(a)
    y = to_num(b)
    if type(x) is int and type(y) is int:
        return _norm_int(x - y)
    return _finish(_WIDE.subtract(x, y))


def mul(a: object, b: object) -> Number:
    """a*b"""
    if type(a) is int and type(b) is int:
        r = a * b
        if -1000000000000000000 < r < 1000000000000000000:
            return r
    x = to_num(a)
    y = to_num(b)
    if type(x) is int and type(y) is int:
        return _norm_int(x * y)
    return _finish(_WIDE.multiply(x, y))


def div(a: object, b: object) -> Number:
    """a/b; division by zero is <DIVIDE>."""
    x = to_num(a)
    y = to_num(b)
    if not y:
        raise ObjectScriptError("DIVIDE")
    if type(x) is int and type(y) is int and x % y == 0:
        return _norm_int(x // y)
    return _finish(_DIV.divide(x, y))


def idiv(a: object, b: object) -> Number:
    r"""a\b: quotient truncated toward zero; division by zero is <DIVIDE>."""
    x = to_num(a)
    y = to_num(b)
    if not y:
        raise ObjectScriptError("DIVIDE")
    if type(x) is int and type(y) is int:
        q = abs(x) // abs(y)
        return _norm_int(-q if (x < 0) != (y < 0) else q)
    # Decimal's integer division truncates toward zero, as M's \ does.
    return _finish(_WIDE.divide_int(x, y))


def mod(a: object, b: object) -> Number:
    """a#b = a - b*floor(a/b): the result takes the sign of b; modulo zero is <DIVIDE>."""
    x = to_num(a)
    y = to_num(b)
    if not y:
        raise ObjectScriptError("DIVIDE")
    if type(x) is int and type(y) is int:
        return _norm_int(x % y)  # Python's % already floors
    r = _WIDE.remainder(x, y)  # sign of the dividend: shift into b's sign
    if r and (r < 0) != (y < 0):
        r = _WIDE.add(r, y)
    return _finish(r)


def power(a: object, b: object) -> Number:
    """a**b with the M special cases for zero and negative bases."""
    x = to_num(a)
    y = to_num(b)
    if not x:
        if y < 0:
            raise ObjectScriptError("ILLEGAL VALUE")
        return 0  # 0**0 is 0 in ObjectScript
    if not y:
        return 1
    if type(y) is int:
        if type(x) is int and y > 0:
            if x == 1 or x == -1:
                return x if y & 1 else 1
            # |x| >= 2**(bits-1), so this bound proves overflow before building a huge int.
            if (abs(x).bit_length() - 1) * y > 490:
                raise ObjectScriptError("MAXNUMBER")
            return _norm_int(x**y)
    elif x < 0:
        raise ObjectScriptError("ILLEGAL VALUE")
    try:
        r = _DIV.power(x, y)
    except Overflow:
        raise ObjectScriptError("MAXNUMBER") from None
    except (InvalidOperation, DivisionByZero):
        raise ObjectScriptError("ILLEGAL VALUE") from None
    return _finish(r)


def neg(v: object) -> Number:
    """Unary minus."""
    n = to_num(v)
    if type(n) is Decimal:
        return n.copy_negate()
    return -n


def pos(v: object) -> Number:
    """Unary plus: the numeric interpretation."""
    return to_num(v)


# ---------------------------------------------------------------------------
# String, relational and logical operators (all return 1 or 0 except concat)


def concat(a: object, b: object) -> str:
    """a_b; a result longer than MAX_STRING is <MAXSTRING>, found before it is built."""
    r = (a if type(a) is str else to_str(a)) + (b if type(b) is str else to_str(b))
    if len(r) > MAX_STRING:  # each operand is within it: the result is at most twice as long
        raise ObjectScriptError("MAXSTRING")
    return r


def eq(a: object, b: object) -> int:
    """a=b: string comparison of the canonical forms."""
    if type(a) is type(b) and (type(a) is str or type(a) is int):
        return 1 if a == b else 0
    return 1 if to_str(a) == to_str(b) else 0


def lt(a: object, b: object) -> int:
    """a<b (numeric)."""
    if type(a) is int and type(b) is int:
        return 1 if a < b else 0
    return 1 if to_num(a) < to_num(b) else 0


def gt(a: object, b: object) -> int:
    """a>b (numeric)."""
    if type(a) is int and type(b) is int:
        return 1 if a > b else 0
    return 1 if to_num(a) > to_num(b) else 0


def le(a: object, b: object) -> int:
    """a<=b (numeric)."""
    if type(a) is int and type(b) is int:
        return 1 if a <= b else 0
    return 1 if to_num(a) <= to_num(b) else 0


def ge(a: object, b: object) -> int:
    """a>=b (numeric)."""
    if type(a) is int and type(b) is int:
        return 1 if a >= b else 0
    return 1 if to_num(a) >= to_num(b) else 0


def contains(a: object, b: object) -> int:
    """a[b: b is a substring of a."""
    return 1 if to_str(b) in to_str(a) else 0


def follows(a: object, b: object) -> int:
    """a]b: a sorts after b by character codes."""
    return 1 if to_str(a) > to_str(b) else 0


def sorts_after(a: object, b: object) -> int:
    """a]]b: a sorts after b in subscript collation."""
    return 1 if subscript_key(a) > subscript_key(b) else 0


def and_(a: object, b: object) -> int:
    """a&b (both operands already evaluated)."""
    return 1 if is_true(a) and is_true(b) else 0


def or_(a: object, b: object) -> int:
    """a!b (both operands already evaluated)."""
    return 1 if is_true(a) or is_true(b) else 0


def not_(v: object) -> int:
    """'v"""
    return 0 if is_true(v) else 1


# ---------------------------------------------------------------------------
# Subscripts


def subscript_key(v: object) -> tuple[int, Number | str]:
    """Sort key for M subscript collation: "", then canonical numbers numerically, then strings."""
    t = type(v)
    if t is int or t is Decimal:
        return (1, v)  # type: ignore[return-value]
    s = to_str(v)
    if not s:
        return (0, "")
    if is_canonical_number(s):
        return (1, _str_to_num(s))
    return (2, s)


def normalize_subscript(v: object) -> Number | str:
    """Stored form of a subscript: canonical numeric strings become numbers; "" is an error."""
    t = type(v)
    if t is int or t is Decimal:
        return v  # type: ignore[return-value]
    s = to_str(v)
    if not s:
        raise ObjectScriptError("SUBSCRIPT")
    if is_canonical_number(s):
        return _str_to_num(s)
    return s
