"""The license server over bytes, in process, on a hand-moved clock: drops summarised in the log
once per period, answers to unauthenticated work budgeted per source, the limit of keys, the
dumps of everything rewritten at most once per period, and the stats report's counters."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from cacheshell.system.authkey import current_platform_code
from cacheshell.system.clock import ManualClock
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.keys import KeySpec, LicenseKey, issue_from_spec
from cacheshell.system.licserver.limits import ANSWERS_PER_SOURCE, MAX_KEYS
from cacheshell.system.licserver.protocol import (
    Answer,
    InstanceId,
    KeyRegistration,
    Message,
    NeedKey,
    Query,
    Reply,
    Update,
    decode,
    encode,
    key_id,
    key_secret,
)
from cacheshell.system.licserver.server import LicenseServer
from cacheshell.system.signing import training_private_key, training_public_key

PERIOD = 1.0
ME = InstanceId("10.0.0.1", "A", "0" * 16, "1" * 16)
SOURCE = ("10.0.0.1", 4001)


def mint(order: int, units: int = 5) -> LicenseKey:
    spec = KeySpec(units=units, multi=True, order_number=order)
    return issue_from_spec(spec, training_private_key(), current_platform_code())


KEY = mint(500001)


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(100.0)


@pytest.fixture
def log() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger(f"test.licserver.{id(handler)}")
    logger.propagate = False
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.fixture
def server(tmp_path: Path, clock: ManualClock, log: Lines) -> LicenseServer:
    logger = logging.getLogger(f"test.licserver.{id(log)}")
    return LicenseServer(tmp_path, PERIOD, logger, now=clock.now, trusted=[training_public_key()])


def sealed(msg: Message, key: LicenseKey) -> bytes:
    return encode(msg, key_secret(key))


def register(server: LicenseServer, key: LicenseKey, seq: int = 1) -> Answer:
    datagram = sealed(KeyRegistration(key_id(key), seq, ME, render_key_file(key.file)), key)
    (answer,) = server.handle(datagram, SOURCE)
    message = decode(answer, {key_id(key): key_secret(key)}.get)
    assert isinstance(message, Answer)
    return message


def query(server: LicenseServer, report: str, seq: int) -> dict[str, str | int]:
    (answer,) = server.handle(sealed(Query(key_id(KEY), seq, ME, report), KEY), SOURCE)
    reply = decode(answer, {key_id(KEY): key_secret(KEY)}.get)
    assert isinstance(reply, Reply)
    return dict(reply.values)


def test_drops_are_summarised_once_per_kind_per_period(
    server: LicenseServer, clock: ManualClock, log: Lines
) -> None:
    register(server, KEY)
    forged = bytearray(sealed(Update(key_id(KEY), 2, ME, True, 0, PERIOD, 0, 0, ()), KEY))
    forged[-1] ^= 1
    for _ in range(100):
        server.handle(b"xyz", SOURCE)
    for _ in range(50):
        server.handle(bytes(forged), ("10.0.0.7", 9))
    server.tick()  # within the period: nothing told yet
    clock.advance(PERIOD)
    server.tick()
    clock.advance(PERIOD)
    server.tick()  # a quiet period: nothing more
    assert [line for line in log.lines if "since the last report" in line] == [
        "100 malformed datagrams since the last report; the first from 10.0.0.1:4001: "
        "datagram of 3 bytes",
        "50 forged datagrams since the last report; the first from 10.0.0.7:9: bad MAC on UPDATE",
    ]


def test_a_refused_key_is_counted_and_summarised_not_logged_per_datagram(
    server: LicenseServer, clock: ManualClock, log: Lines
) -> None:
    single = issue_from_spec(
        KeySpec(units=5, multi=False, order_number=500009),
        training_private_key(),
        current_platform_code(),
    )
    for seq in range(1, 4):
        assert register(server, single, seq).status == "REFUSED"
    clock.advance(PERIOD)
    server.tick()
    assert log.lines == [
        "3 key registrations refused since the last report; the first from 10.0.0.1:4001: key "
        "OrderNumber 500009 registered by 10.0.0.1/A: a Single-server key is not shared: only "
        "Multiserver keys are"
    ]


def test_unknown_key_answers_to_one_source_are_budgeted_per_period(
    server: LicenseServer, clock: ManualClock
) -> None:
    stranger = mint(500002)
    unknown = sealed(Update(key_id(stranger), 1, ME, True, 0, PERIOD, 0, 0, ()), stranger)
    answers = [server.handle(unknown, SOURCE) for _ in range(ANSWERS_PER_SOURCE + 50)]
    assert sum(len(answer) for answer in answers) == 256
    assert isinstance(decode(answers[0][0], {}.get), NeedKey)
    assert len(server.handle(unknown, ("10.0.0.2", 4001))) == 1  # another source: its own budget
    clock.advance(PERIOD)
    server.tick()
    assert len(server.handle(unknown, SOURCE)) == 1
    assert server.counters["unanswered"] == 50


def test_keys_beyond_the_limit_are_refused_and_the_served_keep_working(
    server: LicenseServer,
) -> None:
    assert register(server, KEY).status == "ACK"
    for n in range(1, MAX_KEYS):
        register(server, mint(600000 + n))
    late = register(server, mint(700000))
    assert (late.status, late.reason) == (
        "REFUSED",
        "the license server serves its limit of 512 keys",
    )
    update = Update(key_id(KEY), 2, ME, True, 0, PERIOD, 0, 0, ())
    (answer,) = server.handle(sealed(update, KEY), SOURCE)
    assert decode(answer, {key_id(KEY): key_secret(KEY)}.get).status == "ACK"  # type: ignore
    assert (len(server.accounting.pools), server.counters["over_keys"]) == (512, 1)


def test_a_dump_of_every_key_is_written_at_most_once_per_period(
    server: LicenseServer, clock: ManualClock, tmp_path: Path
) -> None:
    register(server, KEY)
    query(server, "dumpkeys", 2)
    written = (tmp_path / "dumpkeys.txt").stat().st_mtime_ns
    (tmp_path / "dumpkeys.txt").write_text("as last written")
    assert query(server, "dumpkeys", 3)["file"] == "dumpkeys.txt"
    assert (tmp_path / "dumpkeys.txt").read_text() == "as last written"
    clock.advance(PERIOD)
    query(server, "dumpkeys", 4)
    assert (tmp_path / "dumpkeys.txt").read_text().startswith("dumpkeys requested by 10.0.0.1/A")
    assert written and server.counters["dumps_reused"] == 1


def test_the_stats_report_shows_the_limit_counters(server: LicenseServer) -> None:
    register(server, KEY)
    first_part = Update(key_id(KEY), 2, ME, True, 0, PERIOD, 2, 2, (), (), 0, 2)
    server.handle(sealed(first_part, KEY), SOURCE)
    stats = query(server, "stats", 3)
    assert {name: stats.get(name) for name in ("keys", "parts_held", "senders_remembered")} == {
        "keys": 1,
        "parts_held": 1,
        "senders_remembered": 1,
    }
