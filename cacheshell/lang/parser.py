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

__all__ = ["ParseNode", "grammar_text", "lark_parser", "parse"]


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
    err = ObjectScriptError("SYNTAX")
    err.column = 0
    try:
        return lark_parser().parse(source + "\n")
    except UnexpectedInput as exc:
        err.source_line = _line_of(shown or source, getattr(exc, "line", 1))
    except (LarkError, RecursionError):
        err.source_line = _line_of(shown or source, 1)
    raise err


def _line_of(source: str, line: int | None) -> str:
    lines = source.splitlines() or [""]
    if not line or line < 1 or line > len(lines):
        return lines[0]
    return lines[line - 1]
