"""The training notebooks of examples/notebooks, run as a trainee runs them: with nbclient, as
Jupyter runs a notebook, in the order of their numbers, all on ONE install with the default
settings (a home of its own, no CACHESHELL_* variable, the kernel installed with
`cacheshell kernel install --user`), each from the folder it sits in, and then the first one
again. Each run is checked for what its notebook teaches, on the outputs of its cells.

The ObjectScript-kernel notebooks also run through the IPython magic, converted to python3
notebooks of `%%objectscript` cells, in the same order on a second install.

The one thing changed in a notebook before it runs is what the notebooks themselves say to change
when it is taken: the UDP port a license server listens on. The install's instances are made with
the documented CACHESHELL_LICENSE_PORT set to the port that stands for 4001, the port of Caché's
default license server, LOCAL, so that no run shares a server with the developer's instances."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from conftest import DEFAULT_WEB_PORT, stop_home
from nbclient import NotebookClient

from cacheshell.frontends.cli_kernel import KERNEL_NAME
from cacheshell.system.cpf import Cpf
from cacheshell.system.instance import Instance
from cacheshell.system.layout import InstanceLayout, find_instance

pytestmark = DEFAULT_WEB_PORT  # its instances look for their portal's port from 57772 up
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "examples" / "notebooks"
ORDER = sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))
TIMEOUT = 90
# A cell that shows a refusal on purpose: it must fail (so nbclient goes on only because it is
# also tagged raises-exception) and show the ObjectScript error.
REFUSAL_TAG = "raises-objectscript-error"
# The license servers' ports the notebooks name, and say to change when taken.
NAMED_PORTS = (4001, 4002)


def kernel_of(name: str) -> str:
    return str(nbformat.read(NOTEBOOKS / name, as_version=4).metadata.kernelspec.name)


KERNEL_NOTEBOOKS = [name for name in ORDER if kernel_of(name) == KERNEL_NAME]


# -- one install, as a trainee has it -------------------------------------------------------------
class Install:
    """A trainee's machine: a home directory, a clone of the repository's examples, the
    ObjectScript kernel installed for the user, and free ports for the license servers."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.home = tmp_path / "you"
        self.home.mkdir()
        self.installs = self.home / ".cacheshell"
        self.clone = tmp_path / "cacheshell"
        shutil.copytree(ROOT / "examples", self.clone / "examples")
        self.folder = self.clone / "examples" / "notebooks"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CACHESHELL_", "JUPYTER_", "IPYTHON"))
        }
        self.env["HOME"] = str(self.home)
        # Jupyter finds kernels under $HOME: the test's own process must look there too.
        monkeypatch.setenv("HOME", str(self.home))
        for key in list(os.environ):
            if key.startswith(("JUPYTER_", "IPYTHON")):
                monkeypatch.delenv(key)
        exe = Path(sys.executable).with_name("cacheshell")
        done = subprocess.run(
            [str(exe), "kernel", "install", "--user"],
            capture_output=True,
            text=True,
            timeout=60,
            env=self.env,
        )
        assert done.returncode == 0, done.stderr
        self.ports = dict(zip(NAMED_PORTS, _free_udp_ports(len(NAMED_PORTS)), strict=True))
        self.env["CACHESHELL_LICENSE_PORT"] = str(self.ports[NAMED_PORTS[0]])

    def instance(self, name: str = "CACHE") -> Instance:
        return Instance(InstanceLayout(self.installs, name))


def _free_udp_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            probe.bind(("127.0.0.1", 0))
            sockets.append(probe)
        return [probe.getsockname()[1] for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    machine = Install(tmp_path, monkeypatch)
    yield machine
    stop_home(machine.installs)


# -- running --------------------------------------------------------------------------------------
def through_the_magic(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The ObjectScript-kernel notebook as a python3 one: `%load_ext cacheshell` first, then each
    code cell as a `%%objectscript` cell (keeping its metadata)."""
    out = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
                "name": "python3",
            }
        }
    )
    out.cells.append(nbformat.v4.new_code_cell("%load_ext cacheshell"))
    for cell in nb.cells:
        copy = nbformat.from_dict(dict(cell))
        if cell.cell_type == "code":
            copy.source = "%%objectscript\n" + cell.source
        out.cells.append(copy)
    nbformat.validate(out)
    return out


def execute(install: Install, name: str, magic: bool = False) -> nbformat.NotebookNode:
    """Run the notebook as Jupyter would, from its folder, in a kernel with the trainee's
    environment. nbclient raises CellExecutionError when a cell fails, unless the cell is
    tagged raises-exception."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
    for cell in nb.cells:
        if cell.cell_type == "code":
            for old, new in install.ports.items():
                cell.source = re.sub(rf"\b{old}\b", str(new), cell.source)
    if magic:
        nb = through_the_magic(nb)
    client = NotebookClient(
        nb,
        timeout=TIMEOUT,
        startup_timeout=TIMEOUT,
        kernel_name=nb.metadata.kernelspec.name,
        resources={"metadata": {"path": str(install.folder)}},
    )
    try:
        client.execute(env=install.env, cwd=str(install.folder))
    finally:  # kept beside the clone, to read when a check fails
        nbformat.write(nb, install.clone.parent / f"executed-{'magic-' if magic else ''}{name}")
    return nb


def texts(nb: nbformat.NotebookNode, stream: str = "stdout") -> str:
    """Everything the cells showed on `stream`, with the text of displays and results."""
    return "".join(_text(out, stream) for cell in nb.cells for out in cell.get("outputs", []))


def _text(out: Any, stream: str) -> str:
    if out.output_type == "stream":
        return out.text if out.name == stream else ""
    if stream == "stdout" and out.output_type in ("display_data", "execute_result"):
        return out.data.get("text/plain", "") + "\n"
    if stream == "error" and out.output_type == "error":
        return f"{out.ename}: {out.evalue}\n" + "\n".join(out.get("traceback", [])) + "\n"
    return ""


def refusals(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if REFUSAL_TAG in cell.get("metadata", {}).get("tags", [])]


def assert_clean(nb: nbformat.NotebookNode) -> None:
    """No cell failed or wrote to stderr, except those tagged as showing a refusal on purpose,
    which must have failed with an ObjectScript error."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        problems = "".join(
            _text(out, "stderr") + _text(out, "error") for out in cell.get("outputs", [])
        )
        if REFUSAL_TAG in cell.get("metadata", {}).get("tags", []):
            assert any(out.output_type == "error" for out in cell.outputs), cell.source
            assert "<" in problems, f"expected an ObjectScript error from {cell.source!r}"
        else:
            assert problems == "", f"{cell.source!r} failed:\n{problems}"


# -- what each notebook teaches -------------------------------------------------------------------
def check_determining_capacity_and_usage(install: Install, nb: Any, out: str) -> None:
    assert "Total authorized license units" in out
    assert "LicenseCapacity =   Cache 2013.1 Enterprise - Concurrent Users" in out
    assert "InstanceLicenseUse:License Units:" in out
    assert "UserId:Type:Connects:MaxCon:CSPCon:LU:Active:Grace:" in out
    assert "10.0.0.5:User:2:2:0:1:" in out
    # The dumps go to the namespace's directory, Caché's current directory: mgr/user/ for USER.
    user_dir = install.instance().layout.mgr / "user"
    dump = (user_dir / "all.dmp").read_text(encoding="utf-8")
    assert dump.startswith("License Capacity = 5, Current use = 3, Units Remaining = 2")
    assert "User ID = 10.0.0.5, Connections = 2" in dump and ")  free" in dump
    for name in ("inuse.dmp", "piduse.dmp", "all-again.dmp"):
        assert (user_dir / name).is_file()
        assert not (install.folder / name).exists()
    # The default license server, which the instance started, answers from the first cell on.
    local = install.ports[NAMED_PORTS[0]]
    assert f"\nActive license server address = 127.0.0.1 port = {local}\n" in out
    assert out.rstrip().endswith("units consumed: 1")


def check_identifying_users(install: Install, nb: Any, out: str) -> None:
    assert "25 connections from 10.0.0.99" in out
    assert "26th connection refused: <LICENSE LIMIT EXCEEDED>" in out
    assert "no license unit available" in out
    assert "alice@127.0.0.1" in out and "1 carol@10.0.0.99" in out
    assert " Username Licensing\n 1-enabled, 0-disabled\n0\n" in out
    assert "0\n1" in out and "UnknownUser@10.0.0.30\ngina@10.0.0.30\n" in out
    assert out.rstrip().endswith("units consumed: 1")


def check_csp_grace_and_the_clock(install: Install, nb: Any, out: str) -> None:
    assert "session CSP" in out and "in grace: 1\n" in out
    assert "ten minutes on: 0 in grace, 0 CSP users" in out
    assert "held for the CSP grace period" in out and "CSP grace period over" in out
    assert "CSP session timed out" in out and "in grace: 0\n" in out
    assert "1 dora" in out
    assert out.rstrip().endswith("units consumed: 1")
    assert not install.instance().clock.simulated, "the notebook left the clock simulated"


def check_activating_a_key(install: Install, nb: Any, out: str) -> None:
    assert "LicenseCapacity =   Cache 2013.1 Enterprise - Concurrent Users for" in out
    assert "No restart is needed: the new key takes effect at once." in out
    assert "License key activated. File bigger.key has been copied to" in out
    assert "Activate returned 1\nunits now: 50, customer Acme Lab\npending activation: 0\n" in out
    assert "Upgrade: 1\n" in out
    assert "valid: 1, restart needed: 1\nwhy: The new key has fewer license units (50 to 3)" in out
    assert "Activate returned 0|The new key has fewer license units (50 to 3)" in out
    assert "pending activation: 1\nunits now: 50\nUpgrade: 0|" in out
    assert "restarted: 1\npending activation: 0\n" in out
    assert "Maximum Available =      3" in out
    # The lesson ends on the instance's own training key, as it began.
    assert "training key restored: 1\nunits now: 5, customer cacheshell training\n" in out
    assert "Training key (OrderNumber" in out
    mgr = install.instance().layout.mgr
    assert (mgr / "cache.key").read_text(encoding="utf-8") == (mgr / "training.key").read_text(
        encoding="utf-8"
    )


def check_troubleshooting(install: Install, nb: Any, out: str) -> None:
    assert "customer: cacheshell training\nstatus:   Valid\nreason:   []\n" in out
    assert "expires:  2099-12-31" in out
    assert "Methods of the class: %SYSTEM.License" in out and "GetKeyInvalidReason()" in out
    assert "user5 refused: <LICENSE LIMIT EXCEEDED>\n4 users connected" in out
    assert "     0 Current available license units\n     0 Minimum available" in out
    assert "denied       late@10.0.0.8" in out
    assert out.rstrip().endswith("units consumed: 1")
    for cell in refusals(nb):
        shown = "".join(_text(o, "stderr") + _text(o, "error") for o in cell.outputs)
        assert "LICENSE LIMIT EXCEEDED" in shown


def check_license_servers_and_failover(install: Install, nb: Any, out: str) -> None:
    first, second = (install.ports[port] for port in NAMED_PORTS)
    assert "update period: 15\n" in out and "for this lesson: .5\n" in out
    assert "LS2: 1\n" in out
    assert f"LOCAL:127.0.0.1:{first}:\nLS2:127.0.0.1:{second}:" in out
    # The failover happened: ShowServer names LOCAL, then LS2 after the kill, then LOCAL again.
    shown = re.findall(r"Active license server address = 127\.0\.0\.1 port = (\d+)", out)
    assert shown == [str(first), str(second), str(first)]
    assert "Distributed license use:\nCurrent License Units Used =       2" in out
    assert "killed: 1\n" in out and "still admitting users: 1" in out
    assert "license server LOCAL killed" in out
    assert "failover from LOCAL to active license server LS2" in out
    assert "started: 1\n" in out
    # It cleans up: LS2 gone, the default LOCAL kept, the default period back.
    assert "deleted: 1\nservers configured: 1\nupdate period: 15\n" in out
    cpf = Cpf(install.instance().layout.mgr / "cache.cpf")
    assert cpf.get("config", "LicenseUpdatePeriod", "15") == "15"


def check_multiserver_sharing_and_nak(install: Install, nb: Any, out: str) -> None:
    assert "TWO is up: True\nsame key: True\n" in out
    local = install.ports[NAMED_PORTS[0]]
    assert f"CACHE: LOCAL at 127.0.0.1 port {local}\n" in out
    assert f"TWO: LOCAL at 127.0.0.1 port {local}\n" in out
    used = re.findall(r"Current License Units Used =\s+(\d+)", out)
    assert used == ["3", "5", "6", "5"]
    assert "eve admitted on TWO: 1\n" in out
    # The user over the key was refused, after the NAK.
    assert re.search(r"NAK\s+6 units in use of 5 on the license server", out)
    (refused,) = refusals(nb)
    assert "<LICENSE LIMIT EXCEEDED>" in "".join(
        _text(o, "stderr") + _text(o, "error") for o in refused.outputs
    )
    assert "second connection for ann: 1\n" in out
    assert "eve ended: 1\n" in out
    assert re.search(r"ACK\s+5 units in use of 5 on the license server", out)
    assert "fay admitted on CACHE: 1\n" in out
    assert "CACHE: 1 units consumed" in out and "TWO: 1 units consumed" in out
    assert "TWO is up: False" in out
    (drawn,) = [c for c in nb.cells if c.cell_type == "code" and "plot_license_use(" in c.source]
    images = [o for o in drawn.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1, drawn.outputs  # drawn once
    two = find_instance(install.installs, "TWO")
    assert two is not None and not Instance(two).is_up
    for layout in (two, install.instance().layout):
        cpf = Cpf(layout.mgr / "cache.cpf")
        assert cpf.get("config", "LicenseUpdatePeriod", "15") == "15"
        assert cpf.section("LicenseServers") == {"LOCAL": f"127.0.0.1,{local}"}


def check_application_licensing(install: Install, nb: Any, out: str) -> None:
    assert "Total authorized license units" in out
    assert "valid: 1\nlicensed: 1\n" in out
    assert "Lab Users=50\n" in out and "Extended Lab Reports: Enabled" in out
    assert "taken: 1, held 1, free 1" in out
    assert "third: 0 ERROR #5915: Cannot allocate a license" in out
    assert "returned: 1, free 2" in out
    routines = install.instance().layout.mgr / "user" / "routines"
    assert (routines / "LabCheck.mac").is_file()


def _check(name: str) -> Callable[[Install, Any, str], None]:
    check: Callable[[Install, Any, str], None] = globals()["check_" + name[3:-6]]
    return check


# -- the tests ------------------------------------------------------------------------------------
def test_the_notebooks_are_numbered_and_checked() -> None:
    assert ORDER == [f"{n:02d}_{name[3:]}" for n, name in enumerate(ORDER, 1)]
    for name in ORDER:
        _check(name)
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        for cell in refusals(nb):  # a refusal fails its cell: nbclient must go on
            assert "raises-exception" in cell.metadata.tags


def test_in_order_on_one_install_then_the_first_again(install: Install) -> None:
    for name in [*ORDER, ORDER[0]]:
        nb = execute(install, name)
        assert_clean(nb)
        out = texts(nb)
        _check(name)(install, nb, out)
        if "Training.World).Reset()" in "".join(cell.source for cell in nb.cells):
            # The lesson before cleaned up after itself: its Reset() found nothing to end.
            assert out.startswith("ended: 0\n") or "\nended: 0\n" in out, name


def test_through_the_magic_in_order_on_one_install(install: Install) -> None:
    for name in KERNEL_NOTEBOOKS:
        nb = execute(install, name, magic=True)
        assert_clean(nb)
        _check(name)(install, nb, texts(nb))
