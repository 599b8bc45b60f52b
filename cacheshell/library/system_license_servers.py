"""%SYSTEM.License members that ask the license server: ShowServer, ShowSummary, the four
server dumps, ActiveServerCount and the server queries (Summary, ConnectionList,
ConnectionAppList, AllKeyConnectionList, ActiveServerList, LicenseServerKeyList, LicenseManager).

They read the active server the instance's monitor chose (system/monitor.py) and ask it with the
instance's own boot id and sequence numbers; the rows come from system/server_usage.py, which
the Management Portal's License Usage page shows too. With a Single-server key they say that
license servers do not apply; with no server answering, "Not connected to License Server".
"""

from __future__ import annotations

from collections.abc import Iterator

from cacheshell.lang import status
from cacheshell.lang.objects import Row
from cacheshell.lang.refs import Argument, Ref
from cacheshell.lang.runtime import Runtime
from cacheshell.library.host import instance_of
from cacheshell.library.system_license import LICENSE
from cacheshell.system import monitor, reports, server_config, server_usage
from cacheshell.system.instance import Instance
from cacheshell.system.licserver.client import DumpWritten

GENERAL_ERROR = 5001  # ERROR #5001: the text says what went wrong
_N_A = " With a Single-server key license servers do not apply, and it says so."


def _status_line(ctx: Runtime, inst: Instance) -> bool:
    """Write why there is no server to ask; True when there was such a reason."""
    status = monitor.server_status(inst)
    if status:
        ctx.out.write(f"\n{status}\n")
        return True
    return False


@LICENSE.classmethod(
    "ShowServer",
    "Display the active license server's address and port.",
    "The active server is the first of the configured license servers, in configured order, "
    "that answers; the instance's license monitor keeps it up to date. Without one it says "
    '"Not connected to License Server". A [LicenseServers] line that is not used (a port '
    "outside 1024-65535, an address that is not valid) is listed after it, with the reason." + _N_A,
    "()",
)
def show_server(ctx: Runtime) -> str:
    inst = instance_of(ctx)
    if not _status_line(ctx, inst):
        server = monitor.active_server(inst)
        assert server is not None
        ctx.out.write(f"\nActive license server address = {server.address} port = {server.port}\n")
    for problem in server_config.problems(inst.cpf()):
        ctx.out.write(f"{problem}\n")
    return ""


@LICENSE.classmethod(
    "ActiveServerCount",
    "Return how many instances (this one included) use a key with the active key's OrderNumber.",
    "The license server's ActiveServerList is asked, and its instances whose key has this "
    "instance's OrderNumber are counted. Status (by reference) is $$$OK, or an error %Status "
    'saying why the server could not be asked ("Not connected to License Server", or that '
    "license servers do not apply to a Single-server key); the count is then 0.",
    "(.Status)",
)
def active_server_count(ctx: Runtime, sc: Argument | None = None) -> int:
    count, outcome = instances_using_key(instance_of(ctx))
    if isinstance(sc, Ref):
        sc.set(outcome)
    return count


def instances_using_key(inst: Instance) -> tuple[int, int | str]:
    """(instances the license server sees with the active key's order number, %Status)."""
    problem = monitor.server_status(inst)
    found = None if problem else server_usage.client_for(inst)
    rows = None
    if found is not None:
        client, server = found
        with client:
            rows = client.active_server_list((server.address, server.port))
    if rows is None:
        return 0, status.error(GENERAL_ERROR, problem or monitor.NOT_CONNECTED)
    key = inst.active_key()
    order = key.file.order_number if key is not None else ""
    return sum(1 for row in rows if str(row[2]) == order), status.OK


@LICENSE.classmethod(
    "ShowSummary",
    "Display the license server's summary of the active key, and local use.",
    '"Distributed license use" is the license server\'s view of every instance sharing the '
    "key: units used now, the most used since the server started, the units enforced and "
    'authorized. "Local license use" is this instance: connections and users (license units '
    "consumed) now and at the most. The server is updated periodically, the local part is "
    "real time, so the two may differ for a moment." + _N_A,
    "()",
)
def show_summary(ctx: Runtime) -> str:
    inst = instance_of(ctx)
    if _status_line(ctx, inst):
        return ""
    dist = server_usage.distributed_use(inst)
    if dist is None:
        ctx.out.write(f"\n{monitor.NOT_CONNECTED}\n")
        return ""
    local = server_usage.local_use(inst)
    ctx.out.write(
        reports.show_summary(
            current=int(dist["current"]),
            maximum=int(dist["maximum"]),
            enforced=int(dist["enforced"]),
            authorized=int(dist["authorized"]),
            connections=local["connections"],
            max_connections=local["max_connections"],
            users=local["current"],
            max_users=local["maximum"],
        )
    )
    return ""


def _dump(ctx: Runtime, report: str) -> str:
    inst = instance_of(ctx)
    if _status_line(ctx, inst):
        return ""
    found = server_usage.client_for(inst)
    written: DumpWritten | None = None
    if found is not None:
        client, server = found
        with client:
            written = client.dump((server.address, server.port), report)
    if written is None:
        ctx.out.write(f"\n{monitor.NOT_CONNECTED}\n")
        return ""
    ctx.out.write(
        f"\n{written.file} written on host {written.host} in directory {written.directory}\n"
    )
    return ""


_WHERE = (
    "The license server writes the file in its own directory on its host; the terminal "
    "prints the host and directory when done." + _N_A
)


@LICENSE.classmethod(
    "DumpServer",
    "Have the license server write this instance's use to dumpserver.txt.",
    "One line per client of this instance (connections, license units, license ID), totals, "
    "and the units shared with the same client on other instances. " + _WHERE,
    "()",
)
def dump_server(ctx: Runtime) -> str:
    return _dump(ctx, "dumpserver")


@LICENSE.classmethod(
    "DumpServers",
    "Have the license server write every instance's use to dumpservers.txt.",
    "As DumpServer for every instance the server knows, with a grand total. " + _WHERE,
    "()",
)
def dump_servers(ctx: Runtime) -> str:
    return _dump(ctx, "dumpservers")


@LICENSE.classmethod(
    "DumpKey",
    "Have the license server write its view of the active key to dumpkey.txt.",
    "The key's fields, the instances using it, the authorized units, the units in use now and "
    "at the most, then one line per client: client, units, connections, server address and "
    "instance. " + _WHERE,
    "()",
)
def dump_key(ctx: Runtime) -> str:
    return _dump(ctx, "dumpkey")


@LICENSE.classmethod(
    "DumpKeys",
    "Have the license server write every key it serves to dumpkeys.txt.",
    "As DumpKey for every key the server controls, with the instances and clients using "
    "each. " + _WHERE,
    "()",
)
def dump_keys(ctx: Runtime) -> str:
    return _dump(ctx, "dumpkeys")


# -- queries ----------------------------------------------------------------------------------
_SERVER = "The data source is the active license server." + _N_A


def _rows(ctx: Runtime, width: int, ask: server_usage.Ask) -> Iterator[Row]:
    yield from server_usage.server_rows(instance_of(ctx), width, ask)


@LICENSE.query(
    "Summary",
    server_usage.SUMMARY_COLUMNS,
    "Query returns data displayed by ##class(%SYSTEM.License).ShowSummary()",
    "One row per count: its label, this instance's value and the license server's.\n" + _SERVER,
    "()",
)
def summary(ctx: Runtime) -> Iterator[Row]:
    yield from server_usage.summary_rows(instance_of(ctx))


@LICENSE.query(
    "ConnectionList",
    server_usage.CONNECTION_COLUMNS,
    "This query returns the license server's connections for the active key.",
    'One row per license ID and instance; LicenseUnits is a number, or "shr" when the ID\'s '
    "unit is held by its row on another instance.\n" + _SERVER,
    "()",
)
def connection_list(ctx: Runtime) -> Iterator[Row]:
    yield from server_usage.connection_rows(instance_of(ctx))


@LICENSE.query(
    "ConnectionAppList",
    ("UserId", "LicenseUnits", "Connections", "ServerIP", "Instance", "ApplicationUse"),
    "This query returns the license server's connections for the active key, with the "
    "application licenses each holds.",
    "As ConnectionList, with ApplicationUse: the application features the license ID holds on "
    'that instance, as "AppName,Feature;AppName,Feature". Only ISC.* application sections '
    "are counted by the license server; each instance reports them with its updates, so the "
    "column may lag by up to one update period.\n" + _SERVER,
    "()",
)
def connection_app_list(ctx: Runtime) -> Iterator[Row]:
    yield from _rows(ctx, 6, lambda client, where: client.connection_app_list(where))


@LICENSE.query(
    "AllKeyConnectionList",
    ("UserId", "LicenseUnits", "Connections", "ServerIP", "Instance", "OrderNumber"),
    "This query returns the license server's connections for every key it serves.",
    "As ConnectionList, with the key's order number.\n" + _SERVER,
    "()",
)
def all_key_connection_list(ctx: Runtime) -> Iterator[Row]:
    yield from _rows(ctx, 6, lambda client, where: client.connection_list(where, all_keys=True))


@LICENSE.query(
    "ActiveServerList",
    ("Address", "InstanceName", "OrderNumber"),
    "This query returns the instances the license server serves.",
    "One row per instance: its address, its name and the order number of its key.\n" + _SERVER,
    "()",
)
def active_server_list(ctx: Runtime) -> Iterator[Row]:
    yield from _rows(ctx, 3, lambda client, where: client.active_server_list(where))


@LICENSE.query(
    "LicenseServerKeyList",
    (
        "LicenseCapacity",
        "CustomerName",
        "OrderNumber",
        "ExpirationDate",
        "AuthorizationKey",
        "MachineId",
    ),
    "This query returns the keys the license server serves.",
    "One row per key: the six fields of its [License] section.\n" + _SERVER,
    "()",
)
def license_server_key_list(ctx: Runtime) -> Iterator[Row]:
    yield from _rows(ctx, 6, lambda client, where: client.key_list(where))


@LICENSE.query(
    "LicenseManager",
    ("AddressPort", "Value"),
    "This query returns the active license server's address and port.",
    'One row: AddressPort "address port" and Value the configured name of the server; '
    '"Not connected to License Server" when none answers.' + _N_A,
    "()",
)
def license_manager(ctx: Runtime) -> Iterator[Row]:
    inst = instance_of(ctx)
    status = monitor.server_status(inst)
    if status:
        yield (status, "")
        return
    server = monitor.active_server(inst)
    assert server is not None
    yield (f"{server.address} {server.port}", server.name)
