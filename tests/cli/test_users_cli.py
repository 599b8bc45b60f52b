"""`cacheshell user add|list|delete|password|enable` and the roles a `--user NAME` session then
holds, as a user types them."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from conftest import run_cli

from cacheshell.system import users


def test_a_defined_user_holds_its_roles_and_an_undefined_one_none(cacheshell_home: Path) -> None:
    assert run_cli("Write 1").stdout == "1\n"  # creates and starts CACHE
    added = run_cli("user", "add", "ann", "--role", "%Admin_Manage", "--instance", "CACHE")
    listed = run_cli("user", "list")
    ann = run_cli("--user", "ann", 'Write $ROLES," ",$SYSTEM.License.SetUserLimit(0)')
    eve = run_cli("--user", "eve", 'Write "[",$ROLES,"]" Do $SYSTEM.License.SetUserLimit(0)')
    mode = stat.S_IMODE((cacheshell_home / "CACHE" / "mgr" / "users.json").stat().st_mode)
    assert (added.stdout, listed.stdout, ann.stdout, eve.stdout, oct(mode)) == (
        "User ann of CACHE holds %Admin_Manage.\n",
        "Name         Roles          Login\n"
        "UnknownUser  %All           no password (predefined)\n"
        "_SYSTEM      %All           default password (predefined)\n"
        "ann          %Admin_Manage  no password\n",
        "%Admin_Manage 5\n",
        '[]\n\nWRITE "[",$ROLES,"]" Do $SYSTEM.License.SetUserLimit(0)\n'
        "                     ^\n<PROTECT>\n",
        "0o600",
    )


def test_predefined_users_stay_and_a_deleted_user_loses_its_roles(cacheshell_home: Path) -> None:
    assert run_cli("Write 1").stdout == "1\n"
    run_cli("user", "add", "ann", "--role", "%Admin_Manage")
    deleted = run_cli("user", "delete", "ann")
    ann = run_cli("--user", "ann", 'Write "[",$ROLES,"]"')
    refused = run_cli("user", "delete", "_system")
    system = run_cli("--user", "_SYSTEM", "Write $ROLES")
    assert (deleted.stdout, ann.stdout, refused.stderr, refused.returncode, system.stdout) == (
        "User ann of CACHE deleted.\n",
        "[]\n",
        "cacheshell user: _SYSTEM is predefined and cannot be deleted\n",
        1,
        "%All\n",
    )


def test_passwords_come_from_stdin_and_open_a_portal_login(cacheshell_home: Path) -> None:
    assert run_cli("Write 1").stdout == "1\n"
    mgr = cacheshell_home / "CACHE" / "mgr"
    added = run_cli("user", "add", "OPERATOR", "--password-stdin", stdin="secret\nignored\n")
    changed = run_cli("user", "password", "_SYSTEM", "--password-stdin", stdin="n3w\n")
    listed = run_cli("user", "list")
    logins = [
        users.authenticate(mgr, name, password).outcome
        for name, password in (("OPERATOR", "secret"), ("_SYSTEM", "n3w"), ("_SYSTEM", "SYS"))
    ]
    stored = (mgr / "users.json").read_text()
    assert (added.stdout, changed.stdout, listed.stdout, logins, "secret" in stored) == (
        "User OPERATOR of CACHE holds no role and a password.\n",
        "Password of _SYSTEM of CACHE changed.\n",
        "Name         Roles   Login\n"
        "UnknownUser  %All    no password (predefined)\n"
        "_SYSTEM      %All    password set (predefined)\n"
        "OPERATOR     (none)  password set\n",
        [users.Outcome.OK, users.Outcome.OK, users.Outcome.INVALID],
        False,
    )


def test_enable_lets_a_user_the_invalid_login_limit_disabled_log_in_again(
    cacheshell_home: Path,
) -> None:
    assert run_cli("Write 1").stdout == "1\n"
    mgr = cacheshell_home / "CACHE" / "mgr"
    run_cli("user", "add", "ann", "--password-stdin", stdin="right\n")
    for attempt in range(users.INVALID_LOGIN_LIMIT):
        users.authenticate(mgr, "ann", f"wrong{attempt}")
    disabled = run_cli("user", "list", "--instance", "CACHE").stdout.splitlines()[-1]
    enabled = run_cli("user", "enable", "ann")
    again = run_cli("user", "enable", "ANN")
    listed = run_cli("user", "list").stdout.splitlines()[-1]
    assert (disabled, enabled.stdout, again.stdout, listed) == (
        "ann          (none)  password set, disabled",
        "User ann of CACHE enabled: its invalid login count is cleared.\n",
        "User ann of CACHE was not disabled; its invalid login count is 0.\n",
        "ann          (none)  password set",
    )
    assert users.authenticate(mgr, "ann", "right").outcome is users.Outcome.OK


@pytest.mark.parametrize(
    ("words", "stdin", "status", "said"),
    [
        # Never an argument, where `ps` shows it.
        (
            ("password", "_SYSTEM", "secret"),
            "",
            2,
            "cacheshell user: error: unrecognized arguments: secret\n",
        ),
        (
            ("password", "_SYSTEM"),
            "",
            1,
            "cacheshell user: no terminal to type the password at: use --password-stdin\n",
        ),
        (
            ("password", "_SYSTEM", "--password-stdin"),
            "",
            1,
            "cacheshell user: --password-stdin: stdin is empty\n",
        ),
        (
            ("password", "_SYSTEM", "--password-stdin"),
            "\n",
            1,
            "cacheshell user: a password is 1 to 128 characters, without NUL\n",
        ),
        (
            ("password", "nobody", "--password-stdin"),
            "x\n",
            1,
            "cacheshell user: no user named nobody\n",
        ),
        (
            ("password", "UnknownUser", "--password-stdin"),
            "x\n",
            1,
            "cacheshell user: UnknownUser has no password: it is who unauthenticated processes"
            " are\n",
        ),
        (("enable", "nobody"), "", 1, "cacheshell user: no user named nobody\n"),
    ],
)
def test_a_password_or_enable_that_cannot_be_done_says_why_in_one_line(
    words: tuple[str, ...], stdin: str, status: int, said: str
) -> None:
    assert run_cli("Write 1").stdout == "1\n"
    done = run_cli("user", *words, stdin=stdin)
    last = done.stderr.splitlines(keepends=True)[-1:]
    assert (done.returncode, "".join(last), done.stdout) == (status, said, "")
