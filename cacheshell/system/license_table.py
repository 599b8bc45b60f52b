"""The instance's local license table: the processes and CSP sessions that hold license units,
over the entries of license_entries.py (the rules of table.py applied to the shared store).

Each public method is one transaction. A process or session takes its unit when it starts or
logs in and gives it back when it ends; what a process owns ends with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cacheshell.system import license_counts, table
from cacheshell.system.applications import process_holder, release_application_units
from cacheshell.system.license_sessions import CspSessions
from cacheshell.system.locks import release_owner
from cacheshell.system.processes import alive, start_time
from cacheshell.system.store import DURATION_PREFIX
from cacheshell.system.table import Decision

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


class LicenseTable(CspSessions):
    # -- reading -------------------------------------------------------------------------------
    def processes(self, start: int = 0, count: int | None = None) -> list[ProcessRow]:
        """Every process: the instance's System ones first (they start with it), then by start;
        `count` of them from the `start`-th when given."""
        rows = self.store.db.execute(
            "SELECT pid, license_id, kind, client, username, started, os_pid, parent, owner "
            f"FROM processes ORDER BY kind <> '{SYSTEM}', started, pid LIMIT ? OFFSET ?",
            (-1 if count is None else count, start),
        ).fetchall()
        return [ProcessRow(*r) for r in rows]

    def process_count(self) -> int:
        return int(self.store.db.execute("SELECT count(*) FROM processes").fetchone()[0])

    def process(self, pid: int) -> ProcessRow | None:
        row = self.store.db.execute(
            "SELECT pid, license_id, kind, client, username, started, os_pid, parent, owner "
            "FROM processes WHERE pid=?",
            (pid,),
        ).fetchone()
        return None if row is None else ProcessRow(*row)

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
            # A USER login settles in its first read (_connect's settle): one statement fewer.
            settled = kind != USER
            if settled:
                self._settle(now)
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
            decision = self._connect(license_id, now, pid, settle=not settled)
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

    def relogin(self, pid: int, license_id: str, record_refusal: bool = True) -> Decision:
        """$SYSTEM.License.Login(): move a process to another license ID, giving up the old one
        only when the new one was granted. A refusal is a refused login (its event, the console
        log's count) unless `record_refusal` is false (a setting that changes the ID)."""
        with self.store.transaction():
            now = self.now()
            self._expire_grace()
            proc = self.process(pid)
            if proc is None:
                return Decision(False, None, reason="process is not attached")
            if proc.license_id == license_id and proc.kind != PENDING:
                return Decision(True, self.entry(license_id))
            decision = self._connect(license_id, now, pid, record_refusal=False)
            if not decision.granted and self._frees_unit(proc.license_id, now):
                decision = self._connect_in_place_of(proc.license_id, license_id, now, pid)
            elif decision.granted and proc.license_id:
                self._release(proc.license_id, now, pid)
            if not decision.granted:
                if record_refusal:
                    self._record_refusal(license_id, now, pid, decision)
                return decision
            kind = USER if proc.kind in (PENDING, DIAGNOSTIC) else proc.kind
            if proc.kind == DIAGNOSTIC:
                self.store.put("diagnostic_pid", None)
            self.store.db.execute(
                "UPDATE processes SET license_id=?, kind=? WHERE pid=?", (license_id, kind, pid)
            )
            self._track_peaks()
            return decision

    def _frees_unit(self, license_id: str, now: float) -> bool:
        """Whether one process leaving license_id gives a unit back (it was the ID's only
        process, or the ID counts one unit per process)."""
        entry = self.entry(license_id) if license_id else None
        return entry is not None and table.disconnect(entry, now).units_delta < 0

    def _connect_in_place_of(self, old: str, new: str, now: float, pid: int) -> Decision:
        """Login() on a full table: the process gives back its own unit under `old`, then takes
        one under `new`; if even that is refused, it keeps `old` as it was."""
        db = self.store.db
        db.execute("SAVEPOINT login_in_place")
        self._release(old, now, pid)
        decision = self._connect(new, now, pid, record_refusal=False)
        if not decision.granted:
            db.execute("ROLLBACK TO login_in_place")
        db.execute("RELEASE login_in_place")
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

    def _settle_due(self) -> str:
        return f"{super()._settle_due()} OR {_MAY_BE_DEAD}"

    def _settle(self, now: float) -> int:
        """Grace periods that ran out, then the OS processes that died without a word."""
        return super()._settle(now) + self.reclaim_dead()

    def _dead_processes(self) -> list[int]:
        rows = self.store.db.execute(
            "SELECT pid, os_pid, os_start FROM processes WHERE os_pid IS NOT NULL"
        ).fetchall()
        return [pid for pid, os_pid, start in rows if not alive(os_pid, start)]

    # -- internals -----------------------------------------------------------------------------
    def _remove_process(self, pid: int, reason: str = "process ended") -> None:
        # The statement that deletes the process also says whether it held LOCKs, application
        # units, or owned clients or CSP sessions: most hold none, and need no statement more.
        gone = self.store.db.execute(_GONE, (pid, process_holder(pid))).fetchone()
        if gone is None:
            release_owner(self.store, pid)  # LOCKs taken under a PID that never attached
            return
        license_id, kind, started, locked, holds_units, owns = gone
        if locked:
            release_owner(self.store, pid)  # its LOCKs end with it, as in Caché
        now = self.now()
        if holds_units:
            # Application licenses go back together with the Caché license.
            release_application_units(self.store, process_holder(pid), now)
        # The login-duration histogram's bucket counts one more, with the units' counters
        # when the process gives a unit back.
        tally = None
        if kind in (USER, DIAGNOSTIC):
            tally = duration_key(table.duration_bucket(now - started))
        if kind == DIAGNOSTIC:
            self.store.put("diagnostic_pid", None)
        elif license_id and self._release(license_id, now, pid, reason=reason, tally=tally):
            tally = None
        if tally is not None:
            self.store.add(tally, 1)
        if owns:
            self._end_owned(pid, now)

    def _end_owned(self, owner: int, now: float) -> None:
        """What a process owns ends with it, in its transaction: its simulated clients exit,
        its CSP sessions end as when the browser leaves (one page: the grace period)."""
        # One statement for both (most processes own nothing): ending a client ends only what
        # the client owns, so the owner's sessions are the same before and after.
        owned = self.store.db.execute(_OWNED, (owner, owner)).fetchall()
        for pid, session_id in owned:
            if session_id is None:
                self._remove_process(pid, OWNER_ENDED)
            else:
                self._end_session(session_id, now, OWNER_ENDED)

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
        # An upsert, not INSERT OR REPLACE: a replaced row would leave license_counts' delete
        # trigger unfired (SQLite fires it only with recursive triggers on).
        self.store.db.execute(
            "INSERT INTO processes(pid, license_id, kind, client, username, started, os_pid, "
            "os_start, parent, owner) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(pid) DO "
            "UPDATE SET license_id=excluded.license_id, kind=excluded.kind, "
            "client=excluded.client, username=excluded.username, started=excluded.started, "
            "os_pid=excluded.os_pid, os_start=excluded.os_start, parent=excluded.parent, "
            "commands=0, owner=excluded.owner",
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

    def restart_peaks(self) -> None:
        """Start the peaks and the low-water mark again from the use now, as a start does
        (ShowCounts' Maximum and Minimum lines, MaxCSPGrace, ProcMaxConsumed)."""
        with self.store.transaction():
            for name in _PEAKS:
                self.store.put(name, 0)
            self._track_peaks()
            consumed = int(self.store.get("consumed", 0) or 0)
            self.store.put("max_consumed", consumed)
            self.store.put("min_available", self.limits().capacity - consumed)

    def _track_peaks(self) -> None:
        # Connections, CSP sessions, distinct users, sessions in grace and user processes each
        # have a peak (ShowCounts, MaxCSPGrace, ProcMaxConsumed).
        self.store.db.execute(_RAISE_PEAKS)


_PEAKS = ("max_connections", "max_csp", "max_users", "max_grace", "max_processes")
# The count each peak follows, in the order of _PEAKS.
_PEAK_COUNTS = (
    license_counts.USER_PROCESSES,
    license_counts.CSP_SESSIONS,
    license_counts.ACTIVE_USERS,
    license_counts.IN_GRACE,
    license_counts.USER_PROCESSES,
)
# Raise each peak whose count passed it, in one statement (a write only when one rises); a
# missing peak is 0.
_RAISE_PEAKS = (
    "INSERT INTO state(name, value) SELECT peak.column1, count.value FROM (VALUES "
    + ", ".join(f"('{peak}', '{count}')" for peak, count in zip(_PEAKS, _PEAK_COUNTS, strict=True))
    + ") AS peak JOIN state AS count ON count.name = peak.column2 "
    "LEFT JOIN state AS high ON high.name = peak.column1 "
    "WHERE count.value > coalesce(high.value, 0) "
    "ON CONFLICT(name) DO UPDATE SET value=excluded.value"
)
# reclaim_dead may have work: a process has an OS process, which may have died.
_MAY_BE_DEAD = "EXISTS (SELECT 1 FROM processes WHERE os_pid IS NOT NULL)"
# Delete a process (?1), returning its license ID, kind and start, and whether it has LOCKs,
# application units (held as ?2) and things it owns (_OWNED).
_GONE = (
    "DELETE FROM processes WHERE pid=?1 RETURNING license_id, kind, started, "
    "EXISTS (SELECT 1 FROM locks WHERE pid=?1), "
    "EXISTS (SELECT 1 FROM app_taken WHERE holder=?2), "
    "EXISTS (SELECT 1 FROM processes WHERE owner=?1) "
    "OR EXISTS (SELECT 1 FROM csp_sessions WHERE owner=?1)"
)
# What a process owns: (pid, NULL) for a simulated client, (NULL, id) for a CSP session.
_OWNED = (
    "SELECT pid, NULL FROM processes WHERE owner=? UNION ALL "
    "SELECT NULL, id FROM csp_sessions WHERE owner=? ORDER BY 2, 1"
)


def duration_key(bucket: int) -> str:
    """The state row that counts the logouts of one login-duration bucket."""
    return f"{DURATION_PREFIX}{bucket}"
