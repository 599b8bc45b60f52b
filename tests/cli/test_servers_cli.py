"""`cacheshell servers list|add|delete`: [LicenseServers] from the shell."""

from __future__ import annotations

from conftest import run_cli


def test_add_list_delete() -> None:
    assert run_cli("-U", "USER", "Write 1").returncode == 0  # the default instance exists
    added = run_cli("servers", "add", "main", "127.0.0.1", "4001")
    assert (added.returncode, added.stdout.splitlines()[0]) == (
        0,
        "Added license server MAIN (127.0.0.1,4001).",
    )
    assert "you may need to restart the instance" in added.stdout
    run_cli("servers", "add", "backup", "lic2.example.com", "4002")
    listed = run_cli("servers", "list")
    assert listed.stdout.splitlines() == [
        f"{'MAIN':<16}{'127.0.0.1':<40}4001",
        f"{'BACKUP':<16}{'lic2.example.com':<40}4002",
    ]
    assert run_cli("servers", "delete", "Main").returncode == 0
    assert run_cli("servers", "list").stdout.splitlines() == [
        f"{'BACKUP':<16}{'lic2.example.com':<40}4002"
    ]


def test_bad_definitions_and_unknown_instances_exit_2() -> None:
    run_cli("-U", "USER", "Write 1")
    bad = run_cli("servers", "add", "x", "127.0.0.1", "99")
    assert (bad.returncode, bad.stderr) == (
        2,
        "cacheshell servers: Port 99 is outside 1024-65535\n",
    )
    missing = run_cli("servers", "--instance", "NOPE", "list")
    assert (missing.returncode, missing.stderr) == (
        2,
        "cacheshell servers: no instance named NOPE\n",
    )
    assert run_cli("servers", "delete", "ghost").stderr == (
        "cacheshell servers: License server GHOST does not exist\n"
    )
