"""cconsole.log: the instance's console log, one timestamped line per message.

A log that cannot be written (read-only, full disk, a missing directory) never takes down what
was logging: the line goes to stderr instead, the first time for each path and reason with a
`cacheshell: cannot write <path> (<reason>):` prefix that says why, then as it is.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

# Severity as Caché writes it: 0 information, 1 warning, 2 severe, 3 fatal.
INFO, WARNING, SEVERE, FATAL = 0, 1, 2, 3

# stderr belongs to the process, so what it has been told does too: (path, reason) said once.
_told: set[tuple[str, str]] = set()
_told_lock = threading.Lock()


class ConsoleLog:
    def __init__(self, path: Path, now: Callable[[], float]) -> None:
        self.path = path
        self.now = now

    def write(self, message: str, severity: int = INFO) -> None:
        """Append one line; when the file cannot take it, the line goes to stderr. Never raises."""
        t = self.now()
        stamp = time.strftime("%m/%d/%y-%H:%M:%S", time.localtime(t))
        millis = int((t % 1) * 1000)
        line = f"{stamp}:{millis:03d} ({os.getpid()}) {severity} {message}\n"
        try:
            # One write call per line in append mode keeps concurrent writers' lines whole.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with open(fd, "a", encoding="utf-8") as log:
                log.write(line)
        except OSError as exc:
            self._to_stderr(line, exc.strerror or type(exc).__name__)

    def _to_stderr(self, line: str, reason: str) -> None:
        where = (str(self.path), reason)
        with _told_lock:
            first = where not in _told
            _told.add(where)
        text = f"cacheshell: cannot write {self.path} ({reason}): {line}" if first else line
        stream = sys.stderr
        if stream is None:  # no stderr at all (a detached process): nowhere left to say it
            return
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):  # stderr closed or unable to encode: nothing more to try
            pass

    def tail(self, lines: int = 20) -> list[str]:
        """The last lines of the log; none when it is missing or cannot be read."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return text.splitlines()[-lines:] if lines > 0 else []
