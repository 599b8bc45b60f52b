"""Parse source text into the tree of the one ObjectScript grammar.

Lark builds the grammar's LALR tables once per grammar (parse_cache.py keeps them across
processes); the text is then lexed (lexer.py), rewritten by the post-lexer (postlex.py) and parsed
(lalr.py) on those tables, as Lark's own LALR parser would, without importing Lark.
"""

from __future__ import annotations

import functools
import gc
from typing import Any, Protocol

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.grammar import full_text, grammar_text
from cacheshell.lang.lalr import LalrParser, ParseFailure
from cacheshell.lang.lexer import Lexer, LexFailure
from cacheshell.lang.nodes import Token
from cacheshell.lang.parse_cache import load_tables
from cacheshell.lang.postlex import KEPT_TERMINALS, rewrite

__all__ = ["MAX_LINE", "MAX_SOURCE", "ParseNode", "grammar_text", "parse", "tokens"]

# The longest source line: 32,767 characters, Caché's string limit without long strings (General
# System Limits, KEY=GORIENT_appx_limits) and the most a terminal READ takes. The longest text
# parsed at once (an input, a cell, a routine): 256 K characters, about 10,000 lines; the parse
# of one takes about 320 bytes of memory per character.
MAX_LINE = 32_767
MAX_SOURCE = 262_144
# How much of a line too long to parse the error echoes.
_ECHOED = 72


class ParseNode(Protocol):
    """A node of the parse tree (a Tree of nodes.py) as the compilers read it. Each grammar rule
    lays out its node's children: subtrees, tokens, and None for an optional part left out. The
    compilers read them by the rule they compile; no static type tells which a child is."""

    data: str

    @property
    def children(self) -> list[Any]: ...


@functools.cache
def _machinery() -> tuple[Lexer, LalrParser]:
    tables = load_tables(full_text(), KEPT_TERMINALS)  # full_text covers what words.py adds
    return Lexer(tables), LalrParser(tables)


def tokens(source: str) -> list[Token]:
    """The tokens the parser reads for `source`, after the post-lexer; LexFailure where no
    terminal matches."""
    return rewrite(_machinery()[0].tokens(source))


def parse(source: str, shown: str | None = None) -> ParseNode:
    """Parse source text; any failure is the ObjectScript <SYNTAX> error, which echoes the line
    of `shown` (the text as typed, before macro expansion) with the caret at its start."""
    if len(source) > MAX_LINE:
        _check_size(source, shown or source)
    lexer, parser = _machinery()
    # The cyclic collector is paused while the tree is built: a parse makes tokens and nodes by
    # the hundred, all of them kept, so the collector would walk each young one, find no garbage
    # (the tree is acyclic and what the parse drops is freed by reference counting), and walk the
    # trees already held again and again. It runs once the parse is over. It is resumed only by
    # the call that paused it, so a parse in another thread never leaves it off.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return parser.parse(rewrite(lexer.tokens(source + "\n")))  # type: ignore[no-any-return]
    except (LexFailure, ParseFailure) as exc:
        line = exc.line
    except RecursionError:
        line = 1
    finally:
        if paused:
            gc.enable()
    err = ObjectScriptError("SYNTAX")
    err.column = 0
    err.source_line = _line_of(shown or source, line)
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
