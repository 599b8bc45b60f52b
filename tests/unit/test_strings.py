"""String and number-formatting functions: documented examples and edge cases."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.markers import OMITTED, Star
from cacheshell.lang.strings import FUNCTIONS, set_extract, set_piece

CASES = [
    # $PIECE
    ("PIECE", ("a,b,c", ","), "a"),
    ("PIECE", ("a,b,c", ",", 2), "b"),
    ("PIECE", ("a,b,c", ",", 2, 3), "b,c"),
    ("PIECE", ("a,b,c", ",", 0, 2), "a,b"),
    ("PIECE", ("a,b,c", ",", 3, 2), ""),
    ("PIECE", ("a,b,c", ",", 4), ""),
    ("PIECE", ("a,b,c", "", 1), ""),
    ("PIECE", ("a::b::c", "::", 3), "c"),
    ("PIECE", ("a,b,c", ",", Star(0)), "c"),
    ("PIECE", ("a,b,c", ",", Star(-1)), "b"),
    ("PIECE", (D("3.14"), ".", 2), "14"),
    # $EXTRACT
    ("EXTRACT", ("hello",), "h"),
    ("EXTRACT", ("hello", 2), "e"),
    ("EXTRACT", ("hello", 2, 4), "ell"),
    ("EXTRACT", ("hello", 0), ""),
    ("EXTRACT", ("hello", -33, 2), "he"),
    ("EXTRACT", ("hello", 4, 99), "lo"),
    ("EXTRACT", ("hello", 4, 3), ""),
    ("EXTRACT", ("hello", Star(0)), "o"),
    ("EXTRACT", ("hello", Star(-1), Star(0)), "lo"),
    ("EXTRACT", ("hello", Star(-9)), ""),
    # $LENGTH
    ("LENGTH", ("test",), 4),
    ("LENGTH", ("",), 0),
    ("LENGTH", (74000,), 5),
    ("LENGTH", ("+007.4e4",), 8),
    ("LENGTH", ("HELLO WORLD", " "), 2),
    ("LENGTH", ("ABC$DEF$EFG", "$"), 3),
    ("LENGTH", ("ABC", "$"), 1),
    ("LENGTH", ("", "$"), 1),
    ("LENGTH", ("ABC", ""), 0),
    ("LENGTH", ("", ""), 0),
    # $FIND
    ("FIND", ("ABCDEFG", "BCD"), 5),
    ("FIND", ("FOREST", "FOR"), 4),
    ("FIND", ("aardvark", "z"), 0),
    ("FIND", ("aardvark", ""), 1),
    ("FIND", ("aardvark", "a"), 2),
    ("FIND", ("", "z"), 0),
    ("FIND", ("", ""), 1),
    ("FIND", ("EVERGREEN FOREST", "R", 7), 14),
    ("FIND", ("EVERGREEN FOREST", "R", 20), 0),
    ("FIND", ("abc", "", 3), 3),
    # $TRANSLATE / $REPLACE / $REVERSE
    ("TRANSLATE", ("A mom, o plom, o comal, Pomama", "om", "an"), "A nan, a plan, a canal, Panana"),
    ("TRANSLATE", ("hello", "l"), "heo"),
    ("TRANSLATE", ("abcabc", "abc", "x"), "xx"),
    ("TRANSLATE", ("aaa", "aa", "bc"), "bbb"),
    ("REPLACE", ("A mom, o plom, o comal, Pomama", "om", "an"), "A man, o plan, o canal, Panama"),
    ("REPLACE", ("A mon, a plon, a conal, Ponama", "on", "an", 8), "a plan, a canal, Panama"),
    ("REPLACE", ("1110/1110/1100/1110", "111", "AAA", 1, 2), "AAA0/AAA0/1100/1110"),
    ("REPLACE", ("Yes/yes/Y/YES/Yes", "Yes", "NO"), "NO/yes/Y/YES/NO"),
    ("REPLACE", ("Yes/yes/Y/YES/Yes", "Yes", "NO", 1, -1, 1), "NO/NO/Y/NO/NO"),
    ("REPLACE", ("abc", "", "x"), "abc"),
    ("REPLACE", ("abc", "b", "x", 9), ""),
    ("REPLACE", ("abab", "b", "", OMITTED, 0), "abab"),
    ("REVERSE", ("ABC",), "CBA"),
    ("REVERSE", (123,), "321"),
    # $ZCONVERT
    ("ZCONVERT", ("Hello", "U"), "HELLO"),
    ("ZCONVERT", ("Hello", "l"), "hello"),
    ("ZCONVERT", ("Hello", "T"), "HELLO"),
    ("ZCONVERT", ("the quick BROWN fox", "W"), "The Quick Brown Fox"),
    ("ZCONVERT", ("hElLo wOrLd! heLLo!", "S"), "Hello world! Hello!"),
    ("ZCONVERT", ("\u00df", "U"), "\u00df"),
    ("ZCONVERT", ("TOUCH\u00c9", "L"), "touch\u00e9"),
    ("ZCONVERT", ("<TAG>", "O", "HTML"), "&lt;TAG&gt;"),
    ("ZCONVERT", ("a&b \"c\" 'd'", "O", "HTML"), "a&amp;b &quot;c&quot; &#39;d&#39;"),
    ("ZCONVERT", ("&lt;TAG&gt; &amp; &#65;", "I", "HTML"), "<TAG> & A"),
    ("ZCONVERT", ("a'b<c", "O", "XML"), "a&apos;b&lt;c"),
    ("ZCONVERT", ("&lt;a&gt; &apos;x&apos; &#x41;", "I", "XML"), "<a> 'x' A"),
    ("ZCONVERT", ("%Library.String", "o", "URL"), "%25Library.String"),
    ("ZCONVERT", ("a b/c", "O", "URL"), "a%20b%2Fc"),
    ("ZCONVERT", ("a%20b%2Fc", "I", "URL"), "a b/c"),
    ("ZCONVERT", ('it\'s "x"\n', "O", "JS"), 'it\\\'s \\"x\\"\\n'),
    ("ZCONVERT", ("it\\'s\\n", "I", "JS"), "it's\n"),
    ("ZCONVERT", ("\u00e9", "O", "UTF8"), "\u00c3\u00a9"),
    ("ZCONVERT", ("\u00c3\u00a9", "I", "UTF8"), "\u00e9"),
    # $ZSTRIP
    ("ZSTRIP", ("  a  b  ", "<>W"), "a  b"),
    ("ZSTRIP", ("  a  b  ", "*W"), "ab"),
    ("ZSTRIP", ("  a  b  ", "=W"), " a b "),
    ("ZSTRIP", ("  a  b  ", "<=>W"), "a b"),
    ("ZSTRIP", ("a.b,c!", "*P"), "abc"),
    ("ZSTRIP", ("+123E4", "*N"), "+E"),
    ("ZSTRIP", ("first:123 second:12E3", "*N", "E"), "first: second:"),
    ("ZSTRIP", ("ABC#$%^ DEF& *GHI***", "*P"), "ABCDEFGHI"),
    ("ZSTRIP", ("ABC#$%^ DEF& *GHI***", "*P'W"), "ABC DEF GHI"),
    ("ZSTRIP", ("xXx-Aa BXXbx Cxc Dd xxEeX^XXx", "*E'L", "x"), "abcde"),
    ("ZSTRIP", ("X-Aa BXXb456X CXc Dd XXEeX^XFFFfXX", "*E'L", OMITTED, "ABC"), "AaBbCcdef"),
    ("ZSTRIP", ("+x $1x,x23XX4XX.X56XxxxxxX", "*", "Xx"), "+ $1,234.56"),
    ("ZSTRIP", ("xxxxx00xx0111xxx01x0000xxxxx", "<=>", "x"), "00x0111x01x0000"),
    ("ZSTRIP", ("Aa66*&% B&$b Cc987 #Dd Ee", "*NAP'W'L"), "a b c d e"),
    ("ZSTRIP", ("ABC123DDDEEFFffffGG5555567HI JK", "<=>A"), "123DEFfG5555567HI "),
    ("ZSTRIP", ("123$ GYJF870B-QD @#%+", "*E'N", OMITTED, "ABCDEF"), "123F870BD"),
    ("ZSTRIP", ("a\tb\x01c\x7f", "*C"), "abc"),
    ("ZSTRIP", ("abc", "*"), "abc"),
    # $JUSTIFY
    ("JUSTIFY", (D(".5"), 6, 2), "  0.50"),
    ("JUSTIFY", (D("-.5"), 6, 2), " -0.50"),
    ("JUSTIFY", (D("3.14159"), 0, 2), "3.14"),
    ("JUSTIFY", (D("250.50999"), 20, 2), "              250.51"),
    ("JUSTIFY", (875, 20, 2), "              875.00"),
    ("JUSTIFY", ("right", 10), "     right"),
    ("JUSTIFY", ("+0123.456", 10), " +0123.456"),
    ("JUSTIFY", ("string longer than width", 10), "string longer than width"),
    ("JUSTIFY", (D("2.5"), 3, 0), "  3"),
    ("JUSTIFY", (D("-2.5"), 0, 0), "-3"),
    ("JUSTIFY", ("$12", 0, 2), "0.00"),
    ("JUSTIFY", ("", 3), "   "),
    # $FNUMBER
    ("FNUMBER", (1234,), "1234"),
    ("FNUMBER", (1234, ""), "1234"),
    ("FNUMBER", (1234, "+"), "+1234"),
    ("FNUMBER", (1234, "-"), "1234"),
    ("FNUMBER", (1234, "L"), "1234"),
    ("FNUMBER", (1234, "T"), "1234 "),
    ("FNUMBER", (1234, "T+"), "1234+"),
    ("FNUMBER", (-1234, ""), "-1234"),
    ("FNUMBER", (-1234, "+"), "-1234"),
    ("FNUMBER", (-1234, "-"), "1234"),
    ("FNUMBER", (-1234, "T"), "1234-"),
    ("FNUMBER", (-123, "P"), "(123)"),
    ("FNUMBER", (123, "P"), " 123 "),
    ("FNUMBER", (D("1234567.81"), ","), "1,234,567.81"),
    ("FNUMBER", (D("1234567.81"), "."), "1.234.567,81"),
    ("FNUMBER", (D("1234567.81"), "N."), "1234567,81"),
    ("FNUMBER", (124329, ",", 2), "124,329.00"),
    ("FNUMBER", (124329, OMITTED, 2), "124329.00"),
    ("FNUMBER", (D(".7799"), OMITTED, 2), "0.78"),
    ("FNUMBER", (D("6.25198"), "+", 3), "+6.252"),
    ("FNUMBER", (D("6.25198"), "+", 8), "+6.25198000"),
    ("FNUMBER", (D(".66"), ""), ".66"),
    ("FNUMBER", (D(".66"), ","), "0.66"),
    ("FNUMBER", (D("-.66"), "+"), "-0.66"),
    ("FNUMBER", (D("1234.5678"), "E", 2), "1.23E+03"),
    ("FNUMBER", (D("-123456.789"), ",P", 1), "(123,456.8)"),
    # $NUMBER
    ("NUMBER", ("123,456", ","), D("123.456")),
    ("NUMBER", ("123,45,6", ","), ""),
    ("NUMBER", ("123.456", ","), 123456),
    ("NUMBER", ("123.4.56", ","), 123456),
    ("NUMBER", ("123,,4,56.99",), D("123456.99")),
    ("NUMBER", (D("4.0"), 2, 0, 4), 4),
    ("NUMBER", (D("4.003"), 2, 0, 4), 4),
    ("NUMBER", (D("4.006"), 2, 0, 4), ""),
    ("NUMBER", (-7, OMITTED, OMITTED, 10), -7),
    ("NUMBER", (-7, OMITTED, "", 10), ""),
    ("NUMBER", (-7, "I"), -7),
    ("NUMBER", ("-7", "I"), -7),
    ("NUMBER", ("-07.00", "I"), ""),
    ("NUMBER", (D("-7.01"), "I"), ""),
    ("NUMBER", ("(123)",), -123),
    ("NUMBER", ("12-",), -12),
    ("NUMBER", ("+1.5E2",), 150),
    ("NUMBER", ("123A456",), ""),
    ("NUMBER", ("",), ""),
    ("NUMBER", (D("488.65"), 1), D("488.7")),
    ("NUMBER", (D("488.65"), 0), 489),
    ("NUMBER", (D("488.65"), -1), 490),
    ("NUMBER", (D("488.65"), -2), 500),
    ("NUMBER", (D("4.0043"), 2), 4),
    # $CHAR / $ASCII / $ZHEX / $MATCH / $ZABS / $ZSQR
    ("CHAR", (72, 105), "Hi"),
    ("CHAR", (65, -1, 66), "AB"),
    ("CHAR", (960,), "\u03c0"),
    ("CHAR", (-1,), ""),
    ("ASCII", ("A",), 65),
    ("ASCII", ("abc", 2), 98),
    ("ASCII", ("",), -1),
    ("ASCII", ("abc", 4), -1),
    ("ASCII", ("abc", 0), -1),
    ("ZHEX", (255,), "FF"),
    ("ZHEX", ("FF",), 255),
    ("ZHEX", ("d806",), 55302),
    ("ZHEX", (0,), "0"),
    ("ZHEX", (-1,), "FFFFFFFF"),
    ("MATCH", ("abc", "a.c"), 1),
    ("MATCH", ("abcd", "a.c"), 0),
    ("MATCH", ("2024-05-01", r"\d{4}-\d{2}-\d{2}"), 1),
    ("ZABS", (D("-1.5"),), D("1.5")),
    ("ZABS", ("-3abc",), 3),
    ("ZSQR", (2,), D("1.414213562373095049")),
    ("ZSQR", (D("3.141592653589793238"),), D("1.772453850905516027")),
    ("ZSQR", (4,), 2),
    ("ZSQR", ("",), 0),
    ("ZSQR", (D(".25"),), D(".5")),
]


@pytest.mark.parametrize(("name", "args", "expected"), CASES)
def test_function(name: str, args: tuple[object, ...], expected: object) -> None:
    result = FUNCTIONS[name].impl(*args)
    assert (result, type(result)) == (expected, type(expected))


ERRORS = [
    ("ZSQR", (-1,), "ILLEGAL VALUE"),
    ("MATCH", ("a", "("), "REGULAR EXPRESSION"),
    ("ZSTRIP", ("a", "W"), "FUNCTION"),
    ("ZSTRIP", ("a", "*'W"), "FUNCTION"),
    ("ZCONVERT", ("a", "Q"), "FUNCTION"),
    ("ZCONVERT", ("a", "O", "NOSUCHTABLE"), "ILLEGAL VALUE"),
    ("FNUMBER", (1, "P+"), "SYNTAX"),
    ("FNUMBER", (1, ",."), "FUNCTION"),
    ("NUMBER", (1, "Q"), "SYNTAX"),
    ("ZHEX", ("XYZ",), "FUNCTION"),
    ("JUSTIFY", (1, 5, -1), "FUNCTION"),
    ("JUSTIFY", ("x", 4_000_000), "MAXSTRING"),
]


@pytest.mark.parametrize(("name", "args", "error"), ERRORS)
def test_error(name: str, args: tuple[object, ...], error: str) -> None:
    with pytest.raises(ObjectScriptError) as info:
        FUNCTIONS[name].impl(*args)
    assert info.value.name == error


SET_CASES = [
    (set_piece, ("a", "c", ",", 3), "a,,c"),
    (set_piece, ("", "c", ",", 3), ",,c"),
    (set_piece, ("a,b,c,d", "X", ",", 2, 3), "a,X,d"),
    (set_piece, ("a,b", "X", ",", 0), "a,b"),
    (set_piece, ("a,b", "X", "", 1), "a,b"),
    (set_piece, ("a,b", "X", ",", Star(1)), "a,b,X"),
    (set_piece, ("a^b^c", "Z", "^", 2), "a^Z^c"),
    (set_extract, ("ABZD", "C", 3), "ABCD"),
    (set_extract, ("ABCD", "E", 5), "ABCDE"),
    (set_extract, ("ABCD", "E", Star(1)), "ABCDE"),
    (set_extract, ("ABCD", "F", 6), "ABCD F"),
    (set_extract, ("ABCD", "F", Star(2)), "ABCD F"),
    (
        set_extract,
        ("Deep in the heart of Rhode Island", "Texas", 22, 33),
        "Deep in the heart of Texas",
    ),
    (set_extract, ("ABCzzzzzD", "", 4, 8), "ABCD"),
    (set_extract, ("ABCD", "X", 4, 3), "ABCD"),
    (set_extract, ("", "ABCD", 1, 4), "ABCD"),
    (set_extract, ("ABCD", "F", 6, 8), "ABCD F"),
    (set_extract, ("ABCD", "FGHIJ", 6, 8), "ABCD FGHIJ"),
    (set_extract, ("ABCDEFGH", "Z", 3, 6), "ABZGH"),
    (set_extract, ("ABCD", "X", 0), "ABCD"),
]


@pytest.mark.parametrize(("func", "args", "expected"), SET_CASES)
def test_set_forms(func: object, args: tuple[object, ...], expected: str) -> None:
    assert func(*args) == expected  # type: ignore[operator]


def test_table_names_and_abbreviations() -> None:
    abbrevs = {name: spec.abbrev for name, spec in FUNCTIONS.items()}
    assert abbrevs == {
        "PIECE": "P",
        "EXTRACT": "E",
        "LENGTH": "L",
        "FIND": "F",
        "TRANSLATE": "TR",
        "REPLACE": None,
        "REVERSE": "RE",
        "ZCONVERT": "ZCVT",
        "ZSTRIP": None,
        "JUSTIFY": "J",
        "FNUMBER": "FN",
        "NUMBER": "NUM",
        "CHAR": "C",
        "ASCII": "A",
        "ZHEX": "ZH",
        "MATCH": None,
        "ZABS": None,
        "ZSQR": None,
    }
