"""The byte encoding of global references sorts as M collates subscripts and decodes back."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cacheshell.lang import collation
from cacheshell.lang.globals import from_stored, to_stored

D = Decimal

# Each list is in M collation order: canonical numbers first by value (negative, zero, positive,
# fractions among them), then strings in code-point order ("Using Caché Globals", Collation of
# Globals: "numeric subscripts ... collate before string subscripts", strings by code point).
ORDERED = [
    ("integers", [-1000, -10, -2, -1, 0, 1, 2, 10, 100, 1000]),
    ("fractions", [D("-1.5"), -1, D("-0.5"), D("-0.05"), 0, D("0.05"), D("0.5"), 1, D("1.5")]),
    ("same exponent", [10, D("10.5"), 15, 99, 100, D("100.5"), D("102.5"), 120]),
    ("trailing zeros", [1, 10, 100, 1000, 10000]),
    ("huge and tiny", [-(10**40), D("-1E-30"), D("1E-30"), 10**40]),
    ("numbers before strings", [-5, 3, " ", "-5x", "1.0", "A"]),
    ('"01" is a string, after every number', [1, 2, 1000000, "01"]),
    ("strings by code point", ["A", "B", "Z", "a", "b", "z", "é", "\u4e2d", "\U0001f600"]),
    ("a prefix first", ["a", "a\x00", "a\x00b", "ab", "abc", "b"]),
    ("a string's NUL and 1 bytes", ["\x00", "\x00\x01", "\x01", "x"]),
]


@pytest.mark.parametrize(("what", "ordered"), ORDERED, ids=[w for w, _ in ORDERED])
def test_encodings_sort_in_collation_order(what: str, ordered: list[object]) -> None:
    shuffled = list(reversed(ordered))
    assert sorted(shuffled, key=collation.encode_subscript) == ordered  # type: ignore[arg-type]


SUBSCRIPTS = [0, 1, -1, 7, 120, -120, 10**20, D("0.5"), D("-0.125"), D("3.14"), "x", "a\x00b"]


@pytest.mark.parametrize("sub", SUBSCRIPTS, ids=repr)
def test_a_subscript_decodes_to_itself_and_its_type(sub: object) -> None:
    encoded = collation.encode_subscript(sub)  # type: ignore[arg-type]
    assert collation.decode_subscript(encoded + b"tail", 0) == (sub, len(encoded))


def test_an_ancestor_is_a_prefix_and_its_subtree_a_range() -> None:
    parent = collation.encode("^G", (1, "a"))
    child = collation.encode("^G", (1, "a", 5))
    sibling = collation.encode("^G", (1, "ab"))
    assert child.startswith(parent)
    assert parent < child < parent + collation.END < sibling
    assert collation.decode(child) == ("^G", (1, "a", 5))


def test_names_do_not_overlap() -> None:
    # ^A(...) ends before ^AB starts: the name is terminated.
    assert collation.encode("^A", ("zzz",)) + collation.END < collation.encode("^AB", ())


VALUES = [
    (5, 5),
    (-(2**63), -(2**63)),
    (10**20, 10**20),  # beyond SQLite's integers: kept as text, comes back a number
    (D("1.5"), D("1.5")),
    ("text", "text"),
    ("\x01\x02ab", "\x01\x02ab"),  # a $ListBuild string keeps its bytes
    ("caf\u00e9", "caf\u00e9"),
    ("\ud800", "\ud800"),  # a lone surrogate survives
]


@pytest.mark.parametrize(("value", "back"), VALUES, ids=repr)
def test_a_stored_value_keeps_its_type(value: object, back: object) -> None:
    returned = from_stored(to_stored(value))  # type: ignore[arg-type]
    assert (returned, type(returned)) == (back, type(back))
