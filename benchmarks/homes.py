"""The scratch homes the benchmarks make: every instance started in one is stopped before the
home is removed, so a benchmark run leaves no instance service behind."""

from __future__ import annotations

import shutil
from pathlib import Path


def remove_home(home: Path) -> None:
    from cacheshell.system.lifecycle import stop_all

    stop_all(home)
    shutil.rmtree(home, ignore_errors=True)
