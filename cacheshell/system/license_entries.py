"""The entries of the local license table: one row per license user ID in the shared store, the
units it holds by the rules of table.py, and the counters those units move (consumed, its peak,
the fewest available). Capacity, limits and the license server's NAK live in the store's state,
so every process attached to the instance decides from the same facts.

CspSessions (license_sessions.py) and LicenseTable (license_table.py) build on this the CSP
sessions and the processes that hold the units; LicenseTable also keeps the peaks, which count
those holders.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from cacheshell.system import table
from cacheshell.system.events import EventKind
from cacheshell.system.store import Store, state_values
from cacheshell.system.table import Decision, Entry, Limits

_IDS_PER_STATEMENT = 500  # well under SQLite's limit on a statement's parameters


class LicenseEntries(ABC):
    def __init__(self, store: Store, now: Callable[[], float]) -> None:
        self.store = store
        self.now = now
        # _ENTRY_AND_STATE with _settle_due() as its last column.
        self._entry_state_due = _with_due(self._settle_due())

    # -- reading -------------------------------------------------------------------------------
    def entry(self, license_id: str) -> Entry | None:
        row = self.store.db.execute(
            "SELECT license_id, connections, csp, per_process, since, grace_until, peak "
            "FROM entries WHERE license_id=?",
            (license_id,),
        ).fetchone()
        return None if row is None else _entry(row)

    def entries_of(self, license_ids: Iterable[str]) -> dict[str, Entry]:
        """The entries of these license IDs that exist, by ID (a few statements, not one per
        ID)."""
        wanted = list(dict.fromkeys(license_ids))
        found: dict[str, Entry] = {}
        for first in range(0, len(wanted), _IDS_PER_STATEMENT):
            chunk = wanted[first : first + _IDS_PER_STATEMENT]
            rows = self.store.db.execute(
                "SELECT license_id, connections, csp, per_process, since, grace_until, peak "
                f"FROM entries WHERE license_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            found.update((row[0], _entry(row)) for row in rows)
        return found

    def entries(self, start: int = 0, count: int | None = None) -> list[Entry]:
        """The entries in use, oldest first; `count` of them from the `start`-th when given
        (a page of a long table, cut by SQLite)."""
        with self.store.transaction():
            self._expire_grace()
            rows = self.store.db.execute(
                "SELECT license_id, connections, csp, per_process, since, grace_until, peak "
                "FROM entries ORDER BY since, license_id LIMIT ? OFFSET ?",
                (-1 if count is None else count, start),
            ).fetchall()
        return [_entry(r) for r in rows]

    def entry_count(self) -> int:
        return int(self.store.db.execute("SELECT count(*) FROM entries").fetchone()[0])

    def limits(self) -> Limits:
        return _limits(self._state(*_LIMITS))

    def _state(self, *names: str) -> dict[str, Any]:
        """Several values of the state table in one statement (missing and NULL ones left out):
        a login reads a dozen of them, and each statement costs as much as the rule itself."""
        return _present(names, self.store.values(*names))

    def _entry_and_state(self, license_id: str) -> tuple[Entry | None, dict[str, Any]]:
        """entry(license_id) and _state(*_CONSUME), in one statement: what a login or a logout
        decides from."""
        row = self.store.db.execute(_ENTRY_AND_STATE, (license_id,)).fetchone()
        return (None if row[0] is None else _entry(row)), _present(_CONSUME, row[_ENTRY_WIDTH:])

    def _settled_entry_and_state(
        self, license_id: str, now: float
    ) -> tuple[Entry | None, dict[str, Any]]:
        """_settle(now), then _entry_and_state(license_id): one statement when there is nothing
        to settle, which is the usual case (the read also asks whether there is)."""
        row = self.store.db.execute(self._entry_state_due, (license_id, now)).fetchone()
        if row[-1] and self._settle(now):
            return self._entry_and_state(license_id)
        return (None if row[0] is None else _entry(row)), _present(_CONSUME, row[_ENTRY_WIDTH:-1])

    def _settle_due(self) -> str:
        """An SQL condition, true when _settle(now) may have work (`?2` is now)."""
        return _GRACE_DUE

    def _settle(self, now: float) -> int:
        """Release what time has ended before a login decides: grace periods that ran out."""
        return self._expire_grace(now)

    def consumed(self) -> int:
        return int(self.store.get("consumed", 0))

    def connection_count(self, license_id: str) -> int:
        entry = self.entry(license_id)
        return 0 if entry is None else entry.connections

    # -- changing ------------------------------------------------------------------------------
    def end_grace(self) -> int:
        """Drop every grace-period hold now, whatever time it has left; how many."""
        with self.store.transaction():
            return self._expire_grace(everything=True)

    def _connect(
        self,
        license_id: str,
        now: float,
        pid: int | None,
        csp: bool = False,
        record_refusal: bool = True,
        settle: bool = False,
    ) -> Decision:
        """Take a unit (or share one) under license_id; a refusal is recorded (its event and
        the console log's count) unless the caller will record it itself. With `settle`, what
        time has ended is released first (_settle)."""
        if settle:
            entry, state = self._settled_entry_and_state(license_id, now)
        else:
            entry, state = self._entry_and_state(license_id)
        decision = table.connect(
            entry, license_id, int(state.get("consumed", 0)), _limits(state), now, csp
        )
        if not decision.granted:
            if record_refusal:
                self._record_refusal(license_id, now, pid, decision)
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

    def _record_refusal(
        self, license_id: str, now: float, pid: int | None, decision: Decision
    ) -> None:
        """One refused login: its event, and one more for the console log's count."""
        self.store.event(now, EventKind.DENIED, license_id, pid, decision.reason)
        if decision.logged:
            self.store.add("limit_exceeded", 1)

    def _release(
        self,
        license_id: str,
        now: float,
        pid: int | None,
        csp: bool = False,
        pages: int = 0,
        reason: str = "released",
        tally: str | None = None,
    ) -> bool:
        """Give back a unit (or a share of one) under license_id, and add one to the counter
        `tally` with the units' counters; False when the ID has no entry (nothing done)."""
        entry, state = self._entry_and_state(license_id)
        if entry is None:
            return False
        decision = table.disconnect(entry, now, csp, pages)
        self._write(license_id, decision.entry)
        self._consume(decision.units_delta, state, tally)
        if entry.per_process and (decision.entry is None or not decision.entry.per_process):
            self.store.event(now, EventKind.RESET, license_id, pid, "per-process counting reset")
        if decision.entry is None:
            self.store.event(now, EventKind.RELEASE, license_id, pid, reason)
        elif decision.entry.grace_until is not None and entry.grace_until is None:
            self.store.event(now, EventKind.GRACE, license_id, pid, "held for the CSP grace period")
            self._track_peaks()  # one more session in grace: MaxCSPGrace may rise
        return True

    def _expire_grace(self, now: float | None = None, everything: bool = False) -> int:
        now = self.now() if now is None else now
        until = float("inf") if everything else now
        rows = self.store.db.execute(
            "SELECT license_id, grace_until FROM entries WHERE grace_until IS NOT NULL AND "
            "grace_until <= ? ORDER BY grace_until, license_id",
            (until,),
        ).fetchall()
        for license_id, grace_until in rows:
            entry = self.entry(license_id)
            if entry is None:
                continue
            decision = table.expire_grace(entry, until)
            self._write(license_id, decision.entry)
            self._consume(decision.units_delta)
            detail = "CSP grace period ended" if everything else "CSP grace period over"
            # A period that ran out is released as of its end, not of when it was noticed.
            when = now if everything else min(float(grace_until), now)
            self.store.event(when, EventKind.RELEASE, license_id, None, detail)
        return len(rows)

    def _write(self, license_id: str, entry: Entry | None) -> None:
        """Store an entry as a rule left it; the caller counts its units (_consume)."""
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

    def _consume(
        self, delta: int, state: dict[str, Any] | None = None, tally: str | None = None
    ) -> None:
        """After an entry changed: count `delta` units, flag the change to the license monitor
        (it reports at once) and add one to `tally` when named, in one statement. `state` is
        what the caller read of _CONSUME in this transaction (it holds the write lock, so no
        other process has changed it since)."""
        changes: dict[str, Any] = {"monitor_dirty": 1}
        if delta:
            if state is None:
                state = self._state(*_CONSUME)
            consumed = changes["consumed"] = int(state.get("consumed", 0)) + delta
            if consumed > int(state.get("max_consumed", 0)):
                changes["max_consumed"] = consumed
            available = _limits(state).capacity - consumed
            low = state.get("min_available")
            if low is None or available < int(low):
                changes["min_available"] = available
        self.store.put_many(changes, tally)

    @abstractmethod
    def _track_peaks(self) -> None:
        """Raise the peaks the holders of the units reach (a unit in grace is one more)."""


def _entry(row: tuple[Any, ...]) -> Entry:
    return Entry(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6])


def _present(names: tuple[str, ...], values: Sequence[Any]) -> dict[str, Any]:
    return {name: value for name, value in zip(names, values, strict=True) if value is not None}


_LIMITS = ("capacity", "user_limit", "connection_limit", "nak")
_CONSUME = ("consumed", "max_consumed", "min_available", *_LIMITS)
_ENTRY_WIDTH = 7  # the columns of an entry, as _entry reads them
_ENTRY_AND_STATE = (
    "SELECT e.license_id, e.connections, e.csp, e.per_process, e.since, e.grace_until, e.peak, "
    f"{state_values(_CONSUME)} FROM (SELECT 1) LEFT JOIN entries AS e ON e.license_id = ?1"
)
# A grace period has run out by now (?2): _expire_grace has work.
_GRACE_DUE = "EXISTS (SELECT 1 FROM entries WHERE grace_until IS NOT NULL AND grace_until <= ?2)"


def _with_due(due: str) -> str:
    """_ENTRY_AND_STATE with the condition `due` as one more column."""
    select, tables = _ENTRY_AND_STATE.split(" FROM (SELECT 1)")
    return f"{select}, {due} FROM (SELECT 1){tables}"


def _limits(state: dict[str, Any]) -> Limits:
    capacity = int(state.get("capacity", 0))
    user_limit = int(state.get("user_limit", 0))
    limited = 0 < user_limit < capacity
    if user_limit:
        capacity = min(capacity, user_limit)
    return Limits(
        capacity, int(state.get("connection_limit", 0)), bool(state.get("nak", 0)), limited
    )
