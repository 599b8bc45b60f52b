"""The parse tree's two node types: a Token (a piece of source text with its type and place) and
a Tree (a grammar rule's node). They behave as Lark's Token and Tree do for the compilers, without
importing Lark, which only the building of the parse tables needs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["Token", "Tree"]


class Token(str):
    """A token: the text it matched, its terminal's name, and where it starts (1-based line and
    column, 0-based offset)."""

    __slots__ = ("type", "start_pos", "line", "column")

    type: str
    start_pos: int | None
    line: int | None
    column: int | None

    def __new__(
        cls,
        type: str,
        value: str,
        start_pos: int | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> Token:
        token = str.__new__(cls, value)
        token.type = type
        token.start_pos = start_pos
        token.line = line
        token.column = column
        return token

    @classmethod
    def new_borrow_pos(cls, type: str, value: str, borrow: Token) -> Token:
        """A token of another type or text at the place of `borrow`."""
        return cls(type, value, borrow.start_pos, borrow.line, borrow.column)

    @property
    def value(self) -> str:
        return str(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Token, (self.type, str(self), self.start_pos, self.line, self.column))

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {str(self)!r})"

    def __eq__(self, other: object) -> bool:
        # As Lark's: equal to a plain string of the same text, not to a token of another type.
        if isinstance(other, Token) and self.type != other.type:
            return False
        return str.__eq__(self, other)

    __hash__ = str.__hash__


class Tree(list[Any]):
    """A rule's node: the rule's name (or its alias) and its children, which are trees, tokens,
    and None for an optional part left out. The node is the list of its children (`children` is
    the node itself): one object a node, not two, halves what the cyclic garbage collector
    walks while trees are built and held."""

    __slots__ = ("data",)

    data: str

    def __init__(self, data: str, children: Iterable[Any]) -> None:
        super().__init__(children)
        self.data = data

    @property
    def children(self) -> list[Any]:
        return self

    def __repr__(self) -> str:
        return f"Tree({self.data!r}, {list(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tree):
            return NotImplemented
        return self.data == other.data and list.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:  # type: ignore[override]
        return hash((self.data, tuple(self)))


class Built(Tree):
    """A Tree as the parser makes it: from its children list alone (list's own constructor, no
    Python call), its name set next."""

    __slots__ = ()
    __init__ = list.__init__
