"""Split source text into the grammar's raw tokens, as Lark's basic lexer does.

At each place the terminals are tried in the lexer's order and the first that matches wins. One
regex alternation of all ~50 terminals costs a try of each that fails; this lexer tries only
those that may start with the character at hand (an alternation per character, compiled on first
use), which picks the same terminal, as the order within each is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable

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
        self._by_char = _ByChar(self._pattern)

    def _pattern(self, char: str) -> re.Pattern[str]:
        """The alternation of the terminals that may start with `char`, in the lexer's order;
        one that matches nothing where none may."""
        indexes = self._first.get(char)
        if indexes is None:  # beyond ASCII: every terminal, in order
            indexes = list(range(len(self._terminals)))
        chosen = [self._terminals[i] for i in indexes]
        if not chosen:
            return _NOTHING
        return re.compile("|".join(f"(?P<{name}>{regex})" for name, regex in chosen))

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
            match = by_char[text[pos]].match(text, pos)
            if match is None:
                raise LexFailure(line)
            value = match.group()
            kind = match.lastgroup
            if unless and kind in unless:
                kind = next((k for p, k in unless[kind] if p.fullmatch(value)), kind)
            token = new(Token, value)
            token.type = kind  # type: ignore[assignment]  # a match of the alternation names one
            token.start_pos = pos
            token.line = line
            token.column = pos - line_start + 1
            append(token)
            if "\n" in value:
                line += value.count("\n")
                line_start = pos + value.rindex("\n") + 1
            pos = match.end()
        return out


# The pattern for a character no terminal may start with.
_NOTHING = re.compile("(?!)")


class _ByChar(dict[str, "re.Pattern[str]"]):
    """Each character's pattern, made at its first use: one lookup a token."""

    def __init__(self, make: Callable[[str], re.Pattern[str]]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, char: str) -> re.Pattern[str]:
        pattern = self[char] = self._make(char)
        return pattern
