"""The console script's options and modes, run as a user runs them (a subprocess)."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli


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
