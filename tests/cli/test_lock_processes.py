"""LOCK between real OS processes of one instance: the installed `cacheshell` holding, waiting
for and timing out on locks, a SIGKILLed holder's locks reclaimed by the instance's service, and
an interrupt ending a wait.

Sources: the lock table records every process's locks and a process's end releases them
(Caché ObjectScript Reference, LOCK, p. 94 and p. 100 of
https://www.yumpu.com/en/document/view/43134120/cache-objectscript-reference-intersystems-documentation/94);
"In a different Terminal, try to lock the same record for 5 seconds ... if ('$test)"
(https://docs.intersystems.com/healthconnectlatest/csp/docbook/DocBook.UI.Page.cls?KEY=TOS_LockTest).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Terminal, run_cli

# Holds ^G(1) until the test gives ^STOP back, then halts.
HOLDER = 'Lock +^G(1) Write "held",! Lock +^STOP Halt'


def command() -> list[str]:
    exe = Path(sys.executable).with_name("cacheshell")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "cacheshell"]


def shell(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command() + ["-U", "USER", code],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """The shells a test starts; every one still running at the end is killed and reaped."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def hold(started: list[subprocess.Popen[str]], code: str) -> subprocess.Popen[str]:
    """A shell running `code`, once it has written its first line."""
    process = shell(code)
    started.append(process)
    assert process.stdout is not None
    assert process.stdout.readline() in ("held\n", "waiting\n")
    return process


def waiting_for_the_lock(pid: int) -> None:
    """Return once the process sleeps (between its tries at a lock another holds): the
    kernel's wait channel of a sleep in time.sleep is hrtimer_nanosleep."""
    deadline = time.monotonic() + 30
    while "nanosleep" not in Path(f"/proc/{pid}/wchan").read_text(encoding="ascii"):
        assert time.monotonic() < deadline, "the process never waited for the lock"
        time.sleep(0.01)


def test_another_process_times_out_with_test_0(started: list[subprocess.Popen[str]]) -> None:
    with Terminal() as term:
        term.run("Lock +^STOP")
        hold(started, HOLDER)
        assert run_cli("-U", "USER", "Lock +^G(1):0 Write $Test").stdout == "0\n"
        term.run("Lock -^STOP")


def test_a_waiting_process_gets_the_lock_once_the_holder_halts(
    started: list[subprocess.Popen[str]],
) -> None:
    with Terminal() as term:
        term.run("Lock +^STOP")
        hold(started, HOLDER)
        waiter = hold(started, 'Write "waiting",! Lock +^G(1) Write "got"')
        term.run("Lock -^STOP")  # the holder takes ^STOP and halts
        output, _ = waiter.communicate(timeout=60)
        assert output == "got\n"


def test_a_sigkilled_holders_locks_are_reclaimed(started: list[subprocess.Popen[str]]) -> None:
    holder = hold(started, 'Lock +^G(1) Write "held",! Hang 300')
    with Terminal() as term:  # attached first: its own login reclaims nothing
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        # The instance's service reclaims a dead process's locks with its license (about 1 s).
        assert term.run("Lock +^G(1):30 Write $Test") == "1"


def test_an_interrupt_ends_a_wait_for_a_lock(started: list[subprocess.Popen[str]]) -> None:
    with Terminal() as term:
        term.run("Lock +^G")
        waiter = hold(started, 'Write "waiting",! Lock +^G Write "got"')
        # Its line out is not yet its wait: interrupted between the two, it would still be
        # ending the Write. It sleeps between tries at the lock.
        waiting_for_the_lock(waiter.pid)
        waiter.send_signal(signal.SIGINT)
        output, _ = waiter.communicate(timeout=60)
        # The terminal echoes the line with its first command word in capitals.
        assert output == '\nWRITE "waiting",! Lock +^G Write "got"\n^\n<INTERRUPT>\n'
