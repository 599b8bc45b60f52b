"""How the terminal shows things: error blocks and ZWRITE-style values."""

from __future__ import annotations

import re

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import ObjectInstance, Value
from cacheshell.lang.symbols import Subscripts
from cacheshell.lang.values import is_canonical_number, to_str

_FIRST_WORD = re.compile(r"(\s*)([A-Za-z]+)")


def error_block(err: ObjectScriptError, typed: bool = True) -> str:
    """The echoed source line, a caret under the failing command, then $ZERROR.

    At the prompt Caché shows the line's first command keyword in upper case.
    """
    line = err.source_line or ""
    if typed:
        line = _FIRST_WORD.sub(lambda m: m.group(1) + m.group(2).upper(), line, count=1)
    caret = " " * (err.column or 0) + "^"
    return f"{line}\n{caret}\n{err.zerror}\n"


def quote(value: object) -> str:
    """A value as ZWRITE shows it: canonical numbers bare, strings quoted, $c() for control
    characters, $lb() for lists."""
    from cacheshell.lang import lists

    if isinstance(value, ObjectInstance):
        return str(value)
    text = to_str(value)
    if is_canonical_number(text):
        return text
    if text and lists.is_list(text):
        return lists.zwrite_repr(text, quote)
    return _quote_string(text)


def _quote_string(text: str) -> str:
    parts: list[str] = []
    run: list[str] = []
    codes: list[int] = []

    def flush_run() -> None:
        if run:
            parts.append('"' + "".join(run).replace('"', '""') + '"')
            run.clear()

    def flush_codes() -> None:
        if codes:
            parts.append("$c(" + ",".join(map(str, codes)) + ")")
            codes.clear()

    for ch in text:
        if ord(ch) < 32 or ord(ch) == 127:
            flush_run()
            codes.append(ord(ch))
        else:
            flush_codes()
            run.append(ch)
    flush_run()
    flush_codes()
    return "_".join(parts) if parts else '""'


def node_name(name: str, subs: Subscripts) -> str:
    if not subs:
        return name
    return name + "(" + ",".join(quote(s) for s in subs) + ")"


def zwrite_line(name: str, subs: Subscripts, value: Value) -> str:
    from cacheshell.lang.dynamic import DynamicArray, DynamicBase

    if isinstance(value, DynamicBase):
        kind = "ARRAY" if isinstance(value, DynamicArray) else "OBJECT"
        return f"{node_name(name, subs)}={value.to_json()}  ; <DYNAMIC {kind}>"
    if isinstance(value, ObjectInstance):
        return f"{node_name(name, subs)}={value} ; <OREF>\n{object_dump(value)}"
    return f"{node_name(name, subs)}={quote(value)}"


def object_dump(obj: ObjectInstance) -> str:
    """The object description ZWRITE prints after an OREF."""
    lines = [
        "+----------------- general information ---------------",
        f"|      oref value: {obj.number}",
        f"|      class name: {obj.cls.name}",
        "+----------------- attribute values ------------------",
    ]
    lines += [f"|{name:>19} = {quote(obj.props[name])}" for name in sorted(obj.props)]
    lines.append("+-----------------------------------------------------")
    return "\n".join(lines)


def write_line(name: str, subs: Subscripts, value: Value) -> str:
    """Argumentless WRITE's form of a variable."""
    if isinstance(value, ObjectInstance):
        return f"{node_name(name, subs)}=<OBJECT REFERENCE>[{value}]"
    return f"{node_name(name, subs)}={quote(value)}"
