"""Training.World's license-server rehearsals, over cacheshell.system.world_servers: stop, kill
and start a configured license server of this host (StopServer, KillServer, StartServer), and
rehearse a network partition from either side (Partition/Heal on the instance's side,
PartitionInstance/HealInstance on the server's)."""

from __future__ import annotations

from collections.abc import Callable

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.refs import Argument
from cacheshell.lang.runtime import Runtime
from cacheshell.library import privileges
from cacheshell.library.host import instance_of
from cacheshell.library.training_access import as_text
from cacheshell.library.training_world import WORLD
from cacheshell.system.world_errors import WorldError
from cacheshell.system.world_servers import partition_instance as world_partition_instance
from cacheshell.system.world_servers import partition_server as world_partition_server
from cacheshell.system.world_servers import start_server as world_start_server
from cacheshell.system.world_servers import stop_server as world_stop_server


def _server_action(ctx: Runtime, action: Callable[[], bool]) -> int:
    privileges.require(ctx)  # a server's life is the administrator's to rehearse
    try:
        return int(action())
    except WorldError as exc:
        raise ObjectScriptError("ILLEGAL VALUE", f"*{exc}") from None


@WORLD.classmethod(
    "StopServer",
    "Stop a configured license server of this host; return 1, or 0 if not running.",
    "StopServer(name) ends the daemon serving the configured server `name` as an operator "
    "would (SIGTERM). It stays down, and no instance starts it again, until StartServer(name): "
    "the instances fail over to the next configured server within 2 update periods.",
    "(name)",
)
def stop_server(ctx: Runtime, name: Argument) -> int:
    return _server_action(ctx, lambda: world_stop_server(instance_of(ctx), as_text(name)))


@WORLD.classmethod(
    "KillServer",
    "Kill a configured license server of this host (SIGKILL); return 1 or 0.",
    "KillServer(name) sends a real SIGKILL to the daemon serving the configured server `name`, "
    "as a crash would: it has no time to say anything. It stays down until StartServer(name).",
    "(name)",
)
def kill_server(ctx: Runtime, name: Argument) -> int:
    return _server_action(
        ctx, lambda: world_stop_server(instance_of(ctx), as_text(name), kill=True)
    )


@WORLD.classmethod(
    "StartServer",
    "Start a configured license server again; return 1 when it answers.",
    "StartServer(name) lifts the hold of StopServer/KillServer and starts the daemon (in the "
    "instance's mgr/licenseserver directory) when it is on this host and not answering. Being "
    "earlier in the configured order, it becomes the active server again at the next update.",
    "(name)",
)
def start_server(ctx: Runtime, name: Argument) -> int:
    return _server_action(ctx, lambda: world_start_server(instance_of(ctx), as_text(name)))


@WORLD.classmethod(
    "Partition",
    "Cut this instance from a configured license server; return 1, or 0 if it was.",
    "Partition(name) rehearses a network partition on the instance's side, without touching "
    "the network: the instance's license monitor treats the server `name` as not answering. "
    "Within 2 update periods the instance fails over to the next configured server, or says "
    '"Not connected to License Server" and keeps admitting users locally. Heal(name) ends it.',
    "(name)",
)
def partition(ctx: Runtime, name: Argument) -> int:
    return _server_action(ctx, lambda: world_partition_server(instance_of(ctx), as_text(name)))


@WORLD.classmethod(
    "Heal",
    "End Partition(name); return 1, or 0 if there was none.",
    "Heal(name) lets the instance reach the server `name` again; being earlier in the "
    "configured order, it becomes the active server again at the next update.",
    "(name)",
)
def heal(ctx: Runtime, name: Argument) -> int:
    return _server_action(
        ctx, lambda: world_partition_server(instance_of(ctx), as_text(name), cut=False)
    )


@WORLD.classmethod(
    "PartitionInstance",
    "Have a license server of this host ignore this instance; return 1 or 0.",
    "PartitionInstance(name) rehearses the server's side of a partition: the daemon serving "
    "`name` (running on this host) ignores every datagram from this instance, pings included, "
    "while the file partition-<INSTANCE> exists in its directory; the instance sees no answer. "
    "HealInstance(name) ends it.",
    "(name)",
)
def partition_instance(ctx: Runtime, name: Argument) -> int:
    return _server_action(ctx, lambda: world_partition_instance(instance_of(ctx), as_text(name)))


@WORLD.classmethod(
    "HealInstance",
    "End PartitionInstance(name); return 1, or 0 if there was none.",
    "HealInstance(name) removes the marker file: the server hears this instance again.",
    "(name)",
)
def heal_instance(ctx: Runtime, name: Argument) -> int:
    return _server_action(
        ctx, lambda: world_partition_instance(instance_of(ctx), as_text(name), cut=False)
    )
