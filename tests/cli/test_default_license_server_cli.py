"""The default path: a new instance is configured, as Caché's is, with the license server
LOCAL=127.0.0.1,4001, which it starts, so that ShowServer and ShowSummary answer out of the
box on its Multiserver training key. Run as a user runs it, through the installed console
script; the test's own port stands for 4001 (CACHESHELL_LICENSE_PORT, see tests/conftest.py).

Sources: Caché Parameter File Reference, [LicenseServers], "LOCAL=127.0.0.1,4001 - Default"
(https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=RCPF_LicenseServers_n);
Caché System Administration Guide, "Configuring Caché Licensing": the license server is started
by a running instance, serves several instances, and lives on after an instance's shutdown while
it serves others (https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=
GSA_license_config); %SYSTEM.License class reference: ShowServer and ShowSummary do not apply to a
Single-Server key (https://docs.intersystems.com/latest/csp/documatic/%25CSP.Documatic.cls?
CLASSNAME=%25SYSTEM.License&LIBRARY=%25SYS).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import processes_started_under, run_cli

SUMMARY = """
License Server summary view of active key.

         Distributed license use:
Current License Units Used =       {current}
Maximum License Units Used =       {current}
License Units     Enforced =       5
License Units   Authorized =       5

         Local license use:
Current Connections =      1  Maximum Connections =      1
Current Users       =      1  Maximum Users       =      1
"""


def ok(*args: str) -> str:
    done = run_cli(*args)
    assert done.returncode == 0, done
    return done.stdout


def port() -> int:
    return int(os.environ["CACHESHELL_LICENSE_PORT"])


def servers_under(home: Path) -> list[int]:
    return [pid for pid, cmdline in processes_started_under(home) if "license-server" in cmdline]


def eventually(probe: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"not so after {timeout} s")
        time.sleep(0.05)


def test_a_new_instance_has_the_default_line_in_its_cpf(cacheshell_home: Path) -> None:
    ok("control", "create", "ONE")
    cpf = (cacheshell_home / "ONE" / "mgr" / "cache.cpf").read_text(encoding="utf-8")
    assert cpf.endswith(f"[LicenseServers]\nLOCAL=127.0.0.1,{port()}\n")
    assert ok("servers", "--instance", "ONE", "list") == (
        f"LOCAL           127.0.0.1                               {port()}\n"
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "Do $System.License.ShowServer()",
            ["\nActive license server address = 127.0.0.1 port = {port}\n"],
        ),
        ("Write $System.License.ActiveServerCount()", ["1\n"]),
        # The first report may come before or after this session took its unit: the server
        # hears from an instance only periodically (the chapter says so of these reports).
        ("Do $System.License.ShowSummary()", [SUMMARY.format(current=n) for n in (0, 1)]),
    ],
)
def test_the_server_reports_work_on_the_first_command(code: str, expected: list[str]) -> None:
    # The first command creates and starts the instance; the report waits for the license
    # monitor's first cycle, which starts LOCAL and reports to it.
    assert ok("-U", "USER", code) in [text.format(port=port()) for text in expected]


def test_a_single_server_key_starts_no_license_server(
    cacheshell_home: Path, tmp_path: Path
) -> None:
    key = tmp_path / "single.key"
    ok("key", "issue", "--units", "5", "-o", str(key))
    ok("control", "create", "ONE", "--key", str(key))
    assert ok("ONE", "-U", "USER", "Do $System.License.ShowServer()") == (
        "\nSingle-server key: license servers do not apply\n"
    )
    assert servers_under(cacheshell_home) == []


def test_an_evaluation_instance_starts_no_license_server(cacheshell_home: Path) -> None:
    ok("control", "create", "EVAL", "--evaluation")
    assert ok("EVAL", "-U", "USER", "Write $System.License.ActiveServerCount()") == "0\n"
    assert servers_under(cacheshell_home) == []


def test_two_instances_share_one_server_and_the_last_to_stop_ends_it(
    cacheshell_home: Path,
) -> None:
    for name in ("ONE", "TWO"):
        ok("control", "create", name)
        assert ok(name, "-U", "USER", "Do $System.License.ShowServer()") == (
            f"\nActive license server address = 127.0.0.1 port = {port()}\n"
        )
    started = servers_under(cacheshell_home)
    assert len(started) == 1  # one license server per host serves both
    ok("control", "stop", "ONE")  # it started the server, which still serves TWO
    assert servers_under(cacheshell_home) == started
    assert (
        ok("log", "ONE", "-n", "2")
        .splitlines()[0]
        .endswith(
            f"License server at 127.0.0.1 port {port()} serves 1 other instance(s): "
            "it goes on running"
        )
    )
    ok("control", "stop", "TWO")  # the last one signs off: nobody needs the server now
    eventually(lambda: servers_under(cacheshell_home) == [], timeout=5)
    assert processes_started_under(cacheshell_home) == []


def test_a_default_port_held_by_another_program_is_told_and_the_instance_runs(
    cacheshell_home: Path,
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", port()))  # holds the port and never answers
        assert ok("-U", "USER", "Do $System.License.ShowServer()") == (
            "\nNot connected to License Server\n"
        )
        assert (
            f"Cannot start license server LOCAL: UDP port {port()} on 127.0.0.1 is held by a "
            "program that does not answer as a license server"
        ) in ok("log", "-n", "5")
        assert servers_under(cacheshell_home) == []


def test_a_license_port_setting_that_is_not_a_port_stops_the_creation(
    cacheshell_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CACHESHELL_LICENSE_PORT", "80")
    done = run_cli("control", "create", "ONE")
    assert (done.stdout, done.stderr, done.returncode) == (
        "",
        "cacheshell control: CACHESHELL_LICENSE_PORT=80: Port 80 is outside 1024-65535\n",
        2,
    )
    assert not (cacheshell_home / "ONE" / "mgr" / "cache.cpf").exists()
