"""Tables for cacheshell.lang.pattern: the ? operator and the lexer regex."""

from __future__ import annotations

import re

import pytest

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.pattern import PATTERN_REGEX, compile_pattern, match


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("123-45-6789", '3N1"-"2N1"-"4N', 1),
        ("123-45-678", '3N1"-"2N1"-"4N', 0),
        ("123456789", '3N1"-"2N1"-"4N', 0),
        ("", ".N", 1),  # . means zero or more
        ("0123456789", ".N", 1),
        ("12a", ".N", 0),  # anchored: the whole value must match
        ("abc", "1.3A", 1),
        ("abcd", "1.3A", 0),
        ("", "1.3A", 0),
        ("a", '1(1"a",1"b")', 1),
        ("b", '1(1"a",1"b")', 1),
        ("ab", '1(1"a",1"b")', 0),
        ("abba", '.(1"a",1"b")', 1),
        ("Hello", "1U.L", 1),
        ("hello", "1U.L", 0),
        ("HeLlo", "1U.L", 0),
        ("abxcd", '.E1"x".E', 1),
        ("x", '.E1"x".E', 1),
        ("abcd", '.E1"x".E', 0),
        ("1", "2.N", 0),
        ("12", "2.N", 1),
        ("12345", "2.N", 1),
        ("", ".3A", 1),
        ("abc", ".3A", 1),
        ("abcd", ".3A", 0),
        ("a1b", "1.3AN", 1),  # codes combine: letter or digit
        ("a1b2", "1.3AN", 0),
        ("ABC", "3a", 1),  # codes are case-insensitive
        ("abc", "3u", 0),
        ("ÉtÉ", "3A", 1),  # non-ASCII letters are alphabetic
        ("été", "3L", 1),
        ("ÉTÉ", "3U", 1),
        ("a b", "1A1P1A", 1),  # space is punctuation
        ("!?,.", "4P", 1),
        ("a\tb", "1A1C1A", 1),  # tab is a control character
        ("\x7f", "1C", 1),
        ("\x7f", "1P", 0),
        ("x\x00y", "3E", 1),
        ("5", "1A", 0),
        ("5", "1P", 0),
        ('say "hi"', '4E1""""2A1""""', 1),  # "" inside a literal is one quote
        ('"', '1""""', 1),
        ("aaab", '.(1"a",1"aa")1"b"', 1),  # backtracking across alternatives
        ("aab", '1"a".1"a"1"ab"', 1),  # .1 means zero or one
        ("ab", '2"a".1"b"', 0),
        ("aaaab", '2.3"a"1"b"', 0),
        ("aaab", '2.3"a"1"b"', 1),
        ("abab", '2"ab"', 1),
        ("ababab", '2"ab"', 0),
        ("", '0"x"', 1),
        ("", '3""', 1),
        ("12:34", '1.2N1":"2N', 1),
        ("1:34", '1.2N1":"2N', 1),
        ("ab12", "2A2N", 1),
        ("12ab", "2A2N", 0),
        ("a-1", '1(1A,1N)1"-"1(1A,1N)', 1),
        ("a1b2c3", ".(1L1N)", 1),
        ("a1b2c", ".(1L1N)", 0),
        ("x", '1(1(1"x",1"y"),1N)', 1),  # nested groups
        ("xy9", '.(1(1"x",1"y"),1N)', 1),
        ("xz", '.(1(1"x",1"y"),1N)', 0),
        ("", ".(.E)", 1),  # a repeated group that can match nothing still terminates
        ("abc", "2(.E)", 1),
        ("aaaa", '1000000(1"a",.E)', 1),
        ("aaaa", '5(1"a")', 0),
        ("aaaaa", '5(1"a")', 1),
        ("1234", "1.N.A", 1),
        ("ID-0042", '2U1"-"4N', 1),
        ("id-0042", '2U1"-"4N', 0),
        ("a" * 40, ".(.A)", 1),  # no exponential blow-up with nested unbounded repeats
        ("a" * 40 + "1", ".(.A)", 0),
    ],
)
def test_match(value: str, pattern: str, expected: int) -> None:
    assert match(value, pattern) == expected


@pytest.mark.parametrize(
    "pattern",
    [
        "",  # nothing to match with
        "N",  # every atom needs a repeat count
        "3",  # a count without codes
        "3X",  # not a pattern code
        '1"abc',  # unterminated literal
        '1(1"a",1"b"',  # unclosed group
        '1(1"a",)',  # empty alternative
        "1()",
        "3.2N",  # minimum above maximum
        "1N)",
        "1N,1A",  # a comma only separates alternatives inside a group
    ],
)
def test_bad_pattern_is_syntax_error(pattern: str) -> None:
    with pytest.raises(ObjectScriptError) as err:
        match("x", pattern)
    assert err.value.name == "SYNTAX"


def test_compiled_patterns_are_cached() -> None:
    assert compile_pattern("3N1A") is compile_pattern("3N1A")


def test_match_accepts_numbers_through_their_string_form() -> None:
    assert match(123, "3N") == 1  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ('3N1"-"2N1"-"4N', '3N1"-"2N1"-"4N'),
        (".N", ".N"),
        ("1.3A", "1.3A"),
        ('1(1"a",1"b")', '1(1"a",1"b")'),
        ("1U.L", "1U.L"),
        ('.E1"x".E', '.E1"x".E'),
        ("2.N", "2.N"),
        (".3A", ".3A"),
        ("1.3AN", "1.3AN"),
        ('1(1(1(1"x",1N),1A),1P)', '1(1(1(1"x",1N),1A),1P)'),  # groups nested 3 deep
        ('1""""', '1""""'),
        ("1N&(y=1)", "1N"),  # the pattern stops where the expression goes on
        ("3N,x", "3N"),
        ("1A.N_z", "1A.N"),
    ],
)
def test_pattern_regex_finds_pattern_end(text: str, matched: str) -> None:
    found = re.compile(PATTERN_REGEX).match(text)
    assert found is not None
    assert found.group() == matched


@pytest.mark.parametrize("text", ["10", "", "10,!", ",1N", "N", " 1N", "5,x"])
def test_pattern_regex_rejects(text: str) -> None:
    # A bare number after ? is a WRITE tab stop, never a pattern.
    assert re.compile(PATTERN_REGEX).match(text) is None
