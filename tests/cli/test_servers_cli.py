"""`cacheshell servers list|add|delete`: [LicenseServers] from the shell."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import run_cli

from cacheshell.system.cpf import Cpf
from cacheshell.system.instance import CPF_FILE
from cacheshell.system.layout import InstanceLayout


def local_row(mark: str = "") -> str:
    """The row of the server every new instance is configured with: Caché's default LOCAL."""
    return f"{'LOCAL':<16}{'127.0.0.1':<40}{os.environ['CACHESHELL_LICENSE_PORT']}{mark}"


# Servers on addresses of other hosts (192.0.2.0/24 is for documentation): the instance never
# starts them, so no test starts a daemon on a port a developer's instances use.
def test_add_list_delete() -> None:
    assert run_cli("-U", "USER", "Write 1").returncode == 0  # the default instance exists
    added = run_cli("servers", "add", "main", "192.0.2.1", "4001")
    assert (added.returncode, added.stdout.splitlines()[0]) == (
        0,
        "Added license server MAIN (192.0.2.1,4001).",
    )
    assert "you may need to restart the Caché instance" in added.stdout
    run_cli("servers", "add", "backup", "lic2.example.com", "4002")
    listed = run_cli("servers", "list")
    # Several: the active one (LOCAL, which the instance started and reports to) is marked.
    assert listed.stdout.splitlines() == [
        local_row(" (active)"),
        f"{'MAIN':<16}{'192.0.2.1':<40}4001",
        f"{'BACKUP':<16}{'lic2.example.com':<40}4002",
    ]
    assert run_cli("servers", "delete", "Main").returncode == 0
    assert run_cli("servers", "delete", "local").returncode == 0
    assert run_cli("servers", "list").stdout.splitlines() == [
        f"{'BACKUP':<16}{'lic2.example.com':<40}4002"
    ]


def test_adding_and_deleting_write_the_console_log_line_config_licenseservers_writes(
    cacheshell_home: Path,
) -> None:
    assert run_cli("-U", "USER", "Write 1").returncode == 0
    run_cli("servers", "add", "main", "192.0.2.1", "4001")
    run_cli("servers", "delete", "main")
    log = (cacheshell_home / "CACHE" / "mgr" / "cconsole.log").read_text(encoding="utf-8")
    restart = (
        "After adding or deleting a license server, you may need to restart the Caché "
        "instance in order for the change to take effect."
    )
    noted = [line.split(") 0 ", 1)[1] for line in log.splitlines() if "server MAIN" in line]
    assert noted == [
        f"License server MAIN added (192.0.2.1,4001). {restart}",
        f"License server MAIN deleted. {restart}",
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


def test_a_line_with_port_0_is_not_used_and_list_says_why(cacheshell_home: Path) -> None:
    run_cli("-U", "USER", "Write 1")
    cpf = Cpf(InstanceLayout(cacheshell_home, "CACHE").mgr / CPF_FILE)
    cpf.remove("LicenseServers", "LOCAL")
    cpf.set("LicenseServers", "LS1", "127.0.0.1,0")
    cpf.set("LicenseServers", "LS2", "192.0.2.1,4002")
    cpf.save()
    listed = run_cli("servers", "list")
    assert (listed.returncode, listed.stdout, listed.stderr) == (
        0,
        f"{'LS2':<16}{'192.0.2.1':<40}4002\n",
        "cacheshell servers: [LicenseServers] LS1=127.0.0.1,0 is not used: "
        "Port 0 is outside 1024-65535\n",
    )
    assert run_cli("servers", "delete", "LS2").returncode == 0
    alone = run_cli("servers", "list")
    assert (alone.stdout, alone.stderr) == (
        "No usable license servers are configured for CACHE.\n",
        "cacheshell servers: [LicenseServers] LS1=127.0.0.1,0 is not used: "
        "Port 0 is outside 1024-65535\n",
    )


def test_instance_option_anywhere_on_the_line(cacheshell_home: Path) -> None:
    assert run_cli("control", "create", "two", "--evaluation").returncode == 0
    for words in (
        ("servers", "add", "main", "192.0.2.1", "4001", "--instance", "TWO"),
        ("servers", "add", "backup", "--instance", "two", "192.0.2.1", "4002"),
        ("--instance", "TWO", "servers", "add", "third", "192.0.2.1", "4003"),
        ("servers", "delete", "third", "--instance=TWO"),
    ):
        done = run_cli(*words)
        assert (done.stderr, done.returncode) == ("", 0), words
    expected = [
        local_row(),  # an evaluation instance reports to no server: none is marked
        f"{'MAIN':<16}{'192.0.2.1':<40}4001",
        f"{'BACKUP':<16}{'192.0.2.1':<40}4002",
    ]
    for words in (
        ("servers", "list", "--instance", "TWO"),
        ("servers", "--instance", "TWO", "list"),
        ("--instance", "two", "servers", "list"),
    ):
        assert run_cli(*words).stdout.splitlines() == expected, words
    cpf = Cpf(InstanceLayout(cacheshell_home, "CACHE").mgr / CPF_FILE)
    assert cpf.section("LicenseServers") == {}  # the default instance was not touched


def test_instance_option_without_a_name_or_twice_is_refused() -> None:
    assert (run_cli("servers", "list", "--instance").stderr, 2) == (
        "cacheshell: --instance needs an instance name\n",
        2,
    )
    twice = run_cli("servers", "--instance", "CACHE", "list", "--instance", "TWO")
    assert (twice.stderr, twice.returncode) == (
        "cacheshell: --instance is given twice: CACHE and TWO\n",
        2,
    )
    missing = run_cli("servers", "delete", "x", "--instance", "NOPE")
    assert (missing.stderr, missing.returncode) == (
        "cacheshell servers: no instance named NOPE\n",
        2,
    )
