"""Completion and inspection, as the REPL, the magic and the kernel share them.

`session.complete(text, cursor)` returns (start, matches); the matches replace
text[start:cursor]. Names follow the case typed: all lower gives lower, a capital then lower
gives Capitalized, anything else the upper-case names of the tables.
"""

from __future__ import annotations

import pytest
from conftest import Terminal

from cacheshell.lang.objects import REGISTRY


@pytest.fixture
def term_with_locals(term: Terminal) -> Terminal:
    term.run("Set abc=1,abd(1)=2,Xyz=3,%p=4")
    return term


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # $SYSTEM classes and their class methods
        ("Write $System.License.UserN", (22, ["UserNameLicensing"])),
        ("Write $SYSTEM.License.userN", (22, ["UserNameLicensing"])),
        ("Write $system.St", (14, ["Status"])),
        ("Write $SY.Ver", (10, ["Version"])),
        ("Do $System.Status.Is", (18, ["IsError", "IsOK"])),
        ("Do $System.Status.DisplayE", (18, ["DisplayError"])),
        ("Do $System.NoSuch.X", (18, [])),
        # ##class( names and members
        ("Set v=##class(%SYSTEM.Vers", (14, ["%SYSTEM.Version"])),
        ("Set v=##class(%SYSTEM.Version).Get", (31, ["GetNumber", "GetVersion"])),
        ("Set v=##CLASS( %SYSTEM.Status ).Is", (32, ["IsError", "IsOK"])),
        ("Set v=##class(%SYSTEM.Version).H", (31, ["Help"])),
        ("Set o=##class(%DynamicO", (14, ["%DynamicObject"])),
        ("Set o=##class(No.Such).", (23, [])),
        # $ functions and special variables
        ("Write $Pi", (6, ["$Piece"])),
        ("Write $pi", (6, ["$piece"])),
        ("Write $LISTB", (6, ["$LISTBUILD"])),
        ("Write $zv", (6, ["$zversion"])),
        ("Write $NAMES", (6, ["$NAMESPACE"])),
        ("Write $Se", (6, ["$Select"])),
        ("Write $$fo", (10, [])),
        # commands where a command may start
        ("wr", (0, ["write"])),
        ("Wr", (0, ["Write"])),
        ("W", (0, ["WHILE", "WRITE"])),
        ("Z", (0, ["ZNSPACE", "ZWRITE"])),
        ("Set x=1 K", (8, ["KILL"])),
        ("Quit:x  h", (8, ["halt", "hang"])),
        ("If x { Wr", (7, ["Write"])),
        ("For i=1:1:3 {\n Wr", (15, ["Write"])),
        # local variable names elsewhere (case-sensitive, as variables are)
        ("Write ab", (6, ["abc", "abd"])),
        ("Write X", (6, ["Xyz"])),
        ("Write x", (6, [])),
        ("Set y=%", (6, ["%p"])),
        ("If ab", (3, ["abc", "abd"])),
        # nothing to offer
        ('Write "$Pi', (10, [])),
        ("Write 1 ; $Pi", (13, [])),
        ("Set x=a.b", (9, [])),
        ("Write ^ab", (9, [])),
        ("Write 1E", (8, [])),
    ],
)
def test_completion(term_with_locals: Terminal, text: str, expected: tuple[int, list[str]]) -> None:
    assert term_with_locals.session.complete(text, len(text)) == expected


def test_the_matches_replace_the_typed_prefix(term: Terminal) -> None:
    text = "Write $System.License.UserN(),!"
    cursor = len("Write $System.License.UserN")
    start, matches = term.session.complete(text, cursor)
    completed = text[:start] + matches[0] + text[cursor:]
    assert completed == "Write $System.License.UserNameLicensing(),!"


def test_every_system_class_and_every_license_class_method_is_offered(term: Terminal) -> None:
    start, classes = term.session.complete("$System.", 8)
    assert (start, classes) == (8, sorted(REGISTRY.system_class_names(), key=str.lower))
    license_class = REGISTRY.resolve("%SYSTEM.License")
    _, methods = term.session.complete("$System.License.", 16)
    assert methods == sorted(REGISTRY.all_class_methods(license_class), key=str.lower)
    assert {"Help", "Login", "UserNameLicensing", "Upgrade"} <= set(methods)


def test_an_empty_line_offers_every_command(term: Terminal) -> None:
    assert term.session.complete("", 0) == (
        0,
        [
            "CATCH",
            "CONTINUE",
            "DO",
            "ELSE",
            "ELSEIF",
            "FOR",
            "HALT",
            "HANG",
            "IF",
            "JOB",
            "KILL",
            "LOCK",
            "MERGE",
            "NEW",
            "QUIT",
            "RETURN",
            "SET",
            "TCOMMIT",
            "THROW",
            "TROLLBACK",
            "TRY",
            "TSTART",
            "WHILE",
            "WRITE",
            "XECUTE",
            "ZNSPACE",
            "ZWRITE",
        ],
    )


@pytest.mark.parametrize(
    ("text", "cursor", "expected"),
    [
        (
            "Write ##class(%SYSTEM.Status).IsError(sc)",
            37,
            "%SYSTEM.Status.IsError(sc)\n\nReturn 1 if the status is an error, else 0.",
        ),
        (
            "Write $SYSTEM.Status.IsError(sc)",
            24,  # the cursor inside the name
            "%SYSTEM.Status.IsError(sc)\n\nReturn 1 if the status is an error, else 0.",
        ),
        (
            "Write $SYSTEM.Status.IsError(sc)",
            30,  # the cursor inside the parentheses
            "%SYSTEM.Status.IsError(sc)\n\nReturn 1 if the status is an error, else 0.",
        ),
        ('Write $Piece(x,",",2)', 12, "$PIECE ($P): Delimited field(s) of a string."),
        ('Write $P(x,",",2)', 11, "$PIECE ($P): Delimited field(s) of a string."),
        ("Write $P", 8, "$PRINCIPAL ($P): a special variable."),
        ("Write $zv", 9, "$ZVERSION ($ZV): a special variable."),
        (
            "Write $Get(x)",
            10,
            '$GET ($G): A variable\'s value, or a default ("") when it is undefined.',
        ),
        ("Write x", 7, None),
        ("Write $System.NoSuch.Login()", 26, None),
        ("Write $System.Status.NoSuch()", 27, None),
    ],
)
def test_inspection(term: Terminal, text: str, cursor: int, expected: str | None) -> None:
    assert term.session.inspect(text, cursor) == expected


def test_shift_tab_on_license_login_shows_its_signature_summary_and_details(term: Terminal) -> None:
    member = REGISTRY.resolve("%SYSTEM.License").class_methods["Login"]
    text = "Do $System.License.Login"
    shown = term.session.inspect(text, len(text))
    assert shown == "\n\n".join(
        [f"%SYSTEM.License.Login{member.signature or '()'}", member.summary]
        + ([member.details] if member.details else [])
    )
    assert "Log this process in" in shown


def test_a_class_shows_its_summary_and_class_methods(term: Terminal) -> None:
    assert term.session.inspect("Do $System.Version", 18) == (
        "%SYSTEM.Version\n\nThe product version and its parts.\n\n"
        "Class methods: GetNumber, GetVersion, Help"
    )
