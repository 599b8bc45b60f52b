"""An instance whose cconsole.log cannot be written still restarts and runs commands: each
console line goes to stderr, after one line that says which file and why."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import run_cli

from cacheshell.system.instance import LOG_FILE
from cacheshell.system.layout import InstanceLayout


def make_directory(log: Path) -> str:
    log.unlink()
    log.mkdir()
    return "Is a directory"


def make_read_only(log: Path) -> str:
    log.chmod(0o444)
    return "Permission denied"


@pytest.mark.parametrize(
    "spoil",
    [
        make_directory,
        pytest.param(
            make_read_only,
            marks=pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files"),
        ),
    ],
)
def test_restart_and_a_command_work_with_an_unwritable_console_log(
    cacheshell_home: Path, spoil: object
) -> None:
    assert run_cli("-U", "USER", "Write 1").returncode == 0  # the default instance exists
    log = InstanceLayout(cacheshell_home, "CACHE").mgr / LOG_FILE
    assert callable(spoil)
    reason = spoil(log)
    try:
        restarted = run_cli("control", "restart", "CACHE")
        assert restarted.returncode == 0
        started, portal = restarted.stdout.splitlines()[-2:]
        assert re.fullmatch(r"Instance 'CACHE' started \(pid \d+\)", started)
        assert re.fullmatch(
            r"Management Portal: http://127\.0\.0\.1:\d+/csp/sys/UtilHome\.csp", portal
        )
        # What this command itself logs comes to its stderr (the service it started has no
        # terminal: its lines are lost with the log).
        err = restarted.stderr.splitlines()
        assert err[0].startswith(f"cacheshell: cannot write {log} ({reason}): ")
        assert err[-1].endswith(" 0 Instance CACHE started")
        assert sum("cannot write" in line for line in err) == 1
        command = run_cli("-U", "USER", "Write 1")
        assert (command.returncode, command.stdout, command.stderr) == (0, "1\n", "")
        listed = run_cli("control", "list")
        assert re.search(r"\n +status: +running, since ", listed.stdout)
    finally:
        if log.is_dir():
            shutil.rmtree(log)
