"""Globals across OS processes of one instance: what one process sets another reads, a restart
keeps them, $INCREMENT loses no update under concurrency, and the open transaction of a process
killed inside it is rolled back."""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from conftest import run_cli

from cacheshell.system import processes

INCREMENTS = 1000


def cli_command() -> list[str]:
    exe = Path(sys.executable).with_name("cacheshell")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "cacheshell"]


def one_shot(code: str) -> str:
    done = run_cli("-U", "USER", code)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_global_set_by_one_process_is_read_by_another() -> None:
    one_shot('Set ^shared(1)="from one",^shared(2)=2')
    assert one_shot("ZWrite ^shared") == '^shared(1)="from one"\n^shared(2)=2\n'


def test_globals_survive_a_restart_of_the_instance() -> None:
    one_shot("Set ^kept=42")
    restarted = run_cli("control", "restart", "CACHE")
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    assert one_shot("Write ^kept") == "42\n"


def test_increment_from_two_processes_loses_no_update() -> None:
    # Both wait for each other before counting, so that their increments really overlap.
    code = (
        "Set x=$Increment(^ready) For {  Quit:^ready=2 } "
        f"For i=1:1:{INCREMENTS} Set x=$Increment(^count)"
    )
    one_shot("Write 1")  # the instance exists and runs before both start
    workers = [
        subprocess.Popen(
            [*cli_command(), "-U", "USER", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    assert one_shot("Write ^count") == f"{2 * INCREMENTS}\n"


def killed_inside_a_transaction() -> None:
    """A terminal process that sets ^acct inside TSTART and is SIGKILLed there."""
    victim = subprocess.Popen(
        [*cli_command(), "-U", "USER"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert victim.stdin is not None and victim.stdout is not None
        victim.stdin.write('TStart  Set ^acct=0,^acct(1)="half" Write "inside",!\n')
        victim.stdin.flush()
        ready, _, _ = select.select([victim.stdout], [], [], 60)
        assert ready and victim.stdout.readline() == "inside\n"
        # Uncommitted sets are visible to other processes, as in Caché (RCOS_CTROLLBACK).
        assert one_shot("Write ^acct") == "0\n"
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()


def test_the_running_instance_rolls_back_a_transaction_whose_process_was_killed(
    cacheshell_home: Path,
) -> None:
    one_shot("Set ^acct=100")
    killed_inside_a_transaction()
    database = cacheshell_home / "CACHE" / "mgr" / "user" / "CACHE.DAT"

    def undo_records() -> int:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            return int(db.execute("SELECT count(*) FROM undo").fetchone()[0])

    # The instance service reclaims it (about every second) before any process opens the file.
    assert processes.wait_until(lambda: undo_records() == 0, timeout=30)
    assert one_shot("Write ^acct,$Data(^acct(1))") == "1000\n"
