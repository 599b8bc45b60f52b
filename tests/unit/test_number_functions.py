"""The number functions and number syntax, on the bare interpreter host: $ISVALIDNUM,
$NORMALIZE, $DECIMAL, $ZPOWER, $INUMBER, $ZHEX and the exponent letter.

Each case cites the page of the Caché 2018 ObjectScript Reference it follows, by doc key, at
https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=<key>.
"""

from __future__ import annotations

import pytest


def error(line: str, zerror: str, lead: str = "") -> str:
    """What the terminal shows for an error at the prompt: echo, caret, $ZERROR."""
    return f"{lead}\n{line.split(' ', 1)[0].upper()} {line.split(' ', 1)[1]}\n^\n{zerror}\n"


ISVALIDNUM = [
    ('Write $ISVALIDNUM("123")', "1"),  # RCOS_fisvalidnum: an integer
    ('Write $ISVALIDNUM("+7")', "1"),  # RCOS_fisvalidnum: the optional + first
    ('Write $ISVALIDNUM("-7.5")', "1"),  # RCOS_fisvalidnum: signed
    ('Write $ISVALIDNUM(".5")', "1"),  # RCOS_fisvalidnum: a real number without a leading 0
    ('Write $ISVALIDNUM("1.")', "1"),  # RCOS_fisvalidnum: one decimal point, trailing
    ('Write $ISVALIDNUM("007.500")', "1"),  # RCOS_fisvalidnum: leading and trailing zeros
    ('Write $ISVALIDNUM("1E3")', "1"),  # RCOS_fisvalidnum: scientific notation, letter E
    ('Write $ISVALIDNUM("1e-3")', "1"),  # RCOS_fisvalidnum: ... or e
    ('Write $ISVALIDNUM("")', "0"),  # RCOS_fisvalidnum: the empty string fails
    ('Write $ISVALIDNUM(" 5")', "0"),  # RCOS_fisvalidnum: any character but 0-9 + . E fails
    ('Write $ISVALIDNUM("1,000")', "0"),  # RCOS_fisvalidnum: a group separator is a character
    ('Write $ISVALIDNUM("1.2.3")', "0"),  # RCOS_fisvalidnum: more than one decimal point
    ('Write $ISVALIDNUM("++5")', "0"),  # RCOS_fisvalidnum: more than one + sign
    ('Write $ISVALIDNUM("5+")', "0"),  # RCOS_fisvalidnum: the sign is not the first character
    ('Write $ISVALIDNUM("1E")', "0"),  # RCOS_fisvalidnum: E not followed by an integer
    ('Write $ISVALIDNUM("7E3.5")', "0"),  # RCOS_fisvalidnum: non-integer exponent
    ('Write $ISVALIDNUM("1E146")', "0"),  # RCOS_fisvalidnum: beyond 9.223372036854775807E145
    ("Write $ISVALIDNUM(-0.5)", "1"),  # RCOS_fisvalidnum: a number value is canonical first
    ("Write $ISVALIDNUM(4,,1,10)", "1"),  # RCOS_fisvalidnum: within min and max
    ("Write $ISVALIDNUM(11,,1,10)", "0"),  # RCOS_fisvalidnum: above max
    ("Write $ISVALIDNUM(3.9,0,4,5)", "1"),  # RCOS_fisvalidnum: scale 0 rounds 3.9 to 4
    ("Write $ISVALIDNUM(3.9,-1,4,5)", "0"),  # RCOS_fisvalidnum: scale -1 truncates to 3
    ("Write $ISVALIDNUM(3.95,1,4,5)", "1"),  # RCOS_fisvalidnum: 5 or more rounds up: 4.0
    ('Write $ISVALIDNUM(3.9,"",4,5)', "1"),  # RCOS_fisvalidnum: an empty scale is scale 0
    ("Write $ISVALIDNUM(3.9,,4,5)", "0"),  # RCOS_fisvalidnum: no scale, no rounding
    # RCOS_fisvalidnum: a negative scale other than -1 is <FUNCTION>
    ("Write $ISVALIDNUM(1,-2)", error("Write $ISVALIDNUM(1,-2)", "<FUNCTION>")),
]

NORMALIZE = [
    ("Write $NORMALIZE($ZPI,11)", "3.14159265359"),  # RCOS_fnormalize example
    ("Write $NORMALIZE($ZPI,12)", "3.14159265359"),  # RCOS_fnormalize: trailing zero removed
    ("Write $NORMALIZE($ZPI,13)", "3.1415926535898"),  # RCOS_fnormalize example
    ("Write $NORMALIZE(3.7,0)", "4"),  # RCOS_fnormalize: 0 rounds to an integer
    ("Write $NORMALIZE(3.7,-1)", "3"),  # RCOS_fnormalize: -1 truncates to an integer
    ("Write $NORMALIZE(-2.5,0)", "-3"),  # RCOS_fnormalize: 5 rounds away from zero
    ('Write $NORMALIZE("12.345abc",2)', "12.35"),  # RCOS_fnormalize: stops at a non-digit
    ('Write $NORMALIZE("0012.10",5)', "12.1"),  # RCOS_fnormalize: the canonical form
]

DECIMAL = [
    ("Write $DECIMAL(1234.5678)", "1234.5678"),  # RCOS_fdecimal: a Caché decimal unchanged
    ("Write $DECIMAL(1234.5678,6)", "1234.57"),  # RCOS_fdecimal: rounded to 6 digits
    ("Write $DECIMAL(1234.5678,2)", "1200"),  # RCOS_fdecimal: significant digits, not places
    ("Write $DECIMAL(12.5,2)", "12"),  # RCOS_fdecimal: IEEE rounding, half to even
    ('Write $DECIMAL("7dwarves")', "7"),  # RCOS_fdecimal: a mixed string is cut at the letter
    ("Write $DECIMAL(1.5,0)", "1.5"),  # RCOS_fdecimal: digits 0 rounds nothing
    # RCOS_fdecimal: more than 38 digits is <ILLEGAL VALUE>
    ("Write $DECIMAL(1,39)", error("Write $DECIMAL(1,39)", "<ILLEGAL VALUE>")),
]

ZPOWER = [
    ("Write $ZPOWER(2,10)", "1024"),  # RCOS_fzpower example: the powers of 2
    ("Write $ZPOWER(4,.5)", "2"),  # RCOS_fzpower: a fractional exponent
    ('Write $ZPOWER("",3)', "0"),  # RCOS_fzpower: the empty string is zero
    # RCOS_fzpower: a negative num needs an integer exponent
    ("Write $ZPOWER(-8,.5)", error("Write $ZPOWER(-8,.5)", "<ILLEGAL VALUE>")),
    # RCOS_fzpower: zero to a negative power
    ("Write $ZPOWER(0,-1)", error("Write $ZPOWER(0,-1)", "<ILLEGAL VALUE>")),
]

INUMBER = [
    ('Write $INUMBER("1,234.5","")', "1234.5"),  # RCOS_finumber: default format is flexible
    ('Write $INUMBER("-12","")', "-12"),  # RCOS_finumber: a leading sign
    ('Write $INUMBER("12-","")', "-12"),  # RCOS_finumber: ... or a trailing one
    ('Write $INUMBER("(12)","P")', "-12"),  # RCOS_finumber P: negatives in parentheses
    ('Write $INUMBER(" 12 ","P")', "12"),  # RCOS_finumber P: spaces around a positive
    ('Write $INUMBER("+0","+")', "0"),  # RCOS_finumber +: even 0 carries a sign
    ('Write $INUMBER("12","+","bad")', "bad"),  # RCOS_finumber +: the sign is mandatory
    ('Write $INUMBER("-12","-","bad")', "bad"),  # RCOS_finumber -: no sign allowed
    ('Write $INUMBER("12-","L","bad")', "bad"),  # RCOS_finumber L: the sign must lead
    ('Write $INUMBER("-12","T","bad")', "bad"),  # RCOS_finumber T: the sign must trail
    ('Write $INUMBER("1,234","N","bad")', "bad"),  # RCOS_finumber N: no group separator
    ('Write $INUMBER("1,23","","bad")', "bad"),  # RCOS_finumber: groups of 3 when present
    ('Write $INUMBER("1.234,5",".")', "1234.5"),  # RCOS_finumber .: European punctuation
    ('Write $INUMBER("1.5E2","E")', "150"),  # RCOS_finumber E: scientific notation allowed
    ('Write $INUMBER("1.5E2","","bad")', "bad"),  # RCOS_finumber: not without E
    # RCOS_finumber: invalid without erropt is <ILLEGAL VALUE>
    ('Write $INUMBER("abc","")', error('Write $INUMBER("abc","")', "<ILLEGAL VALUE>")),
    # RCOS_finumber: incompatible codes are an error (P with a sign code)
    ('Write $INUMBER(1,"P+")', error('Write $INUMBER(1,"P+")', "<SYNTAX>")),
]

ZHEX = [
    ('Write $ZHEX("FF")', "255"),  # RCOS_fzhex: a string is read as hexadecimal
    ('Write $ZHEX("ff")', "255"),  # RCOS_fzhex: in either case
    ('Write $ZHEX("10")', "16"),  # RCOS_fzhex: a numeric string is hexadecimal too
    ("Write $ZHEX(255)", "FF"),  # RCOS_fzhex: a number gives its hexadecimal string
    ("Write $ZHEX(-1)", "FFFFFFFF"),  # RCOS_fzhex: a negative number, two's complement
    ('Write $ZHEX("G")', error('Write $ZHEX("G")', "<FUNCTION>")),  # RCOS_fzhex: not hex
]

EXPONENTS = [
    ("Write 1.2e3", "1200"),  # GCOS_types, scientific notation: the letter E or e
    ("Write 1.2E3", "1200"),  # GCOS_types
    ("Write 5e-2", ".05"),  # GCOS_types: a negative exponent
    ('Write +"1e3"', "1000"),  # GCOS_types, strings as numbers: the exponent in either case
    ('Write "2e2"+1', "201"),  # GCOS_types
]


@pytest.mark.parametrize(
    ("code", "expected"), ISVALIDNUM + NORMALIZE + DECIMAL + ZPOWER + INUMBER + ZHEX + EXPONENTS
)
def test_number_functions(bare_term, code, expected):
    assert bare_term.run(code) == expected
