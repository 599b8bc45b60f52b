"""The Management Portal's pages with 10,000 entries in the license table, each beside its
query's own time as the baseline. Not a test: run it alone, or through benchmarks/run.py.

Figures (target from the issue in brackets):
  each page     the median time of a GET through Starlette's TestClient (in process: the
                server's work and the ASGI round trip, no network) of each License Usage view
                (and the License Key and Console Log pages when they exist), vs the median time
                of the system function its class query returns the rows of, all rows   [<= 50 ms]
  portal start  the web server's start, which reads the whole event history for the Summary's
                chart once, vs reading that history (event_rows)                         [once]
  first Summary the Summary's first view in a fresh portal, which brings that history up to
                date, vs reading the whole history (event_rows)                       [<= 50 ms]
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from license_store import started_instance
from timing import median_seconds

from cacheshell.system import server_usage, usage
from cacheshell.system.instance import Instance
from cacheshell.system.license_table import USER

ENTRIES = 10_000
BATCH = 1000
REPEATS = 7
PORT = 57772  # names the session cookie and the Host the portal answers to: nothing listens
BASE_URL = f"http://127.0.0.1:{PORT}"
Row = Callable[[str, str, str, float, str], None]


def filled_instance(home: Path) -> Instance:
    """A started instance with ENTRIES simulated clients, each its own license ID and process
    (as Training.World's clients are: no OS process behind them)."""
    instance = started_instance(home, "CACHE")
    table = instance.table
    for base in range(0, ENTRIES, BATCH):
        with instance.store.transaction():
            for n in range(base, base + BATCH):
                address = f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
                table.attach(1_000_000 + n, address, USER, address, "bench", os_pid=None)
    assert table.consumed() == ENTRIES
    return instance


def _login(client: object) -> None:
    form = client.get("/csp/sys/login.csp").text  # type: ignore[attr-defined]
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token is not None
    client.post(  # type: ignore[attr-defined]
        "/csp/sys/login.csp",
        data={"csrf": token.group(1), "username": "_SYSTEM", "password": "SYS", "next": ""},
    )


def measure(home: Path) -> list[tuple[str, str, str, float, str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette's note about its TestClient's httpx
        from starlette.testclient import TestClient

    from cacheshell.frontends.portal import urls
    from cacheshell.frontends.portal.app import build_app
    from cacheshell.frontends.portal.pages_usage import PAGE_SIZE, PART

    instance = filled_instance(home)
    last = -(-ENTRIES // PAGE_SIZE)
    usage_page = urls.LICENSE_USAGE
    # (figure, address, the baseline's name, the baseline: the query's rows, all of them)
    cases: list[tuple[str, str, str, Callable[[], object]]] = [
        (
            "Summary",
            f"{usage_page}?view=summary",
            "Summary+Counts",
            lambda: (server_usage.summary_rows(instance), usage.counts_rows(instance)),
        ),
        (
            "Usage by Process p1",
            f"{usage_page}?view=process&page=1",
            "ProcessList",
            lambda: usage.process_rows(instance),
        ),
        (
            f"Usage by Process p{last}",
            f"{usage_page}?view=process&page={last}",
            "ProcessList",
            lambda: usage.process_rows(instance),
        ),
        (
            "Usage by User p1",
            f"{usage_page}?view=user&page=1",
            "UserList",
            lambda: usage.user_rows(instance),
        ),
        (
            f"Usage by User p{last}",
            f"{usage_page}?view=user&page={last}",
            "UserList",
            lambda: usage.user_rows(instance),
        ),
        (
            "Usage by User (refresh)",
            f"{PART}?view=user&page=1",
            "UserList",
            lambda: usage.user_rows(instance),
        ),
        (
            "Distributed License Usage, no server",
            f"{usage_page}?view=distributed",
            "ConnectionList",
            lambda: server_usage.connection_rows(instance),
        ),
    ]
    app = build_app(instance.layout, PORT)
    routes = {getattr(route, "path", "") for route in app.app.routes}  # type: ignore[attr-defined]
    if urls.LICENSE_KEY in routes:
        cases.append(("License Key", urls.LICENSE_KEY, "Key", lambda: usage.key_fields(instance)))
    if urls.CONSOLE_LOG in routes:
        cases.append(("Console Log", urls.CONSOLE_LOG, "log tail", lambda: instance.log.tail(1000)))
    figures = []
    # The Summary's chart reads the whole event history when the web server starts (its first
    # connection), then only the events recorded since: the start and the first view, each
    # from a fresh portal.
    cold, starts = [], []
    for _ in range(3):
        began = time.perf_counter()
        with TestClient(build_app(instance.layout, PORT), base_url=BASE_URL) as client:
            starts.append(time.perf_counter() - began)
            _login(client)
            began = time.perf_counter()
            client.get(f"{usage_page}?view=summary")
            cold.append(time.perf_counter() - began)
    first = sorted(cold)[1]
    alone = median_seconds(lambda: usage.event_rows(instance), REPEATS)
    start = sorted(starts)[1]
    figures.append(
        (
            "portal start, history read (ms)",
            f"{start * 1000:.1f}",
            f"event_rows {alone * 1000:.1f}",
            start / alone,
            "once",
        )
    )
    figures.append(
        (
            "portal Summary, first view (ms)",
            f"{first * 1000:.1f}",
            f"event_rows {alone * 1000:.1f}",
            first / alone,
            "<= 50 ms",
        )
    )
    with TestClient(app, base_url=BASE_URL) as client:
        _login(client)
        for figure, address, baseline, query in cases:
            answer = client.get(address)
            assert answer.status_code == 200, (address, answer.status_code)
            page = median_seconds(lambda address=address: client.get(address), REPEATS)
            alone = median_seconds(query, REPEATS)
            figures.append(
                (
                    f"portal {figure} (ms)",
                    f"{page * 1000:.1f}",
                    f"{baseline} {alone * 1000:.1f}",
                    page / alone,
                    "<= 50 ms",
                )
            )
    instance.stop()
    instance.store.close()
    return figures


def _free_port(kind: socket.SocketKind) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def measure_distributed(home: Path) -> list[tuple[str, str, str, float, str]]:
    """Distributed License Usage with ENTRIES connections at a real license server: an
    instance started as a user starts it (its service reports to the LOCAL server it starts),
    ENTRIES simulated clients, the page's first and last page vs the whole ConnectionList."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from cacheshell.frontends.portal import urls
    from cacheshell.frontends.portal.app import build_app
    from cacheshell.frontends.portal.pages_usage import PAGE_SIZE
    from cacheshell.system.layout import InstanceLayout
    from cacheshell.system.world import World

    env = {
        **os.environ,
        "CACHESHELL_HOME": str(home),
        "CACHESHELL_LICENSE_PORT": str(_free_port(socket.SOCK_DGRAM)),
        "CACHESHELL_WEB_PORT": str(_free_port(socket.SOCK_STREAM)),
    }
    command = [sys.executable, "-m", "cacheshell"]
    key = home / "bench.key"
    issue = ["key", "issue", "--units", str(2 * ENTRIES), "--multi", "-o", str(key)]
    subprocess.run([*command, *issue], env=env, check=True, capture_output=True)
    subprocess.run(
        [*command, "control", "create", "CACHE", "--key", str(key)],
        env=env,
        check=True,
        capture_output=True,
    )
    previous = os.environ.get("CACHESHELL_HOME")
    os.environ["CACHESHELL_HOME"] = str(home)
    try:
        instance = Instance(InstanceLayout(home, "CACHE"))
        world = World(instance)
        with instance.store.transaction():
            for n in range(ENTRIES):
                world.connect(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
        deadline = time.monotonic() + 120
        while server_usage.connection_page(instance, 0, 1)[1] < ENTRIES:
            if time.monotonic() > deadline:
                raise RuntimeError("the license server never had every connection")
            time.sleep(0.5)  # the monitor's next update carries them
        last = -(-ENTRIES // PAGE_SIZE)
        page = f"{urls.LICENSE_USAGE}?view=distributed"
        alone = median_seconds(lambda: server_usage.connection_rows(instance), 3)
        figures = []
        with TestClient(build_app(instance.layout, PORT), base_url=BASE_URL) as client:
            _login(client)
            for figure, address in (("p1", f"{page}&page=1"), (f"p{last}", f"{page}&page={last}")):
                answer = client.get(address)
                assert answer.status_code == 200 and "10." in answer.text, address
                taken = median_seconds(lambda address=address: client.get(address), REPEATS)
                figures.append(
                    (
                        f"portal Distributed {figure} (ms)",
                        f"{taken * 1000:.1f}",
                        f"ConnectionList {alone * 1000:.1f}",
                        taken / alone,
                        "<= 50 ms",
                    )
                )
        instance.store.close()
        return figures
    finally:
        subprocess.run([*command, "control", "stop", "CACHE"], env=env, capture_output=True)
        if previous is None:
            os.environ.pop("CACHESHELL_HOME", None)
        else:
            os.environ["CACHESHELL_HOME"] = previous


def report(row: Row) -> None:
    for measured in (measure, measure_distributed):
        home = Path(tempfile.mkdtemp(prefix="cacheshell-bench-portal-"))
        try:
            for figure in measured(home):
                row(*figure)
        finally:
            shutil.rmtree(home, ignore_errors=True)


def _row(name: str, value: str, baseline: str, ratio: float, target: str) -> None:
    print(f"{name:<34} {value:>10} {baseline:>26} {ratio:>8.2f}x  {target}")


if __name__ == "__main__":
    start = time.perf_counter()
    print(f"{'figure':<34} {'cacheshell':>10} {'baseline':>26} {'ratio':>9}  target")
    report(_row)
    print(f"({ENTRIES:,} entries; {time.perf_counter() - start:.1f} s in all)")
