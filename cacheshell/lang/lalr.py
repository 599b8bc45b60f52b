"""Run the LALR tables over a token list and build the tree, as Lark's LALR parser does.

Each rule's reduction becomes one small function made when the tables load: it keeps the
children the grammar keeps (tokens named with _ are dropped, _rules spliced in, None put where an
optional part is missing) and, for a ?rule with a single child, returns that child itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from cacheshell.lang.nodes import Token, Tree
from cacheshell.lang.parse_tables import ParseTables, Rule

__all__ = ["LalrParser", "ParseFailure"]

_Build = Callable[[list[Any]], Any]


class ParseFailure(Exception):
    """A token the grammar does not accept where it stands; `line` is its line (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class LalrParser:
    def __init__(self, tables: ParseTables) -> None:
        # A reduction is (symbol, size, build), build None where the node is its one child
        # (a ?rule of one symbol); in the action tables it stands in place of its ~number.
        reductions = [(rule[0], rule[1], _builder(rule)) for rule in tables.rules]
        self._states: list[dict[str, Any]] = [
            {kind: reductions[~act] if act < 0 else act for kind, act in actions.items()}
            for actions in tables.states
        ]
        self._start = tables.start
        self._end = tables.end

    def parse(self, tokens: list[Token]) -> Any:
        """The tree of the token list; ParseFailure at the first token that cannot stand."""
        states = self._states
        state = self._start
        stack = [state]
        values: list[Any] = []
        push, pop, keep = stack.append, stack.pop, values.append
        for token in tokens:
            kind = token.type
            while True:
                action = states[state].get(kind)
                if action.__class__ is int:  # shift
                    state = action
                    push(state)
                    keep(token)
                    break
                if action is None:
                    raise ParseFailure(token.line or 1)
                origin, size, build = action
                if size == 1:
                    pop()
                    if build is not None:
                        values[-1] = build([values[-1]])
                elif size:
                    children = values[-size:]
                    del values[-size:]
                    del stack[-size:]
                    keep(build(children))
                else:
                    keep(build([]))
                state = states[stack[-1]][origin]
                push(state)
        return self._finish(states, stack, values, tokens[-1].line or 1 if tokens else 1)

    def _finish(
        self, states: list[dict[str, Any]], stack: list[int], values: list[Any], line: int
    ) -> Any:
        """Reduce at the end of input (placed, as Lark places it, on the last token's line)
        until the start symbol is complete."""
        while True:
            action = states[stack[-1]].get("$END")
            if action is None or action.__class__ is int:
                raise ParseFailure(line)
            origin, size, build = action
            if size:
                children = values[-size:]
                del values[-size:]
                del stack[-size:]
            else:
                children = []
            values.append(children[0] if build is None else build(children))
            stack.append(states[stack[-1]][origin])
            if stack[-1] == self._end:
                return values[-1]


def _builder(rule: Rule) -> _Build | None:
    _origin, size, name, expand1, include, append_none = rule
    if include is None:
        if expand1 and size == 1:
            return None  # the node is its one child
        # (a ?rule of more or fewer symbols never has a single child here)
        return functools.partial(Tree, name)
    keep = include
    trailing = [None] * append_none

    def build(children: list[Any]) -> Any:
        kept: list[Any] = []
        for index, spliced, nones in keep:
            if nones:
                kept += [None] * nones
            if spliced:
                if kept:
                    kept += children[index].children
                else:  # left recursion: take over the spliced node's list
                    kept = children[index].children
            else:
                kept.append(children[index])
        if trailing:
            kept += trailing
        if expand1 and len(kept) == 1:
            return kept[0]
        return Tree(name, kept)

    return build
