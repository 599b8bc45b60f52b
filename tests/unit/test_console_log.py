"""cconsole.log that cannot be written: the line goes to stderr, with the reason said once per
path and reason, and whoever was logging carries on; a log that cannot be read tails as empty."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cacheshell.system.console import WARNING, ConsoleLog
from cacheshell.system.layout import InstanceLayout

T0 = 1_700_000_000.25


def stamp(severity: int, message: str) -> str:
    when = time.strftime("%m/%d/%y-%H:%M:%S", time.localtime(T0))
    return f"{when}:250 ({os.getpid()}) {severity} {message}\n"


def test_a_log_that_is_a_directory_goes_to_stderr_with_the_reason_said_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cconsole.log"
    path.mkdir()
    log = ConsoleLog(path, lambda: T0)
    log.write("Instance CACHE started")
    log.write("Low on licenses", WARNING)
    assert capsys.readouterr().err == (
        f"cacheshell: cannot write {path} (Is a directory): "
        + stamp(0, "Instance CACHE started")
        + stamp(1, "Low on licenses")
    )


def test_a_full_disk_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    ConsoleLog(Path("/dev/full"), lambda: T0).write("Instance CACHE shut down")
    assert capsys.readouterr().err == (
        "cacheshell: cannot write /dev/full (No space left on device): "
        + stamp(0, "Instance CACHE shut down")
    )


def test_a_missing_directory_goes_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gone" / "cconsole.log"
    ConsoleLog(path, lambda: T0).write("Instance CACHE started")
    assert capsys.readouterr().err == (
        f"cacheshell: cannot write {path} (No such file or directory): "
        + stamp(0, "Instance CACHE started")
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_a_read_only_log_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cconsole.log"
    path.write_text("", encoding="utf-8")
    path.chmod(0o444)
    ConsoleLog(path, lambda: T0).write("Instance CACHE started")
    assert capsys.readouterr().err == (
        f"cacheshell: cannot write {path} (Permission denied): "
        + stamp(0, "Instance CACHE started")
    )


def test_writing_resumes_in_the_file_once_it_can_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cconsole.log"
    path.mkdir()
    log = ConsoleLog(path, lambda: T0)
    log.write("one")
    path.rmdir()
    log.write("two")
    assert (capsys.readouterr().err, path.read_text(encoding="utf-8")) == (
        f"cacheshell: cannot write {path} (Is a directory): " + stamp(0, "one"),
        stamp(0, "two"),
    )


def test_a_closed_stderr_does_not_raise_either(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stderr", closed)
    path = tmp_path / "cconsole.log"
    path.mkdir()
    ConsoleLog(path, lambda: T0).write("Instance CACHE started")


@pytest.mark.parametrize("kind", ["directory", "undecodable", "missing"])
def test_tail_of_an_unreadable_log_does_not_raise(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "cconsole.log"
    if kind == "directory":
        path.mkdir()
    elif kind == "undecodable":
        path.write_bytes(b"ok\n\xff\xfe bad\n")
    expected = {"directory": [], "undecodable": ["ok", "\ufffd\ufffd bad"], "missing": []}
    assert ConsoleLog(path, lambda: T0).tail(5) == expected[kind]


def test_an_instance_starts_and_stops_with_its_log_a_directory(
    cacheshell_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cacheshell.system import lifecycle
    from cacheshell.system.instance import LOG_FILE, Instance

    layout = InstanceLayout(cacheshell_home, "CACHE")
    instance = Instance.create(layout)
    (layout.mgr / LOG_FILE).unlink()
    (layout.mgr / LOG_FILE).mkdir()
    lifecycle.start(instance)
    assert instance.is_up
    lifecycle.stop(instance)
    assert not instance.is_up
    err = capsys.readouterr().err
    assert err.startswith(f"cacheshell: cannot write {layout.mgr / LOG_FILE} (Is a directory): ")
    assert err.count("cannot write") == 1
    # The start's lines reach this process's stderr; the service, which shuts the instance down
    # once it runs (the start waits for that), has no log to write to and no terminal.
    assert err.rstrip("\n").endswith("Instance CACHE started")
