"""The versions, each written once: this build's (pyproject reads it from here) and the Caché
release the model answers as ($ZVERSION, %SYSTEM.Version, cache.cpf, ccontrol list)."""

from __future__ import annotations

import os

__version__ = "0.1.0"

# A real Caché release and its build, as $ZVERSION shows them; "U" marks a Unicode build.
CACHE_PRODUCT = "Cache"
CACHE_VERSION_NUMBER = "2018.1.5"
CACHE_BUILD = "659U"
CACHE_BUILD_DATE = "Mon Mar 22 2021 07:03:57 EDT"

# cache.cpf's [ConfigFile] Version: the release's major.minor.
CACHE_CONFIG_VERSION = ".".join(CACHE_VERSION_NUMBER.split(".")[:2])
# ccontrol list's versionid: the release, the build number, and the maintenance level.
CACHE_VERSION_ID = f"{CACHE_VERSION_NUMBER}.{CACHE_BUILD.rstrip('U')}.0"


def zversion(system: str | None = None, machine: str | None = None) -> str:
    """$ZVERSION: the kit for this platform, as Caché names its kits, and the release."""
    if system is None or machine is None:
        here = _system_and_machine()
        system = here[0] if system is None else system
        machine = here[1] if machine is None else machine
    machine = machine.lower()
    arch = {"x86_64": "x86-64", "amd64": "x86-64", "aarch64": "ARM64", "arm64": "ARM64"}.get(
        machine, machine
    )
    if system == "Windows":
        kit = f"Windows ({arch})"
    elif system == "Darwin":
        kit = f"UNIX (Apple Mac OS X for {arch})"
    elif system == "Linux":
        kit = f"UNIX (Ubuntu Server LTS for {arch})"
    else:
        kit = f"UNIX ({system} for {arch})"
    return (
        f"{CACHE_PRODUCT} for {kit} {CACHE_VERSION_NUMBER} (Build {CACHE_BUILD}) {CACHE_BUILD_DATE}"
    )


def _system_and_machine() -> tuple[str, str]:
    """platform.system() and platform.machine(), without importing platform where os.uname()
    gives both (every POSIX system)."""
    if hasattr(os, "uname"):
        uname = os.uname()
        return uname.sysname, uname.machine
    import platform

    return platform.system(), platform.machine()
