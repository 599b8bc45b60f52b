"""The license servers of this host, rehearsed for training: stop, start or kill the daemon
serving a configured server, cut this instance from a server (its side of a network partition) or
have a server ignore this instance (the server's side), and lift all of it again.

Nothing touches the network: a stopped server is held down (monitor.hold_down), a cut on the
instance's side is state its license monitor reads, and a cut on the server's side is a marker
file in the daemon's directory.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from cacheshell.system import server_config
from cacheshell.system.events import EventKind
from cacheshell.system.instance import Instance
from cacheshell.system.processes import ended, wait_until
from cacheshell.system.world_errors import WorldError

# -- license servers: stop, start and kill them to rehearse failover ----------------------------
SERVER_WAIT = 10.0


def _configured(instance: Instance, name: str) -> server_config.LicenseServer:
    server = server_config.find(instance.cpf(), name)
    if server is None:
        raise WorldError(f"no license server named {name.upper()} is configured")
    return server


def stop_server(instance: Instance, name: str, kill: bool = False) -> bool:
    """Stop (SIGTERM) or kill (SIGKILL) the daemon serving a configured server of this host.
    The server is then held down: no instance starts it again until start_server(). True when
    a running server was stopped."""
    from cacheshell.system import monitor
    from cacheshell.system.licserver.daemon import find_server_pid

    server = _configured(instance, name)
    monitor.hold_down(instance.layout.home, server, True)
    pid = find_server_pid(server.address, server.port)
    if pid is None:
        return False
    try:
        os.kill(pid, signal.SIGKILL if kill else signal.SIGTERM)
    except ProcessLookupError:
        return False
    wait_until(lambda: ended(pid), SERVER_WAIT, 0.05)
    instance.store.event(
        instance.clock.now(),
        EventKind.SERVER,
        "",
        None,
        f"license server {server.name} {'killed' if kill else 'stopped'} (pid {pid})",
    )
    return True


def start_server(instance: Instance, name: str) -> bool:
    """Let a held-down server run again and start it when it is on this host and silent. True
    when it answers afterwards."""
    from cacheshell.system import monitor
    from cacheshell.system.domain_secret import SecretFileError, home_secret
    from cacheshell.system.licserver.client import is_answering

    server = _configured(instance, name)
    monitor.hold_down(instance.layout.home, server, False)
    try:
        secret = home_secret(instance.layout.home)
    except SecretFileError as exc:
        raise WorldError(str(exc)) from None
    if is_answering(server.address, server.port, 0.5, secret=secret):
        return True
    if not monitor.is_local(server.address):
        raise WorldError(f"license server {server.name} is not on this host")
    period = monitor.update_period(instance)
    pid = monitor.start_server(instance, server, period)
    instance.store.event(
        instance.clock.now(),
        EventKind.SERVER,
        "",
        None,
        f"license server {server.name} started (pid {pid})",
    )
    return wait_until(
        lambda: is_answering(server.address, server.port, 0.2, secret=secret), SERVER_WAIT, 0.05
    )


# -- partitions: rehearse a network partition without touching the network ---------------------
def partition_server(instance: Instance, name: str, cut: bool = True) -> bool:
    """Cut this instance from a configured server (its monitor treats it as not answering), or
    heal the cut. True when something changed."""
    from cacheshell.system import monitor

    server = _configured(instance, name)
    if not monitor.set_partitioned(instance, server.name, cut):
        return False
    _partition_event(instance, server, "cut off from this instance" if cut else "reachable again")
    return True


def _partition_event(instance: Instance, server: server_config.LicenseServer, what: str) -> None:
    instance.store.event(
        instance.clock.now(), EventKind.PARTITION, "", None, f"license server {server.name} {what}"
    )


def _server_directory(server: server_config.LicenseServer) -> Path:
    """The directory of the running daemon of this host serving a configured server."""
    from cacheshell.system.layout import cacheshell_home
    from cacheshell.system.licserver.daemon import find_server_pid, pid_file_name

    if find_server_pid(server.address, server.port) is None:
        raise WorldError(f"license server {server.name} is not running on this host")
    line = (cacheshell_home() / "run" / pid_file_name(server.port)).read_text(encoding="utf-8")
    return Path(line.split(" ", 3)[3].strip())


def partition_instance(instance: Instance, name: str, cut: bool = True) -> bool:
    """The server side of a partition: the daemon serving a configured server of this host
    ignores every datagram from this instance while DIR/partition-<INSTANCE> exists. True when
    something changed."""
    from cacheshell.system.licserver.partitions import PARTITION_PREFIX

    server = _configured(instance, name)
    marker = _server_directory(server) / f"{PARTITION_PREFIX}{instance.name.upper()}"
    if marker.exists() == cut:
        return False
    if cut:
        marker.touch()
    else:
        marker.unlink(missing_ok=True)
    _partition_event(
        instance, server, "ignores this instance" if cut else "hears this instance again"
    )
    return True


def lift_holds(instance: Instance) -> None:
    """What the rehearsals left in place ends: every configured server of the instance may run
    again (StopServer, KillServer), and every partition of either side is healed."""
    from cacheshell.system import monitor
    from cacheshell.system.licserver.partitions import PARTITION_PREFIX

    marker = f"{PARTITION_PREFIX}{instance.name.upper()}"
    for server in server_config.servers(instance.cpf()):
        monitor.hold_down(instance.layout.home, server, False)
        partition_server(instance, server.name, cut=False)
        try:
            partition_instance(instance, server.name, cut=False)
        except (WorldError, OSError):
            pass  # not running on this host (or it ended just now): no daemon to tell
        # A daemon the instance starts again reads its markers from here.
        (monitor.server_directory(instance) / marker).unlink(missing_ok=True)
    if monitor.partitioned(instance):  # cut from a server no longer configured
        with instance.store.transaction():
            instance.store.put(monitor.PARTITIONED, None)
            instance.store.put("monitor_dirty", 1)
