"""A clumsy administrator's attack on an instance's files: every file under mgr/ of a started
instance is deleted, truncated, overwritten with random bytes, made read-only or unreadable (and
the file system filled up), and real CLI commands are run on it. None may end in a Python
traceback, none may exit 0 without having done its job, and the key is never lost.

Each command runs the installed CLI's entry point (cacheshell.frontends.cli.main) in a forked
child, exactly as the console script calls it, with its own stdout and stderr and its atexit
work done as at exit: the interpreter's start-up is the only thing skipped, which keeps some
600 runs within a minute and a half.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import processes_started_under, stop_home

from cacheshell.system import instance_lock
from cacheshell.system.instance import InstanceError
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.processes import wait_until

# Python's own traceback text; an ObjectScript error block never holds any of these.
TRACEBACK_MARKS = ("Traceback", 'File "/', "Error: ", "Exception ignored")
INSTANCE = "CACHE"


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    @property
    def traceback(self) -> bool:
        text = self.out + self.err
        # "Error: " is Python's "sqlite3.OperationalError: ..." (never the product's wording).
        return any(mark in text for mark in TRACEBACK_MARKS)


def cli(*args: str) -> Run:
    """`cacheshell ARGS` in a forked child: the console script's main(), then its exit work."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os._exit(_child(args, out.fileno(), err.fileno()))
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        return Run(args, os.waitstatus_to_exitcode(status), out.read(), err.read())


def _child(args: tuple[str, ...], out_fd: int, err_fd: int) -> int:
    import atexit

    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    sys.stdin = open(os.devnull, encoding="utf-8")
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
    exits: list[Callable[[], Any]] = []
    # What the command registers to run at exit runs here (the parent's own handlers do not).
    atexit.register = lambda f, *a, **k: exits.append(lambda: f(*a, **k)) or f  # type: ignore[assignment]
    atexit.unregister = lambda f: None  # type: ignore[assignment]
    code = 1
    try:
        from cacheshell.frontends.cli import main

        code = main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - printed as the interpreter would
        traceback.print_exc()
    for done in reversed(exits):
        try:
            done()
        except BaseException:  # noqa: BLE001 - printed as the interpreter would
            sys.stderr.write("Exception ignored in atexit callback\n")
            traceback.print_exc()
    sys.stdout.flush()
    sys.stderr.flush()
    return code


# What a command prints when it did its job: exit 0 must come with it.
@dataclass(frozen=True)
class Command:
    args: tuple[str, ...]
    done: Callable[[Run], bool]


SESSION_COMMANDS = (
    Command(
        ("-U", "USER", "Write $System.License.LUConsumed()"),
        lambda r: r.out.strip().isdigit(),
    ),
    Command(
        ("Do $System.License.ShowCounts()",),
        lambda r: "Total authorized license units" in r.out,
    ),
    Command(("Set ^x=1",), lambda r: r.out == ""),
    Command(("log",), lambda r: True),
)
STOP = Command(("control", "stop", INSTANCE), lambda r: "stopped" in r.out)
START = Command(("control", "start", INSTANCE), lambda r: "started" in r.out)


def _files(mgr: Path) -> list[Path]:
    return sorted(p.relative_to(mgr) for p in mgr.rglob("*") if p.is_file())


def _delete(path: Path) -> None:
    path.unlink()


def _truncate(path: Path) -> None:
    os.truncate(path, 0)


def _halve(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _random(path: Path) -> None:
    size = max(path.stat().st_size, 512)
    path.write_bytes(random.Random(str(path)).randbytes(size))


def _read_only(path: Path) -> None:
    path.chmod(0o400)


def _unreadable(path: Path) -> None:
    path.chmod(0o000)


FAULTS: dict[str, Callable[[Path], None]] = {
    "deleted": _delete,
    "truncated": _truncate,
    "halved": _halve,
    "random": _random,
    "read-only": _read_only,
    "unreadable": _unreadable,
}
# Faults after which the key file itself is no longer what it was.
KEY_CHANGING = {"deleted", "truncated", "halved", "random"}
TALLY: dict[str, list[int]] = {}


@pytest.fixture
def started(cacheshell_home: Path) -> Iterator[InstanceLayout]:
    first = cli("Set ^x=0")
    assert first.code == 0, first
    layout = InstanceLayout(cacheshell_home, INSTANCE)
    # The first session goes on while the service boots: wait for what it makes (its license
    # server's files among them), so that every file of a running instance is tried.
    assert wait_until(lambda: any((layout.mgr / "licenseserver").glob("*.log")), 15)
    yield layout


def _restore(layout: InstanceLayout, backup: Path) -> None:
    """Stop whatever runs (the instance, the license server it started), and put mgr/ back as
    it was."""
    subprocess.run(["chmod", "-R", "u+rwX", str(layout.mgr)], check=False)
    try:
        stop_home(layout.home)
    except (OSError, sqlite3.Error, InstanceError):  # a store the fault left unusable
        _kill_service(layout)
    aside = layout.mgr.with_name(f"mgr.{len(list(layout.directory.iterdir()))}")
    layout.mgr.rename(aside)  # a process still ending may write there: not into the new one
    shutil.copytree(backup, layout.mgr)


def _kill_service(layout: InstanceLayout) -> None:
    pid = instance_lock.recorded_pid(layout.mgr)
    if pid is not None and instance_lock.is_held(layout.mgr):
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not instance_lock.is_held(layout.mgr), 10)


def _check(run: Run, command: Command, problems: list[str], where: str) -> None:
    if run.traceback:
        problems.append(f"{where}: traceback\n{run.out}{run.err}")
    elif run.code == 0 and not command.done(run):
        problems.append(f"{where}: exit 0 without its job done: {run.out!r} {run.err!r}")
    elif run.code != 0 and not (run.err.strip() or run.out.strip()):
        problems.append(f"{where}: exit {run.code} saying nothing")


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_damaged_file_gives_one_clear_line_and_never_loses_the_key(
    started: InstanceLayout, tmp_path: Path, fault: str
) -> None:
    if fault == "unreadable" and os.getuid() == 0:
        pytest.skip("root reads and writes a chmod 000 file anyway: nothing to see as root")
    mgr = started.mgr
    files = _files(mgr)  # those of the started instance: its lock, -wal, -shm, server files too
    assert cli(*STOP.args).code == 0
    backup = tmp_path / "backup"
    shutil.copytree(mgr, backup)
    key = (mgr / "cache.key").read_bytes()
    problems: list[str] = []
    runs = tracebacks = 0
    for relative in files:
        _restore(started, backup)
        assert cli(*START.args).code == 0
        # The service makes its files as it boots (its license server's a little later).
        if not wait_until(lambda path=mgr / relative: path.exists(), 15):
            problems.append(f"{relative}: not made again by a start")
            continue
        FAULTS[fault](mgr / relative)
        for command in (*SESSION_COMMANDS, STOP, START, STOP):
            run = cli(*command.args)
            runs += 1
            tracebacks += run.traceback
            where = f"{relative} {fault}: cacheshell {' '.join(command.args)}"
            _check(run, command, problems, where)
            if command is START and run.code == 0 and not instance_lock.is_held(mgr):
                problems.append(f"{where}: exit 0 but the instance service is not running")
        if relative.name != "cache.key" or fault not in KEY_CHANGING:
            subprocess.run(["chmod", "-R", "u+rwX", str(mgr)], check=False)
            if (mgr / "cache.key").read_bytes() != key:
                problems.append(f"{relative} {fault}: cache.key changed")
    _restore(started, backup)
    print(
        f"\n{fault}: {len(files)} files x {runs // len(files)} commands = {runs} runs, "
        f"{tracebacks} tracebacks"
    )
    assert not problems, "\n".join(problems)


@pytest.fixture
def full_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A small tmpfs as CACHESHELL_HOME (root only: mounting needs it), unmounted at the end."""
    if os.getuid() != 0:
        pytest.skip("a full file system is a tmpfs mounted for the test: mounting needs root")
    home = tmp_path / "full"
    home.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(home)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    monkeypatch.setenv("CACHESHELL_HOME", str(home))
    try:
        yield home
    finally:
        (home / "filler").unlink(missing_ok=True)  # room for the shutdown to be written
        try:
            stop_home(home)
        finally:
            # A license server's PID file could not be written on the full disk, so the stop
            # could not find it; it names the home on its command line.
            for pid, _ in processes_started_under(home):
                os.kill(pid, signal.SIGKILL)
            subprocess.run(["umount", "-l", str(home)], check=True)


def _fill(directory: Path) -> None:
    with open(directory / "filler", "wb") as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        except OSError:
            pass


def test_a_full_file_system_gives_one_clear_line_and_never_loses_the_key(
    full_home: Path,
) -> None:
    assert cli("Set ^x=0").code == 0
    mgr = full_home / INSTANCE / "mgr"
    key = (mgr / "cache.key").read_bytes()
    _fill(full_home)
    problems: list[str] = []
    tracebacks = 0
    commands = (*SESSION_COMMANDS, STOP, START, *SESSION_COMMANDS, STOP)
    for command in commands:
        run = cli(*command.args)
        tracebacks += run.traceback
        _check(run, command, problems, f"full: cacheshell {' '.join(command.args)}")
    print(f"\nfull file system: {len(commands)} runs, {tracebacks} tracebacks")
    assert (mgr / "cache.key").read_bytes() == key
    assert not problems, "\n".join(problems)
