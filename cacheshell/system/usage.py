"""The numbers every license report shows, as plain rows read from an instance.

The terminal reports, the HTML views and the class queries all build on these functions, so they
show the same numbers. Reading first lets time act: CSP sessions that timed out, grace periods
that ran out and processes that died are released before anything is counted.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple

from cacheshell.system import table
from cacheshell.system.authkey import Authorization, describe
from cacheshell.system.events import EventKind
from cacheshell.system.instance import MISSING_KEY, Instance
from cacheshell.system.keyfile import LICENSE_FIELDS, license_rows
from cacheshell.system.license_counts import active_users, in_grace, user_processes
from cacheshell.system.license_table import duration_key

# The ROWSPECs of the UserList (and UserListAll) and ProcessList queries.
USER_COLUMNS = ("UserId", "Type", "Connects", "MaxCon", "CSPCon", "LU", "Active", "Grace")
PROCESS_COLUMNS = (
    "PID",
    "DisplayPID",
    "Process",
    "LID",
    "Type",
    "Con",
    "MaxCon",
    "CSPCon",
    "LU",
    "Active",
    "Grace",
)

# LUMaxConsumedReset(what): the peaks each argument resets.
PEAKS = {
    "USERS": ("max_consumed", "max_users"),
    "CONNECTIONS": ("max_connections",),
    "CSPUSERS": ("max_csp",),
    "PROCESSES": ("max_processes",),
    "CSPGRACE": ("max_grace",),
}


@dataclass(frozen=True)
class Counts:
    """The instance-wide counters, read in one transaction."""

    capacity: int  # units this instance may consume (the key's, or SetUserLimit's)
    consumed: int
    min_available: int
    max_consumed: int
    users: int  # distinct license IDs with a process or CSP session
    max_users: int
    csp_users: int  # CSP sessions
    max_csp_users: int
    grace: int  # license IDs held for a CSP grace period
    max_grace: int
    connections: int  # processes attached to the instance
    max_connections: int
    processes: int  # processes that hold or wait for a license
    max_processes: int

    @property
    def available(self) -> int:
        return self.capacity - self.consumed


class UserRow(NamedTuple):
    """UserList / UserListAll: one license ID, or a free slot (empty user_id)."""

    user_id: str
    type: str
    connects: int
    max_con: int
    csp_con: int
    lu: int
    active: int
    grace: int

    @property
    def free(self) -> bool:
        return not self.user_id


class ProcessRow(NamedTuple):
    """ProcessList: one process and the license entry it counts under."""

    pid: int
    display_pid: str
    process: str
    lid: str
    type: str
    con: int
    max_con: int
    csp_con: int
    lu: int
    active: int
    grace: int


class EventRow(NamedTuple):
    time: float
    kind: EventKind
    license_id: str
    pid: int | None
    detail: str
    units: int | None = None  # the unit change of a grant or a connect
    event_id: int = 0  # its place in the history (the store's row id)


class ClockSwitch(NamedTuple):
    """The instance clock became `clock` ("wall" or "simulated") after event `after_event`,
    reading `time` then."""

    after_event: int
    clock: str
    time: float


def refresh(instance: Instance) -> None:
    """Release what time has released before counting."""
    instance.table.expire_sessions()
    instance.table.reclaim_dead()


def snapshot(instance: Instance) -> Counts:
    refresh(instance)
    store = instance.store
    with store.transaction() as db:
        capacity = instance.table.limits().capacity

        def peak(name: str, current: int) -> int:
            # A peak never reads below the current value, even just after a reset.
            return max(int(store.get(name, 0)), current)

        consumed = instance.table.consumed()
        users, grace = active_users(db), in_grace(db)
        csp = db.execute("SELECT count(*) FROM csp_sessions").fetchone()[0]
        connections = user_processes(db)  # the instance's system processes are not connections
        processes = user_processes(db)
        return Counts(
            capacity=capacity,
            consumed=consumed,
            min_available=min(int(store.get("min_available", capacity)), capacity - consumed),
            max_consumed=peak("max_consumed", consumed),
            users=users,
            max_users=peak("max_users", users),
            csp_users=csp,
            max_csp_users=peak("max_csp", csp),
            grace=grace,
            max_grace=peak("max_grace", grace),
            connections=connections,
            max_connections=peak("max_connections", connections),
            processes=processes,
            max_processes=peak("max_processes", processes),
        )


def counts_rows(instance: Instance) -> list[tuple[str, int]]:
    """ShowCounts and the Counts query: (what, how many)."""
    c = snapshot(instance)
    return [
        ("Total authorized license units", c.capacity),
        ("Current available license units", c.available),
        ("Minimum available license units", c.min_available),
        ("Current active users", c.users),
        ("Maximum active users", c.max_users),
        ("CSP users currently active", c.csp_users),
        ("Maximum active CSP users", c.max_csp_users),
        ("CSP sessions currently in 'grace period'", c.grace),
        ("Maximum CSP sessions in 'grace period'", c.max_grace),
    ]


def user_rows(
    instance: Instance, include_free: bool = False, start: int = 0, count: int | None = None
) -> list[UserRow]:
    """UserList (in-use entries), or UserListAll (then free slots follow, one per unit still
    available, so the rows add up to the header's capacity). `start` and `count` cut a page
    of the in-use entries (the Management Portal's)."""
    refresh(instance)
    now = instance.clock.now()
    rows = [
        UserRow(
            e.license_id,
            e.kind,
            e.connections,
            e.peak,
            e.csp,
            e.units,
            int(now - e.since),
            table.grace_remaining(e, now),
        )
        for e in instance.table.entries(start, count)
    ]
    if include_free:
        free = instance.table.limits().capacity - instance.table.consumed()
        rows += [UserRow("", "", 0, 0, 0, 0, 0, 0)] * max(free, 0)
    return rows


def user_count(instance: Instance) -> int:
    """How many rows UserList returns now (after user_rows has refreshed the table)."""
    return instance.table.entry_count()


def process_count(instance: Instance) -> int:
    """How many rows ProcessList returns now (after process_rows has refreshed the table)."""
    return instance.table.process_count()


def process_rows(instance: Instance, start: int = 0, count: int | None = None) -> list[ProcessRow]:
    """ProcessList: every process; those without a license ID show blanks and zeros. `start`
    and `count` cut a page (the Management Portal's)."""
    refresh(instance)
    now = instance.clock.now()
    rows = []
    processes = instance.table.processes(start, count)
    entries = instance.table.entries_of(p.license_id for p in processes if p.license_id)
    for proc in processes:
        entry = entries.get(proc.license_id) if proc.license_id else None
        if entry is None:
            rows.append(
                ProcessRow(
                    proc.pid, str(proc.pid), proc.kind, proc.license_id, "", 0, 0, 0, 0, 0, 0
                )
            )
            continue
        rows.append(
            ProcessRow(
                proc.pid,
                str(proc.pid),
                proc.kind,
                proc.license_id,
                entry.kind,
                entry.connections,
                entry.peak,
                entry.csp,
                entry.units,
                int(now - proc.started),
                table.grace_remaining(entry, now),
            )
        )
    return rows


def key_fields(instance: Instance) -> list[tuple[str, str]]:
    """The active key's [License] fields; without a valid key CustomerName says why."""
    key = instance.active_key()
    if key is not None:
        return license_rows(key.file)
    reason = instance.key_reason() or MISSING_KEY
    return [(name, reason if name == "CustomerName" else "") for name in LICENSE_FIELDS]


def key_rows(instance: Instance, sections: int = 3) -> list[tuple[str, str]]:
    """The Key query: 1 the [License] fields, 2 the application sections (a `[Name]` row, then
    its keywords), 3 both."""
    rows: list[tuple[str, str]] = []
    if sections & 1:
        rows += key_fields(instance)
    key = instance.active_key()
    if sections & 2 and key is not None:
        for name, pairs in key.file.app_sections:
            rows.append((f"[{name}]", ""))
            rows += list(pairs)
    return rows


def decode_rows(auth: Authorization) -> list[tuple[str, str]]:
    """The Decode query: (CapacityField, Value) for what an AuthorizationKey grants."""
    return describe(auth)


def duration_counts(instance: Instance) -> list[int]:
    """Logouts per login-duration bucket (six buckets; the last is unbounded)."""
    keys = [duration_key(n) for n in range(len(table.DURATION_BOUNDS) + 1)]
    found = dict(
        instance.store.db.execute(
            f"SELECT name, value FROM state WHERE name IN ({', '.join('?' * len(keys))})", keys
        ).fetchall()
    )
    return [int(found.get(key) or 0) for key in keys]


def duration_rows(instance: Instance) -> list[tuple[str, int]]:
    """The LoginDuration query: each bucket's upper bound, then "> last" for the rest."""
    bounds = [str(b) for b in table.DURATION_BOUNDS]
    labels = [*bounds, f"> {bounds[-1]}"]
    return list(zip(labels, duration_counts(instance), strict=True))


def clear_durations(instance: Instance) -> list[int]:
    """Empty the histogram; the counts it held."""
    with instance.store.transaction() as db:
        old = duration_counts(instance)
        keys = [duration_key(n) for n in range(len(old))]
        db.execute(f"DELETE FROM state WHERE name IN ({', '.join('?' * len(keys))})", keys)
    return old


def reset_peaks(instance: Instance, names: tuple[str, ...]) -> dict[str, int]:
    """Bring the named peaks down to today's values; their values before."""
    with instance.store.transaction():
        c = snapshot(instance)
        current = {
            "max_consumed": c.consumed,
            "max_users": c.users,
            "max_connections": c.connections,
            "max_csp": c.csp_users,
            "max_processes": c.processes,
            "max_grace": c.grace,
        }
        before = {
            "max_consumed": c.max_consumed,
            "max_users": c.max_users,
            "max_connections": c.max_connections,
            "max_csp": c.max_csp_users,
            "max_processes": c.max_processes,
            "max_grace": c.max_grace,
        }
        for name in names:
            instance.store.put(name, current[name])
    return {name: before[name] for name in names}


_KINDS = {kind.value: kind for kind in EventKind}


def event_rows(
    instance: Instance,
    since: float | None = None,
    last: int | None = None,
    kinds: Collection[EventKind] | None = None,
    after: int = 0,
) -> list[EventRow]:
    """The license event history (grants, releases, refusals, transitions), oldest first: from
    `since` (epoch seconds) on, only the `last` entries, only events of `kinds`, and only those
    recorded after the event numbered `after`, when given."""
    if last is not None and last <= 0:
        return []
    only = f" AND kind IN ({', '.join('?' * len(kinds))})" if kinds else ""
    rows = instance.store.db.execute(
        "SELECT time, kind, license_id, pid, detail, units, id FROM events "
        "WHERE id > ? AND time >= ?" + only + " ORDER BY id DESC" + (" LIMIT ?" if last else ""),
        (
            after,
            since if since is not None else float("-inf"),
            *(str(kind) for kind in kinds or ()),
            *((last,) if last else ()),
        ),
    ).fetchall()
    kind_of = _KINDS
    return [
        EventRow(time, kind_of[kind], license_id, pid, detail, units, event_id)
        for time, kind, license_id, pid, detail, units, event_id in reversed(rows)
    ]


def clock_switches(instance: Instance) -> list[ClockSwitch]:
    """Every switch of the instance clock between the wall clock and a simulated one, in order
    (none recorded before switches were: the plot then goes by the times alone)."""
    rows = instance.store.db.execute(
        "SELECT after_event, clock, time FROM clock_switches ORDER BY id"
    ).fetchall()
    return [ClockSwitch(after, clock, time) for after, clock, time in rows]
