"""An instance database made before the license store was reshaped for logins (the histogram of
login durations in its own table, an index on processes(license_id), the holders counted by
count(*) over partial indexes instead of kept by triggers) opens with its counts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import Terminal

from cacheshell.system import license_counts
from cacheshell.system.store import DATABASE_NAME, SCHEMA_VERSION, Store
from cacheshell.system.world import World

L = "$SYSTEM.License."
COUNTS = f"Write $LISTTOSTRING({L}ReadDurationCounts())"
# What the schema had before (store.py at ca89cc6), besides what it still has.
PREVIOUS_SCHEMA = """
CREATE TABLE durations (bucket INTEGER PRIMARY KEY, count INTEGER NOT NULL);
CREATE INDEX processes_license ON processes (license_id);
CREATE INDEX entries_idle ON entries (license_id) WHERE connections = 0 AND csp = 0;
CREATE INDEX processes_not_user ON processes (pid) WHERE kind IN ('System', 'Server');
"""
HOLDERS = f'Write {L}ProcConsumed(),",",{L}CSPUsers(),",",{L}CSPGrace(),",",{L}LUConsumed()'


def make_previous(term: Terminal, durations: list[tuple[int, int]]) -> None:
    """Turn the session's instance database into what the previous release left: its
    histogram in the durations table, none in the state table."""
    store = term.session.instance.store
    store.close()
    db = sqlite3.connect(store.path, isolation_level=None, timeout=30)
    try:
        # One write transaction, taken before the first read: the instance's service writes
        # the same database meanwhile.
        db.execute("BEGIN IMMEDIATE")
        for statement in PREVIOUS_SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        triggers = db.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall()
        for (trigger,) in triggers:
            db.execute(f"DROP TRIGGER {trigger}")
        db.execute("DELETE FROM state WHERE name GLOB 'login_duration_*' OR name GLOB 'count_*'")
        db.executemany("INSERT INTO durations VALUES(?, ?)", durations)
        db.execute("PRAGMA user_version=0")  # releases before the schema's mark left none
        db.execute("COMMIT")
    finally:
        db.close()


@pytest.mark.parametrize(
    ("durations", "expected"),
    [
        ([(5, 1)], "0,0,0,0,0,1"),
        ([(0, 3), (2, 1), (5, 7)], "3,0,1,0,0,7"),
    ],
)
def test_the_previous_histogram_reads_back_after_opening(
    term: Terminal, durations: list[tuple[int, int]], expected: str
) -> None:
    make_previous(term, durations)
    term.session.instance.store.reopen()
    assert term.run(COUNTS) == expected


def test_a_logout_after_opening_adds_to_the_previous_counts(term: Terminal) -> None:
    make_previous(term, [(0, 3), (4, 2)])
    term.session.instance.store.reopen()
    term.session.instance.clock.simulate()
    Terminal().close()  # a login and a logout in the same instant: the first bucket
    assert term.run(COUNTS) == "4,0,0,0,2,0"


def test_the_previous_schema_objects_are_gone_and_a_second_open_changes_nothing(
    term: Terminal,
) -> None:
    make_previous(term, [(1, 2)])
    store = term.session.instance.store
    store.reopen()
    store.reopen()
    left = store.db.execute(
        "SELECT name FROM sqlite_master WHERE name IN "
        "('durations', 'processes_license', 'entries_idle', 'processes_not_user')"
    ).fetchall()
    assert (left, term.run(COUNTS)) == ([], "0,2,0,0,0,0")


def test_the_holders_of_a_previous_database_are_counted_after_opening(term: Terminal) -> None:
    world = World(term.session.instance)
    world.connect_user("u1", "10.0.0.6")
    world.connect_user("u2", "10.0.0.7")
    world.csp_page(world.csp_start().session_id)
    ended = world.csp_start().session_id
    world.csp_page(ended)
    world.csp_end(ended)  # after one page: its unit is held for the grace period
    make_previous(term, [])
    term.session.instance.store.reopen()
    assert term.run(HOLDERS) == "3,1,1,5"


@pytest.mark.parametrize(
    ("mark", "expected"),
    [
        # Unmarked (an older release): brought up to date, then marked.
        (0, (SCHEMA_VERSION, True)),
        # Marked: trusted as it is, with no catalogue lookup (so the dropped trigger stays gone).
        (SCHEMA_VERSION, (SCHEMA_VERSION, False)),
        # A later release's mark is kept, never lowered.
        (SCHEMA_VERSION + 1, (SCHEMA_VERSION + 1, False)),
    ],
)
def test_the_schema_mark_says_whether_opening_brings_the_database_up_to_date(
    tmp_path: Path, mark: int, expected: tuple[int, bool]
) -> None:
    Store(tmp_path).close()
    db = sqlite3.connect(tmp_path / DATABASE_NAME, isolation_level=None)
    try:
        db.execute(f"DROP TRIGGER {license_counts.FIRST_TRIGGER}")
        db.execute(f"PRAGMA user_version={mark}")
    finally:
        db.close()
    store = Store(tmp_path)
    try:
        found = "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name=?"
        trigger = store.db.execute(found, (license_counts.FIRST_TRIGGER,)).fetchone()[0]
        version = store.db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        store.close()
    assert (version, trigger == 1) == expected
