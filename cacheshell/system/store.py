"""An instance's shared memory: one SQLite database (WAL) in its manager directory.

Every OS process attached to the instance opens it; short IMMEDIATE transactions keep counts
exact under concurrency, and a crash loses at most the transaction it was in.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cacheshell.system import instance_files, license_counts
from cacheshell.system.events import EventKind
from cacheshell.system.lock_holder import lock_holder

DATABASE_NAME = "cache.db"
# The state rows of the login-duration histogram: this, then the bucket's number.
DURATION_PREFIX = "login_duration_"
# How long, in all, a process waits for the write lock before it gives up and says who holds it:
# a process that stopped inside a transaction must not hang every other one.
WRITE_LOCK_WAIT = 10.0
# In WAL mode SQLite's write lock is a POSIX lock on this byte of the -shm file (the WAL index
# locks start at 120; the writer's is the first of them).
_WAL_WRITE_LOCK_BYTE = 120

# The schema's mark, kept in the database header (PRAGMA user_version): a database that has it
# is up to date and opens without the catalogue lookups that bring an older one up to date
# (a one-shot command opens the store once). Raise it with every change of _SCHEMA or what
# reopen() migrates; releases before the mark left 0.
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    license_id TEXT PRIMARY KEY,
    connections INTEGER NOT NULL,
    csp INTEGER NOT NULL,
    per_process INTEGER NOT NULL,
    since REAL NOT NULL,
    grace_until REAL,
    peak INTEGER NOT NULL DEFAULT 0
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
    commands INTEGER NOT NULL DEFAULT 0,
    owner INTEGER  -- a simulated client: the PID of the session that made it (NULL: none)
);
CREATE INDEX IF NOT EXISTS processes_os ON processes (os_pid) WHERE os_pid IS NOT NULL;
CREATE TABLE IF NOT EXISTS csp_sessions (
    id TEXT PRIMARY KEY,
    license_id TEXT NOT NULL,
    username TEXT NOT NULL,
    pages INTEGER NOT NULL,
    started REAL NOT NULL,
    last REAL NOT NULL,
    timeout REAL NOT NULL,
    owner INTEGER  -- the PID of the session that opened it (NULL: none, or detached)
);
-- Named values, and the counters every login and logout moves (consumed units and their peaks,
-- the monitor's dirty flag, the login-duration histogram's buckets): kept together so that a
-- login writes one page for all of them.
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS app_licenses (
    app TEXT NOT NULL, keyword TEXT NOT NULL, value TEXT NOT NULL, pos INTEGER NOT NULL,
    protected INTEGER NOT NULL, used INTEGER NOT NULL, min_free INTEGER,
    PRIMARY KEY (app, keyword)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS app_taken (
    app TEXT NOT NULL, keyword TEXT NOT NULL, license_id TEXT NOT NULL, holder TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (app, keyword, license_id, holder)) WITHOUT ROWID;
-- The LOCK command's locks (locks.py): a count per process, name and mode (X or S).
CREATE TABLE IF NOT EXISTS locks (
    pid INTEGER NOT NULL,
    space TEXT NOT NULL,
    name TEXT NOT NULL,
    subscripts TEXT NOT NULL,  -- a JSON array of strings
    mode TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (pid, space, name, subscripts, mode)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS locks_name ON locks (space, name);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    kind TEXT NOT NULL,
    license_id TEXT NOT NULL,
    pid INTEGER,
    detail TEXT NOT NULL,
    units INTEGER  -- the unit change of a grant or a connect, NULL for other kinds
);
-- Where the instance clock changed between the wall clock and a simulated one: after which
-- event, to which clock, and the time the new clock read then.
CREATE TABLE IF NOT EXISTS clock_switches (
    id INTEGER PRIMARY KEY,
    after_event INTEGER NOT NULL,
    clock TEXT NOT NULL,
    time REAL NOT NULL
);
"""
# Columns added since the first schema: (table, column, declaration). A database made before
# gets them when it is opened; their indexes are made after, once the columns exist.
_ADDED_COLUMNS = (
    ("processes", "owner", "INTEGER"),
    ("csp_sessions", "owner", "INTEGER"),
)
# What earlier schemas had and this one has not: an index on processes(license_id) that no query
# used and every login and logout wrote a page of; two partial indexes that made the holders'
# counts quicker to take (license_counts.py keeps them now); the login-duration histogram's own
# table (its buckets are state rows now, on the page the counters of a logout already write).
_DROPPED_INDEXES = ("processes_license", "entries_idle", "processes_not_user")
_DROPPED = (*_DROPPED_INDEXES, "durations")
_ADDED_INDEXES = """
CREATE INDEX IF NOT EXISTS processes_owner ON processes (owner) WHERE owner IS NOT NULL;
CREATE INDEX IF NOT EXISTS csp_sessions_owner ON csp_sessions (owner) WHERE owner IS NOT NULL;
"""


@functools.cache
def state_values(names: tuple[str, ...]) -> str:
    """Select-list terms reading these state values in one row: a subquery each, which SQLite
    answers quicker than one `name IN (...)` query (no list of parameters to sort first)."""
    return ", ".join(f"(SELECT value FROM state WHERE name='{name}')" for name in names)


@functools.cache
def _put_rows(count: int, tally: bool) -> str:
    """The statement of Store.put_many for `count` values, and a `tally` to add one to."""
    rows = ", ".join(["(?, ?)"] * count)
    if not tally:
        return (
            f"INSERT INTO state(name, value) VALUES {rows} "
            "ON CONFLICT(name) DO UPDATE SET value=excluded.value"
        )
    name = f"?{2 * count + 1}"  # the parameter after the values
    return (
        f"INSERT INTO state(name, value) SELECT * FROM (VALUES {rows}) UNION ALL "
        f"SELECT {name}, coalesce((SELECT value FROM state WHERE name={name}), 0) + 1 "
        "WHERE true ON CONFLICT(name) DO UPDATE SET value=excluded.value"
    )


class StoreBusy(sqlite3.OperationalError, TimeoutError):
    """The write lock was not free within WRITE_LOCK_WAIT. An OperationalError, so whatever
    handles the store's errors handles it; a TimeoutError, so the shell, which knows nothing of
    the store, can tell a wait that ran out from a fault."""


class Store:
    """The connection to an instance's database, with small helpers for its `state` table."""

    def __init__(self, mgr: Path) -> None:
        self.path = mgr / DATABASE_NAME
        self._db: sqlite3.Connection | None = None
        self._depth = 0
        self.reopen()

    def reopen(self) -> None:
        """(Re)open the database file, making its tables when it is new and bringing one made
        by an older release up to date; one read when it is already (SCHEMA_VERSION)."""
        self.close()
        try:
            if self._version() >= SCHEMA_VERSION:
                return
            self.db.executescript(_SCHEMA)  # idempotent; executescript commits by itself
            self._add_event_units()
            self._add_columns()
            self._drop_old()
            self._count_holders()
            with self.transaction() as db:
                if self._version() < SCHEMA_VERSION:  # never lower a later release's mark
                    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            self.close()
            raise

    def _version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def quick_check(self) -> str:
        """ "" when SQLite finds the database whole (PRAGMA quick_check), else what it found."""
        rows = self.db.execute("PRAGMA quick_check").fetchall()
        found = [str(row[0]) for row in rows]
        return "" if found == ["ok"] else "; ".join(found)[:200]

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, opened on first use (again after close())."""
        if self._db is None:
            # The timeout is SQLite's busy timeout: how long a statement waits for a lock.
            self._db = instance_files.connect(self.path, WRITE_LOCK_WAIT)
        return self._db

    def close(self) -> None:
        """Give back the connection's file descriptors; a later use opens it again."""
        if self._db is not None:
            self._db.close()
            self._db = None

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
        # The busy timeout covers most contention; retry the rare "locked" that slips past it
        # until the deadline, each try waiting at most for what is left of the whole wait.
        deadline = time.monotonic() + WRITE_LOCK_WAIT
        pause = 0.01
        retried = False
        try:
            while not self._try_begin():
                if deadline - time.monotonic() <= pause:
                    raise self._busy()
                time.sleep(pause)
                pause = min(pause * 2, 0.2)
                retried = True
                self._busy_timeout(deadline - time.monotonic())
        finally:
            if retried:
                self._busy_timeout(WRITE_LOCK_WAIT)

    def _try_begin(self) -> bool:
        """Take the write lock within the busy timeout: False when it stayed taken."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            return False
        return True

    def _busy_timeout(self, seconds: float) -> None:
        self.db.execute(f"PRAGMA busy_timeout={max(int(seconds * 1000), 0)}")

    def _busy(self) -> StoreBusy:
        holder = lock_holder(self.path.with_name(self.path.name + "-shm"), _WAL_WRITE_LOCK_BYTE)
        return StoreBusy(
            f"the instance database {self.path} has been locked by "
            f"{holder or 'another process'} for more than {WRITE_LOCK_WAIT:g} s"
        )

    # -- the state table ---------------------------------------------------------------------
    def get(self, name: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM state WHERE name=?", (name,)).fetchone()
        return default if row is None or row[0] is None else row[0]

    def put(self, name: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO state(name, value) VALUES(?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value=excluded.value",
            (name, value),
        )

    def values(self, *names: str) -> tuple[Any, ...]:
        """get() of each name (None when missing), in one statement."""
        return tuple(self.db.execute(f"SELECT {state_values(names)}").fetchone())

    def put_many(self, values: dict[str, Any], tally: str | None = None) -> None:
        """put() each value, and add(tally, 1) when a tally is named, in one statement (a login
        and a logout set several counters)."""
        parameters = [item for pair in values.items() for item in pair]
        if tally is not None:
            parameters.append(tally)
        self.db.execute(_put_rows(len(values), tally is not None), parameters)

    def add(self, name: str, delta: int) -> int:
        row = self.db.execute(
            "INSERT INTO state(name, value) VALUES(?, ?) ON CONFLICT(name) "
            "DO UPDATE SET value=coalesce(value, 0)+excluded.value RETURNING value",
            (name, delta),
        ).fetchone()
        return int(row[0])

    def event(
        self,
        now: float,
        kind: EventKind,
        license_id: str,
        pid: int | None,
        detail: str = "",
        units: int | None = None,
    ) -> None:
        self.db.execute(
            "INSERT INTO events(time, kind, license_id, pid, detail, units) "
            "VALUES(?, ?, ?, ?, ?, ?)",
            (now, str(kind), license_id, pid, detail, units),
        )

    def clock_switch(self, clock: str, now: float) -> None:
        """Record that the instance clock became `clock` ("wall" or "simulated"), reading `now`,
        after the last event recorded so far."""
        self.db.execute(
            "INSERT INTO clock_switches(after_event, clock, time) "
            "VALUES((SELECT coalesce(max(id), 0) FROM events), ?, ?)",
            (clock, now),
        )

    def _add_event_units(self) -> None:
        """A database made before events had their units column gets it, filled in from the
        detail ("units +1") of the grants and connects it holds."""

        def missing() -> bool:
            columns = self.db.execute("PRAGMA table_info(events)").fetchall()
            return all(column[1] != "units" for column in columns)

        if not missing():
            return
        with self.transaction() as db:
            if missing():  # another process may have added it meanwhile
                db.execute("ALTER TABLE events ADD COLUMN units INTEGER")
                db.execute(
                    "UPDATE events SET units = CAST(substr(detail, 7) AS INTEGER) "
                    "WHERE kind IN (?, ?) AND detail GLOB 'units [+-][0-9]*'",
                    (EventKind.GRANT.value, EventKind.CONNECT.value),
                )

    def _add_columns(self) -> None:
        """A database made by an older version gets the columns added since (NULL in its rows)."""

        def missing() -> list[tuple[str, str, str]]:
            have = {
                (table, column[1])
                for table in {added[0] for added in _ADDED_COLUMNS}
                for column in self.db.execute(f"PRAGMA table_info({table})").fetchall()
            }
            return [added for added in _ADDED_COLUMNS if (added[0], added[1]) not in have]

        if missing():
            with self.transaction() as db:
                for table, column, declaration in missing():  # another process may have added some
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        self.db.executescript(_ADDED_INDEXES)

    def _drop_old(self) -> None:
        """A database made by an older version loses what _DROPPED names; the histogram's
        counts move into the state table first."""

        def present() -> bool:
            marks = ", ".join("?" * len(_DROPPED))
            found = f"SELECT 1 FROM sqlite_master WHERE name IN ({marks}) LIMIT 1"
            return self.db.execute(found, _DROPPED).fetchone() is not None

        if not present():
            return
        with self.transaction() as db:
            if not present():  # another process dropped them meanwhile
                return
            for index in _DROPPED_INDEXES:
                db.execute(f"DROP INDEX IF EXISTS {index}")
            if db.execute("SELECT 1 FROM sqlite_master WHERE name='durations'").fetchone():
                db.execute(
                    "INSERT INTO state(name, value) "
                    f"SELECT '{DURATION_PREFIX}' || bucket, count FROM durations WHERE true "
                    "ON CONFLICT(name) DO UPDATE SET value=coalesce(value, 0)+excluded.value"
                )
                db.execute("DROP TABLE durations")

    def _count_holders(self) -> None:
        """A database without license_counts' triggers gets them, and the counts they keep
        from what its tables hold, in one transaction."""

        def missing() -> bool:
            found = "SELECT 1 FROM sqlite_master WHERE type='trigger' AND name=?"
            return self.db.execute(found, (license_counts.FIRST_TRIGGER,)).fetchone() is None

        if not missing():
            return
        with self.transaction() as db:
            if missing():  # another process may have made them meanwhile
                for trigger in license_counts.TRIGGERS:
                    db.execute(trigger)
                db.execute(license_counts.COUNT_NOW)
