"""The usage rows read a page at a time (and the event history read in part) are exactly the
slices of the whole: what the portal shows of a page is what the class query returns there."""

from __future__ import annotations

from pathlib import Path

import pytest

from cacheshell.system import authkey, keys, signing, usage
from cacheshell.system.events import EventKind
from cacheshell.system.instance import Instance
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.world import World


@pytest.fixture
def instance(cacheshell_home: Path) -> Instance:
    """Twelve clients, two of them sharing an address, one ended, on a frozen clock."""
    key = keys.issue_from_spec(
        keys.KeySpec(units=50, multi=True),
        signing.training_private_key(),
        authkey.current_platform_code(),
    )
    made = Instance.create(
        InstanceLayout(cacheshell_home, "CACHE"), key_text=render_key_file(key.file)
    )
    made.start()
    world = World(made)
    world.simulate_clock()
    clients = [world.connect(f"10.0.0.{n}") for n in range(10)]
    world.connect("10.0.0.3")
    world.advance_clock(5)
    world.end(clients[4].pid)
    world.batch()
    return made


@pytest.mark.parametrize(("start", "count"), [(0, 5), (5, 5), (10, 5), (3, 100), (40, 5)])
def test_a_page_of_user_rows_is_the_slice_of_user_list(
    instance: Instance, start: int, count: int
) -> None:
    every = usage.user_rows(instance)
    assert usage.user_rows(instance, start=start, count=count) == every[start : start + count]
    assert usage.user_count(instance) == len(every) == 10


@pytest.mark.parametrize(("start", "count"), [(0, 5), (5, 5), (10, 5), (3, 100), (40, 5)])
def test_a_page_of_process_rows_is_the_slice_of_process_list(
    instance: Instance, start: int, count: int
) -> None:
    every = usage.process_rows(instance)
    assert usage.process_rows(instance, start=start, count=count) == every[start : start + count]
    assert usage.process_count(instance) == len(every)


@pytest.mark.parametrize(
    ("kinds", "after"),
    [
        ((EventKind.GRANT,), 0),
        ((EventKind.RELEASE, EventKind.CONNECT), 0),
        (None, 5),
        ((EventKind.GRANT, EventKind.RELEASE), 7),
    ],
)
def test_events_of_some_kinds_after_one_are_the_filtered_history(
    instance: Instance, kinds: tuple[EventKind, ...] | None, after: int
) -> None:
    every = usage.event_rows(instance)
    assert usage.event_rows(instance, kinds=kinds, after=after) == [
        event
        for event in every
        if event.event_id > after and (kinds is None or event.kind in kinds)
    ]
