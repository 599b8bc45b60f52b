"""What a process needs from the world it runs in: the user, the clock, namespaces with their
routines and globals, and child processes.

`Host` is the seam: a Session implements it over a licensed instance; `BareHost` implements it
with nothing around it, for the language alone (tests, benchmarks, standalone use).
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime
from typing import Protocol

from cacheshell.lang.symbols import Symbols
from cacheshell.version import zversion


def version_banner() -> str:
    """$ZVERSION: the platform's kit and the Caché release this model answers as."""
    return zversion()


class Host(Protocol):
    username: str  # $USERNAME
    roles: str  # $ROLES
    device: str  # $IO and $PRINCIPAL
    system_name: str  # $SYSTEM: host:instance
    version: str  # $ZVERSION
    rng: random.Random  # $RANDOM
    job_id: int  # $JOB of the process

    def namespaces(self) -> list[str]: ...

    def default_namespace(self) -> str: ...

    def routine_source(self, namespace: str, name: str) -> tuple[str, float] | None:
        """A routine's text and a version stamp that changes when it is saved again (on an
        instance, its file's mtime), or None when absent."""
        ...

    def now(self) -> datetime: ...

    def uptime(self) -> float:
        """Seconds since the system started, by the host's clock ($ZHOROLOG)."""
        ...

    def utcnow(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...

    def globals(self, namespace: str) -> Symbols:
        """A namespace's globals, shared by the process and the JOBs it starts."""
        ...

    def start_job(self) -> int:
        """Start a JOB'ed child process; its process number."""
        ...

    def end_job(self, pid: int) -> None:
        """The JOB'ed child has finished."""
        ...


class BareHost:
    """The language on its own: two namespaces, routines and globals held in memory as long as
    this object lives, the wall clock, and child processes numbered after the parent."""

    username = "UnknownUser"
    roles = ""
    device = "/dev/tty"
    system_name = "localhost:CACHE"

    def __init__(self) -> None:
        self.version = version_banner()
        self.rng = random.Random()
        self.job_id = os.getpid()
        self._next_child = 0
        self._globals: dict[str, Symbols] = {}
        self._routines: dict[tuple[str, str], tuple[str, float]] = {}
        self._saves = 0
        self._started = time.monotonic()

    def namespaces(self) -> list[str]:
        return ["%SYS", "USER"]

    def default_namespace(self) -> str:
        return "USER"

    def routine_source(self, namespace: str, name: str) -> tuple[str, float] | None:
        return self._routines.get(_routine_home(namespace, name))

    def save_routine(self, namespace: str, name: str, text: str) -> None:
        """Hold a routine's text; each save is a new version, which a process compiles afresh."""
        self._saves += 1
        self._routines[_routine_home(namespace, name)] = (text, float(self._saves))

    def now(self) -> datetime:
        return datetime.now()

    def uptime(self) -> float:
        return time.monotonic() - self._started

    def utcnow(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def globals(self, namespace: str) -> Symbols:
        return self._globals.setdefault(namespace, Symbols())

    def start_job(self) -> int:
        self._next_child += 1
        return self.job_id * 1000 + self._next_child

    def end_job(self, pid: int) -> None:
        return None


def _routine_home(namespace: str, name: str) -> tuple[str, str]:
    # Percent routines live in %SYS and are seen from every namespace, as on an instance.
    return ("%SYS" if name.startswith("%") else namespace, name)
