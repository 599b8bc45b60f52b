"""What the interpreter needs from the world around it: the user, the clock, namespaces and
their routines. The session supplies a real one; this base serves tests and standalone use."""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime

from cacheshell.lang.symbols import Symbols


class Host:
    username: str = "UnknownUser"
    roles: str = ""
    device: str = "/dev/tty"
    system_name: str = "localhost:CACHE"
    version: str = "Cache for UNIX (cacheshell) 0.1.0"

    def __init__(self) -> None:
        self.rng = random.Random()
        self.job_id = os.getpid()
        self._next_child = 0
        self._globals: dict[str, Symbols] = {}

    def namespaces(self) -> list[str]:
        return ["%SYS", "USER"]

    def default_namespace(self) -> str:
        return "USER"

    def routine_source(self, namespace: str, name: str) -> tuple[str, float] | None:
        """A routine's text and a version stamp (its file's mtime), or None when absent."""
        return None

    def now(self) -> datetime:
        return datetime.now()

    def utcnow(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def globals(self, namespace: str) -> Symbols:
        """A namespace's globals. They live as long as this host (the session)."""
        return self._globals.setdefault(namespace, Symbols())

    def start_job(self) -> int:
        """Start a JOB'ed child process; its process number."""
        self._next_child += 1
        return self.job_id * 1000 + self._next_child

    def end_job(self, pid: int) -> None:
        """The JOB'ed child has finished."""
