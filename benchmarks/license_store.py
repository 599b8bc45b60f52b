"""The license store's speed and size, each as a ratio against a baseline measured in the same
run on the same disk. Not a test: run it alone, or through benchmarks/run.py.

Figures (targets from the issues in brackets):
  login+logout  pairs per second through LicenseTable.attach/detach vs raw sqlite3 insert+delete
                transactions with the same pragmas (instance_files.WAL_PRAGMAS)          [>= 50%]
  WAL frames    pages a login and a logout each write to the write-ahead log (what a commit
                costs most), vs the raw insert and delete                    [fewer is faster]
  4-page floor  pairs per second of the bare minimum of what a login and a logout record: one
                row in each of four tables (its license ID, its process, a counter, an event),
                no rule decided, vs the raw baseline: the most a store that keeps those four
                records can reach                                 [the login figure's ceiling]
  bytes/entry   database file size / entries after 100,000 logins through the table
                (one process and one license ID each), vs the raw bytes of the ID   [<= 288 B]
  @100k IDs     login+logout pairs per second with those 100,000 IDs logged in (the default
                page cache), vs the same on an empty table, interleaved     [~1x: no scans]
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cacheshell.system import authkey, keys, signing
from cacheshell.system.instance import Instance
from cacheshell.system.instance_files import WAL_PRAGMAS
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.license_table import USER

PAIRS = 2000
REPEATS = 5
ENTRIES = 100_000
BATCH = 1000  # logins per transaction while filling the table for the size figure
Row = Callable[[str, str, str, float, str], None]


def started_instance(home: Path, name: str) -> Instance:
    """An instance whose key never runs out, so every login is granted."""
    key = keys.issue_from_spec(
        keys.KeySpec(units=999_999, multi=True),
        signing.training_private_key(),
        authkey.current_platform_code(),
    )
    instance = Instance.create(InstanceLayout(home, name), key_text=render_key_file(key.file))
    instance.start()
    return instance


def table_pairs_per_second(instance: Instance, first_pid: int, pairs: int = PAIRS) -> float:
    """Logins and logouts under distinct IDs; no OS PID, so the figure is the table's own."""
    table = instance.table
    start = time.perf_counter()
    for n in range(first_pid, first_pid + pairs):
        table.attach(n, f"user{n}", USER, "10.0.0.1", "bench", os_pid=None)
        table.detach(n)
    return pairs / (time.perf_counter() - start)


def raw_database(directory: Path) -> sqlite3.Connection:
    db = sqlite3.connect(directory / "raw.db", isolation_level=None)
    for pragma in WAL_PRAGMAS:  # the instance database's own
        db.execute(pragma)
    db.execute(
        "CREATE TABLE IF NOT EXISTS logins (license_id TEXT PRIMARY KEY, pid INTEGER, "
        "started REAL) WITHOUT ROWID"
    )
    return db


def raw_pairs_per_second(db: sqlite3.Connection, first_pid: int) -> float:
    """The least a login and a logout can cost: one insert and one delete transaction."""
    start = time.perf_counter()
    for n in range(first_pid, first_pid + PAIRS):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO logins VALUES (?, ?, ?)", (f"user{n}", n, time.time()))
        db.execute("COMMIT")
        db.execute("BEGIN IMMEDIATE")
        db.execute("DELETE FROM logins WHERE license_id=?", (f"user{n}",))
        db.execute("COMMIT")
    return PAIRS / (time.perf_counter() - start)


# The four records of a login, each as bare as it can be (what license_entries.py, the
# processes table, license_counts' counters and the event log keep).
_FLOOR_TABLES = """
CREATE TABLE IF NOT EXISTS floor_ids (license_id TEXT PRIMARY KEY, units INTEGER) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS floor_processes (pid INTEGER PRIMARY KEY, license_id TEXT);
CREATE TABLE IF NOT EXISTS floor_counters (name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS floor_events (id INTEGER PRIMARY KEY, license_id TEXT);
INSERT OR IGNORE INTO floor_counters VALUES ('consumed', 0);
"""


def floor_pairs_per_second(db: sqlite3.Connection, first_pid: int) -> float:
    """A login and a logout writing one row of each of the four tables and deciding nothing:
    four pages a transaction, the least a login that keeps those records can cost."""
    db.executescript(_FLOOR_TABLES)
    start = time.perf_counter()
    for n in range(first_pid, first_pid + PAIRS):
        license_id = f"user{n}"
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO floor_ids VALUES (?, 1)", (license_id,))
        db.execute("INSERT INTO floor_processes VALUES (?, ?)", (n, license_id))
        db.execute("UPDATE floor_counters SET value=value+1 WHERE name='consumed'")
        db.execute("INSERT INTO floor_events(license_id) VALUES (?)", (license_id,))
        db.execute("COMMIT")
        db.execute("BEGIN IMMEDIATE")
        db.execute("DELETE FROM floor_ids WHERE license_id=?", (license_id,))
        db.execute("DELETE FROM floor_processes WHERE pid=?", (n,))
        db.execute("UPDATE floor_counters SET value=value-1 WHERE name='consumed'")
        db.execute("INSERT INTO floor_events(license_id) VALUES (?)", (license_id,))
        db.execute("COMMIT")
    return PAIRS / (time.perf_counter() - start)


def frames_per_pair(
    db: sqlite3.Connection, login: Callable[[], object], logout: Callable[[], object]
) -> tuple[int, int]:
    """(WAL frames a login writes, frames its logout writes): the -wal file's growth from empty."""
    wal = Path(str(db.execute("PRAGMA database_list").fetchone()[2]) + "-wal")
    frame = 24 + int(db.execute("PRAGMA page_size").fetchone()[0])
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    login()
    after_login = os.path.getsize(wal)
    logout()
    return (after_login - 32) // frame, (os.path.getsize(wal) - after_login) // frame


def raw_login(db: sqlite3.Connection, n: int) -> Callable[[], object]:
    def login() -> None:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO logins VALUES (?, ?, ?)", (f"user{n}", n, time.time()))
        db.execute("COMMIT")

    return login


def raw_logout(db: sqlite3.Connection, n: int) -> Callable[[], object]:
    def logout() -> None:
        db.execute("BEGIN IMMEDIATE")
        db.execute("DELETE FROM logins WHERE license_id=?", (f"user{n}",))
        db.execute("COMMIT")

    return logout


def full_instance(home: Path) -> Instance:
    """An instance with ENTRIES license IDs logged in, one process each."""
    instance = started_instance(home, "SIZE")
    # A page cache that holds the whole database: the figure is its size, not the filling's
    # speed, and every login's peak counts would otherwise re-read their index pages from disk.
    instance.store.db.execute("PRAGMA cache_size=-131072")
    table = instance.table
    for base in range(0, ENTRIES, BATCH):
        with instance.store.transaction():
            for n in range(base, base + BATCH):
                table.attach(1_000_000 + n, f"user{n}", USER, "10.0.0.1", "bench", os_pid=None)
    assert table.consumed() == ENTRIES
    instance.store.db.execute("PRAGMA cache_size=-2000")  # SQLite's default again
    return instance


def bytes_per_entry(instance: Instance) -> tuple[float, float]:
    """(database bytes per entry, bytes of the license ID text per entry) at ENTRIES entries."""
    instance.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = os.path.getsize(instance.store.path)
    id_bytes = sum(len(f"user{n}") for n in range(ENTRIES))
    return size / ENTRIES, id_bytes / ENTRIES


def report(row: Row) -> None:
    home = Path(tempfile.mkdtemp(prefix="cacheshell-bench-store-"))
    try:
        instance = started_instance(home, "RATE")
        db = raw_database(home)
        ours, raw, floor = [], [], []
        for repeat in range(REPEATS):  # interleaved, so drift in the machine hits all alike
            ours.append(table_pairs_per_second(instance, 10_000 + repeat * PAIRS))
            raw.append(raw_pairs_per_second(db, 10_000 + repeat * PAIRS))
            floor.append(floor_pairs_per_second(db, 10_000 + repeat * PAIRS))
        mine, theirs = statistics.median(ours), statistics.median(raw)
        row(
            "login+logout (pairs/s)",
            f"{mine:,.0f}",
            f"raw sqlite3 {theirs:,.0f}",
            mine / theirs,
            ">= 0.50x",
        )
        bare = statistics.median(floor)
        row(
            "4-page floor (pairs/s)",
            f"{bare:,.0f}",
            f"raw sqlite3 {theirs:,.0f}",
            bare / theirs,
            "the login figure's ceiling",
        )
        table = instance.table
        pid = 900_000
        mine_in, mine_out = frames_per_pair(
            instance.store.db,
            lambda: table.attach(pid, "frames", USER, "10.0.0.1", "bench", os_pid=None),
            lambda: table.detach(pid),
        )
        raw_in, raw_out = frames_per_pair(db, raw_login(db, pid), raw_logout(db, pid))
        row(
            "WAL frames login+logout",
            f"{mine_in} + {mine_out}",
            f"raw sqlite3 {raw_in} + {raw_out}",
            (mine_in + mine_out) / (raw_in + raw_out),
            "fewer is faster",
        )
        db.close()
        full = full_instance(home)
        size, text = bytes_per_entry(full)
        row(
            "bytes per entry @100k",
            f"{size:,.0f}",
            f"license ID text {text:,.1f}",
            size / text,
            "<= 288 B",
        )
        at_full, at_empty = [], []
        for repeat in range(REPEATS):  # interleaved, as above
            first = 100_000 + repeat * PAIRS
            at_full.append(table_pairs_per_second(full, first, PAIRS // 4))
            at_empty.append(table_pairs_per_second(instance, first, PAIRS // 4))
        mine, empty = statistics.median(at_full), statistics.median(at_empty)
        row(
            "login+logout @100k IDs",
            f"{mine:,.0f}",
            f"empty table {empty:,.0f}",
            mine / empty,
            "~1x: no scans",
        )
        full.store.close()
        instance.store.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _row(name: str, value: str, baseline: str, ratio: float, target: str) -> None:
    print(f"{name:<28} {value:>14} {baseline:>28} {ratio:>8.2f}x  {target}")


if __name__ == "__main__":
    print(f"{'figure':<28} {'cacheshell':>14} {'baseline':>28} {'ratio':>9}  target")
    report(_row)
