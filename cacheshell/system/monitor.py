"""The instance's license monitor: it reports the instance's use of a Multiserver key to the
active license server and brings back ACK or NAK.

Every OS process attached to the instance runs one monitor thread (shared by all the Sessions of
that process). Only the holder of the lease in the store speaks for the instance: state
`monitor_pid` names its OS process and `monitor_beat` is its last sign of life (wall clock); the
lease is taken over when the holder is dead or silent for LEASE_PERIODS periods. The holder works
once per period (cpf [config] LicenseUpdatePeriod, default 15 s) and at once when the license
table changed (state `monitor_dirty`, set by license_table).

The boot id and the sequence counter of the datagrams live in the store too (`monitor_boot`, new
at each instance start, and `monitor_seq`), so that whichever process speaks, the server sees one
instance whose sequence numbers keep increasing. So does the instance's `identity`, made when it
was created: it tells the server this instance from another of the same name on the host.

Each user row of an update carries the ISC.* application features the license ID holds (the
only application sections a license server counts), for the server's ConnectionAppList.

Training: state `partitioned` (a comma list of configured server names, set by the training
world) holds those servers unreachable from this instance: the monitor neither probes them nor
sends them anything, so it fails over or disconnects as it would behind a real partition.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
from pathlib import Path

from cacheshell.system import server_config
from cacheshell.system.applications import Applications
from cacheshell.system.console import WARNING
from cacheshell.system.events import EventKind
from cacheshell.system.instance import Instance, InstanceError
from cacheshell.system.keyfile import KeyFileError
from cacheshell.system.keys import LicenseKey
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.licserver.client import ActiveServer, LicenseClient, is_answering
from cacheshell.system.licserver.protocol import (
    MAX_APPS,
    ProtocolError,
    new_boot_id,
    new_identity,
)
from cacheshell.system.server_config import LicenseServer
from cacheshell.system.store import Store

DEFAULT_PERIOD = 15.0
LEASE_PERIODS = 2
SINGLE_SERVER = "Single-server key: license servers do not apply"
NOT_CONNECTED = "Not connected to License Server"
NO_KEY = "No valid license key: license servers do not apply"
DOWN_DIR = "licenseserver-down"  # under the home: servers the training world holds down
# Set (to anything) to keep instances from starting their local license servers (the tests).
NO_AUTOSTART = "CACHESHELL_NO_SERVER_AUTOSTART"
RUN_DIR = "run"  # under the home: pid files of the license servers started on this host
PARTITIONED = "partitioned"  # store state: servers the training world cut this instance from
ISC_PREFIX = "ISC."  # the application sections license servers count
# What a period's work can meet and the monitor outlives (it never takes a session down): the
# store (SQLite), files and sockets (OSError), a cpf or key file that does not read
# (UnicodeDecodeError, KeyFileError), an update that does not fit the wire (ProtocolError).
_FAULTS = (sqlite3.Error, OSError, UnicodeDecodeError, KeyFileError, ProtocolError)


def update_period(instance: Instance) -> float:
    text = instance.cpf().get("config", "LicenseUpdatePeriod", "")
    try:
        period = float(text)
    except ValueError:
        return DEFAULT_PERIOD
    return period if period > 0 else DEFAULT_PERIOD


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
    with store.transaction():
        boot = store.get("monitor_boot")
        if not boot:
            boot = new_boot_id()
            store.put("monitor_boot", boot)
        return str(boot)


def instance_identity(store: Store) -> str:
    """The instance's identity (made at creation; made here for an instance created before)."""
    with store.transaction():
        identity = store.get("identity")
        if not identity:
            identity = new_identity()
            store.put("identity", identity)
        return str(identity)


class InstanceClient(LicenseClient):
    """A LicenseClient whose identity, boot id and sequence numbers are the instance's, shared
    by all the processes attached to it through the store."""

    def __init__(self, instance: Instance, key: LicenseKey, period: float) -> None:
        super().__init__(
            key,
            host_address(),
            instance.name,
            period=period,
            timeout=probe_timeout(period),
            boot=boot_id(instance.store),
            identity=instance_identity(instance.store),
        )
        self.store = instance.store

    def _next_seq(self) -> int:
        with self.store.transaction():
            return self.store.add("monitor_seq", 1)


def server_label(server: LicenseServer) -> str:
    return f"{server.name} {server.address} {server.port}"


def active_server(instance: Instance) -> LicenseServer | None:
    """The active server as the monitor last recorded it (None when not connected)."""
    text = instance.store.get("active_server")
    if not text:
        return None
    name, address, port = str(text).split(" ")
    return LicenseServer(name, address, int(port))


def server_status(instance: Instance) -> str:
    """Why the server reports do not apply, or NOT_CONNECTED; "" when connected."""
    key = instance.active_key()
    if key is None:
        return NO_KEY
    if not key.is_multiserver:
        return SINGLE_SERVER
    if active_server(instance) is None:
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


def start_server(instance: Instance, server: LicenseServer, period: float) -> int:
    from cacheshell.system.licserver.daemon import start_detached

    address = "127.0.0.1" if server.address.lower() == "localhost" else server.address
    pid = start_detached(address, server.port, server_directory(instance), period=period)
    started = instance.layout.home / RUN_DIR / "started.pids"
    started.parent.mkdir(parents=True, exist_ok=True)
    with open(started, "a", encoding="ascii") as record:  # for whoever cleans up after tests
        record.write(f"{pid}\n")
    return pid


# -- the monitor ----------------------------------------------------------------------------------
class Monitor:
    """The thread of one OS process for one instance."""

    def __init__(self, layout: InstanceLayout) -> None:
        self.layout = layout
        self.users = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"license-monitor-{layout.name}", daemon=True
        )
        self._instance: Instance | None = None
        self._client: InstanceClient | None = None
        self._client_key: str | None = None
        self._active: ActiveServer | None = None
        self._servers: list[LicenseServer] = []
        self._started_at: dict[tuple[str, int], float] = {}
        self._last_cycle = 0.0
        self._last_fault = ""

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    # -- the loop --------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._instance = Instance(self.layout)
        except (InstanceError, sqlite3.Error, OSError):  # the instance went away: nothing to do
            return
        try:
            while not self._stop.is_set():
                period = update_period(self._instance)
                try:
                    self._step(period)
                except _FAULTS as exc:
                    self._report_fault(exc)
                self._wake.wait(min(0.2, period / 3))
                self._wake.clear()
        finally:
            self._release()
            if self._client is not None:
                self._client.close()
            self._instance.store.close()

    def _report_fault(self, exc: Exception) -> None:
        """Say once in the console log what went wrong, and carry on next period."""
        text = f"License monitor: {type(exc).__name__}: {exc}"
        if text != self._last_fault and self._instance is not None:
            self._last_fault = text
            try:
                self._instance.log.write(text, WARNING)
            except OSError:
                pass  # the manager directory is gone: nothing left to tell

    def _step(self, period: float) -> None:
        inst = self._instance
        assert inst is not None
        if not inst.is_up:
            return
        now = time.time()
        if not self._hold_lease(period, now):
            return
        due = now - self._last_cycle >= period
        if not due:
            dirty = inst.store.get("monitor_dirty", 0)
            if not dirty:
                return
        with inst.store.transaction():
            inst.store.put("monitor_dirty", 0)
        self._last_cycle = now
        self.cycle(period)

    def _hold_lease(self, period: float, now: float) -> bool:
        """Keep or take the lease; True when this process speaks for the instance."""
        from cacheshell.system.license_table import os_process_alive

        inst = self._instance
        assert inst is not None
        store = inst.store
        me = os.getpid()
        holder = store.get("monitor_pid")
        beat = float(store.get("monitor_beat", 0) or 0)
        if holder is not None and int(holder) == me and now - beat < min(period / 2, 1.0):
            return True  # the beat is fresh enough: no write this time
        if (
            holder is not None
            and int(holder) != me
            and now - beat < LEASE_PERIODS * period
            and os_process_alive(int(holder), None)
        ):
            return False
        with store.transaction():
            holder = store.get("monitor_pid")
            beat = float(store.get("monitor_beat", 0) or 0)
            mine = holder is not None and int(holder) == me
            if not mine:
                alive = holder is not None and os_process_alive(int(holder), None)
                if alive and now - beat < LEASE_PERIODS * period:
                    return False
                store.put("monitor_pid", me)
                self._last_cycle = 0.0  # a new speaker reports at once, in full
                if self._client is not None:
                    self._client.forget_server()
            store.put("monitor_beat", now)
        return True

    def _release(self) -> None:
        inst = self._instance
        if inst is None:
            return
        try:
            with inst.store.transaction():
                holder = inst.store.get("monitor_pid")
                if holder is not None and int(holder) == os.getpid():
                    inst.store.put("monitor_pid", None)
                    inst.store.put("monitor_beat", None)
        except sqlite3.Error:  # at exit the store may be gone already
            pass

    # -- one update period -----------------------------------------------------------------------
    def cycle(self, period: float) -> None:
        inst = self._instance
        assert inst is not None
        key = inst.active_key()
        if key is None or not key.is_multiserver:
            self._not_applicable(SINGLE_SERVER if key is not None else NO_KEY)
            return
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
            return  # nothing gets through; ActiveServer moves on after FAILOVER_PERIODS periods
        apps = application_use(inst)
        users = {
            entry.license_id: (entry.units, entry.connections, apps.get(entry.license_id, ""))
            for entry in inst.table.entries()
            if entry.units or entry.connections
        }
        answer = client.send_update((server.address, server.port), users, full=changed)
        if answer is None:
            return  # ActiveServer moves on after FAILOVER_PERIODS periods without an answer
        self._active.answered()
        self._record(server, answer)

    def _probe(self, server: LicenseServer) -> bool:
        period = self._active.period if self._active is not None else DEFAULT_PERIOD
        inst = self._instance
        assert inst is not None
        if server.name.upper() in partitioned(inst):
            return False
        return is_answering(server.address, server.port, probe_timeout(period), inst.name)

    def _client_for(self, key: LicenseKey, period: float) -> InstanceClient:
        inst = self._instance
        assert inst is not None
        marker = f"{inst.store.get('monitor_boot')}|{key.file.authorization_key}"
        if self._client is None or self._client_key != marker:
            if self._client is not None:
                self._client.close()
            self._client = InstanceClient(inst, key, period)
            self._client_key = f"{inst.store.get('monitor_boot')}|{key.file.authorization_key}"
        self._client.period = period
        self._client.timeout = probe_timeout(period)
        return self._client

    def _start_local(self, servers: list[LicenseServer], period: float) -> None:
        """Start the configured servers of this host that do not answer (once a while each)."""
        import subprocess  # here: only an instance that starts a server needs it

        inst = self._instance
        assert inst is not None
        now = time.monotonic()
        for server in servers:
            where = (server.address, server.port)
            if (
                os.environ.get(NO_AUTOSTART)
                or not is_local(server.address)
                or held_down(inst.layout.home, server)
            ):
                continue
            if now - self._started_at.get(where, -1e9) < max(10.0, 4 * period):
                continue
            if is_answering(server.address, server.port, probe_timeout(period)):
                continue
            self._started_at[where] = now
            try:
                pid = start_server(inst, server, period)
            except (OSError, subprocess.SubprocessError, ValueError) as exc:  # no pid came back
                inst.log.write(f"Cannot start license server {server.name}: {exc}")
                continue
            inst.log.write(
                f"Started license server {server.name} at {server.address} port "
                f"{server.port} (pid {pid})"
            )

    def _record(self, server: LicenseServer, answer: object) -> None:
        inst = self._instance
        assert inst is not None
        status = getattr(answer, "status", "")
        label = server_label(server)
        now = inst.clock.now()
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
                if before:
                    detail = f"failover from {str(before).split(' ')[0]} to {detail}"
                store.event(
                    now, EventKind.FAILOVER if before else EventKind.SERVER, "", None, detail
                )
            if nak != was_nak:
                store.event(
                    now,
                    EventKind.NAK if nak else EventKind.ACK,
                    "",
                    None,
                    f"{getattr(answer, 'combined', 0)} units in use of "
                    f"{getattr(answer, 'authorized', 0)} on the license server",
                )
        if nak != was_nak:
            inst.log.write(
                "License server NAK: new license users are refused"
                if nak
                else "License server ACK: new license users are admitted again"
            )

    def _disconnected(self) -> None:
        inst = self._instance
        assert inst is not None
        with inst.store.transaction():
            before = inst.store.get("active_server")
            inst.store.put("nak", 0)  # no server: the instance admits and releases locally
            inst.store.put("active_server", None)
            inst.store.put("server_status", NOT_CONNECTED)
            if before:
                inst.store.event(
                    inst.clock.now(),
                    EventKind.DISCONNECTED,
                    "",
                    None,
                    f"license server {str(before).split(' ')[0]} lost: " + NOT_CONNECTED,
                )

    def _not_applicable(self, status: str) -> None:
        inst = self._instance
        assert inst is not None
        with inst.store.transaction():
            inst.store.put("nak", 0)
            inst.store.put("active_server", None)
            inst.store.put("server_status", status)


# -- one monitor per OS process and instance ------------------------------------------------------
_monitors: dict[str, Monitor] = {}
_lock = threading.Lock()


def acquire(layout: InstanceLayout) -> Monitor:
    """A Session starts: the process's monitor for its instance runs (started if needed)."""
    where = str(layout.mgr.resolve())
    with _lock:
        monitor = _monitors.get(where)
        if monitor is None:
            monitor = _monitors[where] = Monitor(layout)
            monitor.start()
        monitor.users += 1
        return monitor


def release(layout: InstanceLayout) -> None:
    """A Session closes: the monitor stops with the process's last session of the instance."""
    where = str(layout.mgr.resolve())
    with _lock:
        monitor = _monitors.get(where)
        if monitor is None:
            return
        monitor.users -= 1
        if monitor.users > 0:
            return
        del _monitors[where]
    monitor.stop()


def wake(layout: InstanceLayout) -> None:
    monitor = _monitors.get(str(layout.mgr.resolve()))
    if monitor is not None:
        monitor.wake()
