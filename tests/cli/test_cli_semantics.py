"""A sample of the semantics table run through the installed console script.

`cacheshell -U NS CODE` runs CODE once, as `csession inst -U NS "code"` does, and exits:
status 0 on success, non-zero after an untrapped error (application mode: the error is shown,
then an implicit HALT).  With no CODE the lines of stdin are read and run one by one.
Before exiting, and before each new prompt, the terminal starts a fresh line when output is
pending on the current one.
"""

from __future__ import annotations

import re

import pytest
from conftest import run_cli

# (code, expected stdout) for code that succeeds: exit status 0
SUCCEEDS = [
    ("Write 1+2*3", "9\n"),
    ("Write 3+5*6-4", "44\n"),
    ('Write "4"=4.00,"004.0"=4', "10\n"),
    ("Write 355/113", "3.141592920353982301\n"),
    ('Write "a",!', "a\n"),  # nothing pending: no extra newline
    ("Set (a,b)=1 Write a+b", "2\n"),
    ("For i=1:1:3 Write i", "123\n"),
    ('Set x(1)="a" ZWrite x', 'x(1)="a"\n'),
    ("Try { Write 1/0 } Catch ex { Write ex.Name }", "<DIVIDE>\n"),
    ("Write $System.Status.IsOK(1)", "1\n"),
    ("Write $NAMESPACE", "USER\n"),
    ("Write $USERNAME", "UnknownUser\n"),
    (
        'Set sc=$$$ERROR($$$GeneralError,"x") Write $System.Status.GetErrorText(sc)',
        "ERROR #5001: x\n",
    ),
]


@pytest.mark.parametrize(("code", "expected"), SUCCEEDS, ids=[c for c, _ in SUCCEEDS])
def test_code_argument_succeeds(code, expected):
    proc = run_cli("-U", "USER", code)
    assert (proc.stdout, proc.returncode) == (expected, 0), proc.stderr


# (code, expected stdout) for code that ends in an untrapped error: non-zero exit status
FAILS = [
    ("Write zz", "\nWRITE zz\n^\n<UNDEFINED> *zz\n"),
    ("Write 1 Write 1/0", "1\n\nWRITE 1 Write 1/0\n        ^\n<DIVIDE>\n"),
    ("Do ^nope", "\nDO ^nope\n^\n<NOROUTINE> *nope\n"),
    (
        "Write $System.Status.Foo()",
        "\nWRITE $System.Status.Foo()\n^\n<METHOD DOES NOT EXIST> *Foo,%SYSTEM.Status\n",
    ),
    ('ZN "NOPE"', '\nZN "NOPE"\n^\n<NAMESPACE> *NOPE\n'),
    (
        'Write "a" Write zz Write "never"',
        'a\n\nWRITE "a" Write zz Write "never"\n          ^\n<UNDEFINED> *zz\n',
    ),
]


@pytest.mark.parametrize(("code", "expected"), FAILS, ids=[c for c, _ in FAILS])
def test_code_argument_untrapped_error(code, expected):
    proc = run_cli("-U", "USER", code)
    assert proc.stdout == expected, proc.stderr
    assert proc.returncode != 0


def test_namespace_option_sets_namespace():
    proc = run_cli("-U", "%SYS", "Write $NAMESPACE")
    assert (proc.stdout, proc.returncode) == ("%SYS\n", 0), proc.stderr


def test_namespace_option_lowercase():
    proc = run_cli("-U", "%sys", "Write $ZNSPACE")
    assert (proc.stdout, proc.returncode) == ("%SYS\n", 0), proc.stderr


def test_unknown_namespace_option_fails():
    proc = run_cli("-U", "NOPE", "Write 1")
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert "NAMESPACE" in proc.stderr


def test_version_is_the_one_cache_release():
    proc = run_cli("-U", "USER", "Write $ZVERSION")
    assert proc.returncode == 0
    assert re.fullmatch(
        r"Cache for UNIX \(.+\) 2018\.1\.5 \(Build 659U\) Mon Mar 22 2021 07:03:57 EDT\n",
        proc.stdout,
    )


# (stdin lines, expected stdout, expected exit status) with no code argument
STDIN = [
    ("Set x=1\nWrite x+1\n", "2\n", 0),
    ("Set x=5\nSet y=x*2\nWrite y\n", "10\n", 0),
    ("Write 1\nWrite 2\n", "1\n2\n", 0),  # each prompt starts on a fresh line
    ("For i=1:1:3 {\n Write i\n}\n", "123\n", 0),  # an open brace continues the input
    ('ZN "%SYS"\nWrite $NAMESPACE\n', "%SYS\n", 0),
    ("Write 1\nHalt\nWrite 2\n", "1\n", 0),  # HALT ends the session
    ("Write zz\nWrite 5\n", "\nWRITE zz\n^\n<UNDEFINED> *zz\n5\n", 1),  # errors do not stop it
    ("Set x=1\n\nWrite x\n", "1\n", 0),  # blank lines are skipped
]


@pytest.mark.parametrize(
    ("stdin", "expected", "status"), STDIN, ids=[s.replace("\n", "|") for s, _, _ in STDIN]
)
def test_lines_from_stdin(stdin, expected, status):
    proc = run_cli("-U", "USER", stdin=stdin)
    assert proc.stdout == expected, proc.stderr
    assert (proc.returncode != 0) == bool(status)
