"""Each command imports only what it needs: `cacheshell -U USER 'Write 1'` on a running instance
loads no ObjectScript class, no cryptography, no license-server code and no front end but the
command line; `cacheshell control stop` (run by every test that starts an instance) loads neither
the interpreter nor a key's modules; the instance's service loads its license monitor only once
the start's wait is over. Each entry below says why the command has no use for it; an import that
creeps back in (a module-level import of a heavy module) fails here, not in a benchmark."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Terminal

# Module (and its submodules) -> why a one-shot that names no class has no use for it.
FORBIDDEN = {
    "cryptography": "signatures are checked when a key is read at start or activated",
    "cacheshell.system.signing": "a session reads the active key's units from the store",
    "cacheshell.system.keys": "a session parses no key file",
    "cacheshell.system.authkey": "a session decodes no authorization key",
    "cacheshell.system.licserver": "the instance's monitor talks to license servers",
    "cacheshell.system.monitor": "it runs in the instance's service, not in a session",
    "cacheshell.system.settings": "gmheap is read by an upgrade, not by a session",
    "cacheshell.system.server_config": "cache.cpf's servers are written by a create",
    "cacheshell.system.web_config": "the portal's port is assigned by a create",
    "cacheshell.system.spawn": "only a start spawns the instance's service",
    "cacheshell.library.": "a class's modules load when code first names the class",
    "cacheshell.lang.dynamic": "%DynamicObject loads with the first JSON literal or %New",
    "cacheshell.frontends.repl": "a one-shot opens no terminal",
    "cacheshell.frontends.kernel": "Jupyter only",
    "cacheshell.frontends.magic": "IPython only",
    "cacheshell.frontends.portal": "the Management Portal runs in the instance's service",
    "prompt_toolkit": "the REPL's",
    "pygments": "the REPL's and the kernel's highlighting",
    "IPython": "the magics'",
    "ipykernel": "the kernel's",
    "starlette": "the portal's",
    "uvicorn": "the portal's",
    "jinja2": "the portal's",
    "matplotlib": "the usage plot's",
    "asyncio": "nothing in a one-shot is asynchronous",
    "subprocess": "only a start spawns a process",
    "platform": "$ZVERSION reads os.uname()",
    "socket": "$SYSTEM's host name is os.uname()'s too",
    "secrets": "a start and a new store mint tokens, a session none",
    "hmac": "only a password check compares digests",
}
# cacheshell.library itself (the table of class names) and library.host (the Protocol a Session
# implements) are the two library modules a session needs.
ALLOWED = frozenset({"cacheshell.library.host"})

# `control stop` of a running instance (its service ends the licenses and signs off): module
# (and its submodules) -> why the stop has no use for it. Measured with `python -X importtime -m
# cacheshell control stop CACHE`: these cost it ~50 ms (cryptography and the key's modules ~35).
STOP_FORBIDDEN = {
    "cryptography": "a stop checks no key's signature",
    "cacheshell.system.signing": "a stop checks no key's signature",
    "cacheshell.system.keys": "a stop reads no key",
    "cacheshell.system.keyfile": "a stop reads no key file (its error loads with a refusal)",
    "cacheshell.system.authkey": "a stop decodes no authorization key",
    "cacheshell.session": "a stop runs no ObjectScript (SYSTEM^%ZSTART runs at a start)",
    "cacheshell.lang.": "a stop runs no ObjectScript",
    "cacheshell.library.": "a stop names no class",
    "lark": "a stop parses no code",
    "cacheshell.system.license_table": "the service ends the licenses at its shutdown",
    "cacheshell.system.locks": "the service's shutdown releases the locks",
    "cacheshell.system.applications": "the service's shutdown unloads the applications",
    "cacheshell.system.monitor": "the service signs off from the license servers",
    "cacheshell.system.licserver": "the service signs off from the license servers",
    "cacheshell.system.web_config": "the portal line is printed by a start and a listing",
    "cacheshell.system.reports": "a listing's and the event log's",
    "cacheshell.system.usage": "the event log's",
    "cacheshell.system.spawn": "only a start spawns the service",
    "cacheshell.frontends.portal": "the service stops its own web server",
    "subprocess": "only a start spawns a process",
    "socket": "a stop signals the service; it sends nothing over a network",
    "dataclasses": "no value object a stop makes is one (the module and inspect: ~8 ms)",
    "json": "a stop reads no JSON",
    "secrets": "a stop mints no token",
    "asyncio": "nothing in a stop is asynchronous",
}

# The instance service's process, before it says it runs (lifecycle.start waits until it has):
# module -> why it loads later or never. Its module-level imports are checked, as the process's
# start imports them.
SERVICE_FORBIDDEN = {
    "cacheshell.system.monitor": "the monitor loads once the start's wait is over",
    "cacheshell.system.licserver": "the monitor's license-server client loads with it",
    "cryptography": "the datagrams' ciphers load with the monitor; the key is checked by start",
    "cacheshell.system.keys": "the key is read by the monitor's first cycle",
    "dataclasses": "the portal's and the servers' settings are NamedTuples (~8 ms)",
    "logging": "the web server's log handler is set up with the web stack",
    "uvicorn": "the web stack loads on the portal's first connection",
    "starlette": "the web stack loads on the portal's first connection",
    "asyncio": "the web server's loop starts on the portal's first connection",
    "cacheshell.session": "the service runs no ObjectScript",
    "cacheshell.lang.": "the service runs no ObjectScript",
    "cacheshell.library.": "the service names no class",
    "lark": "the service parses no code",
}

# Runs the console script's main in this interpreter, then lists what it imported.
PROBE = """\
import sys
from cacheshell.frontends.cli import main
status = main(sys.argv[1:])
print("\\n--modules--")
print("\\n".join(sorted(sys.modules)))
sys.exit(status)
"""
# Imports the instance service's process module, as `python -m` does, and lists what it loaded.
SERVICE_PROBE = """\
import sys
import cacheshell.frontends.instance_process
print("\\n--modules--")
print("\\n".join(sorted(sys.modules)))
"""


def _reason(
    module: str, forbidden: dict[str, str] = FORBIDDEN, allowed: frozenset[str] = frozenset()
) -> str | None:
    """Why the command should not have imported `module`; None when it may."""
    if module in allowed:
        return None
    for entry, reason in forbidden.items():
        prefix = entry if entry.endswith(".") else entry + "."
        if module == entry or module.startswith(prefix):
            return reason
    return None


def _command_modules(probe: str, argv: list[str], cwd: Path) -> tuple[str, list[str]]:
    """A command's output and the modules it imported, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", probe, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,  # not the source tree: the installed package, as the console script runs
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    output, _, modules = done.stdout.partition("\n--modules--\n")
    return output, modules.split()


@pytest.fixture
def running_instance(tmp_path: Path) -> Path:
    """The default instance, created and started (which mints its key) before the one-shot."""
    Terminal().close()
    return tmp_path


@pytest.mark.parametrize(
    ("code", "output", "loaded"),
    [
        ("Write 1", "1\n", set()),
        # Naming a class loads its modules, and only those: the check sees a lazy import.
        (
            "Write $System.Version.GetNumber()",
            "2018.1.5\n",
            {"cacheshell.library.system_version"},
        ),
    ],
)
def test_one_shot_imports_only_what_it_needs(
    running_instance: Path, code: str, output: str, loaded: set[str]
) -> None:
    shown, modules = _command_modules(PROBE, ["-U", "USER", code], running_instance)
    unneeded = {m: reason for m in modules if (reason := _reason(m, allowed=ALLOWED)) is not None}
    assert (shown, set(unneeded)) == (output, loaded), unneeded


def test_control_stop_imports_only_what_it_needs(running_instance: Path) -> None:
    shown, modules = _command_modules(PROBE, ["control", "stop", "CACHE"], running_instance)
    unneeded = {m: reason for m in modules if (reason := _reason(m, STOP_FORBIDDEN)) is not None}
    assert (shown, unneeded) == ("Instance 'CACHE' stopped\n", {})


def test_instance_service_loads_its_monitor_after_it_runs(tmp_path: Path) -> None:
    shown, modules = _command_modules(SERVICE_PROBE, [], tmp_path)
    unneeded = {m: reason for m in modules if (reason := _reason(m, SERVICE_FORBIDDEN)) is not None}
    assert (shown, unneeded) == ("", {})
