"""$LIST functions and the list encoding."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.lists import (
    FUNCTIONS,
    decode,
    is_list,
    list_next,
    listbuild,
    set_list,
    zwrite_repr,
)
from cacheshell.lang.markers import OMITTED, Star

LB = listbuild

ENCODINGS = [
    ((), "\x01"),
    (("",), "\x02\x01"),
    (("a",), "\x03\x01a"),
    (("ab", "c"), "\x04\x01ab\x03\x01c"),
    ((None,), "\x01"),
    ((OMITTED, "x"), "\x01\x03\x01x"),
    ((0,), "\x02\x04"),
    ((1,), "\x03\x04\x01"),
    ((255,), "\x03\x04\xff"),
    ((256,), "\x04\x04\x00\x01"),
    ((-1,), "\x02\x05"),
    ((-2,), "\x03\x05\xfe"),
    ((-128,), "\x03\x05\x80"),
    ((-256,), "\x03\x05\x00"),
    ((-257,), "\x04\x05\xff\xfe"),
    ((D("1.5"),), "\x04\x06\xff\x0f"),
    ((D("-1.5"),), "\x04\x07\xff\xf1"),
    ((D(".001"),), "\x04\x06\xfd\x01"),
    (("\u03c0",), "\x04\x02\xc0\x03"),
    (("1",), "\x03\x011"),
    (("a" * 253,), "\xff\x01" + "a" * 253),
    (("a" * 254,), "\x00\xff\x00\x01" + "a" * 254),
    (("a" * 300,), "\x00\x2d\x01\x01" + "a" * 300),
]


@pytest.mark.parametrize(("values", "encoded"), ENCODINGS)
def test_listbuild_encoding(values: tuple[object, ...], encoded: str) -> None:
    assert listbuild(*values) == encoded


@pytest.mark.parametrize(("values", "encoded"), ENCODINGS)
def test_decode_round_trip(values: tuple[object, ...], encoded: str) -> None:
    expected = [None if v is OMITTED else v for v in values] or [None]
    assert decode(encoded) == expected


FRUIT = LB("Red", "Blue", "Green", "Yellow")
GAPS = LB("A", None, "C")

CASES = [
    # $LIST
    ("LIST", (FRUIT,), "Red"),
    ("LIST", (FRUIT, 2), "Blue"),
    ("LIST", (FRUIT, Star(0)), "Yellow"),
    ("LIST", (FRUIT, Star(-1)), "Green"),
    ("LIST", (FRUIT, -1), "Yellow"),
    ("LIST", (FRUIT, 2, 3), LB("Blue", "Green")),
    ("LIST", (FRUIT, 2, 2), LB("Blue")),
    ("LIST", (FRUIT, 3, 99), LB("Green", "Yellow")),
    ("LIST", (FRUIT, 0, 1), LB("Red")),
    ("LIST", (FRUIT, 3, 2), ""),
    ("LIST", (FRUIT, Star(-1), Star(0)), LB("Green", "Yellow")),
    ("LIST", (LB(1, D("2.5")), 2), D("2.5")),
    ("LIST", (LB("a", LB("b", "c")), 2), LB("b", "c")),
    # $LISTGET
    ("LISTGET", (LB("A", "B", "C"),), "A"),
    ("LISTGET", (LB("A", "B", "C"), Star(-1)), "B"),
    ("LISTGET", (GAPS, 2, "?"), "?"),
    ("LISTGET", (GAPS, Star(-1), "?"), "?"),
    ("LISTGET", (GAPS, 2), ""),
    ("LISTGET", (GAPS, 9, "none"), "none"),
    ("LISTGET", (GAPS, 0, "none"), "none"),
    ("LISTGET", (GAPS, Star(-3), "none"), "none"),
    ("LISTGET", ("", 1, "no value"), "no value"),
    ("LISTGET", (LB(), 1, "no value"), "no value"),
    ("LISTGET", (LB(""), 1, "no value"), ""),
    # $LISTLENGTH
    ("LISTLENGTH", (FRUIT,), 4),
    ("LISTLENGTH", (GAPS,), 3),
    ("LISTLENGTH", ("",), 0),
    ("LISTLENGTH", (LB(),), 1),
    ("LISTLENGTH", (LB(None, None, None),), 3),
    ("LISTLENGTH", (LB() + LB("a", "b"),), 3),
    ("LISTLENGTH", (LB("Apple", "Pear", LB("Walnut", "Pecan")),), 3),
    # $LISTDATA
    ("LISTDATA", (LB("Red", None, None, "", "Green", None),), 1),
    ("LISTDATA", (LB("Red", None, None, "", "Green", None), 2), 0),
    ("LISTDATA", (LB("Red", None, None, "", "Green", None), 4), 1),
    ("LISTDATA", (LB("Red", None, None, "", "Green", None), -1), 0),
    ("LISTDATA", (LB("Red", None, None, "", "Green", None), 0), 0),
    ("LISTDATA", (LB("Red", None, None, "", "Green", None), 7), 0),
    ("LISTDATA", ("",), 0),
    ("LISTDATA", (LB(""),), 1),
    # $LISTFIND
    ("LISTFIND", (LB("A", "B", "C", "D"), "B"), 2),
    ("LISTFIND", (LB("A", "B", "C", "D"), "E"), 0),
    ("LISTFIND", (LB("A", "B", "C", "D"), "B", 2), 0),
    ("LISTFIND", (LB("A", "B", "C", "A"), "A", 2), 4),
    ("LISTFIND", (LB("A", "B", "C", "D"), "B", -1), 0),
    ("LISTFIND", (LB("A", "", "C", "D"), ""), 2),
    ("LISTFIND", (LB("A", None, "C", "D"), "C"), 3),
    ("LISTFIND", ("", ""), 0),
    ("LISTFIND", (LB(), ""), 0),
    ("LISTFIND", (LB(None, None, None, None) + LB("A", "B"), "B"), 6),
    ("LISTFIND", (LB("1.0", "+2", "003"), 1), 0),
    ("LISTFIND", (LB(7, 6, 5, 4), 4), 4),
    ("LISTFIND", (LB("ABC", "BCD", "BBB"), "B"), 0),
    ("LISTFIND", (LB("A", LB("x", "y"), "C"), LB("x", "y")), 2),
    # $LISTTOSTRING / $LISTFROMSTRING
    ("LISTTOSTRING", (LB("Red", "Blue", "Green"), "^"), "Red^Blue^Green"),
    ("LISTTOSTRING", (LB(3, 0, 44, D("5.6"), 33, 400), "^"), "3^0^44^5.6^33^400"),
    ("LISTTOSTRING", (LB("a", "b"),), "a,b"),
    ("LISTTOSTRING", (LB("a", None, "b"), "/", 1), "a//b"),
    ("LISTTOSTRING", ("",), ""),
    ("LISTFROMSTRING", ("Red,,Blue",), LB("Red", "", "Blue")),
    ("LISTFROMSTRING", ("Red,,Blue", OMITTED, 1), LB("Red", None, "Blue")),
    ("LISTFROMSTRING", ("Deborah Noah Martha", " "), LB("Deborah", "Noah", "Martha")),
    (
        "LISTFROMSTRING",
        ('abc,3,"New York, New York",004.0,"5","+0.600"', OMITTED, 2),
        LB("abc", "3", "New York, New York", "004.0", "5", "+0.600"),
    ),
    ("LISTFROMSTRING", ('a,"b ""c""",d', OMITTED, 2), LB("a", 'b "c"', "d")),
    ("LISTFROMSTRING", ("a::b", "::"), LB("a", "b")),
    # $LISTVALID / $LISTSAME
    ("LISTVALID", ("",), 1),
    ("LISTVALID", (LB(),), 1),
    ("LISTVALID", (LB(None, None),), 1),
    ("LISTVALID", ("abc",), 0),
    ("LISTVALID", (LB("A", "B") + "C",), 0),
    ("LISTVALID", (1,), 0),
    ("LISTSAME", (LB("Red", "Blue"), LB("Red", "Blue")), 1),
    ("LISTSAME", (LB("Red", "Blue"), LB("Blue", "Red")), 0),
    ("LISTSAME", (LB("365"), LB(365)), 1),
    ("LISTSAME", (LB("365.5"), LB(D("365.5"))), 1),
    ("LISTSAME", (LB("365.0"), LB(365)), 0),
    ("LISTSAME", (LB(365, None, 367), LB(365, "", 367)), 0),
    ("LISTSAME", (LB(), LB(None)), 1),
    ("LISTSAME", ("", ""), 1),
    ("LISTSAME", (LB(""), ""), 0),
    ("LISTSAME", ("", "abc"), 0),
    ("LISTSAME", (LB("a", "b") + LB("c"), LB("a", "b", "c")), 1),
]


@pytest.mark.parametrize(("name", "args", "expected"), CASES)
def test_function(name: str, args: tuple[object, ...], expected: object) -> None:
    result = FUNCTIONS[name].impl(*args)
    assert (result, type(result)) == (expected, type(expected))


ERRORS = [
    ("LIST", ("",), "NULL VALUE"),
    ("LIST", (LB(),), "NULL VALUE"),
    ("LIST", (LB("A", None, "C"), 2), "NULL VALUE"),
    ("LIST", (LB("A", "B", "C"), 4), "NULL VALUE"),
    ("LIST", (LB("A", "B", "C"), 0), "NULL VALUE"),
    ("LIST", (LB("Brown", "Black"), Star(-2)), "NULL VALUE"),
    ("LIST", (LB("Brown", "Black"), Star(-3)), "RANGE"),
    ("LIST", ("", Star(-1)), "RANGE"),
    ("LIST", ("", 0, Star(-1)), "RANGE"),
    ("LIST", (LB("a"), -2), "RANGE"),
    ("LIST", ("abc",), "LIST"),
    ("LISTLENGTH", (LB("A", "B") + "C",), "LIST"),
    ("LISTGET", (LB("a", "b", "c"), Star(-4)), "RANGE"),
    ("LISTFIND", (LB("a"), "a", -2), "RANGE"),
    ("LISTDATA", (LB("a"), -2), "RANGE"),
    ("LISTTOSTRING", (LB("a", None),), "NULL VALUE"),
    ("LISTFROMSTRING", ("a,b", ""), "ILLEGAL VALUE"),
    ("LISTSAME", ("abc", LB("")), "LIST"),
]


@pytest.mark.parametrize(("name", "args", "error"), ERRORS)
def test_error(name: str, args: tuple[object, ...], error: str) -> None:
    with pytest.raises(ObjectScriptError) as info:
        FUNCTIONS[name].impl(*args)
    assert info.value.name == error


SET_CASES = [
    ((LB("apple", "onion", "banana"), "orange", 2), LB("apple", "orange", "banana")),
    ((LB("a", "b"), "z", Star(0)), LB("a", "z")),
    ((LB("a", "b", "c"), "z", Star(-2)), LB("z", "b", "c")),
    ((LB("a", "b"), "pear", Star(1)), LB("a", "b", "pear")),
    ((LB("a", "b"), "x", Star(3)), LB("a", "b", None, None, "x")),
    (("", "x", 1), LB("x")),
    ((LB("a", "b", "c"), LB("o", "b"), 3), LB("a", "b", LB("o", "b"))),
    ((LB("a", "p", "o", "z"), LB("x", "y"), 2, 3), LB("a", "x", "y", "z")),
    ((LB("a", "p", "o", "z"), LB("x", "y", "w"), 2, 3), LB("a", "x", "y", "w", "z")),
    ((LB("a", "p", "o", "z"), "", 2, 3), LB("a", "z")),
    ((LB("a", "b", "c", "d", "e"), "", 3, Star(0)), LB("a", "b")),
    ((LB("a", "b"), LB("c", "d"), Star(1), Star(2)), LB("a", "b", "c", "d")),
    ((LB("a", "b"), LB("c"), 4, 4), LB("a", "b", None, "c")),
]


@pytest.mark.parametrize(("args", "expected"), SET_CASES)
def test_set_list(args: tuple[object, ...], expected: str) -> None:
    assert set_list(*args) == expected  # type: ignore[arg-type]


def _quote(v: object) -> str:
    if isinstance(v, str):
        return '"' + v.replace('"', '""') + '"'
    return str(v) if not isinstance(v, D) else format(v, "f")


ZWRITE = [
    (LB("a", 1, None, "b"), '$lb("a",1,,"b")'),
    (LB("Red", "Blue"), '$lb("Red","Blue")'),
    (LB(), "$lb()"),
    (LB(None, None), "$lb(,)"),
    (LB(""), '$lb("")'),
    (LB("a", LB("b", "c")), '$lb("a",$lb("b","c"))'),
    (
        LB("red", "blue", LB("green", "yellow"), "white"),
        '$lb("red","blue",$lb("green","yellow"),"white")',
    ),
    (LB('say "hi"'), '$lb("say ""hi""")'),
]


@pytest.mark.parametrize(("lst", "shown"), ZWRITE)
def test_zwrite_repr(lst: str, shown: str) -> None:
    assert zwrite_repr(lst, _quote) == shown


IS_LIST = [
    (LB("a"), True),
    (LB(), True),
    ("", False),
    ("abc", False),
    ("\x03\x01", False),
    (LB("a") + "x", False),
]


@pytest.mark.parametrize(("value", "expected"), IS_LIST)
def test_is_list(value: str, expected: bool) -> None:
    assert is_list(value) is expected


def test_list_next_walks_every_element() -> None:
    lst = LB("Red", "Blue", None, "Green")
    seen, ptr = [], 0
    while True:
        ptr, found, value = list_next(lst, ptr)
        if not found:
            break
        seen.append(value)
    assert (seen, ptr) == (["Red", "Blue", None, "Green"], 0)


def test_list_next_on_empty_list() -> None:
    assert list_next("", 0) == (0, False, None)


def test_list_next_on_null_string_element() -> None:
    assert list_next(LB(""), 0) == (2, True, "")


def test_table_names_and_abbreviations() -> None:
    abbrevs = {name: spec.abbrev for name, spec in FUNCTIONS.items()}
    assert abbrevs == {
        "LISTBUILD": "LB",
        "LIST": "LI",
        "LISTGET": "LG",
        "LISTLENGTH": "LL",
        "LISTDATA": "LD",
        "LISTFIND": "LF",
        "LISTTOSTRING": "LTS",
        "LISTFROMSTRING": "LFS",
        "LISTVALID": "LV",
        "LISTSAME": "LS",
    }
