"""The shape of an expression's subtree, as the compilers read it: an expr node only around
binary operators (each operator a token between its operands), a unary node only around prefix
operators, and otherwise the atom's own node."""

from __future__ import annotations

from typing import Any

import pytest

from cacheshell.lang.nodes import Token, Tree
from cacheshell.lang.parser import parse


def _shape(node: Any) -> Any:
    """A node as nested (name, children) tuples, a token as TYPE:text, a missing part as None."""
    if isinstance(node, Tree):
        return (node.data, [_shape(child) for child in node])
    if isinstance(node, Token):
        return f"{node.type}:{node}"
    return node


def _argument(source: str) -> Any:
    """The shape of the one argument of a Write line."""
    write = parse(source)[0][0]
    assert write.data == "write_cmd"
    return _shape(write[-1])


NUMBER_1 = ("number", ["NUMBER:1"])
LOCAL_X = ("chain", [("local", ["NAME:x", None])])


@pytest.mark.parametrize(
    ("source", "shape"),
    [
        ("Write 1", NUMBER_1),
        ('Write "a"', ("string", ['STRING:"a"'])),
        ("Write x", LOCAL_X),
        ("Write -1", ("unary", ["MINUS:-", NUMBER_1])),
        ("Write 1+x", ("expr", [NUMBER_1, "PLUS:+", LOCAL_X])),
        ("Write 1+-x", ("expr", [NUMBER_1, "PLUS:+", ("unary", ["MINUS:-", LOCAL_X])])),
        ("Write x?1N", ("expr", [LOCAL_X, ("pattern_test", [None, "PATTERN:?1N"])])),
        ("Write (1)", ("paren", [NUMBER_1])),
        ("Write (1)_x", ("expr", [("paren", [NUMBER_1]), "UNDERSCORE:_", LOCAL_X])),
    ],
)
def test_an_expression_has_a_node_only_where_an_operator_stands(source: str, shape: Any) -> None:
    assert _argument(source) == shape
