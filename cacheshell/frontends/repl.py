"""The terminal: a prompt_toolkit REPL at a terminal, a plain line reader for pipes and scripts.

Both read one input (lines joined while a brace block is open, the same `is_complete` the kernel
uses), run it in the Session and show errors in the terminal's format. The prompt_toolkit pieces
each do one thing: the completer adapts the session's completion, the lexer highlights, the
history file keeps what was typed per instance, and `multiline` follows `is_complete` so Enter
submits a complete input and continues an open brace. At a terminal (not from a pipe) the banner
and a line after an input say when the instance's clock is simulated (`clock_notice`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cacheshell.frontends.clock_notice import ClockNotice
from cacheshell.lang.completeness import is_complete
from cacheshell.lang.parser import MAX_LINE, MAX_SOURCE
from cacheshell.lang.shell import Outcome
from cacheshell.session import Session
from cacheshell.system import web_config

if TYPE_CHECKING:
    from collections.abc import Iterator

    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

HISTORY_FILE = ".terminal_history"


def run_repl(session: Session, simple: bool) -> int:
    """Read and run inputs until Halt or end of input; the exit status of the session."""
    if simple or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return run_plain(session, interactive=sys.stdin.isatty())
    return run_prompt_toolkit(session)


def banner(session: Session, clock: ClockNotice | None = None) -> str:
    """What the terminal shows once when it opens: the node and instance, then $ZVERSION, where
    the instance's Management Portal is, then the time if the instance's clock is simulated."""
    node = session.system_name.rsplit(":", 1)[0]
    opening = clock.opening(session) if clock is not None else ""
    store = session.instance.store
    portal, down = store.get(web_config.PORTAL_URL) or "", store.get(web_config.PORTAL_DOWN) or ""
    where = web_config.portal_line(
        portal, down if down == web_config.DISABLED else "", "see cacheshell log"
    )
    where += "\n"
    return f"\nNode: {node}, Instance: {session.layout.name}\n{session.version}\n{where}{opening}\n"


def watch_clock(session: Session) -> ClockNotice:
    """The notices a user at the prompt gets about a simulated clock (not scripts or pipes)."""
    clock = ClockNotice()
    session.on_pause = lambda: clock.paused(session)
    return clock


def tell_clock(session: Session, clock: ClockNotice) -> None:
    """After an input, a line saying the clock is simulated, when that is news."""
    notice = clock.after_cell(session)
    if notice is not None:
        sys.stdout.write(notice + "\n")
        sys.stdout.flush()


def history_path(session: Session) -> Path:
    """Each instance keeps its own history, beside its other state in the manager directory."""
    return session.layout.mgr / HISTORY_FILE


def run_input(session: Session, text: str) -> Outcome:
    """Run one input and show its error, if any, as the terminal does."""
    outcome = session.execute(text)
    if outcome.error is not None:
        sys.stdout.write(session.error_text(outcome.error))
    else:
        session.finish_line()
    sys.stdout.flush()
    return outcome


# -- plain mode -------------------------------------------------------------------------------
def run_plain(session: Session, interactive: bool) -> int:
    """Lines from stdin, no prompt_toolkit. Piped input ends with 1 after an untrapped error."""
    clock = watch_clock(session) if interactive else None
    if clock is not None:
        sys.stdout.write(banner(session, clock))
    status = 0
    while True:
        try:
            text = read_input(session, interactive)
        except KeyboardInterrupt:
            if not interactive:
                return 1
            sys.stdout.write("\n")  # Ctrl-C at the prompt drops the line typed so far
            continue
        if text is None:
            if interactive:
                sys.stdout.write("\n")
            break
        if not text.strip():
            continue
        outcome = run_input(session, text)
        if outcome.halted:
            break
        if outcome.error is not None:
            status = 1
        if clock is not None:
            tell_clock(session, clock)
    sys.stdout.flush()
    return 0 if interactive else status


# Lines one input may join while a block stays open: each is checked for completeness anew.
_MAX_PENDING_LINES = 10_000


def read_input(session: Session, interactive: bool) -> str | None:
    """One input from stdin, joined while a brace block is still open; None at end of input."""
    pending: list[str] = []
    size = 0
    while True:
        if interactive:
            sys.stdout.write("" if pending else session.prompt)
            sys.stdout.flush()
        line = sys.stdin.readline(MAX_LINE + 1)
        if not line:
            return "\n".join(pending) if pending else None
        if len(line) > MAX_LINE and not line.endswith("\n"):
            _skip_line()  # the input is refused as too long by its first MAX_LINE+1 characters
        pending.append(line.rstrip("\r\n"))
        size += len(line)
        text = "\n".join(pending)
        # An open block past the longest source is refused as it stands, never read whole.
        if size > MAX_SOURCE or len(pending) > _MAX_PENDING_LINES or is_complete(text):
            return text


def _skip_line() -> None:
    """Read the rest of a line too long to run, a bounded piece at a time."""
    while True:
        piece = sys.stdin.readline(MAX_LINE + 1)
        if not piece or piece.endswith("\n"):
            return


# -- prompt_toolkit mode ----------------------------------------------------------------------
def run_prompt_toolkit(session: Session) -> int:
    prompt = prompt_session(session)
    clock = watch_clock(session)
    sys.stdout.write(banner(session, clock))
    sys.stdout.flush()
    while True:
        try:
            text = prompt.prompt()
        except KeyboardInterrupt:
            continue  # Ctrl-C at the prompt clears the line
        except EOFError:
            return 0  # Ctrl-D on an empty line leaves, as Halt does
        if not text.strip():
            continue
        if run_input(session, text).halted:
            return 0
        tell_clock(session, clock)


def prompt_session(session: Session) -> PromptSession[str]:
    """A PromptSession over the Session: prompt, highlighting, completion, history, Enter."""
    # Imported here: piped runs and one-shot code never pay for prompt_toolkit.
    from prompt_toolkit import PromptSession
    from prompt_toolkit.application.current import get_app
    from prompt_toolkit.completion import Completer, Completion
    from prompt_toolkit.filters import Condition
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.lexers import PygmentsLexer

    from cacheshell.frontends.lexer import ObjectScriptLexer

    class ObjectScriptCompleter(Completer):
        def get_completions(
            self, document: Document, complete_event: CompleteEvent
        ) -> Iterator[Completion]:
            start, matches = session.complete(document.text, document.cursor_position)
            for match in matches:
                yield Completion(match, start_position=start - document.cursor_position)

    @Condition
    def open_block() -> bool:
        # Enter inserts a new line while a brace is open, and submits once the input is complete.
        return not is_complete(get_app().current_buffer.text)

    history = history_path(session)
    history.parent.mkdir(parents=True, exist_ok=True)
    return PromptSession(
        message=lambda: session.prompt,  # follows ZN and Set $NAMESPACE
        lexer=PygmentsLexer(ObjectScriptLexer),
        completer=ObjectScriptCompleter(),
        complete_while_typing=False,  # Tab completes, as at the Caché terminal
        history=FileHistory(str(history)),
        multiline=open_block,
        prompt_continuation=lambda width, _line, _soft: " " * width,
    )
