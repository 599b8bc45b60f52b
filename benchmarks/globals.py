"""Globals in the instance database: speed against raw sqlite3 on the same disk, in the same run.
Not a test: run it alone, or through benchmarks/run.py. GLOBALS_NODES sets the node count
(default 1,000,000).

Figures (targets from the issues in brackets):
  Set           one node per durable transaction, through the store API and through ObjectScript
                (`For i=1:1:N Set ^G(i)=i`), vs raw sqlite3 one-row upsert transactions with the
                same pragmas (WAL, synchronous=NORMAL)                                [>= 0.30x]
  $Order walk   every node of ^G through GlobalStore.order vs one raw indexed range scan
                (one SELECT, iterated) [>= 0.30x]; also vs a raw per-step
                `SELECT k ... WHERE k>? ORDER BY k LIMIT 1`
  Get           every node through GlobalStore.get vs a raw point SELECT
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from timing import median_seconds

from cacheshell.lang.globals import GlobalStore
from cacheshell.lang.transactions import Transactions
from cacheshell.system.ordered_store import OrderedStore

NODES = int(os.environ.get("GLOBALS_NODES", "1000000"))
WALKS = 5
Row = Callable[[str, str, str, float, str], None]


def raw_database(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS nodes (k BLOB PRIMARY KEY, v) WITHOUT ROWID")
    return db


def raw_sets(db: sqlite3.Connection, nodes: range) -> None:
    for i in nodes:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT OR REPLACE INTO nodes VALUES (?, ?)", (i.to_bytes(8, "big"), i))
        db.execute("COMMIT")


def store_sets(store: GlobalStore, nodes: range) -> None:
    for i in nodes:
        store.set("^G", (i,), i)


def raw_scan(db: sqlite3.Connection) -> int:
    count = 0
    for _ in db.execute("SELECT k FROM nodes WHERE k >= ? AND k < ? ORDER BY k", (b"", b"\xff")):
        count += 1
    return count


def raw_steps(db: sqlite3.Connection) -> int:
    count, key = 0, b""
    step = "SELECT k FROM nodes WHERE k > ? AND k < ? ORDER BY k LIMIT 1"
    while True:
        row = db.execute(step, (key, b"\xff")).fetchone()
        if row is None:
            return count
        key = row[0]
        count += 1


def store_walk(store: GlobalStore) -> int:
    count, sub = 0, ""
    order = store.order
    while True:
        sub = order("^G", (sub,))
        if sub == "":
            return count
        count += 1


def raw_gets(db: sqlite3.Connection, nodes: range) -> None:
    for i in nodes:
        db.execute("SELECT v FROM nodes WHERE k=?", (i.to_bytes(8, "big"),)).fetchone()


def store_gets(store: GlobalStore, nodes: range) -> None:
    for i in nodes:
        store.get("^G", (i,))


def slices(n: int, count: int = 20) -> list[range]:
    step = max(n // count, 1)
    return [range(start, min(start + step, n + 1)) for start in range(1, n + 1, step)]


def report(row: Row) -> None:
    from cacheshell.session import Session

    home = Path(tempfile.mkdtemp(prefix="cacheshell-bench-globals-"))
    os.environ["CACHESHELL_HOME"] = str(home)
    try:
        n = NODES
        raw = raw_database(home / "raw.db")
        database = OrderedStore(home / "db" / "CACHE.DAT")
        store = GlobalStore(database, database, Transactions())
        # Sets and gets run in interleaved slices, so that the load other programs put on the
        # machine falls on each side alike.
        theirs = ours = script = 0.0
        session = Session(sink=lambda _text: None)
        try:
            for part in slices(n):
                theirs += median_seconds(lambda: raw_sets(raw, part), 1)  # noqa: B023
                ours += median_seconds(lambda: store_sets(store, part), 1)  # noqa: B023
                code = f"For i={part.start}:1:{part.stop - 1} Set ^G(i)=i"
                script += median_seconds(lambda: session.execute(code), 1)  # noqa: B023
        finally:
            session.close()
        row(
            f"Set, {n:,} txns (/s)",
            f"{n / ours:,.0f}",
            f"raw sqlite3 upsert {n / theirs:,.0f}",
            theirs / ours,
            ">= 0.30x",
        )
        row(
            "Set via ObjectScript (/s)",
            f"{n / script:,.0f}",
            f"raw sqlite3 upsert {n / theirs:,.0f}",
            theirs / script,
            ">= 0.30x",
        )
        # The walks are short: the median of a few, so a busy moment of the machine counts less.
        theirs = median_seconds(lambda: raw_scan(raw), WALKS)
        ours = median_seconds(lambda: store_walk(store), WALKS)
        assert store_walk(store) == n == raw_scan(raw)
        row(
            "$Order walk (nodes/s)",
            f"{n / ours:,.0f}",
            f"raw range scan {n / theirs:,.0f}",
            theirs / ours,
            ">= 0.30x",
        )
        steps = median_seconds(lambda: raw_steps(raw), WALKS)
        row(
            "$Order vs steps (nodes/s)",
            f"{n / ours:,.0f}",
            f"raw LIMIT 1 steps {n / steps:,.0f}",
            steps / ours,
            "",
        )
        theirs = ours = 0.0
        for part in slices(n):
            theirs += median_seconds(lambda: raw_gets(raw, part), 1)  # noqa: B023
            ours += median_seconds(lambda: store_gets(store, part), 1)  # noqa: B023
        row(
            "Get (/s)", f"{n / ours:,.0f}", f"raw point select {n / theirs:,.0f}", theirs / ours, ""
        )
        database.close()
        raw.close()
    finally:
        from homes import remove_home

        remove_home(home)


def _row(name: str, value: str, baseline: str, ratio: float, target: str) -> None:
    print(f"{name:<28} {value:>14} {baseline:>28} {ratio:>8.2f}x  {target}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    print(f"{'figure':<28} {'cacheshell':>14} {'baseline':>28} {'ratio':>9}  target")
    report(_row)
