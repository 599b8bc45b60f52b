"""Start a background process detached from the caller: its own session (no terminal), no
zombie left for the caller to reap, its output appended to a file.

A tiny launcher in between makes the new process a grandchild: the launcher exits at once (the
caller reaps it) and the grandchild is reparented to init, so a long-lived caller (a kernel, a
test run) never collects zombies and a one-shot caller may exit freely.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

# argv: cwd, output file ("" for none), the fds to keep (comma list), then the command.
# An output file that cannot be opened (read-only, disk full) costs the output, not the start.
# Every process started so lives in an instance's mgr/ (its service, a license server): what it
# creates is owner-only, whatever the caller's umask (077 at least).
_LAUNCHER = """
import os, subprocess, sys
os.umask(os.umask(0o077) | 0o077)
devnull, output = subprocess.DEVNULL, sys.argv[2]
try:
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    sink = open(os.open(output, flags, 0o600), "ab", buffering=0) if output else devnull
except OSError:
    sink = devnull
keep = tuple(int(fd) for fd in sys.argv[3].split(",") if fd)
child = subprocess.Popen(sys.argv[4:], cwd=sys.argv[1], stdin=devnull, stdout=sink,
    stderr=sink, start_new_session=True, close_fds=True, pass_fds=keep)
print(child.pid)
"""


def spawn_detached(
    command: Sequence[str],
    cwd: Path,
    output: Path | None = None,
    keep_fds: Sequence[int] = (),
    env_extra: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> int:
    """Start `command` in `cwd` detached from this process; its pid. `keep_fds` stay open in it
    (a lock it inherits, for instance); its stdout and stderr are appended to `output`; its
    environment is this one's with `env_extra` added."""
    env = dict(os.environ)
    env.update(env_extra or {})
    if env.get("PYTHONPATH"):  # the process runs elsewhere: keep relative imports working
        env["PYTHONPATH"] = os.pathsep.join(
            str(Path(entry).resolve()) for entry in env["PYTHONPATH"].split(os.pathsep)
        )
    done = subprocess.run(
        [
            sys.executable,
            "-S",  # the launcher uses the standard library only: no site-packages to set up
            "-c",
            _LAUNCHER,
            str(cwd),
            str(output) if output is not None else "",
            ",".join(str(fd) for fd in keep_fds),
            *command,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
        pass_fds=tuple(keep_fds),
    )
    return int(done.stdout.strip())
