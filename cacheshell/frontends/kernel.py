"""The ObjectScript Jupyter kernel: a thin adapter over one Session.

Run by Jupyter as `python -m cacheshell.frontends.kernel -f {connection_file}` (the kernelspec
in kernel/). The session opens on the first execute request, on the instance, namespace and user
named by CACHESHELL_KERNEL_INSTANCE, CACHESHELL_KERNEL_NAMESPACE and CACHESHELL_KERNEL_USER
(default: CACHE, USER, UnknownUser) under CACHESHELL_HOME. Output streams while the code runs;
an error is one `error` message in the terminal's format; reports are tables (display_data);
a cell that is one expression (`$ZVersion`) has its value as the cell's result; `Halt` ends the
session and the next execute starts a new one. Output goes out in whole lines; a one-line notice
(display_data) says when the instance's clock becomes simulated, and why a Hang returned at once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from ipykernel.kernelbase import Kernel

from cacheshell.frontends.clock_notice import ClockNotice
from cacheshell.frontends.history import HISTORY_FILE, History
from cacheshell.frontends.output import LineBuffer
from cacheshell.frontends.render import mimebundle
from cacheshell.lang.completeness import is_complete
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.host import version_banner
from cacheshell.lang.objects import Row
from cacheshell.session import Session, SessionError, session_for
from cacheshell.version import __version__

# A reply or a message's content: JSON, built here and sent by ipykernel as it is.
Reply = dict[str, object]
INDENT = "  "
# Output is sent in whole lines at most this far apart, so a long loop does not send a message
# per WRITE, yet a user sees it arrive while the code runs. A line longer than FLUSH_CHARS is
# sent before it ends.
FLUSH_SECONDS = 0.05
FLUSH_CHARS = 8192


class ObjectScriptKernel(Kernel):
    implementation = "cacheshell"
    implementation_version = __version__
    language_info = {
        "name": "objectscript",
        "version": __version__,
        "mimetype": "text/x-objectscript",
        "file_extension": ".mac",
        "pygments_lexer": "objectscript",
        "codemirror_mode": "mumps",
    }
    banner = f"{version_banner()}\nObjectScript kernel (cacheshell)"
    help_links = [{"text": "cacheshell", "url": "https://pypi.org/project/cacheshell/"}]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[no-untyped-call]
        self.terminal: Session | None = None
        self.ended = False  # the last session ended with Halt
        self.history_log: History | None = None
        self._out = LineBuffer(self._stream)
        self._silent = False
        self._last_flush = 0.0
        self.clock = ClockNotice()

    # -- the session -------------------------------------------------------------------------
    def _open(self, announce: bool = False) -> Session:
        if self.terminal is None:
            env = os.environ
            session = session_for(
                env.get("CACHESHELL_KERNEL_INSTANCE"),
                None,
                env.get("CACHESHELL_KERNEL_NAMESPACE", "USER"),
                env.get("CACHESHELL_KERNEL_USER"),
            )
            session.on_output = self._write
            session.on_table = self._show_table
            session.on_pause = self._pause
            self.terminal = session
        if self.ended and announce:
            self.ended = False
            self._write(
                f"(a new ObjectScript session, process {self.terminal.job_id}: the "
                "previous one ended with Halt)\n"
            )
        return self.terminal

    def _history(self) -> History:
        if self.history_log is None:
            terminal = self.terminal or self._open_quietly()
            path = terminal.layout.mgr / HISTORY_FILE if terminal else None
            self.history_log = History(path)
        return self.history_log

    # -- output ------------------------------------------------------------------------------
    def _write(self, text: str) -> None:
        self._out.write(text)
        now = time.monotonic()
        if self._out.size > FLUSH_CHARS or now - self._last_flush >= FLUSH_SECONDS:
            self._last_flush = now
            self._out.flush_lines()
            if self._out.size > FLUSH_CHARS:
                self._out.flush()

    def _flush(self) -> None:
        self._last_flush = time.monotonic()
        self._out.flush()

    def _stream(self, text: str) -> None:
        if not self._silent:
            self._publish("stream", {"name": "stdout", "text": text})

    def _pause(self) -> None:
        """Before a Hang: what was written shows during it."""
        self._flush()
        if self.terminal is not None:
            self.clock.paused(self.terminal)

    def _notice(self, session: Session) -> None:
        """At the end of a cell, a line saying the clock is simulated when that is news."""
        notice = self.clock.after_cell(session)
        if notice is not None and not self._silent:
            self._publish("display_data", {"data": {"text/plain": notice}, "metadata": {}})

    def _show_table(self, title: str, columns: list[str], rows: Sequence[Row], text: str) -> None:
        self._flush()
        if not self._silent:
            self._publish(
                "display_data", {"data": mimebundle(title, columns, rows, text), "metadata": {}}
            )

    def _publish(self, kind: str, content: Reply) -> None:
        """One message on the IOPub channel."""
        self.send_response(self.iopub_socket, kind, content)  # type: ignore[no-untyped-call]

    # -- requests ----------------------------------------------------------------------------
    async def do_execute(
        self,
        code: str,
        silent: bool,
        store_history: bool = True,
        user_expressions: dict[str, str] | None = None,
        allow_stdin: bool = False,
        *,
        cell_meta: object = None,
        cell_id: object = None,
    ) -> Reply:
        self._silent = silent
        self._last_flush = time.monotonic()
        try:
            session = self._open(announce=True)
        except SessionError as exc:
            return self._error("SESSION", str(exc), [str(exc)])
        cell = session.run_cell(code)
        outcome, result = cell.outcome, cell.value
        if store_history and not silent:
            self._history().add(
                self.execution_count, code, result if outcome.error is None else None
            )
        if outcome.halted:
            session.finish_line()
            self._flush()
            self._notice(session)
            self._end()
            return self._ok(user_expressions)
        if outcome.error is not None:
            self._flush()
            self._notice(session)
            block = session.error_text(outcome.error).strip("\n").split("\n")
            return self._error(outcome.error.name, outcome.error.zerror, block)
        if result is not None:
            if not silent:
                self._publish(
                    "execute_result",
                    {
                        "execution_count": self.execution_count,
                        "data": {"text/plain": result},
                        "metadata": {},
                    },
                )
        else:
            session.finish_line()
        self._flush()
        self._notice(session)
        return self._ok(user_expressions)

    def _ok(self, user_expressions: dict[str, str] | None) -> Reply:
        return {
            "status": "ok",
            "execution_count": self.execution_count,
            "payload": [],
            "user_expressions": self._expressions(user_expressions or {}),
        }

    def _error(self, ename: str, evalue: str, traceback: list[str]) -> Reply:
        content: Reply = {"ename": ename, "evalue": evalue, "traceback": traceback}
        if not self._silent:
            self._publish("error", content)
        return {"status": "error", "execution_count": self.execution_count, **content}

    def _expressions(self, expressions: dict[str, str]) -> Reply:
        """user_expressions: each evaluated as `Write <expression>` would show it."""
        if not expressions or self.terminal is None:
            return {}
        results: Reply = {}
        for name, expression in expressions.items():
            outcome, text = self.terminal.evaluate(expression)
            if outcome.error is None:
                results[name] = {"status": "ok", "data": {"text/plain": text}, "metadata": {}}
            else:
                err = outcome.error
                results[name] = {
                    "status": "error",
                    "ename": err.name,
                    "evalue": err.zerror,
                    "traceback": [err.zerror],
                }
        return results

    def _end(self) -> None:
        if self.terminal is not None:
            self.terminal.close()
            self.terminal = None
            self.ended = True

    async def do_complete(self, code: str, cursor_pos: int) -> Reply:
        session = self._open_quietly()
        start, matches = session.complete(code, cursor_pos) if session else (cursor_pos, [])
        return {
            "status": "ok",
            "matches": list(matches),
            "cursor_start": start,
            "cursor_end": cursor_pos,
            "metadata": {},
        }

    async def do_inspect(
        self, code: str, cursor_pos: int, detail_level: int = 0, omit_sections: object = ()
    ) -> Reply:
        session = self._open_quietly()
        text = session.inspect(code, cursor_pos) if session else None
        data = {"text/plain": text} if text else {}
        return {"status": "ok", "found": bool(text), "data": data, "metadata": {}}

    def _open_quietly(self) -> Session | None:
        """The session for completion of its locals, when one can be had."""
        try:
            return self._open()
        except (SessionError, ObjectScriptError):
            return None

    async def do_is_complete(self, code: str) -> Reply:
        if is_complete(code):
            return {"status": "complete"}
        return {"status": "incomplete", "indent": INDENT}

    async def do_history(
        self,
        hist_access_type: str,
        output: bool,
        raw: bool,
        session: int | None = None,
        start: int | None = None,
        stop: int | None = None,
        n: int | None = None,
        pattern: str | None = None,
        unique: bool = False,
        **_: object,
    ) -> Reply:
        history = self._history()
        if hist_access_type == "tail":
            entries = history.tail(n)
        elif hist_access_type == "range":
            entries = history.range(session, start, stop)
        elif hist_access_type == "search":
            entries = history.search(pattern, n, unique)
        else:
            entries = []
        return {"status": "ok", "history": [e.reply(output) for e in entries]}

    async def do_shutdown(self, restart: bool) -> Reply:
        if self.terminal is not None:
            self.terminal.close()
            self.terminal = None
        return {"status": "ok", "restart": restart}


def main() -> None:
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(kernel_class=ObjectScriptKernel)


if __name__ == "__main__":
    main()
