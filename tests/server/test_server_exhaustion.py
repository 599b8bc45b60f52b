"""A real license server daemon under floods meant to exhaust it, over a real UDP socket.

The floods come from a holder of the license domain secret (the worst case: an insider, or a
compromised instance): partial updates from fake places, fake instances and self-minted keys, each
fake place registering its key first where the rule needs the server to hold state, and updates
of a key the server does not serve. Before them, an outsider's flood: datagrams under guessed
secrets and datagrams of an earlier epoch (as captured before a restart). A real instance stays
ACKed with exact counts throughout, the outsider's datagrams change no state, the answers to work
that proves nothing stay within the per-source budget, the daemon's peak memory stays bounded,
and its log tells each kind of refusal at most once per period."""

from __future__ import annotations

import re
import socket
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import start_license_server, stop_processes
from servers import mint, reader_keys

from cacheshell.system.domain_secret import home_secret
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.layout import cacheshell_home
from cacheshell.system.licserver.client import LicenseClient
from cacheshell.system.licserver.limits import ANSWERS_PER_SOURCE, MAX_KEYS, PARTS_PER_SOURCE
from cacheshell.system.licserver.protocol import (
    Answer,
    DomainKeys,
    InstanceId,
    KeyRegistration,
    Message,
    Update,
    UserUse,
    decode,
    encode,
    key_id,
)

PERIOD = 1.0
KEY = mint(10, 800001)
STRANGER = mint(10, 800002)  # never registered: its datagrams are of an unknown key
# Measured 43 MiB peak through the floods of version 2 (no registrations); the review measured
# 246 MiB for 50,000 partial updates and 63 MiB for 10,000 keys before the limits.
PEAK_RSS_KIB = 96 * 1024
SUMMARY = re.compile(r"^(\S+ \S+) WARNING \d+ (.+?) since the last report", re.M)
# The attacker is another host: loopback's 127.0.0.2, so that the budget of answers per source
# it exhausts is its own, not that of the real instance on 127.0.0.1.
ATTACKER = "127.0.0.2"
# What a server sends to work that proves nothing (budgeted per source and period).
BUDGETED = ("NEEDKEY", "EPOCH", "PONG", "REFUSED")
STATE = ("keys", "instances", "parts_held", "senders_remembered", "holders")


def datagram(msg: Message, keys: DomainKeys, epoch: bytes) -> bytes:
    """Every datagram of the floods is made here, authenticated as `keys` allow, in `epoch`."""
    return encode(msg, keys, epoch)


def fake(n: int, prefix: str = "F") -> InstanceId:
    return InstanceId(
        f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
        f"{prefix}{n}",
        f"{n:016x}",
        f"{n:016x}",
    )


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[tuple[int, Path, int]]:
    """(port, directory, pid) of a license server; stopped and reaped at the end."""
    directory = tmp_path / "ls"
    process, port = start_license_server(directory, PERIOD, idle_exit=0)
    try:
        yield port, directory, process.pid
    finally:
        stop_processes([process])


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def registered(n: int, prefix: str, msg: Update) -> list[Message]:
    """A fake place's update after the registration of its key that makes the server take it."""
    key = KEY if msg.key_id == key_id(KEY) else STRANGER
    who = fake(n, prefix)
    return [KeyRegistration(msg.key_id, 1, who, render_key_file(key.file)), msg]


def test_floods_leave_a_real_instance_acked_and_the_server_bounded(
    daemon: tuple[int, Path, int],
) -> None:
    port, directory, pid = daemon
    server = ("127.0.0.1", port)
    table = {"alice@10.1.1.1": (1, 1), "bob@10.1.1.2": (1, 2), "carol@10.1.1.3": (1, 1)}
    kid, stranger = key_id(KEY), key_id(STRANGER)
    keys = DomainKeys.from_secret(home_secret(cacheshell_home()))  # the daemon's: one home
    sent: Counter[str] = Counter()
    answers: Counter[str] = Counter()

    def still_acked(real: LicenseClient) -> None:
        answer = real.send_update(server, table)
        assert answer is not None
        assert (answer.status, answer.combined, answer.authorized) == ("ACK", 3, 10)

    def flood(
        real: LicenseClient, attacker: socket.socket, label: str, datagrams: list[bytes]
    ) -> None:
        """Send in bursts the socket buffers hold; the real instance's update after each burst
        is answered after the burst was taken (one socket, in order), and so were the
        attacker's answers, read then."""
        for start in range(0, len(datagrams), 500):
            for data in datagrams[start : start + 500]:
                attacker.sendto(data, server)
            sent[label] += len(datagrams[start : start + 500])
            still_acked(real)
            while True:
                try:
                    data = attacker.recv(2048)
                except BlockingIOError:
                    break
                try:
                    _epoch, msg = decode(data, keys)
                except ValueError:
                    answers["unreadable"] += 1
                    continue
                status = msg.status if isinstance(msg, Answer) else ""
                answers[status if status == "REFUSED" else msg.kind.name] += 1

    began = time.monotonic()
    with (
        LicenseClient(KEY, "127.0.0.1", "REAL", period=PERIOD, timeout=5.0) as real,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as attacker,
    ):
        attacker.bind((ATTACKER, 0))
        attacker.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        attacker.setblocking(False)
        still_acked(real)
        epoch = real.epoch(server)  # in every header: whoever sees the wire has it
        before = real.stats(server)
        assert before is not None

        # The outsider: updates, registrations and goodbyes under every secret a reader of the
        # key file could guess (2,000), then the same under the domain secret in an epoch of an
        # earlier start (2,000), as captured then.
        minted = mint(5, 809_999)
        outsider = [
            msg
            for n in range(250)
            for msg in (
                KeyRegistration(key_id(minted), 1, fake(n, "O"), render_key_file(minted.file)),
                Update(kid, 2, fake(n, "O"), True, 0, 86400.0, 2, 2, (), (), 0, 2),
            )
        ]
        flood(
            real,
            attacker,
            "guessed secret",
            [datagram(msg, guess, epoch) for guess in reader_keys(KEY) for msg in outsider],
        )
        old_epoch = bytes(byte ^ 0xFF for byte in epoch)
        flood(
            real,
            attacker,
            "earlier epoch",
            [datagram(msg, keys, old_epoch) for _ in range(4) for msg in outsider],
        )
        untouched = real.stats(server)
        assert untouched is not None

        # 20,000 first parts of two-part updates, each from a fake place, never completed.
        first_parts = [
            msg
            for n in range(20_000)
            for msg in registered(
                n, "F", Update(kid, 2, fake(n), True, 0, 86400.0, 2, 2, (), (), 0, 2)
            )
        ]
        flood(real, attacker, "partial updates", [datagram(m, keys, epoch) for m in first_parts])
        # 5,000 fake instances of the real key (no user: they take room, not units).
        fakes = [
            msg
            for n in range(5_000)
            for msg in registered(n, "I", Update(kid, 2, fake(n, "I"), True, 0, 86400.0, 0, 0, ()))
        ]
        flood(real, attacker, "fake instances", [datagram(m, keys, epoch) for m in fakes])
        # 2,000 self-minted keys (the training issuer is public), each registered once.
        keys_minted = [mint(5, 810_000 + n) for n in range(2_000)]
        flood(
            real,
            attacker,
            "self-minted keys",
            [
                datagram(
                    KeyRegistration(key_id(k), 1, fake(n, "K"), render_key_file(k.file)),
                    keys,
                    epoch,
                )
                for n, k in enumerate(keys_minted)
            ],
        )
        # 20,000 updates of a key the server does not serve (nobody registered it).
        grab = (UserUse("x", 1, 1),)
        unknown = [
            Update(stranger, n, fake(n, "U"), True, 0, 1.0, 1, 1, grab) for n in range(20_000)
        ]
        flood(real, attacker, "unknown key", [datagram(m, keys, epoch) for m in unknown])
        counters = real.stats(server)
        peak = peak_rss_kib(pid)
    periods = (time.monotonic() - began) / PERIOD
    assert counters is not None
    print(
        f"sent {dict(sent)} = {sum(sent.values())} datagrams in {periods:.1f} periods; peak RSS "
        f"{peak} KiB; answers to the attacker {dict(answers)}; counters {counters}"
    )
    # A fake place that needs server state costs the flood a registration: two datagrams each.
    assert sent == {
        "guessed secret": 2_000,
        "earlier epoch": 2_000,
        "partial updates": 40_000,
        "fake instances": 10_000,
        "self-minted keys": 2_000,
        "unknown key": 20_000,
    }
    # The outsider: every datagram counted, none kept, none answered beyond the budget.
    assert [untouched[name] for name in STATE] == [before[name] for name in STATE]
    assert (
        int(untouched["forged"]) - int(before.get("forged", 0)),
        int(untouched["stale"]) - int(before.get("stale", 0)),
    ) == (sent["guessed secret"], sent["earlier epoch"])
    assert (counters["keys"], counters["over_keys"]) == (MAX_KEYS, 2_000 - (MAX_KEYS - 1))
    assert int(counters["instances"]) <= 64 < int(counters["over_instances"])
    assert int(counters["parts_held"]) <= PARTS_PER_SOURCE < int(counters["partial_limit"])
    # NEEDKEY, EPOCH and REFUSED answers to the attacker's address: its budget each period at
    # most. (Registrations and updates it authenticated are answered: they are work.)
    budgeted = sum(answers[kind] for kind in BUDGETED)
    assert 0 < budgeted <= ANSWERS_PER_SOURCE * (periods + 1), answers
    assert answers["unreadable"] == 0
    assert peak < PEAK_RSS_KIB, peak

    log = (directory / "licenseserver.log").read_text(encoding="utf-8")
    told: defaultdict[str, list[datetime]] = defaultdict(list)
    for stamp, kind in SUMMARY.findall(log):
        told[kind].append(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f"))
    assert {
        "forged datagrams",
        "datagrams of another epoch (before a restart, or for another server)",
        "parts of multi-part updates beyond the parts held",
        f"key registrations beyond the limit of {MAX_KEYS} keys",
        "new instances beyond their key's instance limit",
        "answers withheld from a source beyond its budget",
    } <= told.keys(), sorted(told)
    for kind, stamps in told.items():  # one line per kind per period at most
        gaps = [
            (later - earlier).total_seconds()
            for earlier, later in zip(stamps, stamps[1:], strict=False)
        ]
        assert all(gap >= PERIOD - 0.01 for gap in gaps), (kind, gaps)
    print(f"log: {len(log.splitlines())} lines, {sum(map(len, told.values()))} summary lines")
