"""Build the parser of the one ObjectScript grammar and parse source text into a Lark tree.

The LALR tables are built once per process and also cached on disk, so start-up stays small.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from lark import Lark
from lark.exceptions import LarkError, UnexpectedInput

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.grammar import full_text, grammar_text
from cacheshell.lang.postlex import ObjectScriptPostLexer

__all__ = ["MAX_LINE", "MAX_SOURCE", "ParseNode", "grammar_text", "lark_parser", "parse"]

# The longest source line: 32,767 characters, Caché's string limit without long strings (General
# System Limits, KEY=GORIENT_appx_limits) and the most a terminal READ takes. The longest text
# parsed at once (an input, a cell, a routine): 256 K characters, about 10,000 lines; the parse
# of one takes about 320 bytes of memory per character.
MAX_LINE = 32_767
MAX_SOURCE = 262_144
# How much of a line too long to parse the error echoes.
_ECHOED = 72


class ParseNode(Protocol):
    """A node of the parse tree (a lark Tree) as the compilers read it. Each grammar rule lays
    out its node's children: subtrees, tokens, and None for an optional part left out. The
    compilers read them by the rule they compile; no static type tells which a child is."""

    data: str
    children: list[Any]


def _cache_path(text: str) -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = Path(base) / "cacheshell"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        directory = Path(tempfile.gettempdir())
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return str(directory / f"grammar-{digest}.lark-cache")


@functools.cache
def lark_parser() -> Lark:
    text = full_text()  # the cache key covers what words.py adds to the file
    return Lark(
        text,
        parser="lalr",
        lexer="basic",
        postlex=ObjectScriptPostLexer(),
        maybe_placeholders=True,
        cache=_cache_path(text),
    )


def parse(source: str, shown: str | None = None) -> ParseNode:
    """Parse source text; any failure is the ObjectScript <SYNTAX> error, which echoes the line
    of `shown` (the text as typed, before macro expansion) with the caret at its start."""
    if len(source) > MAX_LINE:
        _check_size(source, shown or source)
    err = ObjectScriptError("SYNTAX")
    err.column = 0
    try:
        return lark_parser().parse(source + "\n")
    except UnexpectedInput as exc:
        err.source_line = _line_of(shown or source, getattr(exc, "line", 1))
    except (LarkError, RecursionError):
        err.source_line = _line_of(shown or source, 1)
    raise err


def _check_size(source: str, shown: str) -> None:
    """<MAXSTRING> for a text or a line too long to parse, before the parser sees it; the error
    echoes the start of the offending line."""
    if len(source) > MAX_SOURCE:
        too_long = shown[: _ECHOED + 1].split("\n", 1)[0]
    else:
        too_long = next((line for line in shown.split("\n") if len(line) > MAX_LINE), "")
        if not too_long and max(map(len, source.split("\n"))) <= MAX_LINE:
            return
    err = ObjectScriptError("MAXSTRING")
    err.column = 0
    err.source_line = too_long[:_ECHOED] + ("..." if len(too_long) > _ECHOED else "")
    raise err


def _line_of(source: str, line: int | None) -> str:
    lines = source.splitlines() or [""]
    if not line or line < 1 or line > len(lines):
        return lines[0]
    return lines[line - 1]
