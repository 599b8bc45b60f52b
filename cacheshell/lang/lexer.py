"""Split source text into the grammar's raw tokens, as Lark's basic lexer does.

At each place the terminals are tried in the lexer's order and the first that matches wins. One
regex alternation of all ~50 terminals costs a try of each that fails; this lexer tries only
those that may start with the character at hand (an alternation per character, compiled on first
use), which picks the same terminal, as the order within each is kept.
"""

from __future__ import annotations

import re

from cacheshell.lang.nodes import Token
from cacheshell.lang.parse_tables import ParseTables

__all__ = ["LexFailure", "Lexer"]


class LexFailure(Exception):
    """No terminal matches at a place of the text; `line` is its line (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class Lexer:
    def __init__(self, tables: ParseTables) -> None:
        self._terminals = tables.terminals
        self._first = tables.first
        self._unless = {
            name: [(re.compile(regex), kind) for kind, regex in texts]
            for name, texts in tables.unless.items()
        }
        self._by_char: dict[str, re.Pattern[str] | None] = {}

    def _pattern(self, char: str) -> re.Pattern[str] | None:
        indexes = self._first.get(char)
        if indexes is None:  # beyond ASCII: every terminal, in order
            indexes = list(range(len(self._terminals)))
        pattern = None
        if indexes:
            chosen = (self._terminals[i] for i in indexes)
            pattern = re.compile("|".join(f"(?P<{name}>{regex})" for name, regex in chosen))
        self._by_char[char] = pattern
        return pattern

    def tokens(self, text: str) -> list[Token]:
        """The raw tokens of `text`; LexFailure where no terminal matches."""
        by_char = self._by_char
        unless = self._unless
        out: list[Token] = []
        append = out.append
        pos, end = 0, len(text)
        line, line_start = 1, 0
        new = str.__new__
        while pos < end:
            char = text[pos]
            pattern = by_char[char] if char in by_char else self._pattern(char)
            match = pattern.match(text, pos) if pattern is not None else None
            if match is None:
                raise LexFailure(line)
            value = match.group()
            kind = match.lastgroup or ""
            if unless and kind in unless:
                kind = next((k for p, k in unless[kind] if p.fullmatch(value)), kind)
            token = new(Token, value)
            token.type = kind
            token.start_pos = pos
            token.line = line
            token.column = pos - line_start + 1
            append(token)
            if "\n" in value:
                line += value.count("\n")
                line_start = pos + value.rindex("\n") + 1
            pos = match.end()
        return out
