"""How many holders the license table has now: user processes, CSP sessions, license IDs in use
and IDs held for a grace period. Every login reads them (each has a peak) and the reports show
them.

SQLite triggers keep them in state rows as the tables change, whoever changes them (a login, a
start that empties the tables, an older release of this program), so a login reads four rows
instead of counting: count(*) visits every page of a table, and at 50,000 license IDs a login
and a logout cost nine times what they do on an empty table.
"""

from __future__ import annotations

import sqlite3

USER_PROCESSES = "count_user_processes"
CSP_SESSIONS = "count_csp_sessions"
ACTIVE_USERS = "count_active_users"
IN_GRACE = "count_in_grace"
NAMES = (USER_PROCESSES, CSP_SESSIONS, ACTIVE_USERS, IN_GRACE)

# Processes that do not hold or wait for a license: license_table's SYSTEM and SERVER kinds.
_NOT_USER = "kind IN ('System', 'Server')"
# A license ID in use has a process or a CSP session (one only in grace is not in use).
_ACTIVE = "(connections <> 0 OR csp <> 0)"
_GRACE = "(grace_until IS NOT NULL)"


def _add(name: str, delta: str) -> str:
    return f"UPDATE state SET value = coalesce(value, 0) + {delta} WHERE name = '{name}';"


def _entries(row: str, sign: str) -> str:
    """The statement that adds (sign "+") or takes away ("-") the share of an entries row (NEW
    or OLD): _ACTIVE and _GRACE of that row."""
    active = f"({row}.connections <> 0 OR {row}.csp <> 0)"
    grace = f"({row}.grace_until IS NOT NULL)"
    return (
        f"UPDATE state SET value = coalesce(value, 0) {sign} CASE name WHEN '{ACTIVE_USERS}' "
        f"THEN {active} ELSE {grace} END WHERE name IN ('{ACTIVE_USERS}', '{IN_GRACE}');"
    )


TRIGGERS = (
    f"CREATE TRIGGER IF NOT EXISTS count_process_in AFTER INSERT ON processes "
    f"WHEN NOT (NEW.{_NOT_USER}) BEGIN {_add(USER_PROCESSES, '1')} END",
    f"CREATE TRIGGER IF NOT EXISTS count_process_out AFTER DELETE ON processes "
    f"WHEN NOT (OLD.{_NOT_USER}) BEGIN {_add(USER_PROCESSES, '-1')} END",
    f"CREATE TRIGGER IF NOT EXISTS count_process_kind AFTER UPDATE OF kind ON processes "
    f"WHEN (OLD.{_NOT_USER}) <> (NEW.{_NOT_USER}) "
    f"BEGIN {_add(USER_PROCESSES, f'CASE WHEN NEW.{_NOT_USER} THEN -1 ELSE 1 END')} END",
    f"CREATE TRIGGER IF NOT EXISTS count_session_in AFTER INSERT ON csp_sessions "
    f"BEGIN {_add(CSP_SESSIONS, '1')} END",
    f"CREATE TRIGGER IF NOT EXISTS count_session_out AFTER DELETE ON csp_sessions "
    f"BEGIN {_add(CSP_SESSIONS, '-1')} END",
    f"CREATE TRIGGER IF NOT EXISTS count_entry_in AFTER INSERT ON entries "
    f"BEGIN {_entries('NEW', '+')} END",
    f"CREATE TRIGGER IF NOT EXISTS count_entry_out AFTER DELETE ON entries "
    f"BEGIN {_entries('OLD', '-')} END",
    f"CREATE TRIGGER IF NOT EXISTS count_entry_change "
    f"AFTER UPDATE OF connections, csp, grace_until ON entries "
    f"BEGIN {_entries('OLD', '-')} {_entries('NEW', '+')} END",
)
# What the counts are when the triggers are first made (in the same transaction).
COUNT_NOW = f"""
INSERT INTO state(name, value) VALUES
    ('{USER_PROCESSES}', (SELECT count(*) FROM processes WHERE NOT {_NOT_USER})),
    ('{CSP_SESSIONS}', (SELECT count(*) FROM csp_sessions)),
    ('{ACTIVE_USERS}', (SELECT count(*) FROM entries WHERE {_ACTIVE})),
    ('{IN_GRACE}', (SELECT count(*) FROM entries WHERE {_GRACE}))
ON CONFLICT(name) DO UPDATE SET value=excluded.value
"""
# The trigger whose absence says a database has none of them yet.
FIRST_TRIGGER = "count_process_in"


def counts(db: sqlite3.Connection, *names: str) -> dict[str, int]:
    """These counts, and any other state rows named, by name (a missing or NULL one is 0)."""
    marks = ", ".join("?" * len(names))
    found = dict(db.execute(f"SELECT name, value FROM state WHERE name IN ({marks})", names))
    return {name: int(found.get(name) or 0) for name in names}


def active_users(db: sqlite3.Connection) -> int:
    """License IDs with a process or a CSP session now (those only in grace are not active)."""
    return counts(db, ACTIVE_USERS)[ACTIVE_USERS]


def in_grace(db: sqlite3.Connection) -> int:
    return counts(db, IN_GRACE)[IN_GRACE]


def user_processes(db: sqlite3.Connection) -> int:
    """Processes that hold, or wait for, a license: all but System and Server ones."""
    return counts(db, USER_PROCESSES)[USER_PROCESSES]
