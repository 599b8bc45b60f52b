"""Several hosts (issue 4, item 9): a license server and two instances in three network
namespaces of this machine, joined by a bridge in the server's namespace and veth pairs, with
private addresses that exist only inside them. The instances reach the server over the network;
the distributed total counts both, and a 6th distinct user tips the key into a NAK, after which
new users are refused on both hosts until a release brings the ACK back.

Needs root and iproute2 (`ip netns`); the module is skipped otherwise. Every namespace (with its
links) and every process the test starts is removed at the end, even on failure."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from conftest import stop_instances
from servers import copy_secret, without_default

from cacheshell.system.authkey import current_platform_code
from cacheshell.system.cpf import Cpf
from cacheshell.system.instance import CPF_FILE, Instance
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.keys import KeySpec, issue_from_spec
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.signing import training_private_key

IP = shutil.which("ip") or "/usr/sbin/ip"
TAG = f"csh{os.getpid()}"
NS1, NS2, NS3 = (f"{TAG}{suffix}" for suffix in "abc")
SUBNET = f"10.200.{os.getpid() % 250 + 1}"  # exists only inside the namespaces below
SERVER = f"{SUBNET}.1"
PORT = 4001
PERIOD = 0.4
T = TypeVar("T")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([IP, *args], capture_output=True, text=True, timeout=20, check=check)


def _netns_works() -> str:
    """Why network namespaces cannot be used here ("" when they can)."""
    if not os.path.exists(IP):
        return "iproute2 (ip) is not installed"
    probe = f"{TAG}probe"
    try:
        made = _ip("netns", "add", probe, check=False)
    except OSError as exc:
        return f"ip netns add failed: {exc}"
    if made.returncode != 0:
        return f"ip netns add failed (root is needed): {made.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return ""


_REASON = _netns_works()
if _REASON:
    pytest.skip(_REASON, allow_module_level=True)

KEY = issue_from_spec(
    KeySpec(units=5, multi=True, order_number=400001),
    training_private_key(),
    current_platform_code(),
)
KEY_TEXT = render_key_file(KEY.file)


def eventually(probe: Callable[[], T], timeout: float = 15.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r} after {timeout} s")
        time.sleep(0.05)


@pytest.fixture
def network() -> Iterator[None]:
    """ns1 holds a bridge with the server's address; ns2 and ns3 each hang on it by a veth pair.
    Every link is made inside the namespaces, so deleting them removes the links too."""
    made: list[str] = []
    try:
        for ns in (NS1, NS2, NS3):
            _ip("netns", "add", ns)
            made.append(ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", NS1, "link", "add", "br0", "type", "bridge")
        _ip("-n", NS1, "addr", "add", f"{SERVER}/24", "dev", "br0")
        _ip("-n", NS1, "link", "set", "br0", "up")
        for host, ns in ((2, NS2), (3, NS3)):
            _ip(
                "-n",
                NS1,
                "link",
                "add",
                f"v{host}",
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                ns,
            )
            _ip("-n", NS1, "link", "set", f"v{host}", "master", "br0", "up")
            _ip("-n", ns, "addr", "add", f"{SUBNET}.{host}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
        yield
    finally:
        for ns in made:
            _ip("netns", "del", ns, check=False)


@pytest.fixture
def spawn(network: None) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Run a command in a namespace; every process is ended (SIGTERM, then SIGKILL), and every
    instance started in a home used here stopped, before the namespaces go."""
    started: list[subprocess.Popen[str]] = []
    homes: set[Path] = set()

    def run(ns: str, *args: str, home: Path, stdin: bool = False) -> subprocess.Popen[str]:
        homes.add(home)
        env = {**os.environ, "CACHESHELL_HOME": str(home), "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [IP, "netns", "exec", ns, sys.executable, *args],
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        started.append(process)
        return process

    try:
        yield run
    finally:
        for process in started:
            if process.poll() is None:
                process.terminate()
        for process in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()
        for home in homes:
            stop_instances(home)


_PENDING: dict[int, bytes] = {}  # what a process printed past the line read_until returned


def read_until(process: subprocess.Popen[str], pattern: str, timeout: float = 30) -> str:
    """What the process prints up to and including the first line matching pattern (read from
    the pipe's descriptor: a buffered readline would hide lines from select)."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    data = _PENDING.pop(process.pid, b"")
    deadline = time.monotonic() + timeout
    while True:
        lines = data.split(b"\n")
        for n, line in enumerate(lines[:-1]):
            if re.search(pattern, line.decode(errors="replace")):
                _PENDING[process.pid] = b"\n".join(lines[n + 1 :])
                return b"\n".join(lines[: n + 1]).decode(errors="replace") + "\n"
        left = deadline - time.monotonic()
        ready = select.select([fd], [], [], left)[0] if left > 0 else []
        chunk = os.read(fd, 65536) if ready else b""
        if not chunk:
            raise AssertionError(f"no {pattern!r} in {data.decode(errors='replace')!r}")
        data += chunk


class Host:
    """An instance on a "host" (namespace): its terminal session runs there, reading stdin."""

    def __init__(
        self, spawn: Callable[..., subprocess.Popen[str]], ns: str, home: Path, name: str
    ) -> None:
        self.layout = InstanceLayout(home, name)
        Instance.create(self.layout, key_text=KEY_TEXT).store.close()
        cpf = Cpf(self.layout.mgr / CPF_FILE)
        cpf.set("config", "LicenseUpdatePeriod", str(PERIOD))
        cpf.save()
        without_default(cpf)  # the hosts share the server on a third host, LS1
        # Started on its host: the instance's service (its license monitor) runs there.
        start = spawn(ns, "-m", "cacheshell", "control", "start", name, home=home)
        output, _ = start.communicate(timeout=60)
        assert start.returncode == 0, output
        added = spawn(
            ns,
            "-m",
            "cacheshell",
            "servers",
            "--instance",
            name,
            "add",
            "LS1",
            SERVER,
            str(PORT),
            home=home,
        )
        output, _ = added.communicate(timeout=60)
        assert added.returncode == 0, output
        self.session = spawn(ns, "-m", "cacheshell", name, "-U", "USER", home=home, stdin=True)

    def run(self, code: str) -> str:
        assert self.session.stdin is not None
        self.session.stdin.write(f'{code}\nWrite !,"<<END>>",!\n')
        self.session.stdin.flush()
        return read_until(self.session, "^<<END>>$").rsplit("<<END>>", 1)[0].strip()

    def connect(self, var: str, user: str) -> str:
        return self.run(
            f'Set {var}=##class(Training.World).ConnectUser("{user}","10.0.0.1") '
            f"Write {var}.LicenseId"
        )

    def state(self, name: str) -> object:
        instance = Instance(self.layout)
        try:
            return instance.store.get(name)
        finally:
            instance.store.close()


def server_view(
    spawn: Callable[..., subprocess.Popen[str]], home: Path, key_file: Path
) -> dict[str, object]:
    """The server's own summary and connection list for the key, asked from ns1."""
    script = (
        "import json,sys\n"
        "from cacheshell.system.keys import load_key\n"
        "from cacheshell.system.licserver.client import LicenseClient\n"
        "where=(sys.argv[2],int(sys.argv[3]))\n"
        "with LicenseClient(load_key(sys.argv[1]),sys.argv[2],'PROBE',timeout=2) as c:\n"
        "    print(json.dumps({'summary':c.summary(where),"
        "'rows':[list(r) for r in c.connection_list(where) or []]}))\n"
    )
    process = spawn(NS1, "-c", script, str(key_file), SERVER, str(PORT), home=home)
    assert process.stdout is not None
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    return json.loads(output.strip().splitlines()[-1])


def test_two_hosts_share_a_key_through_a_server_on_a_third(
    spawn: Callable[..., subprocess.Popen[str]], tmp_path: Path, cacheshell_home: Path
) -> None:
    server = spawn(
        NS1,
        "-m",
        "cacheshell",
        "license-server",
        "--address",
        SERVER,
        "--port",
        str(PORT),
        "--dir",
        str(tmp_path / "ls1"),
        "--period",
        str(PERIOD),
        "--idle-exit",
        "60",
        home=cacheshell_home,
    )
    read_until(server, rf"listening on {re.escape(SERVER)}:{PORT}")
    for host in ("host2", "host3"):  # as the README says: copy the server host's secret
        copy_secret(cacheshell_home, tmp_path / host)
    two = Host(spawn, NS2, tmp_path / "host2", "HOSTB")
    three = Host(spawn, NS3, tmp_path / "host3", "HOSTC")
    label = f"LS1 {SERVER} {PORT}"
    eventually(
        lambda: two.state("active_server") == label and three.state("active_server") == label
    )

    # 5 distinct license IDs: the two terminals (one shared ID) and u1..u4, on two hosts.
    assert [two.connect("a", "u1"), two.connect("b", "u2")] == ["u1@10.0.0.1", "u2@10.0.0.1"]
    assert [three.connect("c", "u3"), three.connect("d", "u4")] == ["u3@10.0.0.1", "u4@10.0.0.1"]
    eventually(lambda: two.state("dist_current") == 5 and three.state("dist_current") == 5)
    summary = two.run("Do $System.License.ShowSummary()")
    assert "Current License Units Used =       5" in summary
    assert "License Units   Authorized =       5" in summary
    key_file = tmp_path / "key.txt"
    key_file.write_text(KEY_TEXT, encoding="utf-8")
    view = server_view(spawn, cacheshell_home, key_file)
    assert view["summary"]["current"] == 5 and view["summary"]["instances"] == 2
    assert {row[-1] for row in view["rows"]} == {"HOSTB", "HOSTC"}
    assert not two.state("nak") and not three.state("nak")

    # A 6th distinct user: HOSTC admits it locally (4 of its 5), the next update NAKs it.
    assert three.connect("e", "u5") == "u5@10.0.0.1"
    eventually(lambda: two.state("nak") == 1 and three.state("nak") == 1)
    assert "Current License Units Used =       6" in three.run("Do $System.License.ShowSummary()")
    for host in (two, three):
        assert "<LICENSE LIMIT EXCEEDED>" in host.connect("x", "u6")
    assert two.connect("a2", "u1") == "u1@10.0.0.1"  # an existing ID still adds a connection

    # A release on one host, the next ACK, and a new user gets in on the other.
    assert three.run("Write e.End()") == "1"
    eventually(lambda: two.state("nak") == 0 and three.state("nak") == 0)
    assert two.connect("x", "u6") == "u6@10.0.0.1"
