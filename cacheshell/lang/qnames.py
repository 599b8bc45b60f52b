"""$QLENGTH and $QSUBSCRIPT: the parts of a variable reference written as a string, such as
$NAME and $QUERY return it: ^|"USER"|g(1,"a")."""

from __future__ import annotations

import re

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.function_spec import FunctionSpec
from cacheshell.lang.values import Number, to_int, to_num, to_str

# ^ (or ^|| for a process-private global), an optional namespace between bars, the name (dots
# inside a global's name), and the subscript list as one piece, read below.
_REFERENCE_RE = re.compile(
    r'(\^\|\||\^|)(?:\|"((?:[^"]|"")*)"\|)?(%?[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*)(?:\((.*)\))?',
    re.DOTALL,
)
_SUBSCRIPT_RE = re.compile(r'"((?:[^"]|"")*)"|(-?(?:\d+\.?\d*|\.\d+)(?:E[+-]?\d+)?)')


def _parts(reference: object) -> tuple[str, str, str, list[str | Number]]:
    """(caret, namespace, name, subscripts) of a reference; <FUNCTION> when it is not one."""
    text = to_str(reference)
    m = _REFERENCE_RE.fullmatch(text)
    if m is None or (m.group(2) is not None and m.group(1) != "^"):
        raise ObjectScriptError("FUNCTION")
    caret, namespace, name, inside = m.groups()
    subs: list[str | Number] = []
    if inside is not None:
        pos = 0
        while True:
            sm = _SUBSCRIPT_RE.match(inside, pos)
            if sm is None:
                raise ObjectScriptError("FUNCTION")
            quoted, number = sm.groups()
            subs.append(quoted.replace('""', '"') if quoted is not None else to_num(number))
            pos = sm.end()
            if pos == len(inside):
                break
            if inside[pos] != ",":
                raise ObjectScriptError("FUNCTION")
            pos += 1
    return caret, (namespace or "").replace('""', '"'), name, subs


def qlength(reference: object) -> int:
    """$QLENGTH(name): the number of subscripts in a reference."""
    return len(_parts(reference)[3])


def qsubscript(reference: object, which: object) -> str | Number:
    """$QSUBSCRIPT(name,n): the n-th subscript; 0 the name, -1 the namespace written in it."""
    n = to_int(which)
    if n < -1:
        raise ObjectScriptError("FUNCTION")  # reserved for future use (RCOS_fqsubscript)
    caret, namespace, name, subs = _parts(reference)
    if n == -1:
        return namespace
    if n == 0:
        return caret + name
    return subs[n - 1] if n <= len(subs) else ""


FUNCTIONS: dict[str, FunctionSpec] = {
    f.name: f
    for f in (
        FunctionSpec("QLENGTH", "QL", qlength, 1, 1, "Number of subscripts in a reference."),
        FunctionSpec("QSUBSCRIPT", "QS", qsubscript, 2, 2, "A part of a reference string."),
    )
}
