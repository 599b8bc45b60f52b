"""`cacheshell user add|list|delete` and the roles a `--user NAME` session then holds, as a user
types them."""

from __future__ import annotations

import stat
from pathlib import Path

from conftest import run_cli


def test_a_defined_user_holds_its_roles_and_an_undefined_one_none(cacheshell_home: Path) -> None:
    assert run_cli("Write 1").stdout == "1\n"  # creates and starts CACHE
    added = run_cli("user", "add", "ann", "--role", "%Admin_Manage", "--instance", "CACHE")
    listed = run_cli("user", "list")
    ann = run_cli("--user", "ann", 'Write $ROLES," ",$SYSTEM.License.SetUserLimit(0)')
    eve = run_cli("--user", "eve", 'Write "[",$ROLES,"]" Do $SYSTEM.License.SetUserLimit(0)')
    mode = stat.S_IMODE((cacheshell_home / "CACHE" / "mgr" / "users.json").stat().st_mode)
    assert (added.stdout, listed.stdout, ann.stdout, eve.stdout, oct(mode)) == (
        "User ann of CACHE holds %Admin_Manage.\n",
        "Name         Roles\n"
        "UnknownUser  %All  (predefined)\n"
        "_SYSTEM      %All  (predefined)\n"
        "ann          %Admin_Manage\n",
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
