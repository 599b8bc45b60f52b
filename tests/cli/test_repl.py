"""The prompt_toolkit terminal through a real pty, as a user at a terminal meets it.

TERM=dumb makes prompt_toolkit print the prompt and echo keys without cursor movement, so the
output can be matched as text. It echoes only the last character a key inserts: after Tab the
completed name shows as its final letter, and a line recalled with Up not at all.
PROMPT_TOOLKIT_NO_CPR stops it asking the terminal for the cursor position. In dumb mode the
prompt is printed before the terminal goes raw, so keys are sent only once the pty is seen in
raw mode; a control key sent earlier would reach the line discipline (^D as end of file, ^C as a
signal).
"""

from __future__ import annotations

import os
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

TIMEOUT = 30


def _command() -> tuple[str, list[str]]:
    exe = Path(sys.executable).with_name("cacheshell")
    if exe.exists():
        return str(exe), []
    return sys.executable, ["-m", "cacheshell"]


def spawn(*args: str) -> pexpect.spawn:
    program, lead = _command()
    env = dict(os.environ, TERM="dumb", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1")
    return pexpect.spawn(
        program, lead + list(args), env=env, timeout=TIMEOUT, encoding="utf-8", dimensions=(40, 200)
    )


@pytest.fixture
def terminal() -> Iterator[pexpect.spawn]:
    children: list[pexpect.spawn] = []

    def start(*args: str) -> pexpect.spawn:
        child = spawn(*args)
        children.append(child)
        return child

    yield start  # type: ignore[misc]
    for child in children:
        if child.isalive():
            child.terminate(force=True)
        child.close()


def wait_raw(child: pexpect.spawn) -> None:
    """Poll until prompt_toolkit has put the terminal in raw mode (it reads keys then)."""
    deadline = time.monotonic() + TIMEOUT
    while termios.tcgetattr(child.child_fd)[3] & termios.ICANON:
        if time.monotonic() > deadline:
            raise AssertionError("the prompt never started reading keys")
        time.sleep(0.01)


def at_prompt(child: pexpect.spawn, prompt: str = "USER>") -> None:
    child.expect_exact(prompt)
    wait_raw(child)


def ends_with_status(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def test_the_prompt_is_the_namespace_after_a_banner(terminal) -> None:
    child = terminal("-U", "USER")
    child.expect(r"Node: \S+, Instance: CACHE\r\n")
    child.expect_exact("Cache for UNIX")
    at_prompt(child)
    child.send("Halt\r")
    assert ends_with_status(child) == 0


def test_zn_changes_the_prompt(terminal) -> None:
    child = terminal("-U", "USER")
    at_prompt(child)
    child.send('ZN "%SYS"\r')
    at_prompt(child, "%SYS>")
    child.send("Write $NAMESPACE\r")
    child.expect_exact("%SYS\r\n%SYS>")
    wait_raw(child)
    child.send("H\r")
    assert ends_with_status(child) == 0


def test_a_line_typed_in_one_session_is_recalled_with_up_in_the_next(
    terminal, cacheshell_home
) -> None:
    first = terminal("-U", "USER")
    at_prompt(first)
    first.send('Write "hist"_"ory",!\r')
    first.expect_exact("history\r\n")
    at_prompt(first)
    first.sendcontrol("d")  # leave without typing Halt, so that the Write is the last line
    assert ends_with_status(first) == 0

    second = terminal("-U", "USER")
    at_prompt(second)
    second.send("\x1b[A")  # Up: the dumb terminal does not echo the recalled line
    second.send("\r")
    second.expect_exact("history\r\n")
    at_prompt(second)
    second.send("Halt\r")
    assert ends_with_status(second) == 0
    history = cacheshell_home / "CACHE" / "mgr" / ".terminal_history"
    assert '+Write "hist"_"ory",!' in history.read_text(encoding="utf-8")


def test_tab_completes_a_system_class_method(terminal, cacheshell_home) -> None:
    child = terminal("-U", "USER")
    at_prompt(child)
    child.send("Write $System.License.UserN")
    child.expect_exact("UserN")
    child.send("\t")
    child.expect_exact("g")  # the last letter of UserNameLicensing, inserted by the completion
    child.send("(),!\r")
    child.expect(r"\r\n([01])\r\n")
    at_prompt(child)
    child.send("Halt\r")
    assert ends_with_status(child) == 0
    history = (cacheshell_home / "CACHE" / "mgr" / ".terminal_history").read_text("utf-8")
    assert "+Write $System.License.UserNameLicensing(),!" in history


def test_ctrl_c_interrupts_running_code_and_the_prompt_returns(terminal) -> None:
    child = terminal("-U", "USER")
    at_prompt(child)
    child.send('Write "start"_"ed" Hang 10\r')
    child.expect_exact("started")  # output, not the echo: the code is running
    sent = time.monotonic()
    child.sendcontrol("c")
    child.expect_exact("<INTERRUPT>", timeout=3)
    child.expect_exact("USER>", timeout=3)
    assert time.monotonic() - sent < 3
    wait_raw(child)
    child.send("Write 1+1\r")
    child.expect_exact("2\r\nUSER>")
    wait_raw(child)
    child.send("Halt\r")
    assert ends_with_status(child) == 0


def test_ctrl_c_at_the_prompt_clears_the_line(terminal) -> None:
    child = terminal("-U", "USER")
    at_prompt(child)
    child.send("Write 12")
    child.expect_exact("12")
    child.sendcontrol("c")
    at_prompt(child)
    child.send('Write "a"_"b"\r')
    child.expect_exact("ab\r\nUSER>")
    wait_raw(child)
    child.sendcontrol("d")
    assert ends_with_status(child) == 0


def test_ctrl_d_leaves(terminal) -> None:
    child = terminal("-U", "USER")
    at_prompt(child)
    child.sendcontrol("d")
    assert ends_with_status(child) == 0


def test_a_brace_block_continues_over_lines_until_it_closes(terminal) -> None:
    child = terminal("-U", "USER")
    at_prompt(child)
    child.send("For i=1:1:3 {\r")
    child.send(" Write i*2\r")
    child.send("}\r")
    child.expect_exact("246\r\nUSER>")
    wait_raw(child)
    child.send("Halt\r")
    assert ends_with_status(child) == 0


def test_an_error_shows_the_terminal_block_and_the_session_goes_on(terminal) -> None:
    child = terminal("-U", "USER")
    at_prompt(child)
    child.send("Write nope\r")
    child.expect_exact("WRITE nope\r\n^\r\n<UNDEFINED> *nope\r\nUSER>")
    wait_raw(child)
    child.send("Halt\r")
    assert ends_with_status(child) == 0
