"""Where an instance's private web server (the Management Portal) listens: [Startup] in cache.cpf.

Caché's private web server listens on 57772 for the first instance of a host and on the next
free port for each next one (`ccontrol list`: "WebServer = 57772"). A new instance here gets the
lowest port from 57772 up that no other instance of its home names and nothing on this host
holds now; it keeps that port for its life: a cache.cpf made again (deleted, or its port
spoiled) gets back the port the web server last had, kept in the instance's store. It listens
on 127.0.0.1 unless [Startup] WebServerAddress says otherwise, and not at all with WebServer=0.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import NamedTuple

from cacheshell.system.cpf import CPF_FILE, Cpf
from cacheshell.system.instance_files import InstanceFileError

FIRST_PORT = 57772
# Where a new instance's search for a free port starts instead of 57772 (as
# CACHESHELL_LICENSE_PORT moves the default license server): a second install on the host, or
# a test suite, keeps clear of the instances already there.
PORT_VARIABLE = "CACHESHELL_WEB_PORT"
LAST_PORT = 65535
DEFAULT_ADDRESS = "127.0.0.1"
SECTION = "Startup"
HOME_PAGE = "/csp/sys/UtilHome.csp"
# Store state: the portal's address while the web server listens ("" once it stopped).
PORTAL_URL = "portal_url"
# Store state: why the web server does not listen since the start ("" while it listens).
PORTAL_DOWN = "portal_down"
# Store state: the port the web server last listened on, which a cache.cpf made again keeps.
WEB_PORT = "web_port"
DISABLED = "disabled ([Startup] WebServer=0)"


class WebServer(NamedTuple):  # a NamedTuple: the service's start needs no dataclasses
    enabled: bool
    address: str
    port: int | None  # None: none configured (an instance made before the portal existed)

    @property
    def url(self) -> str:
        """The portal's home page, as a browser on this host reaches it."""
        host = "127.0.0.1" if self.address in ("", "0.0.0.0") else self.address
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}{HOME_PAGE}"


def _port(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= LAST_PORT else None


def settings(cpf: Cpf) -> WebServer:
    """The configured web server; a port that is not one reads as none configured."""
    enabled = cpf.get(SECTION, "WebServer", "1").strip() != "0"
    address = cpf.get(SECTION, "WebServerAddress", DEFAULT_ADDRESS).strip() or DEFAULT_ADDRESS
    return WebServer(enabled, address, _port(cpf.get(SECTION, "WebServerPort", "")))


def invalid_port(cpf: Cpf) -> str | None:
    """The WebServerPort value when cache.cpf has one that is not a port (abc, 0, 70000, an
    empty value); None when it is a port or there is none."""
    text = cpf.sections.get(SECTION, {}).get("WebServerPort")
    return None if text is None or _port(text) is not None else text


def _ports_named(home: Path, besides: Path) -> set[int]:
    """The web server ports the other instances of a home have in their cache.cpf."""
    taken: set[int] = set()
    if not home.is_dir():
        return taken
    for entry in home.iterdir():
        path = entry / "mgr" / CPF_FILE
        if entry == besides or not path.is_file():
            continue
        try:
            port = settings(Cpf(path)).port
        except (InstanceFileError, OSError, UnicodeError):
            continue  # an unreadable configuration names nothing
        if port is not None:
            taken.add(port)
    return taken


def port_free(address: str, port: int) -> bool:
    """Whether a TCP listener could bind (address, port) now."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


def first_port(environ: dict[str, str] | None = None) -> int:
    """57772, or the port $CACHESHELL_WEB_PORT names (a value that is not a port is ignored)."""
    wanted = _port((os.environ if environ is None else environ).get(PORT_VARIABLE, ""))
    return wanted if wanted is not None and wanted >= 1024 else FIRST_PORT


def next_port(home: Path, directory: Path, address: str = DEFAULT_ADDRESS) -> int:
    """The port a new instance at `directory` gets: the first from 57772 (or
    $CACHESHELL_WEB_PORT) that no other instance of the home names and that is free here."""
    taken = _ports_named(home, directory)
    start = first_port()
    for port in range(start, LAST_PORT + 1):
        if port not in taken and port_free(address, port):
            return port
    raise OSError(f"no free TCP port from {start} up for the web server")


def assign(cpf: Cpf, home: Path, directory: Path, kept: int | None = None) -> WebServer:
    """Give a configuration without a web server port its port (and save it): `kept`, the port
    the instance's web server last had (it may hold it now), unless another instance of the
    home names it; else the next free one. A file deleted meanwhile is left to
    Instance.restore_configuration, which makes it whole: a cache.cpf of one section would pass
    for the instance's configuration."""
    current = settings(cpf)
    if current.port is not None or not cpf.path.exists():
        return current
    if kept is not None and _port(str(kept)) and kept not in _ports_named(home, directory):
        port = kept
    else:
        port = next_port(home, directory, current.address)
    cpf.set(SECTION, "WebServerPort", str(port))
    cpf.sections[SECTION].setdefault("WebServer", "1")
    cpf.save()
    return settings(cpf)


def portal_line(url: str, down: str, where: str = "see the console log") -> str:
    """Where the portal is, as `control start` and the terminal's banner say it: its address,
    disabled, or not listening and why (`down`, from the store), and where to read more."""
    if url:
        return f"Management Portal: {url}"
    if down == DISABLED:
        return f"Management Portal: {DISABLED}"
    return f"Management Portal: not listening ({f'{down}; ' if down else ''}{where})"
