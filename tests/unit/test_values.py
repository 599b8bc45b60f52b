"""Tables for cacheshell.lang.values: conversions, arithmetic, comparisons, subscripts."""

from __future__ import annotations

import timeit
from decimal import Decimal

import pytest

from cacheshell.lang import values as v
from cacheshell.lang.errors import ObjectScriptError

D = Decimal


def same(got: object, want: object) -> bool:
    """Equal value and the same Python type (int vs Decimal matters in the contract)."""
    return type(got) is type(want) and got == want


# ---------------------------------------------------------------------------
# to_str


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (12, "12"),
        (-3, "-3"),
        (D("0.5"), ".5"),
        (D("-0.5"), "-.5"),
        (D("1.50"), "1.5"),  # trailing zeros dropped
        (D("1E-10"), ".0000000001"),  # never an exponent
        (D("1E+25"), "10000000000000000000000000"),
        (D("-0"), "0"),  # -0 is 0
        (D("-0.000"), "0"),
        (D("3.141592920353982301"), "3.141592920353982301"),
        ("007", "007"),  # strings pass through untouched
        ("", ""),
        (True, "1"),
        (12345678901234567900, "12345678901234567900"),
    ],
)
def test_to_str(value: object, expected: str) -> None:
    assert v.to_str(value) == expected


def test_to_str_object_uses_str() -> None:
    class Oref:
        def __str__(self) -> str:
            return "3@%Library.ListOfDataTypes"

    assert v.to_str(Oref()) == "3@%Library.ListOfDataTypes"


# ---------------------------------------------------------------------------
# to_num


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 blind mice", 3),
        ("++--3", 3),  # two minus signs cancel
        ("---3", -3),  # an odd count of minus signs negates
        ("-", 0),
        ("+", 0),
        (".", 0),
        ("", 0),
        ("fred", 0),
        (" 3", 0),  # a leading space ends the numeric prefix at once
        ("-.5", D("-0.5")),
        ("+007.00", 7),
        ("123,456", 123),  # the group separator is not numeric
        ("1.2.3", D("1.2")),
        ("3E", 3),  # E without digits is not part of the number
        ("3E+", 3),
        ("1E3", 1000),
        ("1e3", 1000),
        ("2E-1x", D("0.2")),
        ("3E4", 30000),
        ("3E-4", D("0.0003")),
        ("1.E2", 100),
        (".E5", 0),  # no digit before the exponent: no number at all
        ("32hut", 32),
        ("003.0", 3),
        ("-0", 0),
        ("0.66", D("0.66")),
        ("12345678901234567", 12345678901234567),
        ("123456789012345678", 123456789012345678),  # 18 digits: always exact
        ("9223372036854775807", 9223372036854775807),  # 19-digit significand that fits
        ("9223372036854775808", 9223372036854775810),  # does not fit: 18 digits
        ("9999999999999999999", 10000000000000000000),
        ("1234567890.123456781818181", D("1234567890.123456782")),
        ("1E-128", D("1E-128")),
        ("1E-129", 0),  # below the smallest exponent the representation has
        ("1E-99999999999999", 0),
        ("0E99999999999999", 0),
        ("9.223372036854775807E145", 9223372036854775807 * 10**127),  # largest M number
    ],
)
def test_to_num_strings(text: str, expected: object) -> None:
    assert same(v.to_num(text), expected)


@pytest.mark.parametrize("value", [7, D("2.5"), D("-0.001")])
def test_to_num_numbers_pass_through(value: object) -> None:
    assert v.to_num(value) is value


@pytest.mark.parametrize("text", ["1E146", "9.2233720368547758075E145", "1E99999999999999"])
def test_to_num_maxnumber(text: str) -> None:
    with pytest.raises(ObjectScriptError) as err:
        v.to_num(text)
    assert err.value.name == "MAXNUMBER"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3.9", 3), ("-3.9", -3), (D("0.5"), 0), ("12abc", 12), ("x", 0), (D("-7.99"), -7)],
)
def test_to_int(value: object, expected: int) -> None:
    assert same(v.to_int(value), expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, True),
        (7, True),
        (D("-0.007"), True),
        ("7-7", True),  # a string: only its prefix 7 counts
        ("7dwarves", True),
        (0, False),
        ("-0.00", False),
        ("0", False),
        ("TRUE", False),
        ("strike3", False),
        ("", False),
    ],
)
def test_is_true(value: object, expected: bool) -> None:
    assert v.is_true(value) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", True),
        ("-3", True),
        (".5", True),
        ("-.5", True),
        ("1.5", True),
        ("0", True),
        ("9223372036854775807", True),
        ("007", False),
        ("1.50", False),
        ("-0", False),
        ("+1", False),
        ("1E3", False),
        ("", False),
        ("0.5", False),
        (".", False),
        ("1.", False),
        ("-", False),
        ("9223372036854775808", False),  # no M number prints like this (it becomes ...810)
        ("1" + "0" * 146, False),  # beyond <MAXNUMBER>: not a number at all
        (" 1", False),
    ],
)
def test_is_canonical_number(text: str, expected: bool) -> None:
    assert v.is_canonical_number(text) is expected


# ---------------------------------------------------------------------------
# Arithmetic


@pytest.mark.parametrize(
    ("op", "a", "b", "expected"),
    [
        (v.add, 1, 2, 3),
        (v.add, "3", 4, 7),
        (v.add, "003.0", 4, 7),
        (v.add, "++--3", 4, 7),
        (v.add, "3 blind mice", 4, 7),
        (v.add, "fred", 3, 3),
        (v.add, "3abc", 1, 4),
        (v.add, D("0.1"), D("0.2"), D("0.3")),
        (v.add, D("0.5"), D("0.5"), 1),  # an integral result becomes an int
        (v.add, 999999999999999999, 1, 1000000000000000000),
        (v.add, 9223372036854775807, 1, 9223372036854775810),
        (v.add, 9223372036854775790, 17, 9223372036854775807),
        (v.add, 9223372036854775790, 21, 9223372036854775810),  # same as adding 24
        (v.add, 9223372036854775790, 24, 9223372036854775810),
        # 19-digit significand 1234567890123456789 fits: the trailing 0 is exact.
        (v.add, 12345678901234567890, 0, 12345678901234567890),
        (v.add, 12345678901234567891, 0, 12345678901234567890),
        (v.add, 12345678901234567895, 0, 12345678901234567900),  # half rounds up
        (v.add, -12345678901234567895, 0, -12345678901234567900),  # ... away from zero
        (v.sub, 5, 7, -2),
        (v.sub, "-123", 3, -126),
        (v.sub, D("1.5"), D("0.5"), 1),
        (v.sub, 0, D("0.25"), D("-0.25")),
        (v.mul, 6, 7, 42),
        (v.mul, D("1.5"), 2, 3),
        (v.mul, "2 apples", "3 pears", 6),
        (v.mul, 1000000000, 1000000000, 1000000000000000000),
        (v.mul, 4294967296, 4294967296, 18446744073709551620),  # 2**64: 19 digits, too big
        (v.mul, D("0.1"), D("0.1"), D("0.01")),
        (v.div, 355, 113, D("3.141592920353982301")),
        (v.div, 1, 3, D("0.3333333333333333333")),
        (v.div, 2, 3, D("0.6666666666666666667")),
        (v.div, -2, 3, D("-0.6666666666666666667")),
        (v.div, 1, 7, D("0.1428571428571428571")),
        (v.div, 10, 4, D("2.5")),
        (v.div, 10, 5, 2),
        (v.div, "32hut", 4, 8),
        (v.div, "eight apples", "4 oranges", 0),
        (v.div, 1, 8, D("0.125")),
        (v.idiv, 355, 113, 3),
        (v.idiv, -7, 2, -3),  # truncates toward zero
        (v.idiv, 7, -2, -3),
        (v.idiv, -7, -2, 3),
        (v.idiv, "8 Apples", "3.1 oranges", 2),
        (v.idiv, D("7.5"), D("2.5"), 3),
        (v.idiv, D("-7.5"), 2, -3),
        (v.mod, 37, 10, 7),
        (v.mod, -7, 3, 2),  # sign of the divisor
        (v.mod, 7, -3, -2),
        (v.mod, -7, -3, -1),
        (v.mod, D("12.5"), D("3.2"), D("2.9")),
        (v.mod, D("-12.5"), D("3.2"), D("0.3")),
        (v.mod, D("12.5"), D("-3.2"), D("-0.3")),
        (v.mod, "8 apples", "3 oranges", 2),
        (v.mod, 9, 3, 0),
        (v.power, 9, 2, 81),
        (v.power, 2, -1, D("0.5")),
        (v.power, 0, 0, 0),  # 0**0 is 0 in ObjectScript
        (v.power, 0, 5, 0),
        (v.power, 0, D("0.5"), 0),
        (v.power, 7, 0, 1),
        (v.power, D("-2.5"), 0, 1),
        (v.power, 4, D("0.5"), 2),
        (v.power, 2, D("0.5"), D("1.414213562373095049")),
        (v.power, -2, 3, -8),
        (v.power, -2, 2, 4),
        (v.power, -1, 999999, -1),
        (v.power, D("1.5"), 2, D("2.25")),
        (v.power, D("-0.5"), 3, D("-0.125")),
        (v.power, 10, -3, D("0.001")),
        (v.power, 2, 64, 18446744073709551620),
        (v.power, 10, 145, 10**145),
        (v.power, 2, -1000, 0),  # far below 1E-128
        (v.power, 27, D("0.3333333333333333333"), 3),
        (v.power, "2 cats", "3 dogs", 8),
    ],
)
def test_arithmetic(op: object, a: object, b: object, expected: object) -> None:
    assert same(op(a, b), expected)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("op", "a", "b", "error"),
    [
        (v.div, 1, 0, "DIVIDE"),
        (v.div, 1, "abc", "DIVIDE"),  # a non-numeric divisor is 0
        (v.idiv, 5, 0, "DIVIDE"),
        (v.mod, 5, D("0.0"), "DIVIDE"),
        (v.power, 0, -1, "ILLEGAL VALUE"),
        (v.power, 0, D("-0.5"), "ILLEGAL VALUE"),
        (v.power, -8, D("0.5"), "ILLEGAL VALUE"),  # negative base, non-integer exponent
        (v.power, 10, 146, "MAXNUMBER"),
        (v.power, 2, 10**100, "MAXNUMBER"),
        (v.power, D("1.5"), 10**12, "MAXNUMBER"),
        (v.power, 10, D("1000.5"), "MAXNUMBER"),
        (v.mul, D("9E145"), 2, "MAXNUMBER"),
        (v.add, D("9.223372036854775807E145"), D("1E127"), "MAXNUMBER"),
    ],
)
def test_arithmetic_errors(op: object, a: object, b: object, error: str) -> None:
    with pytest.raises(ObjectScriptError) as err:
        op(a, b)  # type: ignore[operator]
    assert err.value.name == error


@pytest.mark.parametrize(
    ("value", "negated", "plus"),
    [
        (5, -5, 5),
        ("-5 degrees", 5, -5),
        ("32 dollars and 64 cents", -32, 32),
        ("+007.00", -7, 7),
        (D("0.5"), D("-0.5"), D("0.5")),
        ("abc", 0, 0),
    ],
)
def test_unary(value: object, negated: object, plus: object) -> None:
    assert same(v.neg(value), negated)
    assert same(v.pos(value), plus)


def test_unary_minus_zero_is_plain_zero() -> None:
    assert v.to_str(v.neg(0)) == "0"
    assert v.to_str(v.neg("-0")) == "0"


# ---------------------------------------------------------------------------
# String, relational and logical operators


@pytest.mark.parametrize(
    ("op", "a", "b", "expected"),
    [
        (v.eq, "4", 4, 1),  # the literal 4.00 is already the number 4
        (v.eq, "004.0", 4, 0),  # = compares strings, no numeric conversion
        (v.eq, "-0", 0, 0),
        (v.eq, "0", v.neg(0), 1),
        (v.eq, "Fred", "FRED", 0),
        (v.eq, D("1.5"), "1.5", 1),
        (v.eq, D("0.5"), "0.5", 0),
        (v.eq, "", "", 1),
        (v.lt, 1, 2, 1),
        (v.lt, "10", "9", 0),  # always numeric
        (v.lt, "abc", 1, 1),
        (v.gt, "10", "9", 1),
        (v.gt, D("1.5"), 1, 1),
        (v.le, 2, 2, 1),
        (v.le, "3 apples", 2, 0),
        (v.ge, "x", "y", 1),  # both are 0
        (v.ge, -1, 0, 0),
        (v.contains, "LAMPOON", "AMP", 1),
        (v.contains, "abc", "", 1),  # anything contains ""
        (v.contains, "", "", 1),
        (v.contains, "abc", "d", 0),
        (v.contains, 12345, 234, 1),
        (v.follows, "LAMPOON", "LAMP", 1),
        (v.follows, "LAMP", "LAMPOON", 0),
        (v.follows, "a", "B", 1),  # code points: lowercase after uppercase
        (v.follows, "10", "9", 0),  # ] is string order, not numeric
        (v.follows, "a", "a", 0),
        (v.sorts_after, 122, 2, 1),
        (v.sorts_after, "10", "9", 1),  # canonical numbers compare numerically
        (v.sorts_after, "a", "10", 1),  # strings after all numbers
        (v.sorts_after, "10", "a", 0),
        (v.sorts_after, "9", "", 1),  # "" first of all
        (v.sorts_after, "", "-5", 0),
        (v.sorts_after, "-5", "-10", 1),
        (v.sorts_after, "007", "8", 1),  # "007" is a string, not the number 7
        (v.sorts_after, "b", "a", 1),
        (v.sorts_after, D("1.5"), "1.25", 1),
        (v.and_, 1, "7dwarves", 1),
        (v.and_, 1, "0", 0),
        (v.or_, 0, "", 0),
        (v.or_, 0, ".1", 1),
    ],
)
def test_binary_predicates(op: object, a: object, b: object, expected: int) -> None:
    assert same(op(a, b), expected)  # type: ignore[operator]


@pytest.mark.parametrize(("value", "expected"), [(0, 1), (1, 0), ("TRUE", 1), ("-.1", 0)])
def test_not(value: object, expected: int) -> None:
    assert same(v.not_(value), expected)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (12, ".34", "12.34"),
        (12, 34, "1234"),
        (D("12.0"), 34, "1234"),  # numbers are canonicalised first
        ("7", v.neg(6), "7-6"),
        (D("0.5"), "x", ".5x"),
        ("", "", ""),
    ],
)
def test_concat(a: object, b: object, expected: str) -> None:
    assert v.concat(a, b) == expected


def test_concat_then_add_reads_string_prefix() -> None:
    # 7_-6+5: "7-6"+5 is 7+5 because the string's numeric prefix is 7.
    assert v.add(v.concat(7, v.neg(6)), 5) == 12


# ---------------------------------------------------------------------------
# Subscripts


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        ("-3", -3),
        (".5", D("0.5")),
        ("007", "007"),  # not canonical: stays a string
        ("1.50", "1.50"),
        ("-0", "-0"),
        ("abc", "abc"),
        (5, 5),
        (D("2.5"), D("2.5")),
        ("1E3", "1E3"),
    ],
)
def test_normalize_subscript(value: object, expected: object) -> None:
    assert same(v.normalize_subscript(value), expected)


def test_normalize_subscript_rejects_empty() -> None:
    with pytest.raises(ObjectScriptError) as err:
        v.normalize_subscript("")
    assert err.value.name == "SUBSCRIPT"


def test_subscript_key_orders_like_m() -> None:
    mixed = ["b", "10", 2, "", "-1", D("1.5"), "007", "a", "9", ".5", "B", "1E3"]
    ordered = sorted(mixed, key=v.subscript_key)
    assert ordered == ["", "-1", ".5", D("1.5"), 2, "9", "10", "007", "1E3", "B", "a", "b"]


def test_subscript_key_number_and_numeric_string_equal() -> None:
    assert v.subscript_key("12") == v.subscript_key(12)
    assert v.subscript_key(".5") == v.subscript_key(D("0.5"))


# ---------------------------------------------------------------------------
# Speed of the hot integer path


def test_int_add_is_fast() -> None:
    add = v.add
    runs = 200_000
    best = min(timeit.repeat(lambda: add(12345, 1), number=runs, repeat=5)) / runs
    # The budget is 150 ns a call; allow slack for slow or busy test machines.
    assert best < 600e-9
