"""The training notebooks of examples/notebooks, executed top to bottom with nbclient on a fresh
CACHESHELL_HOME: the ObjectScript kernel for the kernel notebooks, ipykernel (python3) with the
IPython magic for the application-licensing one. Every ObjectScript-kernel notebook runs a second
time through the magic: converted to a python3 notebook of `%%objectscript` cells."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from nbclient import NotebookClient

from cacheshell.frontends.cli_kernel import KERNEL_NAME, write_kernelspec
from cacheshell.system.authkey import current_platform_code
from cacheshell.system.cpf import Cpf
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.keys import KeySpec, issue_from_spec
from cacheshell.system.layout import find_instance
from cacheshell.system.signing import training_private_key

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "examples" / "notebooks"
TIMEOUT = 60
# A cell that shows a refusal on purpose: the kernel may fail it, the magic may print the error.
REFUSAL_TAG = "raises-objectscript-error"
KERNEL_NOTEBOOKS = [
    "determining_capacity_and_usage.ipynb",
    "identifying_users.ipynb",
    "csp_grace_and_the_clock.ipynb",
    "activating_a_key.ipynb",
    "troubleshooting.ipynb",
    "license_servers_and_failover.ipynb",
]
# The ports license_servers_and_failover.ipynb names; the test runs it on free ones instead.
PLACEHOLDER_PORTS = (4001, 4002)
UPDATE_PERIOD = "0.5"


class Run:
    """One notebook's run: where it ran, its home, and the notebook with its outputs."""

    def __init__(self, tmp_path: Path, home: Path) -> None:
        self.tmp_path = tmp_path
        self.home = home
        self.work = tmp_path / "examples" / "notebooks"
        self.env = dict(os.environ, CACHESHELL_HOME=str(home), IPYTHONDIR=str(tmp_path / "ipython"))
        self.replace: dict[int, int] = {}
        self.nb: nbformat.NotebookNode | None = None


# -- what each notebook needs before it runs ------------------------------------------------------
def _mint_keys(run: Run) -> None:
    """The key files activating_a_key.ipynb activates, in its working directory."""
    for name, units, order in (("bigger.key", 50, 500001), ("smaller.key", 3, 500002)):
        key = issue_from_spec(
            KeySpec(units=units, multi=True, order_number=order, customer="Acme Lab"),
            training_private_key(),
            current_platform_code(),
        )
        (run.work / name).write_text(render_key_file(key.file), encoding="utf-8")


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


def _local_servers(run: Run) -> None:
    """license_servers_and_failover.ipynb: the instance exists with a short update period, it may
    start the servers it is configured with, and the servers listen on free ports."""
    # The instance's service starts the servers: it must not inherit the suite's opt-out.
    run.env.pop("CACHESHELL_NO_SERVER_AUTOSTART", None)
    exe = Path(sys.executable).with_name("cacheshell")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "cacheshell"]
    done = subprocess.run(
        command + ["-U", "USER", "Write 1"],
        capture_output=True,
        text=True,
        timeout=60,
        env=run.env,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    cpf = Cpf(run.home / "CACHE" / "mgr" / "cache.cpf")
    cpf.set("config", "LicenseUpdatePeriod", UPDATE_PERIOD)
    cpf.save()
    ports = _free_udp_ports(len(PLACEHOLDER_PORTS))
    run.replace = dict(zip(PLACEHOLDER_PORTS, ports, strict=True))


PREPARE: dict[str, Callable[[Run], None]] = {
    "activating_a_key.ipynb": _mint_keys,
    "license_servers_and_failover.ipynb": _local_servers,
}


# -- running --------------------------------------------------------------------------------------
def _kernelspecs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernels = tmp_path / "jupyter" / "kernels"
    write_kernelspec(kernels / KERNEL_NAME)
    write_kernel_spec(str(kernels / "python3"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))


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


def execute(
    name: str, tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, magic: bool = False
) -> Run:
    """Run the notebook `name` in a kernel whose CACHESHELL_HOME is `home` and whose cwd is a
    fresh copy of examples/notebooks; the kernelspecs come from a temporary Jupyter path. With
    `magic`, the ObjectScript-kernel notebook runs through the IPython magic instead. nbclient
    raises CellExecutionError if a cell fails (unless tagged raises-exception)."""
    _kernelspecs(tmp_path, monkeypatch)
    run = Run(tmp_path, home)
    # The notebooks run from a copy of examples/, as from a checkout: their cwd is
    # examples/notebooks and the sample files sit one level up.
    run.work.mkdir(parents=True)
    for sample in ROOT.joinpath("examples").glob("*.*"):
        shutil.copy(sample, run.work.parent / sample.name)
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
    if name in PREPARE:
        PREPARE[name](run)
    for cell in nb.cells:
        if cell.cell_type == "code":
            for old, new in run.replace.items():
                cell.source = re.sub(rf"\b{old}\b", str(new), cell.source)
    if magic:
        assert nb.metadata.kernelspec.name == KERNEL_NAME
        nb = through_the_magic(nb)
    # The kernels run the installed cacheshell, as a user's notebook would.
    client = NotebookClient(
        nb,
        timeout=TIMEOUT,
        startup_timeout=TIMEOUT,
        kernel_name=nb.metadata.kernelspec.name,
        resources={"metadata": {"path": str(run.work)}},
    )
    client.execute(env=run.env, cwd=str(run.work))
    run.nb = nb
    return run


def texts(nb: nbformat.NotebookNode, stream: str = "stdout") -> str:
    """Everything the cells showed on `stream`, with the text of displays and results."""
    found: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            found.append(_text(out, stream))
    return "".join(found)


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
    """No cell failed: none wrote to stderr or ended in an error, except those tagged as showing a
    refusal on purpose, which must show one."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        problems = "".join(
            _text(out, "stderr") + _text(out, "error") for out in cell.get("outputs", [])
        )
        if REFUSAL_TAG in cell.get("metadata", {}).get("tags", []):
            assert "<" in problems, f"expected an ObjectScript error from {cell.source!r}"
        else:
            assert problems == "", f"{cell.source!r} failed:\n{problems}"


# -- what each notebook must show -----------------------------------------------------------------
def check_determining_capacity_and_usage(run: Run, out: str) -> None:
    assert "Total authorized license units" in out
    assert "LicenseCapacity =   Cache 2013.1 Enterprise - Concurrent Users" in out
    assert "InstanceLicenseUse:License Units:" in out
    assert "UserId:Type:Connects:MaxCon:CSPCon:LU:Active:Grace:" in out
    assert "10.0.0.5:User:2:2:0:1:" in out
    dump = (run.work / "all.dmp").read_text(encoding="utf-8")
    assert dump.startswith("License Capacity = 5, Current use = 3, Units Remaining = 2")
    assert "User ID = 10.0.0.5, Connections = 2" in dump and ")  free" in dump
    for name in ("inuse.dmp", "piduse.dmp", "all-again.dmp"):
        assert (run.work / name).is_file()
    assert out.rstrip().endswith("units consumed: 1")


def check_identifying_users(run: Run, out: str) -> None:
    assert "25 connections from 10.0.0.99" in out
    assert "26th connection refused: <LICENSE LIMIT EXCEEDED>" in out
    assert "no license unit available" in out
    assert "alice@127.0.0.1" in out and "1 carol@10.0.0.99" in out
    assert " Username Licensing\n 1-enabled, 0-disabled\n0\n" in out
    assert "0\n1" in out and "UnknownUser@10.0.0.30\ngina@10.0.0.30\n" in out
    assert out.rstrip().endswith("units consumed: 1")


def check_csp_grace_and_the_clock(run: Run, out: str) -> None:
    assert "session CSP0000001 is licensed as CSP0000001" in out
    assert "in grace: 1\n" in out
    assert "ten minutes on: 0 in grace, 0 CSP users" in out
    assert "held for the CSP grace period" in out and "CSP grace period over" in out
    assert "CSP session timed out" in out and "in grace: 0\n" in out
    assert "1 dora" in out
    assert out.rstrip().endswith("units consumed: 1")


def check_activating_a_key(run: Run, out: str) -> None:
    assert "LicenseCapacity =   Cache 2013.1 Enterprise - Concurrent Users for" in out
    assert "No restart is needed: the new key takes effect at once." in out
    assert "License key activated. File bigger.key has been copied to" in out
    assert "Activate returned 1\nunits now: 50, customer Acme Lab\npending activation: 0\n" in out
    assert "Upgrade: 1\n" in out
    assert "valid: 1, restart needed: 1\nwhy: The new key has fewer license units (50 to 3)" in out
    assert "Activate returned 0|The new key has fewer license units (50 to 3)" in out
    assert "pending activation: 1\nunits now: 50\nUpgrade: 0|" in out
    assert "restarted: 1\npending activation: 0\n" in out
    assert out.rstrip().endswith("Maximum Available =      3")
    assert "OrderNumber =       500002" in out
    key = run.home / "CACHE" / "mgr" / "cache.key"
    assert key.read_text(encoding="utf-8") == (run.work / "smaller.key").read_text(encoding="utf-8")


def check_troubleshooting(run: Run, out: str) -> None:
    assert "customer: cacheshell training\nstatus:   Valid\nreason:   []\n" in out
    assert "expires:  2099-12-31" in out
    assert "Methods of the class: %SYSTEM.License" in out and "GetKeyInvalidReason()" in out
    assert "user5 refused: <LICENSE LIMIT EXCEEDED>\n4 users connected" in out
    assert "     0 Current available license units\n     0 Minimum available" in out
    assert "denied       late@10.0.0.8" in out
    assert out.rstrip().endswith("units consumed: 1")
    for cell in refusals(run.nb):
        shown = "".join(_text(o, "stderr") + _text(o, "error") for o in cell.outputs)
        assert "LICENSE LIMIT EXCEEDED" in shown


def check_license_servers_and_failover(run: Run, out: str) -> None:
    first, second = (run.replace[port] for port in PLACEHOLDER_PORTS)
    assert "LS1: 1\nLS2: 1\n" in out
    assert f"LS1:127.0.0.1:{first}:" in out and f"LS2:127.0.0.1:{second}:" in out
    shown = re.findall(r"Active license server address = 127\.0\.0\.1 port = (\d+)", out)
    assert shown == [str(first), str(second), str(first)]
    assert "Distributed license use:\nCurrent License Units Used =       2" in out
    assert "killed: 1\n" in out and "still admitting users: 1" in out
    assert "license server LS1 killed" in out
    assert "failover from LS1 to active license server LS2" in out
    assert "started: 1\n" in out
    started = (run.home / "run" / "started.pids").read_text(encoding="ascii").split()
    assert len(started) >= 3  # LS1, LS2 and LS1 again: the conftest fixture kills them


CHECKS: dict[str, Callable[[Run, str], None]] = {
    name: globals()["check_" + name.removesuffix(".ipynb")] for name in KERNEL_NOTEBOOKS
}


# -- the tests ------------------------------------------------------------------------------------
def test_every_notebook_is_tested() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(
        KERNEL_NOTEBOOKS + ["application_licensing.ipynb", "multiserver_sharing_and_nak.ipynb"]
    )
    for name in KERNEL_NOTEBOOKS:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        assert nb.metadata.kernelspec.name == KERNEL_NAME
        for cell in refusals(nb):  # the kernel fails them: nbclient must go on
            assert "raises-exception" in cell.metadata.tags


@pytest.mark.parametrize("name", KERNEL_NOTEBOOKS)
def test_on_the_objectscript_kernel(
    name: str, tmp_path: Path, cacheshell_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = execute(name, tmp_path, cacheshell_home, monkeypatch)
    assert run.nb is not None
    assert_clean(run.nb)
    CHECKS[name](run, texts(run.nb))


@pytest.mark.parametrize("name", KERNEL_NOTEBOOKS)
def test_through_the_magic(
    name: str, tmp_path: Path, cacheshell_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = execute(name, tmp_path, cacheshell_home, monkeypatch, magic=True)
    assert run.nb is not None
    # ObjectScript errors in %%objectscript cells go to stderr without raising.
    assert_clean(run.nb)
    CHECKS[name](run, texts(run.nb))


def test_application_licensing_through_the_magic(
    tmp_path: Path, cacheshell_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = execute("application_licensing.ipynb", tmp_path, cacheshell_home, monkeypatch)
    nb, home = run.nb, cacheshell_home
    assert nb is not None
    # ObjectScript errors in %%objectscript cells go to stderr without raising: none allowed.
    assert texts(nb, "stderr") == ""
    assert_clean(nb)
    out = texts(nb)
    assert "Total authorized license units" in out
    assert "valid: 1\nlicensed: 1\n" in out
    assert "Lab Users=50\n" in out and "Extended Lab Reports: Enabled" in out
    assert "taken: 1, held 1, free 1" in out
    assert "third: 0 ERROR #5915: Cannot allocate a license" in out
    assert "returned: 1, free 2" in out
    assert (home / "CACHE" / "mgr" / "user" / "routines" / "LabCheck.mac").is_file()


def test_multiserver_sharing_and_nak(
    tmp_path: Path, cacheshell_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two instances share the key through one license server (set up as for the failover
    notebook: free port, short update period, autostart on); over the key, both get a NAK."""
    name = "multiserver_sharing_and_nak.ipynb"
    monkeypatch.setitem(PREPARE, name, _local_servers)
    run = execute(name, tmp_path, cacheshell_home, monkeypatch)
    nb = run.nb
    assert nb is not None
    # ObjectScript errors in %%objectscript cells go to stderr: only the refusal may show one.
    assert_clean(nb)
    (refused,) = refusals(nb)
    assert "<LICENSE LIMIT EXCEEDED>" in "".join(_text(o, "stderr") for o in refused.outputs)
    out = texts(nb)
    assert "TWO is up: True\nsame key: True\n" in out
    assert "CACHE: 1\n" in out and "TWO: 1\n" in out
    used = re.findall(r"Current License Units Used =\s+(\d+)", out)
    assert used == ["3", "5", "6", "5"]
    assert "eve admitted on TWO: 1\n" in out
    assert re.search(r"NAK\s+6 units in use of 5 on the license server", out)
    assert "second connection for ann: 1\n" in out
    assert "eve ended: 1\n" in out
    assert re.search(r"ACK\s+5 units in use of 5 on the license server", out)
    assert "fay admitted on CACHE: 1\n" in out
    assert "CACHE: 1 units consumed" in out and out.rstrip().endswith("TWO: 1 units consumed")
    two = find_instance(cacheshell_home, "TWO")
    assert two is not None
    assert Cpf(two.mgr / "cache.cpf").get("config", "LicenseUpdatePeriod", "") == "0.5"
    assert (two.mgr / "cache.key").read_text(encoding="utf-8") == (
        cacheshell_home / "CACHE" / "mgr" / "cache.key"
    ).read_text(encoding="utf-8")
