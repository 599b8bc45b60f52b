"""Run the LALR tables over a token list and build the tree, as Lark's LALR parser does.

Each rule's reduction becomes one small function made when the tables load: it keeps the
children the grammar keeps (tokens named with _ are dropped, _rules spliced in, None put where an
optional part is missing) and, for a ?rule with a single child, returns that child itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cacheshell.lang.nodes import Built, Token
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
        # A reduction is (symbol, size, build); an action < 0 is ~ its index. build is None
        # where the node is its one child (a ?rule of one symbol); for a rule of one symbol it
        # takes that value, for others the list of values.
        self._reductions: list[tuple[str, int, Any]] = [
            (rule[0], rule[1], None if _passes_through(rule) else self._compiler(i, rule))
            for i, rule in enumerate(tables.rules)
        ]
        self._tables = tables
        # Each state's actions, made when the parser first reaches the state; until then the
        # state has the one empty dict _LATER.
        self._states: list[dict[str, int]] = [_LATER] * len(tables.rows)
        self._start = tables.start
        self._end = tables.end

    def _compiler(self, index: int, rule: Rule) -> _Build:
        """A rule's builder that compiles the rule's own code at its first use and puts it in
        its place: a one-shot command meets a few dozen of the rules."""

        def first_use(children: Any) -> Any:
            namespace: dict[str, Any] = {"Built": Built, "NAME": rule[2]}
            exec(_source(rule), namespace)
            build = namespace["build"]
            self._reductions[index] = (rule[0], rule[1], build)
            return build(children)

        return first_use

    def parse(self, tokens: list[Token]) -> Any:
        """The tree of the token list; ParseFailure at the first token that cannot stand."""
        states = self._states
        reductions = self._reductions
        state = self._start
        stack = [state]
        values: list[Any] = []
        push, keep = stack.append, values.append
        for token in tokens:
            kind = token.type
            while True:
                action = states[state].get(kind)
                if action is None:
                    if states[state] is _LATER:
                        states[state] = self._tables.actions(state)
                        continue
                    raise ParseFailure(token.line or 1)
                if action >= 0:  # shift
                    state = action
                    push(state)
                    keep(token)
                    break
                origin, size, build = reductions[~action]
                if size == 1:
                    if build is not None:
                        values[-1] = build(values[-1])
                    state = stack[-1] = states[stack[-2]][origin]
                    continue
                if size:
                    children = values[-size:]
                    del values[-size:]
                    del stack[-size:]
                    keep(build(children))
                else:
                    keep(build([]))
                state = states[stack[-1]][origin]
                push(state)
        return self._finish(stack, values, tokens[-1].line or 1 if tokens else 1)

    def _finish(self, stack: list[int], values: list[Any], line: int) -> Any:
        """Reduce at the end of input (placed, as Lark places it, on the last token's line)
        until the start symbol is complete."""
        states = self._states
        while True:
            state = stack[-1]
            if states[state] is _LATER:
                states[state] = self._tables.actions(state)
            action = states[state].get("$END")
            if action is None or action >= 0:
                raise ParseFailure(line)
            origin, size, build = self._reductions[~action]
            if size:
                children = values[-size:]
                del values[-size:]
                del stack[-size:]
            else:
                children = []
            if build is not None:
                values.append(build(children[0] if size == 1 else children))
            else:
                values.append(children[0])
            stack.append(states[stack[-1]][origin])
            if stack[-1] == self._end:
                return values[-1]


_LATER: dict[str, int] = {}


def _passes_through(rule: Rule) -> bool:
    """Whether a rule's node is its one child: a ?rule of one symbol that drops nothing."""
    _origin, size, _name, expand1, include, _append_none = rule
    return expand1 and size == 1 and include is None


def _source(rule: Rule) -> str:
    """A builder's code, as Lark's ChildFilterLALR and ExpandSingleChild do it, unrolled: the
    kept children (c[i]), a spliced _rule's children (*c[i]), None for each optional part left
    out. When the first kept child is a spliced _rule, its node becomes this one, extended, which
    keeps a long left-recursive repetition linear (Lark takes over its children list alike). A
    rule of one symbol gets its value as c, not in a list."""
    _origin, size, _name, expand1, include, append_none = rule
    if include is None:
        include = [(i, False, 0) for i in range(size)]
    items: list[str] = []
    taken = ""
    for index, spliced, nones in include:
        items += ["None"] * nones
        child = "c" if size == 1 else f"c[{index}]"
        if spliced and not items and not taken:
            taken = child
        else:
            items.append(f"*{child}" if spliced else child)
    items += ["None"] * append_none
    listed = "[" + ", ".join(items) + "]"
    if taken:
        lines = [f"t = {taken}"] + ([f"t += {listed}"] if items else [])
    elif expand1 and len(items) == 1 and not items[0].startswith("*"):
        return f"def build(c):\n    return {items[0]}\n"
    else:
        lines = [f"t = Built({listed})"]
    if expand1 and (taken or any(item.startswith("*") for item in items)):
        lines.append("if len(t) == 1:\n        return t[0]")
    lines.append("t.data = NAME\n    return t")
    return "def build(c):\n" + "".join(f"    {line}\n" for line in lines)
