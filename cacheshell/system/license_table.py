"""The instance's local license table: the rules of table.py applied to the shared store.

Each public method is one transaction. Capacity, limits and the license server's NAK live in the
store's state, so every process attached to the instance decides from the same facts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cacheshell.system import table
from cacheshell.system.applications import (
    process_holder,
    release_application_units,
    session_holder,
)
from cacheshell.system.events import EventKind
from cacheshell.system.processes import alive, start_time
from cacheshell.system.store import Store
from cacheshell.system.table import Decision, Entry, Limits

# Process types as ProcessList reports them.
USER, DIAGNOSTIC, PENDING, SYSTEM, CSP, SERVER = (
    "User",
    "Diagnostic",
    "Pending",
    "System",
    "CSP",
    "Server",
)
# Why the processes and CSP sessions a session made end with it (the release event's detail).
OWNER_ENDED = "owner ended"


@dataclass(frozen=True)
class ProcessRow:
    pid: int
    license_id: str
    kind: str
    client: str
    username: str
    started: float
    os_pid: int | None
    parent: int | None
    owner: int | None = None  # the session whose process made it, for a simulated client


class LicenseTable:
    def __init__(self, store: Store, now: Callable[[], float]) -> None:
        self.store = store
        self.now = now

    # -- reading -------------------------------------------------------------------------------
    def entry(self, license_id: str) -> Entry | None:
        row = self.store.db.execute(
            "SELECT license_id, connections, csp, per_process, since, grace_until, peak "
            "FROM entries WHERE license_id=?",
            (license_id,),
        ).fetchone()
        return None if row is None else _entry(row)

    def entries(self) -> list[Entry]:
        with self.store.transaction():
            self._expire_grace()
            rows = self.store.db.execute(
                "SELECT license_id, connections, csp, per_process, since, grace_until, peak "
                "FROM entries ORDER BY since, license_id"
            ).fetchall()
        return [_entry(r) for r in rows]

    def processes(self) -> list[ProcessRow]:
        rows = self.store.db.execute(
            "SELECT pid, license_id, kind, client, username, started, os_pid, parent, owner "
            "FROM processes ORDER BY started, pid"
        ).fetchall()
        return [ProcessRow(*r) for r in rows]

    def process(self, pid: int) -> ProcessRow | None:
        row = self.store.db.execute(
            "SELECT pid, license_id, kind, client, username, started, os_pid, parent, owner "
            "FROM processes WHERE pid=?",
            (pid,),
        ).fetchone()
        return None if row is None else ProcessRow(*row)

    def limits(self) -> Limits:
        return _limits(self._state(*_LIMITS))

    def _state(self, *names: str) -> dict[str, Any]:
        """Several values of the state table in one statement (missing and NULL ones left out):
        a login reads a dozen of them, and each statement costs as much as the rule itself."""
        marks = ", ".join("?" * len(names))
        rows = self.store.db.execute(
            f"SELECT name, value FROM state WHERE name IN ({marks}) AND value IS NOT NULL", names
        ).fetchall()
        return dict(rows)

    def consumed(self) -> int:
        return int(self.store.get("consumed", 0))

    def connection_count(self, license_id: str) -> int:
        entry = self.entry(license_id)
        return 0 if entry is None else entry.connections

    # -- changing ------------------------------------------------------------------------------
    def attach(
        self,
        pid: int,
        license_id: str,
        kind: str,
        client: str,
        username: str,
        os_pid: int | None = None,
        parent: int | None = None,
        owner: int | None = None,
    ) -> Decision:
        """A process starts. USER processes take a unit under license_id; PENDING ones (deferred
        login) and SYSTEM ones take none; DIAGNOSTIC takes the one reserved unit if it is free.
        An `owner` (a process's PID) ends it when the owner ends."""
        with self.store.transaction():
            now = self.now()
            self._expire_grace(now)
            self.reclaim_dead()
            if kind == DIAGNOSTIC:
                holder = self.store.get("diagnostic_pid")
                if holder is None or self.process(int(holder)) is None:
                    self.store.put("diagnostic_pid", pid)
                    self._insert(
                        pid, license_id, DIAGNOSTIC, client, username, now, os_pid, parent, owner
                    )
                    self._track_peaks()
                    return Decision(True, None)
                kind = USER  # the reserved unit is taken: log in as anyone else would
            if kind in (PENDING, SYSTEM, SERVER):
                self._insert(pid, "", kind, client, username, now, os_pid, parent, owner)
                self._track_peaks()
                return Decision(True, None)
            decision = self._connect(license_id, now, pid)
            if decision.granted:
                self._insert(pid, license_id, kind, client, username, now, os_pid, parent, owner)
                self._track_peaks()
            return decision

    def detach(self, pid: int, reason: str = "process ended") -> None:
        """A process ends (exit, HALT, kill): its unit and its share of its ID return, and the
        processes and CSP sessions it owns end with it."""
        with self.store.transaction():
            self._remove_process(pid, reason)

    def disown(self, pids: list[int], session_ids: list[str]) -> int:
        """The processes and CSP sessions no longer end with their owner; how many still ran."""
        with self.store.transaction():
            db = self.store.db
            found = sum(
                db.execute("UPDATE processes SET owner=NULL WHERE pid=?", (pid,)).rowcount
                for pid in pids
            )
            return found + sum(
                db.execute("UPDATE csp_sessions SET owner=NULL WHERE id=?", (sid,)).rowcount
                for sid in session_ids
            )

    def relogin(self, pid: int, license_id: str) -> Decision:
        """$SYSTEM.License.Login(): move a process to another license ID, giving up the old one
        only when the new one was granted."""
        with self.store.transaction():
            now = self.now()
            self._expire_grace()
            proc = self.process(pid)
            if proc is None:
                return Decision(False, None, reason="process is not attached")
            if proc.license_id == license_id and proc.kind != PENDING:
                return Decision(True, self.entry(license_id))
            decision = self._connect(license_id, now, pid)
            if not decision.granted:
                return decision
            if proc.license_id:
                self._release(proc.license_id, now, pid)
            kind = USER if proc.kind in (PENDING, DIAGNOSTIC) else proc.kind
            if proc.kind == DIAGNOSTIC:
                self.store.put("diagnostic_pid", None)
            self.store.db.execute(
                "UPDATE processes SET license_id=?, kind=? WHERE pid=?", (license_id, kind, pid)
            )
            self._track_peaks()
            return decision

    def reclaim_dead(self) -> int:
        """Release the entries of OS processes that died without a word."""
        if not self._dead_processes():  # a read: the write lock only when there is work
            return 0
        with self.store.transaction():
            dead = self._dead_processes()
            for pid in dead:
                self._remove_process(pid, reason="process died")
            return len(dead)

    # -- CSP sessions --------------------------------------------------------------------------
    def csp_start(
        self,
        session_id: str,
        license_id: str,
        username: str,
        timeout: float,
        owner: int | None = None,
    ) -> Decision:
        with self.store.transaction():
            now = self.now()
            self._expire_grace()
            decision = self._connect(license_id, now, None, csp=True)
            if decision.granted:
                self.store.db.execute(
                    "INSERT INTO csp_sessions(id, license_id, username, pages, started, last, "
                    "timeout, owner) VALUES(?, ?, ?, 0, ?, ?, ?, ?)",
                    (session_id, license_id, username, now, now, timeout, owner),
                )
                self._track_peaks()
            return decision

    def csp_page(self, session_id: str) -> bool:
        with self.store.transaction():
            self.expire_sessions()
            cur = self.store.db.execute(
                "UPDATE csp_sessions SET pages=pages+1, last=? WHERE id=?", (self.now(), session_id)
            )
            return cur.rowcount == 1

    def csp_login(self, session_id: str, license_id: str, username: str) -> Decision:
        """%CSP.Session.Login(): the session moves to the user's license ID, giving up its own
        (without a grace period) only when the new one was granted."""
        with self.store.transaction():
            self.expire_sessions()
            row = self.store.db.execute(
                "SELECT license_id FROM csp_sessions WHERE id=?", (session_id,)
            ).fetchone()
            if row is None:
                return Decision(False, None, reason="no such CSP session")
            if row[0] == license_id:
                return Decision(True, self.entry(license_id))
            now = self.now()
            decision = self._connect(license_id, now, None, csp=True)
            if decision.granted:
                self._release(row[0], now, None, csp=True, reason="CSP session logged in")
                self.store.db.execute(
                    "UPDATE csp_sessions SET license_id=?, username=? WHERE id=?",
                    (license_id, username, session_id),
                )
            return decision

    def csp_end(self, session_id: str, reason: str = "CSP session ended") -> bool:
        """The browser leaves: after one page the unit stays for the grace period."""
        with self.store.transaction():
            return self._end_session(session_id, self.now(), reason)

    def end_grace(self) -> int:
        """Drop every grace-period hold now, whatever time it has left; how many."""
        with self.store.transaction():
            return self._expire_grace(everything=True)

    def _dead_processes(self) -> list[int]:
        rows = self.store.db.execute(
            "SELECT pid, os_pid, os_start FROM processes WHERE os_pid IS NOT NULL"
        ).fetchall()
        return [pid for pid, os_pid, start in rows if not alive(os_pid, start)]

    def expiry_due(self) -> bool:
        """Whether a CSP session's timeout or a grace period has run out (a read only)."""
        now = self.now()
        db = self.store.db
        return (
            db.execute(
                "SELECT 1 FROM csp_sessions WHERE last + timeout <= ? LIMIT 1", (now,)
            ).fetchone()
            is not None
            or db.execute(
                "SELECT 1 FROM entries WHERE grace_until IS NOT NULL AND grace_until <= ? LIMIT 1",
                (now,),
            ).fetchone()
            is not None
        )

    def expire_sessions(self) -> int:
        """End the CSP sessions whose timeout passed, and grace periods that ran out."""
        with self.store.transaction():
            now = self.now()
            rows = self.store.db.execute(
                "SELECT id FROM csp_sessions WHERE last + timeout <= ?", (now,)
            ).fetchall()
            for (sid,) in rows:
                self._end_session(sid, now, "CSP session timed out")
            self._expire_grace()
            return len(rows)

    # -- internals -----------------------------------------------------------------------------
    def _connect(self, license_id: str, now: float, pid: int | None, csp: bool = False) -> Decision:
        entry = self.entry(license_id)
        state = self._state(*_CONSUME)
        decision = table.connect(
            entry, license_id, int(state.get("consumed", 0)), _limits(state), now, csp
        )
        if not decision.granted:
            self.store.event(now, EventKind.DENIED, license_id, pid, decision.reason)
            if decision.logged:
                self.store.add("limit_exceeded", 1)
            return decision
        self._write(license_id, decision.entry)
        self._consume(decision.units_delta, state)
        kind = EventKind.GRANT if entry is None or entry.empty else EventKind.CONNECT
        units = decision.units_delta
        self.store.event(now, kind, license_id, pid, f"units {units:+d}", units)
        if decision.transition and decision.entry is not None:
            self.store.event(
                now,
                EventKind.PER_PROCESS,
                license_id,
                pid,
                f"{decision.entry.connections} connections: one unit each",
            )
        return decision

    def _release(
        self,
        license_id: str,
        now: float,
        pid: int | None,
        csp: bool = False,
        pages: int = 0,
        reason: str = "released",
    ) -> None:
        entry = self.entry(license_id)
        if entry is None:
            return
        decision = table.disconnect(entry, now, csp, pages)
        self._write(license_id, decision.entry)
        self._consume(decision.units_delta)
        if entry.per_process and (decision.entry is None or not decision.entry.per_process):
            self.store.event(now, EventKind.RESET, license_id, pid, "per-process counting reset")
        if decision.entry is None:
            self.store.event(now, EventKind.RELEASE, license_id, pid, reason)
        elif decision.entry.grace_until is not None and entry.grace_until is None:
            self.store.event(now, EventKind.GRACE, license_id, pid, "held for the CSP grace period")
            self._track_peaks()  # one more session in grace: MaxCSPGrace may rise

    def _remove_process(self, pid: int, reason: str = "process ended") -> None:
        proc = self.process(pid)
        if proc is None:
            return
        now = self.now()
        self.store.db.execute("DELETE FROM processes WHERE pid=?", (pid,))
        # Application licenses go back together with the Caché license.
        release_application_units(self.store, process_holder(pid))
        if proc.kind == DIAGNOSTIC:
            self.store.put("diagnostic_pid", None)
        elif proc.license_id:
            self._release(proc.license_id, now, pid, reason=reason)
        if proc.kind in (USER, DIAGNOSTIC):
            bucket = table.duration_bucket(now - proc.started)
            self.store.db.execute(
                "INSERT INTO durations(bucket, count) VALUES(?, 1) ON CONFLICT(bucket) "
                "DO UPDATE SET count=count+1",
                (bucket,),
            )
        self._end_owned(pid, now)

    def _end_owned(self, owner: int, now: float) -> None:
        """What a process owns ends with it, in its transaction: its simulated clients exit,
        its CSP sessions end as when the browser leaves (one page: the grace period)."""
        db = self.store.db
        owned = db.execute("SELECT pid FROM processes WHERE owner=? ORDER BY pid", (owner,))
        for (pid,) in owned.fetchall():
            self._remove_process(pid, OWNER_ENDED)
        owned = db.execute("SELECT id FROM csp_sessions WHERE owner=? ORDER BY id", (owner,))
        for (session_id,) in owned.fetchall():
            self._end_session(session_id, now, OWNER_ENDED)

    def _end_session(self, session_id: str, now: float, reason: str) -> bool:
        row = self.store.db.execute(
            "SELECT license_id, pages FROM csp_sessions WHERE id=?", (session_id,)
        ).fetchone()
        if row is None:
            return False
        self.store.db.execute("DELETE FROM csp_sessions WHERE id=?", (session_id,))
        release_application_units(self.store, session_holder(session_id))
        self._release(row[0], now, None, csp=True, pages=row[1], reason=reason)
        return True

    def _expire_grace(self, now: float | None = None, everything: bool = False) -> int:
        now = self.now() if now is None else now
        until = float("inf") if everything else now
        rows = self.store.db.execute(
            "SELECT license_id FROM entries WHERE grace_until IS NOT NULL AND grace_until <= ?",
            (until,),
        ).fetchall()
        for (license_id,) in rows:
            entry = self.entry(license_id)
            if entry is None:
                continue
            decision = table.expire_grace(entry, until)
            self._write(license_id, decision.entry)
            self._consume(decision.units_delta)
            detail = "CSP grace period ended" if everything else "CSP grace period over"
            self.store.event(now, EventKind.RELEASE, license_id, None, detail)
        return len(rows)

    def _write(self, license_id: str, entry: Entry | None) -> None:
        self.store.put("monitor_dirty", 1)  # the license monitor reports the change at once
        if entry is None:
            self.store.db.execute("DELETE FROM entries WHERE license_id=?", (license_id,))
            return
        self.store.db.execute(
            "INSERT INTO entries(license_id, connections, csp, per_process, since, grace_until, "
            "peak) VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(license_id) DO UPDATE SET "
            "connections=excluded.connections, csp=excluded.csp, "
            "per_process=excluded.per_process, since=excluded.since, "
            "grace_until=excluded.grace_until, peak=excluded.peak",
            (
                license_id,
                entry.connections,
                entry.csp,
                int(entry.per_process),
                entry.since,
                entry.grace_until,
                entry.peak,
            ),
        )

    def _consume(self, delta: int, state: dict[str, Any] | None = None) -> None:
        """Count `delta` units; `state` is what the caller read of _CONSUME in this transaction
        (it holds the write lock, so no other process has changed it since)."""
        if not delta:
            return
        if state is None:
            state = self._state(*_CONSUME)
        consumed = int(state.get("consumed", 0)) + delta
        self.store.put("consumed", consumed)
        if consumed > int(state.get("max_consumed", 0)):
            self.store.put("max_consumed", consumed)
        available = _limits(state).capacity - consumed
        low = state.get("min_available")
        if low is None or available < int(low):
            self.store.put("min_available", available)

    def _insert(
        self,
        pid: int,
        license_id: str,
        kind: str,
        client: str,
        username: str,
        now: float,
        os_pid: int | None,
        parent: int | None,
        owner: int | None = None,
    ) -> None:
        self.store.db.execute(
            "INSERT OR REPLACE INTO processes(pid, license_id, kind, client, username, started, "
            "os_pid, os_start, parent, owner) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                pid,
                license_id,
                kind,
                client,
                username,
                now,
                os_pid,
                start_time(os_pid) if os_pid else None,
                parent,
                owner,
            ),
        )

    def _track_peaks(self) -> None:
        # Connections, CSP sessions, distinct users, sessions in grace and user processes each
        # have a peak (ShowCounts, MaxCSPGrace, ProcMaxConsumed).
        counts = self.store.db.execute(_PEAK_COUNTS).fetchone()
        peaks = self._state(*_PEAKS)
        for name, count in zip(_PEAKS, counts, strict=True):
            if count > int(peaks.get(name, 0)):
                self.store.put(name, count)


def _entry(row: tuple[Any, ...]) -> Entry:
    return Entry(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6])


# Counted at every login, these must not scan the tables: each is a count(*) (which SQLite
# answers from the b-tree) less a count over a partial index (entries_idle, processes_not_user
# in the store's schema) that holds only the few rows left out.
_IDLE = "connections = 0 AND csp = 0"
_NOT_USER = f"kind IN ('{SYSTEM}', '{SERVER}')"
_ACTIVE_USERS = f"(SELECT count(*) FROM entries) - (SELECT count(*) FROM entries WHERE {_IDLE})"
_IN_GRACE = "(SELECT count(*) FROM entries WHERE grace_until IS NOT NULL)"
_USER_PROCESSES = (
    f"(SELECT count(*) FROM processes) - (SELECT count(*) FROM processes WHERE {_NOT_USER})"
)
_PEAKS = ("max_connections", "max_csp", "max_users", "max_grace", "max_processes")
_PEAK_COUNTS = (
    f"SELECT (SELECT count(*) FROM processes), (SELECT count(*) FROM csp_sessions), "
    f"{_ACTIVE_USERS}, {_IN_GRACE}, {_USER_PROCESSES}"
)
_LIMITS = ("capacity", "user_limit", "connection_limit", "nak")
_CONSUME = ("consumed", "max_consumed", "min_available", *_LIMITS)


def _limits(state: dict[str, Any]) -> Limits:
    capacity = int(state.get("capacity", 0))
    user_limit = int(state.get("user_limit", 0))
    if user_limit:
        capacity = min(capacity, user_limit)
    return Limits(capacity, int(state.get("connection_limit", 0)), bool(state.get("nak", 0)))


def active_users(db: sqlite3.Connection) -> int:
    """License IDs with a process or a CSP session now (those only in grace are not active)."""
    return int(db.execute(f"SELECT {_ACTIVE_USERS}").fetchone()[0])


def in_grace(db: sqlite3.Connection) -> int:
    return int(db.execute(f"SELECT {_IN_GRACE}").fetchone()[0])


def user_processes(db: sqlite3.Connection) -> int:
    """Processes that hold, or wait for, a license: all but System and Server ones."""
    return int(db.execute(f"SELECT {_USER_PROCESSES}").fetchone()[0])
