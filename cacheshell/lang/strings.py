"""String and number-formatting functions ($PIECE, $EXTRACT, $ZSTRIP, $FNUMBER...).

Also the SET forms `SET $PIECE(...)=v` and `SET $EXTRACT(...)=v` (set_piece, set_extract).
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Context, Decimal

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.function_spec import VARIADIC, FunctionSpec
from cacheshell.lang.markers import OMITTED, Star
from cacheshell.lang.values import MAX_STRING, Number, is_true, to_int, to_num, to_str

# Rounding to a requested number of places must be exact, whatever the magnitude.
_EXACT = Context(prec=600)


def _given(v: object) -> bool:
    return v is not None and v is not OMITTED


def _position(v: object, length: int, default: int) -> int:
    """A position argument: an integer, a Star (`*-n`) or omitted."""
    if not _given(v):
        return default
    if isinstance(v, Star):
        return v.resolve(length)
    return to_int(v)


def _checked(s: str) -> str:
    if len(s) > MAX_STRING:
        raise ObjectScriptError("MAXSTRING")
    return s


def _number(d: Decimal) -> Number:
    """An exact Decimal result as an ObjectScript number (int when integral). Read through its
    exponent form: the fixed form of 1E999999999 alone would be a gigabyte of digits."""
    return to_num(str(d))


def _round(n: Number, places: int) -> Decimal:
    """Round half away from zero to `places` fractional digits (negative: left of the point)."""
    if places > MAX_STRING:
        raise ObjectScriptError("MAXSTRING")  # the digits alone would pass the string limit
    return Decimal(n).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP, _EXACT)


# ---------------------------------------------------------------------------
# Substrings


def piece(s: object, delim: object, start: object = OMITTED, end: object = OMITTED) -> str:
    """$PIECE(s,d[,from[,to]]): delimited field(s); a range keeps the inner delimiters."""
    text, d = to_str(s), to_str(delim)
    if not d:
        return ""
    parts = text.split(d)
    first = _position(start, len(parts), 1)
    last = _position(end, len(parts), first)
    first = max(first, 1)
    return d.join(parts[first - 1 : last]) if first <= last else ""


def extract(s: object, start: object = OMITTED, end: object = OMITTED) -> str:
    """$EXTRACT(s[,from[,to]]): characters by position."""
    text = to_str(s)
    n = len(text)
    first = _position(start, n, 1)
    if not _given(end):
        return text[first - 1] if 1 <= first <= n else ""
    last = min(_position(end, n, first), n)
    first = max(first, 1)
    return text[first - 1 : last] if first <= last else ""


def length(s: object, delim: object = OMITTED) -> int:
    """$LENGTH(s[,d]): characters, or number of pieces (0 for an empty delimiter)."""
    text = to_str(s)
    if not _given(delim):
        return len(text)
    d = to_str(delim)
    return text.count(d) + 1 if d else 0


def find(s: object, sub: object, start: object = OMITTED) -> int:
    """$FIND(s,sub[,start]): position after the match, 0 when absent."""
    text, target = to_str(s), to_str(sub)
    begin = max(_position(start, len(text), 1), 1)
    if begin > len(text) + 1:
        return 0
    if not target:
        return begin
    i = text.find(target, begin - 1)
    return i + len(target) + 1 if i >= 0 else 0


def translate(s: object, old: object, new: object = OMITTED) -> str:
    """$TRANSLATE(s,from[,to]): character-for-character replacement or deletion."""
    repl = to_str(new) if _given(new) else ""
    table: dict[int, str | None] = {}
    for i, c in enumerate(to_str(old)):
        table.setdefault(ord(c), repl[i] if i < len(repl) else None)
    return to_str(s).translate(table)


def replace(
    s: object,
    old: object,
    new: object,
    start: object = OMITTED,
    count: object = OMITTED,
    case: object = OMITTED,
) -> str:
    """$REPLACE(s,old,new[,start,count,case]); a start > 1 drops the text before it."""
    text, target, repl = to_str(s), to_str(old), to_str(new)
    begin = max(to_int(start), 1) if _given(start) else 1
    if begin > 1:
        text = text[begin - 1 :]
    limit = to_int(count) if _given(count) else -1
    if not target or limit == 0 or limit < -1:
        return text
    flags = re.IGNORECASE if _given(case) and is_true(case) else 0
    pattern = re.compile(re.escape(target), flags)
    # Each replacement may grow the result: stop at the limit, before the pieces are joined.
    grown = [len(text)]
    growth = len(repl) - len(target)

    def one(_m: re.Match[str]) -> str:
        grown[0] += growth
        if grown[0] > MAX_STRING:
            raise ObjectScriptError("MAXSTRING")
        return repl

    return _checked(pattern.sub(one, text, count=max(limit, 0)))


def reverse(s: object) -> str:
    """$REVERSE(s)"""
    return to_str(s)[::-1]


# ---------------------------------------------------------------------------
# $ZCONVERT


def _one(c: str, mapped: str) -> str:
    # Keep one character per character (Caché leaves eszett alone when upper-casing).
    return mapped if len(mapped) == 1 else c


def _recase(text: str, starts: str, skip_blanks: bool) -> str:
    """Upper-case the first letter of each word/sentence, lower-case every other letter."""
    out, at_start = [], True
    for c in text:
        if skip_blanks and c == " ":
            out.append(c)
            continue
        out.append(_one(c, c.upper() if at_start else c.lower()))
        at_start = c in starts
    return "".join(out)


def _strip_accents(text: str) -> str:
    return "".join(
        "".join(x for x in unicodedata.normalize("NFD", c) if not unicodedata.combining(x))
        for c in text
    )


_CASE_MODES: dict[str, Callable[[str], str]] = {
    "U": lambda t: "".join(_one(c, c.upper()) for c in t),
    "L": lambda t: "".join(_one(c, c.lower()) for c in t),
    "T": lambda t: "".join(_one(c, c.title()) for c in t),
    "W": lambda t: _recase(t, " \"'(", False),
    "S": lambda t: _recase(t, ".?!", True),
    "A": _strip_accents,
    "AU": lambda t: _CASE_MODES["U"](_strip_accents(t)),
    "AL": lambda t: _CASE_MODES["L"](_strip_accents(t)),
}

_HTML_OUT = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_XML_OUT = {**_HTML_OUT, "'": "&apos;"}
_JS_OUT = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def _url_out(text: str) -> str:
    return "".join(
        c if c in _URL_SAFE else (f"%{ord(c):02X}" if ord(c) < 256 else f"%u{ord(c):04X}")
        for c in text
    )


def _url_in(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        return chr(int(m.group(1) or m.group(2), 16))

    return re.sub(r"%u([0-9A-Fa-f]{4})|%([0-9A-Fa-f]{2})", one, text)


def _js_in(text: str) -> str:
    simple = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "0": "\0"}

    def one(m: re.Match[str]) -> str:
        e = m.group(1)
        if e[0] in "xu":
            return chr(int(e[1:], 16))
        return simple.get(e, e)

    return re.sub(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|.)", one, text, flags=re.DOTALL)


def _json_in(text: str) -> str:
    try:
        decoded: str = json.loads('"' + text.replace("\n", "\\n") + '"')  # a JSON string
        return decoded
    except ValueError:
        raise ObjectScriptError("ILLEGAL VALUE") from None


_TABLES: dict[str, tuple[Callable[[str], str], Callable[[str], str]]] = {
    "HTML": (lambda t: "".join(_HTML_OUT.get(c, c) for c in t), html.unescape),
    "XML": (lambda t: "".join(_XML_OUT.get(c, c) for c in t), html.unescape),
    "JS": (lambda t: "".join(_JS_OUT.get(c, c) for c in t), _js_in),
    "JSON": (lambda t: json.dumps(t, ensure_ascii=False)[1:-1], _json_in),
    "URL": (_url_out, _url_in),
    "UTF8": (
        lambda t: t.encode("utf-8", "surrogatepass").decode("latin-1"),
        lambda t: t.encode("latin-1", "replace").decode("utf-8", "replace"),
    ),
    "RAW": (lambda t: t, lambda t: t),
    "": (lambda t: t, lambda t: t),
}


def zconvert(s: object, mode: object, table: object = OMITTED, handle: object = OMITTED) -> str:
    """$ZCONVERT(s,mode[,table]): case modes U L T W S A, or I/O through a table."""
    text, m = to_str(s), to_str(mode).upper()
    if m in ("I", "O"):
        name = to_str(table).upper() if _given(table) else ""
        if name not in _TABLES:
            raise ObjectScriptError("ILLEGAL VALUE")
        out, inp = _TABLES[name]
        return _checked(out(text) if m == "O" else inp(text))
    if m not in _CASE_MODES or _given(table):
        raise ObjectScriptError("FUNCTION")
    return _CASE_MODES[m](text)


# ---------------------------------------------------------------------------
# $ZSTRIP


def _is_punct(c: str) -> bool:
    if c < "\x80":
        return " " <= c < "\x7f" and not c.isalnum()
    return unicodedata.category(c)[0] in "PSZ"


_MASKS: dict[str, Callable[[str], bool]] = {
    "E": lambda c: True,
    "A": str.isalpha,
    "N": lambda c: "0" <= c <= "9",
    "L": str.islower,
    "U": str.isupper,
    "W": lambda c: c in "\t \xa0",
    "C": lambda c: c < " " or "\x7f" <= c <= "\x9f",
    "P": _is_punct,
}


def zstrip(s: object, action: object, remove: object = OMITTED, keep: object = OMITTED) -> str:
    """$ZSTRIP(s,action[,remchar[,keepchar]]): action `*`, `<`, `>`, `=` + mask codes."""
    text, spec = to_str(s), to_str(action)
    i = 0
    while i < len(spec) and spec[i] in "*<>=":
        i += 1
    codes = spec[:i]
    if not codes or ("*" in codes and len(codes) > 1) or len(set(codes)) != len(codes):
        raise ObjectScriptError("FUNCTION")
    masks: list[Callable[[str], bool]] = []
    nots: list[Callable[[str], bool]] = []
    while i < len(spec):
        negated = spec[i] == "'"
        i += negated
        code = spec[i].upper() if i < len(spec) else ""
        # Every negated mask must follow at least one plain one.
        if code not in _MASKS or (negated and not masks) or (nots and not negated):
            raise ObjectScriptError("FUNCTION")
        (nots if negated else masks).append(_MASKS[code])
        i += 1
    removes = set(to_str(remove)) if _given(remove) else set()
    keeps = set(to_str(keep)) if _given(keep) else set()

    def hit(c: str) -> bool:
        if c in removes:
            return True
        if c in keeps:
            return False
        return any(m(c) for m in masks) and not any(m(c) for m in nots)

    if codes == "*":
        return "".join(c for c in text if not hit(c))
    first, stop = 0, len(text)
    if "<" in codes:
        while first < stop and hit(text[first]):
            first += 1
    if ">" in codes:
        while stop > first and hit(text[stop - 1]):
            stop -= 1
    body = text[first:stop]
    if "=" not in codes:
        return body
    out: list[str] = []
    for c in body:
        if not (out and out[-1] == c and hit(c)):
            out.append(c)
    return "".join(out)


# ---------------------------------------------------------------------------
# Number formatting


def _fixed(n: Number, places: int) -> tuple[bool, str]:
    """Sign and digits of `n` rounded to `places` decimals, always with a leading 0."""
    q = _round(n, max(places, 0))
    return q < 0, format(abs(q), "f")


def justify(x: object, width: object, decimals: object = OMITTED) -> str:
    """$JUSTIFY(x,width[,decimals]): right-align; with decimals, round as a number."""
    w = to_int(width) if _given(width) else 0
    if w > MAX_STRING:
        raise ObjectScriptError("MAXSTRING")
    if not _given(decimals):
        return _checked(to_str(x).rjust(w))
    places = to_int(decimals)
    if places < 0:
        raise ObjectScriptError("FUNCTION")
    negative, digits = _fixed(to_num(x), places)
    return _checked(("-" + digits if negative else digits).rjust(w))


def _scientific(n: Number, places: int, letter: str) -> str:
    d = Decimal(n).copy_abs()
    exp = d.adjusted() if d else 0
    mant = _round(d.scaleb(-exp), places)
    if mant >= 10:
        exp += 1
        mant = _round(d.scaleb(-exp), places)
    sign = "-" if exp < 0 else "+"
    return f"{format(mant, 'f')}{letter}{sign}{abs(exp):02d}"


def fnumber(x: object, fmt: object = OMITTED, decimals: object = OMITTED) -> str:
    """$FNUMBER(x[,format[,decimals]]): codes + - , . N O P T L D E."""
    n = to_num(x)
    raw = to_str(fmt) if _given(fmt) else ""
    codes = raw.upper()
    if any(c not in "+-,.DELNOPT" for c in codes):
        raise ObjectScriptError("FUNCTION")
    if "P" in codes and any(c in codes for c in "+-LT") or ("T" in codes and "L" in codes):
        raise ObjectScriptError("SYNTAX")
    if "," in codes and ("." in codes or "N" in codes) or ("." in codes and "O" in codes):
        raise ObjectScriptError("FUNCTION")
    if "E" in codes:
        places = to_int(decimals) if _given(decimals) else 6
        negative, body = n < 0, _scientific(n, places, "e" if "e" in raw else "E")
    else:
        if _given(decimals):
            negative, body = _fixed(n, to_int(decimals))
        else:
            negative, body = n < 0, to_str(n).lstrip("-")
            # Only the plain formats keep the canonical ".5"; every other adds the leading 0.
            if codes not in ("", "L", "D") and body.startswith("."):
                body = "0" + body
        integer, point, fraction = body.partition(".")
        group = "," if "," in codes else ("." if "." in codes and "N" not in codes else "")
        if group:
            integer = format(int(integer), ",").replace(",", group)
        body = integer + ("," if "." in codes else point) + fraction if point else integer
    if "P" in codes:
        return f"({body})" if negative else f" {body} "
    sign = "-" if negative and "-" not in codes else ("+" if not negative and "+" in codes else "")
    return body + (sign or " ") if "T" in codes else sign + body


_NUMBER_RE = re.compile(r"([+-]?)(\d*)(\.\d*)?(?:[Ee]([+-]?\d+))?([+-]?)")


def _number_format(spec: str) -> tuple[str, bool, int | None]:
    """Parse a $NUMBER format: decimal character, integer flag, rounding factor."""
    point, integer, factor = "", False, None
    for part in re.findall(r"[+-]?\d+|.", spec):
        if part in (".", ","):
            point = part
        elif part == "I":
            integer = True
        elif part[-1].isdigit() and factor is None:
            factor = int(part)
        else:
            raise ObjectScriptError("SYNTAX")
    return point, integer, factor


def number(
    x: object, fmt: object = OMITTED, lo: object = OMITTED, hi: object = OMITTED
) -> str | Number:
    """$NUMBER(x[,format,min,max]): a validated canonical number, or "" when invalid."""
    point, integer, factor = _number_format(to_str(fmt).upper() if _given(fmt) else "")
    if isinstance(x, str):
        # The decimal character chosen implies the group separators that are ignored.
        text = x.replace(",", "") if point != "," else x.replace(".", "").replace(",", ".")
        if point:
            text = text.replace(" ", "")
        negative = text.startswith("(") and text.endswith(")")
        m = _NUMBER_RE.fullmatch(text[1:-1] if negative else text)
        if not m or not (m.group(2) or (m.group(3) or "")[1:]):
            return ""
        lead, digits, frac, exp, trail = m.groups()
        if (lead and trail) or (negative and (lead or trail)) or (integer and frac is not None):
            return ""
        value = Decimal(f"{digits or '0'}{frac or ''}E{exp or 0}")
        if negative or "-" in (lead, trail):
            value = -value
    else:
        value = Decimal(to_num(x))
    if integer and value != value.to_integral_value():
        return ""
    if factor is not None:
        value = _round(value, factor)
    if _given(lo) and value < Decimal(to_num(lo)):
        return ""
    if _given(hi) and value > Decimal(to_num(hi)):
        return ""
    return _number(value)


# ---------------------------------------------------------------------------
# Characters and numbers


def char(*codes: object) -> str:
    """$CHAR(n,...): characters from codes; negative (or too large) codes give nothing."""
    return "".join(chr(c) for c in map(to_int, codes) if 0 <= c <= 0xFFFF)


def ascii_(s: object, pos: object = OMITTED) -> int:
    """$ASCII(s[,pos]): character code, -1 when out of range."""
    text = to_str(s)
    p = _position(pos, len(text), 1)
    return ord(text[p - 1]) if 1 <= p <= len(text) else -1


def zhex(v: object) -> int | str:
    """$ZHEX: a number gives its hex string, a string is read as hex."""
    if isinstance(v, str):
        if not re.fullmatch(r"[0-9A-Fa-f]+", v):
            raise ObjectScriptError("FUNCTION")
        return int(v, 16)
    n = to_int(v)
    if n < 0:  # two's complement, 32 bits when it fits, else 64
        n += 1 << (32 if n >= -(1 << 31) else 64)
    return format(n, "X")


def match(s: object, pattern: object) -> int:
    """$MATCH(s,regex): 1 when the whole string matches."""
    try:
        return 1 if re.fullmatch(to_str(pattern), to_str(s)) else 0
    except re.error:
        raise ObjectScriptError("REGULAR EXPRESSION") from None


def zabs(v: object) -> Number:
    """$ZABS(n)"""
    n = to_num(v)
    return -n if n < 0 else n


def zsqr(v: object) -> Number:
    """$ZSQR(n): square root to M precision; negative is <ILLEGAL VALUE>."""
    n = to_num(v)
    if n < 0:
        raise ObjectScriptError("ILLEGAL VALUE")
    return _number(Decimal(n).sqrt(Context(prec=19, rounding=ROUND_HALF_UP)))


# ---------------------------------------------------------------------------
# SET $PIECE / SET $EXTRACT


def set_piece(
    target: str, value: object, delim: object, start: object = 1, end: object = None
) -> str:
    """SET $PIECE(x,d,n[,m])=v: the new value of x (padded with delimiters)."""
    text, d = to_str(target), to_str(delim)
    if not d:
        return text
    parts = text.split(d)
    first = _position(start, len(parts), 1)
    last = _position(end, len(parts), first)
    first = max(first, 1)
    if first > last:
        return text
    if (first - 1) * len(d) > MAX_STRING:
        raise ObjectScriptError("MAXSTRING")  # the padding alone would pass the limit
    parts.extend([""] * (first - len(parts)))
    parts[first - 1 : last] = [to_str(value)]
    return _checked(d.join(parts))


def set_extract(target: str, value: object, start: object = 1, end: object = None) -> str:
    """SET $EXTRACT(x,n[,m])=v: the new value of x (padded with spaces)."""
    text = to_str(target)
    n = len(text)
    first = _position(start, n, 1)
    if _given(end):
        last = _position(end, n, first)
        first = max(first, 1)
    else:
        last = first
    if first < 1 or first > last:
        return text
    if first - 1 > MAX_STRING:
        raise ObjectScriptError("MAXSTRING")  # the padding alone would pass the limit
    text += " " * (first - 1 - n)
    return _checked(text[: first - 1] + to_str(value) + text[last:])


FUNCTIONS: dict[str, FunctionSpec] = {
    f.name: f
    for f in (
        FunctionSpec("PIECE", "P", piece, 2, 4, "Delimited field(s) of a string."),
        FunctionSpec("EXTRACT", "E", extract, 1, 3, "Characters of a string by position."),
        FunctionSpec("LENGTH", "L", length, 1, 2, "Length, or number of delimited pieces."),
        FunctionSpec("FIND", "F", find, 2, 3, "Position after a substring, 0 if absent."),
        FunctionSpec("TRANSLATE", "TR", translate, 2, 3, "Replace or delete characters."),
        FunctionSpec("REPLACE", None, replace, 3, 6, "Replace substrings."),
        FunctionSpec("REVERSE", "RE", reverse, 1, 1, "Characters in reverse order."),
        FunctionSpec("ZCONVERT", "ZCVT", zconvert, 2, 4, "Case conversion or I/O translation."),
        FunctionSpec("ZSTRIP", None, zstrip, 2, 4, "Strip character types or characters."),
        FunctionSpec("JUSTIFY", "J", justify, 2, 3, "Right-justify, optionally as a number."),
        FunctionSpec("FNUMBER", "FN", fnumber, 1, 3, "Format a number."),
        FunctionSpec("NUMBER", "NUM", number, 1, 4, "Validate a number; '' when invalid."),
        FunctionSpec("CHAR", "C", char, 1, VARIADIC, "Characters from character codes."),
        FunctionSpec("ASCII", "A", ascii_, 1, 2, "Character code at a position, -1 if none."),
        FunctionSpec("ZHEX", "ZH", zhex, 1, 1, "Number to hex string, hex string to number."),
        FunctionSpec("MATCH", None, match, 2, 2, "1 if the string matches a regex."),
        FunctionSpec("ZABS", None, zabs, 1, 1, "Absolute value."),
        FunctionSpec("ZSQR", None, zsqr, 1, 1, "Square root."),
    )
}
