"""Failover time (run alone: `python benchmarks/failover.py`): 3 license servers on loopback, 4
instances sharing one Multiserver key with 100 simulated users each, their services running
their license monitors; SIGKILL the active server and time until every instance records the
second server as active. In update periods, the worst and the median of RUNS runs, each from
scratch (the target holds for every run); the baseline is FAILOVER_PERIODS, the periods of
silence after which a monitor gives a server up.
"""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from homes import remove_home

from cacheshell.system import lifecycle, monitor, server_config
from cacheshell.system.authkey import current_platform_code
from cacheshell.system.cpf import Cpf
from cacheshell.system.domain_secret import home_secret, secret_path
from cacheshell.system.instance import CPF_FILE, Instance
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.keys import KeySpec, issue_from_spec
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.licserver.client import FAILOVER_PERIODS
from cacheshell.system.signing import training_private_key
from cacheshell.system.world import World

PERIOD = 0.5
RUNS = 5
INSTANCES = ("ONE", "TWO", "THREE", "FOUR")
USERS = 100
KEY = issue_from_spec(
    KeySpec(units=500, multi=True, order_number=300002),
    training_private_key(),
    current_platform_code(),
)


def start_server(
    directory: Path, env: dict[str, str], secret_file: Path
) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cacheshell",
            "license-server",
            "--address",
            "127.0.0.1",
            "--port",
            "0",
            "--dir",
            str(directory),
            "--period",
            str(PERIOD),
            "--idle-exit",
            "120",
            "--secret-file",
            str(secret_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    if not found:
        process.kill()
        process.wait()
        raise RuntimeError(f"license server did not start: {line!r}")
    return process, int(found.group(1))


def wait_for(condition: Callable[[], bool], timeout: float = 60.0, step: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the instances did not settle")
        time.sleep(step)


def one_run(env: dict[str, str]) -> float:
    """Seconds from the SIGKILL of the active server to every instance on the next one."""
    home = Path(tempfile.mkdtemp(prefix="cacheshell-failover-bench-"))
    servers: list[tuple[subprocess.Popen[str], int]] = []
    layouts: list[InstanceLayout] = []
    instances: list[Instance] = []
    try:
        home_secret(home)  # the instances' license domain secret: the servers read it too
        servers = [start_server(home / f"ls{n}", env, secret_path(home)) for n in (1, 2, 3)]
        labels = [f"LS{n} 127.0.0.1 {port}" for n, (_, port) in enumerate(servers, 1)]
        # A new instance's default LOCAL line names the first of them, not the host's 4001.
        os.environ["CACHESHELL_LICENSE_PORT"] = str(servers[0][1])
        for number, name in enumerate(INSTANCES, 1):
            layout = InstanceLayout(home, name)
            lifecycle.create(layout, key_text=render_key_file(KEY.file))[0].store.close()
            cpf = Cpf(layout.mgr / CPF_FILE)
            cpf.set("config", "LicenseUpdatePeriod", str(PERIOD))
            cpf.save()
            server_config.delete(cpf, "LOCAL")  # the benchmark's servers only
            for n, (_, port) in enumerate(servers, 1):
                server_config.create(cpf, f"LS{n}", "127.0.0.1", port)
            instance = Instance(layout)
            instances.append(instance)
            world = World(instance)
            for user in range(USERS):
                world.connect_user(f"u{user}", f"10.0.{number}.1")
            layouts.append(layout)
        total = USERS * len(INSTANCES)

        def on(label: str) -> bool:
            return all(i.store.get("active_server") == label for i in instances)

        wait_for(
            lambda: on(labels[0]) and all(i.store.get("dist_current") == total for i in instances)
        )
        time.sleep(PERIOD)  # a steady period, not the moment the last report came in
        # Held down, as the training world holds a killed server: no instance starts it again.
        monitor.hold_down(
            home, server_config.LicenseServer("LS1", "127.0.0.1", servers[0][1]), True
        )
        killed_at = time.monotonic()
        servers[0][0].send_signal(signal.SIGKILL)
        wait_for(lambda: on(labels[1]), step=0.002)
        return time.monotonic() - killed_at
    finally:
        for instance in instances:
            instance.store.close()
        for process, _ in servers:
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()
        remove_home(home)


def measure(env: dict[str, str]) -> list[tuple[str, str, str, float, str]]:
    """The figures as rows: (name, value, baseline, ratio, target)."""
    runs = [one_run(env) / PERIOD for _ in range(RUNS)]
    worst, median = max(runs), statistics.median(runs)
    every = " ".join(f"{run:.2f}" for run in runs)
    return [
        (
            f"failover worst of {RUNS} (periods)",
            f"{worst:.2f}",
            f"FAILOVER_PERIODS {FAILOVER_PERIODS}",
            worst / FAILOVER_PERIODS,
            f"<= 2 periods in every run ({every})",
        ),
        (
            f"failover median of {RUNS} (periods)",
            f"{median:.2f}",
            f"FAILOVER_PERIODS {FAILOVER_PERIODS}",
            median / FAILOVER_PERIODS,
            "",
        ),
    ]


if __name__ == "__main__":
    for name, value, baseline, ratio, target in measure(dict(os.environ)):
        print(f"{name:<28} {value:>14} {baseline:>28} {ratio:>8.2f}x  {target}")
