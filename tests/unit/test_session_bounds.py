"""A session's bounds: no string past <MAXSTRING>, no process memory past $ZSTORAGE (<STORE>).

Caché's limits: strings of at most 3,641,144 characters with long strings enabled (Caché
Programming Orientation Guide, General System Limits, KEY=GORIENT_appx_limits); $ZSTORAGE in
KB, default 262144, 128 to 2147483647, values outside taken as the nearer bound, fractions
truncated (Caché ObjectScript Reference, KEY=RCOS_VZSTORAGE)."""

from __future__ import annotations

import pytest
from conftest import BareTerminal


def caught(code: str) -> str:
    return f"Try {{ {code} }} Catch e {{ Write e.Name }}"


MAXSTRING_CASES = [
    'Set x=$J("",2000000),y=x_x',
    'Set x="a" For i=1:1:30 { Set x=x_x }',
    'Set x=$J("",3641144),y=x_"a"',
    'Set x="ab",y=$J("",3641143)_x',
    'Set x="" Set $E(x,1E9)=1',
    'Set x="" Set $P(x,",",1E9)=1',
    'Set x=$Replace($J("",3000000)," ","ab")',
    'Set x="" Set $LI(x,1E9)=1',
    'Set x="" Set $LI(x,1E9,1E9+1)=$LB(1)',
    'Set x=$LTS($LB(1,2,3),$J("",3000000))',
    'Set x=$ZCVT($TR($J("",1000000)," ","<"),"O","HTML")',
    'Set x=$J("",3641145)',
]


@pytest.mark.parametrize("code", MAXSTRING_CASES)
def test_every_string_operation_stops_at_the_limit(bare_term: BareTerminal, code: str) -> None:
    assert bare_term.run(caught(code)) == "<MAXSTRING>"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ('Set x=$J("",3641143)_"a" Write $L(x)', "3641144"),  # the limit itself is allowed
        ('Set x="" Set $E(x,5)="a" Write x,"|"', "    a|"),
        # $X is a 16-bit unsigned integer (Caché ObjectScript Reference, $X, KEY=RCOS_VX):
        # WRITE ?n goes no further than its largest value.
        ("Set n=1E12 Write ?n,$X", " " * 65535 + "65535"),
    ],
)
def test_strings_up_to_the_limit(bare_term: BareTerminal, code: str, expected: str) -> None:
    assert bare_term.run(code) == expected


ROUTINE = """R ; by-reference and by-value formals
set(f) Set f(2)=2 Quit
kill(f) Kill f Set f(3)=3 Quit
grow(f) Set f=f_"x" Quit
value(f) Quit $L(f)
"""

ZSTORAGE_CASES = [
    ("Write $ZS", "262144"),
    ("Write $ZSTORAGE", "262144"),
    ("Write $zstorage,$zs=$ZSTORAGE", "2621441"),
    ("Set $ZS=1000.9 Write $ZS", "1000"),
    ("Set $ZS=16 Write $ZS", "128"),
    ("Set $ZS=2147483647 Write $ZS", "2147483647"),
    ("Set $ZS=1E12 Write $ZS", "2147483647"),
    ("Write $S=($ZS*1024)", "1"),
    ("Set $ZS=1000 Write $STORAGE=(1000*1024)", "1"),
    # The Set that would pass the budget changes nothing.
    (
        "Set $ZS=128 " + caught("For  Set x($I(i))=1") + ' Write " ",$D(x(i))," ",$D(x(i-1))',
        "<STORE> 0 1",
    ),
    ("Set $ZS=128 " + caught("For  Set ^||x($I(i))=1"), "<STORE>"),
    ("Set $ZS=128 " + caught('For  Set @("v"_$I(i))=1'), "<STORE>"),
    ("Set $ZS=128 " + caught('For  Set x($I(i),"a",$I(j))=1'), "<STORE>"),
    # Long strings count by their size: eight of a million characters fit in 8192 KB.
    (
        "Set $ZS=8192 " + caught('For  Set @("s"_$I(i))=$J("",1000000)') + ' Write " ",i',
        "<STORE> 9",
    ),
    ("Set $ZS=8192 " + caught('For  Set s($I(i))=$J("",1000000)') + ' Write " ",i', "<STORE> 9"),
    ("Set $ZS=8192 " + caught('For  Set s=$J("",1000000)_$I(i) Quit:i>100') + " Write i", "101"),
    # What a NEW saves stays charged until it is restored.
    ('Set $ZS=5000,a=$J("",3000000) ' + caught('New a Set a=$J("",3000000)'), "<STORE>"),
    # Kill gives the bytes back, to the byte.
    ('Set s="",s=$S Set x(1)=$J("",1000),x(2,3)=2,y=$J("",5000) Kill x,y Write $S-s', "0"),
    ('Set s="",s=$S Set x(1,2)=1,x(1,3)=1 Kill x(1,2),x(1,3) Write $S-s,$D(x)', "00"),
    ('Set s="",s=$S Set ^||g(1)=$J("",9000) Kill ^||g Write $S-s', "0"),
    ('Set x="",s="",s=$S Set x=$J("",1000),x=1 Write $S-s', "0"),
    ('Set s="",s=$S Set x=$J("",1000),x=1 Write $S-s', "-64"),  # x is one more name
    # Formal parameters: a variable passed by reference is charged once, whatever the callee
    # does with it, and given back when it is killed.
    ('Set s="",s=$S Set x(1)=1 Do set^R(.x) Kill x Write $S-s', "0"),
    ('Set s="",s=$S Set x(1)=1 Do kill^R(.x) Write $D(x(3)) Kill x Write $S-s', "10"),
    ('Set s="",s=$S Set x=$J("",1000) Do grow^R(.x) Write $L(x) Kill x Write $S-s', "10010"),
    ('Set n="",s="",s=$S,n=$$value^R($J("",3000)) Write n," ",$S-s', "3000 0"),
]


@pytest.mark.parametrize(("code", "expected"), ZSTORAGE_CASES)
def test_zstorage_bounds_the_process(bare_term: BareTerminal, code: str, expected: str) -> None:
    bare_term.routine("R", ROUTINE)
    assert bare_term.run(code) == expected


LONG = "x" * 40_000
SOURCE_CASES = [
    # A line past 32,767 characters, or a text past 256 K, is refused before it is parsed; the
    # error echoes the start of the line.
    (f'Write "{LONG}"', f'\nWRITE "{LONG[:65]}...\n^\n<MAXSTRING>\n'),
    ("Write 1\n" * 40_000, "\nWRITE 1\n^\n<MAXSTRING>\n"),
    (
        'Xecute "Write """_$J("",40000)_""""',
        f'\nWRITE "{" " * 65}...\n^\n<MAXSTRING>\n',
    ),
    ('Set @("x"_$J("",40000))=1', '\nSET @("x"_$J("",40000))=1\n^\n<MAXSTRING>\n'),
    # The longest line runs.
    ('Write "' + "y" * 32_758 + '"', "y" * 32_758),
]


@pytest.mark.parametrize(("code", "expected"), SOURCE_CASES, ids=lambda v: str(v)[:24])
def test_source_size_limits(bare_term: BareTerminal, code: str, expected: str) -> None:
    assert bare_term.run(code) == expected


def test_a_routine_too_long_is_refused_when_loaded(bare_term: BareTerminal) -> None:
    # Its first line is echoed, as for a <SYNTAX> found when a routine is loaded.
    bare_term.routine("BIG", "BIG Set x=1\n" + " Set x=1\n" * 40_000)
    assert bare_term.run("Do ^BIG") == "\n    SET x=1\n^\n<MAXSTRING>\n"
