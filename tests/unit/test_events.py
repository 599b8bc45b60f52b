"""The license event history as the store keeps it: kinds from one enum, and the unit change of
a grant or a connect as a number beside the detail text users read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import Terminal

from cacheshell.system.events import EventKind
from cacheshell.system.store import DATABASE_NAME, Store
from cacheshell.system.usage import EventRow, event_rows

# The events table before it had a units column.
OLD_EVENTS = """
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    kind TEXT NOT NULL,
    license_id TEXT NOT NULL,
    pid INTEGER,
    detail TEXT NOT NULL
);
INSERT INTO events(time, kind, license_id, pid, detail) VALUES
    (1, 'grant', 'a', 7, 'units +1'),
    (2, 'connect', 'a', 8, 'units +0'),
    (3, 'connect', 'a', 9, 'units +1'),
    (4, 'release', 'a', 9, 'process ended'),
    (5, 'denied', 'b', 10, 'no license unit available');
"""


def test_a_grant_keeps_its_unit_change_as_a_number_and_as_text() -> None:
    with Terminal() as terminal:
        instance = terminal.session.instance
        terminal.run('Do $SYSTEM.License.Login("Ann")')
        rows = event_rows(instance)
    grants = [row for row in rows if row.license_id.startswith("Ann@")]
    assert [(row.kind, row.detail, row.units) for row in grants] == [
        (EventKind.GRANT, "units +1", 1)
    ]


def test_a_database_from_before_the_units_column_gets_it_filled_from_the_detail(
    tmp_path: Path,
) -> None:
    with sqlite3.connect(tmp_path / DATABASE_NAME) as old:
        old.executescript(OLD_EVENTS)
    old.close()
    store = Store(tmp_path)
    try:
        rows = store.db.execute("SELECT kind, units FROM events ORDER BY id").fetchall()
        store.event(6, EventKind.GRANT, "c", 11, "units +1", 1)
        last = store.db.execute("SELECT kind, units FROM events WHERE id = 6").fetchone()
    finally:
        store.close()
    assert rows == [
        ("grant", 1),
        ("connect", 0),
        ("connect", 1),
        ("release", None),
        ("denied", None),
    ]
    assert last == ("grant", 1)
    Store(tmp_path).close()  # opening it again changes nothing


def test_every_kind_reads_back_as_the_enum() -> None:
    row = EventRow(0.0, EventKind("per-process"), "a", None, "")
    assert row.kind is EventKind.PER_PROCESS and row.kind == "per-process"
