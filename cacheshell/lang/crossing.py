"""Values crossing between Python and a process's ObjectScript local variables.

ObjectScript to Python: strings stay `str`; numbers are `int` when integral, else
`decimal.Decimal` (ObjectScript numbers are decimal, never binary floats); objects cross as they
are. A local with subscripted nodes crosses as a dict keyed by subscript tuples; its own value,
when it has one, is under the key `()`.

Python to ObjectScript: `str` as is; `bool` as 1 or 0; `int`, `float` and `Decimal` as the
canonical ObjectScript number (a float through its shortest repr, so 0.1 stays .1); `None` as
the empty string; a dict as subscripted nodes (keys: a subscript or a tuple of subscripts).
"""

from __future__ import annotations

from decimal import Decimal

from cacheshell.lang import values as V
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import Value
from cacheshell.lang.symbols import Subscripts, Symbols


class CrossingError(ValueError):
    """A value or name that cannot cross."""


def to_objectscript(value: object) -> Value:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return V.to_num(str(value))
    if isinstance(value, float | Decimal):
        if not Decimal(value).is_finite():
            raise CrossingError(f"{value!r} has no ObjectScript value")
        return V.to_num(repr(value) if isinstance(value, float) else str(value))
    raise CrossingError(
        f"a {type(value).__name__} cannot become an ObjectScript value; "
        "pass a str, a number, None or a dict of them"
    )


def get_local(symbols: Symbols, name: str) -> Value | dict[Subscripts, Value]:
    """A local variable's value, or a dict of its nodes when it has subscripts."""
    nodes = list(symbols.nodes(name))
    if not nodes:
        raise CrossingError(f"<UNDEFINED> *{name}")
    if len(nodes) == 1 and nodes[0][0] == ():
        return nodes[0][1]
    return {subs: value for subs, value in nodes}


def set_local(symbols: Symbols, name: str, value: object) -> None:
    """Set (replacing) a local variable, from a scalar or a dict of subscripts to values."""
    if not _is_local_name(name):
        raise CrossingError(f"{name!r} is not an ObjectScript local variable name")
    if isinstance(value, dict):
        nodes = [(_subscripts(key), to_objectscript(item)) for key, item in value.items()]
        symbols.kill(name)
        for subs, item in nodes:
            try:
                symbols.set(name, subs, item)
            except ObjectScriptError as err:
                raise CrossingError(f"{name}{subs!r}: {err.zerror}") from None
        return
    converted = to_objectscript(value)
    symbols.kill(name)
    symbols.set(name, (), converted)


def _subscripts(key: object) -> Subscripts:
    keys = key if isinstance(key, tuple) else (key,)
    return tuple(to_objectscript(part) for part in keys)


def _is_local_name(name: str) -> bool:
    body = name[1:] if name.startswith("%") else name
    return bool(body) and body[0].isalpha() and body.isalnum() and body.isascii()
