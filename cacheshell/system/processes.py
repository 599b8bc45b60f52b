"""OS processes as /proc shows them (liveness, start time, command line), and waiting for a
condition: what the instance's lifecycle, its monitor and the training world need of processes
they did not start as children."""

from __future__ import annotations

import os
import time
from collections.abc import Callable


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def start_time(pid: int) -> int | None:
    """The kernel's start time of a process, to tell it from a later one with the same PID."""
    fields = _stat_fields(pid)
    try:
        return int(fields[19]) if fields is not None else None
    except (IndexError, ValueError):
        return None


def alive(pid: int, start: int | None = None) -> bool:
    """The process exists (a zombie too) and is the one started at `start`, when given."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's: it exists
    return start is None or start_time(pid) in (None, start)


def ended(pid: int) -> bool:
    """The process is gone, or has exited and waits to be reaped (a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # someone else's, running
    fields = _stat_fields(pid)
    return fields is None or fields[0] == "Z"


def command_words(pid: int) -> list[bytes]:
    """The process's command line, word by word ([] when it is gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().split(b"\0")
    except OSError:
        return []


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.02) -> bool:
    """Poll `condition` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)
    return True
