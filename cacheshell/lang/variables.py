"""What compiled code needs from a place that holds variables: the local symbol table, a
namespace's globals, the process-private globals. Each satisfies `Variables`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from cacheshell.lang.objects import Value
from cacheshell.lang.symbols import Key, Subscripts


class Variables(Protocol):
    def get(self, name: str, subs: Subscripts = ()) -> Value:
        """The value at name(subs); <UNDEFINED> when that node has none."""
        ...

    def set(self, name: str, subs: Subscripts, value: Value) -> None: ...

    def set_many(self, name: str, items: list[tuple[Subscripts, Value]]) -> None:
        """Several nodes of one variable, in one atomic write where the store has them."""
        ...

    def kill(self, name: str, subs: Subscripts = ()) -> None:
        """Remove the node and its descendants."""
        ...

    def data(self, name: str, subs: Subscripts = ()) -> int:
        """$DATA: 0, 1, 10 or 11."""
        ...

    def order(self, name: str, subs: Subscripts, reverse: bool = False) -> Key:
        """$ORDER: the next subscript after the last one of `subs` at its level, or ""."""
        ...

    def query(self, name: str, subs: Subscripts) -> tuple[Key, ...] | None:
        """$QUERY: the subscripts of the next node with data in depth-first collation order."""
        ...

    def nodes(self, name: str, subs: Subscripts = ()) -> Iterator[tuple[Subscripts, Value]]:
        """(subscripts, value) of name(subs) and its descendants that have data, in order."""
        ...

    def increment(self, name: str, subs: Subscripts, by: Value) -> Value:
        """$INCREMENT: add `by` to the node (0 when it has no value) as one atomic step."""
        ...
