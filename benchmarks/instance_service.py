"""One-shot start-up with a license server of this host configured, against one without: the
instance's service starts and supervises the server, so a session only attaches (target: no
more than 10% slower). Each figure runs in a home of its own; both instances are stopped at the
end, and with them the server."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEATS = 9
ONE_SHOT = ["-U", "USER", "Write 1"]


def _free_port(kind: socket.SocketKind) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _home(env: dict[str, str], prefix: str) -> dict[str, str]:
    """A scratch home whose new instance has a license server port and a portal port of its own.

    One port for both homes made the plain instance's first start take it with a server that
    answers only the plain home's secret; the served instance then refused the port as held by
    a program that is not its license server, and tried again only a minute later."""
    return dict(
        env,
        CACHESHELL_HOME=tempfile.mkdtemp(prefix=prefix),
        CACHESHELL_LICENSE_PORT=str(_free_port(socket.SOCK_DGRAM)),
        CACHESHELL_WEB_PORT=str(_free_port(socket.SOCK_STREAM)),
    )


def _run(cacheshell: str, env: dict[str, str], *args: str) -> None:
    subprocess.run([cacheshell, *args], env=env, check=True, capture_output=True, timeout=120)


def _median(cacheshell: str, env: dict[str, str]) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        _run(cacheshell, env, *ONE_SHOT)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _answering(port: int, home: str, timeout: float = 30.0) -> None:
    from cacheshell.system.domain_secret import home_secret
    from cacheshell.system.licserver.client import is_answering

    secret = home_secret(Path(home))  # the served instance's home: its server reads the same
    deadline = time.monotonic() + timeout
    while not is_answering("127.0.0.1", port, 0.5, secret=secret):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no license server came up on port {port}")


def measure(cacheshell: str, env: dict[str, str]) -> list[tuple[str, str, str, float, str]]:
    plain = _home(env, "cacheshell-bench-plain-")
    served = _home(env, "cacheshell-bench-served-")
    try:
        for home in (plain, served):
            _run(cacheshell, home, *ONE_SHOT)  # creates and starts the instance
        # The plain instance without its default license server; the served one keeps it.
        _run(cacheshell, plain, "servers", "delete", "LOCAL")
        _run(cacheshell, plain, "control", "restart", "CACHE")
        _answering(int(served["CACHESHELL_LICENSE_PORT"]), served["CACHESHELL_HOME"])
        without = _median(cacheshell, plain)
        with_server = _median(cacheshell, served)
    finally:
        for home in (plain, served):
            subprocess.run(
                [cacheshell, "control", "stop", "CACHE"], env=home, capture_output=True, timeout=120
            )
            shutil.rmtree(home["CACHESHELL_HOME"], ignore_errors=True)
    return [
        (
            "start-up, local server (s)",
            f"{with_server:.3f}",
            f"no server configured {without:.3f}",
            with_server / without,
            "<= 1.1x",
        )
    ]


if __name__ == "__main__":
    exe = shutil.which("cacheshell", path=str(Path(sys.executable).parent)) or "cacheshell"
    for figure in measure(exe, dict(os.environ)):
        print(figure)
