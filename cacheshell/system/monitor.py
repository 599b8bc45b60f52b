"""The instance's license monitor: it reports the instance's use of a Multiserver key to the
active license server and brings back ACK or NAK.

The instance's service process (service.py) steps it; no session ever does, so an instance
reports whether or not anyone is logged in, and only one process speaks for it (the instance
lock). It reports once per period (cpf [config] LicenseUpdatePeriod, default 15 s) and at once
when the license table changed (state `monitor_dirty`, set by license_entries). It starts the
configured license servers of this host that do not answer, and at shutdown signs off.

The boot id and the sequence counter of the datagrams live in the store (`monitor_boot`, new
at each instance start, and `monitor_seq`), so the server sees one instance whose sequence
numbers keep increasing for as long as it runs. So does the instance's `identity`, made when it
was created: it tells the server this instance from another of the same name on the host.

Each user row of an update carries the ISC.* application features the license ID holds (the
only application sections a license server counts), for the server's ConnectionAppList.

Training: state `partitioned` (a comma list of configured server names, set by the training
world) holds those servers unreachable from this instance: the monitor neither probes them nor
sends them anything, so it fails over or disconnects as it would behind a real partition.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import sqlite3
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from cacheshell.system import server_config, settings
from cacheshell.system.applications import Applications
from cacheshell.system.console import WARNING
from cacheshell.system.domain_secret import home_secret, home_secret_kept, secret_path
from cacheshell.system.events import EventKind
from cacheshell.system.instance import MONITOR_READY, Instance
from cacheshell.system.instance_files import describe
from cacheshell.system.keyfile import KeyFileError
from cacheshell.system.keys import LicenseKey
from cacheshell.system.licserver.active import ActiveServer
from cacheshell.system.licserver.client import LicenseClient, is_answering
from cacheshell.system.licserver.protocol import (
    MAX_APPS,
    ProtocolError,
    new_boot_id,
    new_identity,
)
from cacheshell.system.processes import command_words, ended, wait_until
from cacheshell.system.server_config import LicenseServer
from cacheshell.system.store import Store

DEFAULT_PERIOD = 15.0
TICK = 0.2  # the longest wait between two looks at the store for a changed license table
# A server an instance started ends itself this many periods (at least IDLE_EXIT_FLOOR s) after
# the last instance stopped reporting to it.
IDLE_EXIT_PERIODS = 4
IDLE_EXIT_FLOOR = 5.0
SIGN_OFF_TIMEOUT = 2.0  # how long a shutting-down instance waits for a server
SERVER_START_WAIT = 5.0  # how long a server this instance started may take to answer
FIRST_CYCLE_WAIT = 10.0  # how long a report waits for the monitor's first cycle after a start
LOCAL_PROBE = 0.1  # seconds a server on this host takes to answer at most, when it runs
SINGLE_SERVER = "Single-server key: license servers do not apply"
NOT_CONNECTED = "Not connected to License Server"
NO_KEY = "No valid license key: license servers do not apply"
DOWN_DIR = "licenseserver-down"  # under the home: servers the training world holds down
RUN_DIR = "run"  # under the home: pid files of the license servers started on this host
PARTITIONED = "partitioned"  # store state: servers the training world cut this instance from
ISC_PREFIX = "ISC."  # the application sections license servers count
# What a period's work can meet and the monitor outlives (it never takes a session down): the
# store (SQLite), files and sockets (OSError), a cpf or key file that does not read
# (UnicodeDecodeError, KeyFileError), an update that does not fit the wire (ProtocolError).
_FAULTS = (sqlite3.Error, OSError, UnicodeDecodeError, KeyFileError, ProtocolError)


def update_period(instance: Instance) -> float:
    """[config] LicenseUpdatePeriod, validated; a value not used is told once in the log."""
    setting = settings.update_period(instance.cpf())
    settings.warn_once(instance.store, instance.log, settings.UPDATE_PERIOD, setting.problem)
    return setting.value


def probe_timeout(period: float) -> float:
    """How long to wait for a server's answer: short periods (tests) wait less."""
    return max(0.05, min(1.0, period / 3))


def host_address() -> str:
    """This host's address as the server lists instances (ServerIP)."""
    try:
        address = socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"
    return address


def local_addresses() -> set[str]:
    names = {"localhost", socket.gethostname().lower()}
    try:
        names.update(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        pass
    return names


def is_local(address: str) -> bool:
    lowered = address.lower()
    return lowered.startswith("127.") or lowered in ("::1",) or lowered in local_addresses()


def boot_id(store: Store) -> str:
    """The instance's boot id (set at start; made here for an instance started before)."""
    return _made_once(store, "monitor_boot", new_boot_id)


def instance_identity(store: Store) -> str:
    """The instance's identity (made at creation; made here for an instance created before)."""
    return _made_once(store, "identity", new_identity)


def _made_once(store: Store, name: str, make: Callable[[], str]) -> str:
    with store.transaction():
        value = store.get(name)
        if not value:
            value = make()
            store.put(name, value)
        return str(value)


class InstanceClient(LicenseClient):
    """A LicenseClient whose identity, boot id and sequence numbers are the instance's, shared
    by all the processes attached to it through the store."""

    def __init__(
        self, instance: Instance, key: LicenseKey, period: float, secret: bytes | None = None
    ) -> None:
        super().__init__(
            key,
            host_address(),
            instance.name,
            period=period,
            timeout=probe_timeout(period),
            boot=boot_id(instance.store),
            identity=instance_identity(instance.store),
            secret=secret if secret is not None else home_secret(instance.layout.home),
        )
        self.store = instance.store

    def _next_seq(self) -> int:
        with self.store.transaction():
            return self.store.add("monitor_seq", 1)


def server_label(server: LicenseServer) -> str:
    return f"{server.name} {server.address} {server.port}"


def await_first_cycle(instance: Instance, timeout: float = FIRST_CYCLE_WAIT) -> None:
    """Wait (bounded) for the monitor's first cycle since the instance started: the start of
    its local license server and the first report to it. A report on the license server asked
    for just after a start then tells what the instance found, not what it has yet to try."""
    wait_until(lambda: instance.store.get(MONITOR_READY) is not None or not instance.is_up, timeout)


def active_server(instance: Instance, wait: bool = True) -> LicenseServer | None:
    """The active server as the monitor last recorded it (None when not connected); `wait`
    (for the reports) waits for the monitor's first cycle first."""
    if wait:
        await_first_cycle(instance)
    text = instance.store.get("active_server")
    if not text:
        return None
    name, address, port = str(text).split(" ")
    return LicenseServer(name, address, int(port))


def server_status(instance: Instance, wait: bool = True) -> str:
    """Why the server reports do not apply, or NOT_CONNECTED; "" when connected. `wait` as
    for active_server."""
    if wait:
        await_first_cycle(instance)
    key = instance.active_key()
    if key is None:
        return NO_KEY
    if not key.is_multiserver:
        return SINGLE_SERVER
    if active_server(instance, wait=False) is None:
        return str(instance.store.get("server_status") or NOT_CONNECTED)
    return ""


# -- partitioned by the training world -------------------------------------------------------------
def partitioned(instance: Instance) -> set[str]:
    """The configured server names this instance cannot reach (training), upper-cased."""
    text = str(instance.store.get(PARTITIONED) or "")
    return {name for name in text.upper().split(",") if name}


def set_partitioned(instance: Instance, name: str, cut: bool) -> bool:
    """Cut this instance from a server, or heal it; False when nothing changed."""
    with instance.store.transaction():
        names = partitioned(instance)
        before = set(names)
        (names.add if cut else names.discard)(name.upper())
        if names == before:
            return False
        instance.store.put(PARTITIONED, ",".join(sorted(names)) or None)
        instance.store.put("monitor_dirty", 1)  # the monitor looks again at once
    return True


def application_use(instance: Instance) -> dict[str, str]:
    """license ID -> "AppName,Feature;AppName,Feature": the ISC.* features it holds, each once,
    cut at a feature boundary to fit a user row of an update."""
    registry = Applications(instance.store, instance.clock.now)
    held: dict[str, list[str]] = {}
    for app in registry.names():
        if not app.startswith(ISC_PREFIX):
            continue
        for license_id, features in registry.taken_by(app).items():
            held.setdefault(license_id, []).extend(
                f"{app},{keyword}" for keyword, count in features if count > 0
            )
    out = {}
    for license_id, names in held.items():
        text = ""
        for feature in names:
            longer = f"{text};{feature}" if text else feature
            if len(longer) > MAX_APPS:
                break
            text = longer
        if text:
            out[license_id] = text
    return out


# -- held down by the training world --------------------------------------------------------------
def _down_marker(home: Path, server: LicenseServer) -> Path:
    return home / DOWN_DIR / f"{server.address}_{server.port}"


def hold_down(home: Path, server: LicenseServer, held: bool) -> None:
    marker = _down_marker(home, server)
    if held:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    else:
        marker.unlink(missing_ok=True)


def held_down(home: Path, server: LicenseServer) -> bool:
    return _down_marker(home, server).exists()


def server_directory(instance: Instance) -> Path:
    return instance.layout.mgr / "licenseserver"


def server_idle_exit(period: float) -> float:
    """How long a server an instance started lives on with no instance reporting to it: a few
    periods after the last one goes (a server started by hand lives on as told)."""
    return max(IDLE_EXIT_FLOOR, IDLE_EXIT_PERIODS * period)


def start_server(instance: Instance, server: LicenseServer, period: float) -> int:
    from cacheshell.system.licserver.daemon import start_detached

    address = "127.0.0.1" if server.address.lower() == "localhost" else server.address
    home_secret(instance.layout.home)  # the server reads the instance's: it must exist first
    pid = start_detached(
        address,
        server.port,
        server_directory(instance),
        period=period,
        idle_exit=server_idle_exit(period),
        exit_when_unused=True,
        secret_file=secret_path(instance.layout.home),
    )
    started = instance.layout.home / RUN_DIR / "started.pids"
    started.parent.mkdir(parents=True, exist_ok=True)
    with open(started, "a", encoding="ascii") as record:  # for whoever cleans up after tests
        record.write(f"{pid}\n")
    return pid


def port_taken(address: str, port: int) -> bool:
    """True when something on this host already holds the UDP port."""
    try:
        family = socket.getaddrinfo(address, port, type=socket.SOCK_DGRAM)[0][0]
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((address, port))
    except OSError as exc:
        return exc.errno == errno.EADDRINUSE
    return False


# -- the monitor ----------------------------------------------------------------------------------
class Monitor:
    """The license monitor of one instance, stepped by the instance's service process (the only
    process that speaks for the instance: the instance lock makes it one)."""

    def __init__(self, instance: Instance) -> None:
        self._instance = instance
        self._client: InstanceClient | None = None
        self._client_key: str | None = None
        self._active: ActiveServer | None = None
        self._standby_ready: tuple[str, int] | None = None  # holds the key for a failover
        self._servers: list[LicenseServer] = []
        self._started_at: dict[tuple[str, int], float] = {}
        # The license servers this instance started: (address, port) -> pid.
        self.started: dict[tuple[str, int], int] = {}
        self._last_cycle = 0.0
        self._last_fault = ""
        self.period = DEFAULT_PERIOD
        self._secret = b""  # the home's license domain secret, read again every cycle

    def step(self) -> None:
        """Report when a period is due or the license table changed; say once what failed."""
        try:
            self._step()
        except _FAULTS as exc:
            self._report_fault(exc)

    def pause(self) -> float:
        """How long to wait before the next look at the store: no later than the moment the
        active server's silence is given up."""
        wait = min(TICK, self.period / 3)
        left = self._silence_left()
        if left is not None and 0 < left < wait:
            return left
        return wait

    def _silence_left(self) -> float | None:
        return self._active.silence_left() if self._active is not None else None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _report_fault(self, exc: Exception) -> None:
        """Say once in the console log what went wrong, and carry on next period."""
        text = f"License monitor: {describe(exc)}"
        if text != self._last_fault:
            self._last_fault = text
            self._instance.log.write(text, WARNING)

    def _step(self) -> None:
        inst = self._instance
        # Read at every tick: a period changed in the cpf (Config.config) applies at once, and
        # an update goes out now so that the license server learns it (it expires an instance
        # silent for 3 of the periods its last update announced).
        period = update_period(inst)
        changed, self.period = period != self.period, period
        if inst.store.get("status") != "up":
            return  # between a stop and a start of the license table (training restarts)
        now = time.time()
        # A first cycle since the start is due at once: the reports wait for it.
        dirty = inst.store.get("monitor_dirty", 0) or inst.store.get(MONITOR_READY) is None
        silenced = self._silence_left() == 0  # the active server's silence is given up
        if now - self._last_cycle < self.period and not dirty and not changed and not silenced:
            return
        if dirty:
            with inst.store.transaction():
                inst.store.put("monitor_dirty", 0)
        self._last_cycle = now
        try:
            self.cycle(self.period)
        finally:
            if inst.store.get(MONITOR_READY) is None:
                with inst.store.transaction():
                    inst.store.put(MONITOR_READY, 1)

    # -- one update period -----------------------------------------------------------------------
    def cycle(self, period: float) -> None:
        inst = self._instance
        key = inst.active_key()
        if key is None or not key.is_multiserver:
            self._not_applicable(SINGLE_SERVER if key is not None else NO_KEY)
            return
        # Read each cycle: an administrator may copy in the server host's secret at any time.
        self._secret, rewritten = home_secret_kept(inst.layout.home, self._secret)
        if rewritten:
            inst.log.write(
                f"license domain secret {secret_path(inst.layout.home)} was missing: written "
                "again with the one this instance and its servers use",
                WARNING,
            )
        servers = server_config.servers(inst.cpf())
        if servers != self._servers or self._active is None:
            self._servers = servers
            self._active = ActiveServer(servers, period, self._probe)
        self._active.period = period
        client = self._client_for(key, period)
        self._start_local(servers, period)
        index, changed = self._active.select()
        if index is None:
            self._disconnected()
            return
        server = servers[index]
        if changed:
            client.forget_server()
        if server.name.upper() in partitioned(inst):
            # Nothing gets through; ActiveServer moves on after FAILOVER_PERIODS periods.
            self._prepare_standby(client, servers)
            return
        apps = application_use(inst)
        users = {
            entry.license_id: (entry.units, entry.connections, apps.get(entry.license_id, ""))
            for entry in inst.table.entries()
            if entry.units or entry.connections
        }
        # A wait for a silent server ends when its silence is given up, not after it.
        left = self._active.silence_left()
        if left is not None:
            client.timeout = min(client.timeout, max(left, 0.001))
        answer = client.send_update((server.address, server.port), users, full=changed)
        if answer is None:
            # ActiveServer moves on after FAILOVER_PERIODS periods without an answer.
            self._prepare_standby(client, servers)
            return
        self._active.answered()
        self._standby_ready = None
        self._record(server, answer)

    def _prepare_standby(self, client: InstanceClient, servers: list[LicenseServer]) -> None:
        """The active server is silent: find the server that takes over if it stays so, and
        register the key with it, so that the switch is one full update when the time comes."""
        assert self._active is not None
        standby = self._active.standby()
        left = self._active.silence_left()
        if standby is None or not left:
            return
        where = (servers[standby].address, servers[standby].port)
        if where == self._standby_ready:
            return  # registered in this silence already
        client.timeout = min(client.timeout, left)
        if client.register(where) is not None:
            self._standby_ready = where

    def _probe(self, server: LicenseServer) -> bool:
        period = self._active.period if self._active is not None else DEFAULT_PERIOD
        inst = self._instance
        if server.name.upper() in partitioned(inst):
            return False
        return is_answering(
            server.address, server.port, probe_timeout(period), inst.name, secret=self._secret
        )

    def _client_for(self, key: LicenseKey, period: float) -> InstanceClient:
        inst = self._instance
        if not self._secret:
            self._secret = home_secret(inst.layout.home)
        marker = (
            f"{inst.store.get('monitor_boot')}|{key.file.authorization_key}|{self._secret.hex()}"
        )
        if self._client is None or self._client_key != marker:
            if self._client is not None:
                self._client.close()
            self._client = InstanceClient(inst, key, period, self._secret)
            self._client_key = marker
        self._client.period = period
        self._client.timeout = probe_timeout(period)
        return self._client

    def _start_local(self, servers: list[LicenseServer], period: float) -> None:
        """Start the configured servers of this host that do not answer (once a while each)."""
        import subprocess  # here: only an instance that starts a server needs it

        inst = self._instance
        now = time.monotonic()
        for server in servers:
            where = (server.address, server.port)
            if not is_local(server.address) or held_down(inst.layout.home, server):
                continue
            if now - self._started_at.get(where, -1e9) < max(10.0, 4 * period):
                continue
            # A port nothing holds has no server to ask (a probe of it waits for nothing).
            taken = port_taken(server.address, server.port)
            if taken and is_answering(
                server.address, server.port, LOCAL_PROBE, secret=self._secret
            ):
                continue
            self._started_at[where] = now
            if taken:
                inst.log.write(
                    f"Cannot start license server {server.name}: UDP port {server.port} on "
                    f"{server.address} is held by a program that does not answer as a license "
                    "server",
                    WARNING,
                )
                continue
            try:
                pid = start_server(inst, server, period)
            except (OSError, subprocess.SubprocessError, ValueError) as exc:  # no pid came back
                inst.log.write(
                    f"Cannot start license server {server.name}: {describe(exc)}", WARNING
                )
                continue
            self.started[where] = pid
            inst.log.write(
                f"Started license server {server.name} at {server.address} port "
                f"{server.port} (pid {pid})"
            )
            # Report to it in this cycle rather than a period later: an instance that starts
            # its license server is connected to it once its start is done.
            wait_until(
                partial(
                    is_answering, server.address, server.port, LOCAL_PROBE, secret=self._secret
                ),
                SERVER_START_WAIT,
            )

    # -- shutdown --------------------------------------------------------------------------------
    def sign_off(self, timeout: float = SIGN_OFF_TIMEOUT) -> None:
        """The instance shuts down: tell the active server it is gone, and stop each server this
        instance started that serves no other instance now (one that still does lives on while
        they report, and ends itself when the last signs off, or a few periods after the last
        stops reporting)."""
        inst = self._instance
        key = inst.active_key()
        if key is None or not key.is_multiserver:
            return
        client = self._client_for(key, self.period)
        client.timeout = min(client.timeout, timeout)
        told: dict[tuple[str, int], int | None] = {}
        active = active_server(inst, wait=False)
        if active is not None:
            where = (active.address, active.port)
            told[where] = client.goodbye(where)
        for where, pid in self.started.items():
            others = told[where] if where in told else client.goodbye(where)
            if others == 0 or others is None:
                # None: it does not answer (hung, or still starting) and is ours to end.
                if _end_server(pid, where):
                    inst.log.write(
                        f"Stopped license server at {where[0]} port {where[1]} (pid {pid})"
                    )
            else:
                inst.log.write(
                    f"License server at {where[0]} port {where[1]} serves {others} other "
                    "instance(s): it goes on running"
                )
        for where, others in told.items():
            if where not in self.started and others == 0 and is_local(where[0]):
                self._await_last_sign_off(where)

    def _await_last_sign_off(self, where: tuple[str, int]) -> None:
        """This instance was the last a server started by another instance served: that server
        ends itself now (--exit-when-unused). Wait for it when its pid file is in this home, so
        that the stop is over when it is gone."""
        from cacheshell.system.licserver.daemon import find_server_pid

        pid = find_server_pid(where[0], where[1])
        if pid is None or b"--exit-when-unused" not in command_words(pid):
            return  # in another home, or started by hand: it lives on as it was told
        if wait_until(lambda: ended(pid), SIGN_OFF_TIMEOUT):
            self._instance.log.write(
                f"License server at {where[0]} port {where[1]} (pid {pid}) served no other "
                "instance: it ended"
            )

    def _record(self, server: LicenseServer, answer: object) -> None:
        inst = self._instance
        status = getattr(answer, "status", "")
        label = server_label(server)
        now = inst.clock.now()
        server_news = ""
        with inst.store.transaction():
            store = inst.store
            before = store.get("active_server")
            was_nak = int(store.get("nak", 0) or 0)
            if status == "REFUSED":
                store.put("nak", 0)
                store.put("active_server", None)
                store.put(
                    "server_status",
                    f"Refused by license server {server.name}: {getattr(answer, 'reason', '')}",
                )
                return
            nak = 1 if status == "NAK" else 0
            store.put("nak", nak)
            store.put("active_server", label)
            store.put("server_status", "")
            store.put("dist_current", getattr(answer, "combined", 0))
            store.put("dist_authorized", getattr(answer, "authorized", 0))
            store.put("dist_maximum", getattr(answer, "maximum", 0))
            store.put("dist_instances", getattr(answer, "instance_count", 0))
            if before != label:
                detail = (
                    f"active license server {server.name} ({server.address} port {server.port})"
                )
                # A failover leaves a configured server; a server taken out of the
                # configuration (or the first one) is simply replaced by the new active one.
                gone = str(before).split(" ")[0] if before else ""
                failover = any(other.name == gone for other in self._servers)
                if failover:
                    detail = f"failover from {gone} to {detail}"
                store.event(
                    now, EventKind.FAILOVER if failover else EventKind.SERVER, "", None, detail
                )
                server_news = detail[0].upper() + detail[1:]
            if nak != was_nak:
                store.event(
                    now,
                    EventKind.NAK if nak else EventKind.ACK,
                    "",
                    None,
                    f"{getattr(answer, 'combined', 0)} units in use of "
                    f"{getattr(answer, 'authorized', 0)} on the license server",
                )
        if server_news:  # the console log records a change of license server, as Caché's does
            inst.log.write(server_news)
        if nak != was_nak:
            inst.log.write(
                "License server NAK: new license users are refused"
                if nak
                else "License server ACK: new license users are admitted again"
            )

    def _disconnected(self) -> None:
        inst = self._instance
        if self._unchanged(NOT_CONNECTED):
            return
        with inst.store.transaction():
            before = inst.store.get("active_server")
            inst.store.put("nak", 0)  # no server: the instance admits and releases locally
            inst.store.put("active_server", None)
            inst.store.put("server_status", NOT_CONNECTED)
            lost = f"license server {str(before).split(' ')[0]} lost: " + NOT_CONNECTED
            if before:
                inst.store.event(inst.clock.now(), EventKind.DISCONNECTED, "", None, lost)
        if before:
            inst.log.write(lost[0].upper() + lost[1:], WARNING)

    def _not_applicable(self, status: str) -> None:
        inst = self._instance
        if self._unchanged(status):
            return
        with inst.store.transaction():
            inst.store.put("nak", 0)
            inst.store.put("active_server", None)
            inst.store.put("server_status", status)

    def _unchanged(self, status: str) -> bool:
        """Already recorded as not connected for this reason: an idle instance writes nothing."""
        store = self._instance.store
        return (
            not store.get("nak", 0)
            and store.get("active_server") is None
            and store.get("server_status") == status
        )


def _end_server(pid: int, where: tuple[str, int]) -> bool:
    """SIGTERM a license server this instance started, if that pid still is one (perhaps still
    starting, before its pid file exists), and wait for it to end. True when it was ended."""
    if not _is_license_server(pid, where[1]):
        return False  # gone already, or the pid now names something else
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return False
    wait_until(lambda: ended(pid), SIGN_OFF_TIMEOUT)
    return True


def _is_license_server(pid: int, port: int) -> bool:
    """A running (not exited) license server process serving `port`."""
    words = command_words(pid)
    return not ended(pid) and b"license-server" in words and str(port).encode() in words
