"""A 20-line documentation cell, parsed, compiled and run in a warm session, each run a new text.

Each run changes a literal (the first line's `Set n=...`), so nothing cached by text helps: every
run lexes, parses, compiles and runs all 20 lines. The baseline does the same in CPython on the
same machine: compile() and exec() of a 20-line Python equivalent, also a new text each run.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cacheshell.session import Session

RUNS = 300

# The kinds of lines the README and the licensing guide show, as one notebook cell.
CELL = [
    "Set n={n}",
    'Write " Username Licensing",! Write " 1-enabled, 0-disabled",!',
    "Write $SYSTEM.License.UserNameLicensing(),!",
    'Write "units: ",$System.License.LUConsumed(),!',
    "Set x = 4 + n  Write x,!",
    'Set line="a,b,c,d" Set $Piece(line,",",3)=n Write $Extract(line,2,*-1),!',
    "Set total=0 For i=1:1:10 { Set total=total+i If total>20 { Quit } }",
    'If n#2 { Write "odd" } ElseIf n=2 { Write "two" } Else { Write "even" }',
    "Write !",
    "Try { Set x=1/0 } Catch ex { Write ex.DisplayString(),! }",
    'Set sc=##class(%SYSTEM.Status).Error(5001,"failed "_n)',
    "Write $System.Status.GetErrorText(sc),!",
    'Set y=$Select(n=2:"two",1:"many"),z=$Case(y,"two":2,:0)',
    'Write $Length(y)," ",z,!',
    'Set list=$ListBuild("a","b",n) Write $ListLength(list),!',
    "Kill (n,list)  Write $Data(list),!",
    'Set s="" For i=1:1:5 { Set s=s_i_"," } Write s,!',
    'Write $ZConvert("hello","U"),!',
    'Write $Find("abcdef","cd")," ",$Reverse("abc"),!',
    "Write $Justify(3.14159,10,2),!",
]

PYTHON_CELL = [
    "n = {n}",
    'out(" Username Licensing\\n"); out(" 1-enabled, 0-disabled\\n")',
    "out(str(int(bool(flags.get('username')))) + '\\n')",
    "out('units: ' + str(len(flags)) + '\\n')",
    "x = 4 + n; out(str(x) + '\\n')",
    'line = "a,b,c,d".split(","); line[2] = str(n); line = ",".join(line); out(line[1:-1] + "\\n")',
    "total = 0\nfor i in range(1, 11):\n    total += i\n    if total > 20:\n        break",
    'out("odd" if n % 2 else "two" if n == 2 else "even")',
    "out('\\n')",
    "try:\n    x = 1 / 0\nexcept ZeroDivisionError as ex:\n    out(str(ex) + '\\n')",
    'sc = (5001, "failed " + str(n))',
    "out('ERROR #%d: %s\\n' % sc)",
    'y = "two" if n == 2 else "many"; z = {"two": 2}.get(y, 0)',
    'out(str(len(y)) + " " + str(z) + "\\n")',
    'lst = ("a", "b", n); out(str(len(lst)) + "\\n")',
    "del n, lst; out(str(int('lst' in dir())) + '\\n')",
    's = ""\nfor i in range(1, 6):\n    s = s + str(i) + ","\nout(s + "\\n")',
    'out("hello".upper() + "\\n")',
    'out(str("abcdef".find("cd") + 3) + " " + "abc"[::-1] + "\\n")',
    'out("%10.2f" % 3.14159 + "\\n")',
]


def _per_run(fn: Callable[[int], object]) -> float:
    """The median seconds of one run, over RUNS runs each given its own number."""
    times = []
    for i in range(RUNS):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def measure(session: Session) -> tuple[float, float]:
    """(seconds per cell in cacheshell, seconds per cell in CPython)."""
    cell = "\n".join(CELL)
    python = "\n".join(PYTHON_CELL)
    written: list[str] = []
    # Warm: the instance, the classes the cell calls. The cell must run without an error.
    outcome = session.run_cell(cell.replace("{n}", "-1")).outcome
    if outcome.error is not None:
        raise RuntimeError(f"the benchmark cell fails: {session.error_text(outcome.error)}")

    def ours(i: int) -> None:
        session.run_cell(cell.replace("{n}", str(i)))

    def theirs(i: int) -> None:
        code = compile(python.replace("{n}", str(i)), "<cell>", "exec")
        exec(code, {"out": written.append, "flags": {}})

    return _per_run(ours), _per_run(theirs)
