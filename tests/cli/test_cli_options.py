"""The console script's options and modes, run as a user runs them (a subprocess)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from cacheshell.frontends.cli import _subcommand


def test_one_shot_runs_code_and_exits_zero() -> None:
    done = run_cli("-U", "USER", "Write 1+2*3")
    assert (done.stdout, done.returncode) == ("9\n", 0)


def test_instance_name_before_the_flags_like_csession() -> None:
    done = run_cli("CACHE", "-U", "%SYS", "Write $NAMESPACE")
    assert (done.stdout, done.returncode) == ("%SYS\n", 0)


def test_untrapped_error_prints_the_terminal_block_and_exits_nonzero() -> None:
    done = run_cli("-U", "USER", "Write 1 Write y")
    assert done.stdout == "1\n\nWRITE 1 Write y\n        ^\n<UNDEFINED> *y\n"
    assert done.returncode == 1


def test_halt_ends_a_one_shot_run_successfully() -> None:
    done = run_cli("-U", "USER", "Write 1 Halt  Write 2")
    assert (done.stdout, done.returncode) == ("1\n", 0)


def test_lines_from_stdin_run_in_one_session() -> None:
    done = run_cli("-U", "USER", stdin="Set x=41\nWrite x+1\n")
    assert (done.stdout, done.returncode) == ("42\n", 0)


def test_a_brace_block_may_span_stdin_lines() -> None:
    done = run_cli("-U", "USER", stdin='For i=1:1:3 {\n  Write i\n}\nWrite "done"\n')
    assert done.stdout == "123\ndone\n"


def test_stdin_errors_are_shown_and_the_next_line_still_runs() -> None:
    done = run_cli("-U", "USER", stdin='Write nope\nWrite "after"\n')
    assert done.stdout == "\nWRITE nope\n^\n<UNDEFINED> *nope\nafter\n"
    assert done.returncode == 1


def test_halt_on_stdin_stops_reading() -> None:
    done = run_cli("-U", "USER", stdin="Write 1\nHalt\nWrite 2\n")
    assert (done.stdout, done.returncode) == ("1\n", 0)


def test_unknown_namespace_is_refused() -> None:
    done = run_cli("-U", "NOPE", "Write 1")
    assert done.returncode == 2
    assert "<NAMESPACE> *NOPE" in done.stderr


def test_unknown_instance_is_refused() -> None:
    done = run_cli("NOSUCH", "-U", "USER", "Write 1")
    assert done.returncode == 2
    assert "no instance named NOSUCH" in done.stderr


def test_first_use_creates_the_default_instance_layout(cacheshell_home: Path) -> None:
    run_cli("-U", "USER", "Write 1")
    assert (cacheshell_home / "CACHE" / "bin").is_dir()
    assert (cacheshell_home / "CACHE" / "mgr").is_dir()


def test_manager_directory_finds_the_instance_with_backslashes_and_any_case(
    cacheshell_home: Path,
) -> None:
    run_cli("-U", "USER", "Write 1")
    bin_dir = cacheshell_home / "CACHE" / "bin"
    done = run_cli("-s", "..\\Mgr", "-B", "-U", "%SYS", "Write $SYSTEM", cwd=bin_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(":CACHE")


def test_flags_for_later_features_are_accepted() -> None:
    done = run_cli("-U", "USER", "--user", "Mary", "-B", "Write $USERNAME")
    assert (done.stdout, done.returncode) == ("Mary\n", 0)


def test_python_dash_m_is_the_same_program() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "cacheshell", "-U", "USER", "Write 2**10"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.stdout, done.returncode) == ("1024\n", 0)


def test_help_lists_every_subcommand_besides_the_options() -> None:
    done = run_cli("--help")
    assert done.returncode == 0
    listed = [line.strip().split("  ")[0] for line in done.stdout.splitlines()]
    for command in (
        "control create NAME [--evaluation] [--key FILE]",
        "control list [NAME]",
        "control start|stop|restart NAME",
        "log [NAME] [-n N]",
        "events [NAME] [-n N]",
        "key issue|show|activate|training ...",
        "plot [NAME] [-o FILE]",
        "servers list|add|delete|stop|start|kill|partition|heal ...",
        "license-server ...",
        "kernel install|list",
        "-U NAMESPACE",
        "--instance NAME",
    ):
        assert command in listed, command
    # and every word the command line dispatches on is one of them
    for word in ("control", "log", "events", "key", "plot", "servers", "license-server", "kernel"):
        assert _subcommand(word) is not None
        assert any(line.startswith(word + " ") for line in listed), word
    assert _subcommand("nope") is None


def test_version_names_the_build_and_the_cache_release() -> None:
    done = run_cli("--version")
    assert (done.stdout, done.returncode) == ("cacheshell 0.1.0, a model of Cache 2018.1.5\n", 0)


def no_instance(name: str, home: Path, listing: str, prog: str = "cacheshell") -> str:
    return (
        f"{prog}: no instance named {name}\n"
        f"  instances in {home}: {listing}\n"
        f"  to create it: cacheshell control create {name}\n"
    )


def test_a_name_that_is_no_instance_says_which_exist_before_any_does(
    cacheshell_home: Path,
) -> None:
    done = run_cli("NOPE")
    listing = "CACHE (the default, created when first used)"
    assert (done.stdout, done.stderr, done.returncode) == (
        "",
        no_instance("NOPE", cacheshell_home, listing),
        2,
    )


@pytest.mark.parametrize(
    "words",
    [
        ("NOPE",),
        ("nope", "-U", "USER"),
        ("NOPE", "Write 1"),
        ("NOPE", "Write", "1"),
        ("--instance", "NOPE", "Write 1"),
        ("Write 1", "--instance=NOPE"),
    ],
)
def test_a_name_that_is_no_instance_is_refused_with_what_to_type(
    words: tuple[str, ...], cacheshell_home: Path
) -> None:
    assert run_cli("control", "create", "two", "--evaluation").returncode == 0
    run_cli("-U", "USER", "Write 1")  # the default instance, CACHE
    done = run_cli(*words)
    name = "nope" if "nope" in words else "NOPE"
    assert (done.stdout, done.stderr, done.returncode) == (
        "",
        no_instance(name, cacheshell_home, "CACHE, TWO"),
        2,
    )


@pytest.mark.parametrize(
    ("words", "typed"),
    [
        (("Write", "1"), "cacheshell 'Write 1'"),
        (("CACHE", "Write", "1"), "cacheshell CACHE 'Write 1'"),
        (("cache", "-U", "%SYS", "Write", "1"), "cacheshell cache 'Write 1'"),
        (("-U", "USER", "Set", "x=1", "Write", "x"), "cacheshell 'Set x=1 Write x'"),
        (("--instance", "CACHE", "Write", "$ZV"), "cacheshell CACHE 'Write $ZV'"),
        (("Write 1", "Write 2"), "cacheshell 'Write 1 Write 2'"),
    ],
)
def test_code_split_into_words_must_be_quoted(words: tuple[str, ...], typed: str) -> None:
    done = run_cli(*words)
    assert (done.stdout, done.stderr, done.returncode) == (
        "",
        f"cacheshell: quote the code as one argument: {typed}\n",
        2,
    )


@pytest.mark.parametrize(
    ("words", "shown"),
    [
        (("Write 1",), "1\n"),
        (("CACHE", "Write 1"), "1\n"),
        (("--instance", "CACHE", "Write 1"), "1\n"),
        (("Halt",), ""),  # one word that is ObjectScript, not an instance
        (("-U", "USER", "Do $System.License.ShowCounts()"), "\n     5 Total authorized"),
    ],
)
def test_quoted_code_still_runs(words: tuple[str, ...], shown: str) -> None:
    done = run_cli(*words)
    assert (done.stderr, done.returncode) == ("", 0)
    assert done.stdout.startswith(shown) and (shown or done.stdout == "")
