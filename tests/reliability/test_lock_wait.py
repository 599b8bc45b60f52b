"""A process stopped (SIGSTOP) inside a transaction holds the instance database's write lock.
Whoever needs that lock waits WRITE_LOCK_WAIT, then is told which process holds it, never with a
traceback; reads go on meanwhile."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import Terminal, run_cli

from cacheshell.system.store import WRITE_LOCK_WAIT

# Takes the write lock as every cacheshell process does, says so, then stops where it stands.
HOLDER = """\
import os, signal, sqlite3
db = sqlite3.connect(os.environ["HOLD_DATABASE"], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
os.kill(os.getpid(), signal.SIGSTOP)
"""
# Room for starting the command on a busy machine, on top of the wait itself.
MARGIN = 10.0


@contextmanager
def stopped_holder(database: Path, directory: Path) -> Iterator[str]:
    """A stopped process holding the database's write lock, as the error names it."""
    (directory / "hold.py").write_text(HOLDER, encoding="utf-8")
    holder = subprocess.Popen(
        [sys.executable, "hold.py"],
        cwd=directory,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, HOLD_DATABASE=str(database)),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "holding\n"
        deadline = time.monotonic() + 10
        while _state(holder.pid) != "T":
            assert time.monotonic() < deadline, "the holder did not stop"
            time.sleep(0.01)
        yield f"process {holder.pid} ({Path(sys.executable).name} hold.py)"
    finally:
        holder.kill()  # SIGKILL ends a stopped process too
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()


def _state(pid: int) -> str:
    """A process's state letter in /proc/PID/stat (T: stopped)."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    return stat.rsplit(")", 1)[1].split()[0]


def _locked(database: Path, holder: str) -> str:
    return (
        f"the instance database {database} has been locked by {holder} "
        f"for more than {WRITE_LOCK_WAIT:g} s"
    )


@pytest.mark.parametrize(
    ("args", "prog"),
    [
        (("-U", "USER", "Write 1"), "cacheshell"),
        (("control", "stop", "CACHE"), "cacheshell control"),
    ],
    ids=["one-shot", "control-stop"],
)
def test_a_command_gives_up_after_the_wait_and_names_the_holder(
    cacheshell_home: Path, tmp_path: Path, args: tuple[str, ...], prog: str
) -> None:
    assert run_cli("-U", "USER", "Write 1").returncode == 0
    database = cacheshell_home / "CACHE" / "mgr" / "cache.db"
    with stopped_holder(database, tmp_path) as holder:
        start = time.monotonic()
        result = run_cli(*args, timeout=WRITE_LOCK_WAIT + 60)
        elapsed = time.monotonic() - start
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"{prog}: {_locked(database, holder)}\n",
    )
    assert "Traceback" not in result.stderr
    assert WRITE_LOCK_WAIT * 0.9 <= elapsed < WRITE_LOCK_WAIT + MARGIN


def test_a_command_in_a_session_gives_a_locked_error(
    term: Terminal, cacheshell_home: Path, tmp_path: Path
) -> None:
    database = cacheshell_home / "CACHE" / "mgr" / "cache.db"
    with stopped_holder(database, tmp_path) as holder:
        start = time.monotonic()
        shown = term.run("Write $SYSTEM.License.DeferUserIdentification(0)")
        elapsed = time.monotonic() - start
    assert shown == (
        "\nWRITE $SYSTEM.License.DeferUserIdentification(0)\n^\n"
        f"<LOCKED> *{_locked(database, holder)}\n"
    )
    assert WRITE_LOCK_WAIT * 0.9 <= elapsed < WRITE_LOCK_WAIT + MARGIN


def test_reads_do_not_wait_for_the_write_lock(cacheshell_home: Path, tmp_path: Path) -> None:
    assert run_cli("-U", "USER", "Write 1").returncode == 0
    database = cacheshell_home / "CACHE" / "mgr" / "cache.db"
    with stopped_holder(database, tmp_path):
        start = time.monotonic()
        result = run_cli("control", "list")
        elapsed = time.monotonic() - start
    assert result.returncode == 0 and re.search(r"status: +running", result.stdout) is not None
    assert elapsed < WRITE_LOCK_WAIT / 2
