"""What the license server says about the active key, as plain rows: the Summary query's local
and distributed numbers and the server's connection lists.

The %SYSTEM.License members (ShowSummary, the Summary and ConnectionList queries, the server
dumps) and the Management Portal's License Usage page build on these, so they agree. Without an
active server, or with a key to which servers do not apply, the rows say why in their first cell.
"""

from __future__ import annotations

from collections.abc import Callable

from cacheshell.system import monitor
from cacheshell.system.domain_secret import SecretFileError
from cacheshell.system.instance import Instance
from cacheshell.system.license_counts import active_users, user_processes
from cacheshell.system.licserver.client import ServerAddress
from cacheshell.system.licserver.protocol import Row as ServerRow
from cacheshell.system.server_config import LicenseServer

SUMMARY_COLUMNS = ("LicenseUnitUse", "Local", "Distributed")
CONNECTION_COLUMNS = ("UserId", "LicenseUnits", "Connections", "ServerIP", "Instance")

# A question to the license server: its rows, or None when it did not answer.
Ask = Callable[[monitor.InstanceClient, ServerAddress], list[ServerRow] | None]


def connected(instance: Instance) -> bool:
    """Whether the instance's monitor has an active license server now (the portal's
    $$GetLicenseServer^%SYS.LICENSE()'="/")."""
    return monitor.active_server(instance, wait=False) is not None


def client_for(inst: Instance) -> tuple[monitor.InstanceClient, LicenseServer] | None:
    """A client for the active server, or None when there is none to ask."""
    key = inst.active_key()
    server = monitor.active_server(inst)
    if key is None or not key.is_multiserver or server is None:
        return None
    try:
        client = monitor.InstanceClient(inst, key, monitor.update_period(inst))
    except SecretFileError:
        return None  # the monitor, which reads it too, says what is wrong in the console log
    return client, server


def local_use(inst: Instance) -> dict[str, int]:
    """This instance's side of ShowSummary: units, connections and users, now and at most."""
    store = inst.store
    db = store.db
    return {
        "current": int(store.get("consumed", 0)),
        "maximum": int(store.get("max_consumed", 0)),
        "authorized": int(store.get("capacity", 0)),
        "connections": user_processes(db),
        "max_connections": int(store.get("max_processes", 0)),
        "users": active_users(db),
        "max_users": int(store.get("max_users", 0)),
    }


def distributed_use(inst: Instance) -> dict[str, str | int] | None:
    """The license server's summary of the key; what the last update brought back when the
    server does not answer now; None when there is no server to ask."""
    found = client_for(inst)
    if found is None:
        return None
    client, server = found
    with client:
        summary = client.summary((server.address, server.port))
    if summary is None:
        store = inst.store
        return {
            "current": int(store.get("dist_current", 0)),
            "maximum": int(store.get("dist_maximum", 0)),
            "authorized": int(store.get("dist_authorized", 0)),
            "enforced": int(store.get("dist_authorized", 0)),
            "connections": 0,
            "max_connections": 0,
        }
    return summary


def summary_rows(inst: Instance) -> list[tuple[str, str, str]]:
    """The Summary query: (LicenseUnitUse, Local, Distributed) per count, or one row saying
    why the license server cannot be asked."""
    status = monitor.server_status(inst)
    if status:
        return [(status, "", "")]
    dist = distributed_use(inst)
    if dist is None:
        return [(monitor.NOT_CONNECTED, "", "")]
    local = local_use(inst)
    return [
        (label, str(mine), str(theirs))
        for label, mine, theirs in (
            ("Current License Units Used ", local["current"], dist["current"]),
            ("Maximum License Units Used ", local["maximum"], dist["maximum"]),
            ("License Units     Enforced ", local["authorized"], dist["enforced"]),
            ("License Units   Authorized ", local["authorized"], dist["authorized"]),
            ("Current Connections ", local["connections"], dist["connections"]),
            ("Maximum Connections ", local["max_connections"], dist["max_connections"]),
        )
    ]


def server_rows(inst: Instance, width: int, ask: Ask) -> list[tuple[str, ...]]:
    """The rows a server query returns, as text; one row saying why when there are none."""
    status = monitor.server_status(inst)
    if status:
        return [(status, *([""] * (width - 1)))]
    found = client_for(inst)
    rows = None
    if found is not None:
        client, server = found
        with client:
            rows = ask(client, (server.address, server.port))
    if rows is None:
        return [(monitor.NOT_CONNECTED, *([""] * (width - 1)))]
    return [tuple(str(cell) for cell in row) for row in rows]


def unavailable(inst: Instance) -> str:
    """Why the license server cannot be asked now ("" when it can), without waiting for a
    just-started monitor's first cycle."""
    return monitor.server_status(inst, wait=False)


def connection_page(inst: Instance, first: int, count: int) -> tuple[list[tuple[str, ...]], int]:
    """`count` rows of the ConnectionList query from the `first` (0-based) on, and how many it
    has in all; as connection_rows, one row saying why when the server cannot be asked."""
    total = 0

    def ask(client: monitor.InstanceClient, where: ServerAddress) -> list[ServerRow] | None:
        nonlocal total
        found = client.connection_page(where, first, count)
        if found is None:
            return None
        rows, total = found
        return rows

    rows = server_rows(inst, len(CONNECTION_COLUMNS), ask)
    return rows, max(total, len(rows))


def connection_rows(inst: Instance) -> list[tuple[str, ...]]:
    """The ConnectionList query: the license server's connections for the active key."""
    return server_rows(
        inst, len(CONNECTION_COLUMNS), lambda client, where: client.connection_list(where)
    )
