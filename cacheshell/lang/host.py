"""What a process needs from the world it runs in: the user, the clock, namespaces with their
routines and globals, and child processes.

`Host` is the seam: a Session implements it over a licensed instance; `BareHost` implements it
with nothing around it, for the language alone (tests, benchmarks, standalone use).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from cacheshell.lang.locking import LockHost, LockRequest, MemoryLocks
from cacheshell.lang.ordered import MemoryKV, OrderedKV
from cacheshell.version import zversion


def version_banner() -> str:
    """$ZVERSION: the platform's kit and the Caché release this model answers as."""
    return zversion()


# How often a process waiting for a lock tries again.
LOCK_RETRY = 0.05


class Host(LockHost, Protocol):
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

    def database(self, namespace: str) -> OrderedKV:
        """The database holding a namespace's globals, shared by every process that sees it."""
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
        self._databases: dict[str, MemoryKV] = {}
        self._locks = MemoryLocks()
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

    def database(self, namespace: str) -> OrderedKV:
        return self._databases.setdefault(namespace, MemoryKV())

    def start_job(self) -> int:
        self._next_child += 1
        return self.job_id * 1000 + self._next_child

    def end_job(self, pid: int) -> None:
        self._locks.release_all(pid)

    def take_locks(self, owner: int, requests: Sequence[LockRequest]) -> bool:
        return self._locks.take(owner, requests)

    def release_lock(self, owner: int, request: LockRequest) -> None:
        self._locks.release(owner, request)

    def release_locks(self, owner: int) -> None:
        self._locks.release_all(owner)

    def lock_pause(self, remaining: float | None) -> None:
        time.sleep(LOCK_RETRY if remaining is None else min(LOCK_RETRY, remaining))


def _routine_home(namespace: str, name: str) -> tuple[str, str]:
    # Percent routines live in %SYS and are seen from every namespace, as on an instance.
    return ("%SYS" if name.startswith("%") else namespace, name)
