"""The IPython magic in a real ipykernel, through jupyter_client and nbclient: what a notebook
receives (one stream message per line written, the error of a failing cell) and that a failing
`%%objectscript` cell stops a notebook run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

TIMEOUT = 60


class Python:
    """An ipykernel with the cacheshell extension loaded."""

    def __init__(self, km: KernelManager, kc: BlockingKernelClient) -> None:
        self.km, self.kc = km, kc

    def run(self, code: str) -> tuple[str, list[tuple[str, Any]]]:
        """The reply's status and the outputs in order: (stream text | error | display data)."""
        msg_id = self.kc.execute(code)
        outputs: list[tuple[str, Any]] = []
        while True:
            msg = self.kc.get_iopub_msg(timeout=TIMEOUT)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content["execution_state"] == "idle":
                break
            if kind == "stream":
                outputs.append((content["name"], content["text"]))
            elif kind == "error":
                error = (content["ename"], content["evalue"], content["traceback"])
                outputs.append(("error", error))
            elif kind == "display_data":
                outputs.append(("display", content["data"]["text/plain"]))
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        return reply["content"]["status"], outputs


def kernelspecs(tmp_path: Path) -> KernelSpecManager:
    kernels = tmp_path / "kernels"
    write_kernel_spec(str(kernels / "python3"))
    return KernelSpecManager(kernel_dirs=[str(kernels)])


@pytest.fixture
def python(cacheshell_home: Path, tmp_path: Path) -> Iterator[Python]:
    km = KernelManager(kernel_name="python3", kernel_spec_manager=kernelspecs(tmp_path))
    env = dict(os.environ, CACHESHELL_HOME=str(cacheshell_home), IPYTHONDIR=str(tmp_path / "ip"))
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=TIMEOUT)
        kernel = Python(km, kc)
        assert kernel.run("%load_ext cacheshell") == ("ok", [])
        yield kernel
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_write_reaches_the_notebook_as_one_piece_and_a_hang_shows_what_came_before(
    python: Python,
) -> None:
    status, outputs = python.run(
        '%%objectscript\nWrite "taken: ",1,", held ",1,", free ",1,!\n'
        'Write "a"  Hang .3  Write "b",!\n'
        'Write "before the table",!  Do $System.License.ShowCounts()  Write "after",!'
    )
    assert status == "ok"
    assert [kind for kind, _ in outputs] == ["stdout", "stdout", "display", "stdout"]
    assert outputs[0][1] == "taken: 1, held 1, free 1\na"  # "a" sent before the Hang
    assert outputs[1][1] == "b\nbefore the table\n"
    assert "Total authorized license units" in outputs[2][1]
    assert outputs[3][1] == "after\n"


def test_a_failing_cell_is_an_error_in_the_terminal_format(python: Python) -> None:
    status, outputs = python.run('%%objectscript\nWrite "before"\nWrite x')
    assert status == "error"
    assert outputs == [
        ("stdout", "before"),
        ("error", ("ObjectScriptCellError", "<UNDEFINED> *x", ["WRITE x", "^", "<UNDEFINED> *x"])),
    ]


def test_a_failing_cell_stops_a_notebook_run(cacheshell_home: Path, tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "P"}}
    )
    for source in ("%load_ext cacheshell", "%objectscript Write 1/0", "%objectscript Write 2"):
        nb.cells.append(nbformat.v4.new_code_cell(source))
    client = NotebookClient(
        nb, timeout=TIMEOUT, kernel_name="python3", kernel_manager_class=KernelManager
    )
    client.km = KernelManager(kernel_name="python3", kernel_spec_manager=kernelspecs(tmp_path))
    env = dict(os.environ, CACHESHELL_HOME=str(cacheshell_home), IPYTHONDIR=str(tmp_path / "ip"))
    with pytest.raises(CellExecutionError) as failure:
        client.execute(env=env)
    assert "<DIVIDE>" in str(failure.value)
    assert "Traceback" not in str(failure.value)
    assert nb.cells[2].outputs == []  # the run stopped at the failing cell
