"""The lock that says an instance is running: mgr/cache.lck, held (flock, exclusive) by the
instance's service process for as long as it lives, and holding that process's PID.

The kernel drops a flock when the last descriptor of its open file goes, so a killed service
leaves the lock free: "running" is never a stale PID file. The process that starts an instance
takes the lock first and hands the descriptor to the service it spawns, so there is no moment
when a starting instance looks down.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

LOCK_FILE = "cache.lck"
# How long a start waits out a reader's brief probe of the lock before calling it taken.
_TAKE_ATTEMPTS = 20
_TAKE_PAUSE = 0.01


def lock_path(mgr: Path) -> Path:
    return mgr / LOCK_FILE


def take(mgr: Path) -> int | None:
    """The lock's descriptor, now held exclusively by this process; None when an instance
    process holds it."""
    fd = os.open(lock_path(mgr), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    for _ in range(_TAKE_ATTEMPTS):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            time.sleep(_TAKE_PAUSE)  # perhaps only is_held() looking for an instant
    os.close(fd)
    return None


def record_pid(fd: int, pid: int) -> None:
    """Write the service's PID into the lock file whose lock `fd` holds."""
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{pid}\n".encode("ascii"), 0)


def still_names(mgr: Path, fd: int) -> bool:
    """Whether mgr/cache.lck is still the file whose lock `fd` holds (not deleted, not
    replaced): otherwise a start would take a lock of its own beside this one."""
    try:
        named = os.stat(lock_path(mgr))
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def is_held(mgr: Path) -> bool:
    """True while an instance process holds the lock."""
    try:
        fd = os.open(lock_path(mgr), os.O_RDONLY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):  # no instance there
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a shared lock this probe took
    return False


def recorded_pid(mgr: Path) -> int | None:
    """The PID the lock file holds (the running service's, or the last one's)."""
    try:
        text = lock_path(mgr).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None
