"""Table-driven semantics of the ObjectScript terminal, derived from Caché's documentation.

Every case runs one (or a few) terminal inputs through the cell-level Shell API and compares
exactly what the terminal shows. The language cases run on the bare interpreter host
(``bare_term``); the few that check what a licensed Session supplies (its user, its version, its
process numbers, JOBs that start processes of the instance) run on a Session (``term``), in the
last section. Expectations come from InterSystems' documentation (Using ObjectScript, the
ObjectScript Reference and the Error Reference, at docs.intersystems.com), not from the
implementation.

Conventions used in the expected strings:
- WRITE adds no newline; argumentless WRITE / ZWRITE print one ``name=value`` line each.
- An error at the prompt prints ``"\\n" + echoed line + "\\n" + caret line + "\\n"``
  ``+ $ZERROR + "\\n"``,
  preceded by one more ``"\\n"`` when output was pending on the line; the caret sits under the
  first character of the failing command; the first keyword of the echoed line is upper-cased
  as typed (``Write`` -> ``WRITE``, ``w`` -> ``W``, ``zpm`` -> ``ZPM``).
- A tuple of inputs is typed one after another (the terminal starts each prompt on a fresh
  line); the expected text is the concatenation of what each input shows.
"""

from __future__ import annotations

import re

import pytest


def run(term, code) -> str:
    """Type one input (str) or several inputs (tuple) at the prompt; return what they show."""
    inputs = code if isinstance(code, tuple) else (code,)
    shown = []
    for text in inputs:
        shown.append(term.run(text))
        term.shell.finish_line()  # the next prompt starts on a fresh line
    return "".join(shown)


def check(term, code, expected) -> None:
    assert run(term, code) == expected


def cases(table):
    """(code, expected) pairs -> pytest params with readable ids."""
    params = []
    for code, expected in table:
        label = code if isinstance(code, str) else " // ".join(code)
        params.append(pytest.param(code, expected, id=label[:70]))
    return params


# ===========================================================================
# Operators
# ===========================================================================

# Strictly left to right, no precedence; unary minus binds to its operand first.
PRECEDENCE = [
    ("Write 1+2*3", "9"),
    ("Write 3+5*6-4", "44"),
    ("Write 1 + 2 * 3", "9"),  # the documentation's own example: spaces around operators
    ("WRITE 3 + 5 * 6 - 4", "44"),
    ("Write 8-2*3", "18"),
    ("Write 2+3*4", "20"),
    ("Write 10-2-3", "5"),
    ("Write 2*(3+4)", "14"),
    ("Write 2**3**2", "64"),  # (2**3)**2, not 2**9
    ("Write -123-3", "-126"),
    ("Write -123+-3", "-126"),
    ("Write --3", "3"),
    ("Write 1-2-3*2", "-8"),
    ("Write 12/4*3", "9"),
]

ARITHMETIC = [
    ("Write 355\\113", "3"),
    ("Write 37#10", "7"),
    ("Write 12.5#3.2", "2.9"),
    ("Write 9**2", "81"),
    ("Write 2**-1", ".5"),
    ("Write 7.95*1.15", "9.1425"),
    ("Write 0**0", "0"),  # the ObjectScript Reference: 0**0 is 0
    ("Write 0**3", "0"),
    ("Write 5**0", "1"),
    ("Write -7\\2", "-3"),  # integer division truncates toward zero
    ("Write -7#3", "2"),  # modulo takes the sign of the divisor (ANSI M)
    ("Write 7#-3", "-2"),
    ("Write 17\\5.5", "3"),
    ('Write "8 apples"#"3 oranges"', "2"),
    ('Write "8 Apples"\\"3.1 oranges"', "2"),
    ('Write "eight apples"/"4 oranges"', "0"),
    ("Write 1/4", ".25"),
    ("Write 355/113", "3.141592920353982301"),  # 19 significant digits
    ("Write 1/3", ".3333333333333333333"),
    ("Write 2/3", ".6666666666666666667"),
    ("Write 0.1+0.2", ".3"),  # decimal, not binary floating point
    ("Write 1.5*2", "3"),
]

DIVIDE_ERRORS = [
    ("Write 1/0", "\nWRITE 1/0\n^\n<DIVIDE>\n"),
    ("Write 1\\0", "\nWRITE 1\\0\n^\n<DIVIDE>\n"),
    ("Write 1#0", "\nWRITE 1#0\n^\n<DIVIDE>\n"),
    ('Write 5/"abc"', '\nWRITE 5/"abc"\n^\n<DIVIDE>\n'),  # non-numeric divisor is 0
    ("Set x=0 Write 10/x", "\nSET x=0 Write 10/x\n        ^\n<DIVIDE>\n"),
    ('Write "a" Set y=1/0', 'a\n\nWRITE "a" Set y=1/0\n          ^\n<DIVIDE>\n'),
    ("Write 0**-1", "\nWRITE 0**-1\n^\n<ILLEGAL VALUE>\n"),  # 0**-n is <ILLEGAL VALUE>
]

# `_` canonicalises numbers before concatenating.
CONCAT = [
    ("Write 12_34", "1234"),
    ("Write 12.0_34", "1234"),
    ("Write 12E0_34", "1234"),
    ("Write 12_.34", "12.34"),
    ("Write 7_-6+5", "12"),  # "7-6"+5 -> 7+5
    ('Write "a"_"b"_1', "ab1"),
    ("Write 1_2+3", "15"),
    ('Write 0.50_"x"', ".5x"),
    ('Write ""_007', "7"),
]

# `=` and `'=` compare strings; numbers are canonicalised first, numeric strings are not.
EQUALITY = [
    ('Write "4"=4.00', "1"),
    ('Write "004.0"=4', "0"),
    ('Write "-0"=0', "0"),
    ('Write "0"=-0', "1"),
    ('Write "Fred"="FRED"', "0"),
    ('Write 0="0"', "1"),
    ('Write "a"=$CHAR(97)', "1"),
    ('Write 0=""', "0"),
    ("Write 1'=2", "1"),
    ('Write "a"\'="a"', "0"),
    ("Write 2=2=2", "0"),  # (2=2)=2 -> 1=2
    ("Write 1=1=1", "1"),
    ("Write 01=1", "1"),  # the literal 01 is the number 1
    ('Write "01"=1', "0"),
]

# < > <= >= are always numeric; '< is >=, '> is <=.
RELATIONAL = [
    ("Write 2<10", "1"),
    ('Write "2"<"10"', "1"),
    ('Write "abc"<1', "1"),
    ('Write "abc">-1', "1"),
    ("Write 3>2>1", "0"),  # (3>2)>1 -> 1>1
    ("Write 5<=5", "1"),
    ("Write 5>=6", "0"),
    ("Write 5'>4", "0"),
    ("Write 5'<4", "1"),
    ('Write "10"\'<"9"', "1"),
    ('Write "3 apples">"2 pears"', "1"),
    ("Write -1<-.5", "1"),
]

# [ contains, ] follows (string order), ]] sorts after (subscript order).
CONTAINS_FOLLOWS = [
    ('Write "abc"["b"', "1"),
    ('Write "abc"[""', "1"),  # x["" is always 1
    ('Write "abc"["d"', "0"),
    ('Write "abc"\'["d"', "1"),
    ("Write 12345[34", "1"),
    ('Write "LAMPOON"]"LAMP"', "1"),
    ('Write "a"]"b"', "0"),
    ("Write 2]10", "1"),  # string order: "2" follows "10"
    ('Write "b"\']"a"', "0"),
    ("Write 122]]2", "1"),  # numeric subscripts sort numerically
    ("Write 2]]122", "0"),
    ('Write "a"]]10', "1"),  # strings sort after numbers
    ('Write 10]]"a"', "0"),
    ('Write "a"\']]"b"', "1"),
]

LOGICAL = [
    ("Write 1&0", "0"),
    ("Write 1&1", "1"),
    ("Write 1!0", "1"),
    ("Write 0!0", "0"),
    ('Write 3&"7 up"', "1"),
    ("Write 1&&2", "1"),
    ('Write 0||"3 pigs"', "1"),
    ("Write '1", "0"),
    ("Write '0", "1"),
    ('Write \'"abc"', "1"),
    ("Write ''5", "1"),
    ("Write 1'&1", "0"),  # NAND
    ("Write 0'!0", "1"),  # NOR
    ("Write 0&&zz", "0"),  # && short-circuits: zz is never evaluated
    ("Write 1||zz", "1"),
    ("Write 0&zz", "\nWRITE 0&zz\n^\n<UNDEFINED> *zz\n"),  # & evaluates both sides
    ("Set x=1,y=1 Write x=1!y=0", "0"),  # ((x=1)!y)=0, the precedence trap of UOS 14.4
]

PATTERN = [
    ('Write "123-45-6789"?3N1"-"2N1"-"4N', "1"),
    ('Write "12-45-6789"?3N1"-"2N1"-"4N', "0"),
    ('Write "abc"?3L', "1"),
    ('Write "aBc"?3L', "0"),
    ('Write "ABC"?1.3U', "1"),
    ('Write "ABCD"?1.3U', "0"),
    ('Write ""?.N', "1"),
    ('Write "12"?1.N', "1"),
    ('Write "b"?1(1"a",1"b")', "1"),
    ('Write "x"?1(1"a",1"b")', "0"),
    ('Write "A1!"?1A1N1P', "1"),
    ('Write "anything at all"?.E', "1"),
    ('Write "abc"\'?3N', "1"),
    ("Write 123'?3N", "0"),
    ("Write $CHAR(9)?1C", "1"),
]


@pytest.mark.parametrize(
    ("code", "expected"),
    cases(
        PRECEDENCE
        + ARITHMETIC
        + DIVIDE_ERRORS
        + CONCAT
        + EQUALITY
        + RELATIONAL
        + CONTAINS_FOLLOWS
        + LOGICAL
        + PATTERN
    ),
)
def test_operators(bare_term, code, expected):
    check(bare_term, code, expected)


# ===========================================================================
# Numbers: canonical form and string -> number conversion
# ===========================================================================

CANONICAL = [
    ("Write .5", ".5"),
    ("Write 0.5", ".5"),
    ("Write -0.5", "-.5"),
    ("Write 1E3", "1000"),
    ("Write 3E4", "30000"),
    ("Write 3E-4", ".0003"),
    ("Write 1.50", "1.5"),
    ("Write 007.00", "7"),
    ("Write 0.0", "0"),
    ("Write .000", "0"),
    ("Write -0", "0"),
    ("Write -0.0", "0"),
    ("Write 5.", "5"),  # trailing decimal point removed
    ('Write +"-0"', "0"),
    ("Write 1.10+0", "1.1"),
    ('Write "1.50"', "1.50"),  # a string literal is written as is
    ('Write +"1.50"', "1.5"),
    ("Write 123456789012345678", "123456789012345678"),
    ('Write $Length(+"007.00")', "1"),
    ('Write $Length("+007.00")', "7"),
]

STRING_TO_NUMBER = [
    ('Write "3"+4', "7"),
    ('Write "003.0"+4', "7"),
    ('Write "++--3"+4', "7"),
    ('Write "3 blind mice"+4', "7"),
    ('Write "fred"+3', "3"),
    ('Write "32hut"/4', "8"),
    ('Write +"32 dollars and 64 cents"', "32"),
    ('Write -"-5 degrees"', "5"),
    ('Write "123,456"+0', "123"),  # , is no part of a number
    ('Write "3abc"+1', "4"),
    ('Write +"1E2"', "100"),
    ('Write +".5x"', ".5"),
    ('Write +"-.5"', "-.5"),
    ('Write +""', "0"),
    ('Write +"1.2.3"', "1.2"),
]

# Truthiness table (TRUE = nonzero numeric interpretation), via a braces IF.
TRUE_VALUES = [
    "1",
    '"1"',
    "007",
    "3.5",
    "-.007",
    "7.0",
    '"3 little pigs"',
    "$CHAR(49)",
    '0_"1"',
    "7",
    '"7-7"',
    '"7dwarves"',
]
FALSE_VALUES = [
    "0",
    "-0.0",
    '"A"',
    '"-"',
    '"$"',
    '"The 3 little pigs"',
    "$CHAR(0)",
    "$CHAR(48)",
    '"0_1"',
    '""',
    '" "',
    "-0.00",
    "7-7",
    '"0"',
    '"TRUE"',
    '"FALSE"',
    '"strike3"',
]
TRUTH = [(f'If {v} {{ Write "T" }} Else {{ Write "F" }}', "T") for v in TRUE_VALUES] + [
    (f'If {v} {{ Write "T" }} Else {{ Write "F" }}', "F") for v in FALSE_VALUES
]


@pytest.mark.parametrize(("code", "expected"), cases(CANONICAL + STRING_TO_NUMBER + TRUTH))
def test_numbers(bare_term, code, expected):
    check(bare_term, code, expected)


# ===========================================================================
# Commands
# ===========================================================================

SET = [
    ("Set a=1,b=a Write a,b", "11"),
    ('Set (a,b,c)=4 Write a,"  ",b,"  ",c', "4  4  4"),
    (("set (a, b, c) = 4", 'write a, "  ", b, "  ", c'), "4  4  4"),  # TOS_Set transcript
    (("set x = 4 + 2", "write x"), "6"),
    ("Set (a,b)=1,c=2,(d,e,f)=3 Write a,b,c,d,e,f", "112333"),
    ("Set x=5 Set x=x+1 Write x", "6"),
    ('Set x="a,b,c" Set $Piece(x,",",2)="Z" Write x', "a,Z,c"),
    ('Set x="a" Set $Piece(x,",",3)="c" Write x', "a,,c"),  # pads with delimiters
    ('Set $P(y,"^",2)="b" Write y', "^b"),
    ('Set x="abc" Set $Extract(x,2)="Z" Write x', "aZc"),
    ('Set x="abc" Set $E(x,1,2)="XYZ" Write x', "XYZc"),
    ('Set x=$ListBuild("a","b","c") Set $List(x,2)="Z" Write $ListToString(x)', "a,Z,c"),
    ("Set x=3 Set:x>1 y=2 Write y", "2"),
    ("Set x=0,y=5 Set:x>1 y=2 Write y", "5"),
    ("Set x=1 Set:(x = 1) y=2 Write y", "2"),
    ('Set x(1,"a")=5 Write x(1,"a")', "5"),
    ('Set x="say ""hi""" Write x', 'say "hi"'),
    # arguments run left to right and stop at the first failure
    (
        ("Kill x,y,z  Set x=2,y=z,z=5/0", "Write x"),
        "\nKILL x,y,z  Set x=2,y=z,z=5/0\n            ^\n<UNDEFINED> *z\n2",
    ),
]

WRITE = [
    ('Write "a",!,"b"', "a\nb"),
    ('Write "a",#,"b"', "a\x0cb"),
    ('Write ?5,"x"', "     x"),
    ('Write "ab",?5,"x"', "ab   x"),
    ('Write "abc",?2,"x"', "abcx"),  # ?n at or left of $X does nothing
    ('Write ?$X+3,"x"', "   x"),
    ("Write *65", "A"),
    ("Write *72,*105", "Hi"),
    ('Write #!!!?6,"Hello"', "\x0c\n\n\n      Hello"),
    ('Write "hello",/* Write "world" */" sailor",!', "hello sailor\n"),
    ('Write !,"This",!,"Is",!', "\nThis\nIs\n"),
    ('Write:0 "no" Write:1 "yes"', "yes"),
    ("Write 1,2,3", "123"),
    ('W "x" W "y"', "xy"),
    # argumentless WRITE: every local in collation order, strings quoted, canonical numbers bare
    (
        'Set str="fred",num=123.4,canonstr="456.7",noncanon1="789.0",noncanon2="+999" Write',
        'canonstr=456.7\nnoncanon1="789.0"\nnoncanon2="+999"\nnum=123.4\nstr="fred"\n',
    ),
    ("Set b=2,a=1,B=3 Write", "B=3\na=1\nb=2\n"),
    ('Set x(1)="a",x=5 Write', 'x=5\nx(1)="a"\n'),
    ("Write", ""),
]

ZWRITE = [
    ("Set x=1 ZWrite x", "x=1\n"),
    ('Set x="a""b" ZWrite x', 'x="a""b"\n'),
    ("Set x=$c(10) ZWrite x", "x=$c(10)\n"),
    ('Set x="a"_$c(10)_"b" ZWrite x', 'x="a"_$c(10)_"b"\n'),
    ('Set x=$lb("a","b") ZWrite x', 'x=$lb("a","b")\n'),
    ('Set x=$lb(1,"a") ZWrite x', 'x=$lb(1,"a")\n'),
    ('Set x(1,"a")=5 ZWrite x', 'x(1,"a")=5\n'),
    ('Set x=1,x(2)="b",x(1,"a")=5 ZWrite x', 'x=1\nx(1,"a")=5\nx(2)="b"\n'),
    ('Set x("a")=1,x(10)=2,x(2)=3 ZWrite x', 'x(2)=3\nx(10)=2\nx("a")=1\n'),
    ("Set x(-1)=1,x(.5)=2,x(1)=3 ZWrite x", "x(-1)=1\nx(.5)=2\nx(1)=3\n"),
    ('Set x("01")=1 ZWrite x', 'x("01")=1\n'),  # non-canonical string subscript stays quoted
    ('Set x="456.7" ZWrite x', "x=456.7\n"),  # canonical numeric string shown bare
    ('Set x="789.0" ZWrite x', 'x="789.0"\n'),
    ("Set x=-.5 ZWrite x", "x=-.5\n"),
    ("ZWrite nope", ""),  # undefined variables are skipped silently
    ('Set a=1,b="x" ZWrite', 'a=1\nb="x"\n'),  # argumentless ZWRITE = argumentless WRITE
    ("Set a=1,b=2 ZWrite a,b", "a=1\nb=2\n"),
    ("Set x(1)=1,x(2)=2 ZWrite x(2)", "x(2)=2\n"),
]

KILL = [
    ("Set a=1,b=2 Kill  Write $Data(a),$Data(b)", "00"),
    ("Set a=1,b=2 Kill a Write $Data(a),$Data(b)", "01"),
    ("Set a=1,b=2,c=3 Kill (b) Write $Data(a),$Data(b),$Data(c)", "010"),
    ("Set a=1,b=2,c=3 Kill (a,c) Write $Data(a),$Data(b),$Data(c)", "101"),
    ("Set x(1)=1,x(1,2)=2,x(3)=3 Kill x(1) Write $Data(x(1)),$Data(x(1,2)),$Data(x(3))", "001"),
    ("Set a=1 Kill a Write a", "\nSET a=1 Kill a Write a\n               ^\n<UNDEFINED> *a\n"),
    (("Set a=1", "K", "Write $Data(a)"), "0"),
]

QUIT_AT_PROMPT = [
    ("Quit", ""),
    ("Write 1 Quit 5", "1"),  # at the prompt QUIT n pops up to n stack levels: no error
    ("Write 1 Quit  Write 2", "1"),
    ('Set x=10 Quit:x=10  Write "not 10 yet"', ""),
    ('Set x=9 Quit:x=10  Write "not 10 yet"', "not 10 yet"),
]

IF = [
    ('Set x=5 If x>3 { Write "big" } ElseIf x>1 { Write "mid" } Else { Write "small" }', "big"),
    ('Set x=2 If x>3 { Write "big" } ElseIf x>1 { Write "mid" } Else { Write "small" }', "mid"),
    ('Set x=0 If x>3 { Write "big" } ElseIf x>1 { Write "mid" } Else { Write "small" }', "small"),
    ('If 1,0 { Write "y" } Else { Write "n" }', "n"),  # comma list = AND
    ('If 1,1 { Write "y" }', "y"),
    ('If 0,zz { Write "y" } Else { Write "n" }', "n"),  # short-circuit: zz not evaluated
    ('If 0 { Write "y" } Write "after"', "after"),
    ('If 1 {\n Write "a"\n Write "b"\n}', "ab"),
    (
        'Set x=2\nIf x=1 {\n Write "one"\n} ElseIf x=2 {\n Write "two"\n} Else {\n'
        ' Write "other"\n}',
        "two",
    ),
    ('If 1 { If 0 { Write "a" } Else { Write "b" } }', "b"),
    ("Set $TEST=0 If 1 { Write $TEST }", "0"),  # braces IF leaves $TEST alone
    # legacy line-form IF / ELSE with $TEST
    ('If 1 Write "a"', "a"),
    ('If 0 Write "a"', ""),
    ('Set x=1 If x=1 Write "one" Write "!"', "one!"),  # IF governs the rest of the line
    ('If 0 Write "one" Write "!"', ""),
    ("If 1 Write $TEST", "1"),
    (('If 0 Write "a"', "Write $TEST"), "0"),
    (('If 0 Write "a"', 'Else  Write "b"'), "b"),
    (('If 1 Write "a"', 'Else  Write "b"'), "a"),
    ('Set $TEST=1 If  Write "t"', "t"),  # argumentless IF tests $TEST
    ('Set $TEST=0 If  Write "t"', ""),
    ('Set $TEST=0 Else  Write "e"', "e"),
    ('Set $TEST=1 E  Write "e"', ""),
]

FOR = [
    ("For i=1:1:5 Write i", "12345"),
    ("For i=1:1:3 { Write i,! }", "1\n2\n3\n"),
    ("For i=5:-1:1 Write i", "54321"),
    ('For i=1:2:10 Write i," "', "1 3 5 7 9 "),
    ('For i=10:-3:1 Write i," "', "10 7 4 1 "),
    ('For x=1.5:.5:3 Write x," "', "1.5 2 2.5 3 "),
    ('For x="A","B","C" Write x', "ABC"),
    ('For i=1,5,10:1:12 Write i,","', "1,5,10,11,12,"),
    ("For i=1:1 Quit:i>3  Write i", "123"),
    ("For i=1:1 { Quit:i>3  Write i }", "123"),
    ("For i=1:1:3 { } Write i", "3"),  # the loop variable keeps its last value
    ("Set i=0 For { Set i=i+1 Quit:i>3  Write i }", "123"),
    ("Set i=0 For  Set i=i+1 Quit:i>3  Write i", "123"),
    ('For i=1:1:2 { For j=1:1:2 { Write i,j," " } }', "11 12 21 22 "),
    ('For i=1:1:2 For j=1:1:2 Write i,j," "', "11 12 21 22 "),
    ('For i=1:1:3 Write i Write "x"', "1x2x3x"),  # the rest of the line is the body
    ("For i=1:1:5 { Continue:i#2  Write i }", "24"),
    ("For i=1:1:5 { If i=3 { Quit } Write i }", "12"),  # an IF block inside a loop is transparent
    ("For i=1:1:3 {\n Write i\n}", "123"),
    ("For i=1:1:0 { Write i }", ""),
]

WHILE = [
    ("Set i=0 While i<3 { Set i=i+1 Write i }", "123"),
    ("Set i=0 While 1 { Set i=i+1 Quit:i>2  Write i }", "12"),
    ("Set i=5 While i<3 { Write i }", ""),
    ("Set i=0 While i<5 { Set i=i+1 Continue:i=2  Write i }", "1345"),
    ("Set i=5 Do { Write i Set i=i+1 } While i<3", "5"),  # the body runs at least once
    ("Set i=0 Do { Set i=i+1 Write i } While i<3", "123"),
    ("Set i=0 Do { Set i=i+1 Continue:i=2  Write i } While i<4", "134"),
    ("Set i=0 Do { Set i=i+1 Quit:i=3  Write i } While 1", "12"),
    ("Set i=0 While i<2 {\n Set i=i+1\n Write i\n}", "12"),
]

TRY = [
    ("Try { Write 1/0 } Catch ex { Write ex.Name }", "<DIVIDE>"),
    ("Try { Write zz } Catch ex { Write ex.Name }", "<UNDEFINED>"),
    ('Try { Write "a" Write 1/0 Write "b" } Catch { Write "c" } Write "d"', "acd"),
    ('Try { Write "ok" } Catch { Write "c" }', "ok"),
    (
        'Try { Throw ##class(%Exception.General).%New("MyErr",123,,"data") } '
        'Catch ex { Write ex.Name,"|",ex.Code,"|",ex.Location,"|",ex.Data }',
        "MyErr|123||data",
    ),
    (
        'Try { Throw ##class(%Exception.General).%New("MyErr",123,,"data") } '
        "Catch ex { Write $ClassName(ex) }",
        "%Exception.General",
    ),
    (
        'Try { Try { Write 1/0 } Catch e1 { Throw e1 } } Catch e2 { Write "outer ",e2.Name }',
        "outer <DIVIDE>",
    ),
    ("Try { Write zz } Catch { } Write $ZERROR", "<UNDEFINED> *zz"),
    ("Try { Set x=1/0 } Catch { } Write $ZE", "<DIVIDE>"),
    ("Try { Write zz } Catch { } Write $ECODE", ",M6,"),
    ("Try { Set x=1/0 } Catch { } Write $EC", ",M9,"),
    # Name Code Location Data; at the prompt there is no location (two spaces, as Caché joins them)
    ("Try { Write 1/0 } Catch ex { Write ex.DisplayString() }", "<DIVIDE> 18"),
    ("Try { Write zz } Catch ex { Write ex.DisplayString() }", "<UNDEFINED> 9  zz"),
    ("Try { Write zz } Catch ex { Write ex.Location }", ""),  # no entryref at the prompt
    (
        "Try { Write 1/0 } Catch ex { Write $System.Status.GetErrorText(ex.AsStatus()) }",
        "ERROR #5002: Cache error: <DIVIDE>",
    ),
    (
        'Try { Throw ##class(%Exception.General).%New("MyErr",123,,"data") } '
        "Catch ex { Write $System.Status.GetErrorText(ex.AsStatus()) }",
        "ERROR #5035: General exception Name 'MyErr' Code '123' Data 'data'",
    ),
    ("Try {\n Write 1/0\n} Catch ex {\n Write ex.Name\n}", "<DIVIDE>"),
    ('For i=1:1:3 { Try { Write 1/(i-2) } Catch { Write "E" } Write " " }', "-1 E 1 "),
]

NEW_XECUTE_NS_MISC = [
    ('Xecute "Write 1+1"', "2"),
    ('Set c="Set y=5" Xecute c Write y', "5"),
    ('Xecute "Write ""hi"""', "hi"),
    ('X "For i=1:1:3 Write i"', "123"),
    ('Xecute:0 "Write 1" Write 2', "2"),
    ('ZN "%SYS" Write $NAMESPACE', "%SYS"),
    ('ZNspace "%SYS" Write $NAMESPACE', "%SYS"),
    (('ZN "%SYS"', 'ZN "USER"', "Write $NAMESPACE"), "USER"),
    ('ZN "NOPE"', '\nZN "NOPE"\n^\n<NAMESPACE> *NOPE\n'),
    ('Set $NAMESPACE="%SYS" Write $NAMESPACE', "%SYS"),
    (('Set $NAMESPACE="%SYS"', 'Set $NAMESPACE="USER"', "Write $ZNSPACE"), "USER"),
    ('Set $NAMESPACE="NOPE"', '\nSET $NAMESPACE="NOPE"\n^\n<NAMESPACE> *NOPE\n'),
    ('ZN "user" Write $NAMESPACE', "USER"),  # namespace names are not case-sensitive
    ('Hang 0 Write "ok"', "ok"),
    ("H 0 Write 1", "1"),  # H with an argument is HANG
    ('Write "a" Halt  Write "b"', "a"),
    ('Write "a" H  Write "b"', "a"),
]


@pytest.mark.parametrize(
    ("code", "expected"),
    cases(
        SET + WRITE + ZWRITE + KILL + QUIT_AT_PROMPT + IF + FOR + WHILE + TRY + NEW_XECUTE_NS_MISC
    ),
)
def test_commands(bare_term, code, expected):
    check(bare_term, code, expected)


def test_halt_ends_the_session(bare_term):
    outcome = bare_term.shell.execute("Halt")
    assert outcome.halted and outcome.error is None


# ===========================================================================
# Functions (with their abbreviations)
# ===========================================================================

PIECE_EXTRACT_LENGTH = [
    ('Write $Piece("a,b,c",",",2)', "b"),
    ('Write $P("a,b,c",",")', "a"),
    ('Write $p("a,b,c",",",2,3)', "b,c"),
    ('Write $PIECE("a,b,c",",",5)', ""),
    ('Write $Piece("a::b::c","::",3)', "c"),
    ('Write $Piece("abc",",")', "abc"),
    ('Write $Extract("hello")', "h"),
    ('Write $E("hello",2)', "e"),
    ('Write $E("hello",2,4)', "ell"),
    ('Write $E("hello",*)', "o"),
    ('Write $E("hello",*-1)', "l"),
    ('Write $E("hello",*-2,*)', "llo"),
    ('Write $E("hello",10)', ""),
    ('Write $Length("hello")', "5"),
    ('Write $L("a,b",",")', "2"),
    ('Write $L("",",")', "1"),
    ('Write $L("")', "0"),
    ("Write $L(12.50)", "4"),
]

GET_DATA = [
    ("Write $Get(zz)", ""),
    ('Write $G(zz,"def")', "def"),
    ("Set x=3 Write $Get(x,9)", "3"),
    ('Write $Get(zz(1),"d")', "d"),
    ("Write $Data(zz)", "0"),
    ("Set x=1 Write $D(x)", "1"),
    ("Set x(1)=1 Write $D(x)", "10"),
    ("Set x=1,x(1)=1 Write $D(x)", "11"),
    ("Set x(1,2)=1 Write $D(x(1)),$D(x(1,2)),$D(x(2))", "1010"),
]

# Subscripts collate: canonical numbers in numeric order first, then strings.
ORDER_QUERY = [
    ('Set x(1)="",x(2)="",x("a")="" Write $Order(x(""))', "1"),
    ('Set x(1)="",x(2)="",x("a")="" Write $O(x(2))', "a"),
    ('Set x(1)="",x(2)="",x("a")="" Write $O(x("a"))', ""),
    ('Set x(1)="",x(2)="",x("a")="" Write $O(x(""),-1)', "a"),
    ('Set x(1)="",x(2)="",x("a")="" Write $ORDER(x("a"),-1)', "2"),
    ('Set x(1)="" Write $O(x(1),-1)', ""),
    (
        'Set x(10)="",x(9)="",x("b")="",x("a")="" Set s="" '
        'For  Set s=$Order(x(s)) Quit:s=""  Write s," "',
        "9 10 a b ",
    ),
    (
        'Set x(-1)="",x(.5)="",x("01")="",x(2)="" Set s="" '
        'For  Set s=$Order(x(s)) Quit:s=""  Write s," "',
        "-1 .5 2 01 ",
    ),
    ('Set x(1)="",x(2)="",x(3)="" Set s="" For  Set s=$O(x(s),-1) Quit:s=""  Write s', "321"),
    ('Set x(1,"b")=1,x(1,"a")=2 Write $Order(x(1,""))', "a"),
    ("Set x(1)=1,x(1,2)=2,x(3)=3 Write $Query(x)", "x(1)"),
    ("Set x(1)=1,x(1,2)=2,x(3)=3 Write $Q(x(1))", "x(1,2)"),
    ("Set x(1)=1,x(1,2)=2,x(3)=3 Write $Q(x(1,2))", "x(3)"),
    ("Set x(1)=1,x(1,2)=2,x(3)=3 Write $Q(x(3))", ""),
    ('Set x("a")=1 Write $Query(x)', 'x("a")'),
]

SELECT_CASE = [
    ('Write $Select(0:"a",1:"b")', "b"),
    ('Set x=5 Write $S(x>3:"big",1:"small")', "big"),
    ('Write $SELECT(1:"first",1:"second")', "first"),
    ("Write $Select(0:1)", "\nWRITE $Select(0:1)\n^\n<SELECT>\n"),
    ('Write $Case(2,1:"one",2:"two",:"other")', "two"),
    ('Write $Case(9,1:"one",:"other")', "other"),
    ('Write $CASE("4",4.00:"yes",:"no")', "yes"),  # `=` semantics, 4.00 is 4
    ('Write $Case("4.0",4:"yes",:"no")', "no"),
    ('Write $Case(9,1:"one")', '\nWRITE $Case(9,1:"one")\n^\n<ILLEGAL VALUE>\n'),
]

STRING_FUNCTIONS = [
    ('Write $Find("abc","b")', "3"),
    ('Write $F("abc","z")', "0"),
    ('Write $F("abcabc","b",3)', "6"),
    ('Write $F("ABC","b")', "0"),  # case-sensitive
    ('Write $Translate("hello","l","L")', "heLLo"),
    ('Write $TR("hello","el","ip")', "hippo"),
    ('Write $TR("a-b-c","-")', "abc"),
    ('Write $Replace("a-b-c","-","+")', "a+b+c"),
    ('Write $Replace("aaa","a","bb")', "bbbbbb"),
    ('Write $ZConvert("Hello","U")', "HELLO"),
    ('Write $ZCVT("Hello","L")', "hello"),
    ('Write $ZCVT("hello world","W")', "Hello World"),
    ('Write "[",$ZStrip("  a b  ","<>W"),"]"', "[a b]"),
    ('Write $ZStrip("a1b2","*N")', "ab"),
    ('Write $ZSTRIP("  x","<W")', "x"),
    ('Write $Reverse("abc")', "cba"),
    ("Write $RE(123)", "321"),
    ("Write $Justify(5,3)", "  5"),
    ("Write $J(.5,6,2)", "  0.50"),
    ("Write $J(3.14159,0,2)", "3.14"),
    ('Write $J("abc",5)', "  abc"),
    ("Write $Justify(-.5,0,1)", "-0.5"),
    ('Write $FNumber(1234567,",")', "1,234,567"),
    ('Write $FN(1234.5,",",2)', "1,234.50"),
    ('Write $FN(.5,"",2)', "0.50"),
    ('Write $FN(-5,"P")', "(5)"),
    ('Write $FN(5,"+")', "+5"),
    ('Write $FN(-5,"T")', "5-"),
    ('Write $Number("12.50")', "12.5"),
    ('Write "[",$NUM("abc"),"]"', "[]"),  # invalid -> ""
    ("Write $Char(72,105)", "Hi"),
    ("Write $C(65)", "A"),
    ('Write $Ascii("A")', "65"),
    ('Write $A("abc",2)', "98"),
    ('Write $A("")', "-1"),
    ('Write $A("abc",5)', "-1"),
    ("Write $Random(1)", "0"),
    ("Set r=$R(10) Write r>=0&(r<10),r\\1=r", "11"),
    ("Write $RANDOM(0)", "\nWRITE $RANDOM(0)\n^\n<FUNCTION>\n"),
    ('Set x=5 Write $Increment(x)," ",x', "6 6"),
    ("Write $I(n),$Increment(n,10)", "111"),  # undefined counts as 0
    ('Write $Name(x(1,"a"))', 'x(1,"a")'),
    ("Set i=2 Write $Name(x(i))", "x(2)"),
    ("Write $NA(x)", "x"),
    ("Write $ZHex(255)", "FF"),
    ('Write $ZHex("FF")', "255"),
    ('Write $Match("abc","a.c")', "1"),
    ('Write $Match("abc","b")', "0"),  # the whole string must match
    ("Write $ZAbs(-3.5)", "3.5"),
    ("Write $ZSqr(16)", "4"),
    ("Write $ZSqr(2.25)", "1.5"),
]

LIST_FUNCTIONS = [
    ('Write $ListLength($ListBuild("a","b","c"))', "3"),
    ('Write $LL("")', "0"),
    ('Write $List($LB("a","b","c"),2)', "b"),
    ('Write $LI($LB("a","b","c"))', "a"),
    ('Write $List($LB("a","b","c"),*)', "c"),
    ('Write $List($LB("a","b"),3)', '\nWRITE $List($LB("a","b"),3)\n^\n<NULL VALUE>\n'),
    ('Write $ListGet($LB("a"),2,"def")', "def"),
    ('Write $LG($LB("a"),1)', "a"),
    ('Write $ListFind($LB("a","b"),"b")', "2"),
    ('Write $LF($LB("a"),"z")', "0"),
    ('Write $ListToString($LB("a","b","c"))', "a,b,c"),
    ('Write $LTS($LB(1,2),"-")', "1-2"),
    ('Write $LL($ListFromString("a,b,c"))', "3"),
    ('Write $LI($LFS("a|b","|"),2)', "b"),
    ('Write $ListData($LB("a",,"c"),2)', "0"),
    ('Write $LD($LB("a",,"c"),3)', "1"),
    ('Set l=$LB("a","b","c"),p=0 While $ListNext(l,p,v) { Write v }', "abc"),
    ("Set l=$LB(1,2),p=0 While $ListNext(l,.p,.v) { Write v }", "12"),
    ('Set l=$LB("x"),p=0 Write $ListNext(l,p,v),v,$ListNext(l,p,v)', "1x0"),
    ('Write $ListBuild("a")=$LB("a")', "1"),
]

DATE_FUNCTIONS = [
    ("Write $ZDate(50000)", "11/23/77"),  # 1900-1999 shown with two digits
    ("Write $ZD(60000)", "04/10/2005"),
    ("Write $ZD(0)", "12/31/1840"),
    ("Write $ZD(21400)", "08/04/1899"),
    ("Write $ZD(60000,3)", "2005-04-10"),
    ("Write $ZD(60000,8)", "20050410"),
    ('Write $ZDateH("04/10/2005")', "60000"),
    ('Write $ZDH("2005-04-10",3)', "60000"),
    ("Write $ZTime(3661)", "01:01:01"),
    ("Write $ZT(0)", "00:00:00"),
    ('Write $ZDateTime("60000,3661",3)', "2005-04-10 01:01:01"),
    ('Write $ZDT("60000,3661")', "04/10/2005 01:01:01"),
]

OBJECT_FUNCTIONS = [
    ("Write $IsObject(1)", "0"),
    ('Set o=##class(%Exception.General).%New("x") Write $IsObject(o)', "1"),
    ('Set o=##class(%Exception.General).%New("x") Write $ClassName(o)', "%Exception.General"),
]


@pytest.mark.parametrize(
    ("code", "expected"),
    cases(
        PIECE_EXTRACT_LENGTH
        + GET_DATA
        + ORDER_QUERY
        + SELECT_CASE
        + STRING_FUNCTIONS
        + LIST_FUNCTIONS
        + DATE_FUNCTIONS
        + OBJECT_FUNCTIONS
    ),
)
def test_functions(bare_term, code, expected):
    check(bare_term, code, expected)


# ===========================================================================
# Special variables
# ===========================================================================

SPECIAL_VARIABLES = [
    ("Set $TEST=1 Write $T", "1"),
    ("Set $TEST=0 Write $TEST", "0"),
    ('Write "abc",$X', "abc3"),
    ("Write ?3,$X", "   3"),
    ("Write *65,$X", "A0"),  # WRITE *n does not move $X
    ('Write "a",!,"b",!,$X', "a\nb\n0"),
    ("Set y=$Y Write !!,$Y-y", "\n\n2"),
    ("Write #,$X,$Y", "\x0c00"),
    ("Write $NAMESPACE", "USER"),
    ("Write $ZNSPACE", "USER"),
    ("Write $STACK", "0"),
    ("Write $ZERROR", ""),
    ("Write $ECODE", ""),
    ('Set $ZVERSION="x"', '\nSET $ZVERSION="x"\n^\n<SYNTAX>\n'),  # read-only
]


@pytest.mark.parametrize(("code", "expected"), cases(SPECIAL_VARIABLES))
def test_special_variables(bare_term, code, expected):
    check(bare_term, code, expected)


SHAPES = [
    ("Write $HOROLOG", r"\d{5,},\d{1,5}"),
    ("Write $H", r"\d{5,},\d{1,5}"),
    ('Write +$H=$Piece($H,",")', r"1"),
    ("Write $ZTIMESTAMP", r"\d{5,},\d{1,5}(\.\d+)?"),
    ('Set o=##class(%Exception.General).%New("MyErr") Write o', r"[1-9]\d*@%Exception\.General"),
    (
        'Set o=##class(%Exception.General).%New("MyErr") Write',
        r"o=<OBJECT REFERENCE>\[[1-9]\d*@%Exception\.General\]\n",
    ),
    (
        'Set o=##class(%Exception.General).%New("MyErr") ZWrite o',
        r"o=[1-9]\d*@%Exception\.General ; <OREF>\n.*",
    ),
]


@pytest.mark.parametrize(("code", "pattern"), cases(SHAPES))
def test_output_shapes(bare_term, code, pattern):
    got = run(bare_term, code)
    assert re.fullmatch(pattern, got, re.DOTALL), got


def test_horolog_seconds_in_range(bare_term):
    days, secs = run(bare_term, "Write $H").split(",")
    assert int(days) > 60000 and 0 <= int(secs) <= 86399


# ===========================================================================
# Names: case and abbreviations
# ===========================================================================

NAMES = [
    ("w 1+1", "2"),
    ("W 1", "1"),
    ("wRiTe 1", "1"),
    ("WRITE 1", "1"),
    ("S x=1 W x", "1"),
    ("s x=1 zw x", "x=1\n"),
    ("set x=1 ZW x", "x=1\n"),
    ("Set x=1 Write X", "\nSET x=1 Write X\n        ^\n<UNDEFINED> *X\n"),
    ("Set X=1,x=2 Write X,x", "12"),
    ("Set %x=5 Write %x", "5"),
    ('Write $p("a.b",".",2)', "b"),
    ('Write $PIECE("a.b",".",2)', "b"),
    ('Write $Piece("a.b",".",2)', "b"),
    ('Write $LENGTH("abc"),$length("ab"),$l("a")', "321"),
    ("Write $system.Status.IsOK(1)", "1"),
    ("Write $SYSTEM.Status.IsOK(1)", "1"),
    ("Write $System.Status.IsOK(1)", "1"),
    ("Write $namespace", "USER"),
    ("k  s a=1 w a", "1"),
    ("f i=1:1:3 w i", "123"),
    ('i 1 w "y"', "y"),
    ("d ^nope", "\nD ^nope\n^\n<NOROUTINE> *nope\n"),
]


@pytest.mark.parametrize(("code", "expected"), cases(NAMES))
def test_names(bare_term, code, expected):
    check(bare_term, code, expected)


# ===========================================================================
# Objects and %Status
# ===========================================================================

NEW_GENERAL = 'Set e=##class(%Exception.General).%New("MyErr",5,,"d") '

OBJECTS = [
    (NEW_GENERAL + "Write e.Name", "MyErr"),
    (NEW_GENERAL + "Write e.Code,e.Data", "5d"),
    (NEW_GENERAL + 'Set e.Name="B" Write e.Name', "B"),
    ('Write ##class(%Exception.General).%New("A").Name', "A"),  # chained
    ('Write ##CLASS(%Exception.General).%New("A").Name', "A"),  # ##class is case-insensitive
    (
        NEW_GENERAL + "Write e.Foo",
        '\nSET e=##class(%Exception.General).%New("MyErr",5,,"d") Write e.Foo\n'
        "                                                       ^\n"
        "<PROPERTY DOES NOT EXIST> *Foo,%Exception.General\n",
    ),
    (
        NEW_GENERAL + "Do e.Foo()",
        '\nSET e=##class(%Exception.General).%New("MyErr",5,,"d") Do e.Foo()\n'
        "                                                       ^\n"
        "<METHOD DOES NOT EXIST> *Foo,%Exception.General\n",
    ),
    (
        "Write $System.Status.Foo()",
        "\nWRITE $System.Status.Foo()\n^\n<METHOD DOES NOT EXIST> *Foo,%SYSTEM.Status\n",
    ),
    (
        "Do ##class(%SYSTEM.Status).Foo()",
        "\nDO ##class(%SYSTEM.Status).Foo()\n^\n<METHOD DOES NOT EXIST> *Foo,%SYSTEM.Status\n",
    ),
    (
        "Write ##class(Nope).X()",
        "\nWRITE ##class(Nope).X()\n^\n<CLASS DOES NOT EXIST> *User.Nope\n",
    ),
    (
        "Do ##class(Pkg.Cls).Run()",
        "\nDO ##class(Pkg.Cls).Run()\n^\n<CLASS DOES NOT EXIST> *Pkg.Cls\n",
    ),
    ("Set x=1 Write x.Name", "\nSET x=1 Write x.Name\n        ^\n<INVALID OREF>\n"),
    ("Set x=1 Do x.Foo()", "\nSET x=1 Do x.Foo()\n        ^\n<INVALID OREF>\n"),
    ('Set x="" Set x.Name=1', '\nSET x="" Set x.Name=1\n         ^\n<INVALID OREF>\n'),
]

SC_ERR = 'Set sc=$System.Status.Error(5001,"oops") '

STATUS = [
    ("Write $System.Status.IsOK(1)", "1"),
    ("Write $System.Status.OK()", "1"),
    ("Write $System.Status.IsError(1)", "0"),
    (SC_ERR + "Write $System.Status.IsOK(sc)", "0"),
    (SC_ERR + "Write $System.Status.IsError(sc)", "1"),
    (SC_ERR + "Write $System.Status.GetErrorText(sc)", "ERROR #5001: oops"),
    (SC_ERR + "Write $System.Status.GetErrorCodes(sc)", "5001"),
    # DisplayError: a newline first, then the text, then a newline (ref 1.8 and 2.4)
    (SC_ERR + "Do $System.Status.DisplayError(sc)", "\nERROR #5001: oops\n"),
    (SC_ERR + "Write $Extract(sc)", "0"),  # a failure status starts with 0
    (SC_ERR + 'If \'sc { Write "bad" }', "bad"),
    (
        'Write $System.Status.GetErrorText($System.Status.Error(5012,"/tmp/x"))',
        "ERROR #5012: File '/tmp/x' does not exist",
    ),
    (
        'Set a=$System.Status.Error(5001,"a"),b=$System.Status.Error(5001,"b") '
        "Set c=$System.Status.AppendStatus(a,b) Write $System.Status.GetErrorCodes(c)",
        "5001,5001",
    ),
    (
        'Set b=$System.Status.Error(5001,"b") Write $System.Status.IsError('
        "$System.Status.AppendStatus(1,b))",
        "1",
    ),
    ("Write $System.Status.AppendStatus(1,1)", "1"),
    (
        SC_ERR + "Do $System.Status.DecomposeStatus(sc,.l) "
        'Write l,"|",l(1),"|",l(1,"code"),"|",l(1,"domain")',
        "1|ERROR #5001: oops|5001|%ObjectErrors",
    ),
    ("Do $System.Status.DisplayError(1)", ""),  # an OK status displays nothing
    # macros, pre-expanded by the shell
    ("Write $$$OK", "1"),
    ("Write $$$ISOK(1)", "1"),
    ("Write $$$ISERR(1)", "0"),
    ('Set sc=$$$ERROR($$$GeneralError,"x") Write $$$ISERR(sc),$$$ISOK(sc)', "10"),
    ('Write $System.Status.GetErrorText($$$ERROR($$$GeneralError,"x"))', "ERROR #5001: x"),
    ("Write $$$GeneralError", "5001"),
    (
        'Set sc=$$$ERROR($$$GeneralError,"bad") Try { $$$ThrowOnError(sc) Write "no" } '
        "Catch ex { Write $System.Status.GetErrorText(ex.AsStatus()) }",
        "ERROR #5001: bad",
    ),
    (
        'Set sc=$$$ERROR($$$GeneralError,"bad") Try { $$$ThrowOnError(sc) } '
        "Catch ex { Write ex.Code }",
        "5001",
    ),
    ('Set sc=$$$OK Try { $$$ThrowOnError(sc) Write "fine" } Catch { Write "caught" }', "fine"),
]


@pytest.mark.parametrize(("code", "expected"), cases(OBJECTS + STATUS))
def test_objects_and_status(bare_term, code, expected):
    check(bare_term, code, expected)


# ===========================================================================
# Errors at the prompt: the three-line display and the $ZERROR text
# ===========================================================================

ERRORS = [
    ("Write y", "\nWRITE y\n^\n<UNDEFINED> *y\n"),
    ("Write 1 Write y", "1\n\nWRITE 1 Write y\n        ^\n<UNDEFINED> *y\n"),
    ("w y", "\nW y\n^\n<UNDEFINED> *y\n"),  # the keyword is upper-cased as typed
    ('write a,"-",c', '\nWRITE a,"-",c\n^\n<UNDEFINED> *a\n'),
    (
        'Write "hello",! Set x="world" Set y=zzz Write x,!',
        'hello\n\nWRITE "hello",! Set x="world" Set y=zzz Write x,!\n'
        "                              ^\n<UNDEFINED> *zzz\n",
    ),
    ("Set x(1)=1 Write x(2)", "\nSET x(1)=1 Write x(2)\n           ^\n<UNDEFINED> *x(2)\n"),
    ("Write 1.2.3", "\nWRITE 1.2.3\n^\n<SYNTAX>\n"),
    ('Set S2=""Hello, World!"" Write S2', '\nSET S2=""Hello, World!"" Write S2\n^\n<SYNTAX>\n'),
    ('zpm "version"', '\nZPM "version"\n^\n<SYNTAX>\n'),  # unknown command
    ("Write (1", "\nWRITE (1\n^\n<SYNTAX>\n"),
    ("Set x=1 Write x.Name", "\nSET x=1 Write x.Name\n        ^\n<INVALID OREF>\n"),
    (
        "Write ##class(Pkg.Cls).Run()",
        "\nWRITE ##class(Pkg.Cls).Run()\n^\n<CLASS DOES NOT EXIST> *Pkg.Cls\n",
    ),
    ("Write $Select(0:1,0:2)", "\nWRITE $Select(0:1,0:2)\n^\n<SELECT>\n"),
    ("Write $Case(1,2:3)", "\nWRITE $Case(1,2:3)\n^\n<ILLEGAL VALUE>\n"),
    ("Write $R(0)", "\nWRITE $R(0)\n^\n<FUNCTION>\n"),
    # info as a real Caché $ZERROR shows it: `*tGroupsArr() Subscript 1 is ""`
    ('Set x("")=1', '\nSET x("")=1\n^\n<SUBSCRIPT> *x() Subscript 1 is ""\n'),
    ("Do ^nope", "\nDO ^nope\n^\n<NOROUTINE> *nope\n"),
    ("Write $$lab^nope()", "\nWRITE $$lab^nope()\n^\n<NOROUTINE> *nope\n"),
    ('ZN "NOPE"', '\nZN "NOPE"\n^\n<NAMESPACE> *NOPE\n'),
    ('Write "x" Write 1/0', 'x\n\nWRITE "x" Write 1/0\n          ^\n<DIVIDE>\n'),
    # QUIT with a value cannot leave a FOR loop; the caret is under the failing QUIT
    (
        "Write 1 For i=1:1:3 { Quit 5 }",
        "1\n\nWRITE 1 For i=1:1:3 { Quit 5 }\n                      ^\n<COMMAND>\n",
    ),
    # errors inside a block or a line-form body: the caret is under the inner command
    (
        "Set x=1 If x { Write zz }",
        "\nSET x=1 If x { Write zz }\n               ^\n<UNDEFINED> *zz\n",
    ),
    ("For i=1:1:2 Write zz", "\nFOR i=1:1:2 Write zz\n            ^\n<UNDEFINED> *zz\n"),
    (
        "Try { Write zz } Catch ex { Write yy }",
        "\nTRY { Write zz } Catch ex { Write yy }\n"
        "                            ^\n<UNDEFINED> *yy\n",
    ),
    (
        ("Write zz", "Write $ZERROR"),
        "\nWRITE zz\n^\n<UNDEFINED> *zz\n<UNDEFINED> *zz",
    ),
    (("Write 1/0", "Write $ECODE"), "\nWRITE 1/0\n^\n<DIVIDE>\n,M9,"),
    (("Write zz", 'Write "next"'), "\nWRITE zz\n^\n<UNDEFINED> *zz\nnext"),
]


@pytest.mark.parametrize(("code", "expected"), cases(ERRORS))
def test_errors_at_the_prompt(bare_term, code, expected):
    check(bare_term, code, expected)


# ===========================================================================
# More rules: precision, conversions, comments, indirection, globals, objects
# ===========================================================================

PRECISION = [
    ("Write 1234567890.123456781818181+0", "1234567890.123456782"),  # $DECIMAL example
    ("Write 1/7", ".1428571428571428571"),
    ("Write 123456789*987654321", "121932631112635269"),
    ("Write 1E18+1", "1000000000000000001"),
    ("Write 1E-3", ".001"),
    ("Write 10**20", "100000000000000000000"),
    ("Write 4**.5", "2"),
    ("Write -2**2", "4"),  # unary minus first: (-2)**2
    ('Write 2-+"3x"', "-1"),
    ("Write '0+1", "2"),  # unary not binds first
    ("Write '1=0", "1"),
    ("Write 0'=-0", "0"),
    ('Write "5"\'="5.0"', "1"),
    ("Write -5#3", "1"),
    ("Write 5#-3", "-1"),
    ("Write -5\\3", "-1"),
    ("Write 7\\-2", "-3"),
    ("Write -1.5\\1", "-1"),
    ('Write "1E"+0', "1"),
    ('Write "1E+2"+0', "100"),
    ('Write ".5."+0', ".5"),
    ('Write "-"+0', "0"),
    ('Write "+-+5"+0', "-5"),
    ('Write " 5"+0', "0"),  # a leading blank is not numeric
]

LEXICAL = [
    ("Write 1 ; comment", "1"),
    ("Write 1 // comment", "1"),
    ("Write 1 /* c */ Write 2", "12"),
    ("Write 1;x", "\nWRITE 1;x\n^\n<SYNTAX>\n"),  # a blank is required before ;
    ("Set a=1  Set b=2 Write a+b", "3"),
    ('Do:0 ^nope Write "ok"', "ok"),  # a false postconditional skips the command
    ('Write """"', '"'),
    ('Write "a","b" ;,"c"', "ab"),
]

INDIRECTION = [
    ('Set @"x"=5 Write x', "5"),
    ('Set n="q" Set @n=3 Write @n', "3"),
    ('Set a="y" Set @a@(1)=2 Write y(1)', "2"),
    ('Set v="x",x=7 Write @v+1', "8"),
    ('Set a="y",y(1)=4 Write @a@(1)', "4"),
    ('Set x=1 Kill @"x" Write $Data(x)', "0"),
]

GLOBALS = [
    ("Set ^g(1)=5 Write ^g(1),$Data(^g)", "510"),
    ("Set ^g=1 Kill ^g Write $Data(^g)", "0"),
    ("Set ^g(1)=1,^g(2)=2 Kill ^g(1) Write $Data(^g(1)),$Data(^g(2))", "01"),
    ('Set ^g(2)=1,^g(1)=1 Write $Order(^g(""))', "1"),
    ('Write $Name(^g(1,"a"))', '^g(1,"a")'),
    (("Set ^g=1", 'ZN "%SYS"', "Write $Data(^g)"), "0"),  # globals belong to a namespace
    (("Set ^g=1", 'ZN "%SYS"', 'ZN "USER"', "Write ^g"), "1"),
    # A global is named with its caret and no asterisk: `<UNDEFINED> ^fred` (Caché ObjectScript
    # Reference, $ZERROR, KEY=RCOS_vzerror).
    ("Write ^nope", "\nWRITE ^nope\n^\n<UNDEFINED> ^nope\n"),
]

MORE_FUNCTIONS = [
    ('Write $TR("abc","abc","AB")', "AB"),  # c has no replacement: deleted
    ('Write $FN(1234.567,",",2)', "1,234.57"),
    ('Write $FN(-1234,",")', "-1,234"),
    ("Write $J(2.5,0,0)", "3"),
    ("Write $J(-1.5,0,0)", "-2"),
    ("Write $ZD(50000,3)", "1977-11-23"),
    ('Write $ZDH("11/23/1977")', "50000"),
    ("Write $ZTime(86399)", "23:59:59"),
    ('Write $ZTH("01:01:01")', "3661"),
    ('Write $ZDT("60000,0",3)', "2005-04-10 00:00:00"),
    ('Write $LV("abc"),$LV($LB(1))', "01"),
    ('Write $Case(1,1:"a",1:"b")', "a"),
    ('Write $Select(1:"a",zz:1)', "a"),  # later conditions are not evaluated
    ('Write $Ascii("A",0)', "-1"),
    ("Write $Length($C(0))", "1"),
    ('Write $Char(-1),"|"', "|"),
    ('Write $Piece("a,b",",",0),$E("abc",0),"|"', "|"),
    ("Kill x Write $Increment(x(1)),$Data(x)", "110"),
    ('Write $ZCVT("hello world. bye","S")', "Hello world. Bye"),
    ('Write $ZCVT("<a>","O","HTML")', "&lt;a&gt;"),
    ("Write $List($LB(1,2,3),2,3)=$LB(2,3)", "1"),
]

MORE_SPECIAL = [
    ("Write $X", "0"),
    ("Set $X=5 Write $X", "5"),
    ("Write $TLEVEL", "0"),
    ("Write $TL", "0"),
    ("Write $ESTACK", "0"),
    ("Write $ES", "0"),
    ("Write $ZCHILD", "0"),
    ("Set x=1 New x Write $Data(x)", "0"),  # NEW at the prompt
]

MORE_OBJECTS = [
    ('Write $IsObject(""),$IsObject("1@%Exception.General")', "00"),
    ('Set o=##class(%Exception.General).%New("A") Set p=o Set p.Name="Z" Write o.Name', "Z"),
    ('Write ##class(%Exception.General).%New("A").%ClassName(1)', "%Exception.General"),
    ('Write ##class(%Exception.General).%New("A").%ClassName()', "General"),
    (
        'Set o=##class(%Exception.General).%New("A") '
        'Write o.%IsA("%Exception.AbstractException"),o.%IsA("%Exception.General")',
        "11",
    ),
    ("Write ##class(%SYSTEM.Status).IsOK(1)", "1"),
    (
        "Write ##class(%Exception.General).Foo()",
        "\nWRITE ##class(%Exception.General).Foo()\n^\n"
        "<METHOD DOES NOT EXIST> *Foo,%Exception.General\n",
    ),
    # an omitted argument is simply absent: the property keeps its default ""
    ('Set e=##class(%Exception.General).%New(,5) Write "[",e.Name,"]"', "[]"),
    (
        'Set sc=$System.Status.Error(5001,,"x") Write $System.Status.GetErrorText(sc)',
        "ERROR #5001: ",
    ),
    # JSON literals (ref 1.8)
    ('Set o={"a":1} Write o.a', "1"),
    ('Write {}.%Set("a",(2-4)).%ToJSON()', '{"a":-2}'),
]

MORE_ERRORS = [
    ('Write x("a",2)', '\nWRITE x("a",2)\n^\n<UNDEFINED> *x("a",2)\n'),
    ("Write $ZSqr(-1)", "\nWRITE $ZSqr(-1)\n^\n<ILLEGAL VALUE>\n"),
    ("Set $X=-1", "\nSET $X=-1\n^\n<ILLEGAL VALUE>\n"),  # negative $X is illegal
    ('Write $List("abc")', '\nWRITE $List("abc")\n^\n<LIST>\n'),
    ("Set x=1 Write x,!,y", "1\n\nSET x=1 Write x,!,y\n        ^\n<UNDEFINED> *y\n"),
]


@pytest.mark.parametrize(
    ("code", "expected"),
    cases(
        PRECISION
        + LEXICAL
        + INDIRECTION
        + GLOBALS
        + MORE_FUNCTIONS
        + MORE_SPECIAL
        + MORE_OBJECTS
        + MORE_ERRORS
    ),
)
def test_more_rules(bare_term, code, expected):
    check(bare_term, code, expected)


# ===========================================================================
# Routines: labels in column 1, bodies indented; errors carry label+offset^routine
# ===========================================================================

ROUTINES = {
    "t": "go ; comment\n Set a=1\n Write zz\n Quit\n",
    "m": (
        "m ; maths\n"
        ' Write "top"\n'
        " Quit\n"
        "add(a,b) Write a+b\n"
        " Quit\n"
        "sq(n) Quit n*n\n"
        "inc(x) Set x=x+1\n"
        " Quit\n"
        'fill(arr) Set arr(1)="a",arr(2)="b"\n'
        " Quit\n"
        'opt(a,b) Write a,":",$Get(b,"none")\n'
        " Quit\n"
        "main Do sub\n"
        ' Write "back"\n'
        " Quit\n"
        'sub Write "in sub "\n'
        " Quit\n"
        "setg Set g=7\n"
        " Quit\n"
        "st Write $STACK\n"
        " Quit\n"
        "nest Write $$sq(3)+$$sq^m(4)\n"
        " Quit\n"
        "st2 Do st\n"
        " Quit\n"
        "zn Write $ZNAME\n"
        " Quit\n"
        "cat(a,b) Quit a_b\n"
        "bump(x) Set x=x+10\n"
        " Quit x\n"
        "rv Return 42\n"
        "rt For i=1:1:5 { If i=2 { Return } Write i }\n"
        ' Write "after"\n'
        " Quit\n"
        "deep Do inner\n"
        " Quit\n"
        "inner ; fails\n"
        " Write 1/0\n"
        " Quit\n"
        "omit(a,b,c) Write $Data(a),$Data(b),$Data(c)\n"
        " Quit\n"
        "ns New $NAMESPACE\n"
        ' Set $NAMESPACE="%SYS"\n'
        ' Write $NAMESPACE,","\n'
        " Quit\n"
    ),
    "f": "one Write 1\ntwo Write 2\n Quit\nthree Write 3\n Quit\n",
    "q": (
        "lp For i=1:1:5 { Quit:i=3  Write i }\n"
        ' Write "after"\n'
        " Quit\n"
        "lp2 For i=1:1:5 Quit:i=3  Write i\n"
        ' Write "x"\n'
        " Quit\n"
        "wh Set i=0 While 1 { Set i=i+1 Quit:i>2  Write i }\n"
        ' Write "w"\n'
        " Quit\n"
    ),
    "n": ('sub New x\n Set x=5\n Write x,"-"\n Quit\nsub2 New y\n Set y=1\n Quit\n'),
    "p": "lab(a) Write a\n Quit\n",
    "r": "loop Do loop\n Quit\n",
    "hello": 'hello ; greet\n Write "hi"\n Quit\n',
    "j": "bg Set ^jobdone=$JOB\n Quit\n",
    "e": (
        "try ; trapped\n"
        " Try { Write zz } Catch ex { Write ex.Location }\n"
        " Quit\n"
        'div Write "a"\n'
        " Write 1/0\n"
        " Quit\n"
    ),
}

ROUTINE_CASES = [
    ("Do go^t", "\n Write zz\n ^\n<UNDEFINED>go+2^t *zz\n"),
    ("Do add^m(2,3)", "5"),
    ("D add^m(2,3)", "5"),
    ("Write $$sq^m(4)", "16"),
    ("Write $$sq^m(4)+1", "17"),
    ("Do ^m", "top"),
    ("Do ^hello", "hi"),
    ("Set n=1 Do inc^m(.n) Write n", "2"),  # by reference: the caller sees the change
    ("Set n=1 Do inc^m(n) Write n", "1"),  # by value: it does not
    ("Do fill^m(.a) Write a(1),a(2)", "ab"),
    ("Do opt^m(1)", "1:none"),
    ("Do opt^m(1,2)", "1:2"),
    ("Do main^m", "in sub back"),
    ("Do setg^m Write g", "7"),  # routine variables are public
    ("Do st^m", "1"),
    ("Do nest^m", "25"),
    ("Do one^f", "12"),  # fall-through into the next label
    ("Do two^f", "2"),
    ("Do lp^q", "12after"),  # QUIT in a FOR inside a routine leaves the loop only
    ("Do lp2^q", "12x"),
    ("Do wh^q", "12w"),
    ("Set x=1 Do sub^n Write x", "5-1"),  # NEW: x restored when the routine quits
    ("Kill y Do sub2^n Write $Data(y)", "0"),
    ("Do lab^p(1,2)", "\nDO lab^p(1,2)\n^\n<PARAMETER>\n"),  # more actuals than formals
    ("Do nolabel^t", "\nDO nolabel^t\n^\n<NOLINE>\n"),
    ("Do ^nope", "\nDO ^nope\n^\n<NOROUTINE> *nope\n"),
    ("Do try^e", "try+1^e"),
    ("Do div^e", "a\n\n Write 1/0\n ^\n<DIVIDE>div+1^e\n"),
    (("Do go^t", "Write $ZERROR"), "\n Write zz\n ^\n<UNDEFINED>go+2^t *zz\n<UNDEFINED>go+2^t *zz"),
    ("Set a=99 Do add^m(2,3) Write a", "599"),  # formal parameters are NEWed for the call
    ("Do st2^m", "2"),
    ("Do zn^m", "m"),  # $ZNAME: the current routine
    ('Write $$cat^m("x",1.50)', "x1.5"),
    ('Set v=1 Write $$bump^m(.v),",",v', "11,11"),
    ("Write $$rv^m", "42"),
    ("Do rt^m", "1"),  # RETURN leaves the routine, not just the loop
    ("Do add^m(1,1):0,add^m(2,2):1", "4"),  # per-argument postconditionals on DO
    ("Do ns^m Write $NAMESPACE", "%SYS,USER"),  # NEW $NAMESPACE restores it on QUIT
    ("Do deep^m", "\n Write 1/0\n ^\n<DIVIDE>inner+1^m\n"),  # the innermost frame is shown
    ("Write $$sq^m(1,2)", "\nWRITE $$sq^m(1,2)\n^\n<PARAMETER>\n"),
    ("Do ADD^m(1,2)", "\nDO ADD^m(1,2)\n^\n<NOLINE>\n"),  # labels are case-sensitive
    ("Do ^M", "\nDO ^M\n^\n<NOROUTINE> *M\n"),  # so are routine names
    ("Do omit^m(1,,3)", "101"),  # an omitted actual leaves the formal undefined
]


def with_routines(term):
    for name, text in ROUTINES.items():
        term.routine(name, text)
    return term


@pytest.fixture
def rterm(bare_term):
    return with_routines(bare_term)


@pytest.mark.parametrize(("code", "expected"), cases(ROUTINE_CASES))
def test_routines(rterm, code, expected):
    check(rterm, code, expected)


def test_framestack_from_runaway_recursion(rterm):
    got = run(rterm, "Do loop^r")
    assert got.startswith("\n") and "<FRAMESTACK>" in got
    assert re.search(r"^<FRAMESTACK>loop(\+0)?\^r\s*$", got, re.MULTILINE), got


# ===========================================================================
# What a licensed Session supplies: the user it runs as (UnknownUser under Minimal security),
# the version it reports, its process number in the instance, and JOBs, each a process of the
# instance under the parent's license. The bare host has values of its own for these.
# ===========================================================================

SESSION_VALUES = [
    ("Write $USERNAME", "UnknownUser"),
    ("Write $JOB?1.N", "1"),
    ("Write $J>0", "1"),
    ('Write $ZVERSION["2018.1.5 (Build 659U)"', "1"),
    ('Write $ZV["Cache for "', "1"),
    ("Write $zv=$System.Version.GetVersion()", "1"),
    ("Write $System.Version.GetNumber()", "2018.1.5"),
]

SESSION_SHAPES = [
    (
        "Write $ZVERSION",
        r"Cache for (UNIX|Windows) \(.+\) 2018\.1\.5 \(Build 659U\) Mon Mar 22 2021 07:03:57 EDT",
    ),
    ("Write $JOB", r"[1-9]\d*"),
]

JOBS = [
    ("Job bg^j Write $ZCHILD>0", "1"),
    ('Job add^m(1,2) Write "ok"', "ok"),  # the child has no device
]


@pytest.mark.parametrize(("code", "expected"), cases(SESSION_VALUES))
def test_session_values(term, code, expected):
    check(term, code, expected)


@pytest.mark.parametrize(("code", "pattern"), cases(SESSION_SHAPES))
def test_session_shapes(term, code, pattern):
    got = run(term, code)
    assert re.fullmatch(pattern, got, re.DOTALL), got


@pytest.fixture
def session_rterm(term):
    return with_routines(term)


@pytest.mark.parametrize(("code", "expected"), cases(JOBS))
def test_jobs(session_rterm, code, expected):
    check(session_rterm, code, expected)


def test_job_runs_the_label(session_rterm):
    import time

    run(session_rterm, "Job bg^j")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if run(session_rterm, "Write $Data(^jobdone)") == "1":
            break
        time.sleep(0.05)
    assert run(session_rterm, "Write $Data(^jobdone),^jobdone=$ZCHILD") == "11"
