"""Which process holds a POSIX byte-range lock on a file, read from Linux's /proc/locks.

A line there reads `1: POSIX  ADVISORY  WRITE 27398 fe:00:2179090 120 120`: the holder's pid,
the file's device as hex major:minor and its inode in decimal, then the first and last byte
locked (`EOF` when the lock runs to the end of the file). A line whose id is followed by `->` is
a process waiting for the lock above it, not holding one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from cacheshell.system.processes import command_words

PROC_LOCKS = Path("/proc/locks")
# A command line longer than this is cut, so an error message stays one readable line.
_COMMAND_WIDTH = 60


class FileLock(NamedTuple):
    """One granted POSIX lock of /proc/locks."""

    pid: int
    device: tuple[int, int]  # (major, minor)
    inode: int
    start: int
    end: int | None  # None: to the end of the file

    def covers(self, offset: int) -> bool:
        return self.start <= offset and (self.end is None or offset <= self.end)


class Holder(NamedTuple):
    pid: int
    command: str  # its command line, shortened; "" when it cannot be read

    def __str__(self) -> str:
        return f"process {self.pid} ({self.command})" if self.command else f"process {self.pid}"


def parse_locks(text: str) -> list[FileLock]:
    """The granted POSIX locks of a /proc/locks text. Waiters, flock() and OFD locks (which
    name no process) and leases are left out."""
    found = []
    for line in text.splitlines():
        words = line.split()
        if len(words) != 8 or words[1] != "POSIX":
            continue
        pid, file, start, end = words[4:8]
        try:
            major, minor, inode = file.split(":")
            found.append(
                FileLock(
                    int(pid),
                    (int(major, 16), int(minor, 16)),
                    int(inode),
                    int(start),
                    None if end == "EOF" else int(end),
                )
            )
        except ValueError:  # "<none>:0", a file the kernel could not name
            continue
    return found


def holder_pid(text: str, device: tuple[int, int], inode: int, offset: int) -> int | None:
    """The process that, by a /proc/locks text, holds a lock on byte `offset` of the file at
    (device, inode); None when none does, or its pid is not visible here (shown as 0)."""
    for lock in parse_locks(text):
        if lock.device == device and lock.inode == inode and lock.covers(offset) and lock.pid > 0:
            return lock.pid
    return None


def lock_holder(path: Path, offset: int) -> Holder | None:
    """The process holding a lock on byte `offset` of `path`, or None when it cannot be told
    (no /proc/locks, the file is gone, or no process holds one)."""
    try:
        st = os.stat(path)
        text = PROC_LOCKS.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    pid = holder_pid(text, (os.major(st.st_dev), os.minor(st.st_dev)), st.st_ino, offset)
    return None if pid is None else Holder(pid, command_line(pid))


def command_line(pid: int) -> str:
    """A process's command line on one short line, its program without its directory; "" when
    it cannot be read."""
    words = [word.decode(errors="replace") for word in command_words(pid) if word]
    if not words:
        return ""
    text = " ".join(" ".join([os.path.basename(words[0]), *words[1:]]).split())
    return text if len(text) <= _COMMAND_WIDTH else text[: _COMMAND_WIDTH - 3] + "..."
