"""$LIST functions over Caché's list encoding; a list is an ordinary string.

An element is a length char, a type char and data; the length counts itself and the type
char. Types: 1 8-bit string, 2 UTF-16LE string (one char per byte), 4 non-negative integer,
5 negative integer (little-endian, minimal bytes, offset by 256**len), 6/7 decimal number
(signed exponent byte, then the significand like 4/5). `$C(1)` is an undefined element.
Elements too long for one length char use `$C(0)` + a 2-char length of type+data, or
`$C(0,0,0)` + a 4-char length.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.function_spec import VARIADIC, FunctionSpec
from cacheshell.lang.markers import OMITTED, Omitted, Star
from cacheshell.lang.objects import Value
from cacheshell.lang.values import MAX_STRING, Number, to_int, to_num, to_str

UNDEFINED = "\x01"


def _given(v: object) -> bool:
    return v is not None and v is not OMITTED


def _bytes_str(data: bytes) -> str:
    return data.decode("latin-1")


def _unsigned(n: int) -> str:
    """Little-endian bytes of n >= 0 with no trailing zero bytes (0 has none)."""
    return _bytes_str(n.to_bytes((n.bit_length() + 7) // 8, "little"))


def _negative(n: int) -> str:
    """Fewest bytes k such that n + 256**k fits in k bytes (-1 has none)."""
    k = 0
    while n < -(256**k):
        k += 1
    return _bytes_str((n + 256**k).to_bytes(k, "little"))


def _element(kind: int, data: str) -> str:
    size = len(data) + 2
    if size < 256:
        return chr(size) + chr(kind) + data
    size -= 1  # the long forms count the type char and the data only
    if size < 65536:
        return "\x00" + _bytes_str(size.to_bytes(2, "little")) + chr(kind) + data
    return "\x00\x00\x00" + _bytes_str(size.to_bytes(4, "little")) + chr(kind) + data


def encode(value: object) -> str:
    """One list element; None or OMITTED give the undefined element."""
    if not _given(value):
        return UNDEFINED
    if isinstance(value, int) and not isinstance(value, bool):
        if value >= 0:
            return _element(4, _unsigned(value))
        return _element(5, _negative(value))
    if isinstance(value, Decimal):
        sign, digits, exponent = value.normalize().as_tuple()
        assert isinstance(exponent, int)  # a value is finite: never NaN or an infinity
        significand = int("".join(map(str, digits)) or "0")
        if exponent >= 0:
            return encode(-significand * 10**exponent if sign else significand * 10**exponent)
        head = _bytes_str((exponent & 0xFF).to_bytes(1, "little"))
        if sign:
            return _element(7, head + _negative(-significand))
        return _element(6, head + _unsigned(significand))
    text = to_str(value)
    if all(c < "\u0100" for c in text):
        return _element(1, text)
    return _element(2, _bytes_str(text.encode("utf-16-le", "surrogatepass")))


def _split(lst: str) -> list[str]:
    """The encoded elements of a list, in order; <LIST> when malformed."""
    out, i, n = [], 0, len(lst)
    while i < n:
        size = ord(lst[i])
        if size == 1:
            out.append(UNDEFINED)
            i += 1
            continue
        if size == 0:
            wide = lst[i + 1 : i + 3] == "\x00\x00"
            header = 7 if wide else 3
            raw = lst[i + (3 if wide else 1) : i + header]
            if len(raw) != header - (3 if wide else 1) or any(c > "\xff" for c in raw):
                raise ObjectScriptError("LIST")
            size = header + int.from_bytes(raw.encode("latin-1"), "little")
            if size == header:
                raise ObjectScriptError("LIST")
        elif size > 255:
            raise ObjectScriptError("LIST")
        if i + size > n:
            raise ObjectScriptError("LIST")
        out.append(lst[i : i + size])
        i += size
    return out


def _value(element: str) -> str | Number | None:
    """The value of one encoded element; None when undefined."""
    if element == UNDEFINED:
        return None
    start = 2 if element[0] != "\x00" else (4 if element[1:3] != "\x00\x00" else 8)
    kind, data = ord(element[start - 1]), element[start:]
    if kind == 1:
        return data
    if any(c > "\xff" for c in data):
        raise ObjectScriptError("LIST")
    raw = data.encode("latin-1")
    if kind == 2 and len(raw) % 2 == 0:
        return raw.decode("utf-16-le", "surrogatepass")
    if kind == 4:
        return to_num(int.from_bytes(raw, "little"))
    if kind == 5:
        return to_num(int.from_bytes(raw, "little") - 256 ** len(raw))
    if kind in (6, 7) and raw:
        exponent = int.from_bytes(raw[:1], "little", signed=True)
        significand = int.from_bytes(raw[1:], "little")
        if kind == 7:
            significand -= 256 ** (len(raw) - 1)
        return to_num(format(Decimal(significand).scaleb(exponent), "f"))
    raise ObjectScriptError("LIST")


def decode(lst: str) -> list[str | Number | None]:
    """All element values of a list (None = undefined); <LIST> when malformed."""
    return [_value(e) for e in _split(to_str(lst))]


def is_list(s: str) -> bool:
    """True for a non-empty string that is a well-formed list (what ZWRITE shows as $lb)."""
    if not isinstance(s, str) or not s:
        return False
    try:
        decode(s)
    except ObjectScriptError:
        return False
    return True


def zwrite_repr(lst: str, quote: Callable[[object], str]) -> str:
    """ZWRITE form of a list: $lb("a",1,,"b"), nested lists shown as $lb(...) too."""
    parts = []
    for v in decode(lst):
        if v is None:
            parts.append("")
        elif isinstance(v, str) and is_list(v):
            parts.append(zwrite_repr(v, quote))
        else:
            parts.append(quote(v))
    return "$lb(" + ",".join(parts) + ")"


def _where(pos: object, count: int, default: int = 1) -> int:
    """Resolve a position: n, * / *-n, or the deprecated -1 for the last element."""
    if not _given(pos):
        return default
    if isinstance(pos, Star):
        p = pos.resolve(count)
        if p < 0:
            raise ObjectScriptError("RANGE")
        return p
    p = to_int(pos)
    if p == -1:
        return count
    if p < -1:
        raise ObjectScriptError("RANGE")
    return p


# ---------------------------------------------------------------------------
# Functions


def listbuild(*values: object) -> str:
    """$LISTBUILD(v,...): $LB() itself is one undefined element, as in Caché."""
    out = "".join(encode(v) for v in values) if values else UNDEFINED
    if len(out) > MAX_STRING:
        raise ObjectScriptError("MAXSTRING")
    return out


def list_(lst: object, pos: object = OMITTED, end: object = OMITTED) -> str | Number:
    """$LIST(l[,pos[,end]]): one element, or a sublist when `end` is given."""
    elements = _split(to_str(lst))
    count = len(elements)
    first = _where(pos, count)
    if _given(end):
        last = min(_where(end, count), count)
        return "".join(elements[max(first, 1) - 1 : last])
    if not 1 <= first <= count:
        raise ObjectScriptError("NULL VALUE")
    value = _value(elements[first - 1])
    if value is None:
        raise ObjectScriptError("NULL VALUE")
    return value


def listget(lst: object, pos: object = OMITTED, default: Value | Omitted = OMITTED) -> Value:
    """$LISTGET(l[,pos[,default]]): like $LIST but a default instead of <NULL VALUE>."""
    elements = _split(to_str(lst))
    first = _where(pos, len(elements))
    value = _value(elements[first - 1]) if 1 <= first <= len(elements) else None
    if value is None:
        # _given(default), spelled out so that the type checker sees a value returned.
        return default if default is not None and default is not OMITTED else ""
    return value


def listlength(lst: object) -> int:
    """$LISTLENGTH(l)"""
    return len(_split(to_str(lst)))


def listdata(lst: object, pos: object = OMITTED) -> int:
    """$LISTDATA(l[,pos]): 1 when the element exists and has a value."""
    elements = _split(to_str(lst))
    first = _where(pos, len(elements))
    return 1 if 1 <= first <= len(elements) and elements[first - 1] != UNDEFINED else 0


def listfind(lst: object, value: object, after: object = OMITTED) -> int:
    """$LISTFIND(l,v[,after]): position of the first element equal to v after `after`."""
    values = decode(to_str(lst))
    start = to_int(after) if _given(after) else 0
    if start < -1:
        raise ObjectScriptError("RANGE")
    if start == -1:
        return 0
    wanted = to_str(value)
    for i in range(start, len(values)):
        if values[i] is not None and to_str(values[i]) == wanted:
            return i + 1
    return 0


def listtostring(lst: object, delim: object = OMITTED, flag: object = OMITTED) -> str:
    """$LISTTOSTRING(l[,d[,flag]]): flag bit 1 turns undefined elements into ""."""
    d = to_str(delim) if _given(delim) else ","
    lenient = _given(flag) and to_int(flag) & 1
    parts = []
    for v in decode(to_str(lst)):
        if v is None and not lenient:
            raise ObjectScriptError("NULL VALUE")
        parts.append("" if v is None else to_str(v))
    if sum(map(len, parts)) + len(d) * (len(parts) - 1) > MAX_STRING:
        raise ObjectScriptError("MAXSTRING")  # the delimiters may grow it past the limit
    return d.join(parts)


def _quoted_pieces(text: str, d: str) -> list[str]:
    """Split on d, except inside "..." (the quotes go, doubled quotes become one)."""
    out, i = [], 0
    while True:
        if text.startswith('"', i):
            j, buf = i + 1, []
            while j < len(text):
                if text[j] == '"' and text.startswith('"', j + 1):
                    buf.append('"')
                    j += 2
                elif text[j] == '"':
                    break
                else:
                    buf.append(text[j])
                    j += 1
            k = text.find(d, j)
            if k < 0:
                out.append("".join(buf))
                return out
            out.append("".join(buf))
            i = k + len(d)
            continue
        k = text.find(d, i)
        if k < 0:
            out.append(text[i:])
            return out
        out.append(text[i:k])
        i = k + len(d)


def listfromstring(s: object, delim: object = OMITTED, flag: object = OMITTED) -> str:
    """$LISTFROMSTRING(s[,d[,flag]]): flag 1 = empty pieces undefined, 2 = quoted pieces."""
    text = to_str(s)
    d = to_str(delim) if _given(delim) else ","
    if not d:
        raise ObjectScriptError("ILLEGAL VALUE")
    bits = to_int(flag) if _given(flag) else 0
    pieces = _quoted_pieces(text, d) if bits & 2 else text.split(d)
    return _join([UNDEFINED if bits & 1 and p == "" else encode(p) for p in pieces])


def listvalid(lst: object) -> int:
    """$LISTVALID(l): 1 for a well-formed list ("" included)."""
    try:
        decode(to_str(lst))
    except ObjectScriptError:
        return 0
    return 1


def listsame(a: object, b: object) -> int:
    """$LISTSAME(l1,l2): 1 when the elements have the same string forms."""
    x, y = to_str(a), to_str(b)
    if not x or not y:
        return 1 if x == y else 0
    first, second = decode(x), decode(y)
    if len(first) != len(second):
        return 0
    for u, v in zip(first, second, strict=True):
        if (u is None) != (v is None) or (u is not None and to_str(u) != to_str(v)):
            return 0
    return 1


def list_next(lst: str, ptr: int) -> tuple[int, bool, str | Number | None]:
    """$LISTNEXT(l,ptr,value): (new ptr, found, value or None when undefined).

    `ptr` is 0 at the start; at the end the pointer goes back to 0 and found is False.
    """
    text = to_str(lst)
    if not 0 <= ptr < len(text):
        if ptr < 0 or ptr > len(text):
            raise ObjectScriptError("FUNCTION")
        return 0, False, None
    element = _split(text[ptr:])[0]
    return ptr + len(element), True, _value(element)


def set_list(target: str, value: object, pos: object, end: object = None) -> str:
    """SET $LIST(x,pos[,end])=v: the new value of x."""
    elements = _split(to_str(target))
    count = len(elements)
    first = _where(pos, count)
    if not _given(end):
        if first < 1:
            raise ObjectScriptError("NULL VALUE")
        if first > MAX_STRING:
            raise ObjectScriptError("MAXSTRING")  # the undefined elements alone would pass it
        elements.extend([UNDEFINED] * (first - count))
        elements[first - 1] = encode(value)
        return _join(elements)
    replacement = to_str(value)
    _split(replacement)  # a range takes a list: <LIST> otherwise
    first, last = max(first, 1), _where(end, count)
    if first > last:
        return to_str(target)
    if first > MAX_STRING:
        raise ObjectScriptError("MAXSTRING")
    elements.extend([UNDEFINED] * (first - 1 - count))
    elements[first - 1 : last] = [replacement]
    return _join(elements)


def list_update(lst: str, position: int, updates: Sequence[tuple[object] | None]) -> str:
    """$LISTUPDATE: from `position` on, each (value,) replaces its element, None keeps it; the
    list is padded with undefined elements to reach the place. Position 0 changes nothing."""
    elements = _split(lst)
    if position == 0:
        return lst
    if position < 0:
        raise ObjectScriptError("RANGE")
    for offset, update in enumerate(updates):
        if update is None:
            continue
        place = position + offset
        if place > MAX_STRING:
            raise ObjectScriptError("MAXSTRING")  # the undefined elements alone would pass it
        elements.extend([UNDEFINED] * (place - len(elements)))
        elements[place - 1] = encode(update[0])
    return _join(elements)


def _join(elements: list[str]) -> str:
    """Concatenate encoded elements, checking the string length limit."""
    out = "".join(elements)
    if len(out) > MAX_STRING:
        raise ObjectScriptError("MAXSTRING")
    return out


FUNCTIONS: dict[str, FunctionSpec] = {
    f.name: f
    for f in (
        FunctionSpec("LISTBUILD", "LB", listbuild, 0, VARIADIC, "Build a list from values."),
        FunctionSpec("LIST", "LI", list_, 1, 3, "Element, or sublist, of a list."),
        FunctionSpec("LISTGET", "LG", listget, 1, 3, "Element of a list, or a default."),
        FunctionSpec("LISTLENGTH", "LL", listlength, 1, 1, "Number of elements in a list."),
        FunctionSpec("LISTDATA", "LD", listdata, 1, 2, "1 if a list element has a value."),
        FunctionSpec("LISTFIND", "LF", listfind, 2, 3, "Position of a value in a list."),
        FunctionSpec("LISTTOSTRING", "LTS", listtostring, 1, 3, "Delimited string from a list."),
        FunctionSpec("LISTFROMSTRING", "LFS", listfromstring, 1, 3, "List from a string."),
        FunctionSpec("LISTVALID", "LV", listvalid, 1, 1, "1 if the value is a valid list."),
        FunctionSpec("LISTSAME", "LS", listsame, 2, 2, "1 if two lists have equal elements."),
    )
}
