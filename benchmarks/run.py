"""Print cacheshell's speed and memory figures, each as a ratio against a baseline measured in the
same run on the same machine. Not a test: run it with `make bench`. Every figure goes through
row() (benchmarks/figures.py); the run ends with a verdict per target, and `--json PATH` saves
the figures for benchmarks/readme_table.py, which writes them into the README's table.

Figures (targets from the issues in brackets):
  start-up      `cacheshell -U USER 'Write 1'` vs `python -c pass` and `ipython -c pass`
                [<= 12x python, <= 0.5x IPython]
  parse rate    10,000 lines through the LALR parser vs tree-sitter-objectscript on the same corpus,
                in CPU time, the two run in turn [>= 0.25x]
  cell          a 20-line documentation cell parsed, compiled and run in a warm session, each run
                a new text, vs CPython compile()+exec() of a 20-line equivalent   [<= 2 ms]
  loop          `Set x=0 For i=1:1:1000000 { Set x=x+i }` vs the same loop in CPython      [<= 15x]
  peak memory   of the one-shot loop run vs `python -c pass`                            [<= 30 MB]
  license store login+logout pairs/s vs raw sqlite3 transactions [>= 50%], the floor of a store
                keeping a login's four records, the WAL frames each writes, and bytes per entry
                at 100,000 entries [<= 288 B]
                (benchmarks/license_store.py)
  license server updates/s vs a bare asyncio UDP echo server [>= 50%]; CPU per update period
                [<= 25% of it] and memory [<= 1 GB] for 10,000 instances x 100 users
                (benchmarks/license_server.py)
  failover      SIGKILL to every instance on the new active server, in update periods
                (worst and median of 5 [<= 2 in every run]; benchmarks/failover.py)
  local server  one-shot start-up with a license server of this host configured vs without
                [<= 1.1x] (benchmarks/instance_service.py)
  globals       10^6 Sets, each its own transaction, vs raw sqlite3 upserts [>= 0.30x]; a $Order
                walk vs a raw range scan [>= 0.30x] and vs per-step selects; Get vs a raw point
                select (benchmarks/globals.py)
  portal pages  each License Usage view with 10,000 license table entries, through Starlette's
                TestClient, vs its query's own time [<= 50 ms] (benchmarks/portal_pages.py)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from figures import Figures, header, verdicts
from homes import remove_home
from timing import median_cpu_seconds_interleaved, median_seconds

REPEATS = 5
LOOP = "Set x=0 For i=1:1:1000000 { Set x=x+i } Write x"
CORPUS_LINES = [
    "Set x = 4 + 2  Write x,!",
    "Do $System.License.ShowCounts()",
    "Set RC=$SYSTEM.License.UserNameLicensing(1) Write RC,!",
    "For i=1:1:10 { Set total=total+i If total>20 { Quit } }",
    'If $Data(^g(1)) { Write "yes" } ElseIf x=2 { Write "two" } Else { Write "no" }',
    'Set $Piece(line,",",3)="c" Write $Extract(line,2,*-1)',
    "Try { Set x=1/0 } Catch ex { Write ex.DisplayString(),! }",
    'Set sc=##class(%SYSTEM.Status).Error(5001,"failed") Do $System.Status.DisplayError(sc)',
    'Kill (keep1,keep2)  Write $ZDate($Horolog,3)," ",$ZTime($Piece($H,",",2))',
    'Set:x>1 y=$Select(x=2:"two",1:"many"),z=$Case(y,"two":2,:0)',
]


def run(command: list[str], env: dict[str, str]) -> Callable[[], object]:
    return lambda: subprocess.run(command, env=env, check=True, capture_output=True)


def peak_kib(code: str, env: dict[str, str]) -> int:
    """Peak resident memory of a fresh interpreter that runs `code`, as it reports at exit.

    VmHWM belongs to the process's own address space; getrusage's maxrss would also carry the
    parent's peak across fork and exec."""
    report = (
        "import re;print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code + "\n" + report],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout.split()[-1])


# Every figure goes through row(): printed as measured, judged at the end, saved with --json.
FIGURES = Figures()
row = FIGURES.row


def measure_all(env: dict[str, str]) -> None:
    """Measure and print every figure, with the home `env` names."""
    bindir = Path(sys.executable).parent
    cacheshell = shutil.which("cacheshell", path=str(bindir)) or "cacheshell"
    ipython = shutil.which("ipython", path=str(bindir))
    os.environ["CACHESHELL_HOME"] = env["CACHESHELL_HOME"]  # the in-process session's home too
    print(header(), flush=True)

    # Start-up: one warm-up run first so the grammar cache exists, as on any second use.
    run([cacheshell, "-U", "USER", "Write 1"], env)()
    ours = median_seconds(run([cacheshell, "-U", "USER", "Write 1"], env), REPEATS)
    python = median_seconds(run([sys.executable, "-c", "pass"], env), REPEATS)
    row("start-up (s)", f"{ours:.3f}", f"python -c pass {python:.3f}", ours / python, "<= 12x")
    if ipython:
        ipy = median_seconds(run([ipython, "-c", "pass"], env), REPEATS)
        row(
            "start-up vs IPython (s)",
            f"{ours:.3f}",
            f"ipython -c pass {ipy:.3f}",
            ours / ipy,
            "<= 0.5x",
        )

    # Parse rate over the same 10,000-line corpus. parse() keeps no cache by text: each of the
    # 10,000 calls lexes and parses its line afresh (the tables are loaded by the first call),
    # and the trees are kept until the pass ends, as tree-sitter's are. The two alternate and are
    # timed in CPU seconds, so a busy machine slows both alike.
    from cacheshell.lang.parser import parse

    parse("Write 1")
    corpus = [CORPUS_LINES[i % len(CORPUS_LINES)] for i in range(10_000)]
    try:
        import tree_sitter
        import tree_sitter_objectscript

        language = tree_sitter_objectscript.language_objectscript()
        ts = tree_sitter.Parser(tree_sitter.Language(language))
        encoded = [(" " + line + "\n").encode() for line in corpus]
        ours, theirs = median_cpu_seconds_interleaved(
            lambda: [parse(line) for line in corpus],
            lambda: [ts.parse(b) for b in encoded],
            REPEATS,
        )
        row(
            "parse 10k lines (lines/s)",
            f"{10_000 / ours:,.0f}",
            f"tree-sitter {10_000 / theirs:,.0f}",
            theirs / ours,
            ">= 0.25x",
        )
    except ImportError:
        print("parse rate: tree-sitter-objectscript not installed (make bench installs it)")

    # The loop, in process, so start-up is not counted.
    from cacheshell.session import Session

    session = Session(sink=lambda _text: None)
    ours = median_seconds(lambda: session.execute(LOOP), 3)

    def python_loop() -> int:
        x = 0
        for i in range(1, 1_000_001):
            x = x + i
        return x

    theirs = median_seconds(python_loop, 3)
    row("1M-iteration loop (s)", f"{ours:.3f}", f"CPython {theirs:.3f}", ours / theirs, "<= 15x")

    # A 20-line documentation cell in the warm session, a new text each run (benchmarks/cell.py).
    from cell import measure as cell_times

    ours, theirs = cell_times(session)
    row(
        "20-line cell, new text (ms)",
        f"{ours * 1000:.2f}",
        f"CPython compile+exec {theirs * 1000:.3f}",
        ours / theirs,
        "<= 2 ms",
    )

    one_shot = f"from cacheshell.frontends.cli import main\nmain(['-U', 'USER', {LOOP!r}])"
    mem = peak_kib(one_shot, env)
    base = peak_kib("pass", env)
    # In MB (10^6 bytes), the target's unit; VmHWM is in KiB.
    row(
        "peak memory, loop (MB)",
        f"{mem * 1024 / 1e6:.1f}",
        f"python -c pass {base * 1024 / 1e6:.1f}",
        mem / base,
        "<= 30 MB",
    )

    # Kernel execute round-trip: `Write 1` vs ipykernel's Python kernel running `print(1)`.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from kernel import measure as kernel_round_trips

    ours, theirs = kernel_round_trips(env)
    row(
        "kernel round-trip (ms)",
        f"{ours * 1000:.2f}",
        f"ipykernel print(1) {theirs * 1000:.2f}",
        ours / theirs,
        "<= 1.2x",
    )

    # Completion latency in the REPL: Tab after `$System.License.` vs rlcompleter on `os.path.`.
    from completion import measure as completion_latency

    ours, theirs, _ = completion_latency(Path(env["CACHESHELL_HOME"]))
    row(
        "complete $System.License. (ms)",
        f"{ours * 1000:.3f}",
        f"rlcompleter os.path. {theirs * 1000:.3f}",
        ours / theirs,
        "<= 20 ms",
    )

    # The license store: logins per second vs raw sqlite3, and bytes per entry at 100,000.
    from license_store import report as license_store_figures

    license_store_figures(row)

    # The license server: updates/s vs an asyncio UDP echo server, 10,000 instances x 100 users.
    from license_server import measure as license_server_figures

    for figure in license_server_figures(env):
        row(*figure)

    # Failover: SIGKILL the active of 3 servers under 4 instances x 100 users, in update periods.
    from failover import measure as failover_figures

    for figure in failover_figures(env):
        row(*figure)

    # One-shot start-up with a local license server configured vs without.
    from instance_service import measure as instance_service_figures

    for figure in instance_service_figures(cacheshell, env):
        row(*figure)

    # Globals in the instance database vs raw sqlite3 on the same disk.
    from globals import report as globals_figures

    globals_figures(row)

    # The Management Portal's License Usage views with 10,000 license table entries.
    from portal_pages import report as portal_figures

    portal_figures(row)
    os.environ["CACHESHELL_HOME"] = env["CACHESHELL_HOME"]
    session.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="cacheshell's speed and memory figures")
    parser.add_argument(
        "--json",
        type=Path,
        metavar="PATH",
        help="also write the figures to PATH (benchmarks/readme_table.py puts them in the README)",
    )
    args = parser.parse_args(argv)
    env = dict(os.environ, CACHESHELL_HOME=tempfile.mkdtemp(prefix="cacheshell-bench-"))
    try:
        measure_all(env)
    finally:
        # Whatever failed, the instances the run started stop and its home goes.
        remove_home(Path(env["CACHESHELL_HOME"]))
    print()
    print("\n".join(verdicts(FIGURES.rows)))
    if args.json is not None:
        FIGURES.save(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
