"""A running instance is a process of its own: `control start` starts its service, which does
the instance's duties whether or not anyone is logged in, and `control stop` ends it and every
process it started. Run as a user runs it: the installed console script, real processes, real
license servers on loopback."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import LICENSE_SERVER_PERIOD, processes_started_under, run_cli, stop_instances

from cacheshell.system import instance_lock, processes
from cacheshell.system.domain_secret import SECRET_FILE
from cacheshell.system.keys import load_key
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.licserver.client import LicenseClient
from cacheshell.system.namespaces import Namespaces

PERIOD = LICENSE_SERVER_PERIOD


def ok(*args: str) -> str:
    done = run_cli(*args)
    assert done.returncode == 0, done
    return done.stdout


def eventually(probe: Callable[[], object], timeout: float = 20.0) -> object:
    deadline = time.monotonic() + timeout
    while not (value := probe()):
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r} after {timeout} s")
        time.sleep(0.05)
    return value


def service_pid(home: Path, name: str) -> int:
    pid = instance_lock.recorded_pid(InstanceLayout(home, name).mgr)
    assert pid is not None and instance_lock.is_held(InstanceLayout(home, name).mgr)
    return pid


def configure(home: Path, name: str, port: int) -> None:
    """The license server LS1 on this host in place of the default LOCAL, and a short update
    period (as a cpf may set)."""
    ok("servers", "--instance", name, "delete", "LOCAL")
    ok("servers", "--instance", name, "add", "LS1", "127.0.0.1", str(port))
    cpf = InstanceLayout(home, name).mgr / "cache.cpf"
    cpf.write_text(
        cpf.read_text().replace("[config]\n", f"[config]\nLicenseUpdatePeriod={PERIOD}\n")
    )


def listed(home: Path, name: str, port: int) -> list[str]:
    """The instance names the server at `port` lists for the instance's key (ActiveServerList),
    asked by an observer holding the key file."""
    key = load_key(InstanceLayout(home, name).mgr / "cache.key")
    with LicenseClient(key, "127.0.0.1", "OBSERVER", period=PERIOD, timeout=1.0) as client:
        rows = client.active_server_list(("127.0.0.1", port)) or []
    return [str(row[1]) for row in rows if str(row[2]) == str(key.file.order_number)]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def license_servers_under(home: Path) -> list[int]:
    return [pid for pid, cmdline in processes_started_under(home) if "license-server" in cmdline]


def test_the_service_runs_detached_and_stop_leaves_no_process(cacheshell_home: Path) -> None:
    ok("control", "create", "ONE")
    assert ok("-U", "USER", "Write 1") == "1\n"  # creates and starts the default instance too
    pids = {service_pid(cacheshell_home, name) for name in ("ONE", "CACHE")}
    running = {pid for pid, _ in processes_started_under(cacheshell_home)}
    assert pids <= running
    for pid in pids:  # its own session, no terminal: a daemon
        assert os.getsid(pid) == pid
    ok("control", "stop", "ONE")
    ok("control", "stop", "CACHE")
    assert processes_started_under(cacheshell_home) == []
    assert all(processes.ended(pid) for pid in pids)


def test_a_killed_service_is_seen_as_a_crash_and_a_start_recovers_everything(
    cacheshell_home: Path,
) -> None:
    ok("control", "create", "ONE")
    Namespaces(InstanceLayout(cacheshell_home, "ONE")).save_routine(
        "USER", "Hello", 'Hello\n Write "kept"\n Quit\n'
    )
    pid = service_pid(cacheshell_home, "ONE")
    os.kill(pid, signal.SIGKILL)
    eventually(lambda: not instance_lock.is_held(InstanceLayout(cacheshell_home, "ONE").mgr))
    assert f"down: its process {pid} ended without a shutdown (crashed)" in ok("control", "list")
    refused = run_cli("ONE", "-U", "USER", "Write 1")
    assert refused.returncode == 2
    assert refused.stderr == (
        f"cacheshell: instance ONE is down (its process {pid} ended without a shutdown); "
        "start it with: cacheshell control start ONE\n"
    )
    ok("control", "start", "ONE")
    log = ok("log", "ONE", "-n", "6")
    assert f"Instance ONE was not shut down: its process {pid} ended without a shutdown" in log
    assert ok("ONE", "-U", "USER", "Do ^Hello") == "kept\n"
    assert "5 units, Multi server" in ok("control", "list")


def test_an_idle_instance_keeps_reporting_to_its_license_server(
    cacheshell_home: Path, daemons: Callable[[str], int]
) -> None:
    port = daemons("ls1")
    ok("control", "create", "ONE")
    configure(cacheshell_home, "ONE", port)
    ok("control", "restart", "ONE")
    eventually(lambda: listed(cacheshell_home, "ONE", port) == ["ONE"])
    # Nobody is logged in; the server would drop a silent instance within a few periods.
    deadline = time.monotonic() + 5 * PERIOD
    while time.monotonic() < deadline:
        assert listed(cacheshell_home, "ONE", port) == ["ONE"]
        time.sleep(PERIOD / 2)
    ok("control", "stop", "ONE")  # it signs off: gone at once, not after the server's expiry
    assert listed(cacheshell_home, "ONE", port) == []


def test_the_instance_starts_its_local_server_and_its_stop_ends_it(
    cacheshell_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_udp_port()
    ok("control", "create", "ONE")
    configure(cacheshell_home, "ONE", port)
    ok("control", "restart", "ONE")
    eventually(lambda: listed(cacheshell_home, "ONE", port) == ["ONE"])
    servers = license_servers_under(cacheshell_home)
    assert len(servers) == 1
    for _ in range(3):  # sessions attach; none starts a server or does the monitor's work
        assert ok("ONE", "-U", "USER", "Write 1") == "1\n"
    assert license_servers_under(cacheshell_home) == servers
    ok("control", "stop", "ONE")
    assert processes_started_under(cacheshell_home) == []


def test_a_server_shared_with_another_install_outlives_the_instance_that_started_it(
    cacheshell_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two homes on one host (two users), each with an instance named CACHE: the first starts
    the server, both report to it, each counted as its own instance under its own key. The
    second home has a copy of the first's license domain secret, as the README says."""
    port = free_udp_port()
    other = tmp_path / "other-home"
    ok("-U", "USER", "Write 1")
    configure(cacheshell_home, "CACHE", port)
    ok("control", "restart", "CACHE")
    eventually(lambda: listed(cacheshell_home, "CACHE", port) == ["CACHE"])
    other.mkdir()
    shutil.copy2(cacheshell_home / SECRET_FILE, other / SECRET_FILE)
    monkeypatch.setenv("CACHESHELL_HOME", str(other))
    try:
        ok("-U", "USER", "Write 1")
        configure(other, "CACHE", port)
        ok("control", "restart", "CACHE")
        eventually(lambda: listed(other, "CACHE", port) == ["CACHE"])
        assert listed(cacheshell_home, "CACHE", port) == ["CACHE"]  # not displaced
        server = license_servers_under(cacheshell_home)
        assert len(server) == 1 and license_servers_under(other) == []

        monkeypatch.setenv("CACHESHELL_HOME", str(cacheshell_home))
        ok("control", "stop", "CACHE")
        assert license_servers_under(cacheshell_home) == server  # it serves the other install
        assert "goes on running" in ok("log", "CACHE", "-n", "3")
        monkeypatch.setenv("CACHESHELL_HOME", str(other))
        assert listed(other, "CACHE", port) == ["CACHE"]
        ok("control", "stop", "CACHE")
        # The last instance it served signed off: the server ended with that stop.
        assert license_servers_under(cacheshell_home) == []
    finally:
        monkeypatch.setenv("CACHESHELL_HOME", str(cacheshell_home))
        stop_instances(other)


def test_a_port_held_by_something_else_is_reported(
    cacheshell_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", 0))  # holds the port and never answers
        port = squatter.getsockname()[1]
        ok("control", "create", "ONE")
        configure(cacheshell_home, "ONE", port)
        ok("control", "restart", "ONE")
        expected = (
            f"Cannot start license server LS1: UDP port {port} on 127.0.0.1 is held by a "
            "program that does not answer as a license server"
        )
        eventually(lambda: expected in ok("log", "ONE"))
        assert license_servers_under(cacheshell_home) == []
        assert re.search(r"license server: +Not connected to License Server", ok("control", "list"))


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_tiny_update_period_is_raised_to_its_floor_and_the_service_stays_idle(
    cacheshell_home: Path,
) -> None:
    ok("control", "create", "ONE")
    cpf = InstanceLayout(cacheshell_home, "ONE").mgr / "cache.cpf"
    cpf.write_text(cpf.read_text().replace("[config]\n", "[config]\nLicenseUpdatePeriod=1e-6\n"))
    ok("control", "restart", "ONE")
    pid = service_pid(cacheshell_home, "ONE")
    expected = "LicenseUpdatePeriod=1e-6 is below the minimum of 0.2 seconds; using 0.2"
    eventually(lambda: expected in ok("log", "ONE"))
    before, started = cpu_seconds(pid), time.monotonic()
    time.sleep(2.0)
    share = (cpu_seconds(pid) - before) / (time.monotonic() - started)
    assert share < 0.1, f"an idle service used {share:.0%} of a core"
