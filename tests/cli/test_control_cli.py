"""`cacheshell control create|list|start|stop|restart`, `cacheshell log` and `cacheshell events`,
run as a user runs them (a subprocess)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from conftest import run_cli

from cacheshell.system.layout import InstanceLayout
from cacheshell.system.namespaces import Namespaces

TRAINING_KEY = "5 units, Multi server, Concurrent User, Enterprise"
ACTIVATED = "License key cache.key activated: 5 license units (Concurrent User, Multi server)"


def ok(*args: str) -> str:
    done = run_cli(*args)
    assert (done.stderr, done.returncode) == ("", 0), done
    return done.stdout


def refused(*args: str) -> str:
    done = run_cli(*args)
    assert (done.stdout, done.returncode) == ("", 2), done
    return done.stderr


def web_port(home: Path, name: str) -> int:
    """The web server port the instance was given in its cache.cpf."""
    found = re.search(
        r"^WebServerPort=(\d+)$", (home / name / "mgr" / "cache.cpf").read_text(), re.M
    )
    assert found
    return int(found.group(1))


def block(home: Path, name: str, status: str, license_text: str, server: str = "") -> str:
    """A `control list` block; a running instance (`server` given) also shows its portal."""
    port = web_port(home, name)
    portal = f"http://127.0.0.1:{port}/csp/sys/UtilHome.csp"
    return (
        f"Instance '{name}'\n"
        f"        directory:       {home / name}\n"
        "        versionid:       2018.1.5.659.0\n"
        f"        conf file:       cache.cpf  (WebServer = {port})\n"
        f"        status:          {status}\n"
        + (
            f"        license server:  {server}\n        portal:          {portal}\n"
            if server
            else ""
        )
        + f"        license:         {license_text}\n"
    )


def started(text: str, name: str, before: str = ACTIVATED) -> int:
    """The service's pid from what a start printed, after checking the rest of it: last, where
    its Management Portal listens."""
    port = web_port(Path(os.environ["CACHESHELL_HOME"]), name)
    portal = f"Management Portal: http://127.0.0.1:{port}/csp/sys/UtilHome.csp"
    found = re.fullmatch(
        rf"{re.escape(before)}\nInstance '{name}' started \(pid (\d+)\)\n{re.escape(portal)}\n",
        text,
    )
    assert found, text
    return int(found.group(1))


def test_create_starts_the_instance_and_list_shows_it_running(cacheshell_home):
    created = ok("control", "create", "test")
    head = f"Instance 'TEST' created in {cacheshell_home / 'TEST'}"
    assert created.startswith(head + "\n")
    pid = started(created[len(head) + 1 :], "TEST")
    listed = ok("control", "list")
    status = re.search(r"status: +(.*)", listed)
    assert status and re.fullmatch(
        rf"running, since .+ \(up \d\d:\d\d:\d\d\), pid {pid}", status.group(1)
    )
    # Connected to the license server of Caché's default configuration, LOCAL, which it started
    # (the report waits for the license monitor's first cycle after the start).
    local = f"LOCAL at 127.0.0.1 port {os.environ['CACHESHELL_LICENSE_PORT']}"
    assert listed == block(cacheshell_home, "TEST", status.group(1), TRAINING_KEY, local)
    assert refused("control", "create", "Test") == (
        f"cacheshell control: instance TEST already exists in {cacheshell_home}\n"
    )


def test_list_with_no_instance_says_so(cacheshell_home):
    assert ok("control", "list") == f"No instances in {cacheshell_home}\n"


def test_start_stop_restart_and_a_stopped_instance_refuses_sessions(cacheshell_home):
    ok("control", "create", "TEST")
    assert refused("control", "start", "TEST") == (
        "cacheshell control: instance TEST is already running\n"
    )
    assert ok("test", "-U", "USER", "Write 6*7") == "42\n"
    assert ok("control", "stop", "Test") == "Instance 'TEST' stopped\n"
    assert ok("control", "list") == block(cacheshell_home, "TEST", "down", TRAINING_KEY)
    done = run_cli("TEST", "-U", "USER", "Write 1")
    assert (done.stdout, done.stderr, done.returncode) == (
        "",
        "cacheshell: instance TEST is down; start it with: cacheshell control start TEST\n",
        2,
    )
    assert refused("control", "stop", "TEST") == (
        "cacheshell control: instance TEST is not running\n"
    )
    started(ok("control", "start", "test"), "TEST")
    restarted = ok("control", "restart", "TEST")
    assert restarted.startswith("Instance 'TEST' stopped\n")
    started(restarted.removeprefix("Instance 'TEST' stopped\n"), "TEST")


def test_an_evaluation_instance_needs_no_key(cacheshell_home):
    created = ok("control", "create", "eval", "--evaluation")
    started(created.split("\n", 1)[1], "EVAL", "Evaluation instance: capacity 5 license units")
    assert not (cacheshell_home / "EVAL" / "mgr" / "cache.key").exists()
    ok("control", "stop", "EVAL")
    assert ok("control", "list") == block(cacheshell_home, "EVAL", "down", "Evaluation, 5 units")


def test_create_with_a_key_installs_it(cacheshell_home, tmp_path):
    key = tmp_path / "big.key"
    ok("key", "issue", "--units", "50", "--type", "Named User", "-o", str(key))
    ok("control", "create", "BIG", "--key", str(key))
    ok("control", "stop", "BIG")
    assert (cacheshell_home / "BIG" / "mgr" / "cache.key").read_text() == key.read_text()
    assert ok("control", "list") == block(
        cacheshell_home, "BIG", "down", "50 units, Single server, Named User, Enterprise"
    )


def test_an_invalid_key_is_refused_with_its_reason_and_nothing_is_created(
    cacheshell_home, tmp_path
):
    key = tmp_path / "cache.key"
    ok("key", "issue", "--units", "50", "-o", str(key))
    key.write_text(
        key.read_text().replace("CustomerName=cacheshell training", "CustomerName=someone else")
    )
    assert refused("control", "create", "BAD", "--key", str(key)) == (
        f"cacheshell control: {key}: License key signature is not valid: the key was changed "
        "after it was issued, or its issuer is not trusted\n"
    )
    assert refused("control", "create", "BAD", "--key", str(tmp_path / "none.key")) == (
        f"cacheshell control: cannot read {tmp_path / 'none.key'}: No such file or directory\n"
    )
    assert not (cacheshell_home / "BAD").exists()


def test_unknown_instances_and_bad_names_are_refused(cacheshell_home):
    assert refused("control", "start", "nope") == (
        f"cacheshell control: no instance named nope in {cacheshell_home}\n"
    )
    assert refused("events", "nope") == (
        f"cacheshell events: no instance named nope in {cacheshell_home}\n"
    )
    assert refused("control", "create", "9lives") == (
        "cacheshell control: not an instance name: '9lives' (a letter, then letters, digits, _)\n"
    )


def test_log_shows_the_tail_of_the_console_log(cacheshell_home):
    pid = started(ok("control", "create", "TEST").split("\n", 1)[1], "TEST")
    # ShowServer waits for the service's first license-monitor cycle: the server is started.
    assert "Active license server" in ok("TEST", "-U", "USER", "Do $System.License.ShowServer()")
    ok("control", "stop", "TEST")
    port = os.environ["CACHESHELL_LICENSE_PORT"]
    portal = f"http://127.0.0.1:{web_port(cacheshell_home, 'TEST')}/csp/sys/UtilHome.csp"
    lines = ok("log", "test", "-n", "8").splitlines()
    server = re.search(r"\(pid (\d+)\)$", lines[4])
    assert server is not None
    assert [line.split(" ", 3)[1:] for line in lines] == [
        [lines[0].split()[1], "0", ACTIVATED],
        [lines[1].split()[1], "0", "Instance TEST started"],
        [f"({pid})", "0", f"Management Portal: listening at {portal}"],
        [f"({pid})", "0", f"Instance service started (pid {pid})"],
        [
            f"({pid})",
            "0",
            f"Started license server LOCAL at 127.0.0.1 port {port} (pid {server.group(1)})",
        ],
        [f"({pid})", "0", f"Active license server LOCAL (127.0.0.1 port {port})"],
        [
            f"({pid})",
            "0",
            f"Stopped license server at 127.0.0.1 port {port} (pid {server.group(1)})",
        ],
        [f"({pid})", "0", "Instance TEST shut down"],
    ]


def test_events_show_the_license_history(cacheshell_home):
    ok("control", "create", "TEST")
    ok("TEST", "-U", "USER", "Write 1")
    lines = ok("events", "TEST").splitlines()
    assert lines[0] == (
        "Time                 Kind         License ID                PID         Detail"
    )
    # The instance's first report to its license server (a "server" row) is made by its
    # service as the session comes and goes, before, between or after these: left aside.
    users = [line for line in lines[1:] if line.split()[2] != "server"]
    assert [line.split()[2:4] + [line.split(None, 5)[5]] for line in users] == [
        ["grant", "127.0.0.1", "units +1"],
        ["release", "127.0.0.1", "process ended"],
    ]
    assert len(ok("events", "TEST", "-n", "1").splitlines()) == 2


def test_start_runs_system_zstart(cacheshell_home):
    ok("control", "create", "TEST")
    Namespaces(InstanceLayout(cacheshell_home, "TEST")).save_routine(
        "%SYS", "%ZSTART", 'SYSTEM\n Write "hello from zstart"\n Quit\n'
    )
    ok("control", "restart", "TEST")
    assert "SYSTEM^%ZSTART: hello from zstart" in ok("log", "TEST")


def test_a_new_instance_configures_the_one_cache_release(cacheshell_home):
    ok("control", "create", "eval", "--evaluation")
    cpf = (cacheshell_home / "EVAL" / "mgr" / "cache.cpf").read_text(encoding="utf-8")
    assert "[ConfigFile]\nProduct=Cache\nVersion=2018.1\n" in cpf


def test_instance_option_names_the_instance_anywhere(cacheshell_home):
    ok("control", "create", "--evaluation", "--instance", "eval")
    assert ok("control", "stop", "--instance", "EVAL") == "Instance 'EVAL' stopped\n"
    assert ok("--instance", "eval", "control", "list") == block(
        cacheshell_home, "eval".upper(), "down", "Evaluation, 5 units"
    )
    assert ok("control", "list", "EVAL") == ok("control", "list", "--instance=eval")
    started(
        ok("control", "start", "EVAL", "--instance", "eval"),
        "EVAL",
        "Evaluation instance: capacity 5 license units",
    )
    ok("control", "stop", "EVAL")
    assert ok("log", "-n", "1", "--instance", "EVAL").endswith(" 0 Instance EVAL shut down\n")
    assert ok("events", "--instance", "EVAL", "-n", "0") == (
        "Time                 Kind         License ID                PID         Detail\n"
    )


def test_two_instances_or_none_are_refused(cacheshell_home):
    ok("control", "create", "eval", "--evaluation")
    assert refused("control", "stop", "EVAL", "--instance", "CACHE") == (
        "cacheshell control: two instances named: EVAL and --instance CACHE\n"
    )
    assert refused("control", "restart") == (
        "cacheshell control: restart needs an instance: cacheshell control restart NAME\n"
    )
    assert refused("control", "list", "nope") == (
        f"cacheshell control: no instance named nope in {cacheshell_home}\n"
    )
    assert refused("log", "--instance", "nope") == (
        f"cacheshell log: no instance named nope in {cacheshell_home}\n"
    )
