"""Number validation and conversion functions: $ISVALIDNUM, $NORMALIZE, $DECIMAL, $ZPOWER and
$INUMBER (the inverse of $FNUMBER)."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

from cacheshell.lang import values as V
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.function_spec import FunctionSpec
from cacheshell.lang.markers import OMITTED, Omitted
from cacheshell.lang.objects import Value
from cacheshell.lang.values import Number, to_int, to_num, to_str

# The largest number $ISVALIDNUM accepts as a string (RCOS_fisvalidnum).
_LARGEST = Decimal("9.223372036854775807E145")
_EXACT = Context(prec=600)
# No number has a digit further right than this many places (values keep exponents >= -128).
_FINEST = 200
# A number as $ISVALIDNUM reads a string: one optional leading sign, digits with at most one
# point, and an exponent letter (either case) followed by an integer.
_VALID_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[Ee][+-]?\d+)?")


def _given(v: object) -> bool:
    return v is not None and v is not OMITTED


def _scaled(value: Decimal, scale: int) -> Decimal:
    """Round half up to `scale` decimals; a scale of -1 truncates to an integer."""
    if scale == -1:
        return value.quantize(Decimal(1), ROUND_DOWN, _EXACT)
    if scale < -1:
        raise ObjectScriptError("FUNCTION")
    if scale > _FINEST:
        return value  # finer than any number has digits: nothing to round
    return value.quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP, _EXACT)


def _as_decimal(v: object) -> Decimal:
    return Decimal(to_num(v))


def isvalidnum(
    num: object, scale: object = OMITTED, lo: object = OMITTED, hi: object = OMITTED
) -> int:
    """$ISVALIDNUM(num[,scale,min,max]): 1 when num is a number (and within min..max)."""
    if isinstance(num, str):
        if not _VALID_RE.fullmatch(num):
            return 0
        mantissa, _, exponent = num.upper().partition("E")
        if exponent and len(exponent.lstrip("+-").lstrip("0")) > 9:
            return 1 if exponent.startswith("-") and not _given(lo) and not _given(hi) else 0
        value = Decimal(num)
        if value.copy_abs() > _LARGEST:
            return 0
    else:
        value = _as_decimal(num)
    if not _given(lo) and not _given(hi):
        if _given(scale) and to_int(scale) < -1:
            raise ObjectScriptError("FUNCTION")
        return 1
    if _given(scale):
        value = _scaled(value, to_int(scale))
    if _given(lo) and value < _as_decimal(lo):
        return 0
    if _given(hi) and value > _as_decimal(hi):
        return 0
    return 1


def normalize(num: object, scale: object) -> Number:
    """$NORMALIZE(num,scale): the number rounded (0: to an integer; -1: truncated)."""
    value = _as_decimal(num)
    return to_num(str(_scaled(value, to_int(scale))))


def decimal(num: object, digits: object = OMITTED) -> Number:
    """$DECIMAL(num[,digits]): the number, rounded to `digits` significant digits."""
    value = to_num(num)
    if not _given(digits):
        return value
    places = to_int(digits)
    if places < 0 or places > 38:
        raise ObjectScriptError("ILLEGAL VALUE")
    if places == 0 or not value:
        return value
    d = Decimal(value)
    return to_num(str(Context(prec=places, rounding=ROUND_HALF_EVEN).plus(d)))


def zpower(num: object, exponent: object) -> Number:
    """$ZPOWER(num,exponent): the same as num**exponent."""
    return V.power(num, exponent)


# ---------------------------------------------------------------------------
# $INUMBER

_INUMBER_CODES = "+-,.ELNOPT"
_SIGNED_RE = re.compile(r"([+-]?)([^+-]*?)([+-]?)")


def _inumber_codes(fmt: object) -> str:
    codes = to_str(fmt).upper() if _given(fmt) else ""
    if any(c not in _INUMBER_CODES for c in codes):
        raise ObjectScriptError("FUNCTION")
    if "P" in codes and any(c in codes for c in "+-LT") or ("T" in codes and "L" in codes):
        raise ObjectScriptError("SYNTAX")
    if "," in codes and ("." in codes or "N" in codes) or ("." in codes and "O" in codes):
        raise ObjectScriptError("FUNCTION")
    return codes


def _digits(body: str, codes: str) -> Decimal | None:
    """The unsigned number a formatted body stands for, or None when it breaks the format."""
    group, point = (".", ",") if "." in codes else (",", ".")
    integer, has_point, fraction = body.partition(point)
    if group in integer:
        if "N" in codes:
            return None
        parts = integer.split(group)
        if not parts[0] or len(parts[0]) > 3 or any(len(p) != 3 for p in parts[1:]):
            return None
        integer = "".join(parts)
    exponent = ""
    if "E" in codes:
        m = re.fullmatch(r"(.*?)[Ee]([+-]?\d+)", fraction if has_point else integer)
        if m:
            exponent = m.group(2)
            if has_point:
                fraction = m.group(1)
            else:
                integer = m.group(1)
    text = f"{integer}.{fraction}" if has_point else integer
    if not re.fullmatch(r"\d+\.?\d*|\.\d+", text):
        return None
    return Decimal(f"{text}E{exponent or 0}")


def _inumber(text: str, codes: str) -> Decimal | None:
    text = text.strip(" ")
    if text.startswith("(") and text.endswith(")"):
        if any(c in codes for c in "+-LT"):
            return None
        value = _digits(text[1:-1], codes)
        return None if value is None else -value
    m = _SIGNED_RE.fullmatch(text)
    if m is None:
        return None
    lead, body, trail = m.groups()
    if lead and trail:
        return None
    sign = lead or trail
    if ("-" in codes or "P" in codes) and sign or "+" in codes and not sign:
        return None
    if "L" in codes and trail or "T" in codes and lead:
        return None
    value = _digits(body, codes)
    if value is None:
        return None
    return -value if sign == "-" else value


def inumber(fnumber: object, fmt: object = OMITTED, erropt: Value | Omitted = OMITTED) -> Value:
    """$INUMBER(fnumber,format[,erropt]): a number written as $FNUMBER writes it, back in
    canonical form; erropt (or <ILLEGAL VALUE>) when it does not follow the format."""
    codes = _inumber_codes(fmt)
    value = _inumber(to_str(fnumber), codes)
    if value is None:
        if not isinstance(erropt, Omitted):
            return erropt
        raise ObjectScriptError("ILLEGAL VALUE")
    return to_num(str(value))


FUNCTIONS: dict[str, FunctionSpec] = {
    f.name: f
    for f in (
        FunctionSpec("ISVALIDNUM", None, isvalidnum, 1, 4, "1 if a value is a number."),
        FunctionSpec("NORMALIZE", None, normalize, 2, 2, "A number rounded to a scale."),
        FunctionSpec("DECIMAL", None, decimal, 1, 2, "A number, rounded to significant digits."),
        FunctionSpec("ZPOWER", None, zpower, 2, 2, "A number raised to a power."),
        FunctionSpec("INUMBER", "IN", inumber, 2, 3, "A formatted number back in canonical form."),
    )
}
