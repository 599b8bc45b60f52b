"""Where each instance's Management Portal listens, as a user sees it: the web server port a
new instance gets in cache.cpf (57772 for the first, the next free one for the next, as Caché's
private web server does: `ccontrol list` shows "WebServer = 57772"), `control list` naming the
portal while the instance runs, an instance whose port is taken running on without its portal,
and [Startup] WebServer=0 turning the web server off; `control start` saying which of these it
is; and a cache.cpf made again (deleted, or its port spoiled) keeping the portal's port."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from conftest import DEFAULT_WEB_PORT, run_cli

FIRST = 57772


def free(port: int) -> bool:
    """Whether nothing on this host listens on (127.0.0.1, port) now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def first_free(start: int) -> int:
    return next(port for port in range(start, 65536) if free(port))


def web_port(home: Path, name: str) -> str:
    text = (home / name / "mgr" / "cache.cpf").read_text()
    found = re.search(r"^WebServerPort=(.*)$", text, flags=re.M)
    return found.group(1) if found else ""


def listed(name: str, row: str) -> str:
    """A row of `cacheshell control list NAME`, as it is printed."""
    shown = run_cli("control", "list", name).stdout
    found = re.search(rf"^\s+{row}:\s+(.*)$", shown, flags=re.M)
    return found.group(1) if found else "(no such row)"


def listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@DEFAULT_WEB_PORT
def test_the_first_instance_gets_57772_and_the_next_the_next_free_port(
    cacheshell_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CACHESHELL_WEB_PORT")  # the default, as a user's install has it
    first = first_free(FIRST)
    assert run_cli("control", "create", "ONE").returncode == 0
    second = first_free(first + 1)  # ONE's portal now holds `first`
    assert run_cli("control", "create", "TWO").returncode == 0
    assert (web_port(cacheshell_home, "ONE"), web_port(cacheshell_home, "TWO")) == (
        str(first),
        str(second),
    )


def test_control_list_shows_the_port_and_the_portal_while_the_instance_runs(
    cacheshell_home: Path,
) -> None:
    run_cli("control", "create", "CACHE")
    port = web_port(cacheshell_home, "CACHE")
    running = (listed("CACHE", "conf file"), listed("CACHE", "portal"))
    run_cli("control", "stop", "CACHE")
    down = (listed("CACHE", "conf file"), listed("CACHE", "portal"))
    assert (running, down) == (
        (f"cache.cpf  (WebServer = {port})", f"http://127.0.0.1:{port}/csp/sys/UtilHome.csp"),
        (f"cache.cpf  (WebServer = {port})", "(no such row)"),
    )


def test_a_taken_port_leaves_the_instance_running_without_its_portal(
    cacheshell_home: Path,
) -> None:
    run_cli("control", "create", "CACHE")
    run_cli("control", "stop", "CACHE")
    port = int(web_port(cacheshell_home, "CACHE"))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen(1)
        started = run_cli("control", "start", "CACHE")
        state = (listed("CACHE", "status").split(",")[0], listed("CACHE", "portal"))
        run_cli("control", "stop", "CACHE")
    log = (cacheshell_home / "CACHE" / "mgr" / "cconsole.log").read_text()
    warned = re.findall(r"\(\d+\) (1 Management Portal: cannot listen .*)", log)
    assert (started.returncode, started.stdout.splitlines()[-1], state, warned) == (
        0,
        f"Management Portal: not listening (port {port} is in use; see the console log)",
        ("running", "not listening"),
        [
            f"1 Management Portal: cannot listen on 127.0.0.1 port {port} (Address already in"
            " use); the instance runs without its portal"
        ],
    )


def test_web_server_0_in_cache_cpf_starts_no_listener(cacheshell_home: Path) -> None:
    run_cli("control", "create", "CACHE")
    run_cli("control", "stop", "CACHE")
    cpf = cacheshell_home / "CACHE" / "mgr" / "cache.cpf"
    cpf.write_text(cpf.read_text().replace("WebServer=1", "WebServer=0"))
    port = int(web_port(cacheshell_home, "CACHE"))
    said = run_cli("control", "start", "CACHE").stdout.splitlines()[-1]
    state = (listed("CACHE", "conf file"), listed("CACHE", "portal"), listening(port))
    log = (cacheshell_home / "CACHE" / "mgr" / "cconsole.log").read_text()
    assert said == "Management Portal: disabled ([Startup] WebServer=0)"
    assert state == ("cache.cpf  (WebServer off)", "not listening", False)
    assert "0 Management Portal: the web server is disabled ([Startup] WebServer=0)" in log


def test_a_cache_cpf_deleted_while_the_portal_listens_is_made_again_with_its_port(
    cacheshell_home: Path,
) -> None:
    run_cli("control", "create", "CACHE")
    port = web_port(cacheshell_home, "CACHE")
    (cacheshell_home / "CACHE" / "mgr" / "cache.cpf").unlink()
    # The next session (or the service's next look) makes cache.cpf again; the running portal
    # holds its port, which must not send the new file to the next one.
    run_cli("-U", "%SYS", "Write 1")
    restored = web_port(cacheshell_home, "CACHE")
    restarted = run_cli("control", "restart", "CACHE").stdout.splitlines()[-1]
    run_cli("control", "stop", "CACHE")
    assert (restored, restarted) == (
        port,
        f"Management Portal: http://127.0.0.1:{port}/csp/sys/UtilHome.csp",
    )


# [Startup] WebServerPort sets the web server's port (cache.cpf reference,
# https://docs.intersystems.com/latest/csp/docbook/Doc.View.cls?KEY=RCPF_Startup); a value that
# is no port number cannot be used: the instance keeps the port its portal had, and says so.
@pytest.mark.parametrize("value", ["abc", ""])
def test_a_web_server_port_that_is_not_a_port_is_replaced_by_the_one_it_had_and_logged(
    cacheshell_home: Path, value: str
) -> None:
    run_cli("control", "create", "CACHE")
    run_cli("control", "stop", "CACHE")
    port = web_port(cacheshell_home, "CACHE")
    cpf = cacheshell_home / "CACHE" / "mgr" / "cache.cpf"
    cpf.write_text(cpf.read_text().replace(f"WebServerPort={port}", f"WebServerPort={value}"))
    said = run_cli("control", "start", "CACHE").stdout.splitlines()[-1]
    run_cli("control", "stop", "CACHE")
    log = (cacheshell_home / "CACHE" / "mgr" / "cconsole.log").read_text()
    warned = re.findall(r"\(\d+\) 1 (\[Startup\] WebServerPort.*)", log)
    assert (said, web_port(cacheshell_home, "CACHE"), warned) == (
        f"Management Portal: http://127.0.0.1:{port}/csp/sys/UtilHome.csp",
        port,
        [
            f"[Startup] WebServerPort={value} in cache.cpf is not a port (1-65535): the web "
            f"server uses port {port} instead"
        ],
    )
