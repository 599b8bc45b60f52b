"""The documentation's `csession` and `cache` command lines, run verbatim as console scripts.

Sources: Caché System Administration Guide, "Managing Caché Licensing" (Upgrade from the command
line; the administrator terminal session `cache -s..\\Mgr -B` typed in the instance's bin
directory) and "Connecting to a Caché Instance" (csession and its -U, -B and routine arguments).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Terminal, run_cli

from cacheshell.system.layout import InstanceLayout
from cacheshell.system.lifecycle import open_running

# How each script runs when it is not installed (a source-tree run).
_FALLBACK = {
    "csession": [sys.executable, "-m", "cacheshell.frontends.csession"],
    "cache": [
        sys.executable,
        "-c",
        "from cacheshell.frontends.csession import cache_main\nraise SystemExit(cache_main())",
    ],
}


def run_line(line: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess:
    """A documented command line, split as a POSIX shell splits it."""
    words = shlex.split(line)
    exe = Path(sys.executable).with_name(words[0])
    command = [str(exe)] if exe.exists() else _FALLBACK[words[0]]
    return subprocess.run(
        command + words[1:],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=dict(os.environ),
    )


def create_default_instance() -> Path:
    done = run_cli("-U", "USER", "Write 1")
    assert done.returncode == 0, done.stderr
    return Path(os.environ["CACHESHELL_HOME"]) / "CACHE"


def use_every_unit(home: Path) -> None:
    """Count by user name with a limit of one: the test's own session then holds the unit."""
    inst = open_running(InstanceLayout(home, "CACHE"), create_default=True)
    with inst.store.transaction():
        inst.store.put("username_licensing", 1)
        inst.store.put("user_limit", 1)


def test_upgrade_from_the_command_line_prints_what_do_prints_and_exits_zero() -> None:
    done = run_line("csession CACHE -U %SYS '##Class(%SYSTEM.License).Upgrade()'")
    assert done.returncode == 0, done.stdout + done.stderr
    same = run_cli("-U", "%SYS", "Do ##Class(%SYSTEM.License).Upgrade()")
    assert (done.stdout, same.returncode) == (same.stdout, 0)
    assert "<" not in done.stdout  # no error block


def test_an_entry_point_runs_in_the_namespace_given() -> None:
    done = run_line("csession CACHE -U %SYS '##class(%SYSTEM.Version).GetNumber()'")
    assert (done.stdout, done.returncode) == ("", 0)  # run with DO: the value is not shown


def test_an_untrapped_error_in_the_entry_point_exits_nonzero() -> None:
    done = run_line("csession CACHE 'Start^NOSUCH'")
    assert done.stdout == "\nDO Start^NOSUCH\n^\n<NOROUTINE> *NOSUCH\n"
    assert done.returncode == 1


def test_without_an_entry_point_it_reads_the_terminal_lines() -> None:
    done = run_line("csession CACHE -U %SYS", stdin="Write $NAMESPACE,!\nHalt\n")
    assert (done.stdout, done.returncode) == ("%SYS\n", 0)


# Typed at a POSIX shell the unquoted backslash is eaten (-s..Mgr); quoted it arrives intact.
@pytest.mark.parametrize(
    "line",
    ["cache -s..\\Mgr -B", "cache -s ..\\Mgr -B", "cache -s '..\\Mgr' -B", "cache '-s..\\mgr' -B"],
)
def test_cache_dash_s_in_bin_opens_the_emergency_session(line: str) -> None:
    bin_dir = create_default_instance() / "bin"
    done = run_line(line, stdin="Write $NAMESPACE,!\nHalt\n", cwd=bin_dir)
    assert (done.stdout, done.stderr, done.returncode) == ("%SYS\n", "", 0)


def test_when_every_unit_is_used_csession_is_refused_but_cache_b_gets_in(
    cacheshell_home: Path,
) -> None:
    bin_dir = create_default_instance() / "bin"
    use_every_unit(cacheshell_home)
    with Terminal(user="alice"):
        refused = run_line("csession CACHE -U %SYS '##Class(%SYSTEM.License).Upgrade()'")
        assert (refused.stdout, refused.returncode) == ("<LICENSE LIMIT EXCEEDED>\n", 1)
        admin = run_line("cache -s..\\Mgr -B", stdin="Write $USERNAME,!\n", cwd=bin_dir)
        assert (admin.stdout, admin.returncode) == ("UnknownUser\n", 0)


def test_a_manager_directory_that_is_not_an_instances_is_refused(tmp_path: Path) -> None:
    done = run_line("cache -s..\\Mgr -B", cwd=tmp_path)
    assert done.returncode == 2
    assert "is not the manager directory of an instance" in done.stderr


def test_an_unknown_instance_is_named_with_what_to_type(cacheshell_home: Path) -> None:
    run_cli("-U", "USER", "Write 1")  # the default instance, CACHE
    done = run_line("csession NOPE -U %SYS")
    assert (done.stdout, done.stderr, done.returncode) == (
        "",
        "csession: no instance named NOPE\n"
        f"  instances in {cacheshell_home}: CACHE\n"
        "  to create it: cacheshell control create NOPE\n",
        2,
    )


def test_an_unquoted_entry_point_is_told_to_be_quoted() -> None:
    done = run_line("csession CACHE Write 1")
    assert (done.stdout, done.stderr, done.returncode) == (
        "",
        "csession: quote the entry point as one argument: csession CACHE 'Write 1'\n",
        2,
    )
