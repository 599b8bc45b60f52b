"""What a process's LOCK command asks of its host: lock names, one try at taking them, and the
wait for them under a timeout.

The host holds the locks (an instance's shared lock table, or `MemoryLocks` on the bare host),
so a lock taken by one process blocks another. Waiting is here: try, pause, try again until
the lock is taken or the time, read from the host's clock, runs out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class LockName:
    """A lock name as LOCK evaluated it: ^G(1,"a") or x(2)."""

    namespace: str | None  # the namespace of a global's name; None for a local name
    name: str  # "^G" for a global, "x" for a local name
    subscripts: tuple[str, ...] = ()


@dataclass(frozen=True)
class LockRequest:
    name: LockName
    shared: bool = False  # #"S"


class LockHost(Protocol):
    """The part of the host LOCK uses."""

    def take_locks(self, owner: int, requests: Sequence[LockRequest]) -> bool:
        """One try: take every lock, or none when another process holds one in the way."""
        ...

    def release_lock(self, owner: int, request: LockRequest) -> None:
        """Give back one count of a lock the owner holds (nothing if it holds none)."""
        ...

    def release_locks(self, owner: int) -> None:
        """Give back every lock of the owner."""
        ...

    def lock_pause(self, remaining: float | None) -> None:
        """Wait a little before the next try; `remaining` is what is left of a timeout (None:
        no timeout)."""
        ...


def acquire(
    host: LockHost,
    now: Callable[[], float],
    owner: int,
    requests: Sequence[LockRequest],
    timeout: float | None,
    before_wait: Callable[[], None] | None = None,
) -> bool:
    """Take the locks, waiting while another process holds them: True once taken, False when
    `timeout` seconds of the host clock passed first (a timeout of 0 tries once)."""
    if host.take_locks(owner, requests):
        return True
    deadline = None if timeout is None else now() + timeout
    if before_wait is not None:
        before_wait()
    while True:
        remaining = None if deadline is None else deadline - now()
        if remaining is not None and remaining <= 0:
            return False
        host.lock_pause(remaining)
        if host.take_locks(owner, requests):
            return True


def overlap(a: LockName, b: LockName) -> bool:
    """The same node, or one an ancestor of the other."""
    if (a.namespace, a.name) != (b.namespace, b.name):
        return False
    depth = min(len(a.subscripts), len(b.subscripts))
    return a.subscripts[:depth] == b.subscripts[:depth]


class MemoryLocks:
    """The lock table of the bare host: its process and the JOBs it starts, in memory."""

    def __init__(self) -> None:
        # (owner, name, shared) -> count
        self._held: dict[tuple[int, LockName, bool], int] = {}

    def take(self, owner: int, requests: Sequence[LockRequest]) -> bool:
        for request in requests:
            for other, name, shared in self._held:
                if (
                    other != owner
                    and overlap(request.name, name)
                    and not (shared and request.shared)
                ):
                    return False
        for request in requests:
            key = (owner, request.name, request.shared)
            self._held[key] = self._held.get(key, 0) + 1
        return True

    def release(self, owner: int, request: LockRequest) -> None:
        key = (owner, request.name, request.shared)
        count = self._held.get(key, 0)
        if count > 1:
            self._held[key] = count - 1
        else:
            self._held.pop(key, None)

    def release_all(self, owner: int) -> None:
        for key in [k for k in self._held if k[0] == owner]:
            del self._held[key]
