"""The configured license servers as a list shows them, with the one the monitor uses marked:
"The row of the active license server is shaded when there are more than one license servers
configured for this instance" (the chapter's "Configure License Servers")."""

from __future__ import annotations

from dataclasses import dataclass

from cacheshell.system.server_config import LicenseServer


@dataclass(frozen=True)
class ListedServer:
    server: LicenseServer
    active: bool  # the server the monitor last reached
    marked: bool  # shown as the active one: only when there is a choice


def listed(configured: list[LicenseServer], active: LicenseServer | None) -> list[ListedServer]:
    choice = len(configured) > 1
    return [
        ListedServer(server, _same(server, active), choice and _same(server, active))
        for server in configured
    ]


def _same(server: LicenseServer, active: LicenseServer | None) -> bool:
    return active is not None and (
        (server.name, server.address.lower(), server.port)
        == (active.name, active.address.lower(), active.port)
    )
