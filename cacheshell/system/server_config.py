"""The license servers an instance is configured to use: cache.cpf's [LicenseServers] section,
`NAME=address,port`, names upper-cased, in configured order (the order failover follows)."""

from __future__ import annotations

import ipaddress
import os
import re
from typing import NamedTuple

from cacheshell.system.cpf import DEFAULT_LICENSE_SERVER, Cpf

SECTION = "LicenseServers"
DEFAULT_PORT = 4001
# The UDP port of the license server a new instance is configured with (its LOCAL line), when
# not Caché's 4001: for a host where 4001 is taken, or installs that must not share a server
# (a test run beside a developer's own instances).
PORT_VARIABLE = "CACHESHELL_LICENSE_PORT"
PORT_RANGE = (1024, 65535)
# The chapter's own words ("Configure License Servers"), for the portal, the CLI and the log.
RESTART_NOTE = (
    "After adding or deleting a license server, you may need to restart the Caché instance "
    "in order for the change to take effect."
)
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_NAME = re.compile(r"[A-Za-z0-9_%][A-Za-z0-9_.%-]*")


class ServerConfigError(ValueError):
    """A license server definition that cannot be saved, with the reason."""


class LicenseServer(NamedTuple):  # a NamedTuple: the service's start needs no dataclasses
    name: str
    address: str
    port: int = DEFAULT_PORT


def default_section(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The [LicenseServers] section of a new instance: Caché's LOCAL=127.0.0.1,4001, at the port
    $CACHESHELL_LICENSE_PORT names when set. A value that is not a port is refused."""
    name, value = DEFAULT_LICENSE_SERVER
    wanted = (os.environ if environ is None else environ).get(PORT_VARIABLE, "").strip()
    if not wanted:
        return {name: value}
    try:
        port = check_port(wanted)
    except ServerConfigError as exc:
        raise ServerConfigError(f"{PORT_VARIABLE}={wanted}: {exc}") from None
    return {name: f"{value.partition(',')[0]},{port}"}


def read(cpf: Cpf) -> tuple[list[LicenseServer], list[str]]:
    """The usable servers, and a problem for each line that is not used. A line is checked as
    Create checks a new server, so a hand-edited line Create would refuse (port 0, 99999, a bad
    address, a second server at one address and port) is left in the file but never used."""
    found: list[LicenseServer] = []
    problems: list[str] = []
    for name, value in cpf.section(SECTION).items():
        try:
            server = _parse(cpf, name, value)
            for other in found:
                if other.name == server.name:
                    raise ServerConfigError(f"License server {server.name} is defined twice")
                if (other.address.lower(), other.port) == (server.address.lower(), server.port):
                    raise ServerConfigError(
                        f"License server {other.name} already uses "
                        f"{server.address} port {server.port}"
                    )
        except ServerConfigError as exc:
            problems.append(f"[{SECTION}] {name}={value} is not used: {exc}")
            continue
        found.append(server)
    return found, problems


def _parse(cpf: Cpf, name: str, value: str) -> LicenseServer:
    address, _, port = value.partition(",")
    if not _NAME.fullmatch(name):
        raise ServerConfigError(f"'{name}' is not a valid license server name")
    check_address(address.strip(), _ipv6(cpf))
    return LicenseServer(name.upper(), address.strip(), check_port(port.strip() or DEFAULT_PORT))


def servers(cpf: Cpf) -> list[LicenseServer]:
    """The servers the instance uses, in configured order; lines with problems are left out."""
    return read(cpf)[0]


def problems(cpf: Cpf) -> list[str]:
    """Why each [LicenseServers] line that is not used is not, in configured order."""
    return read(cpf)[1]


def find(cpf: Cpf, name: str) -> LicenseServer | None:
    return next((s for s in servers(cpf) if s.name == name.upper()), None)


def is_name(name: str) -> bool:
    """Whether a license server may be named so."""
    return bool(_NAME.fullmatch(name))


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


def not_a_port_number(port: object) -> ServerConfigError:
    return ServerConfigError(f"Port '{port}' is not a number")


def check_port(port: object) -> int:
    try:
        number = int(str(port))
    except ValueError:
        raise not_a_port_number(port) from None
    low, high = PORT_RANGE
    if not low <= number <= high:
        raise ServerConfigError(f"Port {number} is outside {low}-{high}")
    return number


def _ipv6(cpf: Cpf) -> bool:
    return cpf.get("Startup", "IPv6", "0") == "1"


def _validate(cpf: Cpf, server: LicenseServer, replacing: str | None) -> None:
    if not server.name:
        raise ServerConfigError("The name of a license server is required")
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
    """Change a server's address or port; a line that is not used can be mended this way."""
    line = _line(cpf, name)
    if line is None:
        raise ServerConfigError(f"License server {name.upper()} does not exist")
    key, value = line
    old_address, _, old_port = value.partition(",")
    server = LicenseServer(
        key.upper(),
        (old_address if address is None else address).strip(),
        check_port(old_port.strip() or DEFAULT_PORT if port is None else port),
    )
    _validate(cpf, server, server.name)
    # In place, so the failover order stays; the line's name is written upper-cased.
    rebuilt = {}
    for other, text in cpf.section(SECTION).items():
        if other == key:
            rebuilt[server.name] = f"{server.address},{server.port}"
        elif other.upper() != server.name:
            rebuilt[other] = text
    cpf.sections[SECTION] = rebuilt
    cpf.save()
    return server


def _line(cpf: Cpf, name: str) -> tuple[str, str] | None:
    """The [LicenseServers] line of that name as written (names match in any case)."""
    wanted = name.upper()
    return next(((k, v) for k, v in cpf.section(SECTION).items() if k.upper() == wanted), None)


def delete(cpf: Cpf, name: str) -> None:
    """Remove the server's line, a line that is not used included (names match in any case)."""
    lines = [key for key in cpf.section(SECTION) if key.upper() == name.upper()]
    if not lines:
        raise ServerConfigError(f"License server {name.upper()} does not exist")
    for key in lines:
        cpf.remove(SECTION, key)
    cpf.save()
