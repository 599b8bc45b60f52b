"""The prompt_toolkit terminal through a real pty, for what only a terminal shows: the installed
console script choosing the prompt_toolkit REPL at a tty, with its banner and prompt, and Ctrl-C
reaching running code as a signal. The rest of the REPL is tested in-process, keys through a
pipe, in tests/unit/test_prompt_toolkit_repl.py.

TERM=dumb makes prompt_toolkit print the prompt and echo keys without cursor movement, so the
output can be matched as text. PROMPT_TOOLKIT_NO_CPR stops it asking the terminal for the cursor
position. In dumb mode the prompt is printed before the terminal goes raw, so keys are sent only
once the pty is seen in raw mode; a control key sent earlier would reach the line discipline (^D
as end of file, ^C as a signal).
"""

from __future__ import annotations

import os
import re
import socket
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from conftest import run_cli

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


def banner_portal_line(terminal) -> tuple[str, int]:
    """The banner's line after $ZVERSION (where the portal is), and the status after Halt."""
    child = terminal("-U", "USER")
    child.expect_exact("Cache for UNIX")
    child.expect(r"\r\n([^\r\n]*)\r\n")
    said = child.match.group(1)
    at_prompt(child)
    child.send("Halt\r")
    return said, ends_with_status(child)


def test_the_banner_says_where_the_management_portal_is(terminal, cacheshell_home) -> None:
    assert run_cli("control", "create", "CACHE").returncode == 0
    cpf = (cacheshell_home / "CACHE" / "mgr" / "cache.cpf").read_text()
    port = re.search(r"^WebServerPort=(\d+)$", cpf, flags=re.M).group(1)  # type: ignore[union-attr]
    assert banner_portal_line(terminal) == (
        f"Management Portal: http://127.0.0.1:{port}/csp/sys/UtilHome.csp",
        0,
    )


def test_the_banner_says_when_the_management_portal_does_not_listen(
    terminal, cacheshell_home
) -> None:
    assert run_cli("control", "create", "CACHE").returncode == 0
    run_cli("control", "stop", "CACHE")
    cpf = (cacheshell_home / "CACHE" / "mgr" / "cache.cpf").read_text()
    port = int(re.search(r"^WebServerPort=(\d+)$", cpf, flags=re.M).group(1))  # type: ignore[union-attr]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen(1)
        run_cli("control", "start", "CACHE")
        assert banner_portal_line(terminal) == (
            "Management Portal: not listening (see cacheshell log)",
            0,
        )


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
