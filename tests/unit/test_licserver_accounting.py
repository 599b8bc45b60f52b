"""License server accounting, pure: sums per key, ACK/NAK, expiry, replay, full re-reports,
deltas, multi-part updates, shared ("shr") rows and maximums, instances told apart by identity,
goodbyes, on a hand-moved clock; and the instance side's pure rule for choosing the active
server."""

from __future__ import annotations

import pytest

from cacheshell.system.clock import ManualClock
from cacheshell.system.licserver.accounting import ACK, NAK, RESYNC, Accounting
from cacheshell.system.licserver.client import ActiveServer, choose_active
from cacheshell.system.licserver.protocol import InstanceId, Update, UserUse
from cacheshell.system.server_views import SHARED, ConnectionRow, KeyInfo

KEY_A = b"A" * 32
KEY_B = b"B" * 32
PERIOD = 1.0


def key(key_id: bytes = KEY_A, units: int = 5, order: str = "100001") -> KeyInfo:
    return KeyInfo(key_id, order, units, units, (("OrderNumber", order),))


IDENTITY = "1" * 16


def instance(
    name: str, boot: str = "0" * 16, host: str = "10.0.0.1", identity: str = IDENTITY
) -> InstanceId:
    return InstanceId(host, name, boot, identity)


def update(
    who: InstanceId,
    seq: int,
    users: dict[str, int | tuple[int, int]],
    *,
    key_id: bytes = KEY_A,
    units: int | None = None,
) -> Update:
    """A full report; `users` maps an ID to units, or to (units, connections)."""
    uses = tuple(
        UserUse(user, *(use if isinstance(use, tuple) else (use, 1))) for user, use in users.items()
    )
    return Update(
        key_id,
        seq,
        who,
        True,
        0,
        PERIOD,
        sum(use.units for use in uses) if units is None else units,
        sum(use.connections for use in uses),
        uses,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
def books(clock: ManualClock) -> Accounting:
    accounting = Accounting(clock.now, PERIOD)
    accounting.add_key(key(KEY_A, 5, "100001"))
    accounting.add_key(key(KEY_B, 3, "100002"))
    return accounting


A, B = instance("A"), instance("B")


def test_combined_use_is_the_sum_over_the_instances_of_a_key(books: Accounting) -> None:
    books.update(update(A, 1, {"u1": 1, "u2": 1}))
    verdict = books.update(update(B, 1, {"u3": 1, "u4": 1}))
    assert verdict is not None
    assert (verdict.status, verdict.combined, verdict.authorized) == (ACK, 4, 5)
    assert verdict.instances == (("10.0.0.1", "A"), ("10.0.0.1", "B"))


@pytest.mark.parametrize(("in_use", "status"), [(4, ACK), (5, ACK), (6, NAK), (9, NAK)])
def test_ack_while_within_the_key_nak_while_above(
    books: Accounting, in_use: int, status: str
) -> None:
    books.update(update(A, 1, {f"a{i}": 1 for i in range(3)}))
    verdict = books.update(update(B, 1, {f"b{i}": 1 for i in range(in_use - 3)}))
    assert verdict is not None and verdict.status == status


def test_a_release_brings_the_ack_back_for_every_instance(books: Accounting) -> None:
    books.update(update(A, 1, {"a1": 1, "a2": 1, "a3": 1}))
    assert books.update(update(B, 1, {"b1": 1, "b2": 1, "b3": 1})).status == NAK  # type: ignore
    assert books.update(update(A, 2, {"a1": 1, "a2": 1, "a3": 1})).status == NAK  # type: ignore
    assert books.update(update(B, 2, {"b1": 1, "b2": 1})).status == ACK  # type: ignore
    assert books.update(update(A, 3, {"a1": 1, "a2": 1, "a3": 1})).status == ACK  # type: ignore


def test_two_keys_are_never_summed_together(books: Accounting) -> None:
    books.update(update(A, 1, {"u1": 1, "u2": 1, "u3": 1, "u4": 1}, key_id=KEY_A))
    verdict_b = books.update(update(B, 1, {"u1": 1, "u2": 1, "u3": 1}, key_id=KEY_B))
    assert verdict_b is not None
    assert (verdict_b.status, verdict_b.combined, verdict_b.authorized) == (ACK, 3, 3)
    assert books.summary(KEY_A).current == 4
    # The same user IDs on instances with different keys take a unit from each key.
    assert [row.units for row in books.connections(KEY_B)] == ["1", "1", "1"]


def test_an_instance_expires_after_three_missed_periods(
    books: Accounting, clock: ManualClock
) -> None:
    books.update(update(A, 1, {"u1": 1, "u2": 1}))
    books.update(update(B, 1, {"u3": 1}))
    clock.advance(3 * PERIOD)
    books.update(update(B, 2, {"u3": 1}))
    assert books.expire() == []
    clock.advance(0.01)
    gone = books.expire()
    assert [(info.order_number, place) for info, place in gone] == [
        ("100001", ("10.0.0.1", "A", IDENTITY))
    ]
    assert books.summary(KEY_A).current == 1
    assert books.live_instances() == 1


def test_an_instance_reporting_every_period_never_expires(
    books: Accounting, clock: ManualClock
) -> None:
    for seq in range(1, 20):
        books.update(update(A, seq, {"u1": 1}))
        clock.advance(PERIOD)
        assert books.expire() == []


@pytest.mark.parametrize("seq", [1, 2])
def test_a_replayed_or_older_sequence_number_is_dropped_and_counted(
    books: Accounting, seq: int
) -> None:
    books.update(update(A, 1, {"u1": 1}))
    books.update(update(A, 2, {"u1": 1, "u2": 1}))
    assert books.update(update(A, seq, {"u1": 1, "u2": 1, "u3": 1, "u4": 1})) is None
    assert books.counters["replayed"] == 1
    assert books.summary(KEY_A).current == 2


def test_an_expired_instance_cannot_be_brought_back_by_a_replay(
    books: Accounting, clock: ManualClock
) -> None:
    captured = update(A, 7, {"u1": 1, "u2": 1})
    books.update(captured)
    clock.advance(3 * PERIOD + 1)
    books.expire()
    assert books.update(captured) is None
    assert books.live_instances() == 0


def test_a_full_re_report_replaces_the_instance_state(books: Accounting) -> None:
    books.update(update(A, 1, {"u1": 1, "u2": (1, 3)}))
    verdict = books.update(update(A, 2, {"u3": 1}))
    assert verdict is not None and verdict.combined == 1
    assert [row.user for row in books.connections(KEY_A)] == ["u3"]
    assert books.summary(KEY_A).connections == 1


def test_a_new_boot_of_the_same_place_replaces_the_old_one_at_once(books: Accounting) -> None:
    old, new = instance("A", "1" * 16), instance("A", "2" * 16)
    books.update(update(old, 50, {"u1": 1, "u2": 1}))
    verdict = books.update(update(new, 1, {"u9": 1}))
    assert verdict is not None and (verdict.combined, verdict.instances) == (
        1,
        (("10.0.0.1", "A"),),
    )
    assert books.update(update(old, 51, {"u1": 1, "u2": 1})) is None  # the old boot is retired
    assert books.counters["replayed"] == 1


def test_a_delta_applies_on_its_base(books: Accounting) -> None:
    books.update(update(A, 1, {"u1": 1, "u2": 1, "u3": 1}))
    delta = Update(KEY_A, 2, A, False, 1, PERIOD, 3, 4, (UserUse("u4", 1, 2),), ("u1",))
    verdict = books.update(delta)
    assert verdict is not None and (verdict.status, verdict.combined) == (ACK, 3)
    assert [(row.user, row.connections) for row in books.connections(KEY_A)] == [
        ("u2", 1),
        ("u3", 1),
        ("u4", 2),
    ]


def test_a_delta_on_another_base_asks_for_a_full_report(books: Accounting) -> None:
    books.update(update(A, 1, {"u1": 1}))
    books.update(update(A, 2, {"u1": 1, "u2": 1}))
    stale = Update(KEY_A, 3, A, False, 1, PERIOD, 2, 2, (UserUse("u3", 1, 1),), ("u2",))
    verdict = books.update(stale)
    assert verdict is not None and verdict.status == RESYNC
    assert books.summary(KEY_A).current == 2


def test_a_delta_from_an_unknown_instance_asks_for_a_full_report(books: Accounting) -> None:
    verdict = books.update(Update(KEY_A, 5, A, False, 4, PERIOD, 1, 1, (UserUse("u", 1, 1),)))
    assert verdict is not None and verdict.status == RESYNC
    assert books.live_instances() == 0


def test_totals_that_do_not_add_up_are_refused(books: Accounting) -> None:
    books.update(update(A, 1, {"u1": 1}))
    verdict = books.update(update(A, 2, {"u1": 1, "u2": 1}, units=1))
    assert verdict is not None and verdict.status == RESYNC
    assert books.counters["inconsistent"] == 1
    assert books.summary(KEY_A).current == 1


def test_the_parts_of_an_update_apply_together(books: Accounting) -> None:
    users = tuple(UserUse(f"u{i}", 1, 1) for i in range(4))
    first = Update(KEY_A, 1, A, True, 0, PERIOD, 4, 4, users[:2], (), 0, 2)
    second = Update(KEY_A, 1, A, True, 0, PERIOD, 4, 4, users[2:], (), 1, 2)
    assert books.update(second) is None
    assert books.summary(KEY_A).current == 0
    verdict = books.update(first)
    assert verdict is not None and verdict.combined == 4
    assert books.update(first) is None and books.counters["replayed"] == 1


def test_an_update_missing_a_part_is_superseded_by_the_next(books: Accounting) -> None:
    books.update(Update(KEY_A, 1, A, True, 0, PERIOD, 2, 2, (UserUse("u1", 1, 1),), (), 0, 2))
    verdict = books.update(update(A, 2, {"u5": 1}))
    assert verdict is not None and verdict.combined == 1
    assert books.counters["incomplete"] == 1


def test_the_same_user_on_two_instances_of_a_key_takes_one_unit(books: Accounting) -> None:
    books.update(update(A, 1, {"alice@10.0.0.9": (1, 2), "bob@10.0.0.9": 1}))
    verdict = books.update(update(B, 1, {"alice@10.0.0.9": (1, 1), "carol@10.0.0.9": 1}))
    assert verdict is not None and verdict.combined == 3
    assert books.connections(KEY_A) == [
        ConnectionRow("alice@10.0.0.9", "1", 2, "10.0.0.1", "A", "100001"),
        ConnectionRow("alice@10.0.0.9", SHARED, 1, "10.0.0.1", "B", "100001"),
        ConnectionRow("bob@10.0.0.9", "1", 1, "10.0.0.1", "A", "100001"),
        ConnectionRow("carol@10.0.0.9", "1", 1, "10.0.0.1", "B", "100001"),
    ]


def test_the_instance_charging_most_units_carries_a_shared_user(books: Accounting) -> None:
    books.update(update(A, 1, {"gateway": (1, 3)}))
    verdict = books.update(update(B, 1, {"gateway": (26, 26)}))
    assert verdict is not None and (verdict.combined, verdict.status) == (26, NAK)
    assert [(row.instance, row.units) for row in books.connections(KEY_A)] == [
        ("B", "26"),
        ("A", SHARED),
    ]


def test_a_shared_user_keeps_its_unit_until_the_last_instance_lets_go(books: Accounting) -> None:
    books.update(update(A, 1, {"alice": 1}))
    books.update(update(B, 1, {"alice": 1}))
    assert books.update(update(A, 2, {})).combined == 1  # type: ignore[union-attr]
    assert books.connections(KEY_A) == [ConnectionRow("alice", "1", 1, "10.0.0.1", "B", "100001")]
    assert books.update(update(B, 2, {})).combined == 0  # type: ignore[union-attr]


def test_maximums_hold_since_the_server_started(books: Accounting) -> None:
    books.update(update(A, 1, {"u1": (1, 2), "u2": 1, "u3": 1}))
    books.update(update(A, 2, {"u1": 1}))
    summary = books.summary(KEY_A)
    assert (summary.current, summary.maximum) == (1, 3)
    assert (summary.connections, summary.max_connections) == (1, 4)
    assert books.update(update(A, 3, {})).maximum == 3  # type: ignore[union-attr]


def test_dump_server_views_count_shared_rows(books: Accounting) -> None:
    books.update(update(A, 1, {"alice": (1, 2), "bob": 1}))
    books.update(update(B, 1, {"alice": (1, 1)}))
    view_b = books.server_views(B.place, KEY_A)[0]
    assert (view_b.connections, view_b.units, view_b.shared) == (1, 0, 1)
    view_a = books.server_views(A.place)[0]
    assert (view_a.connections, view_a.units, view_a.shared) == (3, 2, 0)


# --- instances of one name on one host, told apart by identity -------------------------------


def test_two_instances_of_one_name_on_one_host_are_counted_apart(books: Accounting) -> None:
    one = instance("CACHE", "a" * 16, identity="c" * 16)
    two = instance("CACHE", "b" * 16, identity="d" * 16)
    books.update(update(one, 1, {"u1": 1, "u2": 1}))
    verdict = books.update(update(two, 1, {"u3": 1, "u4": 1, "u5": 1}))
    assert verdict is not None
    assert (verdict.combined, verdict.instances) == (
        5,
        (("10.0.0.1", "CACHE"), ("10.0.0.1", "CACHE")),
    )
    assert books.live_instances() == 2
    assert books.update(update(one, 2, {"u1": 1, "u2": 1})).combined == 5  # type: ignore
    views = books.server_views(two.place)
    assert [(view.instance, view.units) for view in views] == [("CACHE", 3)]


def test_a_restart_with_the_same_identity_still_replaces_the_old_boot(books: Accounting) -> None:
    old, new = instance("CACHE", "a" * 16), instance("CACHE", "b" * 16)
    books.update(update(old, 9, {"u1": 1, "u2": 1}))
    assert books.update(update(new, 1, {"u3": 1})).combined == 1  # type: ignore[union-attr]
    assert books.live_instances() == 1


# --- goodbyes ------------------------------------------------------------------------------


def test_a_goodbye_drops_the_instance_from_every_key_at_once(books: Accounting) -> None:
    books.update(update(A, 1, {"u1": 1, "u2": 1}))
    books.update(update(A, 2, {"u1": 1}, key_id=KEY_B))
    books.update(update(B, 1, {"u1": 1, "u3": 1}))
    left = books.goodbye(KEY_A, A, 3)
    assert [info.order_number for info in left or []] == ["100001", "100002"]
    assert (books.summary(KEY_A).current, books.summary(KEY_B).current) == (2, 0)
    assert books.connections(KEY_A) == [
        ConnectionRow("u1", "1", 1, "10.0.0.1", "B", "100001"),
        ConnectionRow("u3", "1", 1, "10.0.0.1", "B", "100001"),
    ]
    assert books.live_instances() == 1


def test_an_instance_on_two_keys_is_one_live_instance(books: Accounting) -> None:
    books.update(update(A, 1, {"u1": 1}))
    books.update(update(A, 2, {"u1": 1}, key_id=KEY_B))
    books.update(update(B, 1, {"u2": 1}, key_id=KEY_B))
    assert books.live_instances() == 2


def test_a_replayed_goodbye_is_dropped_and_counted(books: Accounting) -> None:
    books.update(update(A, 1, {"u1": 1}))
    assert books.goodbye(KEY_A, A, 2) is not None
    books.update(update(A, 3, {"u1": 1}))  # the instance carried on after all
    assert books.goodbye(KEY_A, A, 2) is None
    assert books.counters["replayed"] == 1
    assert books.live_instances() == 1


def test_an_update_from_before_a_goodbye_cannot_bring_the_instance_back(
    books: Accounting,
) -> None:
    captured_a = update(A, 1, {"u1": 1})
    captured_b = update(A, 2, {"u2": 1}, key_id=KEY_B)
    never_delivered = update(A, 3, {"u3": 1}, key_id=KEY_B)
    books.update(captured_a)
    books.update(captured_b)
    books.goodbye(KEY_A, A, 4)
    for replay in (captured_a, captured_b, never_delivered):
        assert books.update(replay) is None
    assert books.live_instances() == 0
    assert books.counters["replayed"] == 3


def test_a_goodbye_repeated_with_a_new_number_is_answered_again(books: Accounting) -> None:
    books.update(update(A, 1, {"u1": 1}))
    assert books.goodbye(KEY_A, A, 2) is not None
    assert books.goodbye(KEY_A, A, 3) == []  # its answer was lost: nothing left to drop
    assert books.counters["replayed"] == 0


def test_a_late_goodbye_of_an_earlier_boot_leaves_the_running_boot_be(books: Accounting) -> None:
    earlier, running = instance("A", "a" * 16), instance("A", "b" * 16)
    books.update(update(running, 1, {"u1": 1}))
    assert books.goodbye(KEY_A, earlier, 7) == []
    assert books.summary(KEY_A).current == 1


def test_a_goodbye_drops_a_half_received_update(books: Accounting, clock: ManualClock) -> None:
    first = Update(KEY_A, 1, A, True, 0, PERIOD, 2, 2, (UserUse("u1", 1, 1),), (), 0, 2)
    second = Update(KEY_A, 1, A, True, 0, PERIOD, 2, 2, (UserUse("u2", 1, 1),), (), 1, 2)
    books.update(first)
    books.goodbye(KEY_A, A, 2)
    assert books.update(second) is None
    clock.advance(2 * PERIOD)
    books.expire()
    assert books.counters["incomplete"] == 0  # no half update was left waiting
    assert books.summary(KEY_A).current == 0


def test_a_query_sequence_is_fresh_once(books: Accounting) -> None:
    assert books.fresh(KEY_A, A, 4)
    assert not books.fresh(KEY_A, A, 4)
    assert not books.fresh(KEY_A, A, 3)
    assert books.fresh(KEY_A, A, 5)
    assert books.counters["replayed"] == 2


# --- the active server (client side, pure) ---------------------------------------------------


@pytest.mark.parametrize(
    ("answering", "chosen"),
    [
        ([True, True, True], 0),
        ([False, True, True], 1),
        ([False, False, True], 2),
        ([False, False, False], None),
    ],
)
def test_the_active_server_is_the_first_that_answers(
    answering: list[bool], chosen: int | None
) -> None:
    assert choose_active(["S1", "S2", "S3"], answering) == chosen


def test_the_active_server_is_left_after_two_silent_periods(clock: ManualClock) -> None:
    up = {"S1": True, "S2": True, "S3": True}
    choice = ActiveServer(["S1", "S2", "S3"], PERIOD, up.__getitem__, clock.now)
    assert choice.select() == (0, True)
    choice.answered()
    up["S1"] = False
    clock.advance(1.9 * PERIOD)
    assert choice.select() == (0, False)
    clock.advance(0.1 * PERIOD)
    assert choice.select() == (1, True)
    choice.answered()
    clock.advance(PERIOD)
    assert choice.select() == (1, False)


def test_an_earlier_server_that_answers_again_takes_over(clock: ManualClock) -> None:
    up = {"S1": False, "S2": True}
    choice = ActiveServer(["S1", "S2"], PERIOD, up.__getitem__, clock.now)
    assert choice.select() == (1, True)
    up["S1"] = True
    assert choice.select() == (0, True)


def test_with_no_server_answering_there_is_no_active_one(clock: ManualClock) -> None:
    up = {"S1": True}
    choice = ActiveServer(["S1"], PERIOD, up.__getitem__, clock.now)
    choice.select()
    up["S1"] = False
    clock.advance(2 * PERIOD)
    assert choice.select() == (None, True)
    assert choice.select() == (None, False)
    up["S1"] = True
    assert choice.select() == (0, True)
