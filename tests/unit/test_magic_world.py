"""The simulated clients a magic's session made end with it (issue 12): at --new and at Halt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

W = "##class(Training.World)"
CONSUMED = "Write $System.License.LUConsumed()"


@pytest.fixture
def ip(cacheshell_home: Path) -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "cacheshell")
    try:
        yield shell
    finally:
        shell.run_line_magic("unload_ext", "cacheshell")


def run(ip: InteractiveShell, cell: str) -> tuple[Any, str, str]:
    with capture_output() as io:
        result = ip.run_cell(cell)
    assert result.error_in_exec is None and result.error_before_exec is None
    return result.result, io.stdout, io.stderr


@pytest.mark.parametrize(
    ("ending", "next_cell"),
    [
        ("", f"%%objectscript --new\n{CONSUMED}"),
        ("Halt", f"%%objectscript\n{CONSUMED}"),
    ],
)
def test_a_session_that_ends_takes_its_clients_with_it(ip, ending, next_cell):
    _, out, _ = run(
        ip,
        f'%%objectscript\nSet c={W}.ConnectUser("u1","10.0.0.1"),s={W}.StartCSP() '
        f"Do s.View(),s.View() {CONSUMED},!\n{ending}",
    )
    assert out.startswith("3\n")  # then, after a Halt, the notice that the session ended
    _, out, _ = run(ip, next_cell)
    assert out == "1\n"
