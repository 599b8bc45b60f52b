"""A real license server daemon under floods meant to exhaust it, over a real UDP socket: partial
updates from fake places, fake instances, self-minted keys and unknown-key datagrams. A real
instance stays ACKed with exact counts throughout, the daemon's peak memory stays bounded, and
its log tells each kind of refusal at most once per period."""

from __future__ import annotations

import re
import socket
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import start_license_server, stop_processes
from servers import mint

from cacheshell.system.keyfile import render_key_file
from cacheshell.system.keys import LicenseKey
from cacheshell.system.licserver.client import LicenseClient
from cacheshell.system.licserver.limits import ANSWERS_PER_SOURCE, MAX_KEYS, PARTS_PER_SOURCE
from cacheshell.system.licserver.protocol import (
    InstanceId,
    KeyRegistration,
    Message,
    Update,
    UserUse,
    encode,
    key_id,
    key_secret,
)

PERIOD = 1.0
KEY = mint(10, 800001)
STRANGER = mint(10, 800002)  # never registered: its datagrams are of an unknown key
# Measured 43 MiB peak through the floods below; the review measured 246 MiB for 50,000 partial
# updates and 63 MiB for 10,000 keys before the limits.
PEAK_RSS_KIB = 96 * 1024
SUMMARY = re.compile(r"^(\S+ \S+) WARNING \d+ (.+?) since the last report", re.M)


def datagram(msg: Message, key: LicenseKey) -> bytes:
    """Every datagram of the floods is made here, signed as a holder of `key` would."""
    return encode(msg, key_secret(key))


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


def test_floods_leave_a_real_instance_acked_and_the_server_bounded(
    daemon: tuple[int, Path, int],
) -> None:
    port, directory, pid = daemon
    server = ("127.0.0.1", port)
    table = {"alice@10.1.1.1": (1, 1), "bob@10.1.1.2": (1, 2), "carol@10.1.1.3": (1, 1)}
    kid, stranger = key_id(KEY), key_id(STRANGER)
    sent = 0

    def still_acked(real: LicenseClient) -> None:
        answer = real.send_update(server, table)
        assert answer is not None
        assert (answer.status, answer.combined, answer.authorized) == ("ACK", 3, 10)

    def flood(real: LicenseClient, attacker: socket.socket, datagrams: list[bytes]) -> None:
        """Send in bursts the socket buffers hold; the real instance's update after each burst
        is answered after the burst was taken (one socket, in order)."""
        nonlocal sent
        for start in range(0, len(datagrams), 500):
            for data in datagrams[start : start + 500]:
                attacker.sendto(data, server)
            sent += len(datagrams[start : start + 500])
            still_acked(real)

    began = time.monotonic()
    with (
        LicenseClient(KEY, "127.0.0.1", "REAL", period=PERIOD, timeout=5.0) as real,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as attacker,
    ):
        attacker.setblocking(False)
        still_acked(real)
        # 20,000 first parts of two-part updates, each from a fake place, never completed.
        first_parts = [
            Update(kid, 1, fake(n), True, 0, 86400.0, 2, 2, (), (), 0, 2) for n in range(20_000)
        ]
        flood(real, attacker, [datagram(msg, KEY) for msg in first_parts])
        # 5,000 fake instances of the real key (no user: they take room, not units).
        fakes = [Update(kid, 1, fake(n, "I"), True, 0, 86400.0, 0, 0, ()) for n in range(5_000)]
        flood(real, attacker, [datagram(msg, KEY) for msg in fakes])
        # 2,000 self-minted keys (the training issuer is public), each registered once.
        minted = [mint(5, 810_000 + n) for n in range(2_000)]
        flood(
            real,
            attacker,
            [
                datagram(KeyRegistration(key_id(k), 1, fake(n, "K"), render_key_file(k.file)), k)
                for n, k in enumerate(minted)
            ],
        )
        # 20,000 updates of a key the server does not know.
        grab = (UserUse("x", 1, 1),)
        unknown = [
            Update(stranger, n, fake(n, "U"), True, 0, 1.0, 1, 1, grab) for n in range(20_000)
        ]
        flood(real, attacker, [datagram(msg, STRANGER) for msg in unknown])
        answers = 0
        while True:
            try:
                attacker.recv(2048)
            except BlockingIOError:
                break
            answers += 1
        counters = real.stats(server)
        peak = peak_rss_kib(pid)
    periods = (time.monotonic() - began) / PERIOD
    assert counters is not None
    print(
        f"sent {sent} datagrams in {periods:.1f} periods; peak RSS {peak} KiB; {answers} "
        f"answers to the attacker; counters {counters}"
    )
    assert sent == 47_000
    assert (counters["keys"], counters["over_keys"]) == (MAX_KEYS, 2_000 - (MAX_KEYS - 1))
    assert int(counters["instances"]) <= 64 < int(counters["over_instances"])
    assert int(counters["parts_held"]) <= PARTS_PER_SOURCE < int(counters["partial_limit"])
    # NEEDKEY and REFUSED answers to the attacker's address: its budget each period at most.
    assert answers <= ANSWERS_PER_SOURCE * (periods + 1), answers
    assert peak < PEAK_RSS_KIB, peak

    log = (directory / "licenseserver.log").read_text(encoding="utf-8")
    told: defaultdict[str, list[datetime]] = defaultdict(list)
    for stamp, kind in SUMMARY.findall(log):
        told[kind].append(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f"))
    assert {
        "parts of multi-part updates beyond the parts held",
        f"key registrations beyond the limit of {MAX_KEYS} keys",
        "new instances beyond their key's instance limit",
    } <= told.keys(), sorted(told)
    for kind, stamps in told.items():  # one line per kind per period at most
        gaps = [
            (later - earlier).total_seconds()
            for earlier, later in zip(stamps, stamps[1:], strict=False)
        ]
        assert all(gap >= PERIOD - 0.01 for gap in gaps), (kind, gaps)
    print(f"log: {len(log.splitlines())} lines, {sum(map(len, told.values()))} summary lines")
