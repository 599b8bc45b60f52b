"""What no input may do to a process, as a user meets it through the installed CLI: a huge
line, an endless Set loop, a device given as a key file, a huge console log. Each run's peak
resident memory is measured and bounded, and so is its time."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from conftest import run_cli

from cacheshell.system.instance import LOG_FILE
from cacheshell.system.layout import InstanceLayout

# Runs the command given after the file name, its standard streams its own, and writes the
# command's peak resident memory (KiB) to the file: getrusage of the one child this process
# waits for, so nothing else's peak is counted.
_MEASURE = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[2:]).returncode
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(sys.argv[1], "w").write(str(peak))
sys.exit(code)
"""


def measured(
    tmp_path: Path, *args: str, stdin: bytes = b"", timeout: float = 60
) -> tuple[subprocess.CompletedProcess[bytes], int, float]:
    """The installed cacheshell run with `args`: its result, peak RSS in MiB, and seconds."""
    exe = Path(sys.executable).with_name("cacheshell")
    peak_file = tmp_path / "peak"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(peak_file), str(exe), *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
    )
    elapsed = time.monotonic() - started
    peak = int(peak_file.read_text()) // 1024
    print(f"\ncacheshell {' '.join(args)[:40]}: peak RSS {peak} MiB, {elapsed:.2f} s")
    return done, peak, elapsed


def test_a_huge_input_line_is_refused_with_bounded_memory(
    cacheshell_home: Path, tmp_path: Path
) -> None:
    line = b'Write "' + b"x" * 5_000_000 + b'"\n'
    done, peak, seconds = measured(tmp_path, "-U", "USER", stdin=line + b"Write 42\n")
    echoed = 'WRITE "' + "x" * 65 + "..."
    assert done.stdout.decode() == f"\n{echoed}\n^\n<MAXSTRING>\n42\n"
    assert done.returncode == 1  # piped input with an untrapped error
    assert peak < 150, f"peak RSS {peak} MiB"  # measured: 46 MiB (the line alone is 5 MB)
    assert seconds < 30


def test_an_endless_set_loop_ends_in_store_with_bounded_memory(
    cacheshell_home: Path, tmp_path: Path
) -> None:
    # The default $ZSTORAGE, 262144 KB, bounds the locals: before, this grew to 1.4 GB.
    done, peak, seconds = measured(tmp_path, "-U", "USER", "For  Set x($I(i))=1")
    assert done.stdout.decode() == "\nFOR  Set x($I(i))=1\n     ^\n<STORE>\n"
    assert peak < 400, f"peak RSS {peak} MiB"  # measured: 264 MiB
    assert seconds < 45


def test_key_activate_refuses_a_device_at_once(cacheshell_home: Path, tmp_path: Path) -> None:
    assert run_cli("control", "create", "CACHE").returncode == 0
    done, peak, seconds = measured(tmp_path, "key", "activate", "/dev/zero")
    assert (done.returncode, done.stdout, done.stderr.decode()) == (
        2,
        b"",
        "cacheshell key: cannot read /dev/zero: not a regular file (a key file must be one)\n",
    )
    assert peak < 100, f"peak RSS {peak} MiB"
    assert seconds < 10


def test_log_shows_the_tail_of_a_200_mb_console_log_with_bounded_memory(
    cacheshell_home: Path, tmp_path: Path
) -> None:
    assert run_cli("control", "create", "CACHE").returncode == 0
    assert run_cli("control", "stop", "CACHE").returncode == 0  # nothing else writes the log
    log = InstanceLayout(cacheshell_home, "CACHE").mgr / LOG_FILE
    with open(log, "r+b") as out:  # 200 MB of log, most of it a hole: made at once
        out.truncate(200 * 1024 * 1024)
        out.seek(0, 2)
        out.write("".join(f"12/06/26-10:00:{i:02} (1) 0 line {i}\n" for i in range(30)).encode())
    done, peak, seconds = measured(tmp_path, "log", "-n", "3")
    assert done.stdout.decode() == (
        "12/06/26-10:00:27 (1) 0 line 27\n"
        "12/06/26-10:00:28 (1) 0 line 28\n"
        "12/06/26-10:00:29 (1) 0 line 29\n"
    )
    assert peak < 100, f"peak RSS {peak} MiB"
    assert seconds < 15
