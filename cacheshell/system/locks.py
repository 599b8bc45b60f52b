"""The instance's lock table: named locks its processes take and give back, held in the shared
store beside the license table, so every OS process attached to the instance sees them.

A name is a space (a database for the name of a global, "" for a name shared by the whole
instance), a name and its subscripts as strings. A lock blocks another process's lock on the same
node, an ancestor or a descendant, unless both are shared; a process never blocks itself. Locks
are counted per owner, name and mode, and end with their owner (license_table.py calls
`release_owner` wherever a process ends).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from cacheshell.system.store import Store

EXCLUSIVE, SHARED = "X", "S"


@dataclass(frozen=True)
class LockKey:
    space: str  # the database a global's name lives in; "" for an instance-wide name
    name: str
    subscripts: tuple[str, ...] = ()

    def overlaps(self, other: LockKey) -> bool:
        """The same node, or one is an ancestor of the other."""
        if self.space != other.space or self.name != other.name:
            return False
        depth = min(len(self.subscripts), len(other.subscripts))
        return self.subscripts[:depth] == other.subscripts[:depth]


@dataclass(frozen=True)
class HeldLock:
    owner: int
    key: LockKey
    mode: str  # EXCLUSIVE or SHARED
    count: int


def compatible(mode: str, other: str) -> bool:
    """Only shared locks coexist on overlapping names."""
    return mode == SHARED and other == SHARED


class LockTable:
    def __init__(self, store: Store) -> None:
        self.store = store

    def take(self, owner: int, requests: Sequence[tuple[LockKey, str]]) -> bool:
        """Take every (key, mode) at once, or none when another process's lock is in the way.
        Each taken lock's count goes up by one."""
        if self._blocked(owner, requests):  # a read: the write lock only when it may succeed
            return False
        with self.store.transaction() as db:
            if self._blocked(owner, requests):
                return False
            for key, mode in requests:
                db.execute(
                    "INSERT INTO locks(pid, space, name, subscripts, mode, count) "
                    "VALUES(?, ?, ?, ?, ?, 1) ON CONFLICT(pid, space, name, subscripts, mode) "
                    "DO UPDATE SET count=count+1",
                    (owner, key.space, key.name, _encode(key.subscripts), mode),
                )
        return True

    def release(self, owner: int, key: LockKey, mode: str) -> None:
        """Give back one count of a lock; nothing when the owner does not hold it."""
        with self.store.transaction() as db:
            where = "pid=? AND space=? AND name=? AND subscripts=? AND mode=?"
            args = (owner, key.space, key.name, _encode(key.subscripts), mode)
            db.execute(f"UPDATE locks SET count=count-1 WHERE {where}", args)
            db.execute(f"DELETE FROM locks WHERE {where} AND count<=0", args)

    def release_all(self, owner: int) -> int:
        """Give back every lock of the owner; how many (name, mode) it held."""
        with self.store.transaction():
            return release_owner(self.store, owner)

    def held(self, owner: int | None = None) -> list[HeldLock]:
        """The locks held now, of one owner or of all, in a stable order."""
        sql = "SELECT pid, space, name, subscripts, mode, count FROM locks"
        rows = (
            self.store.db.execute(sql + " ORDER BY pid, space, name, subscripts, mode")
            if owner is None
            else self.store.db.execute(
                sql + " WHERE pid=? ORDER BY space, name, subscripts, mode", (owner,)
            )
        ).fetchall()
        return [
            HeldLock(o, LockKey(space, name, _decode(subs)), mode, count)
            for o, space, name, subs, mode, count in rows
        ]

    def _blocked(self, owner: int, requests: Sequence[tuple[LockKey, str]]) -> bool:
        db = self.store.db
        for key, mode in requests:
            rows = db.execute(
                "SELECT subscripts, mode FROM locks WHERE space=? AND name=? AND pid<>?",
                (key.space, key.name, owner),
            ).fetchall()
            for subs, other in rows:
                if key.overlaps(LockKey(key.space, key.name, _decode(subs))) and not compatible(
                    mode, other
                ):
                    return True
        return False


def release_owner(store: Store, owner: int) -> int:
    """Delete every lock of an ending process, inside the caller's transaction."""
    return int(store.db.execute("DELETE FROM locks WHERE pid=?", (owner,)).rowcount)


def _encode(subscripts: tuple[str, ...]) -> str:
    return json.dumps(list(subscripts), ensure_ascii=False)


def _decode(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))
