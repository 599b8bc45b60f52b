"""cache.cpf: the instance's configuration file, sections of Name=Value lines.

Written through a temporary file and a rename, so a crash leaves the old file or the new one.
"""

from __future__ import annotations

from pathlib import Path

from cacheshell.system.bounded import CPF_FILE_BYTES
from cacheshell.system.files import write_atomically
from cacheshell.system.ini import read_ini
from cacheshell.system.instance_files import read_text, writing
from cacheshell.version import CACHE_CONFIG_VERSION

CPF_FILE = "cache.cpf"

# Caché's default configuration names one license server, on this host at port 4001: "LOCAL=
# 127.0.0.1,4001 - Default" (Caché Parameter File Reference, [LicenseServers],
# https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=RCPF_LicenseServers_n).
DEFAULT_LICENSE_SERVER = ("LOCAL", "127.0.0.1,4001")

DEFAULT_CPF = {
    "ConfigFile": {"Product": "Cache", "Version": CACHE_CONFIG_VERSION},
    "Startup": {"IPv6": "0", "SystemMode": "", "DefaultSecurity": "Minimal", "WebServer": "1"},
    "config": {"gmheap": "37568"},  # KB of generic memory heap the license table can grow into
    "LicenseServers": dict([DEFAULT_LICENSE_SERVER]),
}


class Cpf:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.sections: dict[str, dict[str, str]] = {}
        if path.exists():
            self.sections = parse_cpf(read_text(path, CPF_FILE_BYTES, "cache.cpf"))

    def get(self, section: str, name: str, default: str = "") -> str:
        return self.sections.get(section, {}).get(name, default)

    def section(self, section: str) -> dict[str, str]:
        return dict(self.sections.get(section, {}))

    def set(self, section: str, name: str, value: str) -> None:
        self.sections.setdefault(section, {})[name] = value

    def remove(self, section: str, name: str) -> bool:
        return self.sections.get(section, {}).pop(name, None) is not None

    def save(self) -> None:
        with writing(self.path):
            write_atomically(self.path, render_cpf(self.sections))

    @classmethod
    def create(cls, path: Path, license_servers: dict[str, str] | None = None) -> Cpf:
        """A new configuration: Caché's defaults, with `license_servers` (NAME -> "address,port")
        in place of the default [LicenseServers] section when given."""
        cpf = cls(path)
        for section, values in DEFAULT_CPF.items():
            if section == "LicenseServers" and license_servers is not None:
                values = license_servers
            for name, value in values.items():
                cpf.set(section, name, value)
            cpf.sections.setdefault(section, {})
        cpf.save()
        return cpf


def parse_cpf(text: str) -> dict[str, dict[str, str]]:
    """Name -> value per section; a repeated section adds to the first, the last value wins,
    and a line without '=' or before any section is ignored."""
    sections: dict[str, dict[str, str]] = {}
    for section in read_ini(text).sections:
        values = sections.setdefault(section.name, {})
        for line in section.lines:
            entry = line.entry()
            if entry is not None:
                values[entry[0]] = entry[1].strip()
    return sections


def render_cpf(sections: dict[str, dict[str, str]]) -> str:
    blocks = []
    for section, values in sections.items():
        lines = [f"[{section}]"] + [f"{name}={value}" for name, value in values.items()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
