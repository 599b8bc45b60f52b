"""The simulated clients a kernel's session made end with it (issue 12): at Halt, and when
Jupyter shuts the kernel down. Through jupyter_client, one kernel per test."""

from __future__ import annotations

from pathlib import Path

import test_kernel as tk

from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout
from cacheshell.system.processes import wait_until
from cacheshell.system.store import Store

W = "##class(Training.World)"
MAKE = (
    f'Set c={W}.ConnectUser("u1","10.0.0.1"),g={W}.ConnectMany("10.0.0.9",3) '
    f"Set s={W}.StartCSP() Do s.View(),s.View() Write $System.License.LUConsumed()"
)


def releases(store: Store) -> list[tuple[str, str]]:
    rows = store.db.execute(
        "SELECT license_id, detail FROM events WHERE kind='release' ORDER BY id"
    ).fetchall()
    return [(license_id, detail) for license_id, detail in rows]


def test_shutting_the_kernel_down_ends_its_clients(cacheshell_home: Path, tmp_path: Path) -> None:
    km, kc = tk.start_kernel(cacheshell_home, tmp_path / "kernels")
    try:
        kernel = tk.Running(km, kc)
        _, outputs = kernel.run(MAKE)
        assert tk.stdout(outputs) == "4\n"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)  # the shutdown request, as Jupyter's "Shut Down Kernel"
    store = Store(InstanceLayout(cacheshell_home, DEFAULT_INSTANCE).mgr)
    try:
        assert wait_until(lambda: int(store.get("consumed", 0)) == 0, 15.0, 0.1)
        assert releases(store) == [
            ("127.0.0.1", "process ended"),  # a normal end, not a dead process reclaimed
            ("u1@10.0.0.1", "owner ended"),
            ("10.0.0.9", "owner ended"),
            ("CSP0000001", "owner ended"),
        ]
    finally:
        store.close()


def test_halt_in_a_cell_ends_its_clients_and_the_kernel_goes_on(
    cacheshell_home: Path, tmp_path: Path
) -> None:
    km, kc = tk.start_kernel(cacheshell_home, tmp_path / "kernels")
    try:
        kernel = tk.Running(km, kc)
        assert tk.stdout(kernel.run(MAKE)[1]) == "4\n"
        kernel.run("Halt")
        _, outputs = kernel.run("Write $System.License.LUConsumed()")
        assert tk.stdout(outputs).endswith("\n1\n")  # after the "new session" notice
    finally:
        tk.stop_kernel(km, kc)
