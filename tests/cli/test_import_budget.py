"""The one-shot imports only what its command needs: `cacheshell -U USER 'Write 1'` on a running
instance loads no ObjectScript class, no cryptography, no license-server code and no front end
but the command line. Each entry below says why the one-shot has no use for it; an import that
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
ALLOWED = {"cacheshell.library.host"}

# Runs the console script's main in this interpreter, then lists what it imported.
PROBE = """\
import sys
from cacheshell.frontends.cli import main
status = main(["-U", "USER", sys.argv[1]])
print("\\n--modules--")
print("\\n".join(sorted(sys.modules)))
sys.exit(status)
"""


def _reason(module: str) -> str | None:
    """Why the one-shot should not have imported `module`; None when it may."""
    if module in ALLOWED:
        return None
    for entry, reason in FORBIDDEN.items():
        prefix = entry if entry.endswith(".") else entry + "."
        if module == entry or module.startswith(prefix):
            return reason
    return None


def _one_shot_modules(code: str, cwd: Path) -> tuple[str, list[str]]:
    """The one-shot's output and the modules it imported, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, code],
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
    shown, modules = _one_shot_modules(code, running_instance)
    unneeded = {m: reason for m in modules if (reason := _reason(m)) is not None}
    assert (shown, set(unneeded)) == (output, loaded), unneeded
