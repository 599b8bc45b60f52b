"""License server accounting, bounded: every limit of limits.py and every expiry on the server's
own clock, on a hand-moved clock, each at its real value."""

from __future__ import annotations

import pytest

from cacheshell.system.clock import ManualClock
from cacheshell.system.licserver.accounting import ACK, NAK, Accounting, Verdict
from cacheshell.system.licserver.limits import (
    BOOK_PERIODS,
    CLAIMED_PERIODS_CEILING,
    PARTS_PER_KEY,
    PARTS_PER_SERVER,
    PARTS_PER_SOURCE,
    UPDATES_PER_PERIOD,
    instance_limit,
    user_limit,
)
from cacheshell.system.licserver.protocol import InstanceId, Update, UserUse
from cacheshell.system.server_views import KeyInfo

PERIOD = 1.0  # the server's
KEY_A = b"A" * 32


def key(key_id: bytes = KEY_A, units: int = 5) -> KeyInfo:
    order = key_id.hex()[:6]
    return KeyInfo(key_id, order, units, units, (("OrderNumber", order),))


def instance(name: str, host: str = "10.0.0.1", boot: str = "0" * 16) -> InstanceId:
    return InstanceId(host, name, boot, "1" * 16)


def full(
    who: InstanceId,
    seq: int,
    users: list[str],
    *,
    key_id: bytes = KEY_A,
    period: float = PERIOD,
    part: tuple[int, int] = (0, 1),
) -> Update:
    uses = tuple(UserUse(user, 1, 1) for user in users)
    return Update(
        key_id, seq, who, True, 0, period, len(uses), len(uses), uses, (), part[0], part[1]
    )


def first_part(name: str, key_id: bytes = KEY_A) -> Update:
    """The first of the two parts of an update that will never be completed."""
    return full(instance(name), 1, ["u"], key_id=key_id, part=(0, 2))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
def books(clock: ManualClock) -> Accounting:
    accounting = Accounting(clock.now, PERIOD)
    accounting.add_key(key())
    return accounting


def answered(verdict: Verdict | None) -> tuple[str, int, str]:
    assert verdict is not None, "no answer"
    return verdict.status, verdict.combined, verdict.reason


A, B = instance("A"), instance("B")


# --- the limits table ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("capacity", "users", "instances"),
    [
        (1, 65, 64),  # the floors: a small key
        (5, 69, 64),
        (256, 320, 256),  # a quarter of the capacity passes the floor of 64 IDs at 256 units
        (1_000, 1_250, 1_000),
        # benchmarks/license_server.py: 1,000 x 100 on this key; the speed target 10,000 x 100
        (999_999, 1_249_998, 16_384),
    ],
)
def test_the_limits_of_a_key_follow_its_capacity(capacity: int, users: int, instances: int) -> None:
    assert (user_limit(capacity), instance_limit(capacity)) == (users, instances)


# --- distinct user IDs of a key ------------------------------------------------------------


def test_a_report_beyond_the_user_limit_is_nakked_with_a_reason_and_not_counted(
    books: Accounting,
) -> None:
    books.update(full(A, 1, ["a1", "a2", "a3"]))
    flood = [f"b{i}" for i in range(67)]  # 3 + 67 = 70 distinct IDs, the limit of 5 units is 69
    assert answered(books.update(full(B, 1, flood))) == (
        NAK,
        3,
        "the report takes the key beyond 69 distinct user IDs: it is not counted, and the key "
        "is NAKed",
    )
    assert (books.counters["over_users"], books.live_instances()) == (1, 1)
    assert books.summary(KEY_A).current == 3


def test_the_key_stays_nakked_for_three_periods_after_a_report_beyond_its_users(
    books: Accounting, clock: ManualClock
) -> None:
    books.update(full(A, 1, ["a1"]))
    books.update(full(B, 1, [f"b{i}" for i in range(70)]))
    clock.advance(3 * PERIOD)
    assert answered(books.update(full(A, 2, ["a1"]))) == (NAK, 1, "")
    clock.advance(0.01)
    assert answered(books.update(full(A, 3, ["a1"]))) == (ACK, 1, "")


def test_ids_shared_with_other_instances_count_once_against_the_limit(books: Accounting) -> None:
    books.update(full(A, 1, ["a1", "a2", "a3"]))
    books.update(full(B, 1, ["a1", "a2", "a3", *(f"b{i}" for i in range(66))]))  # 69 distinct
    assert (books.counters["over_users"], books.summary(KEY_A).current) == (0, 69)


def test_a_delta_beyond_the_user_limit_is_refused_too(books: Accounting) -> None:
    books.update(full(A, 1, [f"a{i}" for i in range(69)]))
    grow = Update(KEY_A, 2, A, False, 1, PERIOD, 70, 70, (UserUse("one-more", 1, 1),))
    assert answered(books.update(grow))[0] == NAK
    assert (books.counters["over_users"], books.summary(KEY_A).current) == (1, 69)


def test_a_report_that_frees_ids_may_still_come_at_the_limit(books: Accounting) -> None:
    books.update(full(A, 1, [f"a{i}" for i in range(69)]))
    swap = Update(KEY_A, 2, A, False, 1, PERIOD, 69, 69, (UserUse("new", 1, 1),), ("a0",))
    assert answered(books.update(swap))[1] == 69
    assert books.counters["over_users"] == 0


# --- instances of a key --------------------------------------------------------------------


def test_a_new_instance_beyond_the_key_limit_is_nakked_and_not_recorded(
    books: Accounting,
) -> None:
    for n in range(64):
        books.update(full(instance(f"I{n}"), 1, []))
    assert answered(books.update(full(instance("LATE"), 1, ["u"]))) == (
        NAK,
        0,
        "the key is in use on its limit of 64 instances: this one is not counted",
    )
    assert (books.live_instances(), books.counters["over_instances"]) == (64, 1)
    assert answered(books.update(full(instance("I0"), 2, ["u"]))) == (ACK, 1, "")


def test_a_new_boot_of_an_instance_served_is_no_new_instance(books: Accounting) -> None:
    for n in range(64):
        books.update(full(instance(f"I{n}"), 1, []))
    restarted = instance("I5", boot="f" * 16)
    assert answered(books.update(full(restarted, 1, ["u"]))) == (ACK, 1, "")
    assert books.counters["over_instances"] == 0


def test_an_expired_instance_makes_room_for_a_new_one(
    books: Accounting, clock: ManualClock
) -> None:
    for n in range(64):
        books.update(full(instance(f"I{n}"), 1, []))
    clock.advance(2 * PERIOD)
    for n in range(1, 64):
        books.update(full(instance(f"I{n}"), 2, []))
    clock.advance(1.5 * PERIOD)
    assert len(books.expire()) == 1
    assert answered(books.update(full(instance("LATE"), 1, ["u"]))) == (ACK, 1, "")


# --- partial updates held ------------------------------------------------------------------


def test_parts_held_from_one_source_are_bounded(books: Accounting) -> None:
    for n in range(PARTS_PER_SOURCE + 10):
        assert books.update(first_part(f"F{n}"), "10.6.6.6") is None
    assert (books.parts_held(), books.counters["partial_limit"]) == (512, 10)
    assert books.update(first_part("OTHER"), "10.0.0.2") is None
    assert books.parts_held() == 513  # another source still has room


def test_parts_held_per_key_are_bounded(books: Accounting) -> None:
    sources = PARTS_PER_KEY // PARTS_PER_SOURCE
    for s in range(sources + 1):
        for n in range(PARTS_PER_SOURCE):
            books.update(first_part(f"F{s}-{n}"), f"10.6.6.{s}")
    assert (books.parts_held(), books.counters["partial_limit"]) == (2048, 512)


def test_parts_held_per_server_are_bounded(books: Accounting) -> None:
    keys = [bytes([k]) * 32 for k in range(1, PARTS_PER_SERVER // PARTS_PER_KEY + 2)]
    for key_id in keys:
        books.add_key(key(key_id))
        for s in range(PARTS_PER_KEY // PARTS_PER_SOURCE):
            for n in range(PARTS_PER_SOURCE):
                books.update(first_part(f"F{s}-{n}", key_id), f"10.{key_id[0]}.6.{s}")
    assert (books.parts_held(), books.counters["partial_limit"]) == (8192, 2048)


def test_a_partial_update_is_dropped_after_one_server_period_whatever_its_claim(
    books: Accounting, clock: ManualClock
) -> None:
    books.update(full(A, 1, ["u"], period=86400.0, part=(0, 2)))
    clock.advance(PERIOD)
    books.expire()
    assert books.parts_held() == 1
    clock.advance(0.01)
    books.expire()
    assert (books.parts_held(), books.counters["incomplete"]) == (0, 1)


def test_the_room_of_a_completed_update_is_given_back(books: Accounting) -> None:
    one, two = (UserUse("u1", 1, 1),), (UserUse("u2", 1, 1),)
    books.update(Update(KEY_A, 1, A, True, 0, PERIOD, 2, 2, one, (), 0, 2))
    assert books.parts_held() == 1
    assert answered(books.update(Update(KEY_A, 1, A, True, 0, PERIOD, 2, 2, two, (), 1, 2)))[1] == 2
    assert books.parts_held() == 0


# --- rate of one instance ------------------------------------------------------------------


def test_updates_beyond_an_instance_rate_are_dropped_until_the_next_period(
    books: Accounting, clock: ManualClock
) -> None:
    books.update(full(A, 1, ["u"]))  # first contact: the instance is not served yet
    answers = [books.update(full(A, 2 + n, ["u"])) for n in range(UPDATES_PER_PERIOD + 1)]
    assert sum(answer is not None for answer in answers) == 1000
    assert (answers[-1], books.counters["rate_limited"]) == (None, 1)
    clock.advance(PERIOD)
    assert answered(books.update(full(A, 5000, ["u"]))) == (ACK, 1, "")


# --- expiry on the server's clock ----------------------------------------------------------


@pytest.mark.parametrize(
    ("claimed", "lasts"),
    [
        (86400.0, 3 * CLAIMED_PERIODS_CEILING * PERIOD),  # a day counts as the ceiling
        (2 * PERIOD, 6 * PERIOD),  # a longer one is honoured below the ceiling
        (PERIOD, 3 * PERIOD),
        (PERIOD / 4, 3 * PERIOD / 4),  # a shorter one shortens the instance's own expiry
    ],
)
def test_an_instance_expires_after_three_of_its_periods_counted_up_to_a_ceiling(
    books: Accounting, clock: ManualClock, claimed: float, lasts: float
) -> None:
    books.update(full(A, 1, ["u"], period=claimed))
    clock.advance(lasts)
    assert books.expire() == []
    clock.advance(0.001)
    assert [place for _info, place in books.expire()] == [A.place]


def test_a_quiet_sender_is_forgotten_after_a_few_server_periods(
    books: Accounting, clock: ManualClock
) -> None:
    books.update(full(A, 1, ["u"], period=PERIOD))
    assert books.fresh(KEY_A, B, 1)  # a query-only sender
    clock.advance(BOOK_PERIODS * PERIOD)
    books.expire()
    assert books.senders_remembered() == 2
    clock.advance(0.01)
    books.expire()
    assert books.senders_remembered() == 0


def test_a_retired_boot_is_remembered_while_its_place_is_served(
    books: Accounting, clock: ManualClock
) -> None:
    old, new = instance("A", boot="a" * 16), instance("A", boot="b" * 16)
    captured = full(old, 9, ["x1", "x2"])
    books.update(captured)
    books.update(full(new, 1, ["u"]))
    for seq in range(2, 2 + 2 * BOOK_PERIODS):
        clock.advance(PERIOD)
        books.update(full(new, seq, ["u"]))
        books.expire()
    assert books.update(captured) is None  # the old boot cannot displace the running one
    assert [row.user for row in books.connections(KEY_A)] == ["u"]
