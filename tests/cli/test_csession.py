"""The documentation's `csession` and `cache` command lines, run verbatim as console scripts.

Sources: Caché System Administration Guide, "Managing Caché Licensing" (Upgrade from the command
line; the administrator terminal session `cache -s..\\Mgr -B` typed in the instance's bin
directory) and "Connecting to a Caché Instance" (csession and its -U, -B and routine arguments).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import Terminal, run_cli

from cacheshell.session import Session
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
    with every_user_unit_in_use():
        refused = run_line("csession CACHE -U %SYS '##class(%SYSTEM.Version).GetNumber()'")
        assert (refused.stdout, refused.returncode) == ("<LICENSE LIMIT EXCEEDED>\n", 1)
        admin = run_line("cache -s..\\Mgr -B", stdin="Write $USERNAME,!\n", cwd=bin_dir)
        assert (admin.stdout, admin.returncode) == ("UnknownUser\n", 0)


# -- the chapter's emergency upgrade ----------------------------------------------------------
# "Upgrading a License from the Operating System Command Line": when every unit is in use, so
# that no terminal opens, `csession <instance> -U %SYS '##Class(%SYSTEM.License).Upgrade()'`
# activates the key copied to mgr/ (Caché System Administration Guide, Managing Caché Licensing,
# https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=GSA_license). Run by
# the OS user who administers the instance, it runs as Caché's own processes do, taking no unit
# (ProcessList type "System", %SYSTEM.License class reference); every other one-shot still needs
# a unit.
UPGRADE_LINE = "csession CACHE -U %SYS '##Class(%SYSTEM.License).Upgrade()'"


@contextmanager
def every_user_unit_in_use() -> Iterator[None]:
    """5 of 5 units, by user name: alice and four clients. The -B Diagnostic unit is free."""
    home = create_default_instance().parent
    inst = open_running(InstanceLayout(home, "CACHE"))
    with inst.store.transaction():
        inst.store.put("username_licensing", 1)
    inst.store.close()
    with Terminal(user="alice") as alice:
        alice.run('For i=1:1:4 Set c(i)=##class(Training.World).Connect("10.0.0."_i)')
        assert alice.run("Write $System.License.LUAvailable()") == "0"
        yield


@contextmanager
def every_unit_in_use() -> Iterator[None]:
    """5 of 5 units (alice and four clients, by user name) and the -B Diagnostic unit."""
    with every_user_unit_in_use():
        emergency = Session(namespace="%SYS", user="bob", admin=True, sink=lambda _text: None)
        try:
            assert emergency.process.kind == "Diagnostic"
            yield
        finally:
            emergency.close()


@pytest.mark.parametrize(
    "line",
    [
        "csession CACHE -U %SYS '##class(%SYSTEM.Version).GetNumber()'",
        "csession CACHE '##Class(%SYSTEM.License).Upgrade()'",  # in USER: not the utility
        "csession CACHE -U %SYS '##Class(%SYSTEM.License).ShowCounts()'",
        "csession CACHE -U %SYS -B '##class(%SYSTEM.Version).GetNumber()'",  # -B unit taken
        "csession CACHE -U %SYS --user carol '##class(%SYSTEM.Version).GetNumber()'",
    ],
)
def test_with_every_unit_in_use_an_ordinary_one_shot_is_refused(line: str) -> None:
    with every_unit_in_use():
        refused = run_line(line)
    assert (refused.stdout, refused.stderr, refused.returncode) == (
        "<LICENSE LIMIT EXCEEDED>\n",
        "",
        1,
    )


def test_with_every_unit_in_use_the_terminal_and_cache_b_are_refused(
    cacheshell_home: Path,
) -> None:
    with every_unit_in_use():
        terminal = run_cli("-U", "%SYS", "Do ##Class(%SYSTEM.License).Upgrade()")
        cache_b = run_line("cache -s..\\Mgr -B", stdin="Halt\n", cwd=cacheshell_home / "CACHE/bin")
    assert (terminal.stdout, terminal.returncode) == ("<LICENSE LIMIT EXCEEDED>\n", 1)
    assert (cache_b.stdout, cache_b.returncode) == ("<LICENSE LIMIT EXCEEDED>\n", 1)


@pytest.mark.parametrize(
    "line",
    [UPGRADE_LINE, "csession CACHE -U %sys '##class(%SYSTEM.License).Upgrade()'"],
)
def test_with_every_unit_in_use_the_chapters_upgrade_line_runs(line: str) -> None:
    with every_unit_in_use():
        done = run_line(line)
    assert (done.stdout, done.stderr, done.returncode) == ("", "", 0)


def test_the_emergency_upgrade_activates_the_copied_key_and_the_log_records_it(
    cacheshell_home: Path, tmp_path: Path
) -> None:
    mgr = cacheshell_home / "CACHE" / "mgr"
    with every_unit_in_use():
        # A key with more units, copied to mgr/cache.key as the chapter says.
        issued = run_cli("key", "issue", "--units", "10", "--multi", "-o", str(tmp_path / "b.key"))
        assert issued.returncode == 0, issued.stderr
        shutil.copyfile(tmp_path / "b.key", mgr / "cache.key")
        done = run_line(UPGRADE_LINE)
        assert (done.stdout, done.returncode) == ("", 0)
        after = run_line("csession CACHE -U USER '##class(%SYSTEM.Version).GetNumber()'")
        assert (after.stdout, after.returncode) == ("", 0)  # a unit is free now
    log = (mgr / "cconsole.log").read_text(encoding="utf-8").splitlines()
    said = [line.split(" ", 3)[3] for line in log]
    told = ("License limit exceeded", "##Class(%SYSTEM.License).Upgrade()", "License key activated")
    # The utility got in as a system process: its try at a unit is no refused login.
    assert [line for line in said if line.startswith(told)] == [
        "##Class(%SYSTEM.License).Upgrade() run by the instance's administrator as a system "
        "process, which takes no license unit: every unit is in use",
        "License key activated: 10 license units (Concurrent User, Multi server)",
    ]


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
