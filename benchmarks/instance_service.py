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
import tempfile
import time
from pathlib import Path

REPEATS = 9
ONE_SHOT = ["-U", "USER", "Write 1"]


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
    port = _free_udp_port()
    base_env = dict(env, CACHESHELL_LICENSE_PORT=str(port))
    plain = dict(base_env, CACHESHELL_HOME=tempfile.mkdtemp(prefix="cacheshell-bench-plain-"))
    served = dict(base_env, CACHESHELL_HOME=tempfile.mkdtemp(prefix="cacheshell-bench-served-"))
    try:
        for home in (plain, served):
            _run(cacheshell, home, *ONE_SHOT)  # creates and starts the instance
        # The plain instance without its default license server; the served one keeps it.
        _run(cacheshell, plain, "servers", "delete", "LOCAL")
        _run(cacheshell, plain, "control", "restart", "CACHE")
        _answering(port, served["CACHESHELL_HOME"])
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
    exe = shutil.which("cacheshell") or "cacheshell"
    for figure in measure(exe, dict(os.environ)):
        print(figure)
