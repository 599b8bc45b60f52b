"""cconsole.log: the instance's console log, one timestamped line per message.

A log that cannot be written (read-only, full disk, a missing directory) never takes down what
was logging: the line goes to stderr instead, the first time for each path and reason with a
`cacheshell: cannot write <path> (<reason>):` prefix that says why, then as it is.
"""

from __future__ import annotations

import os
import stat
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
            return tail_lines(self.path, lines)
        except OSError:
            return []


# Reading a log backwards: a block at a time, and no more of it than `count` lines of at most
# this many bytes each (a longer line is shown by its end).
_BLOCK = 64 * 1024
MAX_LINE_BYTES = 64 * 1024


def tail_lines(path: Path, count: int) -> list[str]:
    """The last `count` lines of a text file, as `read_text().splitlines()[-count:]` gives them,
    read from the end: a log of any size costs only what is shown. A file that is not a regular
    one (a device, a FIFO) has no lines."""
    if count <= 0:
        return []
    with open(path, "rb", buffering=0) as log:
        info = os.fstat(log.fileno())
        if not stat.S_ISREG(info.st_mode):
            return []
        end = info.st_size
        budget = (count + 1) * MAX_LINE_BYTES
        blocks: list[bytes] = []
        newlines = 0
        start = end
        # Enough blocks to hold count+1 line ends: the text then starts at a line's start.
        while start > 0 and newlines <= count and end - start < budget:
            size = min(_BLOCK, start)
            start -= size
            log.seek(start)
            block = log.read(size)
            blocks.append(block)
            newlines += block.count(b"\n")
    data = b"".join(reversed(blocks))
    if start > 0:
        cut = data.find(b"\n")
        data = data[cut + 1 :] if cut >= 0 else data[-MAX_LINE_BYTES:]
    return data.decode("utf-8", errors="replace").splitlines()[-count:]
