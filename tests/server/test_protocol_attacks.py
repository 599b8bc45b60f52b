"""Attacks on the license-server protocol by a local user, over real UDP and real daemons on
loopback: a reader of cache.key (or of the training issuer's key) forges datagrams, captured
datagrams are replayed after a restart and to a failover server, a self-minted key reads other
keys' users, and a sniffer between an instance and its server reads the key file.

Every attack is a bounded number of datagrams; the figures asserted are exact.
"""

from __future__ import annotations

import re
import select
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import free_udp_port, stop_processes
from servers import PERIOD, eventually, mint, reader_keys

from cacheshell.system.authkey import current_platform_code
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.keys import KeySpec, LicenseKey, issue_from_spec
from cacheshell.system.licserver.client import LicenseClient
from cacheshell.system.licserver.protocol import (
    Answer,
    Goodbye,
    KeyRegistration,
    Kind,
    Query,
    Update,
    UserUse,
    decode,
    encode,
    key_id,
)
from cacheshell.system.signing import training_private_key

KEY = mint(5, 410001)
SECRET_CUSTOMER = "Confidential Customer Of Record"
SNIFFED = issue_from_spec(
    KeySpec(units=5, multi=True, order_number=410002, customer=SECRET_CUSTOMER),
    training_private_key(),
    current_platform_code(),
)
Server = tuple[str, int]


class Relay:
    """A UDP socket between one client and a server that keeps every datagram both ways, and
    may send forged datagrams to the client just before each real one."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.address: Server = self.sock.getsockname()
        self.upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.to_server: list[bytes] = []
        self.to_client: list[bytes] = []
        self.forge: Callable[[bytes], list[bytes]] = lambda _data: []
        self._client: Server | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.sock, self.upstream], [], [], 0.05)
            for sock in ready:
                data, source = sock.recvfrom(65536)
                if sock is self.sock:
                    self._client = source
                    self.to_server.append(data)
                    self.upstream.sendto(data, self.server)
                elif self._client is not None:
                    self.to_client.append(data)
                    for forged in self.forge(data):
                        self.sock.sendto(forged, self._client)
                    self.sock.sendto(data, self._client)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()
        self.upstream.close()


@pytest.fixture
def relays() -> Iterator[Callable[[Server], Relay]]:
    made: list[Relay] = []

    def make(server: Server) -> Relay:
        made.append(Relay(server))
        return made[-1]

    try:
        yield make
    finally:
        for relay in made:
            relay.close()


@pytest.fixture
def clients() -> Iterator[Callable[..., LicenseClient]]:
    made: list[LicenseClient] = []

    def make(key: LicenseKey, name: str) -> LicenseClient:
        made.append(LicenseClient(key, "127.0.0.1", name, period=3600.0, timeout=3.0))
        return made[-1]

    try:
        yield make
    finally:
        for client in made:
            client.close()


@pytest.fixture
def daemon_at(tmp_path: Path) -> Iterator[Callable[[str, int], subprocess.Popen[str]]]:
    """Start `cacheshell license-server` in DIR on a given loopback port (a restart reuses
    one); every one is stopped at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(name: str, port: int) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "cacheshell", "license-server", "--port", str(port)]
        command += ["--dir", str(tmp_path / name), "--period", str(PERIOD), "--idle-exit", "60"]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        started.append(process)
        assert process.stdout is not None
        line = process.stdout.readline() if select.select([process.stdout], [], [], 60)[0] else ""
        assert re.search(rf"listening on 127\.0\.0\.1:{port}\b", line), line
        return process

    try:
        yield start
    finally:
        stop_processes(started)


def users(prefix: str, count: int) -> dict[str, tuple[int, int]]:
    return {f"{prefix}{n}@10.0.0.9": (1, 1) for n in range(count)}


def counter(client: LicenseClient, server: Server, name: str) -> int:
    stats = client.stats(server)
    assert stats is not None
    return int(stats.get(name, 0))


def send_all(datagrams: list[bytes], server: Server) -> list[bytes]:
    """Send datagrams from a socket of their own; what came back within a moment."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for data in datagrams:
            sock.sendto(data, server)
        answers = []
        while select.select([sock], [], [], 0.5)[0]:
            answers.append(sock.recv(65536))
    return answers


def test_a_reader_of_the_key_forges_nothing_the_server_accepts(
    daemon_at: Callable[[str, int], subprocess.Popen[str]],
    clients: Callable[..., LicenseClient],
) -> None:
    server: Server = ("127.0.0.1", free_udp_port())
    daemon_at("ls", server[1])
    a, b = clients(KEY, "A"), clients(KEY, "B")
    assert a.send_update(server, users("a", 3)) is not None
    answer = b.send_update(server, users("b", 2))
    assert answer is not None and (answer.status, answer.combined) == ("ACK", 5)
    before = counter(a, server, "forged")
    epoch, kid = a.epoch(server), key_id(KEY)  # the epoch is in every header: a sniffer has it
    grab = tuple(UserUse(f"intruder{n}", 1, 1) for n in range(40))
    minted = mint(5, 410009)
    forged: list[bytes] = []
    for keys in reader_keys(KEY):  # 4 guesses x 4 datagrams = 16
        forged += [
            # 40 users under B's name: this made the server NAK every real instance
            encode(Update(kid, 10**9, b.instance, True, 0, 3600.0, 40, 40, grab), keys, epoch),
            # A's goodbye: this dropped the real instance from the server
            encode(Goodbye(kid, 10**9, a.instance), keys, epoch),
            # a key of the attacker's own, registered as A
            encode(
                KeyRegistration(key_id(minted), 10**9, a.instance, render_key_file(minted.file)),
                keys,
                epoch,
            ),
            encode(Query(kid, 10**9, a.instance, "allconnections"), keys, epoch),
        ]
    assert send_all(forged, server) == []  # nothing comes back to a forger
    assert eventually(lambda: counter(a, server, "forged") - before == 16)
    again = a.send_update(server, users("a", 3))
    assert again is not None and (again.status, again.combined, again.instance_count) == (
        "ACK",
        5,
        2,
    )
    assert sorted(row[0] for row in a.connection_list(server) or []) == sorted(
        [*users("a", 3), *users("b", 2)]
    )


def test_a_forged_answer_to_a_client_is_not_taken(
    daemon_at: Callable[[str, int], subprocess.Popen[str]],
    clients: Callable[..., LicenseClient],
    relays: Callable[[Server], Relay],
) -> None:
    server: Server = ("127.0.0.1", free_udp_port())
    daemon_at("ls", server[1])
    relay = relays(server)
    a = clients(KEY, "A")

    def nak(data: bytes) -> list[bytes]:
        """Before each real ANSWER, the same answer turned NAK and signed as a reader could."""
        epoch, msg = decode(data, a.keys)
        if not isinstance(msg, Answer):
            return []
        lie = replace(msg, status="NAK", combined=99)
        return [encode(lie, keys, epoch) for keys in reader_keys(KEY)]

    relay.forge = nak
    for _ in range(3):
        answer = a.send_update(relay.address, users("a", 3))
        assert answer is not None and (answer.status, answer.combined) == ("ACK", 3)
    answers = sum(1 for data in relay.to_client if data[5] == Kind.ANSWER)
    assert answers == 4  # the registration's and three updates': 16 forged ones refused


def test_captured_datagrams_replayed_after_a_restart_or_to_a_failover_bring_back_nobody(
    daemon_at: Callable[[str, int], subprocess.Popen[str]],
    clients: Callable[..., LicenseClient],
    relays: Callable[[Server], Relay],
) -> None:
    first: Server = ("127.0.0.1", free_udp_port())
    failover: Server = ("127.0.0.1", free_udp_port())
    process = daemon_at("ls1", first[1])
    daemon_at("ls2", failover[1])
    relay = relays(first)
    victim = clients(KEY, "GONE")
    answer = victim.send_update(relay.address, users("phantom", 40))
    assert answer is not None and (answer.status, answer.combined) == ("NAK", 40)
    assert victim.goodbye(relay.address) == 0
    captured = list(relay.to_server)
    kinds = sorted(Kind(data[5]).name for data in captured)
    # A first UPDATE of no epoch, sent again in the server's, the KEY it asked for, the full
    # UPDATE, and the GOODBYE.
    assert kinds == ["GOODBYE", "KEY", "UPDATE", "UPDATE", "UPDATE"]

    observer = clients(KEY, "OBSERVER")
    # The same epoch: the sequence numbers refuse every one of them.
    assert observer.send_update(first, {}) is not None
    replayed = counter(observer, first, "replayed")
    send_all(captured, first)
    # The UPDATE of no epoch is stale; the other four are numbered before the GOODBYE's end.
    assert eventually(lambda: counter(observer, first, "replayed") - replayed == 4)
    assert observer.connection_list(first) == []

    stop_processes([process])
    daemon_at("ls1", first[1])  # the same server started again: a new epoch
    for server in (first, failover):
        assert observer.send_update(server, {}) is not None
        stale = counter(observer, server, "stale")
        first = counter(observer, server, "first_contact")
        answers = send_all(captured, server)
        assert [Kind(data[5]).name for data in answers] == ["EPOCH"] * 5
        # The one of no epoch is counted as a first contact, the four others as stale.
        assert eventually(lambda s=server, n=stale: counter(observer, s, "stale") - n == 4)
        assert counter(observer, server, "first_contact") - first == 1
        assert observer.connection_list(server) == []
        summary = observer.summary(server)
        assert summary is not None and (summary["current"], summary["instances"]) == (0, 1)


def test_a_self_minted_key_sees_no_other_key_s_users(
    daemon_at: Callable[[str, int], subprocess.Popen[str]],
    clients: Callable[..., LicenseClient],
) -> None:
    server: Server = ("127.0.0.1", free_udp_port())
    daemon_at("ls", server[1])
    customer = clients(KEY, "CUSTOMER")
    assert customer.send_update(server, users("secret", 4)) is not None
    # Caché's AllKeyConnectionList is "license server, all keys" (reference/license-api.md,
    # %SYSTEM.License queries; query type 12 of ExecuteQuery2LS). Here "all" means every key
    # the asking instance registered: a key anyone can mint is no licence to read the others.
    snoop_key = mint(100, 410099)  # a valid signature: the training issuer is public
    snoop = clients(snoop_key, "SNOOP")
    assert snoop.send_update(server, {"me@10.0.0.7": (1, 1)}) is not None
    assert snoop.connection_list(server, all_keys=True) == [
        ("me@10.0.0.7", "1", 1, "127.0.0.1", "SNOOP", "410099")
    ]
    assert snoop.active_server_list(server) == [("127.0.0.1", "SNOOP", "410099")]
    listed = snoop.key_list(server)
    assert listed is not None and [row for row in listed if "410099" in row] == listed
    assert len(listed) == 1
    assert len(customer.connection_list(server, all_keys=True) or []) == 4
    # Under the customer's key id, which the snoop never registered: NEEDKEY and nothing else.
    query = Query(key_id(KEY), 10**6, snoop.instance, "allconnections")
    answers = send_all([encode(query, snoop.keys, snoop.epoch(server))], server)
    assert [Kind(data[5]).name for data in answers] == ["NEEDKEY"]


def test_nothing_on_the_wire_shows_the_key_file(
    daemon_at: Callable[[str, int], subprocess.Popen[str]],
    clients: Callable[..., LicenseClient],
    relays: Callable[[Server], Relay],
) -> None:
    server: Server = ("127.0.0.1", free_udp_port())
    daemon_at("ls", server[1])
    relay = relays(server)
    a = clients(SNIFFED, "A")
    where = relay.address
    assert a.send_update(where, users("a", 3)) is not None
    assert a.send_update(where, users("a", 4)) is not None
    assert a.summary(where) is not None
    for all_keys in (False, True):
        assert a.connection_list(where, all_keys=all_keys) is not None
    assert a.key_list(where) is not None and a.active_server_list(where) is not None
    assert a.goodbye(where) == 0
    wire = relay.to_server + relay.to_client
    assert (len(relay.to_server), len(relay.to_client)) == (11, 11)
    secrets = {
        "AuthorizationKey": SNIFFED.file.authorization_key.encode(),
        "CustomerName": SECRET_CUSTOMER.encode(),
        "key file": render_key_file(SNIFFED.file).encode(),
    }
    assert [name for name, text in secrets.items() if any(text in data for data in wire)] == []
