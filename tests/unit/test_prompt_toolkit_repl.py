"""The prompt_toolkit terminal in-process: what a user meets at the prompt, without a pty.

`run_prompt_toolkit` runs on a Session in a thread, inside a prompt_toolkit app session whose
input is a pipe and whose output is a screen the test reads, as the console script runs at a
terminal with TERM=dumb: prompt_toolkit prints the prompt and echoes keys without cursor
movement (only the last character a key inserts: after Tab the completed name shows as its final
letter, and a line recalled with Up not at all). What needs a real terminal (the console script's
banner, Ctrl-C as a signal while code runs) is tested through a pty in tests/cli/test_repl.py.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output.vt100 import Vt100_Output

from cacheshell.frontends.repl import run_prompt_toolkit
from cacheshell.session import Session

TIMEOUT = 30


class Screen:
    """What the terminal shows, in order: the REPL's output and the prompt's echo. Each "\\n"
    shows as "\\r\\n", as a terminal's line discipline (ONLCR) turns it."""

    def __init__(self) -> None:
        self.text = ""
        self._changed = threading.Condition()

    def write(self, text: str) -> int:
        with self._changed:
            self.text += text.replace("\n", "\r\n")
            self._changed.notify_all()
        return len(text)

    def flush(self) -> None:
        return None

    def wait_for(self, pattern: re.Pattern[str], start: int) -> re.Match[str]:
        """The first match at or after `start`, waiting for the terminal to show it."""
        with self._changed:
            match = self._changed.wait_for(lambda: pattern.search(self.text, start), TIMEOUT)
            if match is None:
                raise AssertionError(f"{pattern.pattern!r} never showed in {self.text[start:]!r}")
        return match


class PipeTerminal:
    """A user at the prompt: keys go in through a pipe, `expect` reads the screen from where the
    last match ended (as pexpect reads a pty), `wait` is the REPL's exit status."""

    def __init__(self, keys: PipeInput, screen: Screen) -> None:
        self.keys = keys
        self.screen = screen
        self.session = Session()
        self.status: int | None = None
        self._seen = len(screen.text)  # what an earlier terminal showed is not this one's
        # A daemon, so that a REPL stuck in running code cannot keep the test run alive.
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        output = Vt100_Output(self.screen, lambda: Size(rows=40, columns=200), term="dumb")
        with create_app_session(input=self.keys, output=output):
            self.status = run_prompt_toolkit(self.session)

    def send(self, keys: str) -> None:
        self.keys.send_text(keys)

    def sendcontrol(self, char: str) -> None:
        self.send(chr(ord(char.lower()) - ord("a") + 1))

    def expect_exact(self, text: str) -> None:
        self.expect(re.escape(text))

    def expect(self, pattern: str) -> re.Match[str]:
        match = self.screen.wait_for(re.compile(pattern), self._seen)
        self._seen = match.end()
        return match

    def wait(self) -> int | None:
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive(), "the REPL did not end"
        return self.status

    def close(self) -> None:
        """End of input ends the prompt, if the test has not; the process ends."""
        self.keys.close()
        self._thread.join(TIMEOUT)
        self.session.close()


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], PipeTerminal]]:
    screen = Screen()
    monkeypatch.setenv("TERM", "dumb")
    started: list[PipeTerminal] = []
    with ExitStack() as pipes:

        def start() -> PipeTerminal:
            # The REPL writes its banner, output and error blocks to stdout, as at a terminal.
            # (Set here, in the test itself: pytest sets its own capture when a test starts.)
            monkeypatch.setattr(sys, "stdout", screen)
            started.append(PipeTerminal(pipes.enter_context(create_pipe_input()), screen))
            return started[-1]

        yield start
        for child in started:
            child.close()


def at_prompt(child: PipeTerminal, prompt: str = "USER>") -> None:
    child.expect_exact(prompt)


def history_file(home: Path) -> str:
    return (home / "CACHE" / "mgr" / ".terminal_history").read_text(encoding="utf-8")


def test_zn_changes_the_prompt(terminal) -> None:
    child = terminal()
    at_prompt(child)
    child.send('ZN "%SYS"\r')
    at_prompt(child, "%SYS>")
    child.send("Write $NAMESPACE\r")
    child.expect_exact("%SYS\r\n%SYS>")
    child.send("H\r")
    assert child.wait() == 0


def test_a_line_typed_in_one_session_is_recalled_with_up_in_the_next(
    terminal, cacheshell_home
) -> None:
    first = terminal()
    at_prompt(first)
    first.send('Write "hist"_"ory",!\r')
    first.expect_exact("history\r\n")
    at_prompt(first)
    first.sendcontrol("d")  # leave without typing Halt, so that the Write is the last line
    assert first.wait() == 0

    second = terminal()
    at_prompt(second)
    second.send("\x1b[A")  # Up: the dumb terminal does not echo the recalled line
    second.send("\r")
    second.expect_exact("history\r\n")
    at_prompt(second)
    second.send("Halt\r")
    assert second.wait() == 0
    assert '+Write "hist"_"ory",!' in history_file(cacheshell_home)


def test_tab_completes_a_system_class_method(terminal, cacheshell_home) -> None:
    child = terminal()
    at_prompt(child)
    child.send("Write $System.License.UserN")
    child.expect_exact("UserN")
    child.send("\t")
    child.expect_exact("g")  # the last letter of UserNameLicensing, inserted by the completion
    child.send("(),!\r")
    child.expect(r"\r\n([01])\r\n")
    at_prompt(child)
    child.send("Halt\r")
    assert child.wait() == 0
    assert "+Write $System.License.UserNameLicensing(),!" in history_file(cacheshell_home)


def test_ctrl_c_at_the_prompt_clears_the_line(terminal) -> None:
    child = terminal()
    at_prompt(child)
    child.send("Write 12")
    child.expect_exact("12")
    child.sendcontrol("c")
    at_prompt(child)
    child.send('Write "a"_"b"\r')
    child.expect_exact("ab\r\nUSER>")
    child.sendcontrol("d")
    assert child.wait() == 0


def test_ctrl_d_leaves(terminal) -> None:
    child = terminal()
    at_prompt(child)
    child.sendcontrol("d")
    assert child.wait() == 0


def test_a_brace_block_continues_over_lines_until_it_closes(terminal) -> None:
    child = terminal()
    at_prompt(child)
    child.send("For i=1:1:3 {\r")
    child.send(" Write i*2\r")
    child.send("}\r")
    child.expect_exact("246\r\nUSER>")
    child.send("Halt\r")
    assert child.wait() == 0


def test_an_error_shows_the_terminal_block_and_the_session_goes_on(terminal) -> None:
    child = terminal()
    at_prompt(child)
    child.send("Write nope\r")
    child.expect_exact("WRITE nope\r\n^\r\n<UNDEFINED> *nope\r\nUSER>")
    child.send("Halt\r")
    assert child.wait() == 0


def test_the_terminal_says_when_the_clock_is_simulated(terminal) -> None:
    child = terminal()
    at_prompt(child)
    child.send('Do ##class(Training.World).SimulateClock("67538,19000")\r')
    child.expect_exact(
        "(simulated clock: 11/29/2025 05:16:40. Time moves only when code moves it: "
        "AdvanceClock, or a Hang, which returns at once)\r\nUSER>"
    )
    child.send("Hang 30\r")
    child.expect_exact(
        "(simulated clock: 11/29/2025 05:17:10. The Hang returned at once and moved the clock "
        "on)\r\nUSER>"
    )
    shown = len(child.screen.text)
    child.send("Hang 30\r")
    child.send("Write 1\r")
    child.expect_exact("1\r\nUSER>")
    assert "simulated" not in child.screen.text[shown:]  # no notice after the second Hang
    child.send("H\r")
    assert child.wait() == 0
    second = terminal()  # a terminal opening on the simulated clock says so in its banner
    second.expect_exact("Cache for UNIX")
    second.expect_exact("\r\n(simulated clock: 11/29/2025 05:17:40)\r\n\r\nUSER>")
    second.send("H\r")
    assert second.wait() == 0
