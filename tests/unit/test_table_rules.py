"""The license table's rules as pure functions: no store, no clock but the numbers given."""

from __future__ import annotations

import pytest

from cacheshell.system import table
from cacheshell.system.process import PAUSE_AFTER, PAUSE_EVERY, PAUSE_SECONDS
from cacheshell.system.table import Entry, Limits


def connect_n(n: int, capacity: int = 100, license_id: str = "10.0.0.1") -> tuple[Entry, int]:
    entry, consumed = None, 0
    for i in range(n):
        decision = table.connect(entry, license_id, consumed, Limits(capacity), now=float(i))
        assert decision.granted, (i, decision.reason)
        entry, consumed = decision.entry, consumed + decision.units_delta
    assert entry is not None
    return entry, consumed


@pytest.mark.parametrize(
    ("connections", "units", "per_process"),
    [
        (1, 1, False),
        (2, 1, False),
        (25, 1, False),  # up to MaxConnections processes share one unit
        (26, 26, True),  # the 26th turns the ID into one unit per process
        (30, 30, True),
    ],
)
def test_units_by_connection_count(connections: int, units: int, per_process: bool) -> None:
    entry, consumed = connect_n(connections)
    assert (entry.units, consumed, entry.per_process) == (units, units, per_process)


def test_the_transition_is_reported_once() -> None:
    entry, consumed = connect_n(25)
    decision = table.connect(entry, entry.license_id, consumed, Limits(100), now=30.0)
    assert (decision.transition, decision.units_delta) == (True, 25)
    again = table.connect(decision.entry, entry.license_id, consumed + 25, Limits(100), 31.0)
    assert (again.transition, again.units_delta) == (False, 1)


def test_per_process_counting_stays_below_the_maximum_until_the_id_is_empty() -> None:
    entry, _ = connect_n(26)
    for _ in range(16):
        entry = table.disconnect(entry, now=50.0).entry
    assert (entry.connections, entry.units, entry.per_process) == (10, 10, True)
    for _ in range(9):
        entry = table.disconnect(entry, now=51.0).entry
    assert (entry.connections, entry.units) == (1, 1)
    last = table.disconnect(entry, now=52.0)
    assert (last.entry, last.units_delta) == (None, -1)
    fresh, consumed = connect_n(2)
    assert (fresh.units, fresh.per_process, consumed) == (1, False, 1)


def test_the_transition_needs_the_extra_units() -> None:
    entry, consumed = connect_n(25, capacity=5)
    decision = table.connect(entry, entry.license_id, consumed, Limits(5), now=40.0)
    assert (decision.granted, decision.reason) == (False, "no license unit available")


def test_a_new_id_needs_a_free_unit_and_an_existing_one_does_not() -> None:
    entry, _ = connect_n(1)
    full = Limits(capacity=1)
    assert not table.connect(None, "10.0.0.2", 1, full, now=1.0).granted
    assert table.connect(entry, "10.0.0.1", 1, full, now=1.0).granted


def test_a_nak_refuses_new_ids_but_not_more_connections_of_known_ones() -> None:
    entry, consumed = connect_n(1)
    nak = Limits(capacity=10, refuse_new_ids=True)
    refused = table.connect(None, "10.0.0.2", consumed, nak, now=1.0)
    assert (refused.granted, refused.reason) == (False, "the license server refuses new users")
    assert table.connect(entry, "10.0.0.1", consumed, nak, now=1.0).granted


def test_the_connection_limit_refuses_without_logging() -> None:
    entry, consumed = connect_n(3)
    decision = table.connect(entry, "10.0.0.1", consumed, Limits(10, connection_limit=3), 9.0)
    assert (decision.granted, decision.logged) == (False, False)


def test_a_csp_session_holds_one_unit() -> None:
    decision = table.connect(None, "SESSION1", 0, Limits(5), now=0.0, csp=True)
    assert (decision.entry.units, decision.entry.kind, decision.entry.csp) == (1, "CSP", 1)


@pytest.mark.parametrize(("pages", "held"), [(1, True), (2, False), (0, False)])
def test_csp_grace_after_a_single_page(pages: int, held: bool) -> None:
    entry = table.connect(None, "S", 0, Limits(5), now=0.0, csp=True).entry
    left = table.disconnect(entry, now=100.0, csp=True, pages=pages)
    if held:
        assert left.entry is not None and left.entry.kind == "Grace"
        assert left.entry.grace_until == 100.0 + table.CSP_GRACE_SECONDS
        assert table.grace_remaining(left.entry, 400.0) == 300
        assert table.expire_grace(left.entry, 699.0).entry is not None
        gone = table.expire_grace(left.entry, 700.0)
        assert (gone.entry, gone.units_delta) == (None, -1)
    else:
        assert (left.entry, left.units_delta) == (None, -1)


def test_a_returning_user_takes_back_the_unit_held_in_grace() -> None:
    entry = table.connect(None, "S", 0, Limits(5), now=0.0, csp=True).entry
    graced = table.disconnect(entry, now=10.0, csp=True, pages=1).entry
    back = table.connect(graced, "S", 1, Limits(1), now=20.0, csp=True)
    assert (back.granted, back.units_delta, back.entry.grace_until) == (True, 0, None)


def test_mixed_csp_and_terminal_use_of_one_id() -> None:
    entry, consumed = connect_n(1, license_id="bob@10.0.0.1")
    mixed = table.connect(entry, "bob@10.0.0.1", consumed, Limits(5), now=3.0, csp=True)
    assert (mixed.entry.kind, mixed.units_delta) == ("Mixed", 0)


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("bob", "bob@10.1.2.3"),
        ("bob@elsewhere", "bob@10.1.2.3"),  # text after @ is replaced by the client address
        ("a|b", "a/b@10.1.2.3"),  # | becomes /
        ("a@b@c", "a@10.1.2.3"),
    ],
)
def test_login_license_ids(identifier: str, expected: str) -> None:
    assert table.license_login_id(identifier, "10.1.2.3") == expected


@pytest.mark.parametrize(
    ("seconds", "bucket"),
    [
        (0, 0),
        (1, 0),
        (1.5, 1),
        (15, 1),
        (16, 2),
        (60, 2),
        (61, 3),
        (900, 3),
        (901, 4),
        (3600, 4),
        (3601, 5),
        (10**6, 5),
    ],
)
def test_login_duration_buckets(seconds: float, bucket: int) -> None:
    assert table.duration_bucket(seconds) == bucket


def test_deferred_processes_pause_after_4000_commands_then_every_1000() -> None:
    from cacheshell.system.process import InstanceProcess

    proc = InstanceProcess.__new__(InstanceProcess)
    proc.commands = 0
    pauses = [n for n in range(1, 7001) if proc.tick()]
    assert pauses == [
        PAUSE_AFTER,
        PAUSE_AFTER + PAUSE_EVERY,
        PAUSE_AFTER + 2 * PAUSE_EVERY,
        PAUSE_AFTER + 3 * PAUSE_EVERY,
    ]
    assert (PAUSE_AFTER, PAUSE_EVERY, PAUSE_SECONDS) == (4000, 1000, 1.0)
