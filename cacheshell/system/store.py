"""An instance's shared memory: one SQLite database (WAL) in its manager directory.

Every OS process attached to the instance opens it; short IMMEDIATE transactions keep counts
exact under concurrency, and a crash loses at most the transaction it was in.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DATABASE_NAME = "cache.db"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    license_id TEXT PRIMARY KEY,
    connections INTEGER NOT NULL,
    csp INTEGER NOT NULL,
    per_process INTEGER NOT NULL,
    since REAL NOT NULL,
    grace_until REAL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_grace ON entries (grace_until) WHERE grace_until IS NOT NULL;
CREATE TABLE IF NOT EXISTS processes (
    pid INTEGER PRIMARY KEY,
    license_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    client TEXT NOT NULL,
    username TEXT NOT NULL,
    started REAL NOT NULL,
    os_pid INTEGER,
    os_start INTEGER,
    parent INTEGER,
    commands INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS processes_license ON processes (license_id);
CREATE INDEX IF NOT EXISTS processes_os ON processes (os_pid) WHERE os_pid IS NOT NULL;
CREATE TABLE IF NOT EXISTS csp_sessions (
    id TEXT PRIMARY KEY,
    license_id TEXT NOT NULL,
    username TEXT NOT NULL,
    pages INTEGER NOT NULL,
    started REAL NOT NULL,
    last REAL NOT NULL,
    timeout REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS durations (bucket INTEGER PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    kind TEXT NOT NULL,
    license_id TEXT NOT NULL,
    pid INTEGER,
    detail TEXT NOT NULL
);
"""


class Store:
    """The connection to an instance's database, with small helpers for its `state` table."""

    def __init__(self, mgr: Path) -> None:
        self.path = mgr / DATABASE_NAME
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0,
                                  check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        self._depth = 0
        self.db.executescript(_SCHEMA)  # idempotent; executescript commits by itself

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction: it takes the write lock at once, so reads and the writes
        that depend on them see one consistent table. Nested uses join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self.db
            finally:
                self._depth -= 1
            return
        self._begin()
        self._depth = 1
        try:
            yield self.db
        except BaseException:
            self._depth = 0
            self.db.execute("ROLLBACK")
            raise
        self._depth = 0
        self.db.execute("COMMIT")

    def _begin(self) -> None:
        # busy_timeout covers most contention; retry the rare "locked" that slips past it.
        for attempt in range(50):
            try:
                self.db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                time.sleep(min(0.01 * (attempt + 1), 0.2))
        self.db.execute("BEGIN IMMEDIATE")

    # -- the state table ---------------------------------------------------------------------
    def get(self, name: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM state WHERE name=?", (name,)).fetchone()
        return default if row is None or row[0] is None else row[0]

    def put(self, name: str, value: Any) -> None:
        self.db.execute("INSERT INTO state(name, value) VALUES(?, ?) "
                        "ON CONFLICT(name) DO UPDATE SET value=excluded.value", (name, value))

    def add(self, name: str, delta: int) -> int:
        row = self.db.execute(
            "INSERT INTO state(name, value) VALUES(?, ?) ON CONFLICT(name) "
            "DO UPDATE SET value=coalesce(value, 0)+excluded.value RETURNING value",
            (name, delta)).fetchone()
        return int(row[0])

    def event(self, now: float, kind: str, license_id: str, pid: int | None,
              detail: str = "") -> None:
        self.db.execute("INSERT INTO events(time, kind, license_id, pid, detail) "
                        "VALUES(?, ?, ?, ?, ?)", (now, kind, license_id, pid, detail))
