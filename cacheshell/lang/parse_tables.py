"""The grammar's LALR tables, its lexer's terminals and its tree-shaping rules, as plain data.

Lark builds them from the grammar text (`build`); the parser (lalr.py, lexer.py) runs on the plain
data, which the per-user cache keeps, so a process that parses never imports Lark. What is taken
from Lark is what its own LALR parser and basic lexer run on, so both parse alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["ParseTables", "Rule", "build"]

# A rule's reduction: (its symbol, how many values it pops, the tree's name, whether a single
# child stands for the node (a ?rule), the children kept as (index, spliced, Nones before it) or
# None for all of them, the Nones after the last).
Rule = tuple[str, int, str, bool, "list[tuple[int, bool, int]] | None", int]

_ASCII = [chr(c) for c in range(128)]
_ANY = frozenset(_ASCII)


@dataclass(frozen=True)
class ParseTables:
    terminals: list[tuple[str, str]]  # (name, regex), in the order the lexer tries them
    first: dict[str, list[int]]  # an ASCII character: the terminals that may start with it
    unless: dict[str, list[tuple[str, str]]]  # a terminal's texts that are another terminal
    # Each state's actions: (its symbols' list, by index into `symbols`, and the action for
    # each, or the one action for all). An action is the next state (>= 0) or ~rule to reduce.
    # Stored so: 110 symbol lists serve 543 states, and a state's dict is made at first use.
    symbols: list[list[str]]
    rows: list[tuple[int, int | list[int]]]
    start: int
    end: int
    rules: list[Rule]

    def to_data(self) -> list[Any]:
        return [
            self.terminals,
            self.first,
            self.unless,
            self.symbols,
            self.rows,
            self.start,
            self.end,
            self.rules,
        ]

    @classmethod
    def from_data(cls, data: Any) -> ParseTables:
        """The tables from `to_data()`'s value; ValueError if it is not that shape."""
        try:
            terminals, first, unless, symbols, rows, start, end, rules = data
            tables = cls(
                [(str(n), str(r)) for n, r in terminals],
                {str(c): [int(i) for i in v] for c, v in first.items()},
                {str(k): [(str(n), str(r)) for n, r in v] for k, v in unless.items()},
                list(symbols),
                [(int(k), v) for k, v in rows],
                int(start),
                int(end),
                [_rule(r) for r in rules],
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not parse tables: {exc}") from None
        if not tables.rules or not all(0 <= k < len(tables.symbols) for k, _ in tables.rows):
            raise ValueError("not parse tables")
        return tables

    def actions(self, state: int) -> dict[str, int]:
        """A state's actions: symbol -> next state (>= 0) or ~rule to reduce (< 0)."""
        keys, actions = self.rows[state]
        if isinstance(actions, int):
            return dict.fromkeys(self.symbols[keys], actions)
        return dict(zip(self.symbols[keys], actions, strict=True))


def _rule(data: Any) -> Rule:
    origin, size, name, expand1, include, append_none = data
    kept = None if include is None else [(int(i), bool(x), int(n)) for i, x, n in include]
    return (str(origin), int(size), str(name), bool(expand1), kept, int(append_none))


def build(text: str, kept_terminals: Iterable[str]) -> ParseTables:
    """Build the tables of the grammar `text` with Lark (LALR, basic lexer, placeholders for
    optional parts); `kept_terminals` are the terminals the post-lexer reads though no rule
    names them."""
    from lark import Lark
    from lark.lark import PostLex
    from lark.parse_tree_builder import maybe_create_child_filter
    from lark.parsers.lalr_analysis import Shift

    class _Keep(PostLex):
        always_accept = tuple(kept_terminals)

        def process(self, stream: Any) -> Any:
            return stream

    lark = Lark(text, parser="lalr", lexer="basic", postlex=_Keep(), maybe_placeholders=True)
    lexer = lark.parser.lexer.lexer
    scanner = lexer.scanner
    if scanner.g_regex_flags:
        raise ValueError("the grammar's global regex flags are not supported")
    terminals = [(t.name, t.pattern.to_regexp()) for t in scanner.terminals]
    unless = {
        name: [(t.name, t.pattern.to_regexp()) for t in callback.scanner.terminals]
        for name, callback in lexer.callback.items()
    }

    rules = list(lark.rules)
    number = {rule: i for i, rule in enumerate(rules)}
    table = lark.parser.parser.parser.parse_table
    symbols: dict[tuple[str, ...], int] = {}
    rows: list[tuple[int, int | list[int]]] = [(0, 0)] * len(table.states)
    for state, actions in table.states.items():
        keys = tuple(sorted(str(symbol) for symbol in actions))
        coded = [
            arg if action is Shift else ~number[arg]
            for action, arg in (actions[symbol] for symbol in sorted(actions, key=str))
        ]
        same = len(set(coded)) == 1
        rows[state] = (symbols.setdefault(keys, len(symbols)), coded[0] if same else coded)
    shaped: list[Rule] = []
    for rule in rules:
        options = rule.options
        made = maybe_create_child_filter(
            rule.expansion, options.keep_all_tokens, False, list(options.empty_indices)
        )
        include: list[tuple[int, bool, int]] | None = None
        append_none = 0
        if made is not None:
            if len(made.args) == 2:  # ChildFilterLALR(to_include, nones_to_add)
                include = [(i, bool(x), n) for i, x, n in made.args[0]]
                append_none = made.args[1]
            else:  # ChildFilterLALR_NoPlaceholders(to_include)
                include = [(i, bool(x), 0) for i, x in made.args[0]]
        name = str(rule.alias or options.template_source or rule.origin.name)
        expand1 = bool(options.expand1 and not rule.alias)
        shaped.append(
            (str(rule.origin.name), len(rule.expansion), name, expand1, include, append_none)
        )

    return ParseTables(
        terminals,
        first_characters([regex for _, regex in terminals]),
        unless,
        [list(keys) for keys in symbols],
        rows,
        table.start_states["start"],
        table.end_states["start"],
        shaped,
    )


def first_characters(regexes: list[str]) -> dict[str, list[int]]:
    """For each ASCII character, the indexes of the regexes a match may start with it; a regex
    whose start cannot be read is listed under every character."""
    starts = [_first(re._parser.parse(regex), 0)[0] for regex in regexes]
    return {c: [i for i, s in enumerate(starts) if c in s] for c in _ASCII}


def _first(items: Any, flags: int) -> tuple[frozenset[str], bool]:
    """The ASCII characters a match of the parsed sequence may start with, and whether it may
    match the empty string. Anything not understood counts as any character, and as empty."""
    from re import _constants as sre

    found: set[str] = set()
    for op, arg in items:
        nullable = False
        if op is sre.LITERAL:
            chars = _class_start([(op, arg)], flags, sre)
        elif op is sre.IN:
            chars = _class_start(arg, flags, sre)
        elif op in (sre.NOT_LITERAL, sre.ANY):
            chars = _ANY
        elif op is sre.BRANCH:
            chars, nullable = frozenset(), False
            for branch in arg[1]:
                sub, empty = _first(branch, flags)
                chars, nullable = chars | sub, nullable or empty
        elif op is sre.SUBPATTERN:
            _group, add_flags, del_flags, sub = arg
            chars, nullable = _first(sub, (flags | add_flags) & ~del_flags)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, _high, sub = arg
            chars, nullable = _first(sub, flags)
            nullable = nullable or low == 0
        elif op is sre.ATOMIC_GROUP:
            chars, nullable = _first(arg, flags)
        elif op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            chars, nullable = frozenset(), True
        else:
            chars, nullable = _ANY, True
        found |= chars
        if not nullable:
            return frozenset(found), False
    return frozenset(found), True


def _class_start(items: Any, flags: int, sre: Any) -> frozenset[str]:
    """The ASCII characters a character class (or one literal) matches. A negated class, a
    category (\\d, \\w ...), or, ignoring case, a non-ASCII member (the Kelvin sign matches k)
    counts as any character."""
    chars: set[str] = set()
    for op, arg in items:
        if op is sre.LITERAL:
            low, high = arg, arg
        elif op is sre.RANGE:
            low, high = arg
        else:
            return _ANY
        if high > 127 and flags & re.IGNORECASE:
            return _ANY
        chars.update(chr(c) for c in range(low, min(high, 127) + 1))
    if flags & re.IGNORECASE:
        chars |= {c.swapcase() for c in chars}
    return frozenset(chars)
