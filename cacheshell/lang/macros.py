"""The %occStatus macros that documentation code uses, expanded before parsing.

Caché expands macros when it compiles a class or routine, so its terminal rejects `$$$OK`.
cacheshell expands these few everywhere, so that documentation snippets pasted verbatim run.
"""

from __future__ import annotations

import re

from cacheshell.lang.errors import ObjectScriptError

_STATUS_EXCEPTION = "##class(%Exception.StatusException).CreateFromStatus"
# name -> (parameter count, expansion with %1, %2 ... for the arguments); None = any count
_MACROS: dict[str, tuple[int | None, str]] = {
    "OK": (0, "1"),
    "GeneralError": (0, "5001"),
    "ISOK": (1, "(+(%1))"),
    "ISERR": (1, "('(%1))"),
    "ERROR": (None, "$SYSTEM.Status.Error(%*)"),
    "ThrowOnError": (1, "Set %sc=(%1) Throw:'%sc " + _STATUS_EXCEPTION + "(%sc)"),
    "ThrowStatus": (1, "Throw " + _STATUS_EXCEPTION + "(%1)"),
}
_NAME = re.compile(r"\$\$\$([%A-Za-z][A-Za-z0-9]*)")


def expand(source: str) -> str:
    """Replace every $$$Macro outside string literals; unknown macros raise <SYNTAX>."""
    if "$$$" not in source:
        return source
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == '"':
            end = _string_end(source, i)
            out.append(source[i:end])
            i = end
            continue
        m = _NAME.match(source, i)
        if m is None:
            out.append(ch)
            i += 1
            continue
        name = m.group(1)
        if name not in _MACROS:
            raise ObjectScriptError("SYNTAX")
        count, template = _MACROS[name]
        i = m.end()
        args: list[str] = []
        if i < n and source[i] == "(":
            close = _matching_paren(source, i)
            args = _split_args(source[i + 1 : close])
            i = close + 1
        if count is not None and len(args) != count:
            raise ObjectScriptError("SYNTAX")
        args = [expand(a) for a in args]
        text = template.replace("%*", ",".join(args))
        for k, arg in enumerate(args, 1):
            text = text.replace(f"%{k}", arg)
        out.append(text)
    return "".join(out)


def _string_end(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == '"':
            if i + 1 < len(text) and text[i + 1] == '"':
                i += 2
                continue
            return i + 1
        i += 1
    return len(text)


def _matching_paren(text: str, start: int) -> int:
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch == '"':
            i = _string_end(text, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ObjectScriptError("SYNTAX")


def _split_args(text: str) -> list[str]:
    args, depth, current, i = [], 0, [], 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            end = _string_end(text, i)
            current.append(text[i:end])
            i = end
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            args.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    if current or args:
        args.append("".join(current))
    return args
