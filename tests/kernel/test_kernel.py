"""The ObjectScript kernel through jupyter_client: the jupyter_kernel_test suite, then the
behaviours it does not cover (errors, Halt, locals, streaming, interrupt, history)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupyter_kernel_test as jkt
import pytest
from conftest import stop_instances
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from cacheshell.frontends.cli_kernel import KERNEL_NAME, main, write_kernelspec

TIMEOUT = 60


def start_kernel(home: Path, kernels: Path) -> tuple[KernelManager, BlockingKernelClient]:
    """A kernel from a kernelspec written under `kernels` (argv: this interpreter), with its
    CACHESHELL_HOME set to `home` whatever the test process's environment says."""
    write_kernelspec(kernels / KERNEL_NAME)
    specs = KernelSpecManager(kernel_dirs=[str(kernels)])
    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)
    km.start_kernel(env=dict(os.environ, CACHESHELL_HOME=str(home)))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=TIMEOUT)
    except RuntimeError:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        raise
    return km, kc


def stop_kernel(km: KernelManager, kc: BlockingKernelClient) -> None:
    kc.stop_channels()
    km.shutdown_kernel(now=True)


class ObjectScriptKernelTests(jkt.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "objectscript"
    file_extension = ".mac"
    code_hello_world = 'Write "hello, world"'
    completion_samples = [
        {"text": "$System.License.UserN", "matches": {"UserNameLicensing"}},
        {"text": "Wri", "matches": {"Write"}},
    ]
    complete_code_samples = ["Write 1", "If 1 { Write 2 }"]
    incomplete_code_samples = ["If 1 {", "For i=1:1:3 {\n  Write i"]
    code_inspect_sample = "$System.License.Login"
    code_generate_error = "Kill x  Write x"
    # A cell that is one expression has its value as the cell's result.
    code_execute_result = [
        {"code": "1+2", "result": "3"},
        {"code": '$Length("abc")', "result": "3"},
    ]
    code_display_data = [{"code": "Do $System.License.ShowCounts()", "mime": "text/html"}]
    code_history_pattern = "1+*"
    supported_history_operations = ("tail", "search")

    @classmethod
    def setUpClass(cls) -> None:
        cls.scratch = Path(tempfile.mkdtemp(prefix="cacheshell-kernel-"))
        cls.km, cls.kc = start_kernel(cls.scratch / "home", cls.scratch / "kernels")

    @classmethod
    def tearDownClass(cls) -> None:
        stop_kernel(cls.km, cls.kc)
        stop_instances(cls.scratch / "home")
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def test_objectscript_kernel_info_names_the_lexers(self) -> None:
        reply = self.kc.kernel_info(reply=True, timeout=TIMEOUT)
        info = reply["content"]["language_info"]
        assert info["pygments_lexer"] == "objectscript"
        assert info["codemirror_mode"] == "mumps"
        assert info["mimetype"] == "text/x-objectscript"

    def test_objectscript_inspect_shows_the_help_of_login(self) -> None:
        reply = self.kc.inspect("$System.License.Login", reply=True, timeout=TIMEOUT)
        assert "Login(UserIdentifier)" in reply["content"]["data"]["text/plain"]

    def test_objectscript_is_complete_indents_an_open_brace(self) -> None:
        msg_id = self.kc.is_complete("If 1 {")
        reply = self.get_non_kernel_info_reply(timeout=TIMEOUT)
        assert reply is not None and reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"] == {"status": "incomplete", "indent": "  "}


# -- direct jupyter_client tests: one kernel per test, on the test's own CACHESHELL_HOME --------
@dataclass
class Running:
    km: KernelManager
    kc: BlockingKernelClient

    def run(self, code: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The execute reply and the output messages (stream, error, results) in order."""
        msg_id = self.kc.execute(code)
        return self.reply(msg_id), self.outputs(msg_id)

    def reply(self, msg_id: str) -> dict[str, Any]:
        """The reply to `msg_id`, past kernel_info replies left over from wait_for_ready."""
        while True:
            reply = self.kc.get_shell_msg(timeout=TIMEOUT)
            if reply["msg_type"] != "kernel_info_reply":
                assert reply["parent_header"]["msg_id"] == msg_id
                return reply

    def outputs(self, msg_id: str) -> list[dict[str, Any]]:
        found = []
        while True:
            msg = self.kc.get_iopub_msg(timeout=TIMEOUT)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                return found
            if kind not in ("status", "execute_input"):
                found.append(msg)


@pytest.fixture
def kernel(cacheshell_home: Path, tmp_path: Path) -> Iterator[Running]:
    km, kc = start_kernel(cacheshell_home, tmp_path / "kernels")
    try:
        yield Running(km, kc)
    finally:
        stop_kernel(km, kc)


def stdout(outputs: list[dict[str, Any]]) -> str:
    return "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")


def test_an_error_is_one_error_message_in_the_terminal_format(kernel: Running) -> None:
    reply, outputs = kernel.run("Write x")
    assert reply["content"]["status"] == "error"
    assert reply["content"]["evalue"] == "<UNDEFINED> *x"
    assert [m["msg_type"] for m in outputs] == ["error"]
    error = outputs[0]["content"]
    assert error["ename"] == "UNDEFINED"
    assert error["evalue"] == "<UNDEFINED> *x"
    assert error["traceback"] == ["WRITE x", "^", "<UNDEFINED> *x"]


def test_output_written_before_an_error_is_streamed_first(kernel: Running) -> None:
    _, outputs = kernel.run('Write "before"  Write x')
    assert [m["msg_type"] for m in outputs] == ["stream", "error"]
    assert stdout(outputs) == "before"
    assert outputs[1]["content"]["traceback"][-1] == "<UNDEFINED> *x"


def test_locals_survive_between_executes(kernel: Running) -> None:
    kernel.run("Set total=0 For i=1:1:10 { Set total=total+i }")
    reply, outputs = kernel.run("Write total")
    assert reply["content"]["status"] == "ok"
    assert stdout(outputs) == "55\n"


def test_halt_ends_the_session_and_the_next_execute_starts_a_new_one(kernel: Running) -> None:
    kernel.run("Set x=1")
    reply, outputs = kernel.run("Halt")
    assert reply["content"]["status"] == "ok"
    assert outputs == []
    reply, outputs = kernel.run("Write $Data(x)")
    assert reply["content"]["status"] == "ok"
    text = stdout(outputs)
    assert "new ObjectScript session" in text
    assert text.endswith("0\n")
    _, outputs = kernel.run("Write 1")
    assert stdout(outputs) == "1\n"


def test_output_streams_while_the_code_runs(kernel: Running) -> None:
    _, outputs = kernel.run('Write "a"  Hang .3  Write "b"')
    texts = [m["content"]["text"] for m in outputs]
    assert texts[0] == "a"  # sent before the Hang, not with what follows it
    assert "".join(texts) == "ab\n"


def test_output_goes_out_in_whole_lines(kernel: Running) -> None:
    # The empty loops make the fragments of each line come more than FLUSH_SECONDS apart.
    _, outputs = kernel.run(
        'For i=1:1:3 { Write "line ",i For j=1:1:20000 { } Write " of 3" For j=1:1:20000 { } '
        "Write ! }"
    )
    texts = [m["content"]["text"] for m in outputs]
    assert "".join(texts) == "line 1 of 3\nline 2 of 3\nline 3 of 3\n"
    assert all(text.endswith("\n") for text in texts)


def displays(outputs: list[dict[str, Any]]) -> list[str]:
    return [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "display_data"]


def test_a_notice_says_once_when_the_clock_is_simulated(kernel: Running) -> None:
    _, outputs = kernel.run('Do ##class(Training.World).SimulateClock("67538,19000")')
    assert displays(outputs) == [
        "(simulated clock: 11/29/2025 05:16:40. Time moves only when code moves it: "
        "AdvanceClock, or a Hang, which returns at once)"
    ]
    _, outputs = kernel.run("Write 1")
    assert displays(outputs) == []
    _, outputs = kernel.run('Write "a"  Hang 30  Write "b"')
    assert stdout(outputs) == "ab\n"
    assert displays(outputs) == [
        "(simulated clock: 11/29/2025 05:17:10. The Hang returned at once and moved the clock on)"
    ]
    _, outputs = kernel.run("Hang 30")
    assert displays(outputs) == []


def test_an_expression_cell_has_its_value_as_the_result(kernel: Running) -> None:
    _, outputs = kernel.run('$Piece("a,b,c",",",2)')
    assert [m["msg_type"] for m in outputs] == ["execute_result"]
    assert outputs[0]["content"]["data"] == {"text/plain": "b"}


def test_show_counts_is_a_table_with_its_text(kernel: Running) -> None:
    _, outputs = kernel.run("Do $System.License.ShowCounts()")
    tables = [m["content"]["data"] for m in outputs if m["msg_type"] == "display_data"]
    assert len(tables) == 1
    assert "<td>Total authorized license units</td>" in tables[0]["text/html"]
    assert "Total authorized license units" in tables[0]["text/plain"]
    assert stdout(outputs) == ""


def test_interrupt_stops_running_code(kernel: Running) -> None:
    msg_id = kernel.kc.execute("Hang 30")
    time.sleep(1.0)
    kernel.km.interrupt_kernel()
    reply = kernel.reply(msg_id)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["evalue"] == "<INTERRUPT>"


def test_history_tail_and_search(kernel: Running) -> None:
    for code in ("Set a=1", "Write a", "Set b=2"):
        kernel.run(code)
    tail = kernel.kc.history(hist_access_type="tail", n=2, reply=True, timeout=TIMEOUT)
    assert [item[2] for item in tail["content"]["history"]] == ["Write a", "Set b=2"]
    found = kernel.kc.history(
        hist_access_type="search", pattern="Set *", reply=True, timeout=TIMEOUT
    )
    assert [item[2] for item in found["content"]["history"]] == ["Set a=1", "Set b=2"]


def test_kernel_install_writes_a_spec_naming_this_python(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["kernel", "install", "--prefix", str(tmp_path)]) == 0
    spec_dir = tmp_path / "share" / "jupyter" / "kernels" / KERNEL_NAME
    assert "Installed the objectscript kernelspec" in capsys.readouterr().out
    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["argv"] == [
        sys.executable,
        "-m",
        "cacheshell.frontends.kernel",
        "-f",
        "{connection_file}",
    ]
    assert spec["display_name"] == "ObjectScript (cacheshell)"
    assert (spec_dir / "logo-64x64.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
