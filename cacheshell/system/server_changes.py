"""An administrator's changes to the license servers of an instance (Config.LicenseServers and
the portal's License Servers page make them): cache.cpf changed by server_config's rules, and
one console log line for each, which says what changed and that a restart may be needed."""

from __future__ import annotations

from cacheshell.system import server_config
from cacheshell.system.console import INFO
from cacheshell.system.instance import Instance
from cacheshell.system.server_config import LicenseServer


def note(instance: Instance, what: str) -> str:
    """Log what changed with the restart note; the line's text (without its stamp)."""
    text = f"{what}. {server_config.RESTART_NOTE}"
    instance.log.write(text, INFO)
    return text


def add(instance: Instance, name: str, address: str, port: object) -> tuple[LicenseServer, str]:
    """Configure a new server; ServerConfigError says why it cannot be."""
    server = server_config.create(instance.cpf(), name, address, port)
    return server, note(instance, f"License server {server.name} added ({_where(server)})")


def modify(
    instance: Instance, name: str, address: str | None, port: object
) -> tuple[LicenseServer, str]:
    """Change a server's address or port (None leaves it as it is)."""
    server = server_config.modify(instance.cpf(), name, address, port)
    return server, note(instance, f"License server {server.name} changed ({_where(server)})")


def delete(instance: Instance, name: str) -> str:
    server_config.delete(instance.cpf(), name)
    return note(instance, f"License server {name.upper()} deleted")


def _where(server: LicenseServer) -> str:
    return f"{server.address},{server.port}"
