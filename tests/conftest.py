"""Shared fixtures: every test gets a fresh CACHESHELL_HOME; nothing touches the user's home."""

from __future__ import annotations

import io
import os
import re
import select
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Self

import pytest

import cacheshell.library  # noqa: F401  (registers the ObjectScript classes, for BareTerminal too)
from cacheshell.lang.host import BareHost
from cacheshell.lang.shell import Shell
from cacheshell.session import Session
from cacheshell.system import lifecycle, processes


@pytest.fixture(autouse=True)
def cacheshell_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "cacheshell-home"
    monkeypatch.setenv("CACHESHELL_HOME", str(home))
    # A new instance is configured as Caché's is, with a license server on this host, which it
    # starts; its port is one of the test's own (the documented CACHESHELL_LICENSE_PORT), so a
    # test shares no server with the developer's instances on 4001 or with another test.
    monkeypatch.setenv("CACHESHELL_LICENSE_PORT", str(free_udp_port()))
    # Likewise its Management Portal: new instances look for a web port from one of the test's
    # own (the documented CACHESHELL_WEB_PORT), never the developer's 57772.
    monkeypatch.setenv("CACHESHELL_WEB_PORT", str(free_tcp_port()))
    yield home
    stop_home(home)


# The tests that let a new instance look for its portal's port from 57772 up, as a user's
# install does (no CACHESHELL_WEB_PORT), run in one pytest-xdist worker (--dist loadgroup), one
# at a time, so that two of them never count on the same free port.
DEFAULT_WEB_PORT = pytest.mark.xdist_group("default-web-port")


def free_udp_port() -> int:
    """A UDP port of the loopback address that nothing holds now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_tcp_port() -> int:
    """A TCP port of the loopback address that nothing holds now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_home(home: Path) -> None:
    """Stop what a home runs: its instances, then any license server started for it."""
    stop_instances(home)
    _kill_license_servers(home)


def stop_instances(home: Path) -> None:
    """Stop every running instance of a home, as `cacheshell control stop` does."""
    lifecycle.stop_all(home)


def _command_lines() -> Iterator[tuple[int, bytes]]:
    """Every other live process and its command line, NUL-separated."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            words = processes.command_words(int(entry.name))
            if words:
                yield int(entry.name), b"\0".join(words)


def processes_started_under(base: Path) -> list[tuple[int, str]]:
    """Live processes whose command line names a path under `base` (instance services and
    license servers started for a test's home)."""
    marker = str(base).encode()
    return [
        (pid, cmdline.replace(b"\0", b" ").decode(errors="replace"))
        for pid, cmdline in _command_lines()
        if marker in cmdline
    ]


# What the product starts in the background: an instance's service, a license server.
_DAEMON_MARKERS = (b"cacheshell.frontends.instance_process", b"license-server")
_SESSION_STARTED: list[int] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    _SESSION_STARTED.append(processes.start_time(os.getpid()) or 0)


def _left_running(base: Path) -> list[tuple[int, str]]:
    """The suite's leftovers: processes under its temporary directory, and daemons this
    interpreter started since the session began (wherever their home was)."""
    left = dict(processes_started_under(base))
    since = _SESSION_STARTED[0] if _SESSION_STARTED else 0
    # The path as this interpreter was started (tests/../.venv/bin/python) may be spelled
    # otherwise by an xdist worker (.venv/bin/python): both name the same file. Not resolved
    # further: another worktree's venv links to the same system Python.
    interpreter = os.path.abspath(sys.executable).encode()
    for pid, cmdline in _command_lines():
        words = cmdline.split(b"\0")
        if os.path.abspath(words[0]) != interpreter or not any(
            m in cmdline for m in _DAEMON_MARKERS
        ):
            continue
        if (processes.start_time(pid) or -1) >= since:
            left[pid] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return sorted(left.items())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The suite leaves no process behind: any still running is listed, killed, and fails the
    run. Under pytest-xdist the controller looks, once every worker has finished: a worker
    would take the daemons of tests still running in another worker for leftovers. The
    workers' temporary directories lie under the controller's."""
    if hasattr(session.config, "workerinput"):
        return
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    left = _left_running(factory.getbasetemp())
    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue
    if left:
        listing = "\n".join(f"  {pid} {cmdline}" for pid, cmdline in left)
        sys.stderr.write(f"\nprocesses left running by the suite:\n{listing}\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _kill_license_servers(home: Path) -> None:
    """Any license server started for this test's home (by an instance, or left by the test)."""
    run = home / "run"
    pids = set()
    for path in run.glob("licenseserver-*.pid"):
        pids.update(path.read_text(encoding="utf-8").split()[:1])  # empty when the disk was full
    started = run / "started.pids"
    if started.exists():
        pids.update(started.read_text(encoding="ascii").split())
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"license-server" in cmdline.read():
                    os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError):
            continue


class ShellTerminal:
    """A Shell whose output is captured, as a test drives it: what the terminal shows."""

    def __init__(self, shell: Shell, buffer: io.StringIO) -> None:
        self.shell = shell
        self.buffer = buffer

    def run(self, code: str) -> str:
        """Run code as one input; return what the terminal shows (output, or the error block)."""
        start = self.buffer.tell()
        outcome = self.shell.execute(code)
        if outcome.error is not None:
            self.buffer.write(self.shell.error_text(outcome.error))
        return self.buffer.getvalue()[start:]

    def close(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class BareTerminal(ShellTerminal):
    """The language alone: a Shell on the bare interpreter host, with no instance and no
    license, its routines held in memory."""

    def __init__(self) -> None:
        buffer = io.StringIO()
        self.host = BareHost()
        super().__init__(Shell(self.host, buffer.write), buffer)

    def routine(self, name: str, text: str, namespace: str = "USER") -> None:
        self.host.save_routine(namespace, name, text)


class Terminal(ShellTerminal):
    """A licensed Session: opening one attaches a process to the instance, taking a license
    unit."""

    def __init__(self, namespace: str = "USER", user: str | None = None) -> None:
        buffer = io.StringIO()
        self.session = Session(namespace=namespace, user=user, sink=buffer.write)
        super().__init__(self.session, buffer)

    def routine(self, name: str, text: str, namespace: str = "USER") -> None:
        self.session.store.save_routine(namespace, name, text)

    def close(self) -> None:
        """The session's process ends, returning its license unit."""
        self.session.close()


@pytest.fixture
def term() -> Iterator[Terminal]:
    with Terminal() as terminal:
        yield terminal


@pytest.fixture
def bare_term() -> BareTerminal:
    return BareTerminal()


def run_cli(
    *args: str, stdin: str | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    exe = Path(sys.executable).with_name("cacheshell")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "cacheshell"]
    return subprocess.run(
        command + list(args),
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=dict(os.environ),
    )


# A short update period, so that tests of license servers see several periods in a second.
LICENSE_SERVER_PERIOD = 0.3


def start_license_server(
    directory: Path, period: float = LICENSE_SERVER_PERIOD, idle_exit: float = 120
) -> tuple[subprocess.Popen[str], int]:
    """A `cacheshell license-server` on a free loopback port: the process and its port. What
    it writes on stderr goes to DIRECTORY/daemon.stderr (see daemon_stderr)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / DAEMON_STDERR, "w", encoding="utf-8") as stderr:
        process = _license_server_process(directory, period, idle_exit, stderr)
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 60)
    line = process.stdout.readline() if ready else ""
    found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    if not found:
        stop_processes([process])
        raise AssertionError(f"the daemon did not start: {line!r}")
    return process, int(found.group(1))


def stop_processes(processes: list[subprocess.Popen[str]]) -> None:
    """Terminate (then kill) and reap every process a test started."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Callable[[str], int]]:
    """Start license servers on free ports (their port); every one is stopped at the end (the
    home fixture above kills any server an instance started)."""
    started: list[subprocess.Popen[str]] = []

    def start(name: str) -> int:
        process, port = start_license_server(tmp_path / name)
        started.append(process)
        return port

    try:
        yield start
    finally:
        stop_processes(started)


DAEMON_STDERR = "daemon.stderr"


def daemon_stderr(directory: Path) -> str:
    """What a license server started by start_license_server wrote on stderr."""
    return (directory / DAEMON_STDERR).read_text(encoding="utf-8")


def _license_server_process(
    directory: Path, period: float, idle_exit: float, stderr: IO[str]
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cacheshell",
            "license-server",
            "--address",
            "127.0.0.1",
            "--port",
            "0",
            "--dir",
            str(directory),
            "--period",
            str(period),
            "--idle-exit",
            str(idle_exit),
        ],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=dict(os.environ),
    )


# -- the Management Portal in a real browser (tests/browser/portal_browser.py) --------------------
@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium under Playwright, one for the whole run."""
    from portal_browser import launch_browser

    yield from launch_browser()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser context (no cookies) and a page in it."""
    from portal_browser import new_page

    yield from new_page(browser)


@pytest.fixture
def portal() -> object:
    """The default instance, created and started as a user does; its portal's address."""
    from portal_browser import start_instance

    return start_instance()
