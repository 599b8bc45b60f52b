"""A real license server daemon on an ephemeral loopback port, driven by simulated instances
(LicenseClient senders): sharing, ACK/NAK, keys kept apart, forged and garbage datagrams,
report files, expiry, idle exit, detached start, and failover between two servers."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import (
    DAEMON_STDERR,
    daemon_stderr,
    run_cli,
    start_license_server,
    stop_processes,
)
from servers import eventually, reader_keys

from cacheshell.system.authkey import current_platform_code
from cacheshell.system.keys import KeySpec, LicenseKey, issue_from_spec
from cacheshell.system.licserver.client import (
    ActiveServer,
    DumpWritten,
    LicenseClient,
    is_answering,
)
from cacheshell.system.licserver.daemon import start_detached
from cacheshell.system.licserver.protocol import (
    VERSION,
    DomainKeys,
    InstanceId,
    Update,
    UserUse,
    encode,
    key_id,
)
from cacheshell.system.signing import training_private_key

PERIOD = 0.2


def mint(units: int, order: int, multi: bool = True) -> LicenseKey:
    return issue_from_spec(
        KeySpec(units=units, multi=multi, order_number=order),
        training_private_key(),
        current_platform_code(),
    )


KEY5 = mint(5, 100001)
KEY3 = mint(3, 100002)
SINGLE = mint(5, 100003, multi=False)


@dataclass
class Daemon:
    process: subprocess.Popen[str]
    port: int
    directory: Path

    @property
    def server(self) -> tuple[str, int]:
        return "127.0.0.1", self.port


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    """Start `cacheshell license-server` processes; every one is stopped and waited for."""
    started: list[subprocess.Popen[str]] = []

    def start(name: str = "server", period: float = PERIOD, idle_exit: float = 0) -> Daemon:
        directory = tmp_path / name
        process, port = start_license_server(directory, period, idle_exit)
        started.append(process)
        return Daemon(process, port, directory)

    yield start
    stop_processes(started)
    # A daemon says nothing on stderr: a traceback there is a fault even if it kept serving.
    for directory in tmp_path.iterdir():
        if (directory / DAEMON_STDERR).exists():
            assert daemon_stderr(directory) == "", directory.name


@pytest.fixture
def daemon(start_daemon: Callable[..., Daemon]) -> Daemon:
    return start_daemon()


@pytest.fixture
def clients() -> Iterator[Callable[..., LicenseClient]]:
    made: list[LicenseClient] = []

    def make(
        key: LicenseKey, name: str, host: str = "127.0.0.1", timeout: float = 3.0
    ) -> LicenseClient:
        made.append(LicenseClient(key, host, name, period=PERIOD, timeout=timeout))
        return made[-1]

    yield make
    for client in made:
        client.close()


def users(prefix: str, count: int) -> dict[str, tuple[int, int]]:
    return {f"{prefix}{i}@10.0.0.9": (1, 1) for i in range(count)}


def verdict(
    client: LicenseClient, daemon: Daemon, table: dict[str, tuple[int, int]]
) -> tuple[str, int]:
    answer = client.send_update(daemon.server, table)
    assert answer is not None, "no answer from the license server"
    return answer.status, answer.combined


def test_two_instances_sharing_a_five_unit_key(daemon: Daemon, clients) -> None:
    a, b = clients(KEY5, "A"), clients(KEY5, "B")
    assert verdict(a, daemon, users("a", 3)) == ("ACK", 3)
    assert verdict(b, daemon, users("b", 2)) == ("ACK", 5)
    # B admitted a sixth distinct user locally: the server NAKs every instance of the key.
    assert verdict(b, daemon, users("b", 3)) == ("NAK", 6)
    assert verdict(a, daemon, users("a", 3)) == ("NAK", 6)
    # A user leaves B: the next updates are ACKed again.
    assert verdict(b, daemon, users("b", 2)) == ("ACK", 5)
    assert verdict(a, daemon, users("a", 3)) == ("ACK", 5)
    answer = a.send_update(daemon.server, users("a", 3))
    assert answer is not None
    assert (answer.instance_count, answer.instances) == (
        2,
        (("127.0.0.1", "A"), ("127.0.0.1", "B")),
    )


def test_two_keys_on_one_server_stay_apart(daemon: Daemon, clients) -> None:
    five, three = clients(KEY5, "FIVE"), clients(KEY3, "THREE")
    assert verdict(five, daemon, users("u", 5)) == ("ACK", 5)
    assert verdict(three, daemon, users("u", 3)) == ("ACK", 3)
    assert verdict(three, daemon, users("u", 4)) == ("NAK", 4)
    assert verdict(five, daemon, users("u", 5)) == ("ACK", 5)
    assert five.summary(daemon.server) == {
        "current": 5,
        "maximum": 5,
        "authorized": 5,
        "enforced": 5,
        "connections": 5,
        "max_connections": 5,
        "instances": 1,
    }
    # AllKeyConnectionList shows each asker the keys it registered, not every key served.
    assert [row[5] for row in five.connection_list(daemon.server, all_keys=True) or []] == [
        "100001"
    ] * 5
    assert [row[5] for row in three.connection_list(daemon.server, all_keys=True) or []] == [
        "100002"
    ] * 4


def test_a_single_server_key_is_refused(daemon: Daemon, clients) -> None:
    single = clients(SINGLE, "SOLO")
    answer = single.send_update(daemon.server, users("u", 1))
    assert answer is not None and answer.status == "REFUSED"
    assert answer.reason == "a Single-server key is not shared: only Multiserver keys are"


def test_forged_and_garbage_datagrams_change_nothing(daemon: Daemon, clients) -> None:
    a, b = clients(KEY5, "A"), clients(KEY5, "B")
    assert verdict(a, daemon, users("a", 3)) == ("ACK", 3)
    assert verdict(b, daemon, users("b", 2)) == ("ACK", 5)
    summary, rows = a.summary(daemon.server), a.connection_list(daemon.server)
    before = a.stats(daemon.server)
    assert before is not None
    rng = random.Random(2024)
    kid, epoch, guesses = key_id(KEY5), a.epoch(daemon.server), reader_keys(KEY5)

    def flood(who: InstanceId, seq: int, keys: DomainKeys = a.keys) -> bytes:
        grab = tuple(UserUse(f"intruder{i}", 1, 1) for i in range(40))
        return encode(Update(kid, seq, who, True, 0, PERIOD, 40, 40, grab), keys, epoch)

    datagrams: list[bytes] = []
    for n in range(1000):
        sort = n % 5
        if sort == 0:  # noise
            datagrams.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1400))))
        elif sort == 1:  # noise that gets past the magic and version
            datagrams.append(b"CSLS" + bytes([VERSION]) + rng.randbytes(rng.randrange(100, 600)))
        elif sort == 2:  # an authentic datagram with one bit flipped
            data = bytearray(flood(a.instance, 10**9 + n))
            bit = rng.randrange(len(data) * 8)
            data[bit // 8] ^= 1 << (bit % 8)
            datagrams.append(bytes(data))
        elif sort == 3:  # the right key id and epoch, signed with what the key file gives
            datagrams.append(flood(b.instance, 10**9 + n, guesses[n % 4]))
        else:  # a replay of a sequence number already used
            datagrams.append(flood(a.instance, 1 + n % 3))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as attacker:
        for data in datagrams:
            attacker.sendto(data, daemon.server)

    def dropped() -> int:
        stats = a.stats(daemon.server) or {}
        return sum(
            int(stats.get(name, 0)) - int(before.get(name, 0))
            for name in ("malformed", "forged", "version", "unknown_key", "replayed")
        )

    assert eventually(lambda: dropped() >= 1000)
    assert is_answering(*daemon.server, timeout=3.0)
    assert a.summary(daemon.server) == summary
    assert a.connection_list(daemon.server) == rows
    assert verdict(a, daemon, users("a", 3)) == ("ACK", 5)


def test_an_instance_that_stops_reporting_expires(daemon: Daemon, clients) -> None:
    a, watcher = clients(KEY5, "A"), clients(KEY5, "W")
    assert verdict(a, daemon, users("a", 4)) == ("ACK", 4)
    eventually(lambda: (watcher.summary(daemon.server) or {}).get("instances") == 0)
    assert watcher.summary(daemon.server)["maximum"] == 4  # type: ignore[index]
    log = (daemon.directory / "licenseserver.log").read_text()
    assert "instance 127.0.0.1/A of key 100001 expired: no update for 3 periods" in log


def test_the_dump_files(daemon: Daemon, clients) -> None:
    a, b, c = clients(KEY5, "A"), clients(KEY5, "B"), clients(KEY3, "C", "127.0.0.2")
    a.send_update(daemon.server, {"alice@10.0.0.9": (1, 2), "bob@10.0.0.9": (1, 1)})
    b.send_update(daemon.server, {"alice@10.0.0.9": (1, 1), "carol@10.0.0.9": (1, 1)})
    c.send_update(daemon.server, {"dave@10.0.0.7": (1, 3)})
    written = {
        report: a.dump(daemon.server, report)
        for report in ("dumpserver", "dumpservers", "dumpkey", "dumpkeys")
    }
    directory = str(daemon.directory.resolve())
    assert written == {
        report: DumpWritten(socket.gethostname(), directory, f"{report}.txt") for report in written
    }

    def body(name: str) -> str:
        text = (daemon.directory / name).read_text()
        heading, _, rest = text.partition("\n\n")
        assert re.fullmatch(
            r".* requested by 127\.0\.0\.1/A\nLicense server 127\.0\.0\.1:\d+, "
            r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d",
            heading,
        )
        return rest

    assert body("dumpserver.txt") == (
        "Server 127.0.0.1 instance A (OrderNumber 100001)\n"
        "Connections  License Units  Client\n"
        "          2              1  alice@10.0.0.9\n"
        "          1              1  bob@10.0.0.9\n"
        "Total: 3 connections, 2 license units, 0 shared with the same client on other "
        "instances\n"
    )
    # DumpServers and DumpKeys show the asker the keys it registered: C's key is not A's.
    assert body("dumpservers.txt").endswith(
        "Server 127.0.0.1 instance B (OrderNumber 100001)\n"
        "Connections  License Units  Client\n"
        "          1            shr  alice@10.0.0.9\n"
        "          1              1  carol@10.0.0.9\n"
        "Total: 2 connections, 1 license units, 1 shared with the same client on other "
        "instances\n\n"
        "Grand total: 2 servers, 5 connections, 3 license units\n"
    )
    key_block = (
        "Key:\n"
        f"     LicenseCapacity =   {KEY5.file.license_capacity}\n"
        "     CustomerName =      cacheshell training\n"
        "     OrderNumber =       100001\n"
        "     ExpirationDate =    12/31/2099\n"
        f"     AuthorizationKey =  {KEY5.file.authorization_key[:46]} (signature withheld)\n"
        "     MachineID =\n"
        "Servers using this key        =       2\n"
        "License units authorized      =       5\n"
        "Current license units in use  =       3\n"
        "Maximum license units in use  =       3\n"
        "\n"
        "Client            LU  Connections  Server     Instance\n"
        "alice@10.0.0.9     1            2  127.0.0.1  A\n"
        "alice@10.0.0.9   shr            1  127.0.0.1  B\n"
        "bob@10.0.0.9       1            1  127.0.0.1  A\n"
        "carol@10.0.0.9     1            1  127.0.0.1  B\n"
    )
    assert body("dumpkey.txt") == key_block
    assert body("dumpkeys.txt") == key_block


def test_reports_longer_than_a_datagram_come_back_whole(daemon: Daemon, clients) -> None:
    big = mint(1000, 100009)
    fleet = [clients(big, f"I{n}") for n in range(4)]
    for n, instance in enumerate(fleet):
        table = {f"user{n}-{i}-{'x' * 30}@10.0.{n}.{i}": (1, 2) for i in range(100)}
        assert verdict(instance, daemon, table) == ("ACK", 100 * (n + 1))
    rows = fleet[0].connection_list(daemon.server)
    assert rows is not None and len(rows) == 400
    assert sum(int(row[1]) for row in rows) == 400


def test_the_server_stops_after_its_idle_time(start_daemon, clients) -> None:
    daemon = start_daemon(idle_exit=1.0)
    a = clients(KEY5, "A")
    end = time.monotonic() + 2.0
    while time.monotonic() < end:  # an instance reporting each period keeps it running
        assert verdict(a, daemon, users("a", 1)) == ("ACK", 1)
        time.sleep(PERIOD)
    assert daemon.process.poll() is None
    assert daemon.process.wait(timeout=15) == 0
    log = (daemon.directory / "licenseserver.log").read_text()
    assert "no instance for 1.0s: stopping" in log


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def test_start_detached_is_answering_and_stop(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert not is_answering("127.0.0.1", port, timeout=0.2)
    pid = start_detached("127.0.0.1", port, tmp_path / "detached", period=PERIOD, idle_exit=0)
    try:
        eventually(lambda: is_answering("127.0.0.1", port, timeout=0.2), timeout=30)
        assert os.getsid(pid) == pid  # a session of its own: the instance's signals miss it
        os.kill(pid, signal.SIGTERM)
        eventually(lambda: _gone(pid))
        assert not is_answering("127.0.0.1", port, timeout=0.2)
    finally:
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)
            eventually(lambda: _gone(pid))
    assert "stopped; counters" in (tmp_path / "detached" / "licenseserver.log").read_text()


def test_instances_fail_over_to_the_next_server_and_report_in_full(start_daemon, clients) -> None:
    first, second = start_daemon("first"), start_daemon("second")
    servers = [first.server, second.server]
    a = clients(KEY5, "A", timeout=PERIOD)
    table = users("a", 3)
    choice = ActiveServer(servers, PERIOD, lambda s: is_answering(*s, timeout=0.05))
    assert choice.select() == (0, True)
    assert a.send_update(servers[0], table, full=True) is not None
    choice.answered()
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    rounds = 0
    while choice.index != 1 and rounds < 20:  # one round per update period, as a monitor
        rounds += 1
        index, changed = choice.select()
        if index is not None and a.send_update(servers[index], table, full=changed):
            choice.answered()
        time.sleep(PERIOD)
    # Each round lasts about two periods (the send to the dead server times out after one).
    assert choice.index == 1 and rounds <= 3, rounds
    assert sorted(row[0] for row in a.connection_list(second.server)) == sorted(table)


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_a_port_that_is_not_one_is_refused(port: str, tmp_path: Path) -> None:
    done = run_cli("license-server", "--port", port, "--dir", str(tmp_path))
    assert (done.stdout, done.returncode) == ("", 2)
    assert done.stderr == f"cacheshell license-server: --port {port} is not a UDP port\n"
