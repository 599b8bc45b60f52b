"""Every code line of the licensing chapter, typed verbatim, has its observable effect.

The csession and cache command lines are in test_csession.py; the license server's reports with
a server running are in tests/server/test_instances_and_servers.py. Here each line runs through
the installed console script in a fresh default instance.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from conftest import run_cli


def run(line: str, cwd: Path | None = None) -> str:
    done = run_cli("-U", "%SYS", line, cwd=cwd)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_help_lists_the_methods() -> None:
    out = run("Do $System.License.Help()")
    assert out.startswith(
        "'Do $system.License.Help(method)' will display a full description "
        "of an individual method.\n\nMethods of the class: %SYSTEM.License\n"
    )
    for member in ("CKEY()", "ShowCounts()", "UserNameLicensing(OnOffState)", "Upgrade()"):
        assert f"\n{member}\n" in out


def test_ckey_displays_the_key() -> None:
    out = run("Do $System.License.CKEY()")
    assert "\nCache Key display:\n" in out
    assert "     CustomerName =      cacheshell training\n" in out
    assert "     ExpirationDate =    12/31/2099\n" in out


def test_show_counts_summarizes_local_use() -> None:
    lines = run("Do $System.License.ShowCounts()").splitlines()
    assert lines[1:4] == [
        "     5 Total authorized license units",
        "     4 Current available license units",
        "     4 Minimum available license units",
    ]


@pytest.mark.parametrize(
    ("line", "name", "first"),
    [
        (
            "Do $System.License.DumpLocalAll()",
            "all.dmp",
            "License Capacity = 5, Current use = 1, Units Remaining = 4",
        ),
        (
            "Do $System.License.DumpLocalInUse()",
            "inuse.dmp",
            "License Capacity = 5, Current use = 1, Units Remaining = 4",
        ),
        (
            "Do $System.License.DumpLocalPID()",
            "piduse.dmp",
            "PID\tProcess\tLID\tType\tCon\tMaxCon\tCSPCon\tLU\tActive\tGrace",
        ),
    ],
)
def test_local_dumps_write_their_files_in_the_current_directory(
    tmp_path: Path,
    cacheshell_home: Path,
    line: str,
    name: str,
    first: str,
) -> None:
    # Caché's current directory is the namespace's: mgr/ for %SYS (CACHESYS), not the shell's.
    run(line, cwd=tmp_path)
    assert not (tmp_path / name).exists()
    text = (cacheshell_home / "CACHE" / "mgr" / name).read_text(encoding="utf-8")
    assert text.splitlines()[0].rstrip() == first.rstrip()


@pytest.mark.parametrize(
    "line",
    [
        "Do $System.License.ShowServer()",
        "Do $System.License.ShowSummary()",
        "Do $System.License.DumpServer()",
        "Do $System.License.DumpServers()",
        "Do $System.License.DumpKey()",
        "Do $System.License.DumpKeys()",
    ],
)
def test_server_reports_say_when_no_server_answers(line: str) -> None:
    # The default server's port is held by a program that is no license server: the instance
    # cannot start its server and runs on, not connected.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", int(os.environ["CACHESHELL_LICENSE_PORT"])))
        assert "Not connected to License Server" in run(line)


# The chapter: "The output files are in the indicated directory on the host where the active
# license server is running" (Methods to Show License Server Information). On the default path
# the active server is the one the instance started, LOCAL, writing into mgr/licenseserver/.
@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("Do $System.License.DumpServer()", "dumpserver.txt"),
        ("Do $System.License.DumpServers()", "dumpservers.txt"),
        ("Do $System.License.DumpKey()", "dumpkey.txt"),
        ("Do $System.License.DumpKeys()", "dumpkeys.txt"),
    ],
)
def test_server_dumps_work_out_of_the_box(cacheshell_home: Path, line: str, name: str) -> None:
    directory = cacheshell_home / "CACHE" / "mgr" / "licenseserver"
    assert run(line) == (
        f"\n{name} written on host {socket.gethostname()} in directory {directory}\n"
    )
    assert (directory / name).is_file()


def test_the_username_licensing_examples() -> None:
    assert run(
        'Write " Username Licensing",! Write " 1-enabled, 0-disabled",! '
        "Write $SYSTEM.License.UserNameLicensing(),!"
    ) == (" Username Licensing\n 1-enabled, 0-disabled\n0\n")
    assert (
        run(
            "Set RC=$SYSTEM.License.UserNameLicensing(1) Write RC,! "
            "Set RC=$SYSTEM.License.UserNameLicensing(0) Write RC"
        )
        == "0\n1\n"
    )


def test_upgrade_from_a_session_returns_one() -> None:
    assert run("Write ##Class(%SYSTEM.License).Upgrade()") == "1\n"


def test_defer_user_identification_and_login() -> None:
    assert run("Write $System.License.DeferUserIdentification(1)") == "0\n"
    assert run('Write $System.License.Login("nurse"),!,$System.License.GetUserId()') == (
        "1\nnurse@127.0.0.1\n"
    )
    assert run("Write $System.License.DeferUserIdentification(0)") == "1\n"


def test_max_connections() -> None:
    assert (
        run('Set maxconn=$System.License.MaxConnections() Write "Maximum connections = ",maxconn')
        == "Maximum connections = 25\n"
    )
