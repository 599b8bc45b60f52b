"""The training notebooks of examples/notebooks, executed top to bottom with nbclient on a fresh
CACHESHELL_HOME: the ObjectScript kernel for the kernel notebooks, ipykernel (python3) with the
IPython magic for the application-licensing one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from nbclient import NotebookClient

from cacheshell.frontends.cli_kernel import KERNEL_NAME, write_kernelspec

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "examples" / "notebooks"
TIMEOUT = 60


def execute(name: str, tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch,
            ) -> nbformat.NotebookNode:
    """Run the notebook `name` in a kernel whose CACHESHELL_HOME is `home` and whose cwd is a
    fresh directory; the kernelspecs come from a temporary Jupyter path. Returns the notebook
    with its outputs; nbclient raises CellExecutionError if a cell fails and stops the kernel."""
    kernels = tmp_path / "jupyter" / "kernels"
    write_kernelspec(kernels / KERNEL_NAME)
    write_kernel_spec(str(kernels / "python3"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    # The notebooks run from a copy of examples/, as from a checkout: their cwd is
    # examples/notebooks and the sample files sit one level up.
    work = tmp_path / "examples" / "notebooks"
    work.mkdir(parents=True)
    for sample in ROOT.joinpath("examples").glob("*.*"):
        shutil.copy(sample, work.parent / sample.name)
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
    # The kernels run the installed cacheshell, as a user's notebook would.
    env = dict(os.environ, CACHESHELL_HOME=str(home), IPYTHONDIR=str(tmp_path / "ipython"))
    client = NotebookClient(nb, timeout=TIMEOUT, startup_timeout=TIMEOUT,
                            kernel_name=nb.metadata.kernelspec.name,
                            resources={"metadata": {"path": str(work)}})
    client.execute(env=env, cwd=str(work))
    return nb


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
    return ""


def test_every_notebook_is_tested() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(
        ["determining_capacity_and_usage.ipynb", "identifying_users.ipynb",
         "csp_grace_and_the_clock.ipynb", "application_licensing.ipynb"])


def test_determining_capacity_and_usage(tmp_path: Path, cacheshell_home: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    nb = execute("determining_capacity_and_usage.ipynb", tmp_path, cacheshell_home, monkeypatch)
    out = texts(nb)
    assert "Total authorized license units" in out
    assert "LicenseCapacity =   Cache 2013.1 Enterprise - Concurrent Users" in out
    assert "InstanceLicenseUse:License Units:" in out
    assert "UserId:Type:Connects:MaxCon:CSPCon:LU:Active:Grace:" in out
    assert "10.0.0.5:User:2:2:0:1:" in out
    dump = (tmp_path / "examples" / "notebooks" / "all.dmp").read_text(encoding="utf-8")
    assert dump.startswith("License Capacity = 5, Current use = 3, Units Remaining = 2")
    assert "User ID = 10.0.0.5, Connections = 2" in dump and ")  free" in dump
    for name in ("inuse.dmp", "piduse.dmp", "all-again.dmp"):
        assert (tmp_path / "examples" / "notebooks" / name).is_file()
    assert out.rstrip().endswith("units consumed: 1")


def test_identifying_users(tmp_path: Path, cacheshell_home: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    out = texts(execute("identifying_users.ipynb", tmp_path, cacheshell_home, monkeypatch))
    assert "25 connections from 10.0.0.99" in out
    assert "26th connection refused: <LICENSE LIMIT EXCEEDED>" in out
    assert "no license unit available" in out
    assert "alice@127.0.0.1" in out and "1 carol@10.0.0.99" in out
    assert " Username Licensing\n 1-enabled, 0-disabled\n0\n" in out
    assert "0\n1" in out and "UnknownUser@10.0.0.30\ngina@10.0.0.30\n" in out
    assert out.rstrip().endswith("units consumed: 1")


def test_csp_grace_and_the_clock(tmp_path: Path, cacheshell_home: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    out = texts(execute("csp_grace_and_the_clock.ipynb", tmp_path, cacheshell_home, monkeypatch))
    assert "session CSP0000001 is licensed as CSP0000001" in out
    assert "in grace: 1\n" in out
    assert "ten minutes on: 0 in grace, 0 CSP users" in out
    assert "held for the CSP grace period" in out and "CSP grace period over" in out
    assert "CSP session timed out" in out and "in grace: 0\n" in out
    assert "1 dora" in out
    assert out.rstrip().endswith("units consumed: 1")


def test_application_licensing_through_the_magic(tmp_path: Path, cacheshell_home: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    nb = execute("application_licensing.ipynb", tmp_path, cacheshell_home, monkeypatch)
    # ObjectScript errors in %%objectscript cells go to stderr without raising: none allowed.
    assert texts(nb, "stderr") == ""
    out = texts(nb)
    assert "Total authorized license units" in out
    assert "valid: 1\nlicensed: 1\n" in out
    assert "Lab Users=50\n" in out and "Extended Lab Reports: Enabled" in out
    assert "taken: 1, held 1, free 1" in out
    assert "third: 0 ERROR #5915: Cannot allocate a license" in out
    assert "returned: 1, free 2" in out
    assert (cacheshell_home / "CACHE" / "mgr" / "user" / "routines" / "LabCheck.mac").is_file()
