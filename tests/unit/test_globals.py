"""Globals as the language sees them, on the bare interpreter host (an in-memory database) and
through the same code path a Session uses over its instance database.

Each case types one input (or a tuple of inputs, one after another) and compares what the
terminal shows. The comment beside a case names where Caché documents the behaviour
(docs.intersystems.com, Caché ObjectScript Reference keys such as RCOS_forder, or "Using Caché
Globals", GGBL).
"""

from __future__ import annotations

import pytest
from conftest import BareTerminal


def run(term: BareTerminal, code: str | tuple[str, ...]) -> str:
    inputs = code if isinstance(code, tuple) else (code,)
    shown = []
    for text in inputs:
        shown.append(term.run(text))
        term.shell.finish_line()
    return "".join(shown)


WALK = 'Set k="" For { Set k=$Order(^g(k)) Quit:k=""  Write k," " }'
BACK = 'Set k="" For { Set k=$Order(^g(k),-1) Quit:k=""  Write k," " }'
FILL = 'Set (^g(-1),^g(0),^g(.5),^g(1),^g(2),^g(10),^g("01"),^g("a"),^g("B"))=1'

CASES = [
    # -- collation (GGBL "Collation of Globals": canonical numbers first, numerically, then
    #    strings in code-point order; "01" is not canonical, so a string)
    ((FILL, WALK), "-1 0 .5 1 2 10 01 B a "),
    ((FILL, BACK), "a B 01 10 2 1 .5 0 -1 "),
    (("Set ^g(1)=1,^g(1.0)=2", "ZWrite ^g"), "^g(1)=2\n"),  # 1.0 is the number 1
    (('Set ^g(1)=1,^g("1.0")=2', "ZWrite ^g"), '^g(1)=1\n^g("1.0")=2\n'),
    (("Set ^g(-2.5)=1,^g(-10)=1,^g(-.001)=1", WALK), "-10 -2.5 -.001 "),
    # -- $ORDER (RCOS_forder)
    ('Write $Order(^g(""))', ""),  # an undefined global has no subscripts
    ('Set ^g(1,2)=3,^g(5)=1 Write $Order(^g(1)),",",$Order(^g(1,"")),",",$Order(^g(5))', "5,2,"),
    ("Set ^g(1)=1,^g(3)=3 Write $Order(^g(2)),$Order(^g(2),-1)", "31"),
    ('Set ^g(2,1)=1,^g(3)=1 Write $Order(^g(""),1,v)," ",$Data(v)', "2 0"),  # no value: unset
    ('Set ^g(2)="x",^g(3)=1 Write $Order(^g(""),1,v)," ",v', "2 x"),  # target gets the value
    ('Set ^g(2)="x",^g(3)="y" Write $Order(^g(""),-1,v)," ",v', "3 y"),
    ('Set a(1)="p",a(2)="q" Write $Order(a(1),1,v)," ",v', "2 q"),  # the target form on locals
    (
        "Set ^g(1)=1 Write $Order(^g(1),2)",
        "\nSET ^g(1)=1 Write $Order(^g(1),2)\n            ^\n<FUNCTION>\n",
    ),
    # $ORDER reads a level ahead in batches: walks longer than a batch, levels with
    # descendants, jumps and the level above answer as a walk one step at a time does.
    (
        (
            "For i=1:1:100 { Set ^g(i)=i,^g(i,1)=0 }",
            'Set (k,n)=0 For { Set k=$O(^g(k)) Q:k=""  S n=n+k } Write n',
        ),
        "5050",
    ),
    (
        ("For i=1:1:100 { Set ^g(i)=i }", "Write $O(^g(50)),$O(^g(10)),$O(^g(99)),$O(^g(100))"),
        "5111100",
    ),
    (
        (
            "For i=1:1:40 { Set ^g(1,i)=i,^g(2,-i)=i }",
            'Write $O(^g(1,39)),$O(^g(2,-40)),$O(^g(1,""))',
        ),
        "40-391",
    ),
    (
        (
            "For i=1:1:50 { Set ^g(i)=i }",
            "Set k=$O(^g(20)) Kill ^g(22) Set ^g(21.5)=0",
            "W $O(^g(21))",
        ),
        "21.5",
    ),
    # -- $QUERY (RCOS_fquery): the next node with data, depth first, as a reference string
    (
        'Set ^g(1)=1,^g(1,"a")=2,^g(2)=3 Write $Query(^g("")),!,$Query(^g(1)),!,$Query(^g(1,"a"))',
        '^g(1)\n^g(1,"a")\n^g(2)',
    ),
    ('Set ^g(1,"a")=2 Write $Query(^g(1,"a"))="",$Query(^g)', '1^g(1,"a")'),
    ('Set a(1,2)=1,a(3)=2 Write $Query(a("")),",",$Query(a(1,2))', "a(1,2),a(3)"),
    # -- $DATA and $GET (RCOS_fdata, RCOS_fget)
    (
        "Set ^g(1)=1,^g(1,1)=1,^g(2,1)=1 Write $Data(^g),$Data(^g(1)),$Data(^g(2)),$Data(^g(3))",
        "1011100",
    ),
    ("Set ^g=5 Write $Data(^g)", "1"),
    ('Write $Get(^g(1)),"|",$Get(^g(1),"dflt")', "|dflt"),
    ('Set ^g(1)=0 Write $Get(^g(1),"dflt")', "0"),
    # -- undefined: the global is named with its caret, no asterisk (RCOS_vzerror); $ECODE M7
    #    (ISO 11756 errors, RERR_system_ansi)
    ('Write ^g(1,"a")', '\nWRITE ^g(1,"a")\n^\n<UNDEFINED> ^g(1,"a")\n'),
    (("Write ^g(2)", "Write $ECODE"), "\nWRITE ^g(2)\n^\n<UNDEFINED> ^g(2)\n,M7,"),
    ('Write ^g("")', '\nWRITE ^g("")\n^\n<SUBSCRIPT> *^g() Subscript 1 is ""\n'),
    # -- KILL (RCOS_ckill): a node and its whole subtree
    ("Set ^g(1)=1,^g(1,2)=2,^g(2)=3 Kill ^g(1) Write $Data(^g(1)),$Data(^g(1,2)),^g(2)", "003"),
    ("Set ^g=1,^g(1)=2 Kill ^g Write $Data(^g)", "0"),
    ("Set ^ga(1)=1,^g(1)=2 Kill ^g Write ^ga(1)", "1"),  # ^g's subtree is not ^ga's
    # -- ZWRITE (RCOS_czwrite)
    (
        ('Set ^g=0,^g(1)="a",^g(1,"x")=2.5,^g(2)=-1', "ZWrite ^g"),
        '^g=0\n^g(1)="a"\n^g(1,"x")=2.5\n^g(2)=-1\n',
    ),
    (("Set ^g(1)=1,^g(1,2)=2,^g(2)=3", "ZWrite ^g(1)"), "^g(1)=1\n^g(1,2)=2\n"),
    (('Set ^g(1)=$ListBuild(1,"a")', "ZWrite ^g"), '^g(1)=$lb(1,"a")\n'),
    # -- $INCREMENT (RCOS_fincrement)
    ("Write $Increment(^c),$Increment(^c),$Increment(^c,10),$Increment(^c,-.5)", "121211.5"),
    ('Set ^c(1)="7abc" Write $Increment(^c(1))', "8"),
    # -- MERGE (RCOS_cmerge): the source node and descendants, the destination's others kept
    (
        ("Set a=1,a(1)=2,a(1,2)=3", "Merge ^g(5)=a", "ZWrite ^g"),
        "^g(5)=1\n^g(5,1)=2\n^g(5,1,2)=3\n",
    ),
    (("Set ^g(1)=1,^g(1,1)=2,^g(2)=3", "Merge b=^g(1)", "ZWrite b"), "b=1\nb(1)=2\n"),
    (
        ("Set ^s(1)=1,^s(2)=2,^d(2)=9,^d(3)=3", "Merge ^d=^s", "ZWrite ^d"),
        "^d(1)=1\n^d(2)=2\n^d(3)=3\n",
    ),
    (("Set ^s(1)=1", "M ^d(1,2)=^s", "ZWrite ^d"), "^d(1,2,1)=1\n"),
    (("Merge ^d=^nothing", "Write $Data(^d)"), "0"),  # an undefined source merges nothing
    (("Set x(1)=1", 'Set n="^d" Merge @n=x', "ZWrite ^d"), "^d(1)=1\n"),
    # -- naked references (GGBL "Naked Global Reference"; RCOS_vzreference): ^( takes the name
    #    and all but the last subscript of the last global reference
    ('Set ^g(1,2)="a",^(3)="b" Write ^g(1,3)', "b"),
    ('Set ^g(1,2)="a" Write ^(2),$Data(^(5))', "a0"),
    ("Set ^g(1)=1,^(2,3)=4 Write ^g(2,3),^(3)", "44"),  # ^(2,3) moves the indicator to ^g(2,
    ("Write ^(1)", "\nWRITE ^(1)\n^\n<NAKED>\n"),
    (("Set ^g=1 Write ^(1)", "Write $ECODE"), "\nSET ^g=1 Write ^(1)\n         ^\n<NAKED>\n,M1,"),
    # -- process-private globals (GGBL; RCOS_vzerror for the error form)
    ('Set ^||p(1)="x",^p(1)="y" Write ^||p(1),^p(1)', "xy"),
    ('Set ^||p(2)=1,^||p(1)=1 Write $Order(^||p("")),$Query(^||p(1))', "1^||p(2)"),
    ("Write ^||p(9)", "\nWRITE ^||p(9)\n^\n<UNDEFINED> ^||p(9)\n"),
    (("Set ^||p=1", 'ZN "%SYS"', "Write ^||p"), "1"),  # in no namespace
    # -- percent globals are seen from every namespace (GORIENT_ch_enviro: ^% globals in CACHESYS)
    (("Set ^%pct=5,^loc=6", 'ZN "%SYS"', "Write ^%pct,$Data(^loc)"), "50"),
    # -- transactions (RCOS_ctstart, RCOS_CTROLLBACK, RCOS_vtlevel)
    ("TStart  Set ^t=1 TRollback  Write $Data(^t),$TLevel", "00"),
    ("Set ^t=1 TStart  Set ^t=2 TCommit  Write ^t,$TLevel", "20"),
    ("Set ^t=1 TStart  Kill ^t TRollback  Write ^t", "1"),  # a KILL comes back
    ("Set ^t(1)=1,^t(2)=2 TStart  Kill ^t TRollback  ZWrite ^t", "^t(1)=1\n^t(2)=2\n"),
    ("TStart  Set ^t(1)=1 Kill ^t Set ^t(2)=2 TRollback  Write $Data(^t)", "0"),
    ("TStart  TStart  Write $TLevel TCommit  Write $TLevel TCommit  Write $TLevel", "210"),
    ("TS  Set ^t=1 TS  Set ^t=2 TRO 1 Write ^t,$TL TC  Write ^t,$TL", "1110"),  # TROLLBACK 1
    ("TStart  Set ^t=1 TStart  Set ^t=2 TRollback  Write $Data(^t),$TLevel", "00"),
    ("TStart  Set x=1,^||p=1 TRollback  Write x,^||p", "11"),  # locals and ^|| stay
    ("TStart  Write $Increment(^c) TRollback  Write ^c", "11"),  # $INCREMENT is not undone
    ("TRollback  Write $TLevel", "0"),  # no transaction: no effect
    ("TCommit", "\nTCOMMIT\n^\n<COMMAND> *NoTransaction\n"),
    ("TRollback 2", "\nTROLLBACK 2\n^\n<SYNTAX>\n"),  # only the literal 1
    ("Set ^t=1 TStart  Set ^t=2 TStart:0  Write $TLevel", "1"),  # postconditional
]


@pytest.mark.parametrize(("code", "expected"), CASES, ids=[str(c) for c, _ in CASES])
def test_globals(bare_term: BareTerminal, code: str | tuple[str, ...], expected: str) -> None:
    assert run(bare_term, code) == expected


def test_a_transaction_shows_in_the_prompt(bare_term: BareTerminal) -> None:
    # "TL1:USER>" while a transaction is open ($TLEVEL, RCOS_vtlevel: terminal prompt).
    bare_term.run("TStart")
    assert bare_term.shell.prompt == "TL1:USER>"
    bare_term.run("TStart  TCommit  TCommit")
    assert bare_term.shell.prompt == "USER>"


def test_a_job_sees_the_globals_of_its_parent(bare_term: BareTerminal) -> None:
    bare_term.routine("j", "bg Set ^fromjob=^tojob+1\n Quit\n")
    assert bare_term.run("Set ^tojob=41 Job bg^j Write ^fromjob") == "42"


def test_a_job_ending_inside_its_transaction_rolls_back_only_its_own(
    bare_term: BareTerminal,
) -> None:
    # A process that halts inside a transaction has it rolled back (RCOS_ctstart); the parent's
    # open transaction in the same database is its own.
    bare_term.routine("j", "bg TStart  Set ^job=1,^t=2\n Quit\n")
    code = "TStart  Set ^t=1 Job bg^j Write $Data(^job),^t,$TLevel TRollback  Write $Data(^t)"
    assert bare_term.run(code) == "0110"
