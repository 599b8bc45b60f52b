"""The license server over bytes, in process, on a hand-moved clock: drops summarised in the log
once per period, answers to work that proves nothing budgeted per source, datagrams of outsiders
(another secret, another epoch) costing no state, the limit of keys, the dumps of everything
rewritten at most once per period, and the stats report's counters."""

from __future__ import annotations

import hashlib
import hmac
import logging
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from cacheshell.system.authkey import current_platform_code
from cacheshell.system.clock import ManualClock
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.keys import KeySpec, LicenseKey, issue_from_spec
from cacheshell.system.licserver import server as server_module
from cacheshell.system.licserver.limits import ANSWERS_PER_SOURCE, MAX_KEYS
from cacheshell.system.licserver.protocol import (
    NO_EPOCH,
    Answer,
    DomainKeys,
    EpochNotice,
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
)
from cacheshell.system.licserver.server import LicenseServer
from cacheshell.system.signing import training_private_key, training_public_key

PERIOD = 1.0
ME = InstanceId("10.0.0.1", "A", "0" * 16, "1" * 16)
SOURCE = ("10.0.0.1", 4001)
SECRET = bytes(range(32))
KEYS = DomainKeys.from_secret(SECRET)
OUTSIDER = DomainKeys.from_secret(bytes(range(1, 33)))  # another domain's secret, or a guess
OLD_EPOCH = bytes.fromhex("0102030405060708")  # a server start before this one


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
    return LicenseServer(
        tmp_path,
        PERIOD,
        logger,
        secret=SECRET,
        now=clock.now,
        trusted=[training_public_key()],
    )


def sealed(
    server: LicenseServer, msg: Message, keys: DomainKeys = KEYS, epoch: bytes | None = None
) -> bytes:
    """A datagram of the domain in the server's epoch, unless told another secret or epoch."""
    return encode(msg, keys, server.epoch if epoch is None else epoch)


def opened(server: LicenseServer, data: bytes) -> Message:
    """The message of an answer, which must be of the server's epoch."""
    epoch, message = decode(data, KEYS)
    assert epoch == server.epoch
    return message


def register(server: LicenseServer, key: LicenseKey, seq: int = 1, who: InstanceId = ME) -> Answer:
    datagram = sealed(server, KeyRegistration(key_id(key), seq, who, render_key_file(key.file)))
    (answer,) = server.handle(datagram, SOURCE)
    message = opened(server, answer)
    assert isinstance(message, Answer)
    return message


def query(server: LicenseServer, report: str, seq: int) -> dict[str, str | int]:
    (answer,) = server.handle(sealed(server, Query(key_id(KEY), seq, ME, report)), SOURCE)
    reply = opened(server, answer)
    assert isinstance(reply, Reply)
    return dict(reply.values)


def test_drops_are_summarised_once_per_kind_per_period(
    server: LicenseServer, clock: ManualClock, log: Lines
) -> None:
    register(server, KEY)
    update = Update(key_id(KEY), 2, ME, True, 0, PERIOD, 0, 0, ())
    tampered = bytearray(sealed(server, update))
    tampered[-1] ^= 1
    for _ in range(100):
        server.handle(b"xyz", SOURCE)
    for _ in range(30):
        server.handle(bytes(tampered), ("10.0.0.7", 9))
    for _ in range(20):
        server.handle(sealed(server, update, OUTSIDER), ("10.0.0.8", 9))
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


@pytest.mark.parametrize(
    "case",
    [
        "a key the server does not serve",
        "a served key its sender never registered",
    ],
)
def test_unknown_key_answers_to_one_source_are_budgeted_per_period(
    server: LicenseServer, clock: ManualClock, case: str
) -> None:
    register(server, KEY)
    stranger = InstanceId("10.0.0.1", "B", "2" * 16, "3" * 16)
    request = {
        "a key the server does not serve": Update(
            key_id(mint(500002)), 1, ME, True, 0, PERIOD, 0, 0, ()
        ),
        "a served key its sender never registered": Update(
            key_id(KEY), 1, stranger, True, 0, PERIOD, 0, 0, ()
        ),
    }[case]
    unknown = sealed(server, request)
    answers = [server.handle(unknown, SOURCE) for _ in range(ANSWERS_PER_SOURCE + 50)]
    # The registration's answer is not budgeted: it answers authenticated, accepted work.
    assert sum(len(answer) for answer in answers) == ANSWERS_PER_SOURCE
    assert opened(server, answers[0][0]) == NeedKey(request.key_id, 1)
    assert len(server.handle(unknown, ("10.0.0.2", 4001))) == 1  # another source: its own budget
    clock.advance(PERIOD)
    server.tick()
    assert len(server.handle(unknown, SOURCE)) == 1
    assert (server.counters["unanswered"], server.counters["unknown_key"]) == (
        50,
        ANSWERS_PER_SOURCE + 52,
    )
    assert server.accounting.live_instances() == 0


# What each outsider datagram is answered: a forger (no domain secret) with nothing at all; a
# datagram of another epoch (captured before a restart, or on the way to another server) with
# the server's epoch only, budgeted like any answer to work that proves nothing.
OUTSIDERS = [
    ("another secret", OUTSIDER, None, "forged", 0, 0),
    ("another epoch", KEYS, OLD_EPOCH, "stale", ANSWERS_PER_SOURCE, 800 - ANSWERS_PER_SOURCE),
]
ATTACKER = ("10.0.0.66", 5000)


@pytest.mark.parametrize(
    ("case", "keys", "epoch", "counter", "answered", "withheld"),
    OUTSIDERS,
    ids=[o[0] for o in OUTSIDERS],
)
def test_outsider_datagrams_change_no_state_and_are_answered_within_the_budget(
    server: LicenseServer,
    case: str,
    keys: DomainKeys,
    epoch: bytes | None,
    counter: str,
    answered: int,
    withheld: int,
) -> None:
    register(server, KEY)
    kid, minted = key_id(KEY), mint(500003)
    flood: list[Message] = []
    for n in range(200):
        who = InstanceId(f"10.9.{n // 256}.{n % 256}", f"X{n}", f"{n:016x}", f"{n:016x}")
        flood += [
            KeyRegistration(key_id(minted), 1, who, render_key_file(minted.file)),
            Update(kid, 2, who, True, 0, PERIOD, 0, 0, ()),
            Update(kid, 3, who, True, 0, PERIOD, 2, 2, (), (), 0, 2),
            Query(kid, 4, who, "allconnections"),
        ]
    answers = [
        data for msg in flood for data in server.handle(sealed(server, msg, keys, epoch), ATTACKER)
    ]
    after = query(server, "stats", 2)
    state = ("keys", "instances", "parts_held", "senders_remembered", "holders")
    assert [(name, after[name]) for name in state] == [
        ("keys", 1),
        ("instances", 0),
        ("parts_held", 0),
        ("senders_remembered", 1),
        ("holders", 1),
    ]
    assert (len(answers), after[counter], after.get("unanswered", 0)) == (
        answered,
        len(flood),
        withheld,
    )
    assert {type(opened(server, data)) for data in answers} <= {EpochNotice}


def test_first_contacts_and_registrations_asked_for_are_counted_not_warned(
    server: LicenseServer, clock: ManualClock, log: Lines
) -> None:
    """Each instance starting meets the server with no epoch, then is asked for its key: normal,
    so counted only; a datagram of another epoch is worth the summary line."""
    for n in range(3):
        who = InstanceId("10.0.0.1", f"I{n}", f"{n:016x}", f"{n:016x}")
        update = Update(key_id(KEY), 1, who, True, 0, PERIOD, 0, 0, ())
        first = server.handle(sealed(server, update, epoch=NO_EPOCH), SOURCE)
        assert [type(opened(server, data)) for data in first] == [EpochNotice]
        assert [opened(server, data) for data in server.handle(sealed(server, update))] == [
            NeedKey(key_id(KEY), 1)
        ]
    clock.advance(PERIOD)
    server.tick()
    server.handle(sealed(server, update, epoch=OLD_EPOCH), SOURCE)
    clock.advance(PERIOD)
    server.tick()
    assert log.lines == [
        "1 datagrams of another epoch (before a restart, or for another server) since the last "
        "report; the first from 10.0.0.1:4001: UPDATE of another epoch"
    ]
    assert (server.counters["first_contact"], server.counters["unknown_key"]) == (3, 3)


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
    (answer,) = server.handle(sealed(server, update), SOURCE)
    assert opened(server, answer).status == "ACK"  # type: ignore[union-attr]
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
    server.handle(sealed(server, first_part), SOURCE)
    stats = query(server, "stats", 3)
    assert {name: stats.get(name) for name in ("keys", "parts_held", "senders_remembered")} == {
        "keys": 1,
        "parts_held": 1,
        "senders_remembered": 1,
    }


@pytest.mark.parametrize(
    ("fakes_report", "answer"),
    [
        (False, "ACK"),  # fakes that only register are forgotten first
        (True, "NEEDKEY"),  # all served: the oldest goes, and registers again when asked
    ],
)
def test_a_flood_of_registrations_forgets_the_holders_no_key_serves_first(
    server: LicenseServer, monkeypatch: pytest.MonkeyPatch, fakes_report: bool, answer: str
) -> None:
    monkeypatch.setattr(server_module, "HOLDERS_KEPT", 4)
    register(server, KEY)
    (ack,) = server.handle(sealed(server, Update(key_id(KEY), 2, ME, True, 0, PERIOD, 0, 0, ())))
    assert opened(server, ack).status == "ACK"  # type: ignore[union-attr]
    for n in range(10):
        who = InstanceId("10.0.0.9", f"F{n}", f"{n:016x}", f"{n:016x}")
        register(server, KEY, 1, who)
        if fakes_report:
            server.handle(sealed(server, Update(key_id(KEY), 2, who, True, 0, PERIOD, 0, 0, ())))
    update = Update(key_id(KEY), 3, ME, True, 0, PERIOD, 0, 0, ())
    (reply,) = server.handle(sealed(server, update), SOURCE)
    message = opened(server, reply)
    assert (message.status if isinstance(message, Answer) else message.kind.name) == answer
    assert len(server._holders) == 4


I_CELL = b'"i":["10.0.0.1","A","' + b"0" * 16 + b'","' + b"1" * 16 + b'"]'


@pytest.mark.parametrize(
    "body",
    [
        b"{" + I_CELL + b',"p":[0,1],"f":1,"b":0,"t":1,"u":1,"c":1,"r":[["\xff",1,1]],"x":[]}',
        b"{" + I_CELL + b',"p":[0,1],"f":1,"b":0,"t":1,"u":1,"c":1,"r":[["\\ud800",1,1]],"x":[]}',
        b"{" + I_CELL + b',"p":[0,1],"f":1,"b":0,"t":NaN,"u":0,"c":0,"r":[],"x":[]}',
        b"{" + I_CELL + b',"p":[0,1],"f":1,"b":0,"t":1e400,"u":0,"c":0,"r":[],"x":[]}',
        b"{" + I_CELL + b',"p":[0,1],"f":1,"b":0,"t":1,"u":1e400,"c":0,"r":[],"x":[]}',
        b"[" * 5000 + b"]" * 5000,
    ],
    ids=["not-utf-8", "lone-surrogate", "nan-period", "infinite-period", "huge-units", "deep"],
)
def test_a_body_the_server_cannot_read_is_counted_malformed(
    server: LicenseServer, body: bytes
) -> None:
    # The server reads bodies with orjson, the instances with json: both refuse these.
    register(server, KEY)
    head = struct.pack(">4sBB8s32sQ", b"CSLS", 3, 2, server.epoch, key_id(KEY), 2) + body
    datagram = head + hmac.digest(KEYS.mac, head, hashlib.sha256)
    assert (server.handle(datagram, SOURCE), server.counters["malformed"]) == ([], 1)
