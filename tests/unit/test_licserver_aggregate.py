"""The server's incremental per-key aggregate (one place per ID, a set only for shared IDs, new
instances taken whole) against the rule computed from scratch: combined use is the sum over the
IDs of the most units one instance charges each, connections the sum of all, and the rows show
every (ID, instance) with "shr" on all but the one charging most (ties: the first to report).
"""

from __future__ import annotations

import random

import pytest

from cacheshell.system.clock import ManualClock
from cacheshell.system.licserver.accounting import Accounting
from cacheshell.system.licserver.protocol import InstanceId, Update, UserUse
from cacheshell.system.server_views import SHARED, KeyInfo

KEY = bytes(32)
PERIOD = 1.0
NAMES = ("A", "B", "C", "D")
IDS = [f"u{n}" for n in range(12)]  # few IDs across four instances: many are shared

Table = dict[str, tuple[int, int]]


def expected(tables: dict[str, Table], arrival: list[str]) -> tuple[int, int, list[tuple]]:
    """(combined, connections, rows) computed from every instance's table."""
    combined = sum(
        max(table[user][0] for table in tables.values() if user in table)
        for user in {user for table in tables.values() for user in table}
    )
    connections = sum(use[1] for table in tables.values() for use in table.values())
    rows = []
    for user in sorted({user for table in tables.values() for user in table}):
        holders = sorted(
            (name for name in tables if user in tables[name]),
            key=lambda name: (-tables[name][user][0], arrival.index(name)),
        )
        for rank, name in enumerate(holders):
            units, conns = tables[name][user]
            rows.append((user, str(units) if rank == 0 else SHARED, conns, name))
    return combined, connections, rows


@pytest.mark.parametrize("seed", range(8))
def test_the_aggregate_matches_the_rule_after_random_reports_and_goodbyes(seed: int) -> None:
    rng = random.Random(seed)
    clock = ManualClock(1000.0)
    books = Accounting(clock.now, PERIOD)
    books.add_key(KeyInfo(KEY, "100001", 10_000, 10_000, (("OrderNumber", "100001"),)))
    who = {name: InstanceId("10.0.0.1", name, "0" * 16, "1" * 16) for name in NAMES}
    seqs = dict.fromkeys(NAMES, 0)
    boots = dict.fromkeys(NAMES, 0)
    tables: dict[str, Table] = {}
    arrival: list[str] = []
    for _step in range(60):
        name = rng.choice(NAMES)
        seqs[name] += 1
        if rng.random() < 0.15 and name in tables:
            assert books.goodbye(KEY, who[name], seqs[name]) is not None
            del tables[name]
            arrival.remove(name)
            boots[name] += 1  # the next report of that place is a new boot
            who[name] = InstanceId("10.0.0.1", name, f"{boots[name]:016x}", "1" * 16)
            seqs[name] = 0
            continue
        table = {
            user: (rng.randint(1, 3), rng.randint(1, 4))
            for user in rng.sample(IDS, rng.randint(0, len(IDS)))
        }
        uses = tuple(UserUse(user, *use) for user, use in table.items())
        report = Update(
            KEY,
            seqs[name],
            who[name],
            True,
            0,
            PERIOD,
            sum(use[0] for use in table.values()),
            sum(use[1] for use in table.values()),
            uses,
        )
        assert books.update(report) is not None
        if name not in tables:
            arrival.append(name)
        tables[name] = table
        combined, connections, rows = expected(tables, arrival)
        summary = books.summary(KEY)
        shown = [
            (row.user, row.units, row.connections, row.instance) for row in books.connections(KEY)
        ]
        assert (summary.current, summary.connections, shown) == (combined, connections, rows)
