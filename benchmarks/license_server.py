"""License server figures, each against a bare asyncio UDP echo server run on the same machine in
the same run and fed the very same datagrams (run alone: `python benchmarks/license_server.py`).

  updates/s       one-datagram delta updates answered per second over loopback        [>= 0.5x]
  CPU per period  server CPU seconds to take one update period of 10,000 instances x 100 users
                  (a million license IDs): every instance in full (as after a failover), then
                  a period of deltas [full period <= 25% of a 15 s period]
  memory          server RSS holding those 1,000,000 users [<= 1 GB]

Datagrams are encoded before any clock starts, and the sender keeps a fixed window of requests
unanswered, so both servers see the same load and the sender's own cost is the same for both.
Every instance registers the key first (in the server's epoch, with the benchmark home's license
domain secret), as instances do.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cacheshell.system.authkey import current_platform_code
from cacheshell.system.domain_secret import home_secret
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.keys import KeySpec, issue_from_spec
from cacheshell.system.licserver.client import LicenseClient
from cacheshell.system.licserver.protocol import (
    DomainKeys,
    InstanceId,
    KeyRegistration,
    Update,
    UserUse,
    encode,
    key_id,
    new_boot_id,
    new_identity,
    split_update,
)
from cacheshell.system.signing import training_private_key

ECHO = """
import asyncio
class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport): self.transport = transport
    def datagram_received(self, data, addr): self.transport.sendto(data, addr)
async def main():
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        Echo, local_addr=("127.0.0.1", 0))
    print(f"listening on 127.0.0.1:{transport.get_extra_info('sockname')[1]}", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""
PERIOD = 15.0
TURNS = 5
INSTANCES = 10_000
KEY = issue_from_spec(
    KeySpec(units=999_999, multi=True), training_private_key(), current_platform_code()
)
KID = key_id(KEY)
Batches = list[list[bytes]]


class Wire:
    """The domain's keys and one server's epoch: what encodes the datagrams for that server."""

    def __init__(self, secret: bytes, epoch: bytes) -> None:
        self.keys, self.epoch = DomainKeys.from_secret(secret), epoch

    def encode(self, message: KeyRegistration | Update) -> bytes:
        return encode(message, self.keys, self.epoch)


def start(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    if not found:
        process.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    return process, int(found.group(1))


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pump(port: int, batches: Batches, per_batch: int, window: int) -> tuple[int, float]:
    """Send batches keeping `window` of them unanswered; (replies received, seconds)."""
    server = ("127.0.0.1", port)
    expected = len(batches) * per_batch
    received = lost = sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.setblocking(False)
        begin = time.perf_counter()
        while received + lost < expected:
            while sent < len(batches) and sent * per_batch - received - lost < window * per_batch:
                for data in batches[sent]:
                    sock.sendto(data, server)
                sent += 1
            if not select.select([sock], [], [], 1.0)[0]:
                lost = sent * per_batch - received  # a stalled window: what is out is lost
                continue
            while True:
                try:
                    sock.recv(65536)
                except BlockingIOError:
                    break
                received += 1
        return received, time.perf_counter() - begin


def instances(count: int) -> list[InstanceId]:
    return [
        InstanceId(f"10.{n // 250}.{n % 250}.1", f"I{n}", new_boot_id(), new_identity())
        for n in range(count)
    ]


def registrations(wire: Wire, who: list[InstanceId]) -> Batches:
    """Each instance registers the key (sequence number 1: its updates come after)."""
    text = render_key_file(KEY.file)
    return [[wire.encode(KeyRegistration(KID, 1, instance, text))] for instance in who]


def full_reports(wire: Wire, who: list[InstanceId], users: int, seq: int) -> Batches:
    batches = []
    for n, instance in enumerate(who):
        table = tuple(
            UserUse(f"user{j}@10.{n // 250}.{n % 250}.{j % 250}", 1, 1 + j % 3)
            for j in range(users)
        )
        update = Update(
            KID, seq, instance, True, 0, PERIOD, users, sum(use.connections for use in table), table
        )
        batches.append([wire.encode(part) for part in split_update(update)])
    return batches


def deltas(
    wire: Wire, who: list[InstanceId], users: int, first_seq: int, rounds: int, changes: int
) -> Batches:
    """`rounds` one-datagram deltas per instance: round r gives users r*changes.. 4
    connections and puts the previous round's users back to theirs."""
    batches = []
    for r in range(rounds):
        moved = {j % users for j in range(r * changes, (r + 1) * changes)}
        changed = moved | {j % users for j in range(max(r - 1, 0) * changes, r * changes)}
        table = {j: 4 if j in moved else 1 + j % 3 for j in range(users)}
        for n, instance in enumerate(who):
            uses = tuple(
                UserUse(f"user{j}@10.{n // 250}.{n % 250}.{j % 250}", 1, table[j])
                for j in sorted(changed)
            )
            seq = first_seq + r
            update = Update(
                KID, seq, instance, False, seq - 1, PERIOD, users, sum(table.values()), uses
            )
            batches.append([wire.encode(update)])
    return batches


def register(port: int, secret: bytes, who: list[InstanceId]) -> Wire:
    """Have the server serve the key to `who`; what encodes datagrams in its epoch."""
    where = ("127.0.0.1", port)
    with LicenseClient(
        KEY, "10.255.255.1", "REGISTRAR", period=PERIOD, timeout=5.0, secret=secret
    ) as client:
        if client.send_update(where, {}) is None:
            raise RuntimeError("the license server did not answer")
        wire = Wire(secret, client.epoch(where))
    received, _ = pump(port, registrations(wire, who), 1, 32)
    if received != len(who):
        raise RuntimeError(f"{len(who) - received} registrations were not answered")
    return wire


def measure(env: dict[str, str]) -> list[tuple[str, str, str, float, str]]:
    """The figures as rows: (name, value, baseline, ratio, target)."""
    directory = tempfile.mkdtemp(prefix="cacheshell-licserver-bench-")
    try:
        return _measure(env, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)  # the servers' state files


def _measure(env: dict[str, str], directory: str) -> list[tuple[str, str, str, float, str]]:
    secret = home_secret(Path(env["CACHESHELL_HOME"]))
    daemon = [
        sys.executable,
        "-m",
        "cacheshell",
        "license-server",
        "--port",
        "0",
        "--dir",
        directory,
        "--period",
        str(PERIOD),
        "--idle-exit",
        "0",
    ]
    echo = [sys.executable, "-c", ECHO]
    rows = []

    # Updates per second: 200 instances report in full once, then send one-datagram deltas.
    # The two servers run side by side and take turns, and each figure is the median of its
    # turns, so that a busy moment of the machine does not fall on one server only.
    who = instances(200)
    server, server_port = start(daemon, env)
    echo_server, echo_port = start(echo, env)
    rates: dict[str, list[float]] = {"server": [], "echo": []}
    cpu: dict[str, list[float]] = {"server": [], "echo": []}
    try:
        wire = register(server_port, secret, who)
        warm = full_reports(wire, who, 10, 2)
        # One run of deltas cut into turns: each turn goes on from the last update of the one
        # before, so every delta applies (turns made apart would leave the first round's totals
        # wrong, and every update after it would be answered RESYNC, a cheaper path).
        every = deltas(wire, who, 10, 3, 100 * TURNS, 2)
        turns = [
            every[start : start + 100 * len(who)] for start in range(0, len(every), 100 * len(who))
        ]
        for port in (server_port, echo_port):
            pump(port, warm, 1, 16)
        for load in turns:
            for name, process, port in (
                ("server", server, server_port),
                ("echo", echo_server, echo_port),
            ):
                before = cpu_seconds(process.pid)
                received, seconds = pump(port, load, 1, 32)
                rates[name].append(received / seconds)
                cpu[name].append((cpu_seconds(process.pid) - before) / max(received, 1))
    finally:
        stop(server)
        stop(echo_server)
    rate, echo_rate = statistics.median(rates["server"]), statistics.median(rates["echo"])
    rows.append(
        (
            "license updates/s",
            f"{rate:,.0f}",
            f"asyncio echo {echo_rate:,.0f}",
            rate / echo_rate,
            ">= 0.5x",
        )
    )
    used, echo_used = statistics.median(cpu["server"]), statistics.median(cpu["echo"])
    rows.append(
        (
            "server CPU per update (us)",
            f"{used * 1e6:.1f}",
            f"echo per datagram {echo_used * 1e6:.1f}",
            used / echo_used,
            "",
        )
    )

    # One period of INSTANCES instances x 100 users: in full, then as deltas.
    who = instances(INSTANCES)
    cost: dict[str, tuple[float, float, int]] = {}
    fulls: Batches = []
    steady: Batches = []
    for name, command in (("server", daemon), ("echo", echo)):
        process, port = start(command, env)
        try:
            if name == "server":
                wire = register(port, secret, who)
                fulls = full_reports(wire, who, 100, 2)
                steady = deltas(wire, who, 100, 3, 1, 5)
            parts = len(fulls[0])
            before = cpu_seconds(process.pid)
            pump(port, fulls, 1 if name == "server" else parts, 8)
            middle = cpu_seconds(process.pid)
            pump(port, steady, 1, 32)
            after = cpu_seconds(process.pid)
            cost[name] = (middle - before, after - middle, rss_kib(process.pid))
        finally:
            stop(process)
    (full, delta, rss), (echo_full, echo_delta, echo_rss) = cost["server"], cost["echo"]
    rows.append(
        (
            f"{INSTANCES:,}x100 full period CPU (%)",
            f"{full / PERIOD:.1%}",
            f"echo {echo_full / PERIOD:.1%}",
            full / max(echo_full, 0.01),
            f"<= 25% of a {PERIOD:g} s period ({full:.2f} s of CPU)",
        )
    )
    rows.append(
        (
            f"{INSTANCES:,}x100 delta period CPU (%)",
            f"{delta / PERIOD:.1%}",
            f"echo {echo_delta / PERIOD:.1%}",
            delta / max(echo_delta, 0.01),
            f"({delta:.2f} s of CPU in a {PERIOD:g} s period)",
        )
    )
    rows.append(
        (
            f"{INSTANCES:,}x100 server RSS (MiB)",
            f"{rss / 1024:,.0f}",
            f"echo {echo_rss / 1024:,.0f}",
            rss / echo_rss,
            "<= 1,024 MiB",
        )
    )
    return rows


def main() -> int:
    env = dict(os.environ, CACHESHELL_HOME=tempfile.mkdtemp(prefix="cacheshell-bench-"))
    print(f"{'figure':<30} {'cacheshell':>12} {'baseline':>24} {'ratio':>9}  target")
    for name, value, baseline, ratio, target in measure(env):
        print(f"{name:<30} {value:>12} {baseline:>24} {ratio:>8.2f}x  {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
