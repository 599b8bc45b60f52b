"""The license servers an instance is configured to use: cache.cpf's [LicenseServers] section,
`NAME=address,port`, names upper-cased, in configured order (the order failover follows)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from cacheshell.system.cpf import Cpf

SECTION = "LicenseServers"
DEFAULT_PORT = 4001
PORT_RANGE = (1024, 65535)
RESTART_NOTE = (
    "After adding or deleting a license server you may need to restart the "
    "instance for the change to take effect."
)
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_NAME = re.compile(r"[A-Za-z0-9_%][A-Za-z0-9_.%-]*")


class ServerConfigError(ValueError):
    """A license server definition that cannot be saved, with the reason."""


@dataclass(frozen=True)
class LicenseServer:
    name: str
    address: str
    port: int = DEFAULT_PORT


def servers(cpf: Cpf) -> list[LicenseServer]:
    found = []
    for name, value in cpf.section(SECTION).items():
        address, _, port = value.partition(",")
        try:
            found.append(LicenseServer(name, address.strip(), int(port or DEFAULT_PORT)))
        except ValueError:
            continue  # a hand-edited line that does not read is left alone, not used
    return found


def find(cpf: Cpf, name: str) -> LicenseServer | None:
    return next((s for s in servers(cpf) if s.name == name.upper()), None)


def check_address(address: str, ipv6_enabled: bool) -> None:
    if not address:
        raise ServerConfigError("The address of a license server is required")
    if ":" in address:
        if not ipv6_enabled:
            raise ServerConfigError(
                f"'{address}' is an IPv6 address, but IPv6 is not enabled for this instance"
            )
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            raise ServerConfigError(f"'{address}' is not a valid IPv6 address") from None
        return
    if re.fullmatch(r"[0-9.]+", address):
        try:
            ipaddress.IPv4Address(address)
        except ValueError:
            raise ServerConfigError(
                f"'{address}' is not a valid IPv4 address (dotted decimal, four numbers 0-255)"
            ) from None
        return
    labels = address.rstrip(".").split(".")
    if len(address) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise ServerConfigError(f"'{address}' is neither an IP address nor a host name")


def check_port(port: object) -> int:
    try:
        number = int(str(port))
    except ValueError:
        raise ServerConfigError(f"Port '{port}' is not a number") from None
    low, high = PORT_RANGE
    if not low <= number <= high:
        raise ServerConfigError(f"Port {number} is outside {low}-{high}")
    return number


def _ipv6(cpf: Cpf) -> bool:
    return cpf.get("Startup", "IPv6", "0") == "1"


def _validate(cpf: Cpf, server: LicenseServer, replacing: str | None) -> None:
    if not _NAME.fullmatch(server.name):
        raise ServerConfigError(f"'{server.name}' is not a valid license server name")
    check_address(server.address, _ipv6(cpf))
    check_port(server.port)
    for other in servers(cpf):
        if other.name == replacing:
            continue
        if other.address.lower() == server.address.lower() and other.port == server.port:
            raise ServerConfigError(
                f"License server {other.name} already uses "
                f"{server.address} port {server.port}: two servers at one "
                "address need different ports"
            )


def create(
    cpf: Cpf, name: str, address: str = "127.0.0.1", port: object = DEFAULT_PORT
) -> LicenseServer:
    server = LicenseServer(name.upper(), address.strip(), check_port(port))
    if find(cpf, server.name) is not None:
        raise ServerConfigError(f"License server {server.name} already exists")
    _validate(cpf, server, None)
    cpf.set(SECTION, server.name, f"{server.address},{server.port}")
    cpf.save()
    return server


def modify(cpf: Cpf, name: str, address: str | None = None, port: object = None) -> LicenseServer:
    current = find(cpf, name)
    if current is None:
        raise ServerConfigError(f"License server {name.upper()} does not exist")
    server = LicenseServer(
        current.name,
        current.address if address is None else address.strip(),
        current.port if port is None else check_port(port),
    )
    _validate(cpf, server, current.name)
    cpf.set(SECTION, server.name, f"{server.address},{server.port}")
    cpf.save()
    return server


def delete(cpf: Cpf, name: str) -> None:
    if not cpf.remove(SECTION, name.upper()):
        raise ServerConfigError(f"License server {name.upper()} does not exist")
    cpf.save()
