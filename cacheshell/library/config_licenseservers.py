"""Config.LicenseServers: the [LicenseServers] section of cache.cpf, from ObjectScript."""

from __future__ import annotations

from collections.abc import Iterator

from cacheshell.lang import status
from cacheshell.lang.objects import REGISTRY, Row, Value
from cacheshell.lang.refs import Argument, Ref, deref
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import to_str
from cacheshell.library.host import instance_of
from cacheshell.library.privileges import require
from cacheshell.system import server_changes, server_config
from cacheshell.system.server_config import ServerConfigError

CONFIG = REGISTRY.define(
    "Config.LicenseServers",
    "The license servers this instance uses ([LicenseServers] in cache.cpf).",
    home="%SYS",  # the Config classes are in CACHESYS only, as in Caché
)


def _properties(ref: Argument | None) -> tuple[str | None, Value | None]:
    if not isinstance(ref, Ref):
        return None, None
    address = ref.node("Address", default=None)
    port = ref.node("Port", default=None)
    return (None if address is None else to_str(address)), port


def _failed(exc: ServerConfigError) -> str:
    return status.error(5001, str(exc))


@CONFIG.classmethod(
    "Create",
    'Add a license server from Properties("Address") and ("Port").',
    "The name is stored in upper case. Address is an IPv4 address, a host name, "
    "or (with IPv6 enabled) an IPv6 address; Port is 1024-65535, default 4001. "
    "Two servers at one address need different ports. Needs the %Admin_Manage role, else "
    "<PROTECT>. Returns a %Status.",
    "(Name, &Properties)",
)
def create(
    ctx: Runtime, name: Argument, properties: Argument | None = None, *_: Argument
) -> int | str:
    require(ctx)  # every change writes cache.cpf
    address, port = _properties(properties)
    try:
        server_changes.add(
            instance_of(ctx),
            to_str(deref(name)),
            address or "127.0.0.1",
            server_config.DEFAULT_PORT if port is None else port,
        )
    except ServerConfigError as exc:
        return _failed(exc)
    return status.OK


@CONFIG.classmethod(
    "Modify",
    "Change a license server's Address or Port.",
    "Only the properties given change; the change is noted in the console log, as a restart "
    "may be needed. Needs the %Admin_Manage role, else <PROTECT>. Returns a %Status.",
    "(Name, &Properties)",
)
def modify(
    ctx: Runtime, name: Argument, properties: Argument | None = None, *_: Argument
) -> int | str:
    require(ctx)
    address, port = _properties(properties)
    try:
        server_changes.modify(instance_of(ctx), to_str(deref(name)), address, port)
    except ServerConfigError as exc:
        return _failed(exc)
    return status.OK


@CONFIG.classmethod(
    "Delete",
    "Remove a license server from the configuration.",
    "Needs the %Admin_Manage role, else <PROTECT>. Returns a %Status.",
    "(Name)",
)
def delete(ctx: Runtime, name: Argument, *_: Argument) -> int | str:
    require(ctx)
    try:
        server_changes.delete(instance_of(ctx), to_str(deref(name)))
    except ServerConfigError as exc:
        return _failed(exc)
    return status.OK


@CONFIG.classmethod(
    "Get",
    "Read a license server's properties into the array passed by reference.",
    'Sets Properties("Address") and Properties("Port"). Returns a %Status.',
    "(Name, &Properties)",
)
def get(
    ctx: Runtime, name: Argument, properties: Argument | None = None, *_: Argument
) -> int | str:
    server = server_config.find(instance_of(ctx).cpf(), to_str(deref(name)))
    if server is None:
        return status.error(5001, f"License server {to_str(deref(name)).upper()} does not exist")
    if isinstance(properties, Ref):
        properties.kill()
        properties.set(server.address, "Address")
        properties.set(server.port, "Port")
    return status.OK


@CONFIG.classmethod(
    "Exists", "1 if a license server of that name is configured, else 0.", signature="(Name)"
)
def exists(ctx: Runtime, name: Argument, *_: Argument) -> int:
    found = server_config.find(instance_of(ctx).cpf(), to_str(deref(name)))
    return 0 if found is None else 1


@CONFIG.query(
    "List",
    ("Name", "Address", "Port"),
    "The configured license servers, in order.",
    "A line of [LicenseServers] that is not used (a port outside 1024-65535, an address that "
    "is not valid) is not listed; ##class(%SYSTEM.License).ShowServer() says why.",
    signature='(Names="*")',
)
def list_servers(ctx: Runtime, names: Value = "*", *_: Value) -> Iterator[Row]:
    wanted = to_str(deref(names)) or "*"
    for server in server_config.servers(instance_of(ctx).cpf()):
        if wanted == "*" or server.name in [n.strip().upper() for n in wanted.split(",")]:
            yield server.name, server.address, server.port
