"""GOODBYE to a real license server: an instance shutting down stops counting at once, the
server says how many instances it still serves, and forged or garbled GOODBYEs change nothing."""

from __future__ import annotations

import random
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from servers import eventually, mint, reader_keys

from cacheshell.system.keys import LicenseKey
from cacheshell.system.layout import DEFAULT_INSTANCE
from cacheshell.system.licserver.client import LicenseClient
from cacheshell.system.licserver.protocol import (
    VERSION,
    DomainKeys,
    Goodbye,
    encode,
    key_id,
)

# The clients report with a long period: the server never expires them during a test, so every
# drop seen is a GOODBYE's.
LONG_PERIOD = 3600.0


SHARED = mint(10, 300001)
OTHER = mint(5, 300002)


def users(prefix: str, count: int) -> dict[str, tuple[int, int]]:
    return {f"{prefix}{i}@10.0.0.9": (1, 1) for i in range(count)}


@pytest.fixture
def clients() -> Iterator[Callable[..., LicenseClient]]:
    made: list[LicenseClient] = []

    def make(key: LicenseKey, name: str = DEFAULT_INSTANCE) -> LicenseClient:
        made.append(LicenseClient(key, "127.0.0.1", name, period=LONG_PERIOD, timeout=3.0))
        return made[-1]

    yield make
    for client in made:
        client.close()


def test_a_goodbye_drops_the_units_at_once_and_counts_the_others(
    daemons: Callable[[str], int], clients: Callable[..., LicenseClient], tmp_path: Path
) -> None:
    server = ("127.0.0.1", daemons("ls"))
    a, b, c = clients(SHARED, "A"), clients(SHARED, "B"), clients(OTHER, "C")
    assert a.send_update(server, users("a", 3)) is not None
    assert b.send_update(server, {**users("b", 2), "a0@10.0.0.9": (1, 1)}) is not None
    assert c.send_update(server, users("c", 1)) is not None
    watcher = clients(SHARED, "WATCHER")
    assert (watcher.summary(server) or {}).get("current") == 5

    assert a.goodbye(server) == 2  # B on this key and C on the other
    # No period has passed: the key's count dropped with the GOODBYE itself.
    summary = watcher.summary(server)
    assert summary is not None and (summary["current"], summary["instances"]) == (3, 1)
    assert watcher.connection_list(server) == [
        ("a0@10.0.0.9", "1", 1, "127.0.0.1", "B"),
        ("b0@10.0.0.9", "1", 1, "127.0.0.1", "B"),
        ("b1@10.0.0.9", "1", 1, "127.0.0.1", "B"),
    ]
    assert a.goodbye(server) == 2  # asked again (an answer lost): the same count
    assert b.goodbye(server) == 1
    assert c.goodbye(server) == 0
    assert (watcher.summary(server) or {}).get("current") == 0
    log = (tmp_path / "ls" / "licenseserver.log").read_text(encoding="utf-8")
    assert "instance 127.0.0.1/A of key 300001 said goodbye; 2 instances left" in log
    assert "instance 127.0.0.1/C of key 300002 said goodbye; 0 instances left" in log


def test_a_goodbye_to_a_server_that_never_heard_of_the_key_is_answered(
    daemons: Callable[[str], int], clients: Callable[..., LicenseClient]
) -> None:
    server = ("127.0.0.1", daemons("ls"))
    other = clients(OTHER, "B")
    assert other.send_update(server, users("b", 1)) is not None
    assert clients(SHARED, "A").goodbye(server) == 1  # NEEDKEY, registered, answered


def test_no_answer_to_a_goodbye_is_none(clients: Callable[..., LicenseClient]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        speaker = clients(SHARED)
        speaker.timeout = 0.2
        assert speaker.goodbye(silent.getsockname()) is None


def test_a_forged_or_garbled_goodbye_is_dropped(
    daemons: Callable[[str], int], clients: Callable[..., LicenseClient]
) -> None:
    server = ("127.0.0.1", daemons("ls"))
    a, watcher = clients(SHARED, "A"), clients(SHARED, "WATCHER")
    for _ in range(3):
        assert a.send_update(server, users("a", 3)) is not None
    before = watcher.stats(server)
    assert before is not None
    kid, epoch = key_id(SHARED), a.epoch(server)
    rng = random.Random(11)

    def goodbye(seq: int, signed_with: DomainKeys = a.keys) -> bytes:
        return encode(Goodbye(kid, seq, a.instance), signed_with, epoch)

    # Signed with what a reader of the key files could derive: none of it is the domain's.
    datagrams = [goodbye(10**9, keys) for keys in reader_keys(SHARED) + reader_keys(OTHER)]
    for _ in range(40):  # an authentic GOODBYE, one bit flipped
        data = bytearray(goodbye(10**9))
        bit = rng.randrange(len(data) * 8)
        data[bit // 8] ^= 1 << (bit % 8)
        datagrams.append(bytes(data))
    datagrams.append(goodbye(1))  # authentic but numbered before A's last update: a replay
    header = b"CSLS" + bytes([VERSION, Goodbye.kind]) + epoch + kid + (10**9).to_bytes(8, "big")
    datagrams.append(header + b'{"i":[]}' + bytes(32))  # an empty "i", and no valid MAC
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as attacker:
        for data in datagrams:
            attacker.sendto(data, server)

        def dropped() -> int:
            stats = watcher.stats(server) or {}
            return sum(
                int(stats.get(name, 0)) - int(before.get(name, 0))
                for name in ("malformed", "forged", "version", "unknown_key", "replayed")
            )

        eventually(lambda: dropped() >= len(datagrams))
        attacker.settimeout(0.2)
        # Every datagram is checked before anything is looked up: nothing comes back.
        answers = []
        try:
            while True:
                answers.append(attacker.recv(65536))
        except TimeoutError:
            pass
        assert answers == []
    summary = watcher.summary(server)
    assert summary is not None and (summary["current"], summary["instances"]) == (3, 1)
    assert a.goodbye(server) == 0  # the real one still works
