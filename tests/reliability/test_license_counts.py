"""The holder counts that the store's triggers keep (license_counts.py) always equal what counting
the tables gives, whatever sequence of logins, logouts, Login() moves, CSP sessions, grace
periods and restarts led there."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from cacheshell.system import license_counts
from cacheshell.system.clock import ManualClock
from cacheshell.system.license_table import DIAGNOSTIC, PENDING, SERVER, SYSTEM, USER, LicenseTable
from cacheshell.system.store import Store

# What each count means, counted the slow way.
COUNTED = {
    license_counts.USER_PROCESSES: "SELECT count(*) FROM processes "
    f"WHERE kind NOT IN ('{SYSTEM}', '{SERVER}')",
    license_counts.CSP_SESSIONS: "SELECT count(*) FROM csp_sessions",
    license_counts.ACTIVE_USERS: "SELECT count(*) FROM entries WHERE connections > 0 OR csp > 0",
    license_counts.IN_GRACE: "SELECT count(*) FROM entries WHERE grace_until IS NOT NULL",
}
KINDS = (USER, USER, USER, PENDING, SYSTEM, SERVER, DIAGNOSTIC)
IDS = ("ann", "bob", "cy", "dee")  # few, so that IDs are shared and pass from hand to hand
STEPS = 250


def counted(store: Store) -> dict[str, int]:
    return {name: int(store.db.execute(sql).fetchone()[0]) for name, sql in COUNTED.items()}


def operations(
    table: LicenseTable, clock: ManualClock, rng: random.Random
) -> list[Callable[[], object]]:
    db = table.store.db

    def some(sql: str) -> list[str | int]:
        return [row[0] for row in db.execute(sql).fetchall()]

    def pid() -> int:
        return rng.randint(1, 40)

    def owner() -> int | None:
        return rng.choice([None, None, pid()])

    started = itertools.count(1)

    def session() -> str:
        return rng.choice([str(s) for s in some("SELECT id FROM csp_sessions")] or ["none"])

    return [
        lambda: table.attach(pid(), rng.choice(IDS), rng.choice(KINDS), "c", "u", owner=owner()),
        lambda: table.attach(pid(), rng.choice(IDS), rng.choice(KINDS), "c", "u", owner=owner()),
        lambda: table.detach(rng.choice(some("SELECT pid FROM processes") or [0])),
        lambda: table.relogin(
            rng.choice(some("SELECT pid FROM processes") or [0]), rng.choice(IDS)
        ),
        lambda: table.csp_start(f"s{next(started)}", rng.choice(IDS), "u", 900, owner=owner()),
        lambda: table.csp_page(session()),
        lambda: table.csp_login(session(), rng.choice(IDS), "u"),
        lambda: table.csp_end(session()),
        lambda: table.disown([pid()], [session()]),
        lambda: clock.advance(rng.choice([1, 300, 700])),
        lambda: table.expire_sessions(),
        lambda: table.end_grace(),
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_kept_counts_equal_the_counted_ones_after_every_step(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    store = Store(tmp_path)
    clock = ManualClock(1_000_000.0)
    store.put("capacity", 6)  # small, so that some logins are refused
    table = LicenseTable(store, clock.now)
    steps = operations(table, clock, rng)
    wrong: list[tuple[int, dict[str, int], dict[str, int]]] = []
    try:
        for step in range(STEPS):
            rng.choice(steps)()
            kept = license_counts.counts(store.db, *COUNTED)
            if kept != counted(store):
                wrong.append((step, kept, counted(store)))
        with store.transaction() as db:  # a start empties the tables (Instance.start)
            for name in ("processes", "entries", "csp_sessions"):
                db.execute(f"DELETE FROM {name}")
        kept = license_counts.counts(store.db, *COUNTED)
        if kept != counted(store):
            wrong.append((STEPS, kept, counted(store)))
    finally:
        store.close()
    assert wrong == []
