"""cconsole.log: the instance's console log, one timestamped line per message."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

# Severity as Caché writes it: 0 information, 1 warning, 2 severe, 3 fatal.
INFO, WARNING, SEVERE, FATAL = 0, 1, 2, 3


class ConsoleLog:
    def __init__(self, path: Path, now: Callable[[], float]) -> None:
        self.path = path
        self.now = now

    def write(self, message: str, severity: int = INFO) -> None:
        t = self.now()
        stamp = time.strftime("%m/%d/%y-%H:%M:%S", time.localtime(t))
        millis = int((t % 1) * 1000)
        line = f"{stamp}:{millis:03d} ({os.getpid()}) {severity} {message}\n"
        # One write call per line in append mode keeps concurrent writers' lines whole.
        with open(self.path, "a", encoding="utf-8") as log:
            log.write(line)

    def tail(self, lines: int = 20) -> list[str]:
        if not self.path.exists():
            return []
        return self.path.read_text(encoding="utf-8").splitlines()[-lines:]
