"""Completion latency for `$System.License.` (the REPL's Tab), against Python's own rlcompleter
completing `os.path.` in the same run. Target: <= 20 ms per completion.

Run alone with `python benchmarks/completion.py`; benchmarks/run.py prints it among the others.
"""

from __future__ import annotations

import os
import rlcompleter
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from homes import remove_home

CALLS = 200
TEXT = "$System.License."


def median_call(fn: Callable[[], object], calls: int = CALLS) -> float:
    """Median seconds of one call, after one warm-up call."""
    fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def python_completion() -> list[str]:
    """Everything rlcompleter offers for `os.path.`, asked state by state as readline does."""
    completer = rlcompleter.Completer({"os": os})
    found, state = [], 0
    while (match := completer.complete("os.path.", state)) is not None:
        found.append(match)
        state += 1
    return found


def measure(home: Path | None = None) -> tuple[float, float, int]:
    """(ours, baseline) median seconds per completion, and how many names ours offered."""
    from cacheshell.session import Session
    from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout

    scratch = home is None
    base = Path(tempfile.mkdtemp(prefix="cacheshell-bench-")) if scratch else home
    session = Session(InstanceLayout(base, DEFAULT_INSTANCE), sink=lambda _text: None)
    try:
        offered = len(session.complete(TEXT, len(TEXT))[1])
        ours = median_call(lambda: session.complete(TEXT, len(TEXT)))
    finally:
        session.close()
        if scratch:
            remove_home(base)
    theirs = median_call(python_completion)
    return ours, theirs, offered


def main() -> int:
    ours, theirs, offered = measure()
    print(
        f"complete {TEXT!r}: {ours * 1000:.3f} ms for {offered} names (median of {CALLS}); "
        f"rlcompleter 'os.path.': {theirs * 1000:.3f} ms; ratio {ours / theirs:.2f}x; "
        "target <= 20 ms"
    )
    return 0 if ours <= 0.020 else 1


if __name__ == "__main__":
    raise SystemExit(main())
