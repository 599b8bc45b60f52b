"""References as strings ($QLENGTH, $QSUBSCRIPT), $LISTUPDATE, routine source ($TEXT), routine
and global names with dots, $ZHOROLOG, and calls with too many arguments.

Each case cites the page of the Caché 2018 documentation it follows, by doc key, at
https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=<key>.
"""

from __future__ import annotations

import pytest


def error(line: str, zerror: str) -> str:
    """What the terminal shows for an error at the prompt: echo, caret, $ZERROR."""
    word, rest = line.split(" ", 1)
    return f"\n{word.upper()} {rest}\n^\n{zerror}\n"


# A routine with a label, a tab-indented line and a ;; comment, and a dotted routine.
SHOP = "Shop ; the shop routine\nPrice(x) Quit x*2\n\tQuit\nNote ;; a kept comment\n Quit\n"
TEXT_HERE = 'Here Write $TEXT(+1),"|",$TEXT(Here),"|",$TEXT(+0)\n Quit\n'
PKG = 'Label(a) Quit a*10\nShow Write "show"\n Quit\n'


@pytest.fixture
def shop(bare_term):
    bare_term.routine("Shop", SHOP)
    bare_term.routine("TextHere", TEXT_HERE)
    bare_term.routine("Pkg.Routine", PKG)
    bare_term.host.save_routine("%SYS", "%Pkg.Sys", 'Entry Write "sys"\n Quit\n')
    return bare_term


QNAMES = [
    ('Write $QLENGTH("^|""USER""|test")', "0"),  # RCOS_fqlength example
    ('Write $QLENGTH("^|""USER""|test(1,""customer"")")', "2"),  # RCOS_fqlength example
    ('Write $QL("x(1,2,3)")', "3"),  # RCOS_fqlength: a local, abbreviated
    # A process-private global's name keeps its ^|| (RCOS_fqsubscript: "the name, including
    # the caret"; GGBL_ppg: ^||name is a global name).
    ('Write $QLENGTH("^||p(1,2)")', "2"),
    ('Write $QSUBSCRIPT("^||p(1,2)",0)', "^||p"),
    ('Write $QSUBSCRIPT($NAME(^||p(1,"a")),2)', "a"),
    ('Write $QSUBSCRIPT("^|""account""|%test(""customer"")",-1)', "account"),  # RCOS_fqsubscript
    ('Write $QSUBSCRIPT("^|""account""|%test(""customer"")",0)', "^%test"),  # RCOS_fqsubscript
    ('Write $QSUBSCRIPT("^|""account""|%test(""customer"")",1)', "customer"),  # RCOS_fqsubscript
    ('Write "[",$QSUBSCRIPT("^|""account""|%test(""customer"")",2),"]"', "[]"),  # past the last
    ('Write "[",$QS("^g(1)",-1),"]"', "[]"),  # RCOS_fqsubscript: -1 without a namespace is ""
    ('Write $QS("x(""a""""b"",-2.5)",1),$QS("x(""a"",-2.5)",2)', 'a"b-2.5'),  # quotes, numbers
    ('Write $QS("^g(1)",-2)', error('Write $QS("^g(1)",-2)', "<FUNCTION>")),  # RCOS_fqsubscript
    ('Write $QS($NAME(x(1,"k")),2)', "k"),  # RCOS_fqsubscript: $NAME gives the canonical form
]

LISTUPDATE = [
    # RCOS_flistupdate examples: a bool of 1 replaces the element, 0 leaves it
    (
        'Set l=$LISTUPDATE($LB("Red","White","Blue"),2,1:"WHITE1") Zwrite l',
        'l=$lb("Red","WHITE1","Blue")\n',
    ),
    (
        'Set l=$LISTUPDATE($LB("Red","White","Blue"),2,0:"WHITE1") Zwrite l',
        'l=$lb("Red","White","Blue")\n',
    ),
    # RCOS_flistupdate: values update the elements from the position on; a bare comma skips one
    ('Set l=$LU($LB(1,2,3),1,"a",,"c") Zwrite l', 'l=$lb("a",2,"c")\n'),
    # RCOS_flistupdate: past the end the list is padded with null elements
    ('Set l=$LISTUPDATE($LB("Red"),3,"Blue") Zwrite l', 'l=$lb("Red",,"Blue")\n'),
    ('Set l=$LISTUPDATE("",1,"x") Zwrite l', 'l=$lb("x")\n'),  # RCOS_flistupdate: "" is a list
    ('Set l=$LISTUPDATE($LB(1),0,"x") Zwrite l', "l=$lb(1)\n"),  # RCOS_flistupdate: 0 does nothing
]

TEXT = [
    ("Write $TEXT(Price^Shop)", "Price(x) Quit x*2"),  # RCOS_ftext: the label's line
    ("Write $TEXT(Price+1^Shop)", " Quit"),  # RCOS_ftext: the first tab reads as a space
    ("Write $T(+1^Shop)", "Shop ; the shop routine"),  # RCOS_ftext: +offset from the top
    ("Write $TEXT(+0^Shop)", "Shop"),  # RCOS_ftext: +0 is the routine's name
    ("Write $TEXT(Note^Shop)", "Note ;; a kept comment"),  # RCOS_ftext: ;; comments stay
    ("Write $TEXT(+0^Shop),!,$T(+1^Shop)", "Shop\nShop ; the shop routine"),  # RCOS_cwrite: !
    ('Write:$TEXT(Price^Shop)]"" "yes"', "yes"),  # RCOS_ftext in a postconditional
    ('Write "[",$TEXT(Nope^Shop),"]"', "[]"),  # RCOS_ftext: no such label is ""
    ('Write "[",$TEXT(+99^Shop),"]"', "[]"),  # RCOS_ftext: past the end is ""
    ('Write "[",$TEXT(Price^NoSuch),"]"', "[]"),  # RCOS_ftext: no source found is ""
    ("Set n=1 Write $TEXT(Price+n^Shop)", " Quit"),  # RCOS_ftext: offset is an expression
    ('Set r="Price^Shop" Write $TEXT(@r)', "Price(x) Quit x*2"),  # RCOS_ftext: @expr_atom
    # RCOS_ftext: without ^routine, the routine that is running
    ("Do ^TextHere", 'Here Write $TEXT(+1),"|",$TEXT(Here),"|",$TEXT(+0)|' * 2 + "TextHere"),
]

DOTTED = [
    ("Write $$Label^Pkg.Routine(4)", "40"),  # GCOS_routines: a routine name may hold dots
    ("Do Show^Pkg.Routine", "show"),  # RCOS_cdo: label^routine
    ("Do ^%Pkg.Sys", "sys"),  # RCOS_cdo: ^routine, a % routine seen from every namespace
    ("Do Entry^%Pkg.Sys", "sys"),  # RCOS_cdo
    ("Set ^Ens.Config(1)=5 Write ^Ens.Config(1)", "5"),  # GGBL_structure: dots in a global name
    ("Do ^Pkg..Routine", error("Do ^Pkg..Routine", "<SYNTAX>")),  # never two dots together
    ("Do ^No.Such", error("Do ^No.Such", "<NOROUTINE> *No.Such")),  # RERR_system
]

PARAMETERS = [
    # RERR_system <PARAMETER>: more actual parameters than formal parameters
    ("Write $$Price^Shop(1,2)", error("Write $$Price^Shop(1,2)", "<PARAMETER>")),
    ("Do Show^Pkg.Routine(1)", error("Do Show^Pkg.Routine(1)", "<PARAMETER>")),
    ("Do $System.Status.IsOK(1,2)", error("Do $System.Status.IsOK(1,2)", "<PARAMETER>")),
    ("Do ##class(%SYSTEM.Status).OK(1)", error("Do ##class(%SYSTEM.Status).OK(1)", "<PARAMETER>")),
    ('Set o={} Do o.%Get("a","b")', '\nSET o={} Do o.%Get("a","b")\n         ^\n<PARAMETER>\n'),
    (
        "Set e=##class(%Exception.General).%New(1,2,3,4,5)",
        error("Set e=##class(%Exception.General).%New(1,2,3,4,5)", "<PARAMETER>"),
    ),
    ("Write $System.Status.IsOK(1)", "1"),  # the right number still works
]


@pytest.mark.parametrize(("code", "expected"), QNAMES + LISTUPDATE + TEXT + DOTTED + PARAMETERS)
def test_references_and_routines(shop, code, expected):
    assert shop.run(code) == expected


def test_zhorolog_counts_seconds_with_fractions(bare_term):
    # RCOS_vzhorolog: elapsed seconds since the system started, a fraction included
    out = bare_term.run("Set a=$ZH,b=$ZHOROLOG Write (a>=0)&(b>=a)&($ISVALIDNUM(a))")
    assert out == "1"


def test_zhorolog_follows_the_instance_clock(term):
    # RCOS_vzhorolog: $ZH measures elapsed time, here on the instance's simulated clock
    term.run("Do ##class(Training.World).SimulateClock()")
    out = term.run("Set a=$ZH Do ##class(Training.World).AdvanceClock(2.5) Write $ZH-a")
    assert out == "2.5"
