"""A login first releases what time has ended (grace periods that ran out, OS processes that died),
then decides from what is left: the login's own read asks whether there is such work, and reads
again after it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest
from conftest import Terminal

from cacheshell.system.instance import Instance
from cacheshell.system.license_table import USER
from cacheshell.system.table import CSP_GRACE_SECONDS
from cacheshell.system.usage import event_rows


def nothing(instance: Instance) -> None:
    """No grace period, no OS process: the login's read finds nothing to settle."""


def grace_ran_out(instance: Instance) -> None:
    """Ann's CSP session ended after one page: her ID is held in grace, which then runs out."""
    table = instance.table
    assert table.csp_start("S1", "Ann", "Ann", timeout=900).granted
    table.csp_page("S1")
    table.csp_end("S1")
    instance.clock.advance(CSP_GRACE_SECONDS + 1)


def process_died(instance: Instance) -> None:
    """Bob's OS process dies without a word."""
    stand_in = subprocess.Popen(["sleep", "60"])
    try:
        assert instance.table.attach(4242, "Bob", USER, "10.0.0.2", "Bob", os_pid=stand_in.pid)
    finally:
        stand_in.kill()
        stand_in.wait()


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        (nothing, ["grant Ann 5001 units +1"]),
        # Had the login decided from its first read, Ann's entry would still be in grace, and
        # the login would take that unit back ("connect Ann 5001 units +0").
        (grace_ran_out, ["release Ann - CSP grace period over", "grant Ann 5001 units +1"]),
        (process_died, ["release Bob 4242 process died", "grant Ann 5001 units +1"]),
    ],
)
def test_a_login_settles_what_time_ended_before_it_decides(
    term: Terminal, before: Callable[[Instance], None], expected: list[str]
) -> None:
    instance = term.session.instance
    instance.clock.simulate()
    before(instance)
    consumed = instance.table.consumed()
    first = max(row.event_id for row in event_rows(instance))
    assert instance.table.attach(5001, "Ann", USER, "10.0.0.1", "Ann").granted
    events = [
        f"{row.kind} {row.license_id} {'-' if row.pid is None else row.pid} {row.detail}"
        for row in event_rows(instance, after=first)
    ]
    settled = len(expected) - 1  # each settled holder gave its unit back
    assert (events, instance.table.consumed()) == (expected, consumed - settled + 1)
