"""The one atomic write: owner-only, whole or not at all, and its crash leftovers cleared."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cacheshell.system.files import remove_stale_temporaries, temporary_path, write_atomically


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize("data", ["Caché\nline two\n", b"\x00\xffbytes"])
def test_a_write_replaces_the_file_whole_and_owner_only(tmp_path: Path, data: str | bytes) -> None:
    target = tmp_path / "cache.cpf"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o644)
    write_atomically(target, data)
    expected = data.encode("utf-8") if isinstance(data, str) else data
    assert target.read_bytes() == expected
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["cache.cpf"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()  # a rename over a directory fails
    with pytest.raises(OSError):
        write_atomically(target, "text")
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_the_temporary_file_is_named_after_the_target_and_the_writer() -> None:
    assert temporary_path(Path("/i/mgr/cache.key"), 42) == Path("/i/mgr/.cache.key.42.tmp")
    assert temporary_path(Path("cache.key")).name == f".cache.key.{os.getpid()}.tmp"


def test_only_leftovers_of_writers_that_are_gone_are_removed(tmp_path: Path) -> None:
    below = tmp_path / "user" / "routines"
    below.mkdir(parents=True)
    gone = [
        temporary_path(tmp_path / "cache.key", dead_pid()),
        temporary_path(below / "Hello.mac", dead_pid()),
    ]
    kept = [
        temporary_path(tmp_path / "cache.cpf"),  # this process is writing it
        tmp_path / ".notes.tmp",  # not a write's temporary file
        tmp_path / "cache.key.1.tmp",
    ]
    for path in gone + kept:
        path.write_text("", encoding="utf-8")
    remove_stale_temporaries(tmp_path)
    assert gone[1].exists()  # not recursive unless asked
    remove_stale_temporaries(tmp_path, recursive=True)
    assert [path.exists() for path in gone + kept] == [False, False, True, True, True]


def test_leftovers_can_be_limited_to_one_file_name(tmp_path: Path) -> None:
    dump = temporary_path(tmp_path / "dumpkey.txt", dead_pid())
    other = temporary_path(tmp_path / "notes.txt", dead_pid())
    for path in (dump, other):
        path.write_text("", encoding="utf-8")
    remove_stale_temporaries(tmp_path, "dumpkey.txt")
    assert (dump.exists(), other.exists()) == (False, True)
