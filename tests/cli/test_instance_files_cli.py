"""An instance's files: owner-only whatever the administrator's umask, a lost cache.cpf or a
damaged cache.db repaired alone (the key and the globals untouched), and an activation that
keeps the key it replaces."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import stat
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from conftest import run_cli

from cacheshell.system import instance_lock
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.processes import wait_until
from cacheshell.system.service import RECLAIM_EVERY


def mgr_of(home: Path) -> Path:
    return InstanceLayout(home, "CACHE").mgr


def loose_modes(home: Path) -> list[str]:
    """Every file and directory of the instance that is not owner-only (0600 / 0700)."""
    directory = home / "CACHE"
    found = []
    for path in [directory, *directory.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        if mode != want:
            found.append(f"{path.relative_to(home)} {mode:o}")
    return found


def ok(*args: str) -> str:
    done = run_cli(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def issue(path: Path, units: int) -> Path:
    ok("key", "issue", "--units", str(units), "--multi", "--customer", "Acme", "-o", str(path))
    return path


def _loosen(home: Path) -> None:
    for path in [home / "CACHE", *(home / "CACHE").rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)


# What the administrator does (with a loose umask, 000): every file it leaves is owner-only.
STEPS: dict[str, Callable[[Path, Path], object]] = {
    "a start": lambda home, tmp: (ok("control", "stop", "CACHE"), ok("control", "start", "CACHE")),
    "a session": lambda home, tmp: ok("-U", "USER", "Set ^x=1 Write ^x"),
    "a key activation": lambda home, tmp: ok("key", "activate", str(issue(tmp / "k.key", 50))),
    "a dump": lambda home, tmp: ok("-U", "USER", "Write $System.License.DumpLocalAll()"),
    # An instance made loose by hand is tightened when it starts.
    "a start after loosening": lambda home, tmp: (
        ok("control", "stop", "CACHE"),
        _loosen(home),
        ok("control", "start", "CACHE"),
    ),
}


@pytest.mark.parametrize("step", list(STEPS))
def test_every_file_and_directory_of_an_instance_is_owner_only(
    cacheshell_home: Path, tmp_path: Path, step: str
) -> None:
    before = os.umask(0)
    try:
        ok("-U", "USER", "Write 1")
        STEPS[step](cacheshell_home, tmp_path)
    finally:
        os.umask(before)
    assert loose_modes(cacheshell_home) == []


def test_a_deleted_cpf_is_made_again_alone_keeping_the_key_globals_and_users(
    cacheshell_home: Path,
) -> None:
    ok("-U", "USER", "Set ^x=42")
    mgr = mgr_of(cacheshell_home)
    key = (mgr / "cache.key").read_bytes()
    (mgr / "cache.cpf").unlink()
    assert ok("-U", "USER", "Write ^x,!,$System.License.KeyLicenseUnits()") == "42\n5\n"
    assert (mgr / "cache.key").read_bytes() == key
    assert (mgr / "cache.cpf").read_text(encoding="utf-8").startswith("[ConfigFile]\n")
    log = ok("log", "-n", "100")
    assert "cache.cpf was missing: recreated with the default configuration" in log
    assert log.count("Instance CACHE created") == 1  # never created afresh


def test_a_deleted_key_is_no_training_key_but_a_missing_license(cacheshell_home: Path) -> None:
    ok("-U", "USER", "Write 1")
    (mgr_of(cacheshell_home) / "cache.key").unlink()
    ok("control", "stop", "CACHE")
    assert "No valid license key: License missing or unreadable; 1 user may log in" in ok(
        "control", "start", "CACHE"
    )
    assert not (mgr_of(cacheshell_home) / "cache.key").exists()


def test_a_damaged_cache_db_is_moved_aside_and_rebuilt_at_start(cacheshell_home: Path) -> None:
    ok("-U", "USER", "Set ^x=7")
    mgr = mgr_of(cacheshell_home)
    key = (mgr / "cache.key").read_bytes()
    ok("control", "stop", "CACHE")
    (mgr / "cache.db").write_bytes(b"not a database at all" * 100)
    started = ok("control", "start", "CACHE")
    assert "started" in started
    aside = sorted(p.name for p in mgr.glob("cache.db.corrupt-*"))
    assert len(aside) == 1
    assert f"moved aside as {mgr / aside[0]} and rebuilt empty" in ok("log")
    assert ok("-U", "USER", "Write ^x") == "7\n"
    assert (mgr / "cache.key").read_bytes() == key


def test_a_damaged_global_database_is_named_never_replaced(cacheshell_home: Path) -> None:
    ok("-U", "USER", "Set ^x=7")
    dat = mgr_of(cacheshell_home) / "user" / "CACHE.DAT"
    dat.write_bytes(b"garbage!" * 1000)
    done = run_cli("-U", "USER", "Write ^x")
    assert done.returncode == 1
    assert done.stdout == (
        "\nWRITE ^x\n^\n"
        f"<DATABASE> *cannot use {dat}: not a database file (damaged or overwritten) — restore "
        "it from a backup\n"
    )
    assert dat.read_bytes() == b"garbage!" * 1000


def test_a_global_database_cut_to_nothing_is_named_never_made_anew(
    cacheshell_home: Path,
) -> None:
    """An empty CACHE.DAT is a damaged one: neither a session nor the running service (which
    looks at every database each second for dead processes' transactions) makes it a new, empty
    database in which every global would read as undefined."""
    ok("-U", "USER", "Set ^x=7")
    ok("control", "stop", "CACHE")  # the log checkpointed into the file and removed
    dat = mgr_of(cacheshell_home) / "user" / "CACHE.DAT"
    os.truncate(dat, 0)
    ok("control", "start", "CACHE")
    done = run_cli("-U", "USER", "Write ^x")
    assert done.returncode == 1
    reason = f"cannot use {dat}: the file was truncated to nothing — restore it from a backup"
    assert done.stdout == f"\nWRITE ^x\n^\n<DATABASE> *{reason}\n"
    assert wait_until(lambda: f"Instance service: {reason}" in ok("log"), 15)
    assert dat.stat().st_size == 0
    assert ok("log").count(reason) == 1  # named once, not at every look


def _values_in_a_copy(database: Path, scratch: Path) -> list[object]:
    """The values a copy of the file alone holds, as a backup that copies CACHE.DAT gets."""
    copy = scratch / "copy.db"
    shutil.copyfile(database, copy)
    try:
        with contextlib.closing(sqlite3.connect(copy)) as db:
            return [row[0] for row in db.execute("SELECT v FROM nodes")]
    finally:
        for path in scratch.glob("copy.db*"):
            path.unlink()


def test_once_its_sessions_end_cache_dat_alone_holds_what_they_set(
    cacheshell_home: Path, tmp_path: Path
) -> None:
    """The running service looks at every database each second (for transactions of processes
    that died): it must not keep one open, which would keep the sessions' last SETs in the
    write-ahead log beside the file, out of a copy of CACHE.DAT."""
    dat = mgr_of(cacheshell_home) / "user" / "CACHE.DAT"
    ok("-U", "USER", "Set ^x=1")
    looks = time.monotonic() + 3 * RECLAIM_EVERY

    def copied(value: int) -> bool:
        return value in _values_in_a_copy(dat, tmp_path)

    value = 1000
    while time.monotonic() < looks:
        value += 1
        ok("-U", "USER", f"Set ^x={value}")
        assert wait_until(partial(copied, value), 10), value


def test_an_activation_keeps_the_previous_key_and_it_activates_back(
    cacheshell_home: Path, tmp_path: Path
) -> None:
    ok("-U", "USER", "Write 1")
    mgr = mgr_of(cacheshell_home)
    first = (mgr / "cache.key").read_text(encoding="utf-8")
    ok("key", "activate", str(issue(tmp_path / "big.key", 50)))
    previous = mgr / "cache.key.previous"
    assert previous.read_text(encoding="utf-8") == first
    assert stat.S_IMODE(previous.stat().st_mode) == 0o600
    assert f"previous key kept as {previous}; to go back: cacheshell key activate {previous}" in ok(
        "log"
    )
    # Going back waits for a restart (fewer units), as any smaller key does.
    back = run_cli("key", "activate", str(previous))
    assert "A restart of the instance is required" in back.stdout
    ok("control", "restart", "CACHE")
    assert ok("-U", "USER", "Write $System.License.KeyLicenseUnits()") == "5\n"
    assert (mgr / "cache.key").read_text(encoding="utf-8") == first


def test_a_deleted_lock_file_is_taken_again_so_a_start_never_runs_a_second_service(
    cacheshell_home: Path,
) -> None:
    ok("-U", "USER", "Write 1")
    mgr = mgr_of(cacheshell_home)
    service = instance_lock.recorded_pid(mgr)
    (mgr / instance_lock.LOCK_FILE).unlink()
    # The service looks once a second: it makes the file again and holds its lock.
    assert wait_until(lambda: instance_lock.is_held(mgr), 15)
    started = run_cli("control", "start", "CACHE")
    assert (started.returncode, instance_lock.recorded_pid(mgr)) == (2, service)
    assert "is already running" in started.stderr + started.stdout
    ok("control", "stop", "CACHE")
    assert not instance_lock.is_held(mgr)
    log = (mgr / "cconsole.log").read_text(encoding="utf-8")
    assert f"{instance_lock.LOCK_FILE} was missing or replaced: made again" in log
